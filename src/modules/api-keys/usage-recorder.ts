import { and, desc, eq, gte, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { apiKeyClientIps, apiKeys, apiKeyUsage } from '../../db/schema.js';
import type { Clock } from '../../lib/clock.js';
import { recordAudit } from '../audit/record.js';
import { operator, withRequest } from './principal.js';

/** What one key did since the last flush. */
type KeyPending = {
  lastUsed: number;
  /** `day route status` (tab-separated) -> requests */
  counts: Map<string, number>;
  /** client address -> last seen (epoch ms) */
  ips: Map<string, number>;
};

type Pending = Map<string, KeyPending>;

const DAY_MS = 86_400_000;

/** Client addresses kept per key: enough to see where a key is used, bounded however many it meets. */
export const CLIENT_IPS_PER_KEY = 50;

/** `api_key.used_from_new_ip` events written per key by one flush (once a minute by default). */
const NEW_ADDRESS_EVENTS_PER_FLUSH = 10;

/** One use of a key: an HTTP request (method and route pattern: "GET", "/whoami") or an SMTP message ("SMTP", "DATA"). */
export type Use = Readonly<{ keyId: string; method: string; url: string; status: number; ip: string }>;

function pendingOf(pending: Pending, keyId: string): KeyPending {
  let entry = pending.get(keyId);
  if (!entry) pending.set(keyId, (entry = { lastUsed: 0, counts: new Map(), ips: new Map() }));
  return entry;
}

export type KeyUsage = {
  days: { date: string; total: number; routes: { route: string; status: number; count: number }[] }[];
  recent_ips: { ip: string; last_seen_at: string }[];
};

/**
 * Records key use in memory and writes it in batches (default once a minute): `last_used_at`,
 * request counts per day/route/status and recent client IPs. The request path only touches maps;
 * a key's row is written at most once per flush interval, never once per request.
 */
/** Keeps each key's CLIENT_IPS_PER_KEY most recently seen client addresses, deleting the rest. */
async function trimClientIps(tx: Pick<Db, 'execute'>, keyIds: string[]): Promise<void> {
  await tx.execute(sql`
    delete from ${apiKeyClientIps} as c
    using (
      select key_id, ip, row_number() over (partition by key_id order by last_seen_at desc, ip) as recency
      from ${apiKeyClientIps} where ${inArray(apiKeyClientIps.keyId, keyIds)}
    ) as ranked
    where c.key_id = ranked.key_id and c.ip = ranked.ip and ranked.recency > ${CLIENT_IPS_PER_KEY}`);
}

export class UsageRecorder {
  private pending: Pending = new Map();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly flushIntervalMs = 60_000,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush().catch(() => undefined), this.flushIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush().catch(() => undefined);
  }

  /** Counts one use, in memory: nothing is written per request. */
  record(use: Use): void {
    const now = this.clock.nowMs();
    const entry = pendingOf(this.pending, use.keyId);
    entry.lastUsed = now;
    const day = this.dayOf(now);
    const count = `${day}\t${use.method} ${use.url}\t${use.status}`;
    entry.counts.set(count, (entry.counts.get(count) ?? 0) + 1);
    // The most recent addresses, bounded between flushes too (and while the database is away).
    entry.ips.delete(use.ip);
    if (entry.ips.size >= CLIENT_IPS_PER_KEY) entry.ips.delete(entry.ips.keys().next().value!);
    entry.ips.set(use.ip, now);
  }

  private day = { number: -1, text: '' };

  /** The UTC date of `ms`, formatted once a day rather than once a request. */
  private dayOf(ms: number): string {
    const number = Math.floor(ms / DAY_MS);
    if (number !== this.day.number) this.day = { number, text: new Date(number * DAY_MS).toISOString().slice(0, 10) };
    return this.day.text;
  }

  /** Use seen by this instance and not yet written (epoch ms), so reads here are exact. */
  pendingLastUsed(keyId: string): number | undefined {
    return this.pending.get(keyId)?.lastUsed;
  }

  flush(): Promise<void> {
    // One write at a time. A failed write (its batch went back into pending) must not fail the
    // ones after it: each flush waits for the previous one to settle, not to succeed.
    this.flushing = this.flushing.catch(() => undefined).then(() => this.writeBatch());
    return this.flushing;
  }

  private async writeBatch(): Promise<void> {
    const batch = this.pending;
    if (batch.size === 0) return;
    this.pending = new Map();
    try {
      await this.db.transaction(async (tx) => {
        // Keys deleted since their use was counted take their usage with them (the tables
        // cascade); locked as foreign keys lock them, so none is deleted under this write.
        const live = await tx
          .select({ id: apiKeys.id, name: apiKeys.name, organizationId: apiKeys.organizationId, projectId: apiKeys.projectId })
          .from(apiKeys)
          .where(inArray(apiKeys.id, [...batch.keys()]))
          .for('key share');
        const keyIds = live.map((row) => row.id);
        if (keyIds.length === 0) return;
        const counts: { keyId: string; day: string; route: string; status: number; count: number }[] = [];
        const ips: { keyId: string; ip: string; lastSeenAt: Date }[] = [];
        for (const keyId of keyIds) {
          const entry = batch.get(keyId)!;
          const at = new Date(entry.lastUsed);
          await tx
            .update(apiKeys)
            .set({ lastUsedAt: at })
            .where(and(eq(apiKeys.id, keyId), sql`(${apiKeys.lastUsedAt} is null or ${apiKeys.lastUsedAt} < ${at})`));
          for (const [label, count] of entry.counts) {
            const [day, route, status] = label.split('\t') as [string, string, string];
            counts.push({ keyId, day, route, status: Number(status), count });
          }
          for (const [ip, seen] of entry.ips) ips.push({ keyId, ip, lastSeenAt: new Date(seen) });
        }
        await tx
          .insert(apiKeyUsage)
          .values(counts)
          .onConflictDoUpdate({
            target: [apiKeyUsage.keyId, apiKeyUsage.day, apiKeyUsage.route, apiKeyUsage.status],
            set: { count: sql`${apiKeyUsage.count} + excluded.count` },
          });
        const seen = await tx
          .insert(apiKeyClientIps)
          .values(ips)
          .onConflictDoUpdate({
            target: [apiKeyClientIps.keyId, apiKeyClientIps.ip],
            set: { lastSeenAt: sql`greatest(${apiKeyClientIps.lastSeenAt}, excluded.last_seen_at)` },
          })
          // xmax is 0 on a row this statement inserted, not on one it updated: a first sighting.
          .returning({ keyId: apiKeyClientIps.keyId, ip: apiKeyClientIps.ip, isNew: sql<boolean>`xmax = 0` });
        const keys = new Map(live.map((key) => [key.id, key]));
        const reported = new Map<string, number>();
        for (const { keyId, ip } of seen.filter((row) => row.isNew)) {
          // Bounded per key and flush: a leaked key tried from a whole address range must not
          // turn the audit log into its request log (the usage view still lists the addresses).
          const count = (reported.get(keyId) ?? 0) + 1;
          reported.set(keyId, count);
          if (count > NEW_ADDRESS_EVENTS_PER_FLUSH) continue;
          const key = keys.get(keyId)!;
          // The key acted: it is the actor, from the address it had never been used from.
          const actor = withRequest(operator(key.organizationId, key.projectId, { type: 'api_key', id: key.id, name: key.name }), { ip, userAgent: null, requestId: null });
          await recordAudit(tx, this.clock, actor, { action: 'api_key.used_from_new_ip', targets: [{ type: 'api_key', id: key.id, name: key.name }] });
        }
        await trimClientIps(tx, keyIds);
      });
    } catch (error) {
      this.mergeBack(batch);
      throw error;
    }
  }

  /** A failed batch goes back into the pending use, to be written by the next flush. */
  private mergeBack(batch: Pending): void {
    for (const [keyId, old] of batch) {
      const entry = pendingOf(this.pending, keyId);
      entry.lastUsed = Math.max(entry.lastUsed, old.lastUsed);
      for (const [label, count] of old.counts) entry.counts.set(label, (entry.counts.get(label) ?? 0) + count);
      for (const [ip, seen] of old.ips) entry.ips.set(ip, Math.max(entry.ips.get(ip) ?? 0, seen));
    }
  }

  /** Requests per day (oldest first) by route and status, and the ten most recent client IPs. */
  async usage(keyId: string, days: number): Promise<KeyUsage> {
    await this.flush();
    const since = new Date(this.clock.nowMs() - (days - 1) * DAY_MS).toISOString().slice(0, 10);
    const rows = await this.db
      .select()
      .from(apiKeyUsage)
      .where(and(eq(apiKeyUsage.keyId, keyId), gte(apiKeyUsage.day, since)))
      .orderBy(apiKeyUsage.day, apiKeyUsage.route, apiKeyUsage.status);
    const byDay = new Map<string, KeyUsage['days'][number]>();
    for (let i = days - 1; i >= 0; i--) {
      const date = new Date(this.clock.nowMs() - i * DAY_MS).toISOString().slice(0, 10);
      byDay.set(date, { date, total: 0, routes: [] });
    }
    for (const row of rows) {
      const day = byDay.get(row.day);
      if (!day) continue;
      day.total += row.count;
      day.routes.push({ route: row.route, status: row.status, count: row.count });
    }
    const ips = await this.db
      .select()
      .from(apiKeyClientIps)
      .where(eq(apiKeyClientIps.keyId, keyId))
      .orderBy(desc(apiKeyClientIps.lastSeenAt))
      .limit(10);
    return {
      days: [...byDay.values()],
      recent_ips: ips.map((r) => ({ ip: r.ip, last_seen_at: r.lastSeenAt.toISOString() })),
    };
  }
}
