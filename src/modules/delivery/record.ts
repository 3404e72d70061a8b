import type { Database } from '../../db/client.js';
import type { Clock } from '../../lib/clock.js';
import { wellFormedJson } from '../../db/json.js';
import { createBatcher, type Batcher } from '../queue/batcher.js';
import type { ClaimedEmail } from './claim.js';
import { describeRefusals, type Refusal } from './transport.js';

// The last step: what one attempt came to, with its events (and, for captured mail, the signed
// message; for a hard bounce, the refused addresses added to the suppression list), in ONE statement, its own transaction. Outcomes recorded at the same moment share the
// statement (queue/batcher.ts). Written under the attempt number claimed: an attempt that lost its
// lease and was taken over writes nothing, so it cannot overwrite its successor's outcome. A retry
// is the same row queued again for its time: no job to add.

/**
 * What every outcome may carry: `bounced`, recipients the relay refused for good (5xx), added to
 * the suppression list when the refusal blames their mailbox; `skipped`, recipients left out
 * because they are on it already.
 */
type Refusals = Readonly<{ bounced: readonly Refusal[]; skipped?: readonly string[] }>;

/** Tried again at `retryAt`, to `recipients` alone when only some were refused for now. */
type Retry = Readonly<{ kind: 'soft_fail'; retryAt: Date; error: string; recipients?: readonly string[] | undefined }>;

/**
 * `bounced`: the relay refused it (5xx). `failed`: Postgate gave up (attempts, domain, TLS).
 * `suppressed`: every recipient is on the suppression list; nothing was sent.
 */
type Final = Readonly<{ kind: 'hard_fail'; event: 'bounced' | 'failed' | 'suppressed'; error: string }>;

export type Outcome = Refusals &
  (
    | Readonly<{
        kind: 'sent';
        via: 'relay' | 'capture';
        sentAt: Date;
        response: string;
        signed: Buffer;
        /** Some recipients were refused for now: what becomes of the email for them. */
        then?: Refusals & (Retry | Final);
      }>
    | Retry
    | Final
  );

export type Recorder = Readonly<{
  /** False when the attempt had lost its claim and nothing was written. */
  record(email: Pick<ClaimedEmail, 'id' | 'attempts'>, outcome: Outcome): Promise<boolean>;
  drain(): Promise<void>;
}>;

const RECORD = `WITH o AS (
  SELECT * FROM json_to_recordset($1::json)
    AS r(id text, attempt int, status text, last_event text, next_attempt_at timestamptz, last_error text, captured text, recipients text[])
),
u AS (
  UPDATE emails e
  SET status = o.status, last_event = o.last_event, next_attempt_at = coalesce(o.next_attempt_at, e.next_attempt_at),
    locked_until = NULL, last_error = o.last_error, recipients = coalesce(o.recipients, e.recipients), updated_at = now()
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

/** `recipients`: the envelope of the next attempt, when narrowed to those refused for now (else kept). */
type Row = {
  id: string;
  attempt: number;
  status: string;
  last_event: string;
  next_attempt_at: Date | null;
  last_error: string | null;
  captured: string | null;
  recipients: readonly string[] | null;
};
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
  const event = (type: string, detail: string | null, at = now): Event => ({ email_id: email.id, type, detail: storable(detail), created_at: at });
  const row = (fields: Pick<Row, 'status' | 'last_event'> & Partial<Row>): Row => ({ id: email.id, attempt: email.attempts, next_attempt_at: null, last_error: null, captured: null, recipients: null, ...fields });
  const refusals = [outcome, ...(outcome.kind === 'sent' && outcome.then ? [outcome.then] : [])];
  const skipped = refusals.flatMap((r) => r.skipped ?? []);
  const bounced = refusals.flatMap((r) => r.bounced);
  // The history, in order: who was left out, what was sent, who refused it for good, then the verdict.
  const left = skipped.length > 0 ? [event('suppressed', `not sent to ${skipped.join(', ')}: on the suppression list`)] : [];
  const bounce = bounced.length > 0 && !(outcome.kind === 'hard_fail' && outcome.event === 'bounced') ? [event('bounced', `refused for good: ${describeRefusals(bounced)}`)] : [];
  const entry = ((): Omit<Item, 'bounced'> => {
    switch (outcome.kind) {
      case 'sent': {
        const sent = [event('sent', outcome.via === 'capture' ? 'captured by Postgate' : 'handed to the relay', outcome.sentAt), ...bounce, event('delivered', outcome.response)];
        if (!outcome.then) {
          const captured = outcome.via === 'capture' ? outcome.signed.toString('base64') : null;
          return { row: row({ status: 'delivered', last_event: 'delivered', captured }), events: [...left, ...sent] };
        }
        const then = verdict(email, outcome.then, event, row);
        return { row: then.row, events: [...left, ...sent, ...then.events] };
      }
      case 'soft_fail':
      case 'hard_fail': {
        const then = verdict(email, outcome, event, row);
        return { row: then.row, events: [...left, ...bounce, ...then.events] };
      }
    }
  })();
  // Suppressed: those the relay refused for their own sake, not for the sender's or the relay's.
  const suppressed = bounced.filter((r) => r.mailbox);
  return { ...entry, bounced: suppressed.map((r) => ({ email_id: email.id, email: r.recipient, created_at: now })) };
}

/** A retry or a final failure: the email's row and its one event. */
function verdict(
  email: Pick<ClaimedEmail, 'attempts'>,
  outcome: Retry | Final,
  event: (type: string, detail: string | null) => Event,
  row: (fields: Pick<Row, 'status' | 'last_event'> & Partial<Row>) => Row,
): Omit<Item, 'bounced'> {
  if (outcome.kind === 'hard_fail') {
    return { row: row({ status: outcome.event, last_event: outcome.event, last_error: storable(outcome.error) }), events: [event(outcome.event, outcome.error)] };
  }
  return {
    row: row({ status: 'queued', last_event: 'delivery_delayed', next_attempt_at: outcome.retryAt, last_error: storable(outcome.error), recipients: outcome.recipients ?? null }),
    events: [event('delivery_delayed', `${outcome.error} (attempt ${email.attempts}; next at ${outcome.retryAt.toISOString()})`)],
  };
}

/** A relay's reply may carry a NUL, which PostgreSQL text cannot hold. */
function storable(text: string | null): string | null {
  return text === null ? null : text.replaceAll('\u0000', '\ufffd');
}
