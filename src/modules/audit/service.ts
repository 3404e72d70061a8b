import { and, eq, gte, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { deleteExpired } from '../../db/sweep.js';
import { auditEvents, type AuditEventRow } from '../../db/schema.js';
import type { Clock } from '../../lib/clock.js';
import { pageOf, toPage, type Cursor, type ListPage } from '../../lib/pagination.js';
import type { Actor } from '../api-keys/principal.js';
import type { AuditActorType } from './record.js';

export type AuditFilters = Readonly<{
  /** The acting user's or key's id. */
  actorId?: string | undefined;
  /** An exact action (`api_key.created`), or every action of a resource (`api_key.*`). */
  action?: string | undefined;
  /** Any event naming this object among its targets. */
  targetId?: string | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
}>;

export type AuditEventObject = {
  object: 'audit_event';
  id: string;
  occurred_at: string;
  project_id: string | null;
  actor: { type: AuditActorType; id: string | null; name: string | null };
  action: string;
  targets: { type: string; id: string; name: string | null }[];
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  changes: Record<string, { before: unknown; after: unknown }> | null;
};

export type AuditService = Readonly<{
  list(actor: Actor, filters: AuditFilters, cursor: Cursor): Promise<ListPage<AuditEventObject>>;
  /** Deletes events older than the retention; the only way an event ever leaves the log. */
  sweep(retentionDays: number): Promise<number>;
}>;

export function createAuditService(deps: Readonly<{ db: Db; clock: Clock }>): AuditService {
  return {
    list: (actor, filters, cursor) => listAuditEvents(deps.db, actor, filters, cursor),
    sweep: async (retentionDays) => {
      const cutoff = new Date(deps.clock.nowMs() - retentionDays * 86_400_000);
      return deleteExpired(deps.db, auditEvents, [auditEvents.id], lt(auditEvents.occurredAt, cutoff));
    },
  };
}

async function listAuditEvents(db: Db, actor: Actor, filters: AuditFilters, cursor: Cursor): Promise<ListPage<AuditEventObject>> {
  const page = pageOf(auditEvents.id, and(visibleEvents(actor), ...matching(filters))!, cursor);
  const rows = await db.select().from(auditEvents).where(page.where).orderBy(page.orderBy).limit(page.limit);
  return toPage(rows, cursor, presentAuditEvent);
}

/** An organization's events; a key sees its own project's and the organization-wide ones. */
function visibleEvents(actor: Actor): SQL {
  const organization = eq(auditEvents.organizationId, actor.organizationId);
  if (actor.kind !== 'api_key') return organization;
  return and(organization, or(isNull(auditEvents.projectId), eq(auditEvents.projectId, actor.projectId)))!;
}

function matching(filters: AuditFilters): SQL[] {
  const conditions: SQL[] = [];
  if (filters.actorId) conditions.push(eq(auditEvents.actorId, filters.actorId));
  if (filters.action?.endsWith('.*')) conditions.push(sql`starts_with(${auditEvents.action}, ${filters.action.slice(0, -1)})`);
  else if (filters.action) conditions.push(eq(auditEvents.action, filters.action));
  if (filters.targetId) conditions.push(sql`${auditEvents.targets} @> ${JSON.stringify([{ id: filters.targetId }])}::jsonb`);
  if (filters.since) conditions.push(gte(auditEvents.occurredAt, filters.since));
  if (filters.until) conditions.push(lt(auditEvents.occurredAt, filters.until));
  return conditions;
}

export function presentAuditEvent(row: AuditEventRow): AuditEventObject {
  return {
    object: 'audit_event',
    id: row.id,
    occurred_at: row.occurredAt.toISOString(),
    project_id: row.projectId,
    actor: { type: row.actorType, id: row.actorId, name: row.actorName },
    action: row.action,
    targets: row.targets.map((t) => ({ type: t.type, id: t.id, name: t.name ?? null })),
    ip: row.ip,
    user_agent: row.userAgent,
    request_id: row.requestId,
    changes: row.changes,
  };
}
