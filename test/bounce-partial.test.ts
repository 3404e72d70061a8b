import { eq } from 'drizzle-orm';
import { Resend } from 'resend';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { emailEvents } from '../src/db/schema.js';
import { eventually } from './email-fixtures.js';
import { domainFor } from './factories.js';
import { BACKENDS } from './harness.js';
import type { RelayedMessage, TestRelay } from './smtp-relay.js';
import type { WebhookReceiver } from './webhook-receiver.js';
import { startWebhookScene, type WebhookScene } from './webhook-scene.js';

// Only a recipient's own refusal suppresses it: a relay (a real SMTP server) refusing the sender
// or the content bounces the email and suppresses nobody; a recipient refused for now (4xx) among
// others is retried alone, never suppressed; one refused for good (5xx) among others is suppressed
// with an email.bounced event while the others get the mail; a recipient already suppressed among
// others is left out with an email.suppressed event.

const DOMAIN = 'partial.example.org';

type Payload = { type: string; data: { email_id: string; bounce?: { message: string }; suppressed?: { message: string } } };

for (const backend of BACKENDS) {
  describe(`refusals of some recipients, of the sender, of the content (${backend})`, () => {
    let scene: WebhookScene;
    let relay: TestRelay;
    let receiver: WebhookReceiver;
    let resend: Resend;

    beforeAll(async () => {
      scene = await startWebhookScene(backend, { POSTGATE_DELIVERY_RETRY_BASE_MS: '50' });
      ({ relay, receiver, resend } = scene);
      await domainFor(scene.ctx.deps, scene.acme.org, DOMAIN);
      await resend.webhooks.create({ endpoint: receiver.url, events: ['email.bounced', 'email.suppressed'] });
    });
    afterEach(() => {
      relay.mailFrom = () => undefined;
      relay.rcpt = () => undefined;
      relay.respond = () => undefined;
    });
    afterAll(async () => scene?.close());

    const send = async (subject: string, to: string[]): Promise<string> => {
      const sent = await resend.emails.send({ from: `hi@${DOMAIN}`, to, subject, text: 'x' });
      expect(sent.error).toBeNull();
      return sent.data!.id;
    };
    const settlesAs = async (id: string, lastEvent: string): Promise<void> =>
      eventually(async () => (await resend.emails.get(id)).data?.last_event === lastEvent, 10_000, `the email ${lastEvent}`);
    const suppressed = async (address: string): Promise<boolean> => (await resend.suppressions.get(address)).error === null;
    const relayed = (subject: string): RelayedMessage[] => relay.messages.filter((m) => m.raw.toString('latin1').includes(`Subject: ${subject}\r\n`));
    const payloads = (type: string, id: string): Payload[] =>
      receiver.received.map((r) => JSON.parse(r.body) as Payload).filter((p) => p.type === type && p.data.email_id === id);

    const notTheRecipients: [string, string, (relay: TestRelay) => void][] = [
      ['its sender (MAIL FROM)', 'sender', (r) => (r.mailFrom = () => ({ code: 553, message: '5.7.1 Sender address rejected' }))],
      ['its content (DATA), even naming recipients, with several', 'content', (r) => (r.respond = () => ({ code: 550, message: '5.1.1 Some recipients were refused' }))],
      ['it at RCPT TO for reasons of its own', 'relay', (r) => (r.rcpt = () => ({ code: 554, message: '5.7.1 Relay access denied' }))],
    ];
    it.each(notTheRecipients)('bounces an email when the relay refuses %s, and suppresses none of its recipients', async (_what, tag, refuse) => {
      refuse(relay);
      const recipients = [`one.${tag}@example.net`, `two.${tag}@example.net`];
      const id = await send(`Refused: ${tag}`, recipients);
      await settlesAs(id, 'bounced');
      for (const address of recipients) expect(await suppressed(address)).toBe(false);
    });

    it('retries a recipient refused for now alone, and never suppresses it', async () => {
      let greylisting = true;
      relay.rcpt = (address) => (address === 'grey@example.net' && greylisting ? { code: 451, message: '4.7.1 Greylisted, try again later' } : undefined);
      const id = await send('Greylisted', ['eve@example.net', 'grey@example.net']);
      await settlesAs(id, 'delivery_delayed');
      expect(relayed('Greylisted').map((m) => m.to)).toEqual([['eve@example.net']]);
      expect(await suppressed('grey@example.net')).toBe(false);

      greylisting = false;
      await settlesAs(id, 'delivered');
      // The retry went to the one refused, not again to the one that had it.
      expect(relayed('Greylisted').map((m) => m.to)).toEqual([['eve@example.net'], ['grey@example.net']]);
      expect(await suppressed('grey@example.net')).toBe(false);
    });

    it('delivers to the others when one recipient is refused for good, suppressing it with an email.bounced event', async () => {
      relay.rcpt = (address) => (address === 'gone@example.net' ? { code: 550, message: '5.1.1 No such user' } : undefined);
      const id = await send('One gone', ['fay@example.net', 'gone@example.net']);
      await settlesAs(id, 'delivered');
      expect(relayed('One gone').map((m) => m.to)).toEqual([['fay@example.net']]);
      expect((await resend.suppressions.get('gone@example.net')).data).toMatchObject({ origin: 'bounce' });
      expect(await suppressed('fay@example.net')).toBe(false);
      await eventually(() => payloads('email.bounced', id).length > 0, 5_000, 'the email.bounced event');
      expect(payloads('email.bounced', id)[0]!.data.bounce!.message).toContain('gone@example.net');
    });

    it('leaves out a recipient on the suppression list among others, with an email.suppressed event', async () => {
      expect((await resend.suppressions.add({ email: 'blocked@example.net' })).error).toBeNull();
      const id = await send('One blocked', ['Blocked@Example.net', 'gus@example.net']);
      await settlesAs(id, 'delivered');
      expect(relayed('One blocked').map((m) => m.to)).toEqual([['gus@example.net']]);
      await eventually(() => payloads('email.suppressed', id).length > 0, 5_000, 'the email.suppressed event');
      expect(payloads('email.suppressed', id)[0]!.data.suppressed!.message.toLowerCase()).toContain('blocked@example.net');
    });

    it('says a left-out recipient once, however often the others are tried', async () => {
      expect((await resend.suppressions.add({ email: 'held@example.net' })).error).toBeNull();
      let refusals = 0;
      relay.respond = () => (refusals++ < 2 ? { code: 451, message: '4.3.0 Try again later' } : undefined);
      const id = await send('Tried thrice', ['held@example.net', 'ivy@example.net']);
      await settlesAs(id, 'delivered');
      expect(relayed('Tried thrice').map((m) => m.to)).toEqual([['ivy@example.net']]);
      const history = await scene.ctx.deps.database.db.select().from(emailEvents).where(eq(emailEvents.emailId, id)).orderBy(emailEvents.id);
      expect(history.map((e) => e.type)).toEqual(['queued', 'suppressed', 'delivery_delayed', 'delivery_delayed', 'sent', 'delivered']);
    });
  });
}
