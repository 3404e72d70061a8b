import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setOrganizationPlan } from '../src/modules/organizations/service.js';
import { bearer, orgWithKey, type OrgFixture } from './factories.js';
import { createTestContext, type TestContext } from './harness.js';
import { holdRequest, type HeldRequest } from './held-request.js';

/** Opens a POST whose body never finishes: the request is in flight until `finish` or `abort`. */
const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('limits on one instance', () => {
  let ctx: TestContext;
  let acme: OrgFixture;
  let other: OrgFixture;
  let base: URL;

  beforeAll(async () => {
    ctx = await createTestContext('pglite', {
      POSTGATE_RATE_FREE: '5',
      POSTGATE_RATE_PRO: '50',
      POSTGATE_IP_CONCURRENCY: '3',
      POSTGATE_AUTH_FAILURE_LIMIT: '5',
      POSTGATE_MAX_KEYS_PER_ORG: '100',
    });
    acme = await orgWithKey(ctx.deps, 'acme');
    other = await orgWithKey(ctx.deps, 'other');
    base = new URL(await ctx.app.listen({ port: 0, host: '127.0.0.1' }));
  });
  const opened: HeldRequest[] = [];
  const hold = async (): Promise<HeldRequest> => {
    const h = await holdRequest(base, acme.token);
    opened.push(h);
    return h;
  };
  afterAll(async () => {
    for (const h of opened) h.abort();
    await ctx?.close();
  });

  const whoami = (token: string, remoteAddress = '127.0.0.1') =>
    ctx.app.inject({ method: 'GET', url: '/whoami', headers: bearer(token), remoteAddress });

  it("enforces the plan's requests per second with Retry-After and ratelimit headers", async () => {
    const results = [];
    const started = Date.now();
    for (let i = 0; i < 8; i++) results.push(await whoami(acme.token));
    const refill = Math.ceil(((Date.now() - started) / 1000) * 5); // tokens back while the loop ran
    const ok = results.filter((r) => r.statusCode === 200);
    const limited = results.filter((r) => r.statusCode === 429);
    expect(ok.length).toBeGreaterThanOrEqual(5);
    expect(ok.length).toBeLessThanOrEqual(Math.min(5 + refill, 7));
    expect(limited.length).toBeGreaterThan(0);
    expect(ok[0]!.headers['ratelimit-limit']).toBe('5');
    expect(ok[0]!.headers['ratelimit-remaining']).toBe('4');
    expect(ok[0]!.headers['ratelimit-reset']).toBeDefined();
    expect(limited[0]!.json().name).toBe('rate_limit_exceeded');
    expect(Number(limited[0]!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Another organization has its own budget.
    expect((await whoami(other.token)).statusCode).toBe(200);
  });

  it('a plan change applies at once', async () => {
    await setOrganizationPlan({ db: ctx.deps.database.db, clock: ctx.deps.clock, invalidation: ctx.deps.invalidation }, acme.org.id, 'pro');
    await settle(1100);
    const res = await whoami(acme.token);
    expect(res.statusCode).toBe(200);
    expect(res.headers['ratelimit-limit']).toBe('50');
  });

  it('admits at most POSTGATE_IP_CONCURRENCY requests in flight per address, freeing slots on completion and abort', async () => {
    await setOrganizationPlan({ db: ctx.deps.database.db, clock: ctx.deps.clock, invalidation: ctx.deps.invalidation }, acme.org.id, 'unlimited');
    const held = [await hold(), await hold(), await hold()];
    await settle(200);
    const fourth = await hold();
    expect(await fourth.status).toBe(429);
    held[0]!.finish();
    expect(await held[0]!.status).toBe(201);
    await settle(50);
    const fifth = await hold();
    await settle(200);
    held[1]!.abort();
    await settle(200);
    const sixth = await hold();
    await settle(200);
    const seventh = await hold();
    expect(await seventh.status).toBe(429);
    for (const h of [held[2]!, fifth, sixth]) {
      h.finish();
      expect(await h.status).toBe(201);
    }
    // Other addresses are not affected by this one's slots.
    expect((await whoami(acme.token, '10.0.0.9')).statusCode).toBe(200);
  });

  it('throttles repeated authentication failures per address, never a valid key, and not other addresses', async () => {
    const bad = 'pgt_live_' + 'A'.repeat(38);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await whoami(bad, '192.0.2.50')).statusCode);
    expect(statuses.slice(0, 4)).toEqual([401, 401, 401, 401]);
    expect(statuses.slice(4)).toEqual([429, 429]);
    const refused = await whoami(bad, '192.0.2.50');
    expect(refused.json().name).toBe('too_many_auth_failures');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // A valid key behind the same address is served: only failures are throttled.
    expect((await whoami(other.token, '192.0.2.50')).statusCode).toBe(200);
    expect((await whoami(bad, '192.0.2.51')).statusCode).toBe(401);
  });
});
