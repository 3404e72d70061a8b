import { and, eq } from 'drizzle-orm';
import type { QueryResultRow } from 'pg';
import type { Database, Statement } from '../../db/client.js';
import { wellFormedJson } from '../../db/json.js';
import { webhooks } from '../../db/schema-events.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import type { SecretBox } from '../accounts/secret-box.js';
import { operator } from '../api-keys/principal.js';
import { recordAudit, SYSTEM_IDENTITY } from '../audit/record.js';
import { createBatcher } from '../queue/batcher.js';
import { claimedCte, heldJson, renewSql, type Held, type LeasedTable } from '../queue/leased-table.js';
import type { WebhookResponse } from './http-client.js';
import { retryDelayMs } from './retry-schedule.js';
import { SECRET_PURPOSE } from './service.js';
import { signedHeaders } from './signing.js';

// Webhook deliveries as a queue (queue/leased-table.ts): claim due deliveries with everything an
// attempt needs in one statement, POST the event signed, record the attempt and the outcome
// (batched with others finishing then) in one statement under the attempt number claimed (an
// attempt whose lease was taken over writes nothing). 2xx is success; 410 disables the endpoint;
// anything else is retried on the schedule (retry-schedule.ts) or, once it is spent, failed. An
// endpoint failing for FAILING_DISABLE_MS is disabled, with an audit event, so a dead receiver
// stops costing every event a week of retries.

/**
 * At most this many deliveries of one endpoint are in flight at once, across instances (claims
 * lock the endpoint's row; two claims a moment apart can still each see the other's slots free).
 */
export const PER_ENDPOINT_IN_FLIGHT = 4;
export const FAILING_DISABLE_MS = 5 * 24 * 3_600_000;
/** What an attempt keeps of the response body. */
const RESPONSE_EXCERPT = 1_000;

export const WEBHOOK_QUEUE: LeasedTable = Object.freeze({ table: 'webhook_deliveries', waiting: 'pending', working: 'attempting' });

/**
 * Due deliveries, endpoint by endpoint: for each enabled endpoint, its oldest due deliveries, as
 * many as it has free of PER_ENDPOINT_IN_FLIGHT (leased ones count, across instances), so one
 * slow endpoint can never take every slot and one claim never exceeds the bound. Each endpoint's
 * rows come from the partial index on (webhook_id, next_attempt_at): a backlog of one endpoint
 * costs the claim its few rows, not a scan.
 */
const CLAIM = `WITH due AS (
  SELECT d.id
  -- Endpoint rows locked (SKIP LOCKED: an endpoint another instance is claiming for is left to
  -- it this time), so two instances' claims cannot each count the same free slots.
  FROM (SELECT id FROM webhooks WHERE status = 'enabled' FOR NO KEY UPDATE SKIP LOCKED) w
  CROSS JOIN LATERAL (
    SELECT x.id, x.next_attempt_at FROM webhook_deliveries x
    WHERE x.webhook_id = w.id AND x.status IN ('pending', 'attempting') AND x.next_attempt_at <= now()
    ORDER BY x.next_attempt_at
    LIMIT greatest(0, ${PER_ENDPOINT_IN_FLIGHT} - (SELECT count(*) FROM webhook_deliveries a
      WHERE a.webhook_id = w.id AND a.status = 'attempting' AND a.next_attempt_at > now()))
    FOR UPDATE SKIP LOCKED
  ) d
  ORDER BY d.next_attempt_at
  LIMIT $1
),
${claimedCte(WEBHOOK_QUEUE, 't.id, t.webhook_id, t.event_id, t.attempts, t.base_attempts')}
SELECT c.id, c.attempts, c.base_attempts, w.id AS webhook_id, w.organization_id, w.project_id, w.endpoint,
  w.secret_box, w.previous_secret_box, w.previous_secret_until > now() AS previous_valid, w.failing_since,
  e.payload::text AS body
FROM claimed c
JOIN webhooks w ON w.id = c.webhook_id
JOIN events e ON e.id = c.event_id`;

type ClaimRow = {
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
  body: string;
};

export type ClaimedDelivery = Held &
  Readonly<{
    baseAttempts: number;
    webhookId: string;
    organizationId: string;
    projectId: string;
    endpoint: string;
    /** The current secret, then the previous one while its grace lasts. */
    secrets: readonly string[];
    failingSince: Date | null;
    /** The event's payload, exactly the bytes signed and sent on every attempt. */
    body: string;
  }>;

export type WebhookPoster = Readonly<{ post(request: { url: string; headers: Record<string, string>; body: string }): Promise<WebhookResponse> }>;

export type DispatchDeps = Readonly<{ database: Database; clock: Clock; box: SecretBox; http: WebhookPoster; leaseSeconds: number }>;

export type DeliveryResult = 'success' | 'retry' | 'failed' | 'lost_claim';

