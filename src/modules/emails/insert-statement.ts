import { createHash } from 'node:crypto';
import type { SqlStatement } from '../delivery/queue.js';
import type { NewEmail } from './accept.js';

// The whole acceptance of a group of emails as ONE statement: the email rows, their messages,
// their `queued` events and their pg-boss jobs, as data-modifying CTEs over one JSON parameter.
// A statement outside a transaction block is its own transaction, so the group commits (one
// fsync) or leaves nothing, in one round trip. The text never changes, so PostgreSQL prepares it
// once per connection; per email, the only work left here is one object and its JSON.
//
// The foreign keys of email_messages and email_events on emails hold: their checks run at the
// end of the statement, when the CTE's rows are there.

const ROW_SHAPE = `
  id text, organization_id text, project_id text, api_key_id text, domain_id text, mode text, source text,
  from_address text, to_addresses text[], cc_addresses text[], bcc_addresses text[], reply_to text[],
  subject text, html text, "text" text, tags jsonb, message_id text, envelope_from text, recipients text[],
  scheduled_at timestamptz, created_at timestamptz, raw text, composition jsonb`;

function statementText(pgBossInsert: string): string {
  // pg-boss's statement takes $1..$n; here they follow the rows' $1.
  const jobsText = pgBossInsert.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + 1}`);
  return `
WITH x AS (SELECT * FROM json_to_recordset($1::json) AS r(${ROW_SHAPE})),
e AS (
  INSERT INTO emails (id, organization_id, project_id, api_key_id, domain_id, mode, source, from_address,
    to_addresses, cc_addresses, bcc_addresses, reply_to, subject, html, "text", tags, message_id, envelope_from,
    recipients, status, last_event, attempts, next_attempt_at, scheduled_at, created_at, updated_at)
  SELECT id, organization_id, project_id, api_key_id, domain_id, mode, source, from_address,
    to_addresses, cc_addresses, bcc_addresses, reply_to, subject, html, "text", tags, message_id, envelope_from,
    recipients, 'queued', 'queued', 0, coalesce(scheduled_at, now()), scheduled_at, created_at, created_at
  FROM x
),
m AS (INSERT INTO email_messages (email_id, raw, composition) SELECT id, decode(raw, 'base64'), composition FROM x),
v AS (INSERT INTO email_events (email_id, type, detail, created_at) SELECT id, 'queued', NULL, created_at FROM x),
j AS (${jobsText})
SELECT count(*)::int AS n FROM x`;
}

/** The row of one email as the statement's JSON reads it (due at the database's now, or its schedule). */
function rowOf({ row, message }: NewEmail): Record<string, unknown> {
  return {
    id: row.id,
    organization_id: row.organizationId,
    project_id: row.projectId,
    api_key_id: row.apiKeyId ?? null,
    domain_id: row.domainId ?? null,
    mode: row.mode,
    source: row.source,
    from_address: row.fromAddress,
    to_addresses: row.toAddresses,
    cc_addresses: row.ccAddresses,
    bcc_addresses: row.bccAddresses,
    reply_to: row.replyTo,
    subject: row.subject,
    html: row.html ?? null,
    text: row.text ?? null,
    tags: row.tags,
    message_id: row.messageId,
    envelope_from: row.envelopeFrom,
    recipients: row.recipients,
    scheduled_at: row.scheduledAt ?? null,
    created_at: row.createdAt ?? new Date(),
    raw: message.raw?.toString('base64') ?? null,
    composition: message.composition ?? null,
  };
}

/** Builds the statement for `emails`, given pg-boss's INSERT of their jobs. */
export function acceptanceStatement(emails: readonly NewEmail[], jobs: SqlStatement): SqlStatement & { name: string } {
  const { text, name } = prepared(jobs.text);
  return { name, text, values: [wellFormedJson(emails.map(rowOf)), ...jobs.values] };
}

// JSON.stringify writes a lone surrogate (a JSON body may carry one) as a \udXXX escape, which
// PostgreSQL's json refuses; as a plain text parameter it became U+FFFD. The same here.
const LONE_SURROGATE = /(?<!\\)((?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/g;

function wellFormedJson(value: unknown): string {
  const json = JSON.stringify(value);
  return json.includes('\\ud') ? json.replace(LONE_SURROGATE, '$1\\ufffd') : json;
}

// pg-boss's text is one constant string, so this is built once (a pure function's memo).
let last: { jobsText: string; text: string; name: string } | undefined;

function prepared(jobsText: string): { text: string; name: string } {
  if (last?.jobsText !== jobsText) {
    const text = statementText(jobsText);
    last = { jobsText, text, name: `postgate_accept_${createHash('sha256').update(text).digest('hex').slice(0, 16)}` };
  }
  return last;
}
