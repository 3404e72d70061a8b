import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createDeps, type Deps } from '../src/app/deps.js';
import { loadConfig } from '../src/config/config.js';
import { setOrganizationPlan } from '../src/modules/organizations/service.js';
import { emailBody, eventually } from './email-fixtures.js';
import { domainFor, keyFor, orgWithKey, type OrgFixture } from './factories.js';
import { freshPostgresDatabase } from './harness.js';
import { holdRequest, type HeldRequest } from './held-request.js';
import { startPostgate, startRedis, type ServerProcess } from './processes.js';
import { RELAY_PASS, RELAY_USER, startRelay, type TestRelay } from './smtp-relay.js';

const enabled = Boolean(process.env.DATABASE_URL);
if (!enabled) console.warn('DATABASE_URL is not set: the two-instance tests on PostgreSQL + Redis are not run (CI sets it).');

const call = async (base: string, method: string, path: string, token: string): Promise<{ status: number; body: Record<string, unknown> }> => {
  const res = await fetch(base + path, { method, headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe.runIf(enabled)('two instances on PostgreSQL and Redis', () => {
  let db: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let a: ServerProcess;
  let b: ServerProcess;
  let operator: Deps;
  let acme: OrgFixture;
  const held: HeldRequest[] = [];
  const setPlan = (org: OrgFixture, plan: 'unlimited') =>
    setOrganizationPlan({ db: operator.database.db, clock: operator.clock, invalidation: operator.invalidation }, org.org.id, plan);

  beforeAll(async () => {
    db = await freshPostgresDatabase();
    redis = await startRedis();
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      POSTGATE_RATE_FREE: '10',
      POSTGATE_IP_CONCURRENCY: '20',
      POSTGATE_MAX_KEYS_PER_ORG: '200',
    };
    operator = await createDeps({ config: loadConfig({ ...env, LOG_LEVEL: 'silent' }), logger: pino({ level: 'silent' }) });
    acme = await orgWithKey(operator, 'acme');
    await setPlan(acme, 'unlimited');
    [a, b] = await Promise.all([startPostgate(env), startPostgate(env)]);
  });
  afterAll(async () => {
    for (const h of held) h.abort();
    await Promise.all([a?.stop(), b?.stop()]);
    await operator?.close();
    await redis?.stop();
    await db?.drop();
  });

  it('a key deleted through A is refused by B within one second', async () => {
    const victim = await keyFor(operator, acme.org, { name: 'victim' });
    expect((await call(b.url, 'GET', '/whoami', victim.token)).status).toBe(200); // B has it cached
    expect((await call(a.url, 'DELETE', `/api-keys/${victim.id}`, acme.token)).status).toBe(200);
    const deletedAt = Date.now();
    let status = 200;
    while (status !== 401 && Date.now() - deletedAt < 1000) {
      status = (await call(b.url, 'GET', '/whoami', victim.token)).status;
    }
    expect(status).toBe(401);
    expect(Date.now() - deletedAt).toBeLessThan(1000);
  });

  it("enforces one organization's plan rate across both instances", async () => {
    const org = await orgWithKey(operator, 'rated'); // free: 10 per second, shared in Redis
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => call(i % 2 ? a.url : b.url, 'GET', '/whoami', org.token)),
    );
    const refill = Math.ceil(((Date.now() - started) / 1000) * 10); // tokens that came back meanwhile
    const ok = results.filter((r) => r.status === 200).length;
    // Per-process limits would admit 20 and more; one shared budget admits 10 plus the refill.
    expect(ok).toBeGreaterThanOrEqual(10);
    expect(ok).toBeLessThanOrEqual(Math.min(10 + refill + 1, 19));
    expect(results.filter((r) => r.status === 429).length).toBe(30 - ok);
  });

  it('25 requests held open at once from one IP across both instances admit exactly 20', async () => {
    const org = await orgWithKey(operator, 'busy');
    await setPlan(org, 'unlimited');
    for (let i = 0; i < 25; i++) held.push(await holdRequest(new URL(i % 2 ? a.url : b.url), org.token));
    const refused = await Promise.race([
      Promise.all(held.map((h) => h.status)),
      new Promise<number[]>((resolve) => setTimeout(() => resolve([]), 3000)),
    ]);
    expect(refused).toEqual([]); // the 20 admitted are still waiting for their bodies
    const early = await Promise.all(held.map((h) => Promise.race([h.status, new Promise<number>((r) => setTimeout(() => r(-1), 100))])));
    expect(early.filter((s) => s === 429)).toHaveLength(5);
    for (const h of held) h.finish();
    const final = await Promise.all(held.map((h) => h.status));
    expect(final.filter((s) => s === 201)).toHaveLength(20);
  });

  it('with Redis stopped: revoked keys stay refused, valid keys work, no 500', async () => {
    const live = await keyFor(operator, acme.org, { name: 'live' });
    const doomed = await keyFor(operator, acme.org, { name: 'doomed' });
    for (const s of [a, b]) expect((await call(s.url, 'GET', '/whoami', doomed.token)).status).toBe(200);
    await redis.stop();
    await new Promise((r) => setTimeout(r, 300));
    expect((await call(a.url, 'DELETE', `/api-keys/${doomed.id}`, acme.token)).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      for (const s of [a, b]) {
        statuses.push((await call(s.url, 'GET', '/whoami', doomed.token)).status);
        expect((await call(s.url, 'GET', '/whoami', live.token)).status).toBe(200);
      }
    }
    expect(new Set(statuses)).toEqual(new Set([401]));
    expect(a.output() + b.output()).toMatch(/falling back to per-process limits/);
  });
});

