import { count, eq } from 'drizzle-orm';
import { Resend } from 'resend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestLogs } from '../src/db/schema-logs.js';
import { ROWS_PER_INSERT } from '../src/modules/request-log/recorder.js';
import { bearer, keyFor, orgWithKey, type OrgFixture } from './factories.js';
import { BACKENDS, createTestContext, type TestContext } from './harness.js';
import { observeStatements } from './statement-counter.js';

// The request log end to end: 10,000 requests through the real HTTP server (a socket, keep-alive
// connections) are written as a handful of batched statements, counted at the database driver, and
// GET /logs pages through every one of them; a key sees only its organization's and project's.

const REQUESTS = 10_000;
const CLIENTS = 10;
/** The recorder's default flush interval: one statement per interval and per ROWS_PER_INSERT rows. */
const FLUSH_MS = 1_000;
const LONG_AGENT = `load-test/1.0 ${'x'.repeat(1_000)}`;
const STATUS_OF: Record<string, number> = { '/whoami': 200, '/logs/req_missing': 404, '/logs': 200 };

type Log = { object: string; id: string; endpoint: string; method: string; response_status: number; user_agent: string | null; api_key_id: string; ip: string; duration_ms: number };
type Page = { object: 'list'; has_more: boolean; data: Log[] };

