import type { Statement } from '../../db/client.js';
import { wellFormedJson } from '../../db/json.js';
import type { NewEmail } from './accept.js';
import { IDEMPOTENCY_TTL_MS, type IdempotencyRequest } from './idempotency.js';

// The whole acceptance of a group of emails as ONE statement: the Idempotency-Keys, the email rows
// (each queued for delivery by its own status and next_attempt_at: the row is its place in the
// queue), their messages and their `queued` events, as data-modifying CTEs over two JSON
// parameters. A statement outside a transaction block is its own transaction, so the group
// commits (one fsync) or leaves nothing, in one round trip.
//
// An acceptance with an Idempotency-Key stores its emails only if its key was stored: a key is
// inserted, or takes the place of one older than 24 hours; a key held by another request (another
// instance's, committed or committing) stores nothing, and the statement returns the keys it
// stored, so the caller knows which acceptances lost theirs (accept.ts answers them from the
// winner's stored answer). One acceptance path with and without a key.
//
// The foreign keys of email_messages and email_events on emails hold: their checks run at the
// end of the statement, when the CTE's rows are there.

const ROW_SHAPE = `
  id text, organization_id text, project_id text, api_key_id text, domain_id text, mode text, source text,
  from_address text, to_addresses text[], cc_addresses text[], bcc_addresses text[], reply_to text[],
  subject text, html text, "text" text, tags jsonb, message_id text, envelope_from text, recipients text[],
  scheduled_at timestamptz, created_at timestamptz, template_id text, template_variables jsonb, topic_id text,
  raw text, composition jsonb, idempotency_key text`;

const TEXT = `
WITH x AS (SELECT * FROM json_to_recordset($1::json) AS r(${ROW_SHAPE})),
k AS (
  INSERT INTO idempotency_keys (organization_id, key, request_hash, response, created_at)
  SELECT organization_id, key, request_hash, response, created_at
  FROM json_to_recordset($2::json) AS r(organization_id text, key text, request_hash text, response jsonb, created_at timestamptz)
  ON CONFLICT (organization_id, key) DO UPDATE
    SET request_hash = excluded.request_hash, response = excluded.response, created_at = excluded.created_at
    WHERE idempotency_keys.created_at <= excluded.created_at - make_interval(secs => ${IDEMPOTENCY_TTL_MS / 1000})
  RETURNING organization_id, key
),
ok AS (
  SELECT x.* FROM x
  WHERE x.idempotency_key IS NULL OR EXISTS (SELECT 1 FROM k WHERE k.organization_id = x.organization_id AND k.key = x.idempotency_key)
),
e AS (
  INSERT INTO emails (id, organization_id, project_id, api_key_id, domain_id, mode, source, from_address,
    to_addresses, cc_addresses, bcc_addresses, reply_to, subject, html, "text", tags, message_id, envelope_from,
    recipients, status, last_event, attempts, next_attempt_at, scheduled_at, created_at, updated_at,
    template_id, template_variables, topic_id)
  SELECT id, organization_id, project_id, api_key_id, domain_id, mode, source, from_address,
    to_addresses, cc_addresses, bcc_addresses, reply_to, subject, html, "text", tags, message_id, envelope_from,
    recipients, 'queued', 'queued', 0, coalesce(scheduled_at, now()), scheduled_at, created_at, created_at,
    template_id, template_variables, topic_id
  FROM ok
),
m AS (INSERT INTO email_messages (email_id, raw, composition) SELECT id, decode(raw, 'base64'), composition FROM ok),
v AS (INSERT INTO email_events (email_id, type, detail, created_at) SELECT id, 'queued', NULL, created_at FROM ok)
SELECT organization_id, key FROM k`;

/** One acceptance: its emails, all or none, and the Idempotency-Key that must be stored first. */
export type Acceptance = Readonly<{ emails: readonly NewEmail[]; key: StoredKey | undefined }>;

/** An Idempotency-Key with the answer to replay for it, as of `at`. */
export type StoredKey = Readonly<{ request: IdempotencyRequest; response: unknown; at: Date }>;

/** The statement for these acceptances; it returns the (organization_id, key) of the keys it stored. */
export function acceptanceStatement(acceptances: readonly Acceptance[]): Statement {
  const rows: Record<string, unknown>[] = [];
  const keys: Record<string, unknown>[] = [];
  for (const { emails, key } of acceptances) {
    for (const email of emails) rows.push(rowOf(email, key?.request.key ?? null));
    if (key) {
      const { organizationId, key: name, requestHash } = key.request;
      keys.push({ organization_id: organizationId, key: name, request_hash: requestHash, response: key.response, created_at: key.at });
    }
  }
  return { name: 'postgate_accept_emails', text: TEXT, values: [wellFormedJson(rows), wellFormedJson(keys)] };
}

/** The row of one email as the statement's JSON reads it (due at the database's now, or its schedule). */
function rowOf({ row, message }: NewEmail, idempotencyKey: string | null): Record<string, unknown> {
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
    created_at: row.createdAt,
    template_id: row.templateId ?? null,
    template_variables: row.templateVariables ?? null,
    topic_id: row.topicId ?? null,
    raw: message.raw?.toString('base64') ?? null,
    composition: message.composition ?? null,
    idempotency_key: idempotencyKey,
  };
}
