import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Resend } from 'resend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start as startDns, type TestDnsServer } from './dns-server.js';
import { eventually } from './email-fixtures.js';
import { domainFor } from './factories.js';
import { BACKENDS } from './harness.js';
import { startWebhookScene, type WebhookScene } from './webhook-scene.js';

// SSRF through the API, with the default network policy (no allow settings): endpoints naming a
// loopback address are refused when created, and one whose name resolves to 127.0.0.1 (through a
// real DNS server: rebinding) is refused when its delivery is attempted, so no connection ever
// reaches the listener. Every target here is loopback: a broken guard never dials elsewhere.

for (const backend of BACKENDS) {
  describe(`webhook endpoints and SSRF (${backend})`, () => {
    let scene: WebhookScene;
    let dns: TestDnsServer;
    let listener: Server;
    let connections = 0;
    let port = 0;
    let resend: Resend;

    beforeAll(async () => {
      dns = await startDns();
      listener = createServer((_req, res) => res.end('reached'));
      listener.on('connection', () => connections++);
      await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
      port = (listener.address() as AddressInfo).port;
      // The default network policy: no plain http, no private address allowed.
      scene = await startWebhookScene(backend, { POSTGATE_DNS_SERVERS: dns.address, POSTGATE_WEBHOOK_ALLOW_HTTP: 'false', POSTGATE_WEBHOOK_ALLOW_CIDRS: '' });
      resend = scene.resend;
      await domainFor(scene.ctx.deps, scene.acme.org, 'ssrf.example.org');
    });
    afterAll(async () => {
      await scene?.close();
      await new Promise<void>((resolve) => listener?.close(() => resolve()));
      await dns?.close();
    });

    it('refuses loopback literals, plain http and credentials in the URL at create', async () => {
      for (const endpoint of [
        `https://127.0.0.1:${port}/`,
        `https://[::1]:${port}/`,
        `https://[::ffff:127.0.0.1]:${port}/`,
        `http://hooks.example.com/`,
        `https://user:secret@hooks.example.com/`,
      ]) {
        const created = await resend.webhooks.create({ endpoint, events: ['email.sent'] });
        expect(created.error, endpoint).toMatchObject({ statusCode: 422, name: 'validation_error' });
      }
      expect((await resend.webhooks.list()).data?.data).toEqual([]);
    });

    it('refuses, at connect time, a name that resolves to 127.0.0.1: no connection reaches it', async () => {
      dns.setAddresses('rebind.ssrf.test', ['127.0.0.1']);
      const created = await resend.webhooks.create({ endpoint: `https://rebind.ssrf.test:${port}/hooks`, events: ['email.sent'] });
      expect(created.error).toBeNull();
      const webhookId = created.data!.id;
      await resend.emails.send({ from: 'hi@ssrf.example.org', to: 'a@example.net', subject: 'x', text: 'x' });
      let eventId = '';
      await eventually(async () => {
        eventId = (await resend.webhooks.events.list({ webhookId })).data?.data[0]?.id ?? '';
        return eventId !== '' && ((await resend.webhooks.events.attempts.list({ webhookId, eventId })).data?.data.length ?? 0) > 0;
      }, 5_000, 'the first attempt');
      const [attempt] = (await resend.webhooks.events.attempts.list({ webhookId, eventId })).data!.data;
      expect(attempt).toMatchObject({ http_status_code: 0, response: expect.stringContaining('address_not_allowed') });
      // The operator's DNS answer is not shown to the user.
      expect(attempt!.response).not.toContain('127.0.0.1');
      expect(connections).toBe(0);
    });
  });
}
