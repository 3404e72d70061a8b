import { and, eq, sql } from 'drizzle-orm';
import { Resend } from 'resend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../src/db/schema.js';
import { events } from '../src/db/schema-events.js';
import { operator } from '../src/modules/api-keys/principal.js';
import { MAX_SUPPRESSION_BATCH } from '../src/modules/suppressions/schemas.js';
import { orgWithKey, type OrgFixture } from './factories.js';
import { BACKENDS, createTestContext, type TestContext } from './harness.js';
import { memberOf } from './session-matrix.js';
import { signedIn } from './team-http.js';

// Resend's suppressions API through the unmodified `resend` SDK over a real socket: the shapes the
// SDK declares, idempotent adds, per-project scope, strict bodies, and the audit and webhook
// events each change leaves. The dashboard serves the same routes for the project it shows.

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

for (const backend of BACKENDS) {
  describe(`suppressions through the resend SDK (${backend})`, () => {
    let ctx: TestContext;
    let acme: OrgFixture;
    let other: OrgFixture;
    let otherProjectToken: string;
    let baseUrl: string;

    beforeAll(async () => {
      ctx = await createTestContext(backend);
      acme = await orgWithKey(ctx.deps, 'acme');
      other = await orgWithKey(ctx.deps, 'other');
      const project = await ctx.deps.services.projects.create(operator(acme.org.id, acme.org.default_project_id), 'marketing');
      otherProjectToken = (await ctx.deps.services.apiKeys.create(operator(acme.org.id, project.id), { name: 'marketing' })).token;
      baseUrl = await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    });
    afterAll(async () => {
      delete process.env.RESEND_BASE_URL;
      await ctx?.close();
    });

    // The SDK reads RESEND_BASE_URL when a client is made; another file's suite may have set it.
    const client = (token = acme.token): Resend => {
      process.env.RESEND_BASE_URL = baseUrl;
      return new Resend(token);
    };
    const eventsOf = async (id: string) =>
      (await ctx.deps.database.db.select().from(events).where(sql`${events.payload}::text like ${`%${id}%`}`).orderBy(events.id)).map((e) => e.payload);
    const auditOf = (id: string) =>
      ctx.deps.database.db.select().from(auditEvents).where(and(eq(auditEvents.organizationId, acme.org.id), sql`${auditEvents.targets} @> ${JSON.stringify([{ id }])}::jsonb`));

    it('adds, gets by id and by email, and removes, in Resend shapes, with audit and webhook events', async () => {
      const resend = client();
      const added = await resend.suppressions.add({ email: 'Steve.Wozniak@Example.com' });
      expect(added.error).toBeNull();
      expect(added.data).toEqual({ object: 'suppression', id: expect.stringMatching(/^sup_/) });
      const id = added.data!.id;

      const byId = await resend.suppressions.get(id);
      expect(byId.data).toEqual({ object: 'suppression', id, email: 'steve.wozniak@example.com', origin: 'manual', source_id: null, created_at: expect.stringMatching(ISO) });
      expect((await resend.suppressions.get('STEVE.wozniak@example.com')).data).toEqual(byId.data);

      const [audit] = await auditOf(id);
      expect(audit).toMatchObject({ action: 'suppression.added', actorType: 'api_key', actorId: acme.key.id, ip: '127.0.0.1', targets: [{ type: 'suppression', id, name: 'steve.wozniak@example.com' }] });
      const { object: _, ...data } = byId.data!;
      expect(await eventsOf(id)).toEqual([{ type: 'suppression.added', created_at: data.created_at, data }]);

      const removed = await resend.suppressions.remove('steve.wozniak@example.com');
      expect(removed.data).toEqual({ object: 'suppression', id, deleted: true });
      expect((await resend.suppressions.get(id)).error).toMatchObject({ statusCode: 404, name: 'not_found' });
      expect((await resend.suppressions.remove(id)).error).toMatchObject({ statusCode: 404, name: 'not_found' });
      expect((await auditOf(id)).map((e) => e.action).sort()).toEqual(['suppression.added', 'suppression.removed']);
      expect((await eventsOf(id)).map((e) => (e as { type: string }).type)).toEqual(['suppression.added', 'suppression.removed']);
    });

    it('keeps test-mode keys out, reading as writing: the list is live mail\'s', async () => {
      const sandbox = client((await ctx.deps.services.apiKeys.create(operator(acme.org.id, acme.org.default_project_id), { name: 'sandbox', mode: 'test' })).token);
      const { suppression } = await ctx.deps.services.suppressions.add(operator(acme.org.id, acme.org.default_project_id), { email: 'kept@example.com' });
      for (const refused of [await sandbox.suppressions.list(), await sandbox.suppressions.get(suppression.id), await sandbox.suppressions.add({ email: 'new@example.com' }), await sandbox.suppressions.remove(suppression.id)]) {
        expect(refused.error).toMatchObject({ statusCode: 403, name: 'insufficient_scope' });
      }
      expect((await client().suppressions.get(suppression.id)).data).toMatchObject({ id: suppression.id, email: 'kept@example.com' });
      expect((await client().suppressions.get('new@example.com')).error).toMatchObject({ statusCode: 404 });
    });

    it('adding an address twice returns the same suppression: 201, then 200, one row, one event', async () => {
      const first = await client().suppressions.add({ email: 'twice@example.com' });
      const again = await client().suppressions.add({ email: ' TWICE@example.com ' });
      expect(again.data).toEqual(first.data);
      const raw = await fetch(`${baseUrl}/suppressions`, { method: 'POST', headers: { authorization: `Bearer ${acme.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ email: 'fresh@example.com' }) });
      expect(raw.status).toBe(201);
      const repeat = await fetch(`${baseUrl}/suppressions`, { method: 'POST', headers: { authorization: `Bearer ${acme.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ email: 'fresh@example.com' }) });
      expect(repeat.status).toBe(200);
      expect(await eventsOf(first.data!.id)).toHaveLength(1);
      const listed = await client().suppressions.list({ limit: 100 });
      expect(listed.data!.data.filter((s) => s.email === 'twice@example.com')).toHaveLength(1);
    });

    it('lists newest first, page by page, and filters by origin', async () => {
      const resend = client(otherProjectToken);
      const emails = ['p0@example.com', 'p1@example.com', 'p2@example.com', 'p3@example.com', 'p4@example.com'];
      const ids: string[] = [];
      for (const email of emails) {
        ctx.clock.advance(1);
        ids.push((await resend.suppressions.add({ email })).data!.id);
      }
      const newest = [...ids].reverse();
      const first = await resend.suppressions.list({ limit: 2 });
      expect(first.error).toBeNull();
      expect(first.data).toEqual({ object: 'list', has_more: true, data: [expect.objectContaining({ id: newest[0] }), expect.objectContaining({ id: newest[1] })] });
      expect(first.data!.data[0]).toEqual({ id: newest[0], email: 'p4@example.com', origin: 'manual', source_id: null, created_at: expect.stringMatching(ISO) });
      const second = await resend.suppressions.list({ limit: 2, after: newest[1]! });
      expect(second.data!.data.map((s) => s.id)).toEqual(newest.slice(2, 4));
      const last = await resend.suppressions.list({ limit: 2, after: newest[3]! });
      expect(last.data).toMatchObject({ has_more: false, data: [{ id: newest[4] }] });
      expect((await resend.suppressions.list({ limit: 2, before: newest[2]! })).data!.data.map((s) => s.id)).toEqual(newest.slice(0, 2));
      expect((await resend.suppressions.list({ origin: 'bounce' })).data!.data).toEqual([]);
      expect((await resend.suppressions.list({ origin: 'manual' })).data!.data).toHaveLength(5);
      expect((await resend.suppressions.list({ limit: 101 })).error).toMatchObject({ statusCode: 422, name: 'validation_error' });
    });

    it('batch adds and removes, one line per address or id, in order', async () => {
      const resend = client();
      const existing = (await resend.suppressions.add({ email: 'b0@example.com' })).data!.id;
      const added = await resend.suppressions.batch.add({ emails: ['b1@example.com', 'B0@example.com', 'b2@example.com'] });
      expect(added.error).toBeNull();
      expect(added.data).toEqual({ data: [{ object: 'suppression', id: expect.stringMatching(/^sup_/) }, { object: 'suppression', id: existing }, { object: 'suppression', id: expect.stringMatching(/^sup_/) }] });
      const [b1, , b2] = added.data!.data.map((d) => d.id);
      const [audit] = await auditOf(b1!);
      expect(audit!.targets.map((t) => t.id).sort()).toEqual([b1, b2].sort());

      const byIds = await resend.suppressions.batch.remove({ ids: [b1!, 'sup_00000000000000000000000000'] });
      expect(byIds.data).toEqual({ data: [{ object: 'suppression', id: b1, deleted: true }, { object: 'suppression', id: 'sup_00000000000000000000000000', deleted: false }] });
      const byEmails = await resend.suppressions.batch.remove({ emails: ['b2@example.com', 'b0@example.com'] });
      expect(byEmails.data).toEqual({ data: [{ object: 'suppression', id: b2, deleted: true }, { object: 'suppression', id: existing, deleted: true }] });
      expect((await resend.suppressions.get('b0@example.com')).error).toMatchObject({ statusCode: 404 });
      expect((await eventsOf(b2!)).map((e) => (e as { type: string }).type)).toEqual(['suppression.added', 'suppression.removed']);
    });

    it("answers another organization's and another project's suppression with 404, and lists neither", async () => {
      const id = (await client().suppressions.add({ email: 'private@example.com' })).data!.id;
      for (const token of [other.token, otherProjectToken]) {
        const resend = client(token);
        expect((await resend.suppressions.get(id)).error).toMatchObject({ statusCode: 404, name: 'not_found' });
        expect((await resend.suppressions.get('private@example.com')).error).toMatchObject({ statusCode: 404, name: 'not_found' });
        expect((await resend.suppressions.remove(id)).error).toMatchObject({ statusCode: 404, name: 'not_found' });
        expect((await resend.suppressions.batch.remove({ ids: [id] })).data).toEqual({ data: [{ object: 'suppression', id, deleted: false }] });
        expect((await resend.suppressions.list({ limit: 100 })).data!.data.map((s) => s.id)).not.toContain(id);
      }
      expect((await client().suppressions.get(id)).data?.id).toBe(id);
    });

    it('refuses unknown fields, invalid addresses and oversized batches with 422 naming the field', async () => {
      const resend = client();
      const cases: [Promise<{ error: unknown }>, string][] = [
        [resend.suppressions.add({ email: 'x@example.com', organization_id: other.org.id } as never), 'organization_id'],
        [resend.suppressions.add({ email: 'x@example.com', origin: 'bounce' } as never), 'origin'],
        [resend.suppressions.batch.add({ emails: ['x@example.com'], project_id: 'proj_x' } as never), 'project_id'],
        [resend.suppressions.add({ email: 'not-an-address' }), 'email'],
        [resend.suppressions.add({} as never), 'email'],
        [resend.suppressions.batch.add({ emails: ['ok@example.com', 'bad@'] }), 'emails[1]'],
        [resend.suppressions.batch.add({ emails: [] }), 'emails'],
        [resend.suppressions.batch.add({ emails: Array.from({ length: MAX_SUPPRESSION_BATCH + 1 }, (_, i) => `n${i}@example.com`) }), 'emails'],
        [resend.suppressions.batch.remove({ emails: ['a@example.com'], ids: ['sup_x'] } as never), 'ids'],
        [resend.suppressions.batch.remove({} as never), 'emails'],
      ];
      for (const [call, field] of cases) {
        const { error } = await call;
        expect(error, field).toMatchObject({ statusCode: 422, name: 'validation_error', field, message: expect.stringMatching(new RegExp(`^${field.replace(/[[\]]/g, '\\$&')}: `)) });
      }
      expect(((await cases[7]![0]).error as { message: string }).message).toContain(`at most ${MAX_SUPPRESSION_BATCH}`);
      expect((await resend.suppressions.get('ok@example.com')).error).toMatchObject({ statusCode: 404 });
      const query = await fetch(`${baseUrl}/suppressions?organization_id=${other.org.id}`, { headers: { authorization: `Bearer ${acme.token}` } });
      expect(query.status).toBe(422);
      expect(await query.json()).toMatchObject({ name: 'validation_error', field: 'querystring.organization_id' });
    });

    it('accepts a batch of the largest size, with one event per address', async () => {
      const emails = Array.from({ length: MAX_SUPPRESSION_BATCH }, (_, i) => `bulk${i}@example.com`);
      const added = await client(otherProjectToken).suppressions.batch.add({ emails });
      expect(added.error).toBeNull();
      expect(new Set(added.data!.data.map((d) => d.id)).size).toBe(MAX_SUPPRESSION_BATCH);
      const stored = await ctx.deps.database.db.select({ n: sql<number>`count(*)::int` }).from(events).where(sql`${events.payload}::text like '%bulk%@example.com%'`);
      expect(stored[0]!.n).toBe(MAX_SUPPRESSION_BATCH);
    });

    it('the dashboard serves the project it is switched to', async () => {
      const member = await memberOf(ctx.deps, 'dash');
      const browser = await signedIn(ctx, member);
      const created = await browser.call('POST', '/dashboard/api/suppressions', { email: 'dash@example.com' });
      expect(created.statusCode, created.body).toBe(201);
      const id = created.json().id as string;
      expect((await browser.call('GET', `/dashboard/api/suppressions/${id}`)).json()).toMatchObject({ id, email: 'dash@example.com' });
      const project = await ctx.deps.services.projects.create(operator(member.org.id, member.org.default_project_id), 'second');
      expect((await browser.call('POST', '/dashboard/api/session/project', { project_id: project.id })).statusCode).toBeLessThan(300);
      expect((await browser.call('GET', `/dashboard/api/suppressions/${id}`)).statusCode).toBe(404);
      expect((await browser.call('GET', '/dashboard/api/suppressions')).json().data).toEqual([]);
      const [audit] = await ctx.deps.database.db.select().from(auditEvents).where(sql`${auditEvents.targets} @> ${JSON.stringify([{ id }])}::jsonb`);
      expect(audit).toMatchObject({ action: 'suppression.added', actorType: 'user', actorId: member.userId });
    });
  });
}
