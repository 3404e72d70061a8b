import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../db/schema.js';
import { events, suppressions } from '../../db/schema-events.js';
import { rowsOf } from '../delivery/sql.js';
import { operator, type Actor } from '../api-keys/principal.js';
import { createOrganization } from '../organizations/service.js';
import { appErrorOf, FIRST_PAGE } from '../../../test/app-errors.js';
import { BACKENDS, createTestContext, type TestContext } from '../../../test/harness.js';
import { createSuppressionService, type SuppressionService } from './service.js';

// The suppression use cases on a real database: idempotent adds, lookups by id or address within
// the caller's project only, and every change committed with its audit and webhook events.



for (const backend of BACKENDS) {
  describe(`suppression service (${backend})`, () => {
    let ctx: TestContext;
    let service: SuppressionService;
    let a: Actor;
    let b: Actor;
    /** Organization A's second project, as the dashboard (or a key) of that project sees it. */
    let aOther: Actor;

    beforeAll(async () => {
      ctx = await createTestContext(backend);
      service = createSuppressionService({ db: ctx.deps.database.db, clock: ctx.clock });
      const actorOf = async (name: string): Promise<Actor> => {
        const org = await createOrganization({ db: ctx.deps.database.db, clock: ctx.clock }, { name });
        return { ...operator(org.id, org.default_project_id), projectOnly: true };
      };
      a = await actorOf('org-a');
      b = await actorOf('org-b');
      const other = await ctx.deps.services.projects.create(a, 'other');
      aOther = { ...operator(a.organizationId, other.id), projectOnly: true };
    });
    afterAll(async () => ctx?.close());

    const db = () => ctx.deps.database.db;
    const rowsFor = (email: string) => db().select().from(suppressions).where(eq(suppressions.email, email));
    const eventsFor = async (id: string) => (await db().select().from(events).orderBy(events.id)).filter((e) => JSON.stringify(e.payload).includes(id));
    const auditFor = (id: string) => db().select().from(auditEvents).where(sql`${auditEvents.targets} @> ${JSON.stringify([{ id }])}::jsonb`);

    it('adds an address by hand, trimmed and lower-cased, with its audit and suppression.added events', async () => {
      const { suppression, created } = await service.add(a, { email: '  Bob.Smith@Example.COM ' });
      expect(created).toBe(true);
      expect(suppression).toEqual({ object: 'suppression', id: suppression.id, email: 'bob.smith@example.com', origin: 'manual', source_id: null, created_at: ctx.clock.now().toISOString() });
      expect(suppression.id).toMatch(/^sup_[0-9a-z]{26}$/);
      const [event] = await eventsFor(suppression.id);
      expect(event).toMatchObject({ type: 'suppression.added', organizationId: a.organizationId, projectId: a.projectId });
      const { object: _, ...data } = suppression;
      expect(event!.payload).toEqual({ type: 'suppression.added', created_at: ctx.clock.now().toISOString(), data });
      const audit = await auditFor(suppression.id);
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ action: 'suppression.added', projectId: a.projectId, targets: [{ type: 'suppression', id: suppression.id, name: 'bob.smith@example.com' }] });
    });

    it('adding an address already suppressed returns it and writes nothing, even several at once', async () => {
      const racing = await Promise.all(['dup@example.com', 'DUP@example.com', ' dup@example.com', 'Dup@Example.com'].map((email) => service.add(a, { email })));
      expect(racing.filter((r) => r.created)).toHaveLength(1);
      const first = racing.find((r) => r.created)!;
      expect(new Set(racing.map((r) => r.suppression.id))).toEqual(new Set([first.suppression.id]));
      expect(await service.add(a, { email: 'dup@example.com' })).toEqual({ suppression: first.suppression, created: false });
      expect(await rowsFor('dup@example.com')).toHaveLength(1);
      expect(await eventsFor(first.suppression.id)).toHaveLength(1);
      expect(await auditFor(first.suppression.id)).toHaveLength(1);
    });

    it('refuses what is not an address with a 422 naming the field', async () => {
      for (const email of ['', 'nobody', 'a@b', 'a b@example.com', 'x@example.com\r\nBcc: y@example.com', 'Name <n@example.com>']) {
        const error = await appErrorOf(service.add(a, { email }));
        expect(error.code, email).toBe('validation_error');
        expect(error.details).toEqual({ field: 'email' });
      }
    });

    it('finds a suppression by id or by address (any case), in its own project only', async () => {
      const { suppression } = await service.add(a, { email: 'find@example.com' });
      expect(await service.get(a, suppression.id)).toEqual(suppression);
      expect(await service.get(a, 'FIND@example.com')).toEqual(suppression);
      for (const [actor, key] of [[b, suppression.id], [b, 'find@example.com'], [aOther, suppression.id], [aOther, 'find@example.com'], [a, 'sup_00000000000000000000000000'], [a, 'not an address']] as const) {
        const error = await appErrorOf(service.get(actor, key));
        expect(error.code).toBe('not_found');
      }
      // The same address is suppressed per project: the other project's is its own row.
      const other = await service.add(aOther, { email: 'find@example.com' });
      expect(other.created).toBe(true);
      expect(other.suppression.id).not.toBe(suppression.id);
    });

    it('lists newest first with cursors, filters by origin, and never shows another project', async () => {
      const actor: Actor = { ...operator(a.organizationId, (await ctx.deps.services.projects.create(a, 'listing')).id), projectOnly: true };
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ctx.clock.advance(1);
        ids.push((await service.add(actor, { email: `list${i}@example.com` })).suppression.id);
      }
      const newest = [...ids].reverse();
      const first = await service.list(actor, { direction: 'after', id: undefined, limit: 2 });
      expect(first).toMatchObject({ object: 'list', has_more: true });
      expect(first.data.map((s) => s.id)).toEqual(newest.slice(0, 2));
      expect(first.data[0]).toEqual({ id: ids[4], email: 'list4@example.com', origin: 'manual', source_id: null, created_at: expect.any(String) });
      const second = await service.list(actor, { direction: 'after', id: newest[1], limit: 2 });
      expect(second.data.map((s) => s.id)).toEqual(newest.slice(2, 4));
      const last = await service.list(actor, { direction: 'after', id: newest[3], limit: 2 });
      expect(last).toMatchObject({ has_more: false, data: [{ id: ids[0] }] });
      const back = await service.list(actor, { direction: 'before', id: newest[2], limit: 2 });
      expect(back.data.map((s) => s.id)).toEqual(newest.slice(0, 2));
      expect((await service.list(actor, FIRST_PAGE, { origin: 'bounce' })).data).toEqual([]);
      expect((await service.list(actor, FIRST_PAGE, { origin: 'manual' })).data).toHaveLength(5);
      expect((await service.list(b, FIRST_PAGE)).data.map((s) => s.id)).not.toEqual(expect.arrayContaining([ids[0]]));
    });

    it('removes by id or by address, with its audit and suppression.removed events, then 404s', async () => {
      const byId = (await service.add(a, { email: 'gone1@example.com' })).suppression;
      const byEmail = (await service.add(a, { email: 'gone2@example.com' })).suppression;
      expect(await appErrorOf(service.remove(b, byId.id))).toMatchObject({ code: 'not_found' });
      expect(await appErrorOf(service.remove(aOther, 'gone2@example.com'))).toMatchObject({ code: 'not_found' });
      expect(await service.remove(a, byId.id)).toEqual({ object: 'suppression', id: byId.id, deleted: true });
      expect(await service.remove(a, 'Gone2@Example.com')).toEqual({ object: 'suppression', id: byEmail.id, deleted: true });
      expect(await appErrorOf(service.remove(a, byId.id))).toMatchObject({ code: 'not_found' });
      expect(await appErrorOf(service.get(a, 'gone2@example.com'))).toMatchObject({ code: 'not_found' });
      const removed = (await eventsFor(byId.id)).find((e) => e.type === 'suppression.removed');
      const { object: _, ...data } = byId;
      expect(removed?.payload).toMatchObject({ type: 'suppression.removed', data });
      expect((await auditFor(byEmail.id)).map((e) => e.action).sort()).toEqual(['suppression.added', 'suppression.removed']);
    });

    it('batch add: one line per address in order, existing ones keep their id, one audit event', async () => {
      const existing = (await service.add(a, { email: 'batch0@example.com' })).suppression;
      const result = await service.addMany(a, { emails: ['batch1@example.com', 'BATCH0@example.com', 'batch2@example.com', 'batch1@example.com'] });
      const ids = result.data.map((d) => d.id);
      expect(result.data.every((d) => d.object === 'suppression')).toBe(true);
      expect(ids[1]).toBe(existing.id);
      expect(ids[3]).toBe(ids[0]);
      expect(new Set(ids).size).toBe(3);
      expect(await rowsFor('batch1@example.com')).toHaveLength(1);
      const audit = await auditFor(ids[0]!);
      expect(audit).toHaveLength(1);
      expect(audit[0]!.targets.map((t) => t.name).sort()).toEqual(['batch1@example.com', 'batch2@example.com']);
      expect(await eventsFor(existing.id)).toHaveLength(1);
    });

    it('batch add is all or none: an invalid address refuses the batch, naming it', async () => {
      const error = await appErrorOf(service.addMany(a, { emails: ['fine@example.com', 'also-fine@example.com', 'broken@', 'x@example.com'] }));
      expect(error).toMatchObject({ code: 'validation_error', details: { field: 'emails[2]' } });
      expect(await rowsFor('fine@example.com')).toEqual([]);
    });

    it('batch remove by ids or emails reports each one; unknown and foreign ones are deleted: false', async () => {
      const mine = await service.addMany(a, { emails: ['rm1@example.com', 'rm2@example.com', 'rm3@example.com'] });
      const foreign = (await service.add(b, { email: 'rm1@example.com' })).suppression;
      const [id1, id2, id3] = mine.data.map((d) => d.id);
      ctx.clock.advance(1);
      const byIds = await service.removeMany(a, { ids: [id1!, foreign.id, 'sup_unknown', id2!] });
      expect(byIds.data).toEqual([
        { object: 'suppression', id: id1, deleted: true },
        { object: 'suppression', id: foreign.id, deleted: false },
        { object: 'suppression', id: 'sup_unknown', deleted: false },
        { object: 'suppression', id: id2, deleted: true },
      ]);
      expect(await service.get(b, foreign.id)).toEqual(foreign);
      const byEmails = await service.removeMany(a, { emails: ['RM3@example.com', 'rm1@example.com', 'nope'] });
      expect(byEmails.data).toEqual([
        { object: 'suppression', id: id3, deleted: true },
        { object: 'suppression', id: 'rm1@example.com', deleted: false },
        { object: 'suppression', id: 'nope', deleted: false },
      ]);
      const audit = await auditFor(id1!);
      expect(audit.find((e) => e.action === 'suppression.removed')?.targets.map((t) => t.id).sort()).toEqual([id1, id2].sort());
      expect((await eventsFor(id3!)).map((e) => e.type)).toEqual(['suppression.added', 'suppression.removed']);
      expect(await appErrorOf(service.removeMany(a, { ids: [id1!], emails: ['x@example.com'] }))).toMatchObject({ details: { field: 'ids' } });
      expect(await appErrorOf(service.removeMany(a, {}))).toMatchObject({ details: { field: 'emails' } });
    });

    it('writes the change, its audit event and its webhook event in one transaction', async () => {
      const xminOf = async (table: string, id: string): Promise<string[]> => {
        const column = table === 'audit_events' ? sql`targets::text` : table === 'events' ? sql`payload::text` : sql`id`;
        const result = await db().execute(sql`select xmin::text as x from ${sql.identifier(table)} where ${column} like ${`%${id}%`}`);
        return rowsOf<{ x: string }>(result).map((r) => r.x);
      };
      const { suppression } = await service.add(a, { email: 'tx@example.com' });
      const [own] = await xminOf('suppressions', suppression.id);
      expect(own).toBeDefined();
      expect(await xminOf('events', suppression.id)).toEqual([own]);
      expect(await xminOf('audit_events', suppression.id)).toEqual([own]);
      ctx.clock.advance(1);
      await service.remove(a, suppression.id);
      const [added, removed] = await db().select().from(events).where(and(eq(events.organizationId, a.organizationId), sql`${events.payload}::text like ${`%${suppression.id}%`}`)).orderBy(events.id);
      expect([added?.type, removed?.type]).toEqual(['suppression.added', 'suppression.removed']);
      const removedTx = (await xminOf('events', suppression.id)).filter((x) => x !== own);
      expect(removedTx).toHaveLength(1);
      expect((await xminOf('audit_events', suppression.id)).filter((x) => x !== own)).toEqual(removedTx);
    });

    it('leaves nothing behind when the audit event cannot be written', async () => {
      await db().execute(sql.raw(`create function refuse_boom() returns trigger language plpgsql as $$
        begin if new.targets::text like '%boom@example.com%' then raise exception 'refused'; end if; return new; end $$`));
      await db().execute(sql.raw('create trigger refuse_boom before insert on audit_events for each row execute function refuse_boom()'));
      try {
        await expect(service.add(a, { email: 'boom@example.com' })).rejects.toThrow();
        await expect(service.addMany(a, { emails: ['fine-boom@example.com', 'boom@example.com'] })).rejects.toThrow();
        expect(await rowsFor('boom@example.com')).toEqual([]);
        expect(await rowsFor('fine-boom@example.com')).toEqual([]);
        expect((await db().select().from(events)).filter((e) => JSON.stringify(e.payload).includes('boom@example.com'))).toEqual([]);
      } finally {
        await db().execute(sql.raw('drop trigger refuse_boom on audit_events'));
        await db().execute(sql.raw('drop function refuse_boom()'));
      }
    });
  });
}
