import { and, desc, eq, gte, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { apiKeyClientIps, apiKeys, apiKeyUsage } from '../../db/schema.js';
import type { Clock } from '../../lib/clock.js';

type Pending = {
  lastUsed: Map<string, number>;
  counts: Map<string, number>;
  ips: Map<string, number>;
};

const SEP = '\u0000';

function emptyPending(): Pending {
  return { lastUsed: new Map(), counts: new Map(), ips: new Map() };
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
export class UsageRecorder {
  private pending = emptyPending();
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

  record(input: { keyId: string; route: string; status: number; ip: string }): void {
    const now = this.clock.nowMs();
    const day = this.dayOf(now);
    const p = this.pending;
    p.lastUsed.set(input.keyId, now);
    const countKey = input.keyId + SEP + day + SEP + input.route + SEP + input.status;
    p.counts.set(countKey, (p.counts.get(countKey) ?? 0) + 1);
    p.ips.set(input.keyId + SEP + input.ip, now);
  }

  private dayStart = 0;
  private dayText = '';

  /** The UTC date of `ms`, formatted once per day rather than once per request. */
  private dayOf(ms: number): string {
    if (ms < this.dayStart || ms >= this.dayStart + 86_400_000) {
      this.dayStart = ms - (ms % 86_400_000);
      this.dayText = new Date(this.dayStart).toISOString().slice(0, 10);
    }
    return this.dayText;
  }

  /** Use seen by this instance and not yet written, so reads here are exact. */
  pendingLastUsed(keyId: string): Date | undefined {
    const ms = this.pending.lastUsed.get(keyId);
    return ms === undefined ? undefined : new Date(ms);
  }

  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writeBatch());
    return this.flushing;
  }

  private async writeBatch(): Promise<void> {
    const batch = this.pending;
    if (batch.lastUsed.size === 0) return;
    this.pending = emptyPending();
    try {
      await this.db.transaction(async (tx) => {
        for (const [keyId, ms] of batch.lastUsed) {
          await tx
            .update(apiKeys)
            .set({ lastUsedAt: new Date(ms) })
            .where(and(eq(apiKeys.id, keyId), sql`(${apiKeys.lastUsedAt} is null or ${apiKeys.lastUsedAt} < ${new Date(ms)})`));
        }
        const counts = [...batch.counts].map(([k, count]) => {
          const [keyId, day, route, status] = k.split(SEP) as [string, string, string, string];
          return { keyId, day, route, status: Number(status), count };
        });
        await tx
          .insert(apiKeyUsage)
          .values(counts)
          .onConflictDoUpdate({
            target: [apiKeyUsage.keyId, apiKeyUsage.day, apiKeyUsage.route, apiKeyUsage.status],
            set: { count: sql`${apiKeyUsage.count} + excluded.count` },
          });
        const ips = [...batch.ips].map(([k, ms]) => {
          const [keyId, ip] = k.split(SEP) as [string, string];
          return { keyId, ip, lastSeenAt: new Date(ms) };
        });
        await tx
          .insert(apiKeyClientIps)
          .values(ips)
          .onConflictDoUpdate({
            target: [apiKeyClientIps.keyId, apiKeyClientIps.ip],
            set: { lastSeenAt: sql`greatest(${apiKeyClientIps.lastSeenAt}, excluded.last_seen_at)` },
          });
      });
    } catch (error) {
      this.mergeBack(batch);
      throw error;
    }
  }

  private mergeBack(batch: Pending): void {
    const p = this.pending;
    for (const [k, v] of batch.lastUsed) p.lastUsed.set(k, Math.max(v, p.lastUsed.get(k) ?? 0));
    for (const [k, v] of batch.counts) p.counts.set(k, v + (p.counts.get(k) ?? 0));
    for (const [k, v] of batch.ips) p.ips.set(k, Math.max(v, p.ips.get(k) ?? 0));
  }

  /** Requests per day (oldest first) by route and status, and the ten most recent client IPs. */
  async usage(keyId: string, days: number): Promise<KeyUsage> {
    await this.flush();
    const since = new Date(this.clock.nowMs() - (days - 1) * 86_400_000).toISOString().slice(0, 10);
    const rows = await this.db
      .select()
      .from(apiKeyUsage)
      .where(and(eq(apiKeyUsage.keyId, keyId), gte(apiKeyUsage.day, since)))
      .orderBy(apiKeyUsage.day, apiKeyUsage.route, apiKeyUsage.status);
    const byDay = new Map<string, KeyUsage['days'][number]>();
    for (let i = days - 1; i >= 0; i--) {
      const date = new Date(this.clock.nowMs() - i * 86_400_000).toISOString().slice(0, 10);
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
