import type { Database } from '../../db/client.js';
import type { Clock } from '../../lib/clock.js';
import { wellFormedJson } from '../../db/json.js';
import { createBatcher, type Batcher } from '../queue/batcher.js';
import type { ClaimedEmail } from './claim.js';

// The last step: what one attempt came to, with its events (and, for captured mail, the signed
// message; for a hard bounce, the refused addresses added to the suppression list), in ONE statement, its own transaction. Outcomes recorded at the same moment share the
// statement (queue/batcher.ts). Written under the attempt number claimed: an attempt that lost its
// lease and was taken over writes nothing, so it cannot overwrite its successor's outcome. A retry
// is the same row queued again for its time: no job to add.

/** `bounced`: the recipients the relay refused for good (5xx), added to the suppression list. */
export type Outcome =
  | Readonly<{ kind: 'sent'; via: 'relay' | 'capture'; sentAt: Date; response: string; signed: Buffer; bounced: readonly string[] }>
  | Readonly<{ kind: 'soft_fail'; retryAt: Date; error: string }>
  /**
   * `bounced`: the relay refused it (5xx). `failed`: Postgate gave up (attempts, domain).
   * `suppressed`: every recipient is on the suppression list; nothing was sent.
   */
  | Readonly<{ kind: 'hard_fail'; event: 'bounced' | 'failed' | 'suppressed'; error: string; bounced: readonly string[] }>;

export type Recorder = Readonly<{
  /** False when the attempt had lost its claim and nothing was written. */
  record(email: Pick<ClaimedEmail, 'id' | 'attempts'>, outcome: Outcome): Promise<boolean>;
  drain(): Promise<void>;
}>;

const RECORD = `WITH o AS (
  SELECT * FROM json_to_recordset($1::json)
    AS r(id text, attempt int, status text, last_event text, next_attempt_at timestamptz, last_error text, captured text)
),
u AS (
  UPDATE emails e
  SET status = o.status, last_event = o.last_event, next_attempt_at = coalesce(o.next_attempt_at, e.next_attempt_at),
    locked_until = NULL, last_error = o.last_error, updated_at = now()
  FROM o
  WHERE e.id = o.id AND e.status = 'sending' AND e.attempts = o.attempt
  RETURNING e.id
),
v AS (
  INSERT INTO email_events (email_id, type, detail, created_at)
  SELECT x.email_id, x.type, x.detail, x.created_at
  FROM json_to_recordset($2::json) AS x(seq int, email_id text, type text, detail text, created_at timestamptz)
  WHERE x.email_id IN (SELECT id FROM u)
  ORDER BY x.seq
),
c AS (
  UPDATE email_messages m SET captured = decode(o.captured, 'base64')
  FROM o
  WHERE m.email_id = o.id AND o.captured IS NOT NULL AND o.id IN (SELECT id FROM u)
),
s AS (
  INSERT INTO suppressions (id, organization_id, project_id, email, origin, source_id, created_at)
  SELECT DISTINCT ON (e.project_id, lower(b.email)) postgate_new_id('sup'), e.organization_id, e.project_id, lower(b.email), 'bounce', e.id, b.created_at
  FROM json_to_recordset($3::json) AS b(email_id text, email text, created_at timestamptz)
  JOIN emails e ON e.id = b.email_id
  WHERE b.email_id IN (SELECT id FROM u)
  ON CONFLICT (project_id, email) DO NOTHING
)
SELECT id FROM u`;

type Row = { id: string; attempt: number; status: string; last_event: string; next_attempt_at: Date | null; last_error: string | null; captured: string | null };
type Event = { email_id: string; type: string; detail: string | null; created_at: Date };
type Bounce = { email_id: string; email: string; created_at: Date };
type Item = { row: Row; events: Event[]; bounced: Bounce[] };

export function createRecorder(deps: { database: Database; clock: Clock }): Recorder {
  const write = async (items: readonly Item[]): Promise<boolean[]> => {
    const events = items.flatMap((i) => i.events).map((e, seq) => ({ seq, ...e }));
    const rows = await deps.database.query<{ id: string }>({
      name: 'postgate_record_outcomes',
      text: RECORD,
      values: [wellFormedJson(items.map((i) => i.row)), wellFormedJson(events), wellFormedJson(items.flatMap((i) => i.bounced))],
    });
    const written = new Set(rows.map((r) => r.id));
    return items.map((i) => written.has(i.row.id));
  };
  const batcher: Batcher<Item, boolean> = createBatcher(write, { maxItems: 200 });
  return {
    record: (email, outcome) => batcher.add(itemOf(email, outcome, deps.clock.now())),
    drain: () => batcher.drain(),
  };
}

function itemOf(email: Pick<ClaimedEmail, 'id' | 'attempts'>, outcome: Outcome, now: Date): Item {
  const base = { id: email.id, attempt: email.attempts, next_attempt_at: null, captured: null };
  const event = (type: string, detail: string | null, at = now): Event => ({ email_id: email.id, type, detail: storable(detail), created_at: at });
  const bounced = outcome.kind === 'soft_fail' ? [] : outcome.bounced.map((address) => ({ email_id: email.id, email: address, created_at: now }));
  return { ...entryOf(email, outcome, base, event), bounced };
}

function entryOf(
  email: Pick<ClaimedEmail, 'attempts'>,
  outcome: Outcome,
  base: Pick<Row, 'id' | 'attempt' | 'next_attempt_at' | 'captured'>,
  event: (type: string, detail: string | null, at?: Date) => Event,
): Omit<Item, 'bounced'> {
  switch (outcome.kind) {
    case 'sent':
      return {
        row: { ...base, status: 'delivered', last_event: 'delivered', last_error: null, captured: outcome.via === 'capture' ? outcome.signed.toString('base64') : null },
        events: [event('sent', outcome.via === 'capture' ? 'captured by Postgate' : 'handed to the relay', outcome.sentAt), event('delivered', outcome.response)],
      };
    case 'soft_fail':
      return {
        row: { ...base, status: 'queued', last_event: 'delivery_delayed', next_attempt_at: outcome.retryAt, last_error: storable(outcome.error) },
        events: [event('delivery_delayed', `${outcome.error} (attempt ${email.attempts}; next at ${outcome.retryAt.toISOString()})`)],
      };
    case 'hard_fail':
      return {
        row: { ...base, status: outcome.event, last_event: outcome.event, last_error: storable(outcome.error) },
        events: [event(outcome.event, outcome.error)],
      };
  }
}

/** A relay's reply may carry a NUL, which PostgreSQL text cannot hold. */
function storable(text: string | null): string | null {
  return text === null ? null : text.replaceAll('\u0000', '\ufffd');
}
