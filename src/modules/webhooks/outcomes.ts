import { and, eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { wellFormedJson } from '../../db/json.js';
import { webhooks } from '../../db/schema-events.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { operator } from '../api-keys/principal.js';
import { recordAudit, SYSTEM_IDENTITY } from '../audit/record.js';
import { createBatcher } from '../queue/batcher.js';
import { CLAIMED_DELIVERIES, claimedDelivery, type ClaimedDelivery, type ClaimRow, type SecretOpener } from './claim.js';
import type { WebhookResponse } from './http-client.js';
import { retryDelayMs } from './retry-schedule.js';
import { endpointForLog } from './service.js';

// The outcome of a webhook delivery attempt: 2xx is success; 410 disables the endpoint; anything
// else is retried on the schedule (retry-schedule.ts) or, once it is spent, failed. An endpoint
// failing for FAILING_DISABLE_MS is disabled, with an audit event, so a dead receiver stops
// costing every event a week of retries.

export const FAILING_DISABLE_MS = 5 * 24 * 3_600_000;
/**
 * Outcomes written together: once 16 are waiting, or 10 ms after the first. An endpoint's reserve
 * of leased deliveries (claim.ts) outlasts that wait, so its POSTs go on meanwhile.
 */
const OUTCOME_GATHER = { items: 16, ms: 10 };
/** What an attempt keeps of the response body. */
const RESPONSE_EXCERPT = 1_000;

/** `released`: not sent, back in the queue uncounted (reserve.ts). */
export type DeliveryResult = 'success' | 'retry' | 'failed' | 'lost_claim' | 'released';

/** The result, and the deliveries of the same endpoint claimed into the slot this one freed. */
export type Recorded = Readonly<{ result: DeliveryResult; next: readonly ClaimedDelivery[] }>;

export type OutcomeDeps = Readonly<{ database: Database; clock: Clock; open: SecretOpener; leaseSeconds: number }>;

/** One attempt's outcome as the RECORD statement reads it from its JSON parameter. */
type OutcomeRow = {
  id: string;
  attempt: number;
  status: 'pending' | 'success' | 'failed';
  next_attempt_at: string;
  attempt_id: string;
  http_status_code: number | null;
  response: string;
  duration_ms: number;
  sent_at: string;
  webhook_id: string;
  ok: boolean;
};

/**
 * The outcomes of the attempts finished at one moment, in ONE statement (its own transaction):
 * each delivery's new status under the attempt number claimed (an attempt whose lease was taken
 * over writes nothing: no status, no attempt row), its attempt row, its endpoint's run of
 * failures (cleared by a success, started by a failure), and, when `$3`, the hand-over: each
 * endpoint's slots freed here go to its next due deliveries, leased in the same statement, so an
 * endpoint's in-flight count stays within the bound and its next POST waits for no separate
 * claim. Not to an endpoint that answered 410 (it is being disabled). Returns one row: the
 * deliveries written and the deliveries handed over.
 */
const RECORD = `WITH o AS (
  SELECT * FROM json_to_recordset($1::json) AS r(id text, attempt int, status text, next_attempt_at timestamptz, attempt_id text,
    http_status_code int, response text, duration_ms int, sent_at timestamptz, webhook_id text, ok boolean)
),
u AS (
  UPDATE webhook_deliveries d SET status = o.status, next_attempt_at = o.next_attempt_at, updated_at = now()
  FROM o WHERE d.id = o.id AND d.status = 'attempting' AND d.attempts = o.attempt
  RETURNING d.id, d.webhook_id
),
a AS (
  INSERT INTO webhook_attempts (id, delivery_id, http_status_code, response, duration_ms, sent_at)
  SELECT o.attempt_id, o.id, o.http_status_code, o.response, o.duration_ms, o.sent_at FROM o WHERE o.id IN (SELECT id FROM u)
),
w AS (
  UPDATE webhooks w SET failing_since = CASE WHEN f.any_ok THEN NULL ELSE coalesce(w.failing_since, f.first_failure) END
  FROM (SELECT webhook_id, bool_or(ok) AS any_ok, min(sent_at) AS first_failure FROM o WHERE o.id IN (SELECT id FROM u) GROUP BY webhook_id) f
  -- Only a change is written: a webhook row locked here is one the claim skips meanwhile.
  WHERE w.id = f.webhook_id AND ((f.any_ok AND w.failing_since IS NOT NULL) OR (NOT f.any_ok AND w.failing_since IS NULL))
),
freed AS (
  SELECT u.webhook_id, count(*) AS n FROM u JOIN o ON o.id = u.id
  GROUP BY u.webhook_id HAVING bool_and(o.http_status_code IS DISTINCT FROM 410)
),
due AS (
  SELECT x.id
  FROM freed f
  JOIN webhooks wh ON wh.id = f.webhook_id AND wh.status = 'enabled'
  CROSS JOIN LATERAL (
    SELECT d.id, d.next_attempt_at FROM webhook_deliveries d
    -- The rows recorded above are not due (their old versions are leased), and never touched twice.
    WHERE d.webhook_id = f.webhook_id AND d.status IN ('pending', 'attempting') AND d.next_attempt_at <= now()
      AND d.id NOT IN (SELECT id FROM u)
    ORDER BY d.next_attempt_at
    LIMIT CASE WHEN $3::boolean THEN f.n ELSE 0 END
    FOR UPDATE SKIP LOCKED
  ) x
),
${CLAIMED_DELIVERIES}
SELECT (SELECT coalesce(json_agg(id), '[]') FROM u) AS recorded, (SELECT coalesce(json_agg(c), '[]') FROM claimed_deliveries c) AS handed_over`;

type RecordResult = { recorded: string[]; handed_over: (Omit<ClaimRow, 'failing_since'> & { failing_since: string | null })[] };

export type OutcomeRecorder = Readonly<{
  record(delivery: ClaimedDelivery, response: WebhookResponse, sentAt: Date): Promise<Recorded>;
  /** From now on, freed slots are not handed over (the worker is stopping). */
  stopHandingOver(): void;
  drain(): Promise<void>;
}>;

export function createOutcomeRecorder(deps: OutcomeDeps): OutcomeRecorder {
  let handOver = true;
  const batcher = createBatcher<OutcomeRow, { written: boolean; next: ClaimedDelivery[] }>(
    async (rows) => {
      const [result] = await deps.database.queryAsyncCommit<RecordResult>({
        name: 'postgate_record_webhook_attempts',
        text: RECORD,
        values: [wellFormedJson(rows), deps.leaseSeconds, handOver],
      });
      const written = new Set(result?.recorded ?? []);
      const waiting = new Map<string, ClaimedDelivery[]>();
      for (const row of result?.handed_over ?? []) {
        const delivery = claimedDelivery(deps.open, { ...row, failing_since: row.failing_since === null ? null : new Date(row.failing_since) });
        waiting.set(row.webhook_id, [...(waiting.get(row.webhook_id) ?? []), delivery]);
      }
      // At most as many handed over per endpoint as were written for it: one each, in order.
      return rows.map((row) => {
        if (!written.has(row.id)) return { written: false, next: [] };
        const next = waiting.get(row.webhook_id)?.shift();
        return { written: true, next: next ? [next] : [] };
      });
    },
    // Nothing waits on an outcome at once (an endpoint's next deliveries are leased already), so
    // outcomes gather a moment: fewer, larger statements (bench/RESULTS.md).
    { maxItems: 200, gather: OUTCOME_GATHER },
  );
  return {
    stopHandingOver: () => {
      handOver = false;
    },
    drain: () => batcher.drain(),
    async record(delivery, response, sentAt) {
      const now = deps.clock.now();
      const ok = response.status !== undefined && response.status >= 200 && response.status < 300;
      const gone = response.status === 410;
      const delay = ok || gone ? undefined : retryDelayMs(delivery.attempts - delivery.baseAttempts, response.retryAfterSeconds);
      const result: DeliveryResult = ok ? 'success' : delay === undefined ? 'failed' : 'retry';
      const outcome = await batcher.add({
        id: delivery.id,
        attempt: delivery.attempts,
        status: result === 'retry' ? 'pending' : result === 'success' ? 'success' : 'failed',
        next_attempt_at: new Date(now.getTime() + (delay ?? 0)).toISOString(),
        attempt_id: newId('webhookAttempt', sentAt.getTime()),
        http_status_code: response.status ?? null,
        // NUL cannot be stored in text: a receiver's body may hold one.
        response: (response.status === undefined ? (response.error ?? 'no response') : response.responseExcerpt).slice(0, RESPONSE_EXCERPT).replaceAll('\u0000', ''),
        duration_ms: Math.round(response.durationMs),
        sent_at: sentAt.toISOString(),
        webhook_id: delivery.webhookId,
        ok,
      });
      if (!outcome.written) return { result: 'lost_claim', next: [] };
      const failingSince = delivery.failingSince ?? sentAt;
      const disable = gone ? 'gone' : !ok && now.getTime() - failingSince.getTime() >= FAILING_DISABLE_MS ? 'failing' : undefined;
      if (disable) await disableEndpoint(deps, delivery, disable);
      return { result, next: outcome.next };
    },
  };
}

/**
 * A 410, or five days of failures: the endpoint is disabled, with an audit event by the system.
 * Apart from the outcome's statement (disabling is rare): were the process to die between the
 * two, the next failure disables it.
 */
async function disableEndpoint(deps: Pick<OutcomeDeps, 'database' | 'clock'>, delivery: ClaimedDelivery, reason: 'gone' | 'failing'): Promise<void> {
  await deps.database.db.transaction(async (tx) => {
    const [disabled] = await tx
      .update(webhooks)
      .set({ status: 'disabled', disabledReason: reason, updatedAt: deps.clock.now() })
      .where(and(eq(webhooks.id, delivery.webhookId), eq(webhooks.status, 'enabled')))
      .returning();
    if (!disabled) return;
    await recordAudit(tx, deps.clock, operator(delivery.organizationId, delivery.projectId, SYSTEM_IDENTITY), {
      action: 'webhook.disabled',
      targets: [{ type: 'webhook', id: disabled.id, name: endpointForLog(disabled.endpoint) }],
      changes: { status: { before: 'enabled', after: 'disabled' }, disabled_reason: { before: null, after: reason } },
      projectId: disabled.projectId,
    });
  });
}
