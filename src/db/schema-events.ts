import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { organizations, projects } from './schema.js';

// Events, webhooks and suppressions (issue 23), apart from schema.ts so neither file grows past
// reading. drizzle.config.ts lists both files; db/client.ts merges them into one schema.

const timestamptz = (column: string) => timestamp(column, { withTimezone: true, mode: 'date' });
const organizationRef = () => text('organization_id').notNull().references(() => organizations.id, { onDelete: 'cascade' });
const projectRef = () => text('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' });

/**
 * Every state change a webhook can subscribe to, stored in the transaction of the change:
 * `payload` is what is POSTed, `{type, created_at, data}` in Resend's shapes.
 */
export const events = pgTable(
  'events',
  {
    id: text('id').primaryKey(),
    organizationId: organizationRef(),
    projectId: projectRef(),
    type: text('type').notNull(),
    payload: jsonb('payload').notNull(),
    createdAt: timestamptz('created_at').notNull(),
  },
  (t) => [index('events_org_idx').on(t.organizationId, t.id)],
);

export const WEBHOOK_STATUSES = ['enabled', 'disabled'] as const;

export const webhooks = pgTable(
  'webhooks',
  {
    id: text('id').primaryKey(),
    organizationId: organizationRef(),
    projectId: projectRef(),
    endpoint: text('endpoint').notNull(),
    /** The event types it receives. */
    events: text('events').array().notNull(),
    status: text('status', { enum: WEBHOOK_STATUSES }).notNull().default('enabled'),
    /** Why Postgate disabled it (410 Gone, failing for days); null when the user did, or enabled. */
    disabledReason: text('disabled_reason'),
    // Security: the signing secret is needed in clear to sign, so it is sealed (AES-GCM under the
    // install's key, bound to this row's id), never stored as plain text.
    secretBox: text('secret_box').notNull(),
    /** The secret before the last rotation, still signing beside the new one until `previous_secret_until`. */
    previousSecretBox: text('previous_secret_box'),
    previousSecretUntil: timestamptz('previous_secret_until'),
    /** When the current run of failed deliveries began; null after a success. */
    failingSince: timestamptz('failing_since'),
    createdAt: timestamptz('created_at').notNull(),
    updatedAt: timestamptz('updated_at').notNull(),
  },
  (t) => [index('webhooks_org_idx').on(t.organizationId, t.id)],
);

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'attempting', 'success', 'failed'] as const;

/**
 * One event for one endpoint: the row a webhook's event log lists, and a queue row
 * (modules/queue/leased-table.ts: `pending` waits, `attempting` is leased). Its id is the
 * `webhook-id` header, the same on every attempt and replay, so receivers can deduplicate.
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    webhookId: text('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    eventId: text('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'cascade' }),
    eventType: text('event_type').notNull(),
    status: text('status', { enum: WEBHOOK_DELIVERY_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    /** `attempts` when the current round began (creation or a replay): the retry schedule counts from it. */
    baseAttempts: integer('base_attempts').notNull().default(0),
    nextAttemptAt: timestamptz('next_attempt_at').notNull(),
    createdAt: timestamptz('created_at').notNull(),
    updatedAt: timestamptz('updated_at').notNull(),
  },
  (t) => [
    index('webhook_deliveries_webhook_idx').on(t.webhookId, t.id),
    // The claim goes endpoint by endpoint (modules/webhooks/dispatch.ts): each one's due rows in order.
    index('webhook_deliveries_due_idx').on(t.webhookId, t.nextAttemptAt).where(sql`${t.status} in ('pending', 'attempting')`),
  ],
);

/** Each POST of a delivery, whatever its outcome. */
export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    id: text('id').primaryKey(),
    deliveryId: text('delivery_id')
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
    /** Null when no HTTP response came (refused address, timeout, connection error). */
    httpStatusCode: integer('http_status_code'),
    /** The start of the response body, or the error when there was no response. */
    response: text('response').notNull(),
    durationMs: integer('duration_ms').notNull(),
    sentAt: timestamptz('sent_at').notNull(),
  },
  (t) => [index('webhook_attempts_delivery_idx').on(t.deliveryId, t.id)],
);

export const SUPPRESSION_ORIGINS = ['bounce', 'complaint', 'manual'] as const;

/** Addresses never sent to (per project): hard bounces, complaints, and those added by hand. */
export const suppressions = pgTable(
  'suppressions',
  {
    id: text('id').primaryKey(),
    organizationId: organizationRef(),
    projectId: projectRef(),
    /** Trimmed and lower-cased. */
    email: text('email').notNull(),
    origin: text('origin', { enum: SUPPRESSION_ORIGINS }).notNull(),
    /** The email whose bounce or complaint added it. */
    sourceId: text('source_id'),
    createdAt: timestamptz('created_at').notNull(),
  },
  (t) => [uniqueIndex('suppressions_project_email_idx').on(t.projectId, t.email), index('suppressions_org_idx').on(t.organizationId, t.id)],
);

export type EventRow = typeof events.$inferSelect;
export type WebhookRow = typeof webhooks.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type WebhookAttemptRow = typeof webhookAttempts.$inferSelect;
export type SuppressionRow = typeof suppressions.$inferSelect;
