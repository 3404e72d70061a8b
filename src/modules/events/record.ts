import { and, eq, inArray, lt, notExists, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { events, webhookDeliveries, webhooks } from '../../db/schema-events.js';
import { deleteExpired } from '../../db/sweep.js';
import type { Clock } from '../../lib/clock.js';
import { idBefore, newId } from '../../lib/ids.js';
import type { EventType } from './catalogue.js';

// The one way an event is stored from TypeScript: inside the transaction of the change it
// reports, so the change and its event commit together or not at all. The database does the
// rest in the same transaction: a trigger on `events` queues a delivery for every enabled webhook
// of the project subscribed to the type (migration 0011). Email events are written by another
// trigger, from the email's own history (email_events), whatever statement records it.

export type EventInput = Readonly<{
  organizationId: string;
  projectId: string;
  type: EventType;
  /** The payload's `data`, in Resend's shape for the type. */
  data: Readonly<Record<string, unknown>>;
  at: Date;
}>;

/** Anything that can insert: the database or a transaction. */
export type EventWriter = Pick<Db, 'insert'>;

export async function recordEvent(writer: EventWriter, input: EventInput): Promise<void> {
  const createdAt = input.at.toISOString();
  await writer.insert(events).values({
    id: newId('event', input.at.getTime()),
    organizationId: input.organizationId,
    projectId: input.projectId,
    type: input.type,
    payload: { type: input.type, created_at: createdAt, data: input.data },
    createdAt: input.at,
  });
}

const DAY_MS = 86_400_000;

/**
 * Deletes events older than `days` (POSTGATE_EVENT_RETENTION_DAYS), with their deliveries and
 * attempts (foreign keys, ON DELETE CASCADE): webhook logs do not grow without bound. Ids are
 * time-ordered, so the sweep goes by id. Not an event still being delivered to an enabled endpoint
 * (retries span more than a day, longer with Retry-After): a short retention must not drop what
 * was never sent.
 */
export async function pruneEvents(db: Db, clock: Clock, days: number): Promise<number> {
  const expired = and(
    lt(events.id, idBefore('event', clock.nowMs() - days * DAY_MS)),
    // Only deliveries that will be attempted: a disabled endpoint's wait for it to be enabled again,
    // and would otherwise keep their events for good.
    notExists(
      db
        .select({ one: sql`1` })
        .from(webhookDeliveries)
        .innerJoin(webhooks, and(eq(webhooks.id, webhookDeliveries.webhookId), eq(webhooks.status, 'enabled')))
        .where(and(eq(webhookDeliveries.eventId, events.id), inArray(webhookDeliveries.status, ['pending', 'attempting']))),
    ),
  )!;
  return deleteExpired(db, events, [events.id], expired);
}
