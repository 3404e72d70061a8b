import { and, eq, gt, isNotNull, lte, notExists, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { apiKeys, auditEvents } from '../../db/schema.js';
import type { Clock } from '../../lib/clock.js';
import { recordAudit, SYSTEM_IDENTITY } from '../audit/record.js';
import { operator } from './principal.js';

/**
 * Records `api_key.expired` (actor: Postgate itself) once for each key whose `expires_at` has
 * passed. The key stopped working at that moment whatever this does (verify.ts); the event is for
 * the audit trail, written by the worker's hourly housekeeping, so at most an hour late. "Once" is
 * told by the audit log itself, whose retention (`retentionDays`) sweeps the record: keys expired
 * longer ago than that are left alone, or each would be announced again after every sweep.
 */
export async function recordKeyExpiries(db: Db, clock: Clock, retentionDays: number): Promise<number> {
  const now = clock.now();
  const announcedSince = new Date(now.getTime() - retentionDays * 86_400_000);
  const expired = await db
    .select({ id: apiKeys.id, name: apiKeys.name, organizationId: apiKeys.organizationId, projectId: apiKeys.projectId, expiresAt: apiKeys.expiresAt })
    .from(apiKeys)
    .where(
      and(
        isNotNull(apiKeys.expiresAt),
        lte(apiKeys.expiresAt, now),
        gt(apiKeys.expiresAt, announcedSince),
        notExists(
          db
            .select({ one: sql`1` })
            .from(auditEvents)
            .where(and(eq(auditEvents.organizationId, apiKeys.organizationId), eq(auditEvents.action, 'api_key.expired'), sql`${auditEvents.targets} @> jsonb_build_array(jsonb_build_object('id', ${apiKeys.id}))`)),
        ),
      ),
    )
    .limit(1_000);
  if (expired.length === 0) return 0;
  await db.transaction(async (tx) => {
    for (const key of expired) {
      const actor = operator(key.organizationId, key.projectId, SYSTEM_IDENTITY);
      const changes = { expires_at: { before: null, after: key.expiresAt!.toISOString() } };
      await recordAudit(tx, clock, actor, { action: 'api_key.expired', targets: [{ type: 'api_key', id: key.id, name: key.name }], changes });
    }
  });
  return expired.length;
}
