import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { events, webhookAttempts, webhookDeliveries, type WebhookAttemptRow, type WebhookDeliveryRow, type WebhookRow } from '../../db/schema-events.js';
import type { Clock } from '../../lib/clock.js';
import { AppError, notFound } from '../../lib/errors.js';
import { pageOf, toPage, type Cursor, type ListPage } from '../../lib/pagination.js';
import type { Actor } from '../api-keys/principal.js';
import { recordAudit } from '../audit/record.js';
import type { WebhookAttempt, WebhookEventObject, WebhookEventSummary } from './schemas.js';
import { disabledConflict, type WebhookService } from './service.js';

// A webhook's event log (Resend's /webhooks/{id}/events): each event sent to the endpoint, its
// status, its payload and its attempts; and replay, which queues the same delivery again (same
// `webhook-id`, so a receiver that already has it can tell) with a fresh retry schedule.

export type WebhookEventLog = Readonly<{
  list(actor: Actor, webhookId: string, cursor: Cursor): Promise<ListPage<WebhookEventSummary>>;
  get(actor: Actor, webhookId: string, eventId: string): Promise<WebhookEventObject>;
  replay(actor: Actor, webhookId: string, eventId: string): Promise<{ object: 'webhook_event'; id: string }>;
  attempts(actor: Actor, webhookId: string, eventId: string, cursor: Cursor): Promise<ListPage<WebhookAttempt>>;
}>;

export function createWebhookEventLog(deps: Readonly<{ db: Db; clock: Clock; webhooks: Pick<WebhookService, 'find'> }>): WebhookEventLog {
  /** The event of the endpoint, and the endpoint (read once: replay needs its status). */
  const deliveryOf = async (actor: Actor, webhookId: string, eventId: string): Promise<{ row: WebhookDeliveryRow; webhook: WebhookRow }> => {
    const webhook = await deps.webhooks.find(actor, webhookId);
    const [row] = await deps.db
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.id, eventId), eq(webhookDeliveries.webhookId, webhook.id)));
    if (!row) throw notFound('Webhook event');
    return { row, webhook };
  };
  const delivery = async (actor: Actor, webhookId: string, eventId: string): Promise<WebhookDeliveryRow> => (await deliveryOf(actor, webhookId, eventId)).row;
  return {
    async list(actor, webhookId, cursor) {
      const webhook = await deps.webhooks.find(actor, webhookId);
      const page = pageOf(webhookDeliveries.id, eq(webhookDeliveries.webhookId, webhook.id), cursor);
      const rows = await deps.db.select().from(webhookDeliveries).where(page.where).orderBy(page.orderBy).limit(page.limit);
      return toPage(rows, cursor, presentSummary);
    },
    async get(actor, webhookId, eventId) {
      const row = await delivery(actor, webhookId, eventId);
      const [event] = await deps.db.select({ payload: events.payload }).from(events).where(eq(events.id, row.eventId));
      return {
        ...presentSummary(row),
        object: 'webhook_event',
        next_attempt_at: row.status === 'pending' ? row.nextAttemptAt.toISOString() : null,
        payload: (event?.payload ?? {}) as Record<string, unknown>,
      };
    },
    async replay(actor, webhookId, eventId) {
      const { row, webhook } = await deliveryOf(actor, webhookId, eventId);
      if (webhook.status !== 'enabled') throw disabledConflict();
      await deps.db.transaction(async (tx) => {
        const [queued] = await tx
          .update(webhookDeliveries)
          .set({ status: 'pending', nextAttemptAt: deps.clock.now(), baseAttempts: sql`${webhookDeliveries.attempts}`, updatedAt: deps.clock.now() })
          .where(and(eq(webhookDeliveries.id, row.id), inArray(webhookDeliveries.status, ['pending', 'success', 'failed'])))
          .returning({ id: webhookDeliveries.id });
        // Being attempted right now: said, not accepted and dropped (that attempt may be its last).
        if (!queued) throw new AppError('conflict', 'the event is being delivered right now; replay it once this attempt has ended');
        await recordAudit(tx, deps.clock, actor, { action: 'webhook.event_replayed', targets: [{ type: 'webhook', id: row.webhookId }, { type: 'webhook_event', id: row.id, name: row.eventType }] });
      });
      return { object: 'webhook_event', id: row.id };
    },
    async attempts(actor, webhookId, eventId, cursor) {
      const row = await delivery(actor, webhookId, eventId);
      const page = pageOf(webhookAttempts.id, eq(webhookAttempts.deliveryId, row.id), cursor);
      const rows = await deps.db.select().from(webhookAttempts).where(page.where).orderBy(page.orderBy).limit(page.limit);
      return toPage(rows, cursor, presentAttempt);
    },
  };
}

function presentSummary(row: WebhookDeliveryRow): WebhookEventSummary {
  return { id: row.id, type: row.eventType, created_at: row.createdAt.toISOString(), status: row.status };
}

function presentAttempt(row: WebhookAttemptRow): WebhookAttempt {
  return {
    id: row.id,
    http_status_code: row.httpStatusCode ?? 0,
    response: row.response,
    duration_ms: row.durationMs,
    sent_at: row.sentAt.toISOString(),
  };
}