describe.runIf(enabled)('two instances delivering from one PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let relay: TestRelay;
  let operator: Deps;
  const servers: ServerProcess[] = [];

  beforeAll(async () => {
    db = await freshPostgresDatabase();
    relay = await startRelay();
  });
  afterAll(async () => {
    for (const server of servers) await server.stop('SIGKILL');
    await operator?.close();
    await relay?.close();
    await db?.drop();
  });

  it('deliver each email exactly once, and take over the emails of an instance killed mid-attempt', { timeout: 120_000 }, async () => {
    const env = { DATABASE_URL: db.url, REDIS_URL: '', SMTP_PORT: '0', SMTPS_PORT: '0', POSTGATE_DELIVERY_RETRY_BASE_MS: '200', POSTGATE_DELIVERY_MAX_ATTEMPTS: '30' };
    operator = await createDeps({ config: loadConfig({ ...env, LOG_LEVEL: 'silent' }), logger: pino({ level: 'silent' }) });
    const acme = await orgWithKey(operator, 'acme');
    await setOrganizationPlan({ db: operator.database.db, clock: operator.clock, invalidation: operator.invalidation }, acme.org.id, 'unlimited');
    await domainFor(operator, acme.org, 'mail.acme.test');
    // Each instance logs in to the relay as itself, so the relay tells who delivered what.
    const relayAs = (name: string): string => `smtp://${RELAY_USER}-${name}:${RELAY_PASS}@127.0.0.1:${relay.port}`;
    // The relay refuses (4xx) until told otherwise: attempts fail and are retried, nothing is taken.
    let accepting = false;
    relay.respond = () => (accepting ? undefined : { code: 451, message: 'not yet' });
    const [a, b] = await Promise.all([startPostgate({ ...env, SMTP_RELAY_URL: relayAs('a') }, 'api,worker'), startPostgate({ ...env, SMTP_RELAY_URL: relayAs('b') }, 'api,worker')]);
    servers.push(a, b);
    const ids: string[] = [];
    for (const [i, server] of [a, b, a, b].entries()) {
      const batch = Array.from({ length: 50 }, (_, j) => emailBody('hello@mail.acme.test', { subject: `shared ${i}-${j}` }));
      const res = await fetch(`${server.url}/emails/batch`, { method: 'POST', headers: { authorization: `Bearer ${acme.token}`, 'content-type': 'application/json' }, body: JSON.stringify(batch) });
      expect(res.status).toBe(200);
      ids.push(...((await res.json()) as { data: { id: string }[] }).data.map((d) => d.id));
    }
    // Both instances are attempting; A dies holding whatever it had leased.
    await new Promise((r) => setTimeout(r, 1_000));
    await a.stop('SIGKILL');
    accepting = true;
    const expected = new Set(ids.map((id) => `<${id}@mail.acme.test>`));
    await eventually(() => new Set(relay.messages.map((m) => m.messageId)).size >= expected.size, 60_000, `all ${ids.length} delivered`);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(relay.duplicates()).toEqual([]);
    expect(new Set(relay.messages.map((m) => m.messageId))).toEqual(expected);
    // Everything was left to B once A was gone.
    expect(new Set(relay.messages.map((m) => m.user))).toEqual(new Set([`${RELAY_USER}-b`]));
    // An attempt that died with A left no outcome: its email has one attempt more than outcomes.
    const { rows } = await operator.database.pool!.query<{ n: number }>(
      "select count(*)::int n from emails e where attempts > 1 + (select count(*) from email_events v where v.email_id = e.id and v.type = 'delivery_delayed')",
    );
    console.log(`emails taken over from the killed instance: ${rows[0]!.n}`);
  });
});
