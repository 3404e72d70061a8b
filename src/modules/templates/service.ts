import { and, eq, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { templates, templateVersions, type TemplateRow, type TemplateVersionRow } from '../../db/schema-templates.js';
import type { Clock } from '../../lib/clock.js';
import { notFound, validationError } from '../../lib/errors.js';
import { isId, newId } from '../../lib/ids.js';
import { pageOf, toPage, type Cursor, type ListPage } from '../../lib/pagination.js';
import { ownedBy, type Actor } from '../api-keys/principal.js';
import { diffChanges, recordAudit, type AuditTarget } from '../audit/record.js';
import { auditView, checkAlias, contentOf, draftOfVersion, newDraft, patchedDraft, sameContent, type Draft } from './draft.js';
import { checkTemplate, renderTemplate, type RenderedTemplate, type TemplateVariable } from './render.js';
import { presentSummary, presentTemplate, type CreateTemplateInput, type TemplateObject, type TemplateRef, type TemplateSummary, type UpdateTemplateInput } from './schemas.js';

// Resend's templates: a template has a draft version, which every edit changes, and from its
// first publish a published version, which sending uses. Editing a published template writes a
// new draft version, so what is sent changes only at the next publish. Every mutation locks the
// template's row, so two edits of one template cannot both fork a draft from the published version.

export type TemplateDeps = Readonly<{ db: Db; clock: Clock }>;

/** The published version of a template, for POST /emails to render (renderTemplate takes it as it is). */
export type PublishedTemplate = Readonly<{
  templateId: string;
  versionId: string;
  subject: string | null;
  html: string;
  text: string | null;
  from: string | null;
  replyTo: string[] | null;
  variables: readonly TemplateVariable[];
}>;

export type TemplateService = Readonly<{
  create(actor: Actor, input: CreateTemplateInput): Promise<TemplateRef>;
  get(actor: Actor, idOrAlias: string): Promise<TemplateObject>;
  list(actor: Actor, cursor: Cursor): Promise<ListPage<TemplateSummary>>;
  update(actor: Actor, idOrAlias: string, input: UpdateTemplateInput): Promise<TemplateRef>;
  remove(actor: Actor, idOrAlias: string): Promise<{ object: 'template'; id: string; deleted: true }>;
  /** Makes the draft the published version (nothing changes when it already is). */
  publish(actor: Actor, idOrAlias: string): Promise<TemplateRef>;
  /** A new draft template with the draft's content, named "… (copy)", without the alias. */
  duplicate(actor: Actor, idOrAlias: string): Promise<TemplateRef>;
  /** The draft rendered with `values` (the dashboard's preview; beyond Resend). */
  render(actor: Actor, idOrAlias: string, values: Readonly<Record<string, unknown>>): Promise<RenderedTemplate>;
  /** The published version; 404 for no such template, 422 (field `template.id`) when it was never published. */
  publishedForSending(actor: Actor, idOrAlias: string): Promise<PublishedTemplate>;
}>;

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
type Reader = Pick<Db, 'select'>;

/** PostgreSQL's unique_violation, wherever the driver or Drizzle wrapped it. */
function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === '23505') return true;
  }
  return false;
}

/** The only unique index a template write can break is (project, alias). */
async function aliasGuard<T>(work: Promise<T>, alias: string | null | undefined): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (isUniqueViolation(error)) throw validationError('alias', `${alias ?? ''} is already the alias of another template of this project`);
    throw error;
  }
}

/**
 * An id names one template of the actor's organization (and project, for keys); an alias is
 * looked up in the actor's current project, where aliases are unique.
 */
function whereOf(actor: Actor, idOrAlias: string): SQL {
  const which = isId('template', idOrAlias) ? eq(templates.id, idOrAlias) : and(eq(templates.projectId, actor.projectId), eq(templates.alias, idOrAlias))!;
  return and(which, ownedBy(actor, templates))!;
}

async function findTemplate(db: Reader, actor: Actor, idOrAlias: string): Promise<TemplateRow> {
  const [row] = await db.select().from(templates).where(whereOf(actor, idOrAlias)).limit(1);
  if (!row) throw notFound('Template');
  return row;
}

/** The row, locked until the transaction ends. */
async function lockTemplate(tx: Tx, actor: Actor, idOrAlias: string): Promise<TemplateRow> {
  const [row] = await tx.select().from(templates).where(whereOf(actor, idOrAlias)).limit(1).for('update');
  if (!row) throw notFound('Template');
  return row;
}

async function versionOf(db: Reader, id: string): Promise<TemplateVersionRow> {
  const [version] = await db.select().from(templateVersions).where(eq(templateVersions.id, id));
  // Versions go only with their template (ON DELETE CASCADE): a dangling pointer is a bug, not input.
  if (!version) throw new Error(`template version ${id} is missing`);
  return version;
}

function target(row: TemplateRow): AuditTarget {
  return { type: 'template', id: row.id, name: row.name };
}

