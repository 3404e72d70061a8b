import { eq } from 'drizzle-orm';
import { Resend } from 'resend';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { webhookDeliveries } from '../src/db/schema-events.js';
import { eventually } from './email-fixtures.js';
import { domainFor, keyFor, orgWithKey, type OrgFixture } from './factories.js';
import { BACKENDS, type TestContext } from './harness.js';
import type { ReceivedWebhook, WebhookReceiver } from './webhook-receiver.js';
import { startWebhookScene, type WebhookScene } from './webhook-scene.js';

// Webhooks end to end with real parts: the unmodified `resend` SDK manages endpoints over a
// socket, an email goes to a real SMTP relay, and its events reach a real HTTP receiver on
// 127.0.0.1, signed so that the SDK's verify() and the standardwebhooks package both accept them.

for (const backend of BACKENDS) {
  describe(`webhooks (${backend})`, () => {
    let scene: WebhookScene;
    let ctx: TestContext;
    let receiver: WebhookReceiver;
    let acme: OrgFixture;
    let resend: Resend;

    beforeAll(async () => {
      scene = await startWebhookScene(backend);
      ({ ctx, receiver, acme, resend } = scene);
      await domainFor(ctx.deps, acme.org, 'hooks.example.org');
    });
    afterAll(async () => scene?.close());
    beforeEach(() => {
      receiver.received.length = 0;
      receiver.respond = () => ({ status: 200, body: 'ok' });
    });

    const headersOf = (request: ReceivedWebhook, prefix: 'webhook' | 'svix') => ({
      id: String(request.headers[`${prefix}-id`]),
      timestamp: String(request.headers[`${prefix}-timestamp`]),
      signature: String(request.headers[`${prefix}-signature`]),
    });

    it('creates, reads, lists, updates, rotates and removes endpoints through the SDK', async () => {
      const created = await resend.webhooks.create({ endpoint: receiver.url, events: ['email.sent', 'email.delivered'] });
      expect(created.error).toBeNull();
      expect(created.data).toMatchObject({ object: 'webhook', id: expect.stringMatching(/^wh_/), signing_secret: expect.stringMatching(/^whsec_/) });
      const id = created.data!.id;

      const got = await resend.webhooks.get(id);
      expect(got.data).toMatchObject({ id, endpoint: receiver.url, status: 'enabled', events: ['email.sent', 'email.delivered'], signing_secret: created.data!.signing_secret });
      const listed = await resend.webhooks.list();
      expect(listed.data?.data.map((w) => w.id)).toContain(id);

      const updated = await resend.webhooks.update(id, { events: ['email.bounced'], status: 'disabled' });
      expect(updated.data).toEqual({ object: 'webhook', id });
      expect((await resend.webhooks.get(id)).data).toMatchObject({ status: 'disabled', events: ['email.bounced'] });
      // The same values again change nothing: no write, no audit event.
      const updates = async (): Promise<number> =>
        ((await ctx.app.inject({ method: 'GET', url: `/audit-logs?action=webhook.updated&target_id=${id}`, headers: { authorization: `Bearer ${acme.token}` } })).json() as { data: unknown[] }).data.length;
      expect(await updates()).toBe(1);
      expect((await resend.webhooks.update(id, { events: ['email.bounced'], status: 'disabled' })).data).toEqual({ object: 'webhook', id });
      expect(await updates()).toBe(1);

      // A key that may only read endpoints does not get the secret (it could forge events with it).
      const reader = await keyFor(ctx.deps, acme.org, { name: 'reader', permission: 'custom', scopes: ['webhooks:read'] });
      const readOnly = await new Resend(reader.token).webhooks.get(id);
      expect(readOnly.data).toMatchObject({ id, signing_secret: null });

      const rotated = await resend.webhooks.rotateSigningSecret(id);
      expect(rotated.data?.signing_secret).toMatch(/^whsec_/);
      expect(rotated.data?.signing_secret).not.toBe(created.data!.signing_secret);
      expect((await resend.webhooks.get(id)).data?.signing_secret).toBe(rotated.data!.signing_secret);

      const removed = await resend.webhooks.remove(id);
      expect(removed.data).toEqual({ object: 'webhook', id, deleted: true });
      expect((await resend.webhooks.get(id)).error).toMatchObject({ statusCode: 404 });
    });

    it('refuses an endpoint that is not a URL, and event types it does not know', async () => {
      const bad = await resend.webhooks.create({ endpoint: 'not a url', events: ['email.sent'] });
      expect(bad.error).toMatchObject({ statusCode: 422, name: 'validation_error' });
      const unknown = await resend.webhooks.create({ endpoint: receiver.url, events: ['email.teleported' as 'email.sent'] });
      expect(unknown.error).toMatchObject({ statusCode: 422 });
    });

    it('POSTs email.sent and email.delivered, signed so that the SDK and standardwebhooks verify them', async () => {
      const created = await resend.webhooks.create({ endpoint: receiver.url, events: ['email.sent', 'email.delivered'] });
      const secret = created.data!.signing_secret;
      const started = Date.now();
      const sent = await resend.emails.send({ from: 'Acme <hi@hooks.example.org>', to: 'someone@example.net', subject: 'Hooked', text: 'hi', tags: [{ name: 'kind', value: 'test' }] });
      expect(sent.error).toBeNull();
      await eventually(() => receiver.types().includes('email.delivered'), 5_000, 'email.delivered at the receiver');
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(receiver.types()).toEqual(['email.sent', 'email.delivered']);

      for (const request of receiver.received) {
        const payload = resend.webhooks.verify({ payload: request.body, headers: headersOf(request, 'svix'), webhookSecret: secret }) as unknown as { type: string; created_at: string; data: Record<string, unknown> };
        expect(payload.data).toMatchObject({ email_id: sent.data!.id, from: 'Acme <hi@hooks.example.org>', to: ['someone@example.net'], subject: 'Hooked', tags: { kind: 'test' } });
        expect(new Webhook(secret).verify(request.body, request.headers as Record<string, string>)).toEqual(payload);
        // A tampered body fails, and so does another secret.
        expect(() => new Webhook(secret).verify(request.body.replace('Hooked', 'Hacked'), request.headers as Record<string, string>)).toThrow();
        expect(() => resend.webhooks.verify({ payload: request.body, headers: headersOf(request, 'webhook'), webhookSecret: `whsec_${Buffer.alloc(24, 1).toString('base64')}` })).toThrow();
      }
      await resend.webhooks.remove(created.data!.id);
    });

    it('retries a failing endpoint with the same webhook-id, lists the attempts, replays, and a 410 disables it', async () => {
      const created = await resend.webhooks.create({ endpoint: receiver.url, events: ['email.sent'] });
      const webhookId = created.data!.id;
      // 500 twice (Retry-After: 0, honoured, so the test need not wait the 5 s schedule), then 200.
      receiver.respond = (_request, index) => (index < 2 ? { status: 500, headers: { 'retry-after': '0' }, body: `broken ${index}` } : { status: 200, body: 'fine' });
      await resend.emails.send({ from: 'hi@hooks.example.org', to: 'a@example.net', subject: 'Retry me', text: 'x' });
      await eventually(() => receiver.received.length === 3, 10_000, 'three attempts');
      const ids = new Set(receiver.received.map((r) => r.headers['webhook-id']));
      expect(ids.size).toBe(1);

      const events = await resend.webhooks.events.list({ webhookId });
      expect(events.data?.data).toHaveLength(1);
      const eventId = events.data!.data[0]!.id;
      expect(eventId).toBe([...ids][0]);
      await eventually(async () => (await resend.webhooks.events.get({ webhookId, eventId })).data?.status === 'success', 5_000, 'success');
      const attempts = await resend.webhooks.events.attempts.list({ webhookId, eventId });
      // The test's clock stands still, so the three share a timestamp: compare them as a set.
      expect(attempts.data?.data.map((a) => `${a.http_status_code} ${a.response}`).sort()).toEqual(['200 fine', '500 broken 0', '500 broken 1']);
      const event = await resend.webhooks.events.get({ webhookId, eventId });
      expect(event.data).toMatchObject({ object: 'webhook_event', id: eventId, type: 'email.sent', payload: { type: 'email.sent' } });

      const replayed = await resend.webhooks.events.replay({ webhookId, eventId });
      expect(replayed.data).toEqual({ object: 'webhook_event', id: eventId });
      await eventually(() => receiver.received.length === 4, 5_000, 'the replay');
      expect(receiver.received[3]!.headers['webhook-id']).toBe(eventId);
      // While an attempt is under way a replay is refused, not accepted and dropped.
      // Leased for a minute ahead of the database's time (the test's clock stands still), so the
      // running worker does not take it as a lapsed lease meanwhile.
      const setStatus = (status: 'attempting' | 'success') =>
        ctx.deps.database.db.update(webhookDeliveries).set({ status, nextAttemptAt: new Date(Date.now() + 60_000) }).where(eq(webhookDeliveries.id, eventId));
      // The replay's own outcome written first (outcomes are gathered a moment), or it would land on ours.
      await eventually(async () => (await resend.webhooks.events.get({ webhookId, eventId })).data?.status === 'success', 5_000, 'the replay recorded');
      await setStatus('attempting');
      expect((await resend.webhooks.events.replay({ webhookId, eventId })).error).toMatchObject({ statusCode: 409, name: 'conflict' });
      await setStatus('success');

      receiver.respond = () => ({ status: 410, body: 'gone' });
      await resend.emails.send({ from: 'hi@hooks.example.org', to: 'b@example.net', subject: 'Gone', text: 'x' });
      await eventually(async () => (await resend.webhooks.get(webhookId)).data?.status === 'disabled', 5_000, 'disabled by 410');
      expect((await resend.webhooks.get(webhookId)).data).toMatchObject({ disabled_reason: 'gone' });
      // Disabled: a replay or a test event is refused rather than accepted and never sent.
      expect((await resend.webhooks.events.replay({ webhookId, eventId })).error).toMatchObject({ statusCode: 409, name: 'conflict' });
      // Disabled: the next event is not sent.
      const before = receiver.received.length;
      await resend.emails.send({ from: 'hi@hooks.example.org', to: 'c@example.net', subject: 'Quiet', text: 'x' });
      await new Promise((r) => setTimeout(r, 500));
      expect(receiver.received.length).toBe(before);
    });

    it('sends API key events (beyond Resend): a key created and deleted through the SDK', async () => {
      const created = await resend.webhooks.create({ endpoint: receiver.url, events: ['api_key.created', 'api_key.deleted'] as unknown as ['email.sent'] });
      expect(created.error).toBeNull();
      const key = await resend.apiKeys.create({ name: 'ci deploy' });
      await resend.apiKeys.remove(key.data!.id);
      await eventually(() => receiver.received.length === 2, 5_000, 'two key events');
      const payloads = receiver.received.map((r) => JSON.parse(r.body) as { type: string; data: { id: string; name: string; actor: { type: string } } });
      expect(payloads.map((p) => p.type)).toEqual(['api_key.created', 'api_key.deleted']);
      expect(payloads[0]!.data).toMatchObject({ id: key.data!.id, name: 'ci deploy', actor: { type: 'api_key' } });
      // No token, hash or secret in the event.
      expect(receiver.received[0]!.body).not.toContain(key.data!.token);
      await resend.webhooks.remove(created.data!.id);
    });

    it('keeps test-mode keys out, and keeps endpoint tokens out of the audit log', async () => {
      const test = await keyFor(ctx.deps, acme.org, { name: 'sandbox', mode: 'test' });
      const sandbox = new Resend(test.token);
      expect((await sandbox.webhooks.list()).error).toMatchObject({ statusCode: 403, name: 'insufficient_scope' });
      expect((await sandbox.webhooks.create({ endpoint: receiver.url, events: ['email.sent'] })).error).toMatchObject({ statusCode: 403 });

      const secretPath = `${receiver.url}/T0KEN-in-the-path?token=s3cr3t`;
      const created = await resend.webhooks.create({ endpoint: secretPath, events: ['email.sent'] });
      // Disabled by the system after a 410: its audit entry hides the token too.
      receiver.respond = () => ({ status: 410, body: 'gone' });
      await resend.emails.send({ from: 'hi@hooks.example.org', to: 'd@example.net', subject: 'Token', text: 'x' });
      await eventually(async () => (await resend.webhooks.get(created.data!.id)).data?.status === 'disabled', 5_000, 'disabled by 410');
      receiver.respond = () => ({ status: 200, body: 'ok' });
      const audit = await ctx.app.inject({ method: 'GET', url: '/audit-logs?action=webhook.*', headers: { authorization: `Bearer ${acme.token}` } });
      expect(audit.statusCode).toBe(200);
      expect(audit.body).toContain(created.data!.id);
      expect(audit.body).toContain('webhook.disabled');
      expect(audit.body).not.toContain('T0KEN');
      expect(audit.body).not.toContain('s3cr3t');
      await resend.webhooks.remove(created.data!.id);
    });

    it('keeps another organization out: its webhook id is 404', async () => {
      const created = await resend.webhooks.create({ endpoint: receiver.url, events: ['email.sent'] });
      const other = await orgWithKey(ctx.deps, 'other');
      const stranger = new Resend(other.token);
      expect((await stranger.webhooks.get(created.data!.id)).error).toMatchObject({ statusCode: 404 });
      expect((await stranger.webhooks.remove(created.data!.id)).error).toMatchObject({ statusCode: 404 });
      expect((await stranger.webhooks.events.list({ webhookId: created.data!.id })).error).toMatchObject({ statusCode: 404 });
      await resend.webhooks.remove(created.data!.id);
    });
  });
}
