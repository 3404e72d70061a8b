import { and, asc, eq } from 'drizzle-orm';
import { users, type UserRow } from '../../db/schema.js';
import { AppError, notFound } from '../../lib/errors.js';
import type { ListPage } from '../../lib/pagination.js';
import { recordAudit } from '../audit/record.js';
import { ROLE_RANK, roleAllows, type Member, type MemberRole } from './roles.js';
import type { TeamDeps } from './team-deps.js';

// The members of an organization: listing, changing roles, removing. The rules every interface
// gets from here: only owners and admins manage members; nobody grants a role above their own or
// touches a member ranked above them (so only owners make or remove owners, and nobody raises
// their own role); the last owner can neither be demoted nor removed nor leave.

export type MemberObject = {
  object: 'member';
  id: string;
  email: string;
  role: MemberRole;
  two_factor_enabled: boolean;
  created_at: string;
};

type Tx = Parameters<Parameters<TeamDeps['db']['transaction']>[0]>[0];

export function presentMember(row: UserRow): MemberObject {
  return {
    object: 'member',
    id: row.id,
    email: row.email,
    role: row.role,
    two_factor_enabled: row.totpEnabledAt !== null,
    created_at: row.createdAt.toISOString(),
  };
}

export async function listMembers(deps: TeamDeps, by: Member): Promise<ListPage<MemberObject>> {
  const rows = await deps.db.select().from(users).where(eq(users.organizationId, by.actor.organizationId)).orderBy(asc(users.createdAt), asc(users.id));
  return { object: 'list', has_more: false, data: rows.map(presentMember) };
}

export function insufficientRole(message: string): AppError {
  return new AppError('insufficient_role', message);
}

/** The managing member may act on `target` (and, for a role change, grant `role`). */
export function assertMayManage(by: Member, target: Pick<UserRow, 'id' | 'role'>, role?: MemberRole): void {
  if (!roleAllows(by.role, 'members:write')) throw insufficientRole(`A ${by.role} cannot manage members`);
  if (role !== undefined && target.id === by.userId && ROLE_RANK[role] > ROLE_RANK[target.role]) {
    throw insufficientRole('Nobody can raise their own role: ask an owner');
  }
  if (role !== undefined && ROLE_RANK[role] > ROLE_RANK[by.role]) throw insufficientRole(`A ${by.role} cannot make ${role}s`);
  if (ROLE_RANK[target.role] > ROLE_RANK[by.role]) throw insufficientRole(`A ${by.role} cannot change or remove a ${target.role}`);
}

/**
 * The target row and the organization's owners, locked for the rest of the transaction: every
 * change that could leave the organization without an owner takes the same locks, so two such
 * changes at once (two owners demoting each other) cannot both see "another owner remains".
 */
async function lockForChange(tx: Tx, organizationId: string, targetId: string): Promise<{ target: UserRow; owners: number }> {
  const owners = await tx
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.organizationId, organizationId), eq(users.role, 'owner')))
    .orderBy(asc(users.id))
    .for('update');
  const [target] = await tx.select().from(users).where(and(eq(users.id, targetId), eq(users.organizationId, organizationId))).limit(1).for('update');
  if (!target) throw notFound('Member');
  return { target, owners: owners.length };
}

function lastOwner(what: string): AppError {
  return new AppError('last_owner', `The last owner cannot ${what}: make another member owner first`);
}

export async function changeMemberRole(deps: TeamDeps, by: Member, targetId: string, role: MemberRole): Promise<MemberObject> {
  return deps.db.transaction(async (tx) => {
    const { target, owners } = await lockForChange(tx, by.actor.organizationId, targetId);
    assertMayManage(by, target, role);
    if (target.role === role) return presentMember(target);
    if (target.role === 'owner' && owners <= 1) throw lastOwner('be demoted');
    const [updated] = await tx.update(users).set({ role }).where(eq(users.id, target.id)).returning();
    await recordAudit(tx, deps.clock, by.actor, {
      action: 'member.role_changed',
      targets: [{ type: 'member', id: target.id, name: target.email }],
      changes: { role: { before: target.role, after: role } },
      projectId: null,
    });
    return presentMember(updated!);
  });
}

/** Removes a member (their sessions end with the row); removing oneself is leaving. */
export async function removeMember(deps: TeamDeps, by: Member, targetId: string): Promise<{ object: 'member'; id: string; deleted: true }> {
  return deps.db.transaction(async (tx) => {
    const { target, owners } = await lockForChange(tx, by.actor.organizationId, targetId);
    assertMayManage(by, target);
    if (target.role === 'owner' && owners <= 1) throw lastOwner(target.id === by.userId ? 'leave' : 'be removed');
    await tx.delete(users).where(eq(users.id, target.id));
    await recordAudit(tx, deps.clock, by.actor, {
      action: 'member.removed',
      targets: [{ type: 'member', id: target.id, name: target.email }],
      changes: { role: { before: target.role, after: null } },
      projectId: null,
    });
    return { object: 'member', id: target.id, deleted: true };
  });
}
