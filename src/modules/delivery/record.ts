import { and, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { emailEvents, emailMessages, emails } from '../../db/schema.js';
import type { Clock } from '../../lib/clock.js';
import type { ClaimedEmail } from './claim.js';
import type { EmailQueue } from './queue.js';

// The last step: what one attempt came to, written in one transaction with its events (and, for
// a retry, the job that will make it). Written under the attempt number claimed, so an attempt
// that outlived its lease and was taken over cannot overwrite its successor's outcome.

export type Outcome =
  | Readonly<{ kind: 'sent'; via: 'relay' | 'capture'; sentAt: Date; response: string; signed: Buffer }>
  | Readonly<{ kind: 'soft_fail'; retryAt: Date; error: string }>
  /** `bounced`: the relay refused it (5xx). `failed`: Postgate gave up (attempts, domain). */
  | Readonly<{ kind: 'hard_fail'; event: 'bounced' | 'failed'; error: string }>;

export type RecordDeps = Readonly<{ db: Db; clock: Clock; queue: EmailQueue }>;

/** False when the attempt had lost its claim and nothing was written. */
export async function recordOutcome(deps: RecordDeps, email: ClaimedEmail, outcome: Outcome): Promise<boolean> {
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const mine = and(eq(emails.id, email.id), eq(emails.status, 'sending'), eq(emails.attempts, email.attempts));
    switch (outcome.kind) {
      case 'sent': {
        const updated = await tx
          .update(emails)
          .set({ status: 'delivered', lastEvent: 'delivered', lockedUntil: null, lastError: null, updatedAt: now })
          .where(mine)
          .returning({ id: emails.id });
        if (updated.length === 0) return false;
        await tx.insert(emailEvents).values([
          { emailId: email.id, type: 'sent', detail: outcome.via === 'capture' ? 'captured by Postgate' : 'handed to the relay', createdAt: outcome.sentAt },
          { emailId: email.id, type: 'delivered', detail: outcome.response, createdAt: now },
        ]);
        if (outcome.via === 'capture') {
          await tx.update(emailMessages).set({ captured: outcome.signed }).where(eq(emailMessages.emailId, email.id));
        }
        return true;
      }
      case 'soft_fail': {
        const updated = await tx
          .update(emails)
          .set({ status: 'queued', lastEvent: 'delivery_delayed', nextAttemptAt: outcome.retryAt, lockedUntil: null, lastError: outcome.error, updatedAt: now })
          .where(mine)
          .returning({ id: emails.id });
        if (updated.length === 0) return false;
        const detail = `${outcome.error} (attempt ${email.attempts}; next at ${outcome.retryAt.toISOString()})`;
        await tx.insert(emailEvents).values({ emailId: email.id, type: 'delivery_delayed', detail, createdAt: now });
        await deps.queue.enqueue(tx, [{ emailId: email.id, startAfter: outcome.retryAt }]);
        return true;
      }
      case 'hard_fail': {
        const updated = await tx
          .update(emails)
          .set({ status: outcome.event, lastEvent: outcome.event, lockedUntil: null, lastError: outcome.error, updatedAt: now })
          .where(mine)
          .returning({ id: emails.id });
        if (updated.length === 0) return false;
        await tx.insert(emailEvents).values({ emailId: email.id, type: outcome.event, detail: outcome.error, createdAt: now });
        return true;
      }
    }
  });
}
