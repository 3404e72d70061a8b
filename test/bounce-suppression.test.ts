import { Resend } from 'resend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './email-fixtures.js';
import { domainFor } from './factories.js';
import { BACKENDS } from './harness.js';
import type { TestRelay } from './smtp-relay.js';
import type { WebhookReceiver } from './webhook-receiver.js';
import { startWebhookScene, type WebhookScene } from './webhook-scene.js';

// A hard bounce closes the address: the relay (a real SMTP server) answers 550 at RCPT, the email
// ends `bounced` and its address is on the suppression list; the next email to it ends
// `suppressed` without reaching the relay, with an email.suppressed webhook event; once the
// address is removed from the list through the SDK, mail reaches it again.

const BOUNCER = 'gone@example.net';

for (const backend of BACKENDS) {
  describe(`bounces and suppressions (${backend})`, () => {
    let scene: WebhookScene;
    let relay: TestRelay;
    let receiver: WebhookReceiver;
    let resend: Resend;

    beforeAll(async () => {
      scene = await startWebhookScene(backend);
      ({ relay, receiver, resend } = scene);
      relay.rcpt = (address) => (address === BOUNCER ? { code: 550, message: '5.1.1 No such user' } : undefined);
      await domainFor(scene.ctx.deps, scene.acme.org, 'bounce.example.org');
    });
    afterAll(async () => scene?.close());

    const send = async (subject: string): Promise<string> => {
      const sent = await resend.emails.send({ from: 'hi@bounce.example.org', to: BOUNCER, subject, text: 'x' });
      expect(sent.error).toBeNull();
      return sent.data!.id;
    };
    const lastEvent = async (id: string): Promise<string | undefined> => (await resend.emails.get(id)).data?.last_event;

    it('suppresses a hard-bounced address, sends nothing to it, and lets it through once removed', async () => {
      await resend.webhooks.create({ endpoint: receiver.url, events: ['email.bounced', 'email.suppressed', 'suppression.added', 'suppression.removed'] });

      const first = await send('First');
      await eventually(async () => (await lastEvent(first)) === 'bounced', 10_000, 'the bounce');
      const suppression = await resend.suppressions.get(BOUNCER);
      expect(suppression.error).toBeNull();
      expect(suppression.data).toMatchObject({ email: BOUNCER, origin: 'bounce' });

      const rcptsBefore = relay.rcptSeen.length;
      const second = await send('Second');
      await eventually(async () => (await lastEvent(second)) === 'suppressed', 10_000, 'suppressed');
      expect(relay.rcptSeen.length).toBe(rcptsBefore);

      await eventually(() => receiver.types().includes('email.suppressed'), 5_000, 'the email.suppressed event');
      expect(receiver.types()).toEqual(expect.arrayContaining(['email.bounced', 'suppression.added', 'email.suppressed']));
      const bounced = receiver.received.map((r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> }).find((p) => p.type === 'email.bounced');
      expect(bounced?.data).toMatchObject({ email_id: first, bounce: { type: 'Permanent', message: expect.stringContaining('No such user') } });

      expect((await resend.suppressions.remove(BOUNCER)).error).toBeNull();
      await eventually(() => receiver.types().includes('suppression.removed'), 5_000, 'the suppression.removed event');
      relay.rcpt = () => undefined;
      const third = await send('Third');
      await eventually(async () => (await lastEvent(third)) === 'delivered', 10_000, 'delivery after removal');
      expect(relay.messages.some((m) => m.to.includes(BOUNCER))).toBe(true);
    });
  });
}
