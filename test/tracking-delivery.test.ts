import PostalMime from 'postal-mime';
import { Resend } from 'resend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './email-fixtures.js';
import { domainFor, keyFor, type OrgFixture } from './factories.js';
import { BACKENDS, type TestContext } from './harness.js';
import type { TestRelay } from './smtp-relay.js';
import type { WebhookReceiver } from './webhook-receiver.js';
import { startWebhookScene, type WebhookScene } from './webhook-scene.js';

// Click tracking the whole way: the SDK turns it on for a domain, an email's HTML reaches a real
// relay with its links going through Postgate, following one redirects to the original URL and
// POSTs email.clicked to a real receiver; the same link altered answers 400 and redirects nowhere.

const ORIGINAL = 'https://shop.example.com/orders/42?ref=mail';

for (const backend of BACKENDS) {
  describe(`click tracking, delivered (${backend})`, () => {
    let scene: WebhookScene;
    let ctx: TestContext;
    let relay: TestRelay;
    let receiver: WebhookReceiver;
    let acme: OrgFixture;
    let resend: Resend;
    let base: string;

    beforeAll(async () => {
      scene = await startWebhookScene(backend);
      ({ ctx, relay, receiver, acme, resend, base } = scene);
    });
    afterAll(async () => scene?.close());

    it('rewrites the delivered links, redirects a click to the original URL with email.clicked, and refuses an altered link', async () => {
      const domainId = await domainFor(ctx.deps, acme.org, 'track.example.org');
      expect((await resend.domains.update({ id: domainId, clickTracking: true })).error).toBeNull();
      await resend.webhooks.create({ endpoint: receiver.url, events: ['email.clicked'] });

      const sent = await resend.emails.send({ from: 'hi@track.example.org', to: 'reader@example.net', subject: 'Your order', html: `<p><a href="${ORIGINAL}">Track it</a></p>` });
      expect(sent.error).toBeNull();
      await eventually(() => relay.messages.length > 0, 10_000, 'delivery');
      const html = (await PostalMime.parse(relay.messages[0]!.raw)).html ?? '';
      const link = /href="([^"]+)"/.exec(html)?.[1] ?? '';
      // Links go through this Postgate (POSTGATE_PUBLIC_URL, here the test's address), not to the shop.
      expect(link.startsWith(`${ctx.config.publicUrl}/t/c/`)).toBe(true);
      expect(html).not.toContain(ORIGINAL);
      const path = link.slice(ctx.config.publicUrl.length);

      const click = await fetch(`${base}${path}`, { redirect: 'manual', headers: { 'user-agent': 'Reader/1.0' } });
      expect(click.status).toBe(302);
      expect(click.headers.get('location')).toBe(ORIGINAL);
      await eventually(() => receiver.received.length === 1, 5_000, 'email.clicked');
      const event = JSON.parse(receiver.received[0]!.body) as { type: string; data: { email_id: string; click: { link: string; userAgent: string } } };
      expect(event).toMatchObject({ type: 'email.clicked', data: { email_id: sent.data!.id, click: { link: ORIGINAL, userAgent: 'Reader/1.0' } } });

      const last = path.at(-1) === 'A' ? 'B' : 'A';
      const altered = await fetch(`${base}${path.slice(0, -1)}${last}`, { redirect: 'manual' });
      expect(altered.status).toBe(400);
      expect(altered.headers.get('location')).toBeNull();
    });

    it('leaves test-mode mail untracked: a sandbox key cannot make signed redirects of its own', async () => {
      await domainFor(ctx.deps, acme.org, 'sandbox.example.org');
      const domain = (await resend.domains.list()).data!.data.find((d) => d.name === 'sandbox.example.org')!;
      expect((await resend.domains.update({ id: domain.id, clickTracking: true, openTracking: true })).error).toBeNull();
      const sandbox = await keyFor(ctx.deps, acme.org, { name: 'sandbox', mode: 'test' });
      const sent = await new Resend(sandbox.token).emails.send({ from: 'hi@sandbox.example.org', to: 'reader@example.net', subject: 'Sandboxed', html: `<p><a href="${ORIGINAL}">Track it</a></p>` });
      expect(sent.error).toBeNull();
      const raw = async () => fetch(`${base}/emails/${sent.data!.id}/raw`, { headers: { authorization: `Bearer ${sandbox.token}` } });
      await eventually(async () => (await raw()).status === 200, 10_000, 'the captured message');
      const html = (await PostalMime.parse(Buffer.from(await (await raw()).arrayBuffer()))).html ?? '';
      expect(html).toContain(ORIGINAL);
      expect(html).not.toContain('/t/c/');
      expect(html).not.toContain('/t/o/');
    });
  });
}
