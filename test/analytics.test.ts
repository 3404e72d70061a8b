import { eq } from 'drizzle-orm';
import { Resend } from 'resend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { domains, projects } from '../src/db/schema.js';
import { newId } from '../src/lib/ids.js';
import { operator } from '../src/modules/api-keys/principal.js';
import { deliverEmail } from '../src/modules/delivery/deliver.js';
import { deliveryDeps } from '../src/worker/worker.js';
import { emailBody, senderFor } from './email-fixtures.js';
import { bearer, domainFor, keyFor, orgWithKey, type OrgFixture } from './factories.js';
import { BACKENDS, createTestContext, type TestContext } from './harness.js';
import { startRelay, type TestRelay } from './smtp-relay.js';

// Analytics on a real database: emails accepted over three days (manual clock) and delivered
// through a real SMTP relay that accepts, refuses for good (bounce) or for now (delay), counted
// by GET /emails/metrics, /usage and /organization, and read back with the resend SDK.

const DAY = 86_400_000;
const dateOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const midnightOf = (ms: number): string => `${dateOf(ms)}T00:00:00.000Z`;

type Plan = { day: number; domain: 'a' | 'b' | 'c'; outcome: 'deliver' | 'bounce' | 'delay' | 'fail' | 'queue' };
// Day 0: a 2 delivered + 1 bounced, b 1 delivered. Day 1: a 1 delivered, b 1 delayed, c 1 failed.
// Day 2: b 2 delivered + 1 left queued.
const PLAN: Plan[] = [
  { day: 0, domain: 'a', outcome: 'deliver' },
  { day: 0, domain: 'a', outcome: 'deliver' },
  { day: 0, domain: 'a', outcome: 'bounce' },
  { day: 0, domain: 'b', outcome: 'deliver' },
  { day: 1, domain: 'a', outcome: 'deliver' },
  { day: 1, domain: 'b', outcome: 'delay' },
  { day: 1, domain: 'c', outcome: 'fail' },
  { day: 2, domain: 'b', outcome: 'deliver' },
  { day: 2, domain: 'b', outcome: 'deliver' },
  { day: 2, domain: 'b', outcome: 'queue' },
];

