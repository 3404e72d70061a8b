import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../lib/ids.js';
import { rowsOf } from '../delivery/sql.js';
import { emailBody, senderFor } from '../../../test/email-fixtures.js';
import { domainFor, orgWithKey, type OrgFixture } from '../../../test/factories.js';
import { BACKENDS, createTestContext, type TestContext } from '../../../test/harness.js';
import type { NewEmail } from './accept.js';
import { createIntake } from './group-commit.js';

// Group commit: acceptances waiting at the same moment share one statement, and what one of them
// breaks fails it alone.

for (const backend of BACKENDS) {
  describe(`email group commit (${backend})`, () => {
    let ctx: TestContext;
    let acme: OrgFixture;

    beforeAll(async () => {
      ctx = await createTestContext(backend);
      acme = await orgWithKey(ctx.deps, 'acme');
      await domainFor(ctx.deps, acme.org, 'a.acme.test');
    });
    afterAll(async () => {
      await ctx?.close();
    });

    /** How many emails, messages, queued events and emails due for delivery exist for `ids`. */
    const stored = async (ids: string[]): Promise<{ emails: number; messages: number; events: number; due: number }> => {
      const list = sql.join(ids.map((id) => sql`${id}`), sql`, `);
      const count = async (query: ReturnType<typeof sql>): Promise<number> => Number(rowsOf<{ n: number }>(await ctx.deps.database.db.execute(query))[0]!.n);
      return {
        emails: await count(sql`select count(*)::int as n from emails where id in (${list}) and status = 'queued'`),
        messages: await count(sql`select count(*)::int as n from email_messages where email_id in (${list})`),
        events: await count(sql`select count(*)::int as n from email_events where email_id in (${list}) and type = 'queued'`),
        // The row is the email's place in the delivery queue: due now unless scheduled.
        due: await count(sql`select count(*)::int as n from emails where id in (${list}) and status = 'queued' and next_attempt_at <= now()`),
      };
    };

    const newEmail = (id = newId('email')): NewEmail => ({
      row: {
        id,
        organizationId: acme.org.id,
        projectId: acme.org.default_project_id,
        apiKeyId: null,
        domainId: null,
        mode: 'test',
        source: 'api',
        fromAddress: 'x@a.acme.test',
        toAddresses: ['r@example.net'],
        ccAddresses: [],
        bccAddresses: [],
        replyTo: [],
        subject: 'grouped',
        html: null,
        text: 'hi',
        tags: [{ name: 'k', value: 'v' }],
        messageId: `<${id}@a.acme.test>`,
        envelopeFrom: 'x@a.acme.test',
        recipients: ['r@example.net'],
        scheduledAt: null,
        createdAt: new Date(),
      },
      message: { raw: Buffer.from('Subject: grouped\r\n\r\nhi\r\n') },
    });

    it('stores each of fifty concurrent sends once, with its message and queued event, due for delivery', async () => {
      const svc = ctx.deps.services.emails;
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => svc.send(senderFor(acme.org), emailBody('x@a.acme.test', { subject: `burst ${i}`, tags: [{ name: 'n', value: String(i) }] }))),
      );
      const ids = results.map((r) => r.id);
      expect(new Set(ids).size).toBe(50);
      expect(await stored(ids)).toEqual({ emails: 50, messages: 50, events: 50, due: 50 });
      const [row] = rowsOf<{ tags: unknown; to_addresses: string[] }>(
        await ctx.deps.database.db.execute(sql`select tags, to_addresses from emails where id = ${ids[7]!}`),
      );
      expect(row).toEqual({ tags: [{ name: 'n', value: '7' }], to_addresses: ['rcpt@example.net'] });
    });

    it('stores a lone surrogate of a JSON body as U+FFFD, as a text parameter did', async () => {
      const { id } = await ctx.deps.services.emails.send(senderFor(acme.org), emailBody('x@a.acme.test', { text: 'odd \ud800 one \\ud800' }));
      const [row] = rowsOf<{ text: string }>(await ctx.deps.database.db.execute(sql`select "text" from emails where id = ${id}`));
      expect(row?.text).toBe('odd \ufffd one \\ud800');
    });

    it('never writes inside a transaction another caller has open (one that then rolls back)', async () => {
      const email = newEmail();
      let accepting: Promise<unknown> | undefined;
      const rolledBack = ctx.deps.database.db.transaction(async (tx) => {
        await tx.execute(sql`select 1`);
        accepting = ctx.deps.intake.accept([email]);
        await new Promise((resolve) => setTimeout(resolve, 100));
        throw new Error('roll back');
      });
      await expect(rolledBack).rejects.toThrow('roll back');
      await accepting;
      expect(await stored([email.row.id])).toEqual({ emails: 1, messages: 1, events: 1, due: 1 });
    });

    // PostgreSQL only: PGlite writes one group at a time (it runs one statement at a time anyway).
    if (backend === 'postgres') it('sends a second group while one is being written, once it holds as many emails as that one', async () => {
      const pool = ctx.deps.database.pool!;
      // Acceptance statements waiting on the lock held below.
      const blocked = async (): Promise<number> =>
        Number(
          (
            await pool.query<{ n: string }>(
              "select count(*) n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like '%json_to_recordset%'",
            )
          ).rows[0]!.n,
        );
      // The emails of each group: one statement, one transaction, so one xmin.
      const groups = async (ids: string[]): Promise<string[][]> => {
        const { rows } = await pool.query<{ named: string[] }>('select array_agg(id order by id) named from emails where id = any($1) group by xmin::text', [ids]);
        return rows.map((r) => r.named).sort((a, b) => a[0]!.localeCompare(b[0]!));
      };
      const emails = Array.from({ length: 9 }, (_, i) => newEmail(`em_inflight_${i}_${newId('email').slice(3)}`));
      const ids = emails.map((e) => e.row.id);
      const holder = await pool.connect();
      try {
        await holder.query('begin');
        await holder.query('lock table email_events in exclusive mode');
        const first = ctx.deps.intake.accept(emails.slice(0, 3));
        await expect.poll(blocked).toBe(1);
        // Fewer emails than the group being written: they wait for it.
        const second = ctx.deps.intake.accept(emails.slice(3, 5));
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(await blocked()).toBe(1);
        // As many: they go out as a second group.
        const third = ctx.deps.intake.accept(emails.slice(5, 6));
        await expect.poll(blocked).toBe(2);
        // Two being written: the next waits, however large.
        const fourth = ctx.deps.intake.accept(emails.slice(6, 9));
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(await blocked()).toBe(2);
        await holder.query('commit');
        await Promise.all([first, second, third, fourth]);
      } finally {
        await holder.query('rollback').catch(() => undefined);
        holder.release();
      }
      expect(await stored(ids)).toEqual({ emails: 9, messages: 9, events: 9, due: 9 });
      expect(await groups(ids)).toEqual([ids.slice(0, 3), ids.slice(3, 6), ids.slice(6, 9)].map((g) => [...g].sort()));
    });

    it('fails only the acceptance that breaks a constraint; the rest of its group is stored', async () => {
      const taken = newEmail();
      await ctx.deps.intake.accept([taken]);
      const good = [newEmail(), newEmail(), newEmail()];
      const batchWithDuplicate = [newEmail(), newEmail(taken.row.id)];
      const outcomes = await Promise.allSettled([
        ctx.deps.intake.accept([good[0]!]),
        ctx.deps.intake.accept([newEmail(taken.row.id)]),
        ctx.deps.intake.accept([good[1]!, good[2]!]),
        ctx.deps.intake.accept(batchWithDuplicate),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
      expect(await stored(good.map((e) => e.row.id))).toEqual({ emails: 3, messages: 3, events: 3, due: 3 });
      // A batch is all or none, in a group or alone.
      expect(await stored([batchWithDuplicate[0]!.row.id])).toEqual({ emails: 0, messages: 0, events: 0, due: 0 });
      expect((await stored([taken.row.id])).emails).toBe(1);
    });

    const keyFor = (key: string, requestHash = 'h1', at = new Date()) => ({
      request: { organizationId: acme.org.id, key, requestHash },
      response: { id: key },
      at,
    });

    it('stores an Idempotency-Key with its emails in the group, and nothing for a key another intake stored', async () => {
      // A second intake on the same database: another instance.
      const other = createIntake({ database: ctx.deps.database });
      const mine = [newEmail(), newEmail()];
      const theirs = newEmail();
      const plain = newEmail();
      const results = await Promise.all([ctx.deps.intake.accept(mine, keyFor('grouped-1')), ctx.deps.intake.accept([plain])]);
      expect(results).toEqual(['stored', 'stored']);
      expect(await other.accept([theirs], keyFor('grouped-1'))).toBe('key_taken');
      await other.close();
      expect(await stored([...mine, plain].map((e) => e.row.id))).toEqual({ emails: 3, messages: 3, events: 3, due: 3 });
      expect(await stored([theirs.row.id])).toEqual({ emails: 0, messages: 0, events: 0, due: 0 });
    });

    it('refuses at once a second acceptance with a key it is still accepting', async () => {
      const first = ctx.deps.intake.accept([newEmail()], keyFor('grouped-2'));
      await expect(ctx.deps.intake.accept([newEmail()], keyFor('grouped-2'))).rejects.toMatchObject({ code: 'concurrent_idempotent_requests' });
      expect(await first).toBe('stored');
    });

    it('takes the place of a key older than 24 hours', async () => {
      const dayAgo = new Date(Date.now() - 24 * 60 * 60 * 1000 - 1000);
      expect(await ctx.deps.intake.accept([newEmail()], keyFor('grouped-3', 'old', dayAgo))).toBe('stored');
      const fresh = newEmail();
      expect(await ctx.deps.intake.accept([fresh], keyFor('grouped-3', 'new'))).toBe('stored');
      expect((await stored([fresh.row.id])).emails).toBe(1);
      const [row] = rowsOf<{ request_hash: string }>(
        await ctx.deps.database.db.execute(sql`select request_hash from idempotency_keys where organization_id = ${acme.org.id} and key = 'grouped-3'`),
      );
      expect(row?.request_hash).toBe('new');
    });
  });
}
