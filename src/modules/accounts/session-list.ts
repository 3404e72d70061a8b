import { and, asc, eq, gt, ne } from 'drizzle-orm';
import { sessions } from '../../db/schema.js';
import { notFound } from '../../lib/errors.js';
import { sha256Hex } from './secrets.js';
import type { AccountDeps } from './users.js';

// The sessions page: a user's own live sessions, and revoking them. A session is named by a
// reference derived from its stored hash under a label of its own: the page never shows the
// hash the sessions table is keyed by, and a reference cannot be turned back into anything.

export type SessionSummary = {
  object: 'session_summary';
  id: string;
  created_at: string;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
  /** The session this request was made with. */
  current: boolean;
};

/** The public name of a session on the sessions page (from its stored hash). */
export function referenceOf(idHash: string): string {
  return `ses_${sha256Hex(`postgate-session-ref\0${idHash}`).slice(0, 32)}`;
}

export async function listUserSessions(deps: AccountDeps, userId: string, currentSessionId: string): Promise<SessionSummary[]> {
  const current = sha256Hex(currentSessionId);
  const rows = await deps.db
    .select()
    .from(sessions)
    .where(and(eq(sessions.userId, userId), gt(sessions.expiresAt, deps.clock.now())))
    .orderBy(asc(sessions.createdAt));
  return rows.map((row) => ({
    object: 'session_summary',
    id: referenceOf(row.idHash),
    created_at: row.createdAt.toISOString(),
    expires_at: row.expiresAt.toISOString(),
    ip: row.ip,
    user_agent: row.userAgent,
    current: row.idHash === current,
  }));
}

/** Ends one of the user's sessions by its reference; another user's (or an unknown) one is 404. */
export async function revokeUserSession(deps: AccountDeps, userId: string, reference: string): Promise<{ object: 'session_summary'; id: string; deleted: true }> {
  const rows = await deps.db.select({ idHash: sessions.idHash }).from(sessions).where(eq(sessions.userId, userId));
  const target = rows.find((row) => referenceOf(row.idHash) === reference);
  if (!target) throw notFound('Session');
  await deps.db.delete(sessions).where(and(eq(sessions.userId, userId), eq(sessions.idHash, target.idHash)));
  return { object: 'session_summary', id: reference, deleted: true };
}

/** "Sign out everywhere else": every session of the user but this one ends. */
export async function revokeOtherSessions(deps: AccountDeps, userId: string, currentSessionId: string): Promise<{ revoked: number }> {
  const ended = await deps.db
    .delete(sessions)
    .where(and(eq(sessions.userId, userId), ne(sessions.idHash, sha256Hex(currentSessionId))))
    .returning({ idHash: sessions.idHash });
  return { revoked: ended.length };
}
