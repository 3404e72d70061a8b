import { integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

// The API request log (modules/request-log), apart from schema.ts so neither file grows past
// reading. drizzle.config.ts lists this file and db/client.ts merges it into the one schema.

const timestamptz = (column: string) => timestamp(column, { withTimezone: true, mode: 'date' });

export const requestLogs = pgTable(
  'request_logs',
  {
    id: text('id').notNull(),
    // No foreign key: a row is written for every authenticated request, and the per-row check
    // cost a third of the insert (bench/RESULTS.md). Organizations are never deleted.
    organizationId: text('organization_id').notNull(),
    projectId: text('project_id'),
    keyId: text('key_id'),
    method: text('method').notNull(),
    endpoint: text('endpoint').notNull(),
    responseStatus: integer('response_status').notNull(),
    durationMs: integer('duration_ms').notNull(),
    ip: text('ip'),
    userAgent: text('user_agent'),
    createdAt: timestamptz('created_at').notNull(),
  },
  // One index: lists go by organization then id, and ids are time-ordered, so the retention
  // sweep walks the same index by id (no index on created_at to keep up per row).
  (t) => [primaryKey({ columns: [t.organizationId, t.id] })],
);

export type RequestLogRow = typeof requestLogs.$inferSelect;
