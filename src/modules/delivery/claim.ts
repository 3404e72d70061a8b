import { and, eq, lt, lte, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { emailMessages, emails } from '../../db/schema.js';
import { composeStored, type StoredComposition } from '../emails/compose.js';
import { bytesOrNullOf } from './sql.js';

// The first step of a delivery: claim the email for one attempt. The claim is one conditional
// UPDATE, so of two workers holding jobs for the same email (a job retried by pg-boss after a
// crash, beside the one scheduled for the retry) exactly one attempts it. Times are the
// database's, the clock pg-boss schedules jobs by.

export type ClaimedEmail = Readonly<{
  id: string;
  organizationId: string;
  mode: 'live' | 'test';
  domainId: string | null;
  envelopeFrom: string;
  recipients: string[];
  /** This attempt's number: the fencing token the outcome is recorded under. */
  attempts: number;
  /** The bytes submitted over SMTP, or the composition of an email sent as JSON. */
  message: StoredMessage;
  /** The database's time at the claim. */
  now: Date;
}>;

export type StoredMessage = { raw: Buffer } | { composed: StoredComposition };

/** The unsigned message bytes: as stored, or composed now. */
export function messageBytes(message: StoredMessage): Promise<Buffer> {
  return 'raw' in message ? Promise.resolve(message.raw) : composeStored(message.composed);
}

export type Claim =
  | { kind: 'claimed'; email: ClaimedEmail }
  /** Delivered, bounced, failed or gone: the job has nothing left to do. */
  | { kind: 'finished' }
  /** Not due yet: the job scheduled for its next attempt will come. */
  | { kind: 'not_due' }
  /** Another attempt holds it until `until`; if that attempt died, a check then takes over. */
  | { kind: 'held'; until: Date };

export async function claimEmail(db: Db, emailId: string, leaseSeconds: number): Promise<Claim> {
  const now = sql`now()`;
  const [row] = await db
    .update(emails)
    .set({
      status: 'sending',
      attempts: sql`${emails.attempts} + 1`,
      lockedUntil: sql`now() + make_interval(secs => ${leaseSeconds})`,
      updatedAt: now,
    })
    .where(
      and(
        eq(emails.id, emailId),
        or(
          and(eq(emails.status, 'queued'), lte(emails.nextAttemptAt, now)),
          // The attempt holding it outlived its lease: its worker is gone.
          and(eq(emails.status, 'sending'), lt(emails.lockedUntil, now)),
        ),
      ),
    )
    .returning({
      id: emails.id,
      organizationId: emails.organizationId,
      mode: emails.mode,
      domainId: emails.domainId,
      envelopeFrom: emails.envelopeFrom,
      recipients: emails.recipients,
      attempts: emails.attempts,
      subject: emails.subject,
      html: emails.html,
      text: emails.text,
      messageId: emails.messageId,
      now: sql`now()`.mapWith(emails.nextAttemptAt),
    });
  if (!row) return whyNotClaimed(db, emailId);
  const [stored] = await db
    .select({ raw: bytesOrNullOf(emailMessages.raw), composition: emailMessages.composition })
    .from(emailMessages)
    .where(eq(emailMessages.emailId, emailId))
    .limit(1);
  const { subject, html, text, messageId, ...claimed } = row;
  let message: StoredMessage;
  if (stored?.raw) message = { raw: stored.raw };
  else if (stored?.composition) message = { composed: { composition: stored.composition, subject, html, text, messageId } };
  else throw new Error(`email ${emailId} has no message`);
  // The spread last: on Node 20 a property after a leading spread makes a new hidden class each time.
  return { kind: 'claimed', email: { message, ...claimed } };
}

async function whyNotClaimed(db: Db, emailId: string): Promise<Claim> {
  const [row] = await db
    .select({ status: emails.status, lockedUntil: emails.lockedUntil })
    .from(emails)
    .where(eq(emails.id, emailId))
    .limit(1);
  if (!row || row.status === 'delivered' || row.status === 'bounced' || row.status === 'failed') return { kind: 'finished' };
  if (row.status === 'sending' && row.lockedUntil) return { kind: 'held', until: row.lockedUntil };
  return { kind: 'not_due' };
}
