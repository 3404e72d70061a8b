import type { ListPage } from '../../lib/pagination.js';
import type { RequestContext } from '../audit/record.js';
import type { UserObject } from '../accounts/users.js';
import { acceptInvitation, createInvitation, listInvitations, revokeInvitation, type CreatedInvitation, type InvitationObject } from './invitations.js';
import { changeMemberRole, listMembers, removeMember, type MemberObject } from './members.js';
import type { Member, MemberRole } from './roles.js';
import type { TeamDeps } from './team-deps.js';

/** The team use cases every edge calls (the dashboard; tests), bound to their deps once (app/services.ts). */
export type TeamService = Readonly<{
  listMembers(by: Member): Promise<ListPage<MemberObject>>;
  changeRole(by: Member, memberId: string, role: MemberRole): Promise<MemberObject>;
  removeMember(by: Member, memberId: string): Promise<{ object: 'member'; id: string; deleted: true }>;
  invite(by: Member, input: { email: string; role: MemberRole }): Promise<CreatedInvitation>;
  listInvitations(by: Member): Promise<ListPage<InvitationObject>>;
  revokeInvitation(by: Member, id: string): Promise<{ object: 'invitation'; id: string; deleted: true }>;
  accept(input: { token: string; password: string; request?: RequestContext }): Promise<UserObject>;
}>;

export function createTeamService(deps: TeamDeps): TeamService {
  return {
    listMembers: (by) => listMembers(deps, by),
    changeRole: (by, memberId, role) => changeMemberRole(deps, by, memberId, role),
    removeMember: (by, memberId) => removeMember(deps, by, memberId),
    invite: (by, input) => createInvitation(deps, by, input),
    listInvitations: (by) => listInvitations(deps, by),
    revokeInvitation: (by, id) => revokeInvitation(deps, by, id),
    accept: (input) => acceptInvitation(deps, input),
  };
}
