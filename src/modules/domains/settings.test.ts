import { and, eq } from 'drizzle-orm';
import { Resend } from 'resend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../db/schema.js';
import { events } from '../../db/schema-events.js';
import { bearer, orgWithKey, type OrgFixture } from '../../../test/factories.js';
import { BACKENDS, createTestContext, type TestContext } from '../../../test/harness.js';

// A domain's tracking and TLS settings through the unmodified `resend` SDK (domains.create with
// openTracking/clickTracking/tls, domains.update), their audit events and the domain.* webhook
// events stored with every change.

for (const backend of BACKENDS) {
  describe(`domain settings (${backend})`, () => {
    let ctx: TestContext;
    let owner: OrgFixture;
    let baseUrl: string;

    beforeAll(async () => {
      ctx = await createTestContext(backend);
      owner = await orgWithKey(ctx.deps, 'settings');
      baseUrl = await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    });
    afterAll(async () => {
      delete process.env.RESEND_BASE_URL;
      await ctx?.close();
    });

    // The SDK reads RESEND_BASE_URL when a client is made; another file's suite may have set it.
    const client = (token: string): Resend => {
      process.env.RESEND_BASE_URL = baseUrl;
      return new Resend(token);
    };
    /** The events of a type about one domain (ids made in one millisecond of the manual clock do not sort by time). */
    const eventsOf = async (type: string, domainId: string) => {
      const rows = await ctx.deps.database.db.select().from(events).where(and(eq(events.organizationId, owner.org.id), eq(events.type, type)));
      return rows.filter((row) => (row.payload as { data: { id: string } }).data.id === domainId);
    };

    it('creates with settings, updates them, and every domain object shows them', async () => {
      const resend = client(owner.token);
      const created = await resend.domains.create({ name: 'settings.example.com', openTracking: true, tls: 'enforced' });
      expect(created.error).toBeNull();
      expect(created.data).toMatchObject({ open_tracking: true, click_tracking: false, tls: 'enforced' });
      const id = created.data!.id;

      const updated = await resend.domains.update({ id, clickTracking: true, openTracking: false, tls: 'opportunistic' });
      expect(updated).toEqual({ data: { object: 'domain', id }, error: null, headers: expect.anything() });
      expect((await resend.domains.get(id)).data).toMatchObject({ open_tracking: false, click_tracking: true, tls: 'opportunistic' });
      const listed = (await resend.domains.list()).data!.data.find((d) => d.id === id);
      expect(listed).toMatchObject({ open_tracking: false, click_tracking: true });

      const [audit] = await ctx.deps.database.db.select().from(auditEvents).where(and(eq(auditEvents.organizationId, owner.org.id), eq(auditEvents.action, 'domain.updated')));
      expect(audit!.changes).toEqual({
        open_tracking: { before: true, after: false },
        click_tracking: { before: false, after: true },
        tls: { before: 'enforced', after: 'opportunistic' },
      });
      expect(audit!.targets).toEqual([{ type: 'domain', id, name: 'settings.example.com' }]);
    });

    it("stores domain.created, domain.updated and domain.deleted events in Resend's DomainEventData shape", async () => {
      const resend = client(owner.token);
      const { data } = await resend.domains.create({ name: 'events.example.com' });
      const id = data!.id;
      await resend.domains.update({ id, openTracking: true });
      // Setting what is already set changes nothing: no audit, no event.
      await resend.domains.update({ id, openTracking: true });
      await resend.domains.remove(id);
      for (const type of ['domain.created', 'domain.updated', 'domain.deleted']) {
        const found = await eventsOf(type, id);
        expect(found, type).toHaveLength(1);
        const last = found[0]!;
        expect(last.projectId).toBe(owner.org.default_project_id);
        expect(last.payload).toMatchObject({
          type,
          created_at: expect.any(String),
          data: { id, name: 'events.example.com', status: 'not_started', created_at: data!.created_at, region: 'us-east-1' },
        });
        const records = (last.payload as { data: { records: { record: string }[] } }).data.records;
        expect(records.map((r) => r.record)).toEqual(['Verification', 'DKIM', 'SPF']);
      }
    });

    it("refuses bad values and fields PATCH does not take, and answers 404 for another organization's domain", async () => {
      const { data } = await client(owner.token).domains.create({ name: 'refused.example.com' });
      const patch = (token: string, body: unknown) =>
        ctx.app.inject({ method: 'PATCH', url: `/domains/${data!.id}`, headers: { ...bearer(token), 'content-type': 'application/json' }, payload: JSON.stringify(body) });
      expect((await patch(owner.token, { tls: 'always' })).json()).toMatchObject({ statusCode: 422, name: 'validation_error', field: 'tls' });
      expect((await patch(owner.token, { capabilities: { sending: 'disabled' } })).json()).toMatchObject({ statusCode: 422, field: 'capabilities.sending' });
      expect((await patch(owner.token, { region: 'eu-west-1' })).json()).toMatchObject({ statusCode: 422, field: 'region' });
      expect((await patch(owner.token, { open_tracking: 'yes' })).statusCode).toBe(422);
      expect((await patch(owner.token, {})).json()).toEqual({ object: 'domain', id: data!.id });
      const other = await orgWithKey(ctx.deps, 'other');
      const res = await patch(other.token, { click_tracking: true });
      expect(res.json()).toMatchObject({ statusCode: 404, name: 'not_found' });
      expect((await client(owner.token).domains.get(data!.id)).data).toMatchObject({ click_tracking: false });
    });
  });
}
