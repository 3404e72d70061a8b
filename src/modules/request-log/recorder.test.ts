import { count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestLogs } from '../../db/schema-logs.js';
import { orgWithKey, type OrgFixture } from '../../../test/factories.js';
import { BACKENDS, createTestContext, type TestContext } from '../../../test/harness.js';
import { observeStatements } from '../../../test/statement-counter.js';
import { RequestLogRecorder, ROWS_PER_INSERT, type RequestLogEntry } from './recorder.js';

// The request log recorder on a real database: batches split under PostgreSQL's parameter limit,
// memory bounded while the database is away, and retention swept by age.

const DAY_MS = 86_400_000;

for (const backend of BACKENDS) {
  describe(`request log recorder (${backend})`, () => {
    let ctx: TestContext;
    let acme: OrgFixture;
    let entry: RequestLogEntry;
    beforeAll(async () => {
      ctx = await createTestContext(backend, { POSTGATE_REQUEST_LOG_DAYS: '2' });
      acme = await orgWithKey(ctx.deps, 'acme');
      entry = { organizationId: acme.org.id, projectId: acme.org.default_project_id, keyId: acme.key.id, method: 'GET', endpoint: '/whoami', status: 200, durationMs: 3, ip: '10.0.0.1', userAgent: 'test' };
    });
    afterAll(async () => ctx?.close());

    const rowsOf = async (endpoint: string): Promise<number> => {
      const [row] = await ctx.deps.database.db.select({ n: count() }).from(requestLogs).where(eq(requestLogs.endpoint, endpoint));
      return row?.n ?? 0;
    };

    it('writes a flush larger than one statement may carry as statements of ROWS_PER_INSERT rows', async () => {
      const recorder = new RequestLogRecorder({ database: ctx.deps.database, clock: ctx.clock, retentionDays: 30 });
      const rows = 2 * ROWS_PER_INSERT + 1;
      for (let i = 0; i < rows; i++) recorder.record({ ...entry, endpoint: '/split' });
      const observed = observeStatements(ctx.deps.database);
      try {
        await recorder.flush();
      } finally {
        observed.restore();
      }
      const inserts = observed.writes().filter((text) => /(insert into|copy) "request_logs"/i.test(text));
      expect(inserts).toHaveLength(3);
      expect(await rowsOf('/split')).toBe(rows);
      expect(recorder.pendingCount).toBe(0);
    });

    it('keeps at most maxPending rows while the database is away, dropping and counting the oldest', async () => {
      const dropped: number[] = [];
      const recorder = new RequestLogRecorder({ database: ctx.deps.database, clock: ctx.clock, retentionDays: 30, maxPending: 100, onDropped: (n) => dropped.push(n) });
      const { db } = ctx.deps.database;
      await db.execute(sql`alter table request_logs rename to request_logs_away`);
      try {
        for (let i = 0; i < 60; i++) recorder.record({ ...entry, endpoint: `/away/${i}` });
        await expect(recorder.flush()).rejects.toThrow();
        expect(recorder.pendingCount).toBe(60);
        for (let i = 60; i < 130; i++) recorder.record({ ...entry, endpoint: `/away/${i}` });
        expect(recorder.pendingCount).toBe(100);
        expect(recorder.dropped).toBe(30);
        expect(dropped.reduce((a, b) => a + b, 0)).toBe(30);
      } finally {
        await db.execute(sql`alter table request_logs_away rename to request_logs`);
      }
      await recorder.flush();
      // The newest 100 were kept: /away/30 .. /away/129.
      expect(await rowsOf('/away/29')).toBe(0);
      expect(await rowsOf('/away/30')).toBe(1);
      expect(await rowsOf('/away/129')).toBe(1);
      expect(recorder.pendingCount).toBe(0);
    });

    it('stores what the COPY text format escapes (tab, newline, backslash) as sent, and null as null', async () => {
      const recorder = new RequestLogRecorder({ database: ctx.deps.database, clock: ctx.clock, retentionDays: 30 });
      const odd = 'agent\twith\ttabs \\N back\\slash\nnew\rline';
      recorder.record({ ...entry, endpoint: '/odd\\path', userAgent: odd });
      recorder.record({ ...entry, endpoint: '/no-agent', userAgent: null });
      await recorder.flush();
      const { db } = ctx.deps.database;
      const [row] = await db.select().from(requestLogs).where(eq(requestLogs.endpoint, '/odd\\path'));
      expect(row?.userAgent).toBe(odd);
      const [bare] = await db.select().from(requestLogs).where(eq(requestLogs.endpoint, '/no-agent'));
      expect(bare?.userAgent).toBeNull();
      expect(bare?.durationMs).toBe(entry.durationMs);
      expect(bare?.createdAt.getTime()).toBe(ctx.clock.nowMs());
    });

    it('sweeps rows older than POSTGATE_REQUEST_LOG_DAYS and keeps the younger', async () => {
      const recorder = ctx.deps.requestLog;
      recorder.record({ ...entry, endpoint: '/old' });
      await recorder.flush();
      ctx.clock.advance(DAY_MS);
      recorder.record({ ...entry, endpoint: '/young' });
      await recorder.flush();
      ctx.clock.advance(1.5 * DAY_MS);
      // /old is 2.5 days old, /young 1.5 days: only /old is past the 2 days configured.
      expect(await recorder.sweep()).toBeGreaterThanOrEqual(1);
      expect(await rowsOf('/old')).toBe(0);
      expect(await rowsOf('/young')).toBe(1);
    });
  });
}
