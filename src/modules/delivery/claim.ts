import type { Database } from '../../db/client.js';
import { composeStored, type Composition, type StoredComposition } from '../emails/compose.js';
import { claimCtes, type LeasedTable } from '../queue/leased-table.js';

// The first step of a delivery: claim due emails, each for one attempt, in ONE statement that
// also returns everything the attempt needs: the envelope, the message (the bytes submitted over
// SMTP, or the composition of an email sent as JSON) and the sending domain as it stands now
// (deleted or no longer verified: live mail is failed). The domain's private key is not read
// here: the worker keeps each domain's key parsed, and a digest of the key tells it whether the
// one it holds is still the domain's (signing-keys.ts). Times are the database's.

/**
 * The delivery queue is the emails table itself (see queue/leased-table.ts for why). During a
 * rolling upgrade, instances of the version before it lease an email through `locked_until`
 * (NULL otherwise): such an email is left to them until that lease runs out.
 */
export const EMAIL_QUEUE: LeasedTable = Object.freeze({
  table: 'emails',
  waiting: 'queued',
  working: 'sending',
  dueAlso: '(locked_until IS NULL OR locked_until < now())',
});

export type ClaimedDomain = Readonly<{
  id: string;
  name: string;
  status: string;
  selector: string;
  /** Changes exactly when the domain's private key does. */
  keyDigest: string;
  /** `enforced`: the relay must offer TLS. */
  tls: 'opportunistic' | 'enforced';
  openTracking: boolean;
  clickTracking: boolean;
}>;

export type ClaimedEmail = Readonly<{
  id: string;
  organizationId: string;
  mode: 'live' | 'test';
  projectId: string;
  envelopeFrom: string;
  recipients: string[];
  /** The recipients on the project's suppression list now (lower-cased): never sent to. */
  suppressed: string[];
  /** This attempt's number: the fencing token the outcome is recorded under. */
  attempts: number;
  /** The bytes submitted over SMTP, or the composition of an email sent as JSON; undefined: lost. */
  message: StoredMessage | undefined;
  /** The From domain of the organization, when the email has one and it still exists. */
  domain: ClaimedDomain | undefined;
  /** The database's time at the claim. */
  now: Date;
}>;

export type StoredMessage = { raw: Buffer } | { composed: StoredComposition };

/** The unsigned message bytes: as stored, or composed now. */
export function messageBytes(message: StoredMessage): Promise<Buffer> {
  return 'raw' in message ? Promise.resolve(message.raw) : composeStored(message.composed);
}

const RETURNING = 't.id, t.organization_id, t.project_id, t.mode, t.domain_id, t.envelope_from, t.recipients, t.attempts, t.subject, t.html, t."text", t.message_id';

// The raw message is read as base64: PGlite parses bytea results from hex in JavaScript, several
// times slower for a message with attachments. md5 of the key is a change detector, not a
// security measure: the key itself never leaves the database here.
const claimText = (byId: boolean): string => `WITH ${claimCtes(EMAIL_QUEUE, RETURNING, { byId })}
SELECT c.id, c.organization_id, c.project_id, c.mode, c.domain_id, c.envelope_from, c.recipients, c.attempts,
  c.subject, c.html, c."text", c.message_id, encode(m.raw, 'base64') AS raw, m.composition,
  d.name AS domain_name, d.status AS domain_status, d.dkim_selector, md5(d.dkim_private_key) AS key_digest,
  d.tls, d.open_tracking, d.click_tracking,
  ARRAY(SELECT s.email FROM suppressions s WHERE s.project_id = c.project_id
    AND s.email IN (SELECT lower(r) FROM unnest(c.recipients) AS r)) AS suppressed,
  now() AS now
FROM claimed c
LEFT JOIN email_messages m ON m.email_id = c.id
LEFT JOIN domains d ON d.id = c.domain_id AND d.organization_id = c.organization_id`;
const CLAIM = claimText(false);
const CLAIM_BY_ID = claimText(true);

type ClaimRow = {
  id: string;
  organization_id: string;
  project_id: string;
  mode: 'live' | 'test';
  domain_id: string | null;
  envelope_from: string;
  recipients: string[];
  attempts: number;
  subject: string;
  html: string | null;
  text: string | null;
  message_id: string;
  raw: string | null;
  composition: Composition | null;
  domain_name: string | null;
  domain_status: string | null;
  dkim_selector: string | null;
  key_digest: string | null;
  tls: 'opportunistic' | 'enforced' | null;
  open_tracking: boolean | null;
  click_tracking: boolean | null;
  suppressed: string[];
  now: Date;
};

/** Claims up to `max` due emails, each leased for `leaseSeconds` to this attempt. */
export async function claimEmails(database: Database, max: number, leaseSeconds: number): Promise<ClaimedEmail[]> {
  const rows = await database.query<ClaimRow>({ name: 'postgate_claim_emails', text: CLAIM, values: [max, leaseSeconds] });
  return rows.map(claimedEmail);
}

/** Claims the email `id` if it is due (undefined: not due, held by another attempt, or finished). */
export async function claimEmailById(database: Database, id: string, leaseSeconds: number): Promise<ClaimedEmail | undefined> {
  const [row] = await database.query<ClaimRow>({ name: 'postgate_claim_email_by_id', text: CLAIM_BY_ID, values: [1, leaseSeconds, id] });
  return row && claimedEmail(row);
}

function claimedEmail(row: ClaimRow): ClaimedEmail {
  const domain: ClaimedDomain | undefined =
    row.domain_id !== null && row.domain_name !== null
      ? {
          id: row.domain_id,
          name: row.domain_name,
          status: row.domain_status!,
          selector: row.dkim_selector!,
          keyDigest: row.key_digest!,
          tls: row.tls ?? 'opportunistic',
          openTracking: row.open_tracking === true,
          clickTracking: row.click_tracking === true,
        }
      : undefined;
  return {
    id: row.id,
    organizationId: row.organization_id,
    projectId: row.project_id,
    mode: row.mode,
    envelopeFrom: row.envelope_from,
    recipients: row.recipients,
    suppressed: row.suppressed,
    attempts: row.attempts,
    message: storedMessage(row),
    domain,
    now: row.now,
  };
}

function storedMessage(row: ClaimRow): StoredMessage | undefined {
  if (row.raw !== null) return { raw: Buffer.from(row.raw, 'base64') };
  if (row.composition === null) return undefined;
  return { composed: { composition: row.composition, subject: row.subject, html: row.html, text: row.text, messageId: row.message_id } };
}
