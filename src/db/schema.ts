import { generateKeyPairSync, randomBytes } from 'node:crypto';
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

/** Status of a domain, and of each of its DNS records. */
export const DOMAIN_STATUSES = ['not_started', 'pending', 'verified', 'failed'] as const;

const recordStatus = (column: string) => text(column, { enum: DOMAIN_STATUSES }).notNull().default('not_started');

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
    status: text('status', { enum: DOMAIN_STATUSES }).notNull().default('not_started'),
    // The defaults below serve rows inserted outside createDomain (test fixtures) too, so every
    // row can be verified and signed for. createDomain generates the key asynchronously itself.
    /** Published in TXT `_postgate.<name>` as `postgate-verification=<token>`: not a secret. */
    verificationToken: text('verification_token')
      .notNull()
      .$defaultFn(() => randomBytes(16).toString('hex')),
    /** Per domain, so two organizations holding one name never fight over one DKIM record. */
    dkimSelector: text('dkim_selector')
      .notNull()
      .$defaultFn(() => `postgate-${randomBytes(5).toString('hex')}`),
    // Security: the signing key (PKCS#8 PEM); it never leaves the server. The public half is
    // derived from it when a record is shown, so the two can never disagree.
    dkimPrivateKey: text('dkim_private_key')
      .notNull()
      .$defaultFn(() => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
    ownershipStatus: recordStatus('ownership_status'),
    dkimStatus: recordStatus('dkim_status'),
    spfStatus: recordStatus('spf_status'),
    lastCheckedAt: timestamp('last_checked_at', { withTimezone: true, mode: 'date' }),
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
export type DomainRow = typeof domains.$inferSelect;
