import { index, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { organizations, projects } from './schema.js';

// Templates (issue 24), apart from schema.ts like schema-events.ts: drizzle.config.ts lists this
// file and db/client.ts merges it into the one schema.

const timestamptz = (column: string) => timestamp(column, { withTimezone: true, mode: 'date' });

/** One declared variable of a version, as stored (the API shows it in snake_case). */
export type StoredTemplateVariable = {
  key: string;
  type: 'string' | 'number';
  fallbackValue: string | number | null;
  createdAt: string;
  updatedAt: string;
};

/**
 * A template: what does not change with versions (name, alias) and which version is the draft and
 * which is published. Both version columns point into template_versions without a foreign key:
 * versions already reference their template (ON DELETE CASCADE), and a key both ways would make
 * every insert a circular dance of deferred constraints for no protection the service lacks.
 */
export const templates = pgTable(
  'templates',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** Unique within the project; usable wherever the id is. NULLs are distinct, so many have none. */
    alias: text('alias'),
    /** The version edits change and previews render; equal to the published one when nothing is pending. */
    draftVersionId: text('draft_version_id').notNull(),
    /** The version emails are rendered from; null until the first publish. */
    publishedVersionId: text('published_version_id'),
    publishedAt: timestamptz('published_at'),
    createdAt: timestamptz('created_at').notNull(),
    updatedAt: timestamptz('updated_at').notNull(),
  },
  (t) => [index('templates_org_idx').on(t.organizationId, t.id), uniqueIndex('templates_project_alias_idx').on(t.projectId, t.alias)],
);

/**
 * The content of a template at one moment. A published version is never changed: editing a
 * published template writes a new draft version, so sends keep the published one until the next
 * publish. Older published versions stay as history.
 */
export const templateVersions = pgTable(
  'template_versions',
  {
    id: text('id').primaryKey(),
    templateId: text('template_id')
      .notNull()
      .references(() => templates.id, { onDelete: 'cascade' }),
    subject: text('subject'),
    html: text('html').notNull(),
    text: text('text'),
    from: text('from'),
    replyTo: text('reply_to').array(),
    variables: jsonb('variables').$type<StoredTemplateVariable[]>().notNull(),
    createdAt: timestamptz('created_at').notNull(),
    updatedAt: timestamptz('updated_at').notNull(),
  },
  (t) => [index('template_versions_template_idx').on(t.templateId)],
);

export type TemplateRow = typeof templates.$inferSelect;
export type TemplateVersionRow = typeof templateVersions.$inferSelect;
