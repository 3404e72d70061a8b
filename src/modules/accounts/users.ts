import { count, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client.js';
import { users, type UserRow } from '../../db/schema.js';
import type { Clock } from '../../lib/clock.js';
import { validationError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { operator } from '../api-keys/principal.js';
import { diffChanges, recordAudit } from '../audit/record.js';
import { getOrganization } from '../organizations/service.js';
import type { MemberRole } from '../team/roles.js';
import { dummyHash, hashPassword, verifyPassword } from './passwords.js';

export type AccountDeps = Readonly<{ db: Db; clock: Clock }>;

export type UserObject = { object: 'user'; id: string; email: string; organization_id: string; role: MemberRole; created_at: string };

const emailShape = z.email().max(254);

/** Trimmed and lower-cased: one account per mailbox, however it is typed. */
export function normaliseEmail(email: string): string {
  const normal = email.trim().toLowerCase();
  if (!emailShape.safeParse(normal).success) throw validationError('email', 'is not an email address');
  return normal;
}

/** A dashboard account in an existing organization (the CLI's `user create`). */
export async function createUser(
  deps: AccountDeps,
  input: { organizationId: string; email: string; password: string; role?: MemberRole | undefined },
): Promise<UserObject> {
  const email = normaliseEmail(input.email);
  const organization = await getOrganization(deps, input.organizationId);
  const passwordHash = await hashPassword(input.password);
  return deps.db.transaction(async (tx) => {
    const user = await insertUser(tx, { organizationId: input.organizationId, email, passwordHash, now: deps.clock.now(), role: input.role });
    // The operator's CLI adds the member (the dashboard's invitations audit their own joins).
    const actor = operator(organization.id, organization.default_project_id);
    await recordAudit(tx, deps.clock, actor, { action: 'member.added', targets: [{ type: 'user', id: user.id, name: user.email }], changes: diffChanges(undefined, { email: user.email, role: user.role }), projectId: null });
    return user;
  });
}

/** Inserts the row; `db` may be a transaction. The email must already be normalised. Role: owner unless told. */
export async function insertUser(
  db: Db,
  input: { organizationId: string; email: string; passwordHash: string; now: Date; role?: MemberRole | undefined },
): Promise<UserObject> {
  try {
    const [row] = await db
      .insert(users)
      .values({
        id: newId('user', input.now.getTime()),
        organizationId: input.organizationId,
        email: input.email,
        passwordHash: input.passwordHash,
        role: input.role ?? 'owner',
        createdAt: input.now,
      })
      .returning();
    return presentUser(row!);
  } catch (error) {
    if (isUniqueViolation(error)) throw validationError('email', 'an account with this email already exists');
    throw error;
  }
}

/** The user whose email and password these are, or undefined. Takes as long either way. */
export async function authenticateUser(deps: AccountDeps, email: string, password: string): Promise<UserRow | undefined> {
  const normal = email.trim().toLowerCase();
  const [row] = await deps.db.select().from(users).where(eq(users.email, normal)).limit(1);
  // Security: an unknown email still costs one argon2 verification, so timing tells nothing.
  const ok = await verifyPassword(row?.passwordHash ?? (await dummyHash()), password);
  return row && ok ? row : undefined;
}

export async function countUsers(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(users);
  return row?.n ?? 0;
}

export function presentUser(row: UserRow): UserObject {
  return { object: 'user', id: row.id, email: row.email, organization_id: row.organizationId, role: row.role, created_at: row.createdAt.toISOString() };
}

export function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === '23505') return true;
  }
  return false;
}
