import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Resend } from 'resend';
import { orgWithKey, type OrgFixture } from './factories.js';
import { createTestContext, type TestContext } from './harness.js';

// The npm `resend` SDK, unmodified, pointed at Postgate with RESEND_BASE_URL over a real socket.
describe('resend SDK compatibility', () => {
  let ctx: TestContext;
  let acme: OrgFixture;
  let resend: Resend;

  beforeAll(async () => {
    ctx = await createTestContext('pglite');
    acme = await orgWithKey(ctx.deps, 'acme');
    const address = await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    process.env.RESEND_BASE_URL = address;
    resend = new Resend(acme.token);
  });
  afterAll(async () => {
    delete process.env.RESEND_BASE_URL;
    await ctx?.close();
  });

  it('creates, lists and removes API keys', async () => {
    const created = await resend.apiKeys.create({ name: 'from-sdk', permission: 'sending_access' });
    expect(created.error).toBeNull();
    expect(created.data?.token).toMatch(/^pgt_live_/);
    const id = created.data!.id;

    const listed = await resend.apiKeys.list();
    expect(listed.error).toBeNull();
    expect(listed.data?.data.map((k) => k.id)).toContain(id);

    const removed = await resend.apiKeys.remove(id);
    expect(removed.error).toBeNull();
    expect(removed.data).toMatchObject({ id, deleted: true });

    const after = await resend.apiKeys.list();
    expect(after.data?.data.map((k) => k.id)).not.toContain(id);
  });

  it('creates, updates, reads, lists and removes domains with every option the SDK has', async () => {
    const created = await resend.domains.create({
      name: 'sdk.example.com',
      region: 'ap-northeast-1',
      customReturnPath: 'bounces',
      capabilities: { receiving: 'enabled' },
      openTracking: true,
      clickTracking: false,
      tls: 'enforced',
    });
    expect(created.error).toBeNull();
    expect(created.data).toMatchObject({ region: 'ap-northeast-1', capabilities: { sending: 'enabled', receiving: 'enabled' }, open_tracking: true, click_tracking: false });
    const id = created.data!.id;
    // Every record kind is one the SDK's DomainRecords type knows, but the ownership TXT's.
    expect(created.data!.records.map((r) => r.record)).toEqual(['Verification', 'DKIM', 'SPF', 'Receiving']);

    const updated = await resend.domains.update({ id, openTracking: false, clickTracking: true, tls: 'opportunistic', capabilities: { receiving: 'disabled' } });
    expect(updated.data).toEqual({ object: 'domain', id });
    expect((await resend.domains.get(id)).data).toMatchObject({
      region: 'ap-northeast-1',
      capabilities: { sending: 'enabled', receiving: 'disabled' },
      open_tracking: false,
      click_tracking: true,
      tls: 'opportunistic',
    });
    expect((await resend.domains.list()).data?.data.find((d) => d.id === id)).toMatchObject({ region: 'ap-northeast-1', capabilities: { receiving: 'disabled' } });
    expect((await resend.domains.remove(id)).data).toMatchObject({ id, deleted: true });
  });

  it('passes Postgate errors through in the shape the SDK expects', async () => {
    const denied = await new Resend('pgt_live_not-a-real-key').apiKeys.list();
    expect(denied.data).toBeNull();
    expect(denied.error).toMatchObject({ statusCode: 401, name: 'invalid_api_key' });
    const invalid = await resend.apiKeys.create({ name: '' });
    expect(invalid.error).toMatchObject({ statusCode: 422, name: 'validation_error' });
  });
});