for (const backend of BACKENDS) {
  describe(`analytics (${backend})`, () => {
    let ctx: TestContext;
    let relay: TestRelay;
    let acme: OrgFixture;
    let globex: OrgFixture;
    let t0: number;
    const domainIds: Record<string, string> = {};
    let range = '';

    const get = async (url: string, token = acme.token) => ctx.app.inject({ method: 'GET', url, headers: bearer(token) });

    beforeAll(async () => {
      relay = await startRelay();
      relay.respond = (message) => {
        const subject = /^subject:\s*(.+)$/im.exec(message.raw.toString('latin1'))?.[1]?.trim();
        if (subject === 'bounce') return { code: 550, message: 'No such user' };
        if (subject === 'delay') return { code: 451, message: 'Try again later' };
        return undefined;
      };
      ctx = await createTestContext(backend, { SMTP_RELAY_URL: relay.url, POSTGATE_MAX_KEYS_PER_ORG: '7' });
      t0 = ctx.clock.nowMs();
      acme = await orgWithKey(ctx.deps, 'acme');
      globex = await orgWithKey(ctx.deps, 'globex');
      for (const name of ['a', 'b', 'c']) domainIds[name] = await domainFor(ctx.deps, acme.org, `${name}.acme.test`);
      await domainFor(ctx.deps, globex.org, 'globex.test');
      const delivery = deliveryDeps(ctx.deps);
      for (const day of [0, 1, 2]) {
        const sent: { id: string; plan: Plan }[] = [];
        for (const plan of PLAN.filter((p) => p.day === day)) {
          const sender = senderFor(acme.org, { keyId: acme.key.id });
          const { id } = await ctx.deps.services.emails.send(sender, emailBody(`shop@${plan.domain}.acme.test`, { subject: plan.outcome }));
          sent.push({ id, plan });
        }
        if (day === 1) {
          // c stops being verified between acceptance and delivery: Postgate gives its email up.
          await ctx.deps.database.db.update(domains).set({ status: 'failed' }).where(eq(domains.id, domainIds.c!));
          for (let i = 0; i < 3; i++) {
            const { id } = await ctx.deps.services.emails.send(senderFor(globex.org), emailBody('news@globex.test'));
            await deliverEmail(delivery, id);
          }
        }
        for (const { id, plan } of sent) if (plan.outcome !== 'queue') await deliverEmail(delivery, id);
        if (day === 2) {
          // A test-mode email: the operator and test keys count it, live keys do not.
          await ctx.deps.services.emails.send(senderFor(acme.org, { mode: 'test' }), emailBody('sandbox@a.acme.test'));
        } else {
          ctx.clock.advance(DAY);
        }
      }
      range = `start_date=${dateOf(t0)}&end_date=${dateOf(t0 + 2 * DAY)}`;
    });
    afterAll(async () => {
      await ctx?.close();
      await relay?.close();
    });

    it('counts each day by outcome, the empty days too, with totals and rates', async () => {
      const res = await get(`/emails/metrics?${range}&dimensions=period&metrics=received,sent,delivered,bounced,failed,delivery_delayed,delivery_rate,opened`);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ object: 'metrics', granularity: 'daily', dimensions: ['period'], start_date: midnightOf(t0), end_date: midnightOf(t0 + 3 * DAY) });
      expect(body.data).toEqual([
        { period: midnightOf(t0), received: 4, sent: 4, delivered: 3, bounced: 1, failed: 0, delivery_delayed: 0, delivery_rate: 0.75, opened: 0 },
        { period: midnightOf(t0 + DAY), received: 3, sent: 1, delivered: 1, bounced: 0, failed: 1, delivery_delayed: 1, delivery_rate: 1, opened: 0 },
        { period: midnightOf(t0 + 2 * DAY), received: 3, sent: 2, delivered: 2, bounced: 0, failed: 0, delivery_delayed: 0, delivery_rate: 1, opened: 0 },
      ]);
      expect(body.totals).toEqual({ received: 10, sent: 7, delivered: 6, bounced: 1, failed: 1, delivery_delayed: 1, delivery_rate: 0.8571, opened: 0 });

      // A week around them: four more days, all zero, in order.
      const week = (await get(`/emails/metrics?start_date=${dateOf(t0 - 2 * DAY)}&end_date=${dateOf(t0 + 4 * DAY)}&dimensions=period&metrics=received`)).json();
      expect(week.data.map((row: { received: number }) => row.received)).toEqual([0, 0, 4, 3, 3, 0, 0]);
    });

    it('breaks the counts down by domain, API key and status', async () => {
      const byDomain = (await get(`/emails/metrics?${range}&dimensions=domain&metrics=received,delivered,bounced,failed,delivery_delayed`)).json();
      const rows = Object.fromEntries(byDomain.data.map((row: { domain_name: string }) => [row.domain_name, row]));
      expect(rows).toEqual({
        'a.acme.test': { domain_id: domainIds.a, domain_name: 'a.acme.test', received: 4, delivered: 3, bounced: 1, failed: 0, delivery_delayed: 0 },
        'b.acme.test': { domain_id: domainIds.b, domain_name: 'b.acme.test', received: 5, delivered: 3, bounced: 0, failed: 0, delivery_delayed: 1 },
        'c.acme.test': { domain_id: domainIds.c, domain_name: 'c.acme.test', received: 1, delivered: 0, bounced: 0, failed: 1, delivery_delayed: 0 },
      });

      const byKey = (await get(`/emails/metrics?${range}&dimensions=api_key&metrics=received`)).json();
      expect(byKey.data).toEqual([{ api_key_id: acme.key.id, api_key_name: 'owner', received: 10 }]);

      const byStatus = (await get(`/emails/metrics?${range}&dimensions=status&metrics=received`)).json();
      const statuses = Object.fromEntries(byStatus.data.map((row: { status: string; received: number }) => [row.status, row.received]));
      expect(statuses).toEqual({ delivered: 6, bounced: 1, failed: 1, queued: 2 });

      const filtered = (await get(`/emails/metrics?${range}&dimensions=period,domain&metrics=received&domain_id=${domainIds.c}`)).json();
      expect(filtered.data).toEqual([{ period: midnightOf(t0 + DAY), domain_id: domainIds.c, domain_name: 'c.acme.test', received: 1 }]);
    });

    it("never counts another organization's emails, nor those of another project or mode", async () => {
      const totals = async (token: string) => (await get(`/emails/metrics?${range}&metrics=received`, token)).json().totals.received;
      expect(await totals(acme.token)).toBe(10);
      expect(await totals(globex.token)).toBe(3);

      const projectId = newId('project');
      await ctx.deps.database.db.insert(projects).values({ id: projectId, organizationId: acme.org.id, name: 'Other' });
      const otherProject = await ctx.deps.services.apiKeys.create(operator(acme.org.id, projectId), { name: 'other-project' });
      expect(await totals(otherProject.token)).toBe(0);
      const testKey = await keyFor(ctx.deps, acme.org, { name: 'test-mode', mode: 'test' });
      expect(await totals(testKey.token)).toBe(1);

      // The dashboard's operator sees the whole organization, both modes.
      const all = await ctx.deps.services.analytics.emailMetrics(operator(acme.org.id, acme.org.default_project_id), {
        start_date: dateOf(t0),
        end_date: dateOf(t0 + 2 * DAY),
        granularity: 'daily',
        metrics: ['received'],
      });
      expect(all.totals).toEqual({ received: 11 });
    });

    it('buckets by the time zone asked for', async () => {
      const res = (await get(`/emails/metrics?${range}&dimensions=period&metrics=received&timezone=Asia/Tokyo`)).json();
      expect(res.timezone).toBe('Asia/Tokyo');
      // Tokyo is UTC+9 all year: its days start at 15:00 UTC, and a plain date is its midnight.
      expect(res.start_date).toBe(`${dateOf(t0 - DAY)}T15:00:00.000Z`);
      for (const row of res.data) expect(row.period).toMatch(/T15:00:00\.000Z$/);
      expect(res.data.reduce((sum: number, row: { received: number }) => sum + row.received, 0)).toBeLessThanOrEqual(10);
    });

    it('refuses bad queries with 422 naming the field', async () => {
      const cases: [string, string][] = [
        ['start_date=yesterday', 'querystring.start_date'],
        ['start_date=2025-02-30', 'querystring.start_date'],
        ['start_date=2025-05-02&end_date=2025-05-01', 'querystring.end_date'],
        ['start_date=2024-01-01&end_date=2025-06-01', 'querystring.start_date'],
        ['start_date=2025-01-01&end_date=2025-03-01&granularity=hourly', 'querystring.granularity'],
        ['granularity=yearly', 'querystring.granularity'],
        ['metrics=delivered,teleported', 'querystring.metrics'],
        ['dimensions=period,email', 'querystring.dimensions'],
        ['timezone=Mars/Olympus_Mons', 'querystring.timezone'],
        ['timezone=%27%3B%20drop', 'querystring.timezone'],
        ['api_key=x', 'querystring.api_key'],
      ];
      for (const [query, field] of cases) {
        const res = await get(`/emails/metrics?${query}`);
        expect(res.statusCode, query).toBe(422);
        expect(res.json(), query).toMatchObject({ name: 'validation_error', field });
      }
    });

    it('reports usage in the resend SDK shape, through the SDK itself', async () => {
      const address = await ctx.app.listen({ port: 0, host: '127.0.0.1' });
      process.env.RESEND_BASE_URL = address;
      try {
        const resend = new Resend(acme.token);
        const metrics = await resend.emails.metrics({ startDate: dateOf(t0), endDate: dateOf(t0 + 2 * DAY), dimensions: ['period', 'domain'], metrics: ['received', 'delivered'] });
        expect(metrics.error).toBeNull();
        expect(metrics.data?.totals).toEqual({ received: 10, delivered: 6 });
        expect(metrics.data?.data?.find((row) => row.period === midnightOf(t0) && row.domain_name === 'a.acme.test')).toMatchObject({ received: 3, delivered: 2 });

        const usage = await resend.usage.get();
        expect(usage.error).toBeNull();
        const now = ctx.clock.now();
        const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
        const thisMonth = PLAN.filter((p) => t0 + p.day * DAY >= monthStart).length;
        expect(usage.data).toMatchObject({
          object: 'usage',
          emails: {
            daily: { used: 3, sent: 3, received: 0, limit: null, resets_at: midnightOf(now.getTime() + DAY) },
            monthly: { used: thisMonth, sent: thisMonth, received: 0, limit: null },
          },
          domains: { used: 3, limit: null },
          contacts: { used: 0 },
          rate_limit: { limit: 100_000, duration: '1s' },
        });

        const denied = await new Resend(globex.token).emails.metrics({ startDate: 'not a date' });
        expect(denied.error).toMatchObject({ statusCode: 422, name: 'validation_error' });
      } finally {
        delete process.env.RESEND_BASE_URL;
      }
    });

    it('GET /organization shows the plan, its limits and usage that follows a new key', async () => {
      const before = await get('/organization');
      expect(before.statusCode, before.body).toBe(200);
      const body = before.json();
      expect(body).toMatchObject({
        object: 'organization',
        id: acme.org.id,
        name: 'acme',
        plan: 'free',
        limits: { requests_per_second: 100_000, api_keys: 7, ip_concurrency: ctx.config.ipConcurrency },
        usage: { domains: 3, emails_today: 4 },
      });
      await keyFor(ctx.deps, acme.org, { name: 'one-more' });
      const after = (await get('/organization')).json();
      expect(after.usage.api_keys).toBe(body.usage.api_keys + 1);
      // Another organization's keys are its own.
      expect((await get('/organization', globex.token)).json().usage).toMatchObject({ api_keys: 1, domains: 1 });
    });
  });
}
