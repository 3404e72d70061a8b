import type { Deps } from '../app/deps.js';
import type { Plan } from '../config/config.js';
import { validationError } from '../lib/errors.js';
import { operator, type Actor } from '../modules/api-keys/principal.js';
import { createKeyBody } from '../modules/api-keys/schemas.js';
import { createOrganization, getOrganization, PLANS, setOrganizationPlan } from '../modules/organizations/service.js';
import { createUser } from '../modules/accounts/users.js';
import { isMemberRole, MEMBER_ROLES, type MemberRole } from '../modules/team/roles.js';

// Operator commands as plain functions of (deps, args). The CLI runs them directly on the
// database, or, when a server already holds the embedded PGlite, through that server's admin
// socket: the same code either way.

export type Operation = (deps: Deps, args: Record<string, unknown>) => Promise<Record<string, unknown>>;

function plan(value: unknown, field: string): Plan {
  if (typeof value !== 'string' || !PLANS.includes(value as Plan)) {
    throw validationError(field, `must be one of ${PLANS.join(', ')}`);
  }
  return value as Plan;
}

/** The operator acting on an organization: full access within it, in `project` or the default one. */
async function operatorOf(deps: Deps, org: unknown, project?: unknown): Promise<Actor> {
  const found = await getOrganization({ db: deps.database.db, clock: deps.clock }, String(org ?? ''));
  const actor = operator(found.id, found.default_project_id);
  if (project === undefined) return actor;
  // Another organization's project is "not found", as everywhere.
  const chosen = await deps.services.projects.get(actor, String(project));
  return operator(found.id, chosen.id);
}

export const OPERATIONS: Readonly<Record<string, Operation>> = {
  'org.create': async (deps, args) =>
    createOrganization({ db: deps.database.db, clock: deps.clock }, {
      name: String(args.name ?? ''),
      plan: args.plan === undefined ? undefined : plan(args.plan, 'plan'),
    }),

  'org.plan': async (deps, args) =>
    setOrganizationPlan(
      { db: deps.database.db, clock: deps.clock, invalidation: deps.invalidation },
      String(args.org ?? ''),
      plan(args.plan, 'plan'),
    ),

  'domains.add': async (deps, args) => {
    const actor = await operatorOf(deps, args.org, args.project);
    const domain = await deps.services.domains.create(actor, { name: String(args.name ?? '') });
    return args.verified === true ? deps.services.domains.trust(actor, domain.id) : domain;
  },

  'projects.create': async (deps, args) => deps.services.projects.create(await operatorOf(deps, args.org), String(args.name ?? '')),

  'keys.create': async (deps, args) => {
    const actor = await operatorOf(deps, args.org, args.project);
    const body = createKeyBody.safeParse(args.body);
    if (!body.success) {
      const issue = body.error.issues[0]!;
      throw validationError(issue.path.join('.') || 'arguments', issue.message);
    }
    return deps.services.apiKeys.create(actor, body.data);
  },

  // The password arrives here from stdin (or over the 0600 admin socket), never from argv.
  'user.create': async (deps, args) =>
    createUser(
      { db: deps.database.db, clock: deps.clock },
      { organizationId: String(args.org ?? ''), email: String(args.email ?? ''), password: String(args.password ?? ''), role: memberRoleArg(args.role) },
    ),
};

/** `--role`: absent means owner (the operator's account); anything else must be a role. */
function memberRoleArg(role: unknown): MemberRole | undefined {
  if (role === undefined || role === null) return undefined;
  if (!isMemberRole(role)) throw validationError('role', `must be one of ${MEMBER_ROLES.join(', ')}`);
  return role;
}
