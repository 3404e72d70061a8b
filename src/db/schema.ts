import { sql } from 'drizzle-orm';
import { bigserial, boolean, check, customType, date, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();

export const organizations = pgTable('organizations', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  plan: text('plan', { enum: ['free', 'pro', 'scale', 'unlimited'] }).notNull().default('free'),
  createdAt: createdAt(),
});

/** The owning organization and project of a row: deleting either deletes the row. */
function organizationRef() {
  return text('organization_id').notNull().references(() => organizations.id, { onDelete: 'cascade' });
}
function projectRef() {
  return text('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' });
}

export const projects = pgTable(
  'projects',
  {
    id: text('id').primaryKey(),
    organizationId: organizationRef(),
    name: text('name').notNull(),
    isDefault: boolean('is_default').notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [index('projects_org_idx').on(t.organizationId)],
);

/** Status of a domain, and of each of its DNS records. */
export const DOMAIN_STATUSES = ['not_started', 'pending', 'verified', 'failed'] as const;

const recordStatus = (column: string) => text(column, { enum: DOMAIN_STATUSES }).notNull().default('not_started');

/** Resend's regions: accepted and shown for the SDK's sake; a self-hosted Postgate sends from where it runs. */
export const DOMAIN_REGIONS = ['us-east-1', 'eu-west-1', 'sa-east-1', 'ap-northeast-1'] as const;

export const domains = pgTable(
  'domains',
  {
    id: text('id').primaryKey(),
    organizationId: organizationRef(),
    projectId: projectRef(),
    name: text('name').notNull(),
    status: text('status', { enum: DOMAIN_STATUSES }).notNull().default('not_started'),
    // Random values the database draws (gen_random_uuid: 122 random bits), so a row inserted
    // without them still gets its own. The signing key has no default: whoever creates a domain
    // generates it (createDomain, off the event loop), never an implicit default.
    /** Published in TXT `_postgate.<name>` as `postgate-verification=<token>`: not a secret. */
    verificationToken: text('verification_token')
      .notNull()
      .default(sql`replace(gen_random_uuid()::text, '-', '')`),
    /** Per domain, so two organizations holding one name never fight over one DKIM record. */
    dkimSelector: text('dkim_selector')
      .notNull()
      .default(sql`'postgate-' || left(replace(gen_random_uuid()::text, '-', ''), 10)`),
    // Security: the signing key (PKCS#8 PEM); it never leaves the server. The public half is
    // derived from it when a record is shown, so the two can never disagree.
    dkimPrivateKey: text('dkim_private_key').notNull(),
    ownershipStatus: recordStatus('ownership_status'),
    dkimStatus: recordStatus('dkim_status'),
    spfStatus: recordStatus('spf_status'),
    lastCheckedAt: timestamp('last_checked_at', { withTimezone: true, mode: 'date' }),
    openTracking: boolean('open_tracking').notNull().default(false),
    clickTracking: boolean('click_tracking').notNull().default(false),
    /** `enforced`: a relay that does not offer TLS is refused; `opportunistic`: TLS when offered. */
    tls: text('tls', { enum: ['opportunistic', 'enforced'] }).notNull().default('opportunistic'),
    // Resend's domain fields the SDK sends: stored and shown now; inbound mail will use `receiving`.
    region: text('region', { enum: DOMAIN_REGIONS }).notNull().default('us-east-1'),
    receiving: text('receiving', { enum: ['enabled', 'disabled'] }).notNull().default('disabled'),
    /** The subdomain of the Return-Path (bounce) address; Resend's default is `send`. */
    customReturnPath: text('custom_return_path').notNull().default('send'),
    trackingSubdomain: text('tracking_subdomain'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('domains_org_name_idx').on(t.organizationId, t.name)],
);

export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    organizationId: organizationRef(),
    projectId: projectRef(),
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

/** The key a usage row counts for: deleting the key deletes its usage. */
function keyRef() {
  return text('key_id')
    .notNull()
    .references(() => apiKeys.id, { onDelete: 'cascade' });
}

/** Requests per key, day, route and status: written in batches, never once per request. */
export const apiKeyUsage = pgTable(
  'api_key_usage',
  {
    keyId: keyRef(),
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
    keyId: keyRef(),
    ip: text('ip').notNull(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.keyId, t.ip] })],
);

/**
 * Raw bytes (MIME messages). Written as base64 text decoded by the database: PGlite converts a
 * bytea parameter to hex in JavaScript, ten times slower for a message with attachments. Read
 * back as a Buffer (node-postgres) or a Uint8Array (PGlite); large reads use `encode(..., 'base64')`.
 */
const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  toDriver: (value) => sql`decode(${value.toString('base64')}, 'base64')`,
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)),
});

const timestamptz = (column: string) => timestamp(column, { withTimezone: true, mode: 'date' });

