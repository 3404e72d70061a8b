import type { Role, Session } from '../api/types.ts';

// What the signed-in member's role allows, mirrored from the server (src/modules/team/roles.ts)
// only to hide what would be refused: the server checks every request itself.

export const ROLES: readonly Role[] = ['owner', 'admin', 'developer', 'viewer'];
const RANK: Record<Role, number> = { owner: 3, admin: 2, developer: 1, viewer: 0 };

export const roleOf = (session: Session): Role => session.user?.role ?? 'viewer';

/** Owners and admins manage members. */
export const canManageMembers = (role: Role): boolean => RANK[role] >= RANK.admin;

/** The roles this member may give (never above their own). */
export const grantableRoles = (role: Role): Role[] => ROLES.filter((r) => RANK[r] <= RANK[role]);

/** Whether this member may change or remove a member holding `target` (never one ranked above them). */
export const canManage = (role: Role, target: Role): boolean => canManageMembers(role) && RANK[target] <= RANK[role];