export function createDispatcher(deps: DispatchDeps): {
  claim(max: number): Promise<ClaimedDelivery[]>;
  renew(held: readonly Held[]): Promise<string[]>;
  deliver(delivery: ClaimedDelivery): Promise<DeliveryResult>;
  /** Waits for the outcomes being written. */
  drain(): Promise<void>;
} {
  const renew = renewSql(WEBHOOK_QUEUE);
  const outcomes = createOutcomeRecorder(deps);
  const open = (sealed: string, id: string): string | undefined => deps.box.open(SECRET_PURPOSE, sealed, id);
  return {
    async claim(max) {
      const rows = await bookkeeping<ClaimRow>(deps.database, { name: 'postgate_claim_webhook_deliveries', text: CLAIM, values: [max, deps.leaseSeconds] });
      return rows.map((row) => {
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
          secrets: [current, previous].filter((s): s is string => s !== undefined),
          failingSince: row.failing_since,
          body: row.body,
        };
      });
    },
    async renew(held) {
      if (held.length === 0) return [];
      const rows = await deps.database.query<{ id: string }>({ name: 'postgate_renew_webhook_deliveries', text: renew, values: [heldJson(held), deps.leaseSeconds] });
      return rows.map((r) => r.id);
    },
    drain: () => outcomes.drain(),
    async deliver(delivery) {
      const sentAt = deps.clock.now();
      const response: WebhookResponse =
        delivery.secrets.length === 0
          ? { status: undefined, responseExcerpt: '', durationMs: 0, retryAfterSeconds: undefined, error: "the signing secret cannot be opened with this install's key" }
          : await deps.http.post({ url: delivery.endpoint, headers: signedHeaders({ id: delivery.id, at: sentAt, body: delivery.body, secrets: delivery.secrets }), body: delivery.body });
      return outcomes.record(delivery, response, sentAt);
    },
  };
}

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
 * over writes nothing: no status, no attempt row), its attempt row, and its endpoint's run of
 * failures (cleared by a success, started by a failure). Returns the deliveries written.
 */
const RECORD = `WITH o AS (
  SELECT * FROM json_to_recordset($1::json) AS r(id text, attempt int, status text, next_attempt_at timestamptz, attempt_id text,
    http_status_code int, response text, duration_ms int, sent_at timestamptz, webhook_id text, ok boolean)
),
u AS (
  UPDATE webhook_deliveries d SET status = o.status, next_attempt_at = o.next_attempt_at, updated_at = now()
  FROM o WHERE d.id = o.id AND d.status = 'attempting' AND d.attempts = o.attempt
  RETURNING d.id
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
)
SELECT id FROM u`;

export function createOutcomeRecorder(deps: Pick<DispatchDeps, 'database' | 'clock'>): {
  record(delivery: ClaimedDelivery, response: WebhookResponse, sentAt: Date): Promise<DeliveryResult>;
  drain(): Promise<void>;
} {
  const batcher = createBatcher<OutcomeRow, boolean>(
    async (rows) => {
      const written = await bookkeeping<{ id: string }>(deps.database, { name: 'postgate_record_webhook_attempts', text: RECORD, values: [wellFormedJson(rows)] });
      const ids = new Set(written.map((r) => r.id));
      return rows.map((row) => ids.has(row.id));
    },
    { maxItems: 200 },
  );
  return {
    drain: () => batcher.drain(),
    async record(delivery, response, sentAt) {
      const now = deps.clock.now();
      const ok = response.status !== undefined && response.status >= 200 && response.status < 300;
      const gone = response.status === 410;
      const delay = ok || gone ? undefined : retryDelayMs(delivery.attempts - delivery.baseAttempts, response.retryAfterSeconds);
      const result: DeliveryResult = ok ? 'success' : delay === undefined ? 'failed' : 'retry';
      const written = await batcher.add({
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
      if (!written) return 'lost_claim';
      const failingSince = delivery.failingSince ?? sentAt;
      const disable = gone ? 'gone' : !ok && now.getTime() - failingSince.getTime() >= FAILING_DISABLE_MS ? 'failing' : undefined;
      if (disable) await disableEndpoint(deps, delivery, disable);
      return result;
    },
  };
}

/**
 * A 410, or five days of failures: the endpoint is disabled, with an audit event by the system.
 * Apart from the outcome's statement (disabling is rare): were the process to die between the
 * two, the next failure disables it.
 */
async function disableEndpoint(deps: Pick<DispatchDeps, 'database' | 'clock'>, delivery: ClaimedDelivery, reason: 'gone' | 'failing'): Promise<void> {
  await deps.database.db.transaction(async (tx) => {
    const [disabled] = await tx
      .update(webhooks)
      .set({ status: 'disabled', disabledReason: reason, updatedAt: deps.clock.now() })
      .where(and(eq(webhooks.id, delivery.webhookId), eq(webhooks.status, 'enabled')))
      .returning();
    if (!disabled) return;
    await recordAudit(tx, deps.clock, operator(delivery.organizationId, delivery.projectId, SYSTEM_IDENTITY), {
      action: 'webhook.disabled',
      targets: [{ type: 'webhook', id: disabled.id, name: disabled.endpoint }],
      changes: { status: { before: 'enabled', after: 'disabled' }, disabled_reason: { before: null, after: reason } },
      projectId: disabled.projectId,
    });
  });
}

/**
 * Runs one of the webhook queue's own statements (a claim, the outcomes) without waiting for its
 * commit to reach the disk: PostgreSQL's `synchronous_commit = off`, for that transaction only.
 * Safe here and only here: an event and its deliveries were committed durably with the change
 * they report; what a crash may lose is a claim or an outcome, and either only leaves the
 * delivery due again, to be sent again with the same webhook-id: at least once, as the contract
 * says. Waiting for the disk twice per delivery held a receiver to a fraction of what it could
 * take (bench/RESULTS.md). PGlite runs the prepared statement as it is.
 */
async function bookkeeping<T>(database: Database, statement: Statement): Promise<T[]> {
  if (!database.pool) return database.query<T>(statement);
  const client = await database.pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    await client.query('SET LOCAL synchronous_commit = off');
    const result = await client.query<T & QueryResultRow>({ name: statement.name, text: statement.text, values: [...statement.values] });
    await client.query('COMMIT');
    return result.rows;
  } catch (error) {
    // A connection that cannot even roll back is not given back to the pool.
    await client.query('ROLLBACK').catch((rollback: unknown) => {
      broken = rollback instanceof Error ? rollback : new Error(String(rollback));
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
