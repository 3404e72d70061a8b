import type { Database } from '../../db/client.js';
import type { Clock } from '../../lib/clock.js';
import { BoundedMap } from '../limits/bounded-map.js';
import type { ClaimedDelivery } from './claim.js';

// The deliveries an endpoint has leased beyond those POSTing wait their turn in the process
// (dispatch.ts). Leased before the endpoint was disabled or deleted, they must not go out after
// it: a delivery that waited long checks its endpoint again, and one that waited behind a 410 of
// its endpoint is not sent at all. Either goes back to the queue uncounted, due a minute later:
// by then the 410's disabling has committed (until it has, the endpoint still reads enabled and
// a claim would take the delivery straight back), and the claim takes enabled endpoints'
// deliveries only, so it is sent once the endpoint is enabled again.

/** A delivery that waited this long for its turn reads its endpoint's status before POSTing. */
export const RECHECK_AFTER_MS = 1_000;

const STILL_ENABLED = "SELECT 1 AS enabled FROM webhooks WHERE id = $1 AND status = 'enabled'";

/** Back to pending, due in a minute, its attempt number lowered again: this attempt never happened. */
const RELEASE = `UPDATE webhook_deliveries SET status = 'pending', attempts = attempts - 1, next_attempt_at = now() + interval '1 minute', updated_at = now()
WHERE id = $1 AND status = 'attempting' AND attempts = $2`;

/** A delivery's place in the reserve: when (clock ms) and in which order it started waiting. */
export type Waiting = Readonly<{ since: number; order: number }>;

export type Reserve = Readonly<{
  /** A delivery starts waiting for its turn. */
  arrive(): Waiting;
  /** Whether a delivery that has waited since `waiting` may still be sent. */
  stillWanted(delivery: ClaimedDelivery, waiting: Waiting): Promise<boolean>;
  /** The endpoint answered 410: the deliveries waiting for it now are not sent. */
  endpointGone(webhookId: string): void;
  release(delivery: ClaimedDelivery): Promise<void>;
}>;

export function createReserve(deps: Readonly<{ database: Database; clock: Clock }>): Reserve {
  // An arrival counter, not the clock: exact even when two events share a millisecond.
  let arrivals = 0;
  /** The arrival count when this process last saw each endpoint answer 410. */
  const goneAt = new BoundedMap<number>(1_000, () => false);
  return {
    arrive: () => ({ since: deps.clock.nowMs(), order: ++arrivals }),
    async stillWanted(delivery, waiting) {
      const gone = goneAt.get(delivery.webhookId);
      if (gone !== undefined && waiting.order <= gone) return false;
      if (deps.clock.nowMs() - waiting.since < RECHECK_AFTER_MS) return true;
      const rows = await deps.database.query({ name: 'postgate_webhook_still_enabled', text: STILL_ENABLED, values: [delivery.webhookId] });
      return rows.length > 0;
    },
    endpointGone: (webhookId) => goneAt.set(webhookId, arrivals),
    async release(delivery) {
      await deps.database.query({ name: 'postgate_release_webhook_delivery', text: RELEASE, values: [delivery.id, delivery.attempts] });
    },
  };
}
