import { and, asc, desc, eq, gt, isNull } from 'drizzle-orm';
import { invitations, users, type InvitationRow } from '../../db/schema.js';
import { AppError, notFound, validationError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { ListPage } from '../../lib/pagination.js';
import { operator, withRequest } from '../api-keys/principal.js';
import { recordAudit, type RequestContext } from '../audit/record.js';
import { hashPassword } from '../accounts/passwords.js';
import { randomSecret, sha256Hex } from '../accounts/secrets.js';
import { insertUser, normaliseEmail, type UserObject } from '../accounts/users.js';
import { getOrganization } from '../organizations/service.js';
import { mailInvitation } from './invitation-mail.js';
import { assertMayManage } from './members.js';
import type { Member, MemberRole } from './roles.js';
import type { TeamDeps } from './team-deps.js';

// Invitations: a single-use link that expires. The token (256 random bits) is only in the link,
// shown once to the inviter and mailed to the invitee; the database holds its SHA-256. Accepting
// claims the row in the same statement that checks it is unused and unexpired, and creates the
// account in the same transaction: a used, revoked or expired link changes nothing.

export type InvitationObject = {
  object: 'invitation';
  id: string;
  email: string;
  role: MemberRole;
  status: 'pending' | 'expired';
  invited_by: string | null;
  expires_at: string;
  created_at: string;
};

export type CreatedInvitation = InvitationObject & {
  /** The link, shown once (it holds the token). */
  invite_url: string;
  /** Whether it was also mailed (the organization has a verified domain to send from). */
  emailed: boolean;
};

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

function present(row: InvitationRow, nowMs: number): InvitationObject {
  return {
    object: 'invitation',
    id: row.id,
    email: row.email,
    role: row.role,
    status: row.expiresAt.getTime() > nowMs ? 'pending' : 'expired',
    invited_by: row.invitedBy,
    expires_at: row.expiresAt.toISOString(),
    created_at: row.createdAt.toISOString(),
  };
}

/** The link the invitee opens: the dashboard's accept page, the token in the fragment (never sent in requests or Referer). */
export function invitationUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/#/accept-invitation?token=${token}`;
}

export async function createInvitation(deps: TeamDeps, by: Member, input: { email: string; role: MemberRole }): Promise<CreatedInvitation> {
  // The invitee will hold `role`: the inviter must be allowed to grant it (admins invite no owners).
  assertMayManage(by, { id: '', role: 'viewer' }, input.role);
  const email = normaliseEmail(input.email);
  const [existing] = await deps.db.select({ id: users.id }).from(users).where(eq(users.email, email)).limit(1);
  if (existing) throw validationError('email', 'an account with this email already exists');
  const token = randomSecret();
  const now = deps.clock.now();
  const row = await deps.db.transaction(async (tx) => {
    const [inserted] = await tx
      .insert(invitations)
      .values({
        id: newId('invitation', now.getTime()),
        organizationId: by.actor.organizationId,
        email,
        role: input.role,
        // Security: only the hash is stored; the token lives in the link alone.
        tokenHash: sha256Hex(token),
        invitedBy: by.userId,
        expiresAt: new Date(now.getTime() + deps.invitationTtlMs),
        createdAt: now,
      })
      .returning();
    await recordAudit(tx, deps.clock, by.actor, {
      action: 'member.invited',
      targets: [{ type: 'invitation', id: inserted!.id, name: email }],
      changes: { email: { before: null, after: email }, role: { before: null, after: input.role } },
      projectId: null,
    });
    return inserted!;
  });
  const url = invitationUrl(deps.publicUrl, token);
  const emailed = await mailInvitation(deps, { organizationId: by.actor.organizationId, to: email, role: input.role, url, invitedBy: by.email });
  return { ...present(row, now.getTime()), invite_url: url, emailed };
}

/** Invitations not yet accepted, newest first (expired ones too, marked, until revoked). */
export async function listInvitations(deps: TeamDeps, by: Member): Promise<ListPage<InvitationObject>> {
  const rows = await deps.db
    .select()
    .from(invitations)
    .where(and(eq(invitations.organizationId, by.actor.organizationId), isNull(invitations.acceptedAt)))
    .orderBy(desc(invitations.createdAt), asc(invitations.id));
  const now = deps.clock.nowMs();
  return { object: 'list', has_more: false, data: rows.map((row) => present(row, now)) };
}

export async function revokeInvitation(deps: TeamDeps, by: Member, id: string): Promise<{ object: 'invitation'; id: string; deleted: true }> {
  assertMayManage(by, { id: '', role: 'viewer' });
  return deps.db.transaction(async (tx) => {
    const [row] = await tx
      .delete(invitations)
      .where(and(eq(invitations.id, id), eq(invitations.organizationId, by.actor.organizationId), isNull(invitations.acceptedAt)))
      .returning();
    if (!row) throw notFound('Invitation');
    // Revoking an invitation for a role above one's own would be managing that role.
    if (row.role === 'owner' && by.role !== 'owner') throw new AppError('insufficient_role', `A ${by.role} cannot revoke an invitation to be owner`);
    await recordAudit(tx, deps.clock, by.actor, {
      action: 'invitation.revoked',
      targets: [{ type: 'invitation', id: row.id, name: row.email }],
      changes: { role: { before: row.role, after: null } },
      projectId: null,
    });
    return { object: 'invitation', id: row.id, deleted: true };
  });
}

function invalidInvitation(): AppError {
  return new AppError('invitation_invalid', 'This invitation link is unknown, already used, revoked or expired: ask for a new one');
}

/**
 * Creates the invitee's account with the invited role, once. The caller signs the new user in.
 * `request`: where the acceptance came from, for the audit event (the new member is its actor).
 */
export async function acceptInvitation(deps: TeamDeps, input: { token: string; password: string; request?: RequestContext }): Promise<UserObject> {
  if (!TOKEN_SHAPE.test(input.token)) throw invalidInvitation();
  const tokenHash = sha256Hex(input.token);
  const live = and(eq(invitations.tokenHash, tokenHash), isNull(invitations.acceptedAt), gt(invitations.expiresAt, deps.clock.now()));
  // Checked before the (deliberately slow) password hash, so a dead link costs no argon2.
  const [pending] = await deps.db.select().from(invitations).where(live).limit(1);
  if (!pending) throw invalidInvitation();
  const passwordHash = await hashPassword(input.password);
  const organization = await getOrganization(deps, pending.organizationId);
  return deps.db.transaction(async (tx) => {
    const now = deps.clock.now();
    // Security: claimed in the statement that checks it, so two acceptances cannot both pass.
    const [claimed] = await tx.update(invitations).set({ acceptedAt: now }).where(live).returning();
    if (!claimed) throw invalidInvitation();
    const user = await insertUser(tx, { organizationId: claimed.organizationId, email: claimed.email, passwordHash, now, role: claimed.role });
    const actor = operator(organization.id, organization.default_project_id, { type: 'user', id: user.id, name: user.email });
    await recordAudit(tx, deps.clock, input.request ? withRequest(actor, input.request) : actor, {
      action: 'member.joined',
      targets: [
        { type: 'member', id: user.id, name: user.email },
        { type: 'invitation', id: claimed.id, name: claimed.email },
      ],
      changes: { role: { before: null, after: claimed.role } },
      projectId: null,
    });
    return user;
  });
}
