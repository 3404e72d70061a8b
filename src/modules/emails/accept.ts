import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { emailEvents, emailMessages, emails } from '../../db/schema.js';
import type { Clock } from '../../lib/clock.js';
import type { EmailQueue } from '../delivery/queue.js';
import type { Composition } from './compose.js';
import type { Intake } from './group-commit.js';
import { claimKey, findReplay, storeKey, type IdempotencyRequest } from './idempotency.js';

// Durable acceptance: the email rows, their messages, their `queued` events, their delivery jobs
// and the Idempotency-Key's answer commit in ONE transaction, before the caller answers 200.
// A crash before the commit leaves nothing; after it, the jobs are in the database for any
// worker to find. Without a key, the transaction is a group commit shared with the acceptances
// waiting at the same moment (group-commit.ts); with one, it is this request's own, since the
// key's claim decides between storing and replaying.

export type AcceptDeps = Readonly<{ db: Db; clock: Clock; queue: EmailQueue; intake: Intake }>;

/**
 * One email ready to store: its row (without the delivery columns) and its message: the bytes
 * submitted over SMTP, or, for an email sent as JSON, what composing it at delivery needs.
 */
export type NewEmail = Readonly<{
  row: Omit<typeof emails.$inferInsert, 'status' | 'lastEvent' | 'attempts' | 'nextAttemptAt' | 'lockedUntil' | 'lastError' | 'updatedAt'>;
  message: { raw: Buffer; composition?: undefined } | { raw?: undefined; composition: Composition };
}>;

/** About the bytes an email adds to a group's statement (bodies, attachments, raw message). */
export function approximateBytes({ row, message }: NewEmail): number {
  const attachments = message.composition?.attachments.reduce((sum, a) => sum + a.content.length, 0) ?? 0;
  return (message.raw?.length ?? 0) + attachments + (row.html?.length ?? 0) + (row.text?.length ?? 0);
}

/** Stores the emails and returns `response`, or the answer first given for the same Idempotency-Key. */
export async function acceptEmails<T>(deps: AcceptDeps, batch: readonly NewEmail[], response: T, idempotency?: IdempotencyRequest): Promise<T> {
  if (!idempotency) {
    await deps.intake.accept(batch);
    return response;
  }
  const now = deps.clock.now();
  const result = await deps.db.transaction(async (tx) => {
    const claimed = await claimKey(tx, idempotency, now);
    if (claimed) return { replayed: true, response: claimed.replay as T };
    await tx.insert(emails).values(
      batch.map(({ row }) => ({
        status: 'queued' as const,
        lastEvent: 'queued' as const,
        attempts: 0,
        // Due at the database's now (or the schedule): the clock the claim and pg-boss read.
        nextAttemptAt: row.scheduledAt ?? sql`now()`,
        updatedAt: now,
        // Last: a leading spread costs a new hidden class per property after it on Node 20.
        ...row,
      })),
    );
    await tx.insert(emailMessages).values(batch.map(({ row, message }) => ({ emailId: row.id, raw: message.raw ?? null, composition: message.composition ?? null })));
    await tx.insert(emailEvents).values(batch.map(({ row }) => ({ emailId: row.id, type: 'queued' as const, detail: null, createdAt: now })));
    await deps.queue.enqueue(
      tx,
      batch.map(({ row }) => ({ emailId: row.id, startAfter: row.scheduledAt ?? undefined })),
    );
    await storeKey(tx, idempotency, response, now);
    return { replayed: false, response };
  });
  // Committed: this process's worker (if any) need not wait for its next poll.
  if (!result.replayed) deps.queue.wake();
  return result.response;
}

/** The answer already given for this Idempotency-Key, checked before any work (409 on another body). */
export async function earlierAnswer<T>(deps: AcceptDeps, idempotency: IdempotencyRequest | undefined): Promise<T | undefined> {
  if (!idempotency) return undefined;
  const found = await findReplay(deps.db, idempotency, deps.clock.now());
  return found?.response as T | undefined;
}
