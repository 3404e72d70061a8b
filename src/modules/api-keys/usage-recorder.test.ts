import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyFor, orgWithKey, type OrgFixture } from '../../../test/factories.js';
import { createTestContext, type TestContext } from '../../../test/harness.js';
import { operator } from './principal.js';
import { CLIENT_IPS_PER_KEY } from './usage-recorder.js';

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

  it('counts repeated requests across a flush and past midnight, each day on its own', async () => {
    const { usage } = ctx.deps;
    const { clock } = ctx;
    const key = await keyFor(ctx.deps, acme.org, { name: 'days' });
    const whoami = { keyId: key.id, method: 'GET', url: '/whoami', status: 200, ip: '10.0.0.1' };
    usage.record(whoami);
    usage.record(whoami);
    clock.advance(1_000);
    usage.record({ ...whoami, status: 429 });
    expect(usage.pendingLastUsed(key.id)).toBe(clock.nowMs());
    await usage.flush();
    usage.record(whoami);
    // Past midnight (UTC): the next day's count.
    clock.advance(86_400_000 - (clock.nowMs() % 86_400_000) + 1);
    usage.record(whoami);
    await usage.flush();

    const report = await usage.usage(key.id, 2);
    expect(report.days.map((d) => [d.total, d.routes])).toEqual([
      [
        4,
        [
          { route: 'GET /whoami', status: 200, count: 3 },
          { route: 'GET /whoami', status: 429, count: 1 },
        ],
      ],
      [1, [{ route: 'GET /whoami', status: 200, count: 1 }]],
    ]);
    expect(report.recent_ips).toEqual([{ ip: '10.0.0.1', last_seen_at: new Date(clock.nowMs()).toISOString() }]);
  });

  it(`keeps the ${CLIENT_IPS_PER_KEY} most recent client addresses of a key, however many it meets`, async () => {
    const { usage, database } = ctx.deps;
    const { clock } = ctx;
    const key = await keyFor(ctx.deps, acme.org, { name: 'many-ips' });
    for (let i = 0; i < CLIENT_IPS_PER_KEY + 30; i++) {
      clock.advance(1_000);
      usage.record({ keyId: key.id, method: 'GET', url: '/whoami', status: 200, ip: `10.1.${Math.floor(i / 250)}.${i % 250}` });
      // Several flushes: the bound holds across batches, not only within one.
      if (i % 40 === 39) await usage.flush();
    }
    await usage.flush();
    const rows = (await database.db.execute(sql`select ip from api_key_client_ips where key_id = ${key.id}`)) as unknown as { rows: { ip: string }[] };
    expect(rows.rows).toHaveLength(CLIENT_IPS_PER_KEY);
    // The newest survive: the last address recorded is there, the first is gone.
    const kept = new Set(rows.rows.map((r) => r.ip));
    expect(kept.has(`10.1.0.${CLIENT_IPS_PER_KEY + 29}`)).toBe(true);
    expect(kept.has('10.1.0.0')).toBe(false);
  });

  it('drops the pending use of a key deleted before the flush, and still writes the others', async () => {
    const { usage } = ctx.deps;
    const doomed = await keyFor(ctx.deps, acme.org, { name: 'doomed' });
    const kept = await keyFor(ctx.deps, acme.org, { name: 'kept' });
    usage.record({ keyId: doomed.id, method: 'GET', url: '/whoami', status: 200, ip: '10.0.0.9' });
    usage.record({ keyId: kept.id, method: 'GET', url: '/whoami', status: 200, ip: '10.0.0.9' });
    await ctx.deps.services.apiKeys.delete(operator(acme.org.id, acme.org.default_project_id), doomed.id);
    await usage.flush();
    expect(usage.pendingLastUsed(doomed.id)).toBeUndefined();
    expect((await usage.usage(kept.id, 1)).days.at(-1)!.total).toBe(1);
  });
});
