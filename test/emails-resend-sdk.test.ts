import { Resolver } from 'node:dns/promises';
import { dkimVerify } from 'mailauth';
import { Resend } from 'resend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker, type RunningWorker } from '../src/worker/worker.js';
import { start as startDns, type TestDnsServer } from './dns-server.js';
import { eventually } from './email-fixtures.js';
import { domainFor, keyFor, orgWithKey, type OrgFixture } from './factories.js';
import { BACKENDS, createTestContext, type TestContext } from './harness.js';
import { startRelay, type TestRelay } from './smtp-relay.js';

// The whole way, with real parts: the unmodified `resend` SDK over a socket adds and verifies a
// domain (records published on a real DNS server), sends from it, and the message reaches a real
// SMTP relay with a DKIM signature that mailauth verifies through that same DNS server.

for (const backend of BACKENDS) {
  describe(`resend SDK: domain, send, deliver (${backend})`, () => {
    let dns: TestDnsServer;
    let relay: TestRelay;
    let ctx: TestContext;
    let worker: RunningWorker;
    let acme: OrgFixture;
    let resend: Resend;
    let baseUrl: string;

    beforeAll(async () => {
      dns = await startDns();
      relay = await startRelay();
      ctx = await createTestContext(backend, { POSTGATE_DNS_SERVERS: dns.address, SMTP_RELAY_URL: relay.url });
      acme = await orgWithKey(ctx.deps, 'acme');
      baseUrl = await ctx.app.listen({ port: 0, host: '127.0.0.1' });
      worker = startWorker(ctx.deps);
    });
    afterAll(async () => {
      delete process.env.RESEND_BASE_URL;
      await worker?.stop();
      await ctx?.close();
      await relay?.close();
      await dns?.close();
    });

    // The SDK reads RESEND_BASE_URL when a client is made; another file's suite may have set it.
    const client = (token: string): Resend => {
      process.env.RESEND_BASE_URL = baseUrl;
      return new Resend(token);
    };

    it('creates and verifies a domain, sends from it, and the relay gets a DKIM-signed message', async () => {
      resend = client(acme.token);
      const created = await resend.domains.create({ name: 'sdk.example.org' });
      expect(created.error).toBeNull();
      for (const record of created.data!.records.filter((r) => r.record !== 'SPF')) dns.setTxt(record.name, [record.value]);

      // Before verification: a live key may not send from it.
      const early = await resend.emails.send({ from: 'Acme <hi@sdk.example.org>', to: 'someone@example.net', subject: 'Too early', text: 'x' });
      expect(early.error).toMatchObject({ statusCode: 403, name: 'domain_not_verified' });

      const verified = await resend.domains.verify(created.data!.id);
      expect(verified.error).toBeNull();
      expect((await resend.domains.get(created.data!.id)).data?.status).toBe('verified');

      const welcome = {
        from: 'Acme <hi@sdk.example.org>',
        to: ['someone@example.net'],
        bcc: 'audit@example.net',
        replyTo: 'support@sdk.example.org',
        subject: 'Welcome',
        html: '<p>Welcome aboard</p>',
        text: 'Welcome aboard',
        headers: { 'X-Entity-Ref-ID': 'ref-1' },
        tags: [{ name: 'category', value: 'welcome' }],
        attachments: [{ filename: 'hello.txt', content: Buffer.from('hello file') }],
      };
      const sent = await resend.emails.send(welcome, { idempotencyKey: 'welcome-1' });
      expect(sent.error).toBeNull();
      const id = sent.data!.id;
      expect(id).toMatch(/^em_/);

      await eventually(async () => (await resend.emails.get(id)).data?.last_event === 'delivered', 10_000, 'delivery');
      const [message] = relay.messages.filter((m) => m.messageId === `<${id}@sdk.example.org>`);
      expect(message).toBeDefined();
      expect(message!.to.sort()).toEqual(['audit@example.net', 'someone@example.net']);
      const text = message!.raw.toString();
      expect(text).toMatch(/^X-Entity-Ref-ID: ref-1$/m);
      expect(text).toMatch(/filename=hello\.txt/);

      const resolver = new Resolver();
      resolver.setServers([dns.address]);
      const result = await dkimVerify(message!.raw, { resolver: (name, type) => (type === 'TXT' ? resolver.resolveTxt(name) : Promise.resolve([])) });
      expect(result.results[0]).toMatchObject({ signingDomain: 'sdk.example.org', status: { result: 'pass' } });

      const got = await resend.emails.get(id);
      expect(got.data).toMatchObject({ id, from: 'Acme <hi@sdk.example.org>', to: ['someone@example.net'], subject: 'Welcome', last_event: 'delivered' });
      const events = (got.data as unknown as { events: { type: string }[] }).events.map((e) => e.type);
      expect(events).toEqual(['queued', 'sent', 'delivered']);

      // The SDK's idempotency key: the same send again is the same email, and nothing more reaches the relay.
      const again = await resend.emails.send(welcome, { idempotencyKey: 'welcome-1' });
      expect(again.data?.id).toBe(id);

      const listed = await resend.emails.list();
      expect(listed.data?.data.map((e) => e.id)).toContain(id);
      const batch = await resend.batch.send([
        { from: 'hi@sdk.example.org', to: 'a@example.net', subject: 'one', text: '1' },
        { from: 'hi@sdk.example.org', to: 'b@example.net', subject: 'two', text: '2' },
      ]);
      expect(batch.error).toBeNull();
      expect(batch.data?.data).toHaveLength(2);
      await new Promise((r) => setTimeout(r, 200));
      expect(relay.duplicates()).toEqual([]);
    });

    it("accepts the SDK's topicId and a scheduledAt in words", async () => {
      const sent = await resend.emails.send({ from: 'hi@sdk.example.org', to: 'later@example.net', subject: 'Later', text: 'x', topicId: 'topic_1', scheduledAt: 'in 1 hour' });
      expect(sent.error).toBeNull();
      const got = await resend.emails.get(sent.data!.id);
      expect(got.data).toMatchObject({ last_event: 'scheduled', scheduled_at: new Date(ctx.clock.now().getTime() + 3_600_000).toISOString(), topic_id: 'topic_1' });
    });

    it('passes refusals through in the SDK shape: a key restricted to another domain, a sending-only key reading', async () => {
      const elsewhere = await domainFor(ctx.deps, acme.org, 'elsewhere.example.org');
      const restricted = await keyFor(ctx.deps, acme.org, { name: 'elsewhere', permission: 'sending_access', domain_ids: [elsewhere] });
      const denied = await client(restricted.token).emails.send({ from: 'hi@sdk.example.org', to: 'x@example.net', subject: 's', text: 't' });
      expect(denied.error).toMatchObject({ statusCode: 403, name: 'domain_not_allowed' });
      const reading = await client(restricted.token).emails.list();
      expect(reading.error).toMatchObject({ statusCode: 403, name: 'insufficient_scope' });
    });
  });
}