/** Where an email stands. `queued` covers waiting for its first attempt, a retry or its scheduled time. */
export const EMAIL_STATUSES = ['queued', 'sending', 'delivered', 'bounced', 'failed', 'suppressed', 'canceled'] as const;
/** What happened to an email, in order (Resend's names). */
export const EMAIL_EVENT_TYPES = ['queued', 'sent', 'delivered', 'delivery_delayed', 'bounced', 'failed', 'suppressed', 'complained', 'opened', 'clicked', 'canceled'] as const;

/**
 * One accepted email. The row, its `queued` event and its message are written in one statement.
 * The row is also its place in the delivery queue (modules/queue/leased-table.ts): status
 * `queued` is due at next_attempt_at; `sending` is leased to an attempt until next_attempt_at;
 * `attempts` is the number of that attempt, the fencing token its outcome is recorded under.
 */
export const emails = pgTable(
  'emails',
  {
    id: text('id').primaryKey(),
    organizationId: organizationRef(),
    projectId: projectRef(),
    // No foreign keys: a deleted key or domain leaves its emails in the log.
    apiKeyId: text('api_key_id'),
    /** The From domain of the organization (signing key), when it has one. */
    domainId: text('domain_id'),
    mode: text('mode', { enum: ['live', 'test'] }).notNull(),
    // `system`: Postgate's own mail (invitations): it carries secrets (the link), so no one reads it back.
    source: text('source', { enum: ['api', 'smtp', 'system'] }).notNull(),
    fromAddress: text('from_address').notNull(),
    toAddresses: text('to_addresses').array().notNull(),
    ccAddresses: text('cc_addresses').array().notNull(),
    bccAddresses: text('bcc_addresses').array().notNull(),
    replyTo: text('reply_to').array().notNull(),
    subject: text('subject').notNull(),
    html: text('html'),
    text: text('text'),
    tags: jsonb('tags').$type<{ name: string; value: string }[]>().notNull(),
    messageId: text('message_id').notNull(),
    /** The SMTP envelope: what the relay is told, whatever the headers say (Bcc works this way). */
    envelopeFrom: text('envelope_from').notNull(),
    recipients: text('recipients').array().notNull(),
    status: text('status', { enum: EMAIL_STATUSES }).notNull().default('queued'),
    lastEvent: text('last_event', { enum: EMAIL_EVENT_TYPES }).notNull().default('queued'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamptz('next_attempt_at').notNull(),
    /**
     * Written by versions before the owned queue (the lease, now next_attempt_at); written NULL
     * since, and kept so that instances of those versions run during a rolling upgrade.
     */
    lockedUntil: timestamptz('locked_until'),
    lastError: text('last_error'),
    scheduledAt: timestamptz('scheduled_at'),
    /** Sent with `template`: the template and the variables given (no key: the template may be deleted since). */
    templateId: text('template_id'),
    templateVariables: jsonb('template_variables').$type<Record<string, string | number>>(),
    /** Resend's `topic_id`, stored for the audience (unsubscribe per topic). */
    topicId: text('topic_id'),
    createdAt: createdAt(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('emails_org_idx').on(t.organizationId, t.id),
    // The queue's claim: due emails in order, among the few not finished.
    index('emails_due_idx').on(t.nextAttemptAt).where(sql`${t.status} in ('queued', 'sending')`),
  ],
);

/** The message bytes, apart from the row so lists never read them. */
export const emailMessages = pgTable(
  'email_messages',
  {
    emailId: text('email_id')
      .primaryKey()
      .references(() => emails.id, { onDelete: 'cascade' }),
    /** As submitted over SMTP: unsigned. Null for an email sent as JSON (see `composition`). */
    raw: bytea('raw'),
    /** An email sent as JSON: what composing its message at delivery needs beyond its row (emails/compose.ts's Composition). */
    composition: jsonb('composition'),
    /** The signed message the capture transport kept instead of sending it. */
    captured: bytea('captured'),
  },
  (t) => [check('email_messages_content', sql`(${t.raw} is null) <> (${t.composition} is null)`)],
);

export const emailEvents = pgTable(
  'email_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    emailId: text('email_id')
      .notNull()
      .references(() => emails.id, { onDelete: 'cascade' }),
    type: text('type', { enum: EMAIL_EVENT_TYPES }).notNull(),
    /** The relay's reply or the error, for the log. */
    detail: text('detail'),
    createdAt: timestamptz('created_at').notNull(),
  },
  (t) => [index('email_events_email_idx').on(t.emailId, t.id)],
);

/**
 * `Idempotency-Key`s, per organization, kept 24 hours: the hash of the request and the answer
 * given, written in the same transaction as the emails it created.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    organizationId: organizationRef(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    response: jsonb('response').notNull(),
    createdAt: timestamptz('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.key] }), index('idempotency_keys_created_idx').on(t.createdAt)],
);

export type OrganizationRow = typeof organizations.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type DomainRow = typeof domains.$inferSelect;
export type EmailRow = typeof emails.$inferSelect;
export type EmailEventRow = typeof emailEvents.$inferSelect;

/** Dashboard roles, broadest first. */
export const MEMBER_ROLES = ['owner', 'admin', 'developer', 'viewer'] as const;

/** Dashboard accounts. Emails are stored trimmed and lower-cased, unique across the install. */
export const users = pgTable(
  'users',
  {
    id: text('id').primaryKey(),
    organizationId: organizationRef(),
    email: text('email').notNull(),
    // Security: an argon2id PHC string (salted, memory-hard), never the password.
    passwordHash: text('password_hash').notNull(),
    /** What the member may do in the dashboard (modules/team/roles.ts). */
    role: text('role', { enum: MEMBER_ROLES }).notNull().default('owner'),
    // Security: the TOTP secret (base32), encrypted with the install's secret key; null: no 2FA.
    totpSecret: text('totp_secret'),
    /** When two-factor sign-in was confirmed with a first code; null while being set up. */
    totpEnabledAt: timestamptz('totp_enabled_at'),
    /** The last 30-second TOTP step a code was accepted for: each code works once, on every instance. */
    totpLastStep: integer('totp_last_step'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('users_email_idx').on(t.email), index('users_org_idx').on(t.organizationId)],
);

/** Dashboard sessions, server-side: deleting the row ends the session everywhere at once. */
export const sessions = pgTable(
  'sessions',
  {
    // Security: SHA-256 of the random session id; the id itself lives only in the user's cookie.
    idHash: text('id_hash').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** The project the dashboard shows (its project switcher); null: the default project. */
    projectId: text('project_id').references(() => projects.id, { onDelete: 'set null' }),
    /** Shown on the sessions page, so a user can tell their sessions apart. */
    ip: text('ip'),
    userAgent: text('user_agent'),
    createdAt: createdAt(),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

/** The one-time code that claims an empty install (at most one row, id 'owner'). */
export const setupCodes = pgTable('setup_codes', {
  id: text('id').primaryKey(),
  // Security: SHA-256 of the code; the code itself is only printed in the start-up lines.
  codeHash: text('code_hash').notNull(),
  createdAt: createdAt(),
});

export type UserRow = typeof users.$inferSelect;

/** Two-factor recovery codes: each signs in once, in place of a TOTP code. */
export const recoveryCodes = pgTable(
  'recovery_codes',
  {
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    // Security: SHA-256 of the code; the codes are shown once, when two-factor sign-in is enabled.
    codeHash: text('code_hash').notNull(),
    usedAt: timestamptz('used_at'),
  },
  (t) => [primaryKey({ columns: [t.userId, t.codeHash] })],
);

/** A single-use invitation to join an organization, sent as a link that expires. */
export const invitations = pgTable(
  'invitations',
  {
    id: text('id').primaryKey(),
    organizationId: organizationRef(),
    email: text('email').notNull(),
    role: text('role', { enum: MEMBER_ROLES }).notNull(),
    // Security: SHA-256 of the link's token; the token is only in the link.
    tokenHash: text('token_hash').notNull(),
    invitedBy: text('invited_by').references(() => users.id, { onDelete: 'set null' }),
    expiresAt: timestamptz('expires_at').notNull(),
    acceptedAt: timestamptz('accepted_at'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('invitations_token_idx').on(t.tokenHash), index('invitations_org_idx').on(t.organizationId)],
);

/** Who did something: a dashboard user, an API key, the operator's CLI, or Postgate itself. */
export const AUDIT_ACTOR_TYPES = ['user', 'api_key', 'cli', 'system'] as const;

/**
 * The audit log: one row per mutation, written in the mutation's transaction (modules/audit).
 * Append-only: a trigger refuses every UPDATE; rows leave only by retention (or with their
 * organization). Project and actor are plain ids, no foreign keys: the trail outlives them.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: text('id').primaryKey(),
    organizationId: organizationRef(),
    projectId: text('project_id'),
    occurredAt: timestamptz('occurred_at').notNull(),
    actorType: text('actor_type', { enum: AUDIT_ACTOR_TYPES }).notNull(),
    actorId: text('actor_id'),
    actorName: text('actor_name'),
    action: text('action').notNull(),
    targets: jsonb('targets').$type<{ type: string; id: string; name?: string | null }[]>().notNull(),
    ip: text('ip'),
    userAgent: text('user_agent'),
    requestId: text('request_id'),
    changes: jsonb('changes').$type<Record<string, { before: unknown; after: unknown }>>(),
  },
  (t) => [
    index('audit_events_org_idx').on(t.organizationId, t.id),
    index('audit_events_time_idx').on(t.occurredAt),
  ],
);

/**
 * The API request log (GET /logs): one row per authenticated request, written in batches. No
 * request or response body is stored. Key and project are plain ids: the log outlives them.
 */
export type AuditEventRow = typeof auditEvents.$inferSelect;
export type InvitationRow = typeof invitations.$inferSelect;
export type ProjectRow = typeof projects.$inferSelect;
