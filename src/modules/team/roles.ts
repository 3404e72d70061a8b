import { MEMBER_ROLES } from '../../db/schema.js';
import type { Operator } from '../api-keys/principal.js';
import type { Scope } from '../api-keys/scopes.js';

// What each dashboard role may do. Every dashboard API route declares what it needs (its `access`,
// see http/plugins/session.ts): the scope the same route needs from an API key, or one of the
// dashboard's own permissions below. The session hook checks the member's role against it on
// every request, with the role read fresh from the database.

export type MemberRole = (typeof MEMBER_ROLES)[number];
export { MEMBER_ROLES };

/**
 * Dashboard-only permissions: `account` (one's own sessions, two-factor, sign-out: every member),
 * `members:read` / `members:write` (the team page), `organization:write` (organization settings
 * and projects).
 */
export const TEAM_PERMISSIONS = ['account', 'members:read', 'members:write', 'organization:write'] as const;
export type TeamPermission = (typeof TEAM_PERMISSIONS)[number];

/** What a dashboard route needs: an API scope (the same route's public scope) or a team permission. */
export type DashboardAccess = Scope | TeamPermission;

/** Higher is broader; nobody grants, or takes for themselves, a role above their own. */
export const ROLE_RANK: Readonly<Record<MemberRole, number>> = Object.freeze({ owner: 3, admin: 2, developer: 1, viewer: 0 });

// Organization settings a developer does not touch, beyond the team permissions: the outbound
// channels and their credentials. Written as strings so scopes added later are covered too.
const DEVELOPER_DENIED: ReadonlySet<string> = new Set(['members:write', 'organization:write', 'providers:write']);

/**
 * Whether the role may use a route needing `access`. Owner and admin: everything (what only an
 * owner may do, making and removing owners, is checked by the team service on the target).
 * Developer: keys, domains, emails and every other resource, not members or settings.
 * Viewer: reading only, and never a key's token (tokens come only from create and rotate, writes).
 */
export function roleAllows(role: MemberRole, access: DashboardAccess): boolean {
  switch (role) {
    case 'owner':
    case 'admin':
      return true;
    case 'developer':
      return !DEVELOPER_DENIED.has(access);
    case 'viewer':
      return access === 'account' || access.endsWith(':read');
  }
}

export function isMemberRole(value: unknown): value is MemberRole {
  return typeof value === 'string' && (MEMBER_ROLES as readonly string[]).includes(value);
}

/** The signed-in member acting: the Operator the services and the audit log see, plus who and what role. */
export type Member = Readonly<{
  actor: Operator;
  userId: string;
  email: string;
  role: MemberRole;
}>;