for (const backend of BACKENDS) {
  describe(`request log (${backend})`, () => {
    let ctx: TestContext;
    let a: OrgFixture;
    let b: OrgFixture;
    let base: string;
    beforeAll(async () => {
      ctx = await createTestContext(backend);
      a = await orgWithKey(ctx.deps, 'org-a');
      b = await orgWithKey(ctx.deps, 'org-b');
      base = await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    });
    afterAll(async () => ctx?.close());

    const get = async <T>(url: string, token: string): Promise<{ status: number; body: T }> => {
      const res = await ctx.app.inject({ method: 'GET', url, headers: bearer(token) });
      return { status: res.statusCode, body: res.json() as T };
    };

    it(`writes ${REQUESTS} requests in a handful of statements, never one per request`, async () => {
      // Warm the key cache first, so what is counted is the steady state.
      expect((await fetch(`${base}/whoami`, { headers: bearer(a.token) })).status).toBe(200);
      await ctx.deps.requestLog.flush();

      const observed = observeStatements(ctx.deps.database);
      const started = Date.now();
      try {
        let next = 0;
        const client = async (): Promise<void> => {
          while (next < REQUESTS) {
            const i = next++;
            // Mixed statuses (every authenticated request is logged), a query string that must
            // not be kept, and an oversized User-Agent that must be cut.
            const url = i % 10 === 0 ? `${base}/logs/req_missing?secret=${i}` : `${base}/whoami`;
            const res = await fetch(url, { headers: { ...bearer(a.token), 'user-agent': i % 100 === 1 ? LONG_AGENT : 'load-test/1.0' } });
            await res.arrayBuffer();
            expect(res.status).toBe(i % 10 === 0 ? 404 : 200);
          }
        };
        await Promise.all(Array.from({ length: CLIENTS }, client));
        await ctx.deps.requestLog.flush();
      } finally {
        observed.restore();
      }
      const elapsedMs = Date.now() - started;
      const inserts = observed.writes().filter((text) => /(insert into|copy) "request_logs"/i.test(text));
      // One per flush interval and per ROWS_PER_INSERT rows at most (plus the final flush), far fewer than requests.
      expect(inserts.length).toBeGreaterThanOrEqual(1);
      expect(inserts.length).toBeLessThanOrEqual(Math.ceil(elapsedMs / FLUSH_MS) + Math.ceil(REQUESTS / ROWS_PER_INSERT) + 2);
      expect(inserts.length).toBeLessThan(REQUESTS / 100);
      // Nothing else writes per request either (the usage recorder flushes once a minute).
      expect(observed.writes().length).toBeLessThanOrEqual(inserts.length + 4);

      const [row] = await ctx.deps.database.db.select({ n: count() }).from(requestLogs).where(eq(requestLogs.organizationId, a.org.id));
      expect(row?.n).toBe(REQUESTS + 1);
    });

    it('lists them newest first, with cursors, in Resend\'s shape plus key, address and duration', async () => {
      const first = await get<Page>('/logs?limit=100', a.token);
      expect(first.status).toBe(200);
      expect(first.body.object).toBe('list');
      expect(first.body.has_more).toBe(true);
      expect(first.body.data).toHaveLength(100);
      const ids = first.body.data.map((log) => log.id);
      expect([...ids].sort().reverse()).toEqual(ids);
      for (const log of first.body.data) {
        expect(log).toMatchObject({ object: 'log', method: 'GET', api_key_id: a.key.id, ip: '127.0.0.1' });
        // The load's requests, and this test's own GET /logs (logged too, once flushed).
        expect(log.response_status).toBe(STATUS_OF[log.endpoint]);
        expect(log.duration_ms).toBeGreaterThanOrEqual(0);
        expect(log.user_agent!.length).toBeLessThanOrEqual(256);
        expect(log).not.toHaveProperty('request_body');
      }

      const second = await get<Page>(`/logs?limit=100&after=${ids.at(-1)}`, a.token);
      expect(second.body.data).toHaveLength(100);
      expect(second.body.data[0]!.id < ids.at(-1)!).toBe(true);
      const back = await get<Page>(`/logs?limit=100&before=${second.body.data[0]!.id}`, a.token);
      expect(back.body.data.map((log) => log.id)).toEqual(ids);

      // Every request of the load is there: walk the whole log with `after`. (The walk's own
      // requests are logged meanwhile; the test's clock stands still, so they may sort anywhere
      // among rows of the same millisecond: they are told apart by their User-Agent.)
      let seen = 0;
      let after: string | undefined;
      const agents = new Set<string | null>();
      for (;;) {
        const page = await get<Page>(`/logs?limit=100${after ? `&after=${after}` : ''}`, a.token);
        for (const log of page.body.data) {
          if (!log.user_agent?.startsWith('load-test/')) continue;
          seen++;
          agents.add(log.user_agent);
        }
        if (!page.body.has_more) break;
        after = page.body.data.at(-1)!.id;
      }
      expect(seen).toBe(REQUESTS);
      expect(agents).toContain(LONG_AGENT.slice(0, 256));
    });

    it('retrieves one log with Resend\'s null bodies; the query string was never kept', async () => {
      const page = await get<Page>('/logs?limit=100', a.token);
      const missing = page.body.data.find((log) => log.response_status === 404)!;
      const one = await get<Record<string, unknown>>(`/logs/${missing.id}`, a.token);
      expect(one.status).toBe(200);
      expect(one.body).toEqual({ ...missing, request_body: null, response_body: null });
      expect(JSON.stringify(one.body)).not.toContain('secret');
    });

    it('answers the resend SDK: logs.list() and logs.get()', async () => {
      process.env.RESEND_BASE_URL = base;
      try {
        const resend = new Resend(a.token);
        const listed = await resend.logs.list({ limit: 5 });
        expect(listed.error).toBeNull();
        expect(listed.data?.data).toHaveLength(5);
        const id = listed.data!.data[0]!.id;
        const one = await resend.logs.get(id);
        expect(one.error).toBeNull();
        expect(one.data).toMatchObject({ object: 'log', id, method: 'GET', request_body: null, response_body: null });
      } finally {
        delete process.env.RESEND_BASE_URL;
      }
    });

    it("answers another organization's log id with 404, and lists only the caller's own", async () => {
      const aLog = (await get<Page>('/logs?limit=1', a.token)).body.data[0]!;
      const other = await get<{ name: string }>(`/logs/${aLog.id}`, b.token);
      expect(other.status).toBe(404);
      expect(other.body.name).toBe('not_found');
      const bList = await get<Page>('/logs?limit=100', b.token);
      expect(bList.body.data.every((log) => log.api_key_id === b.key.id)).toBe(true);
    });

    it("hides another project's requests from a key", async () => {
      const id = ctx.deps.requestLog.record({ organizationId: a.org.id, projectId: 'proj_other', keyId: 'key_other', method: 'GET', endpoint: '/whoami', status: 200, durationMs: 1, ip: '10.0.0.9', userAgent: null });
      await ctx.deps.requestLog.flush();
      expect((await get(`/logs/${id}`, a.token)).status).toBe(404);
    });

    it('refuses a key without audit:read (403 insufficient_scope)', async () => {
      const reader = await keyFor(ctx.deps, a.org, { name: 'emails only', permission: 'custom', scopes: ['emails:read'] });
      const aLog = (await get<Page>('/logs?limit=1', a.token)).body.data[0]!;
      for (const url of ['/logs', `/logs/${aLog.id}`]) {
        const res = await get<{ name: string }>(url, reader.token);
        expect(res.status).toBe(403);
        expect(res.body.name).toBe('insufficient_scope');
      }
    });

    it('answers a malformed cursor or limit with 422, never a 500', async () => {
      for (const query of ['limit=0', 'limit=101', 'limit=abc', `after=${'x'.repeat(65)}`, 'after=a&before=b', 'unknown=1']) {
        const res = await get<{ name: string }>(`/logs?${query}`, a.token);
        expect(res.status, query).toBe(422);
        expect(res.body.name).toBe('validation_error');
      }
    });
  });
}
