import type { Db } from '../../db/client.js';
import type { emails } from '../../db/schema.js';
import type { Clock } from '../../lib/clock.js';
import type { Wakeup } from '../queue/wakeup.js';
import type { Composition } from './compose.js';
import type { Intake } from './group-commit.js';
import { concurrentIdempotentRequest, findReplay, type IdempotencyRequest } from './idempotency.js';

// Durable acceptance, with or without an Idempotency-Key: the email rows (each its own entry in
// the delivery queue), their messages, their `queued` events and the key's answer commit in ONE
// statement, shared with the acceptances waiting at the same moment (group-commit.ts), before
// the caller answers 200. A crash before the commit leaves nothing; after it, the emails are due
// in the database for any worker to find.

export type AcceptDeps = Readonly<{
  db: Db;
  clock: Clock;
  /** Told when emails were committed, so this process's worker starts on them at once. */
  queue: Wakeup;
  intake: Intake;
}>;

/**
 * One email ready to store: its row (without the delivery columns) and its message: the bytes
 * submitted over SMTP, or, for an email sent as JSON, what composing it at delivery needs.
 */
export type NewEmail = Readonly<{
  row: Omit<typeof emails.$inferInsert, 'status' | 'lastEvent' | 'attempts' | 'nextAttemptAt' | 'lockedUntil' | 'lastError' | 'updatedAt' | 'createdAt'> & { createdAt: Date };
  message: { raw: Buffer; composition?: undefined } | { raw?: undefined; composition: Composition };
}>;

/** About the bytes an email adds to a group's statement (bodies, attachments, raw message). */
export function approximateBytes({ row, message }: NewEmail): number {
  const attachments = message.composition?.attachments.reduce((sum, a) => sum + a.content.length, 0) ?? 0;
  return (message.raw?.length ?? 0) + attachments + (row.html?.length ?? 0) + (row.text?.length ?? 0);
}

/** Stores the emails and returns `response`, or the answer first given for the same Idempotency-Key. */
export async function acceptEmails<T>(deps: AcceptDeps, batch: readonly NewEmail[], response: T, idempotency?: IdempotencyRequest): Promise<T> {
  const now = deps.clock.now();
  const accepted = await deps.intake.accept(batch, idempotency && { request: idempotency, response, at: now });
  if (accepted === 'stored') {
    deps.queue.wake();
    return response;
  }
  // Another request (another instance's) stored this key first: its answer, or 409 for another body.
  const replay = await findReplay(deps.db, idempotency!, now);
  if (!replay) throw concurrentIdempotentRequest();
  return replay.response as T;
}

/** The answer already given for this Idempotency-Key, checked before any work (409 on another body). */
export async function earlierAnswer<T>(deps: AcceptDeps, idempotency: IdempotencyRequest | undefined): Promise<T | undefined> {
  if (!idempotency) return undefined;
  const found = await findReplay(deps.db, idempotency, deps.clock.now());
  return found?.response as T | undefined;
}
