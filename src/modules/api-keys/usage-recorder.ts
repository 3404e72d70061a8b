import { and, desc, eq, gte, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { apiKeyClientIps, apiKeys, apiKeyUsage } from '../../db/schema.js';
import type { Clock } from '../../lib/clock.js';

/** A counter the request path adds to in place (a repeat finds it in its memo, with no lookup). */
type Count = { n: number };
/** When a client address was last seen with a key (epoch ms). */
type Seen = { at: number };

/**
 * What one key did since the last flush. Nested maps keyed by strings the request already holds
 * (key id, route label, client address): recording a request builds no composite key.
 */
type KeyPending = {
  lastUsed: number;
  /** day -> route -> status -> count */
  counts: Map<string, Map<string, Map<number, Count>>>;
  /** client address -> last seen */
  ips: Map<string, Seen>;
};

type Pending = Map<string, KeyPending>;

function newKeyPending(): KeyPending {
  return { lastUsed: 0, counts: new Map(), ips: new Map() };
}

function countOf(entry: KeyPending, day: string, route: string, status: number): Count {
  const byStatus = child(child(entry.counts, day, newMap<string, Map<number, Count>>), route, newMap<number, Count>);
  return child(byStatus, status, newCount);
}

function seenOf(entry: KeyPending, ip: string): Seen {
  return child(entry.ips, ip, newSeen);
}

function newMap<K, V>(): Map<K, V> {
  return new Map<K, V>();
}

function newCount(): Count {
  return { n: 0 };
}

function newSeen(): Seen {
  return { at: 0 };
}

function child<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}

const DAY_MS = 86_400_000;

/** Whether `ms` falls in the UTC day that starts at `dayStart`. */
function inDay(dayStart: number, ms: number): boolean {
  return ms >= dayStart && ms < dayStart + DAY_MS;
}

/** One request's use of a key: the route as its method and pattern ("GET", "/whoami"). */
export type Use = Readonly<{ keyId: string; method: string; url: string; status: number; ip: string }>;

/**
 * Where a connection's last request was counted. A keep-alive client repeats the same key,
 * route, status and address on nearly every request; a repeat adds to the counters it names,
 * with no map lookup. It holds only for the batch and the UTC day it was taken in: after a flush
 * or at midnight the next request takes the lookups again.
 */
export type UsageMemo = {
  batch: Pending | undefined;
  dayStart: number;
  /** The use it counted last; a repeat matches it field by field. */
  use: Use | undefined;
  entry: KeyPending | undefined;
  count: Count;
  seen: Seen;
};

export function newUsageMemo(): UsageMemo {
  return { batch: undefined, dayStart: 0, use: undefined, entry: undefined, count: newCount(), seen: newSeen() };
}

function sameUse(a: Use | undefined, b: Use): boolean {
  return a !== undefined && a.keyId === b.keyId && a.method === b.method && a.url === b.url && a.status === b.status && a.ip === b.ip;
}

// "GET /whoami" per method and route pattern, built once: counts are stored by this label.
const routeLabels = new Map<string, Map<string, string>>();

function routeLabel(method: string, url: string): string {
  let byMethod = routeLabels.get(url);
  if (!byMethod) routeLabels.set(url, (byMethod = new Map()));
  let label = byMethod.get(method);
  if (label === undefined) byMethod.set(method, (label = `${method} ${url}`));
  return label;
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

  /** Counts one request; `memo` is the connection's (see UsageMemo), when it has one. */
  record(use: Use, memo?: UsageMemo): void {
    const now = this.clock.nowMs();
    if (
      memo !== undefined &&
      memo.batch === this.pending &&
      sameUse(memo.use, use) &&
      inDay(memo.dayStart, now)
    ) {
      memo.entry!.lastUsed = now;
      memo.count.n += 1;
      memo.seen.at = now;
      return;
    }
    const entry = child(this.pending, use.keyId, newKeyPending);
    entry.lastUsed = now;
    const day = this.dayOf(now);
    const count = countOf(entry, day, routeLabel(use.method, use.url), use.status);
    count.n += 1;
    const seen = seenOf(entry, use.ip);
    seen.at = now;
    if (memo === undefined) return;
    memo.batch = this.pending;
    memo.dayStart = this.dayStart;
    memo.use = use;
    memo.entry = entry;
    memo.count = count;
    memo.seen = seen;
  }

  private dayStart = 0;
  private dayText = '';

  /** The UTC date of `ms`, formatted once per day rather than once per request. */
  private dayOf(ms: number): string {
    if (!inDay(this.dayStart, ms)) {
      this.dayStart = ms - (ms % DAY_MS);
      this.dayText = new Date(this.dayStart).toISOString().slice(0, 10);
    }
    return this.dayText;
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
    const counts: { keyId: string; day: string; route: string; status: number; count: number }[] = [];
    const ips: { keyId: string; ip: string; lastSeenAt: Date }[] = [];
    for (const [keyId, entry] of batch) {
      for (const [day, byRoute] of entry.counts) {
        for (const [route, byStatus] of byRoute) {
          for (const [status, count] of byStatus) counts.push({ keyId, day, route, status, count: count.n });
        }
      }
      for (const [ip, seen] of entry.ips) ips.push({ keyId, ip, lastSeenAt: new Date(seen.at) });
    }
    try {
      await this.db.transaction(async (tx) => {
        for (const [keyId, entry] of batch) {
          const at = new Date(entry.lastUsed);
          await tx
            .update(apiKeys)
            .set({ lastUsedAt: at })
            .where(and(eq(apiKeys.id, keyId), sql`(${apiKeys.lastUsedAt} is null or ${apiKeys.lastUsedAt} < ${at})`));
        }
        await tx
          .insert(apiKeyUsage)
          .values(counts)
          .onConflictDoUpdate({
            target: [apiKeyUsage.keyId, apiKeyUsage.day, apiKeyUsage.route, apiKeyUsage.status],
            set: { count: sql`${apiKeyUsage.count} + excluded.count` },
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

  /** A failed batch goes back into the pending use, to be written by the next flush. */
  private mergeBack(batch: Pending): void {
    for (const [keyId, old] of batch) {
      const entry = child(this.pending, keyId, newKeyPending);
      entry.lastUsed = Math.max(entry.lastUsed, old.lastUsed);
      for (const [day, byRoute] of old.counts) {
        for (const [route, byStatus] of byRoute) {
          for (const [status, count] of byStatus) countOf(entry, day, route, status).n += count.n;
        }
      }
      for (const [ip, seen] of old.ips) {
        const into = seenOf(entry, ip);
        into.at = Math.max(into.at, seen.at);
      }
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
