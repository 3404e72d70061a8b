import { and, eq } from 'drizzle-orm';
import { Resend } from 'resend';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, domains } from '../src/db/schema.js';
import { events } from '../src/db/schema-events.js';
import { operator } from '../src/modules/api-keys/principal.js';
import { inboundMxHost } from '../src/modules/domains/inbound-host.js';
import type { DomainObject } from '../src/modules/domains/schemas.js';
import { createDomainService } from '../src/modules/domains/service.js';
import { start, type TestDnsServer } from './dns-server.js';
import { bearer, orgWithKey, type OrgFixture } from './factories.js';
import { BACKENDS, createTestContext, type TestContext } from './harness.js';

// Every field the `resend` SDK sends to POST and PATCH /domains (region, custom_return_path,
// capabilities, tracking, tls, tracking_subdomain), through the unmodified SDK over a real
// socket: what the answers show, the Receiving record, and bad values refused without a change.

for (const backend of BACKENDS) {
  describe(`domain fields (${backend})`, () => {
    let ctx: TestContext;
    let owner: OrgFixture;
    let baseUrl: string;
    let dns: TestDnsServer;

    beforeAll(async () => {
      dns = await start();
      ctx = await createTestContext(backend, { POSTGATE_DNS_SERVERS: dns.address });
      owner = await orgWithKey(ctx.deps, 'fields');
      baseUrl = await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    });
    afterAll(async () => {
      delete process.env.RESEND_BASE_URL;
      await ctx?.close();
      await dns?.close();
    });
    beforeEach(() => dns.clear());

    // The SDK reads RESEND_BASE_URL when a client is made; another file's suite may have set it.
    const sdk = (): Resend => {
      process.env.RESEND_BASE_URL = baseUrl;
      return new Resend(owner.token);
    };
    const send = (method: 'POST' | 'PATCH', url: string, body?: unknown) =>
      ctx.app.inject({
        method,
        url,
        headers: body === undefined ? bearer(owner.token) : { ...bearer(owner.token), 'content-type': 'application/json' },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
    const rowOf = async (id: string) => (await ctx.deps.database.db.select().from(domains).where(eq(domains.id, id)))[0]!;

    it('creates with every SDK field and answers with what was set, a Receiving MX record included', async () => {
      const created = await sdk().domains.create({
        name: 'all-fields.example.com',
        region: 'eu-west-1',
        customReturnPath: 'outbound',
        capabilities: { sending: 'enabled', receiving: 'enabled' },
        openTracking: true,
        clickTracking: true,
        tls: 'enforced',
        trackingSubdomain: 'Links',
      });
      expect(created.error).toBeNull();
      expect(created.data).toMatchObject({
        name: 'all-fields.example.com',
        region: 'eu-west-1',
        capabilities: { sending: 'enabled', receiving: 'enabled' },
        open_tracking: true,
        click_tracking: true,
        tls: 'enforced',
        tracking_subdomain: 'links',
        custom_return_path: 'outbound',
      });
      expect(created.data!.records.map((r) => r.record)).toEqual(['Verification', 'DKIM', 'SPF', 'Receiving']);
      expect(created.data!.records.at(-1)).toEqual({
        record: 'Receiving',
        name: 'all-fields.example.com',
        type: 'MX',
        ttl: 'Auto',
        value: inboundMxHost(ctx.config.publicUrl),
        priority: 10,
        status: 'not_started',
        required: false,
      });
      // SPF stays at the domain itself: mail leaves with the From address as its envelope sender.
      expect(created.data!.records.find((r) => r.record === 'SPF')!.name).toBe('all-fields.example.com');
    });

    it('defaults to us-east-1, receiving disabled, return path send and no tracking subdomain', async () => {
      const { data } = await sdk().domains.create({ name: 'defaults.example.com' });
      expect(data).toMatchObject({ region: 'us-east-1', capabilities: { sending: 'enabled', receiving: 'disabled' }, custom_return_path: 'send' });
      expect(data).not.toHaveProperty('tracking_subdomain');
      expect(data!.records.map((r) => r.record)).toEqual(['Verification', 'DKIM', 'SPF']);
    });

    it('updates through the SDK; get and list show region and capabilities; audit and event record it', async () => {
      const resend = sdk();
      const { data } = await resend.domains.create({ name: 'update.example.com', region: 'sa-east-1' });
      const id = data!.id;
      const updated = await resend.domains.update({ id, openTracking: true, clickTracking: true, tls: 'enforced', capabilities: { receiving: 'enabled' }, trackingSubdomain: 'track' });
      expect(updated.error).toBeNull();
      expect(updated.data).toEqual({ object: 'domain', id });

      const got = (await resend.domains.get(id)).data!;
      expect(got).toMatchObject({ region: 'sa-east-1', capabilities: { sending: 'enabled', receiving: 'enabled' }, open_tracking: true, click_tracking: true, tls: 'enforced', tracking_subdomain: 'track' });
      expect(got.records.map((r) => r.record)).toContain('Receiving');
      const listed = (await resend.domains.list()).data!.data.find((d) => d.id === id);
      expect(listed).toMatchObject({ region: 'sa-east-1', capabilities: { sending: 'enabled', receiving: 'enabled' } });

      const [audit] = await ctx.deps.database.db.select().from(auditEvents).where(and(eq(auditEvents.organizationId, owner.org.id), eq(auditEvents.action, 'domain.updated')));
      expect(audit!.changes).toMatchObject({ receiving: { before: 'disabled', after: 'enabled' }, tracking_subdomain: { before: null, after: 'track' } });
      const stored = await ctx.deps.database.db.select().from(events).where(and(eq(events.organizationId, owner.org.id), eq(events.type, 'domain.updated')));
      const event = stored.find((e) => (e.payload as { data: { id: string } }).data.id === id)!;
      expect(event.payload).toMatchObject({ data: { id, region: 'sa-east-1', records: expect.arrayContaining([expect.objectContaining({ record: 'Receiving', type: 'MX' })]) } });

      // Receiving off again takes the MX record away; null clears the tracking subdomain.
      expect((await send('PATCH', `/domains/${id}`, { capabilities: { receiving: 'disabled' }, tracking_subdomain: null })).statusCode).toBe(200);
      const after = (await resend.domains.get(id)).data!;
      expect(after.records.map((r) => r.record)).toEqual(['Verification', 'DKIM', 'SPF']);
      expect(after).not.toHaveProperty('tracking_subdomain');
    });

    it('accepts an empty PATCH, a bodiless one and capabilities.sending enabled, changing nothing', async () => {
      const resend = sdk();
      const { data } = await resend.domains.create({ name: 'empty-patch.example.com', openTracking: true });
      const before = await rowOf(data!.id);
      expect((await resend.domains.update({ id: data!.id })).data).toEqual({ object: 'domain', id: data!.id });
      expect((await send('PATCH', `/domains/${data!.id}`)).statusCode).toBe(200);
      expect((await send('PATCH', `/domains/${data!.id}`, { capabilities: { sending: 'enabled' } })).statusCode).toBe(200);
      expect(await rowOf(data!.id)).toEqual(before);
    });

    it('refuses bad values with 422 naming the field, and creates or changes nothing', async () => {
      const resend = sdk();
      const refusedCreates: [Record<string, unknown>, string][] = [
        [{ region: 'mars-1' }, 'region'],
        [{ custom_return_path: 'bounce.mail' }, 'custom_return_path'],
        [{ custom_return_path: 'under_score' }, 'custom_return_path'],
        [{ custom_return_path: '-send' }, 'custom_return_path'],
        [{ custom_return_path: '' }, 'custom_return_path'],
        [{ tracking_subdomain: 'x'.repeat(64) }, 'tracking_subdomain'],
        [{ capabilities: { sending: 'disabled' } }, 'capabilities.sending'],
        [{ capabilities: { receiving: 'yes' } }, 'capabilities.receiving'],
        [{ capabilities: { inbound: 'enabled' } }, 'capabilities.inbound'],
      ];
      for (const [fields, field] of refusedCreates) {
        const res = await send('POST', '/domains', { name: 'refused.example.com', ...fields });
        expect(res.json(), JSON.stringify(fields)).toMatchObject({ statusCode: 422, name: 'validation_error', field });
      }
      const viaSdk = await resend.domains.create({ name: 'refused.example.com', region: 'moon-1' as 'us-east-1' });
      expect(viaSdk.error).toMatchObject({ statusCode: 422, name: 'validation_error', message: expect.stringMatching(/^region: /) });
      expect((await resend.domains.list()).data!.data.map((d) => d.name)).not.toContain('refused.example.com');

      const { data } = await resend.domains.create({ name: 'kept.example.com' });
      const before = await rowOf(data!.id);
      const refusedPatches: [Record<string, unknown>, string][] = [
        [{ open_tracking: true, capabilities: { sending: 'disabled' } }, 'capabilities.sending'],
        [{ click_tracking: true, tracking_subdomain: 'no.dots' }, 'tracking_subdomain'],
        [{ tls: 'enforced', region: 'eu-west-1' }, 'region'],
        [{ custom_return_path: 'bounces' }, 'custom_return_path'],
      ];
      for (const [fields, field] of refusedPatches) {
        const res = await send('PATCH', `/domains/${data!.id}`, fields);
        expect(res.json(), JSON.stringify(fields)).toMatchObject({ statusCode: 422, name: 'validation_error', field });
      }
      expect(await rowOf(data!.id)).toEqual(before);
    });

    it('verifies on the Verification and DKIM records alone with receiving enabled; the MX names POSTGATE_PUBLIC_URL host', async () => {
      const service = createDomainService({ db: ctx.deps.database.db, clock: ctx.clock, dnsServers: [dns.address], dnsTimeoutMs: 1_000, publicUrl: 'https://Mail.Example.net:8443/' });
      const actor = operator(owner.org.id, owner.org.default_project_id);
      const domain: DomainObject = await service.create(actor, { name: 'inbound.example.com', receiving: 'enabled' });
      expect(domain.records.find((r) => r.record === 'Receiving')).toMatchObject({ type: 'MX', value: 'mail.example.net', priority: 10 });
      for (const record of domain.records.filter((r) => r.required)) dns.setTxt(record.name, [record.value]);
      const checked = await service.verify(actor, domain.id);
      expect(checked.status).toBe('verified');
      expect(checked.records.find((r) => r.record === 'Receiving')!.status).toBe('not_started');
    });
  });
}
