import type { Database } from '../../db/client.js';
import type { Clock } from '../../lib/clock.js';
import type { SecretBox } from '../accounts/secret-box.js';
import { createKeyedGate } from '../queue/keyed-gate.js';
import { heldJson, renewSql, type Held } from '../queue/leased-table.js';
import { CLAIM, claimedDelivery, LEASED_PER_POST, PER_ENDPOINT_IN_FLIGHT, secretOpener, WEBHOOK_QUEUE, type ClaimedDelivery, type ClaimRow } from './claim.js';
import type { WebhookResponse } from './http-client.js';
import { createOutcomeRecorder, type Recorded } from './outcomes.js';
import { createReserve } from './reserve.js';
import { signedHeaders } from './signing.js';

// Webhook deliveries as a queue (queue/leased-table.ts): claim due deliveries with everything an
// attempt needs in one statement (claim.ts), POST the event signed, record the attempt and the
// outcome (batched with others finishing then) in one statement under the attempt number claimed
// (an attempt whose lease was taken over writes nothing), which also hands the freed slot to the
// endpoint's next due delivery (outcomes.ts).
//
// An endpoint has up to PER_ENDPOINT_LEASED deliveries leased and at most PER_ENDPOINT_IN_FLIGHT
// of them POSTing here (the gate): the rest wait ready, so a finished POST is followed by the next
// at once while its outcome is written, and a slow endpoint still holds few of the POST slots.
//
// The claim and the outcome commit without waiting for the disk (Database.queryAsyncCommit).
// Safe here and only here: an event and its deliveries were committed durably with the change
// they report; what a crash may lose is a claim or an outcome, and either only leaves the
// delivery due again, to be sent again with the same webhook-id: at least once, as the contract
// says. Waiting for the disk twice per delivery held a receiver to a fraction of what it could
// take (bench/RESULTS.md).

export type WebhookPoster = Readonly<{ post(request: { url: string; headers: Record<string, string>; body: string }): Promise<WebhookResponse> }>;

export type DispatchDeps = Readonly<{
  database: Database;
  clock: Clock;
  box: SecretBox;
  http: WebhookPoster;
  leaseSeconds: number;
  /** POSTs in flight at once in this process, all endpoints together (POSTGATE_WEBHOOK_CONCURRENCY). */
  postsAtOnce: number;
}>;

export type Dispatcher = Readonly<{
  claim(max: number): Promise<ClaimedDelivery[]>;
  renew(held: readonly Held[]): Promise<string[]>;
  /**
   * Sends one delivery once its endpoint has a free slot, and records its outcome; `next`: the
   * deliveries claimed into its slot. Or releases it unsent (`released`, reserve.ts).
   */
  deliver(delivery: ClaimedDelivery): Promise<Recorded>;
  /** Claims nothing more (no claim, no slot handed over by an outcome); what waits is released. */
  stopClaiming(): void;
  /** Resolves once the outcomes being written are. */
  drain(): Promise<void>;
}>;

export function createDispatcher(deps: DispatchDeps): Dispatcher {
  const renew = renewSql(WEBHOOK_QUEUE);
  const open = secretOpener(deps.box);
  const outcomes = createOutcomeRecorder({ ...deps, open });
  const gate = createKeyedGate({ perKey: PER_ENDPOINT_IN_FLIGHT, total: deps.postsAtOnce });
  const reserve = createReserve(deps);
  let stopped = false;
  return {
    async claim(max) {
      // No more rows than the free POST slots can work soon: rows held here behind slow endpoints'
      // POSTs would be rows other workers could send.
      const room = Math.min(max, (deps.postsAtOnce - gate.inside()) * LEASED_PER_POST);
      if (stopped || room <= 0) return [];
      const rows = await deps.database.queryAsyncCommit<ClaimRow>({ name: 'postgate_claim_webhook_deliveries', text: CLAIM, values: [room, deps.leaseSeconds] });
      return rows.map((row) => claimedDelivery(open, row));
    },
    async renew(held) {
      if (held.length === 0) return [];
      const rows = await deps.database.query<{ id: string }>({ name: 'postgate_renew_webhook_deliveries', text: renew, values: [heldJson(held), deps.leaseSeconds] });
      return rows.map((r) => r.id);
    },
    async deliver(delivery) {
      const waiting = reserve.arrive();
      const leave = await gate.enter(delivery.webhookId);
      let response: WebhookResponse | undefined;
      let sentAt: Date;
      try {
        const turn = await reserve.turn(delivery, waiting, stopped);
        if (turn !== 'send') return { result: turn === 'lost' ? 'lost_claim' : 'released', next: [] };
        sentAt = deps.clock.now();
        response =
          delivery.signers.length === 0
            ? { status: undefined, responseExcerpt: '', durationMs: 0, retryAfterSeconds: undefined, error: "the signing secret cannot be opened with this install's key" }
            : await deps.http.post({ url: delivery.endpoint, headers: signedHeaders({ id: delivery.id, at: sentAt, body: delivery.body, signers: delivery.signers }), body: delivery.body });
      } finally {
        // Before the next one waiting is let through: it must not be sent after a 410.
        if (response?.status === 410) reserve.endpointGone(delivery.webhookId);
        leave();
      }
      return outcomes.record(delivery, response, sentAt);
    },
    stopClaiming: () => {
      stopped = true;
      outcomes.stopHandingOver();
      // What waits for a slot is released now (reserve.ts), not after the POSTs ahead of it.
      gate.admitAll();
    },
    drain: () => outcomes.drain(),
  };
}
