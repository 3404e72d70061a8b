import { createHash } from 'node:crypto';
import { and, eq, lt } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { idempotencyKeys } from '../../db/schema.js';
import { AppError } from '../../lib/errors.js';

// Idempotency-Key, per organization, for 24 hours (Stripe's rules, which Resend follows):
// the same key and payload replays the first answer and creates nothing; another payload is
// 409 invalid_idempotent_request; a key whose first request is still running is 409
// concurrent_idempotent_requests. The key row is written by the statement that stores the
// emails (insert-statement.ts), so a key exists exactly when its emails do.
//
// Concurrency: a second request with a key this instance is still accepting is refused at once
// (group-commit.ts); across instances the key's unique index decides, and the request that lost
// answers with what the winner stored (accept.ts).

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export type IdempotencyRequest = Readonly<{ organizationId: string; key: string; requestHash: string }>;

/** SHA-256 of the request: what it is (`kind`) and its body with object keys sorted. */
export function requestHash(kind: string, body: unknown): string {
  return createHash('sha256').update(kind).update('\n').update(canonicalJson(body)).digest('hex');
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

type Stored = { requestHash: string; response: unknown; createdAt: Date };

async function stored(db: Db, request: IdempotencyRequest): Promise<Stored | undefined> {
  const [row] = await db
    .select({ requestHash: idempotencyKeys.requestHash, response: idempotencyKeys.response, createdAt: idempotencyKeys.createdAt })
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.organizationId, request.organizationId), eq(idempotencyKeys.key, request.key)))
    .limit(1);
  return row;
}

function answer(found: Stored, request: IdempotencyRequest): unknown {
  if (found.requestHash !== request.requestHash) {
    throw new AppError('invalid_idempotent_request', 'This Idempotency-Key was already used with a different request body');
  }
  return found.response;
}

const isFresh = (found: Stored, now: Date): boolean => now.getTime() - found.createdAt.getTime() < IDEMPOTENCY_TTL_MS;

/** Before any work: the stored answer for a key already used (throws when the body differs). */
export async function findReplay(db: Db, request: IdempotencyRequest, now: Date): Promise<{ response: unknown } | undefined> {
  const found = await stored(db, request);
  return found && isFresh(found, now) ? { response: answer(found, request) } : undefined;
}

/** Deletes keys older than 24 hours; returns how many. */
export async function pruneIdempotencyKeys(db: Db, now: Date): Promise<number> {
  const deleted = await db
    .delete(idempotencyKeys)
    .where(lt(idempotencyKeys.createdAt, new Date(now.getTime() - IDEMPOTENCY_TTL_MS)))
    .returning({ key: idempotencyKeys.key });
  return deleted.length;
}

/** Another request with this key is being accepted: retry shortly (it will be replayed). */
export function concurrentIdempotentRequest(): AppError {
  return new AppError('concurrent_idempotent_requests', 'A request with this Idempotency-Key is still being processed; retry shortly');
}
