import { and, asc, eq } from 'drizzle-orm';
import type { Deps } from '../src/app/deps.js';
import { users } from '../src/db/schema.js';
import { operator } from '../src/modules/api-keys/principal.js';
import { referenceOf } from '../src/modules/accounts/session-list.js';
import { sha256Hex } from '../src/modules/accounts/secrets.js';
import { startSession } from '../src/modules/accounts/sessions.js';
import { createUser } from '../src/modules/accounts/users.js';
import type { OrganizationObject } from '../src/modules/organizations/service.js';
import type { Member, MemberRole } from '../src/modules/team/roles.js';

// Team objects for the session and role matrices and the team tests, made through the services.

const unique = (): string => Math.random().toString(36).slice(2, 10);

/** A new member of the organization with this role. */
export async function memberIn(deps: Deps, org: OrganizationObject, role: MemberRole, email = `${role}-${unique()}@example.com`): Promise<{ userId: string; email: string }> {
  const user = await createUser({ db: deps.database.db, clock: deps.clock }, { organizationId: org.id, email, password: 'a long enough password', role });
  return { userId: user.id, email: user.email };
}

/** The organization's owner (the one memberOf in session-matrix.ts made; others there are developers). */
export async function firstMember(deps: Deps, org: OrganizationObject): Promise<Member> {
  const [row] = await deps.database.db
    .select()
    .from(users)
    .where(and(eq(users.organizationId, org.id), eq(users.role, 'owner')))
    .orderBy(asc(users.createdAt), asc(users.id))
    .limit(1);
  if (!row) throw new Error(`organization ${org.id} has no member`);
  return asMember(org, row);
}

export function asMember(org: OrganizationObject, user: { id: string; email: string; role: MemberRole }): Member {
  return { actor: operator(org.id, org.default_project_id, { type: 'user', id: user.id, name: user.email }), userId: user.id, email: user.email, role: user.role };
}

export const makeMember = async (deps: Deps, org: OrganizationObject): Promise<string> => (await memberIn(deps, org, 'developer')).userId;

export const makeInvitation = async (deps: Deps, org: OrganizationObject): Promise<string> =>
  (await deps.services.team.invite(await firstMember(deps, org), { email: `invitee-${unique()}@example.com`, role: 'viewer' })).id;

/** Another session of the organization's first member, by its reference on the sessions page. */
export const makeSession = async (deps: Deps, org: OrganizationObject): Promise<string> => {
  const started = await startSession({ db: deps.database.db, clock: deps.clock }, (await firstMember(deps, org)).userId);
  return referenceOf(sha256Hex(started.sessionId));
};
