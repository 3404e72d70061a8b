import { and, eq } from 'drizzle-orm';
import type { Plan } from '../../config/config.js';
import type { Db } from '../../db/client.js';
import { organizations, projects } from '../../db/schema.js';
import type { Clock } from '../../lib/clock.js';
import { notFound, validationError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { Invalidation } from '../api-keys/invalidation.js';
import { operator } from '../api-keys/principal.js';
import { CLI_IDENTITY, diffChanges, recordAudit, type AuditIdentity } from '../audit/record.js';

export const PLANS: readonly Plan[] = ['free', 'pro', 'scale', 'unlimited'];

export type OrganizationObject = {
  object: 'organization';
  id: string;
  name: string;
  plan: Plan;
  default_project_id: string;
  created_at: string;
};

type OrgDeps = Readonly<{ db: Db; clock: Clock }>;

/** A new organization with its default project, in one transaction. */
export async function createOrganization(
  deps: OrgDeps,
  input: { name: string; plan?: Plan | undefined },
  /** Who creates it: the operator's CLI, or the first user at dashboard setup. */
  identity: AuditIdentity = CLI_IDENTITY,
): Promise<OrganizationObject> {
  const name = input.name.trim();
  if (name.length === 0 || name.length > 100) throw validationError('name', 'must be 1 to 100 characters');
  const now = deps.clock.now();
  const orgId = newId('organization', now.getTime());
  const projectId = newId('project', now.getTime());
  const plan = input.plan ?? 'free';
  await deps.db.transaction(async (tx) => {
    await tx.insert(organizations).values({ id: orgId, name, plan, createdAt: now });
    await tx.insert(projects).values({ id: projectId, organizationId: orgId, name: 'Default', isDefault: true, createdAt: now });
    const actor = operator(orgId, projectId, identity);
    await recordAudit(tx, deps.clock, actor, { action: 'organization.created', targets: [{ type: 'organization', id: orgId, name }], changes: diffChanges(undefined, { name, plan }), projectId: null });
  });
  return { object: 'organization', id: orgId, name, plan, default_project_id: projectId, created_at: now.toISOString() };
}

export async function getOrganization(deps: OrgDeps, organizationId: string): Promise<OrganizationObject> {
  const [row] = await deps.db
    .select({ org: organizations, projectId: projects.id })
    .from(organizations)
    .innerJoin(projects, and(eq(projects.organizationId, organizations.id), eq(projects.isDefault, true)))
    .where(eq(organizations.id, organizationId))
    .limit(1);
  if (!row) throw notFound('Organization');
  return {
    object: 'organization',
    id: row.org.id,
    name: row.org.name,
    plan: row.org.plan,
    default_project_id: row.projectId,
    created_at: row.org.createdAt.toISOString(),
  };
}

/** Changes the plan tier; cached keys of the organization pick it up on their next request. */
export async function setOrganizationPlan(
  deps: OrgDeps & { invalidation: Invalidation },
  organizationId: string,
  plan: Plan,
): Promise<OrganizationObject> {
  const before = await getOrganization(deps, organizationId);
  await deps.db.transaction(async (tx) => {
    const [updated] = await tx.update(organizations).set({ plan }).where(eq(organizations.id, organizationId)).returning();
    if (!updated) throw notFound('Organization');
    const actor = operator(organizationId, before.default_project_id);
    const changes = diffChanges({ plan: before.plan }, { plan });
    await recordAudit(tx, deps.clock, actor, { action: 'organization.updated', targets: [{ type: 'organization', id: organizationId, name: updated.name }], changes, projectId: null });
  });
  await deps.invalidation.organizationChanged(organizationId);
  return getOrganization(deps, organizationId);
}
