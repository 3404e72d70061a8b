import { and, eq, isNull, lte, or, sql } from 'drizzle-orm';
import type { Plan } from '../../config/config.js';
import { organizations, projects, sessions, users } from '../../db/schema.js';
import { notFound } from '../../lib/errors.js';
import type { MemberRole } from '../team/roles.js';
import type { AccountDeps } from './users.js';
import { csrfTokenFor, randomSecret, sha256Hex } from './secrets.js';

// Server-side dashboard sessions. The random id travels only in the HttpOnly cookie; the database
// holds its SHA-256, so a leaked table (or backup) opens no session.

/** Absolute lifetime of a session: sign in again after it, however active the user was. */
export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

const SESSION_ID_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** Who a valid session belongs to: enough to build an Actor and to show the header. */
export type DashboardSession = Readonly<{
  userId: string;
  email: string;
  /** Read with the session on every request, so a role change applies to the very next one. */
  role: MemberRole;
  twoFactorEnabled: boolean;
  organizationId: string;
  organizationName: string;
  plan: Plan;
  projectId: string;
  expiresAt: Date;
}>;

export type StartedSession = Readonly<{ sessionId: string; csrfToken: string; expiresAt: Date }>;

/** Where the sign-in came from, shown on the sessions page so a user can tell sessions apart. */
export type SessionOrigin = Readonly<{ ip: string | null; userAgent: string | null }>;

/**
 * A new session for the user. `replacing` (the id the browser held before signing in) is ended:
 * the id changes at every sign-in, so a planted id can never become a signed-in one.
 */
export async function startSession(
  deps: AccountDeps,
  userId: string,
  replacing?: string,
  origin: SessionOrigin = { ip: null, userAgent: null },
): Promise<StartedSession> {
  const now = deps.clock.now();
  const sessionId = randomSecret();
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
  await deps.db.transaction(async (tx) => {
    if (replacing) await tx.delete(sessions).where(eq(sessions.idHash, sha256Hex(replacing)));
    // Housekeeping: the user's expired sessions go when a new one starts.
    await tx.delete(sessions).where(and(eq(sessions.userId, userId), lte(sessions.expiresAt, now)));
    await tx.insert(sessions).values({ idHash: sha256Hex(sessionId), userId, expiresAt, createdAt: now, ip: origin.ip, userAgent: origin.userAgent });
  });
  return { sessionId, csrfToken: csrfTokenFor(sessionId), expiresAt };
}

/** The live session of this id, or undefined (unknown, malformed, expired or signed out). */
export async function resolveSession(deps: AccountDeps, sessionId: string): Promise<DashboardSession | undefined> {
  if (!SESSION_ID_SHAPE.test(sessionId)) return undefined;
  const idHash = sha256Hex(sessionId);
  const [row] = await deps.db
    .select({
      userId: users.id,
      email: users.email,
      role: users.role,
      twoFactorEnabled: sql<boolean>`${users.totpEnabledAt} is not null`,
      organizationId: organizations.id,
      organizationName: organizations.name,
      plan: organizations.plan,
      projectId: projects.id,
      expiresAt: sessions.expiresAt,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .innerJoin(organizations, eq(organizations.id, users.organizationId))
    // The project the user switched to, else the default one (a deleted project's sessions fall back).
    .innerJoin(
      projects,
      and(eq(projects.organizationId, organizations.id), or(eq(projects.id, sessions.projectId), and(isNull(sessions.projectId), eq(projects.isDefault, true)))),
    )
    .where(eq(sessions.idHash, idHash))
    .limit(1);
  if (!row) return undefined;
  if (row.expiresAt.getTime() <= deps.clock.nowMs()) {
    await deps.db.delete(sessions).where(eq(sessions.idHash, idHash));
    return undefined;
  }
  return row;
}

/** Signs out: the row is deleted, so the id is worthless from this moment on every instance. */
export async function endSession(deps: AccountDeps, sessionId: string): Promise<void> {
  await deps.db.delete(sessions).where(eq(sessions.idHash, sha256Hex(sessionId)));
}

/** Switches the session's dashboard to another project of the user's organization. */
export async function switchProject(deps: AccountDeps, session: Readonly<{ sessionId: string; organizationId: string }>, projectId: string): Promise<void> {
  const [project] = await deps.db
    .select({ id: projects.id })
    .from(projects)
    .where(and(eq(projects.id, projectId), eq(projects.organizationId, session.organizationId)))
    .limit(1);
  if (!project) throw notFound('Project');
  await deps.db.update(sessions).set({ projectId: project.id }).where(eq(sessions.idHash, sha256Hex(session.sessionId)));
}
