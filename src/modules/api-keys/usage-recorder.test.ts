import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyFor, orgWithKey, type OrgFixture } from '../../../test/factories.js';
import { createTestContext, type TestContext } from '../../../test/harness.js';
import { newUsageMemo } from './usage-recorder.js';

// Usage is kept in memory and written in batches. A batch whose write fails goes back into the
// pending use, merged with what came in meanwhile: no request is counted twice or lost.

describe('usage recorder', () => {
  let ctx: TestContext;
  let acme: OrgFixture;
  beforeAll(async () => {
    ctx = await createTestContext('pglite');
    acme = await orgWithKey(ctx.deps, 'acme');
  });
  afterAll(async () => ctx?.close());

  it('keeps a batch whose write failed and writes it with the next one', async () => {
    const { usage, database } = ctx.deps;
    const { clock } = ctx;
    const key = await keyFor(ctx.deps, acme.org, { name: 'counted' });
    const record = (route: string, status: number, ip: string): void => {
      const [method, url] = route.split(' ') as [string, string];
      usage.record({ keyId: key.id, method, url, status, ip });
    };
    record('GET /whoami', 200, '10.0.0.1');
    record('GET /whoami', 200, '10.0.0.1');
    record('POST /emails', 422, '10.0.0.2');
    const firstUse = clock.nowMs();

    // The write fails: its table is away.
    await database.db.execute(sql`alter table api_key_usage rename to api_key_usage_away`);
    await expect(usage.flush()).rejects.toThrow();
    await database.db.execute(sql`alter table api_key_usage_away rename to api_key_usage`);
    expect(usage.pendingLastUsed(key.id)).toBe(firstUse);

    clock.advance(5_000);
    record('GET /whoami', 200, '10.0.0.1');
    record('GET /whoami', 429, '10.0.0.3');
    await usage.flush();

    const report = await usage.usage(key.id, 1);
    expect(report.days.at(-1)!.total).toBe(5);
    expect(report.days.at(-1)!.routes).toEqual([
      { route: 'GET /whoami', status: 200, count: 3 },
      { route: 'GET /whoami', status: 429, count: 1 },
      { route: 'POST /emails', status: 422, count: 1 },
    ]);
    expect(report.recent_ips.map((r) => r.ip).sort()).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    const row = await database.db.query.apiKeys.findFirst({ where: (k, { eq }) => eq(k.id, key.id) });
    expect(row?.lastUsedAt?.getTime()).toBe(clock.nowMs());
    expect(usage.pendingLastUsed(key.id)).toBeUndefined();
  });

  it("counts a connection's repeated requests through its memo, after a flush and past midnight too", async () => {
    const { usage } = ctx.deps;
    const { clock } = ctx;
    const key = await keyFor(ctx.deps, acme.org, { name: 'memo' });
    const memo = newUsageMemo();
    const whoami = { keyId: key.id, method: 'GET', url: '/whoami', status: 200, ip: '10.0.0.1' };
    usage.record(whoami, memo);
    usage.record(whoami, memo);
    clock.advance(1_000);
    usage.record(whoami, memo);
    // A repeat moves the key's last use and its address's last sighting.
    expect(usage.pendingLastUsed(key.id)).toBe(clock.nowMs());
    // Another status, then the same route again: each counted where it belongs.
    usage.record({ ...whoami, status: 429 }, memo);
    usage.record(whoami, memo);
    // A flush takes the batch the memo points into: the next repeat goes into the new one.
    await usage.flush();
    usage.record(whoami, memo);
    usage.record(whoami, memo);
    // Past midnight (UTC): the next day's count.
    clock.advance(86_400_000 - (clock.nowMs() % 86_400_000) + 1);
    usage.record(whoami, memo);
    clock.advance(1_000);
    usage.record(whoami, memo);
    await usage.flush();

    const report = await usage.usage(key.id, 2);
    expect(report.days.map((d) => [d.total, d.routes])).toEqual([
      [
        7,
        [
          { route: 'GET /whoami', status: 200, count: 6 },
          { route: 'GET /whoami', status: 429, count: 1 },
        ],
      ],
      [2, [{ route: 'GET /whoami', status: 200, count: 2 }]],
    ]);
    expect(report.recent_ips).toEqual([{ ip: '10.0.0.1', last_seen_at: new Date(clock.nowMs()).toISOString() }]);
  });
});
