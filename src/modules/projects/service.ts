import { and, count, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { apiKeys, domains, emails, projects, type ProjectRow } from '../../db/schema.js';
import type { Clock } from '../../lib/clock.js';
import { AppError, notFound, validationError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { pageOf, toPage, type Cursor, type ListPage } from '../../lib/pagination.js';
import type { Actor } from '../api-keys/principal.js';
import { diffChanges, recordAudit, type AuditTarget } from '../audit/record.js';

// Projects split an organization's keys, domains and emails: a key sees only its own project's.
// Every project of the organization is listed to any key holding projects:read (so a script can
// tell where it stands); creating, renaming and deleting is for the dashboard and the CLI.

export type ProjectObject = { object: 'project'; id: string; name: string; default: boolean; created_at: string };

export type ProjectService = Readonly<{
  list(actor: Actor, cursor: Cursor): Promise<ListPage<ProjectObject>>;
  get(actor: Actor, id: string): Promise<ProjectObject>;
  create(actor: Actor, name: string): Promise<ProjectObject>;
  rename(actor: Actor, id: string, name: string): Promise<ProjectObject>;
  /** Only an empty project (no key, domain or email) that is not the default one. */
  delete(actor: Actor, id: string): Promise<{ object: 'project'; id: string; deleted: true }>;
}>;

type ProjectDeps = Readonly<{ db: Db; clock: Clock }>;

export function createProjectService(deps: ProjectDeps): ProjectService {
  return {
    list: async (actor, cursor) => {
      const page = pageOf(projects.id, eq(projects.organizationId, actor.organizationId), cursor);
      const rows = await deps.db.select().from(projects).where(page.where).orderBy(page.orderBy).limit(page.limit);
      return toPage(rows, cursor, presentProject);
    },
    get: async (actor, id) => presentProject(await findProject(deps.db, actor, id)),
    create: async (actor, name) => {
      const now = deps.clock.now();
      const row = await deps.db.transaction(async (tx) => {
        const [inserted] = await tx
          .insert(projects)
          .values({ id: newId('project', now.getTime()), organizationId: actor.organizationId, name: projectName(name), createdAt: now })
          .returning();
        await recordAudit(tx, deps.clock, actor, { action: 'project.created', targets: [projectTarget(inserted!)], changes: diffChanges(undefined, { name: inserted!.name }), projectId: null });
        return inserted!;
      });
      return presentProject(row);
    },
    rename: async (actor, id, name) => {
      const current = await findProject(deps.db, actor, id);
      const row = await deps.db.transaction(async (tx) => {
        const [updated] = await tx.update(projects).set({ name: projectName(name) }).where(eq(projects.id, current.id)).returning();
        if (!updated) throw notFound('Project');
        await recordAudit(tx, deps.clock, actor, { action: 'project.renamed', targets: [projectTarget(updated)], changes: diffChanges({ name: current.name }, { name: updated.name }), projectId: null });
        return updated;
      });
      return presentProject(row);
    },
    delete: async (actor, id) => {
      const current = await findProject(deps.db, actor, id);
      if (current.isDefault) throw new AppError('conflict', 'The default project cannot be deleted');
      await deps.db.transaction(async (tx) => {
        // Locked, then counted: nothing can be added to it between the check and the delete.
        await tx.select({ id: projects.id }).from(projects).where(eq(projects.id, id)).for('update');
        for (const table of [apiKeys, domains, emails]) {
          const [held] = await tx.select({ n: count() }).from(table).where(eq(table.projectId, id));
          if ((held?.n ?? 0) > 0) throw new AppError('conflict', 'Only an empty project can be deleted: move or delete its keys, domains and emails first');
        }
        await tx.delete(projects).where(eq(projects.id, id));
        await recordAudit(tx, deps.clock, actor, { action: 'project.deleted', targets: [projectTarget(current)], projectId: null });
      });
      return { object: 'project', id, deleted: true };
    },
  };
}

function projectName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 100) throw validationError('name', 'must be 1 to 100 characters');
  return trimmed;
}

async function findProject(db: Db, actor: Actor, id: string): Promise<ProjectRow> {
  const [row] = await db
    .select()
    .from(projects)
    .where(and(eq(projects.id, id), eq(projects.organizationId, actor.organizationId)))
    .limit(1);
  if (!row) throw notFound('Project');
  return row;
}

function projectTarget(row: ProjectRow): AuditTarget {
  return { type: 'project', id: row.id, name: row.name };
}

export function presentProject(row: ProjectRow): ProjectObject {
  return { object: 'project', id: row.id, name: row.name, default: row.isDefault, created_at: row.createdAt.toISOString() };
}
