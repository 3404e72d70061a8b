import type { Database } from '../../db/client.js';
import type { Clock } from '../../lib/clock.js';
import { BoundedMap } from '../limits/bounded-map.js';
import type { ClaimedDelivery } from './claim.js';

// The deliveries an endpoint has leased beyond those POSTing wait their turn in the process
// (dispatch.ts). When its turn comes, a delivery is sent only if what it was claimed with still
// holds:
// - after a 410 from its endpoint, this process sends it nothing for GONE_HOLD_MS: the disabling
//   commits meanwhile (until it has, the endpoint still reads enabled, and a claim would lease
//   its deliveries again);
// - a delivery that waited RECHECK_AFTER_MS or more reads its lease and its endpoint again: a
//   lease taken over by another worker (a stall longer than the lease) is not sent twice, and an
//   endpoint disabled, deleted or edited (URL, secret) since the claim is not sent to as it was;
// - a worker that is stopping sends nothing more it holds.
// What is not sent goes back to the queue uncounted (its base_attempts raised with its attempts).

/** A delivery that waited this long for its turn reads its lease and endpoint again. */
export const RECHECK_AFTER_MS = 1_000;
/** After a 410, how long this process holds its endpoint's deliveries back. */
export const GONE_HOLD_MS = 60_000;

/**
 * `held`: the lease is still this attempt's and has not run out, renewed here for `$5` seconds
 * (a lease run out but not yet taken over would be taken while this attempt POSTs); `current`:
 * the endpoint is enabled and unchanged since the claim. No row: the endpoint was deleted.
 */
const RECHECK = `WITH d AS (
  UPDATE webhook_deliveries SET next_attempt_at = now() + make_interval(secs => $5)
  WHERE id = $1 AND status = 'attempting' AND attempts = $2 AND next_attempt_at > now()
  RETURNING id
)
SELECT (w.status = 'enabled' AND w.updated_at = $3::timestamptz) AS current, EXISTS (SELECT 1 FROM d) AS held
FROM webhooks w WHERE w.id = $4`;

/**
 * Back to pending, due after `$3` seconds, not counted: the retry schedule counts attempts past
 * `base_attempts`. The attempt number stays, so it never fences two attempts.
 */
const RELEASE = `UPDATE webhook_deliveries SET status = 'pending', base_attempts = base_attempts + 1,
  next_attempt_at = now() + make_interval(secs => $3), updated_at = now()
WHERE id = $1 AND status = 'attempting' AND attempts = $2`;

/** When a delivery started waiting (clock ms). */
export type Waiting = Readonly<{ since: number }>;

/** `send`; `held_back`: released to the queue (or gone with its endpoint); `lost`: its lease no longer this worker's. */
export type Turn = 'send' | 'held_back' | 'lost';

export type Reserve = Readonly<{
  arrive(): Waiting;
  /** Decides a delivery's turn, releasing it when it is held back. */
  turn(delivery: ClaimedDelivery, waiting: Waiting, stopping: boolean): Promise<Turn>;
  /** The endpoint answered 410. */
  endpointGone(webhookId: string): void;
}>;

export function createReserve(deps: Readonly<{ database: Database; clock: Clock; leaseSeconds: number }>): Reserve {
  const goneUntil = new BoundedMap<number>(1_000, (until) => until <= deps.clock.nowMs());
  const gone = (webhookId: string): boolean => (goneUntil.get(webhookId) ?? 0) > deps.clock.nowMs();
  const release = async (delivery: ClaimedDelivery, afterMs: number): Promise<Turn> => {
    await deps.database.query({
      name: 'postgate_release_webhook_delivery',
      text: RELEASE,
      values: [delivery.id, delivery.attempts, afterMs / 1000],
    });
    return 'held_back';
  };
  return {
    arrive: () => ({ since: deps.clock.nowMs() }),
    async turn(delivery, waiting, stopping) {
      // The 410's hold first: released at once, another instance could send it before the disabling commits.
      if (gone(delivery.webhookId)) return release(delivery, GONE_HOLD_MS);
      if (stopping) return release(delivery, 0);
      if (deps.clock.nowMs() - waiting.since < RECHECK_AFTER_MS) return 'send';
      const [row] = await deps.database.query<{ current: boolean; held: boolean }>({
        name: 'postgate_recheck_webhook_delivery',
        text: RECHECK,
        values: [delivery.id, delivery.attempts, delivery.endpointVersion, delivery.webhookId, deps.leaseSeconds],
      });
      // The endpoint deleted: its deliveries went with it, nothing to release.
      if (!row) return 'held_back';
      if (!row.held) return 'lost';
      // A 410 may have come while the row was read.
      if (gone(delivery.webhookId)) return release(delivery, GONE_HOLD_MS);
      return row.current ? 'send' : release(delivery, 0);
    },
    endpointGone: (webhookId) => goneUntil.set(webhookId, deps.clock.nowMs() + GONE_HOLD_MS),
  };
}
