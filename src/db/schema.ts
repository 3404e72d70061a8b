import { sql } from 'drizzle-orm';
import { boolean, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, date } from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();

export const organizations = pgTable('organizations', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  plan: text('plan', { enum: ['free', 'pro', 'scale', 'unlimited'] }).notNull().default('free'),
  createdAt: createdAt(),
});

export const projects = pgTable(
  'projects',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    isDefault: boolean('is_default').notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [index('projects_org_idx').on(t.organizationId)],
);

export const domains = pgTable(
  'domains',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    status: text('status', { enum: ['not_started', 'pending', 'verified', 'failed'] })
      .notNull()
      .default('not_started'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('domains_org_name_idx').on(t.organizationId, t.name)],
);

export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    mode: text('mode', { enum: ['live', 'test'] }).notNull(),
    permission: text('permission', { enum: ['full_access', 'sending_access', 'custom'] }).notNull(),
    scopes: text('scopes').array().notNull(),
    domainIds: text('domain_ids').array().notNull().default(sql`'{}'::text[]`),
    allowedIps: text('allowed_ips').array().notNull().default(sql`'{}'::text[]`),
    // Security: only SHA-256 hashes of tokens are stored, never a token.
    tokenHash: text('token_hash').notNull(),
    tokenTail: text('token_tail').notNull(),
    previousTokenHash: text('previous_token_hash'),
    previousTokenExpiresAt: timestamp('previous_token_expires_at', { withTimezone: true, mode: 'date' }),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'date' }),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('api_keys_token_hash_idx').on(t.tokenHash),
    index('api_keys_previous_token_hash_idx').on(t.previousTokenHash),
    index('api_keys_org_idx').on(t.organizationId, t.id),
  ],
);

/** Requests per key, day, route and status: written in batches, never once per request. */
export const apiKeyUsage = pgTable(
  'api_key_usage',
  {
    keyId: text('key_id').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    route: text('route').notNull(),
    status: integer('status').notNull(),
    count: integer('count').notNull(),
  },
  (t) => [primaryKey({ columns: [t.keyId, t.day, t.route, t.status] })],
);

/** The last client addresses seen per key, for the usage view. */
export const apiKeyClientIps = pgTable(
  'api_key_client_ips',
  {
    keyId: text('key_id').notNull(),
    ip: text('ip').notNull(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.keyId, t.ip] })],
);

export type OrganizationRow = typeof organizations.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
