import type { SecretBox } from '../accounts/secret-box.js';
import { BoundedMap } from '../limits/bounded-map.js';
import { claimedCte, type Held, type LeasedTable } from '../queue/leased-table.js';
import { SECRET_PURPOSE } from './service.js';
import { signerFor, type Signer } from './signing.js';

// Claiming webhook deliveries (queue/leased-table.ts): the statements that lease due deliveries
// and return, in the same statement, everything an attempt needs (endpoint, secrets, the event's
// bytes). Two statements claim: CLAIM, endpoint by endpoint within the per-endpoint bound, and
// the outcome statement (outcomes.ts), which hands an endpoint's freed slots to its next due
// deliveries at once.

/** At most this many POSTs to one endpoint are in flight at once in one worker process. */
export const PER_ENDPOINT_IN_FLIGHT = 4;

/**
 * At most this many deliveries of one endpoint are leased at once, across instances (claims lock
 * the endpoint's row; two claims a moment apart can still each see the other's slots free): those
 * in flight and the next ones ready behind them, so when a POST ends the next one starts at once
 * instead of after a database round trip, while outcomes gather into few statements
 * (bench/RESULTS.md). Across instances, then, an endpoint has about this many POSTs in flight at most.
 */
export const PER_ENDPOINT_LEASED = 8 * PER_ENDPOINT_IN_FLIGHT;

/** Deliveries a worker holds per POST it may have in flight: those POSTing and those ready behind. */
export const LEASED_PER_POST = PER_ENDPOINT_LEASED / PER_ENDPOINT_IN_FLIGHT;

/**
 * A delivery claimed again while `attempting` is one whose lease ran out with no outcome recorded
 * (a crash, a stall, a failed re-read): that attempt is left out of the retry schedule, as a
 * release is (base_attempts), so a crash does not spend a retry of every delivery the worker had
 * leased ahead. Its number still fences: attempts goes up either way.
 */
export const WEBHOOK_QUEUE: LeasedTable = Object.freeze({
  table: 'webhook_deliveries',
  waiting: 'pending',
  working: 'attempting',
  claimAlsoSets: "base_attempts = t.base_attempts + CASE WHEN t.status = 'attempting' THEN 1 ELSE 0 END",
});

/** The claimed rows (`claimed`, leased for `$2` seconds) with what an attempt needs; a claim statement ends with it. */
export const CLAIMED_DELIVERIES = `${claimedCte(WEBHOOK_QUEUE, 't.id, t.webhook_id, t.event_id, t.attempts, t.base_attempts')},
claimed_deliveries AS (
  SELECT c.id, c.attempts, c.base_attempts, w.id AS webhook_id, w.organization_id, w.project_id, w.endpoint,
    w.secret_box, w.previous_secret_box, w.previous_secret_until > now() AS previous_valid, w.failing_since,
    w.updated_at::text AS endpoint_version,
    e.payload::text AS body
  FROM claimed c
  JOIN webhooks w ON w.id = c.webhook_id
  JOIN events e ON e.id = c.event_id
)`;

/**
 * Due deliveries, endpoint by endpoint: for each enabled endpoint, its oldest due deliveries, as
 * many as it has free of PER_ENDPOINT_LEASED (leased ones count, across instances), so one
 * slow endpoint can never take every slot and one claim never exceeds the bound. Each endpoint's
 * rows come from the partial index on (webhook_id, next_attempt_at): a backlog of one endpoint
 * costs the claim its few rows, not a scan.
 */
export const CLAIM = `WITH due AS (
  SELECT d.id
  -- Endpoint rows locked (SKIP LOCKED: an endpoint another instance is claiming for is left to
  -- it this time), so two instances' claims cannot each count the same free slots. Only those with
  -- due deliveries: a lock is a write, and most endpoints have nothing due most of the time.
  FROM (SELECT id FROM webhooks e WHERE status = 'enabled'
    AND EXISTS (SELECT 1 FROM webhook_deliveries x WHERE x.webhook_id = e.id AND x.status IN ('pending', 'attempting') AND x.next_attempt_at <= now())
    FOR NO KEY UPDATE SKIP LOCKED) w
  CROSS JOIN LATERAL (
    SELECT x.id, x.next_attempt_at FROM webhook_deliveries x
    WHERE x.webhook_id = w.id AND x.status IN ('pending', 'attempting') AND x.next_attempt_at <= now()
    ORDER BY x.next_attempt_at
    LIMIT greatest(0, ${PER_ENDPOINT_LEASED} - (SELECT count(*) FROM webhook_deliveries a
      WHERE a.webhook_id = w.id AND a.status = 'attempting' AND a.next_attempt_at > now()))
    FOR UPDATE SKIP LOCKED
  ) d
  ORDER BY d.next_attempt_at
  LIMIT $1
),
${CLAIMED_DELIVERIES}
SELECT * FROM claimed_deliveries`;

export type ClaimRow = {
  id: string;
  attempts: number;
  base_attempts: number;
  webhook_id: string;
  organization_id: string;
  project_id: string;
  endpoint: string;
  secret_box: string;
  previous_secret_box: string | null;
  previous_valid: boolean | null;
  failing_since: Date | null;
  endpoint_version: string;
  body: string;
};

export type ClaimedDelivery = Held &
  Readonly<{
    baseAttempts: number;
    webhookId: string;
    organizationId: string;
    projectId: string;
    endpoint: string;
    /** Signing with the current secret, then with the previous one while its grace lasts. */
    signers: readonly Signer[];
    failingSince: Date | null;
    /** The endpoint's `updated_at` at the claim: an edit since changes it (reserve.ts). */
    endpointVersion: string;
    /** The event's payload, exactly the bytes signed and sent on every attempt. */
    body: string;
  }>;

export type SecretOpener = (sealed: string, webhookId: string) => Signer | undefined;

/**
 * Opens endpoints' sealed signing secrets, each once, into their signers: a sealed value names
 * one secret for good (a rotation seals a new one), so the cache is exact; it is keyed by
 * endpoint too, the context the secret was sealed for.
 */
export function secretOpener(box: SecretBox): SecretOpener {
  const opened = new BoundedMap<Signer>(1_000, () => false);
  return (sealed, webhookId) => {
    const key = `${webhookId} ${sealed}`;
    const known = opened.get(key);
    if (known !== undefined) return known;
    const secret = box.open(SECRET_PURPOSE, sealed, webhookId);
    if (secret === undefined) return undefined;
    const signer = signerFor(secret);
    opened.set(key, signer);
    return signer;
  };
}

/** A claimed row as an attempt uses it, its secrets opened. */
export function claimedDelivery(open: SecretOpener, row: ClaimRow): ClaimedDelivery {
  const current = open(row.secret_box, row.webhook_id);
  const previous = row.previous_valid && row.previous_secret_box ? open(row.previous_secret_box, row.webhook_id) : undefined;
  return {
    id: row.id,
    attempts: row.attempts,
    baseAttempts: row.base_attempts,
    webhookId: row.webhook_id,
    organizationId: row.organization_id,
    projectId: row.project_id,
    endpoint: row.endpoint,
    signers: [current, previous].filter((s): s is Signer => s !== undefined),
    failingSince: row.failing_since,
    endpointVersion: row.endpoint_version,
    body: row.body,
  };
}