export function createTemplateService(deps: TemplateDeps): TemplateService {
  const { db, clock } = deps;

  /** Inserts a template and its first (draft) version. */
  const insertTemplate = async (tx: Tx, actor: Actor, fields: { name: string; alias: string | null; projectId: string }, draft: Draft): Promise<TemplateRow> => {
    const now = clock.now();
    const id = newId('template', now.getTime());
    const versionId = newId('templateVersion', now.getTime());
    const [row] = await tx
      .insert(templates)
      .values({ id, organizationId: actor.organizationId, projectId: fields.projectId, name: fields.name, alias: fields.alias, draftVersionId: versionId, createdAt: now, updatedAt: now })
      .returning();
    await tx.insert(templateVersions).values({ id: versionId, templateId: id, ...draft, createdAt: now, updatedAt: now });
    return row!;
  };

  return {
    async create(actor, input) {
      const alias = input.alias == null ? null : checkAlias(input.alias);
      const draft = newDraft(input, clock.now());
      const row = await aliasGuard(
        db.transaction(async (tx) => {
          const created = await insertTemplate(tx, actor, { name: input.name, alias, projectId: actor.projectId }, draft);
          await recordAudit(tx, clock, actor, { action: 'template.created', targets: [target(created)], changes: diffChanges(undefined, auditView(created, draft)), projectId: created.projectId });
          return created;
        }),
        alias,
      );
      return { id: row.id, object: 'template' };
    },

    async get(actor, idOrAlias) {
      const row = await findTemplate(db, actor, idOrAlias);
      return presentTemplate(row, await versionOf(db, row.draftVersionId));
    },

    async list(actor, cursor) {
      const page = pageOf(templates.id, ownedBy(actor, templates), cursor);
      const rows = await db.select().from(templates).where(page.where).orderBy(page.orderBy).limit(page.limit);
      return toPage(rows, cursor, presentSummary);
    },

    async update(actor, idOrAlias, input) {
      const alias = input.alias == null ? input.alias : checkAlias(input.alias);
      const id = await aliasGuard(
        db.transaction(async (tx) => {
          const before = await lockTemplate(tx, actor, idOrAlias);
          const current = await versionOf(tx, before.draftVersionId);
          const now = clock.now();
          const was = draftOfVersion(current);
          const draft = patchedDraft(current, input, now);
          let draftVersionId = before.draftVersionId;
          if (!sameContent(was, draft)) {
            if (before.draftVersionId === before.publishedVersionId) {
              // Security of the published version: it is never edited; the edit forks a new draft.
              draftVersionId = newId('templateVersion', now.getTime());
              await tx.insert(templateVersions).values({ id: draftVersionId, templateId: before.id, ...draft, createdAt: now, updatedAt: now });
            } else {
              await tx.update(templateVersions).set({ ...draft, updatedAt: now }).where(eq(templateVersions.id, current.id));
            }
          }
          const [after] = await tx
            .update(templates)
            .set({ ...(input.name !== undefined ? { name: input.name } : {}), ...(alias !== undefined ? { alias } : {}), draftVersionId, updatedAt: now })
            .where(eq(templates.id, before.id))
            .returning();
          const changes = diffChanges(auditView(before, was), auditView(after!, draft));
          await recordAudit(tx, clock, actor, { action: 'template.updated', targets: [target(after!)], changes, projectId: after!.projectId });
          return before.id;
        }),
        alias,
      );
      return { id, object: 'template' };
    },

    async remove(actor, idOrAlias) {
      const id = await db.transaction(async (tx) => {
        const row = await lockTemplate(tx, actor, idOrAlias);
        const draft = draftOfVersion(await versionOf(tx, row.draftVersionId));
        // Its versions go with it (ON DELETE CASCADE).
        await tx.delete(templates).where(eq(templates.id, row.id));
        await recordAudit(tx, clock, actor, { action: 'template.deleted', targets: [target(row)], changes: diffChanges(auditView(row, draft), undefined), projectId: row.projectId });
        return row.id;
      });
      return { object: 'template', id, deleted: true };
    },

    async publish(actor, idOrAlias) {
      const id = await db.transaction(async (tx) => {
        const row = await lockTemplate(tx, actor, idOrAlias);
        if (row.publishedVersionId === row.draftVersionId) return row.id;
        const draft = draftOfVersion(await versionOf(tx, row.draftVersionId));
        // Checked again: a draft saved before a rule was added must not reach sending unchecked.
        checkTemplate(contentOf(draft));
        const now = clock.now();
        await tx.update(templates).set({ publishedVersionId: row.draftVersionId, publishedAt: now, updatedAt: now }).where(eq(templates.id, row.id));
        const changes = { published_version_id: { before: row.publishedVersionId, after: row.draftVersionId } };
        await recordAudit(tx, clock, actor, { action: 'template.published', targets: [target(row)], changes, projectId: row.projectId });
        return row.id;
      });
      return { id, object: 'template' };
    },

    async duplicate(actor, idOrAlias) {
      const id = await db.transaction(async (tx) => {
        const source = await lockTemplate(tx, actor, idOrAlias);
        const draft = draftOfVersion(await versionOf(tx, source.draftVersionId));
        // The alias stays with the original (it is unique); the copy lives in the original's project.
        const copy = await insertTemplate(tx, actor, { name: `${source.name} (copy)`.slice(0, 256), alias: null, projectId: source.projectId }, draft);
        await recordAudit(tx, clock, actor, { action: 'template.duplicated', targets: [target(copy), target(source)], changes: diffChanges(undefined, auditView(copy, draft)), projectId: copy.projectId });
        return copy.id;
      });
      return { id, object: 'template' };
    },

    async render(actor, idOrAlias, values) {
      const row = await findTemplate(db, actor, idOrAlias);
      return renderTemplate(contentOf(draftOfVersion(await versionOf(db, row.draftVersionId))), values);
    },

    async publishedForSending(actor, idOrAlias) {
      const row = await findTemplate(db, actor, idOrAlias);
      if (row.publishedVersionId === null) throw validationError('template.id', `template ${idOrAlias} has no published version: publish it before sending with it`);
      const version = await versionOf(db, row.publishedVersionId);
      return {
        templateId: row.id,
        versionId: version.id,
        subject: version.subject,
        html: version.html,
        text: version.text,
        from: version.from,
        replyTo: version.replyTo,
        variables: version.variables.map((v) => ({ key: v.key, type: v.type, fallbackValue: v.fallbackValue })),
      };
    },
  };
}
