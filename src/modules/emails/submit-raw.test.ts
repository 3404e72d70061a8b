import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailMessages } from '../../db/schema.js';
import { AppError } from '../../lib/errors.js';
import { operator } from '../api-keys/principal.js';
import { startWorker } from '../../worker/worker.js';
import { countRows, eventually, senderFor } from '../../../test/email-fixtures.js';
import { bearer, domainFor, orgWithKey, type OrgFixture } from '../../../test/factories.js';
import { BACKENDS, createTestContext, type TestContext } from '../../../test/harness.js';
import { startRelay, type TestRelay } from '../../../test/smtp-relay.js';
import type { EmailService } from './email-service.js';

// submitRawEmail: the entry point the SMTP adapter calls with the envelope and the DATA bytes.

const message = (headers: string[], body = 'Hello over SMTP.'): Buffer => Buffer.from(`${headers.join('\r\n')}\r\n\r\n${body}\r\n`);

for (const backend of BACKENDS) {
  describe(`submitRawEmail (${backend})`, () => {
    let ctx: TestContext;
    let relay: TestRelay;
    let acme: OrgFixture;
    let svc: EmailService;
    let domainA: string;

    beforeAll(async () => {
      relay = await startRelay();
      ctx = await createTestContext(backend, { SMTP_RELAY_URL: relay.url });
      acme = await orgWithKey(ctx.deps, 'acme');
      domainA = await domainFor(ctx.deps, acme.org, 'a.acme.test');
      await domainFor(ctx.deps, acme.org, 'b.acme.test');
      svc = ctx.deps.services.emails;
    });
    afterAll(async () => {
      await ctx?.close();
      await relay?.close();
    });

    const refusal = async (promise: Promise<unknown>): Promise<AppError> => {
      const error = await promise.then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      return error as AppError;
    };

    it('accepts the message as the same email object as HTTP, delivers it to the envelope recipients and strips Bcc', async () => {
      const raw = message([
        'From: "Acme Support" <support@a.acme.test>',
        'To: Customer <customer@example.net>',
        'Bcc: hidden@example.net',
        'Subject: =?UTF-8?Q?Caf=C3=A9?=',
        'Content-Type: text/plain; charset=utf-8',
      ]);
      const { id } = await svc.submitRaw(senderFor(acme.org), {
        mailFrom: 'bounces@a.acme.test',
        recipients: ['customer@example.net', 'hidden@example.net'],
        raw,
      });
      const email = await svc.get(operator(acme.org.id, acme.org.default_project_id), id);
      expect(email).toMatchObject({
        from: 'Acme Support <support@a.acme.test>',
        to: ['Customer <customer@example.net>'],
        bcc: ['hidden@example.net'],
        subject: 'Café',
        text: 'Hello over SMTP.\n',
        last_event: 'queued',
        message_id: `<${id}@a.acme.test>`,
      });
      const listed = await ctx.app.inject({ method: 'GET', url: '/emails', headers: bearer(acme.token) });
      expect(listed.json().data.map((e: { id: string }) => e.id)).toContain(id);

      const [stored] = await ctx.deps.database.db.select().from(emailMessages).where(eq(emailMessages.emailId, id));
      const text = stored!.raw!.toString();
      expect(text).not.toMatch(/^bcc:/im);
      expect(text).toMatch(/^Message-ID: <em_/m);
      expect(text).toMatch(/^Date: /m);
      expect(text.endsWith('\r\n\r\nHello over SMTP.\r\n')).toBe(true);

      const worker = startWorker(ctx.deps);
      await eventually(() => relay.messages.some((m) => m.messageId === `<${id}@a.acme.test>`), 10_000, 'relay');
      await worker.stop();
      const [relayed] = relay.messages.filter((m) => m.messageId === `<${id}@a.acme.test>`);
      expect(relayed!.from).toBe('bounces@a.acme.test');
      expect(relayed!.to.sort()).toEqual(['customer@example.net', 'hidden@example.net']);
      expect(relayed!.raw.toString()).toMatch(/^DKIM-Signature: .*d=a\.acme\.test/);
    });

    it("keeps the client's Message-ID and Date", async () => {
      const { id } = await svc.submitRaw(senderFor(acme.org), {
        mailFrom: 'x@a.acme.test',
        recipients: ['r@example.net'],
        raw: message(['From: x@a.acme.test', 'To: r@example.net', 'Subject: mine', 'Message-ID: <client-1@a.acme.test>', 'Date: Tue, 1 Jan 2030 00:00:00 +0000']),
      });
      const email = await svc.get(operator(acme.org.id, acme.org.default_project_id), id);
      expect(email.message_id).toBe('<client-1@a.acme.test>');
      const [stored] = await ctx.deps.database.db.select().from(emailMessages).where(eq(emailMessages.emailId, id));
      expect(stored!.raw!.toString().match(/^Message-ID:/gim)).toHaveLength(1);
      expect(stored!.raw!.toString().match(/^Date:/gim)).toHaveLength(1);
    });

    it('applies the domain rules to the envelope MAIL FROM and to the From header', async () => {
      const before = await countRows(ctx.deps, 'emails');
      const raw = (from: string) => message([`From: ${from}`, 'To: r@example.net', 'Subject: s']);
      let error = await refusal(svc.submitRaw(senderFor(acme.org), { mailFrom: 'x@unknown.example', recipients: ['r@example.net'], raw: raw('x@a.acme.test') }));
      expect(error.code).toBe('domain_not_verified');
      expect(error.message).toMatch(/^mail_from: /);
      error = await refusal(svc.submitRaw(senderFor(acme.org), { mailFrom: 'x@a.acme.test', recipients: ['r@example.net'], raw: raw('x@unknown.example') }));
      expect(error.code).toBe('domain_not_verified');
      expect(error.message).toMatch(/^From: /);
      const onlyA = senderFor(acme.org, { domainIds: [domainA] });
      error = await refusal(svc.submitRaw(onlyA, { mailFrom: 'x@a.acme.test', recipients: ['r@example.net'], raw: raw('x@b.acme.test') }));
      expect(error.code).toBe('domain_not_allowed');
      error = await refusal(svc.submitRaw(onlyA, { mailFrom: 'x@b.acme.test', recipients: ['r@example.net'], raw: raw('x@a.acme.test') }));
      expect(error.code).toBe('domain_not_allowed');
      // Test mode: any domain, only captured.
      const test = senderFor(acme.org, { mode: 'test' });
      await svc.submitRaw(test, { mailFrom: 'x@unknown.example', recipients: ['r@example.net'], raw: raw('x@unknown.example') });
      expect(await countRows(ctx.deps, 'emails')).toBe(before + 1);
    });

    it('refuses a message without a From, bad envelope addresses and oversized messages', async () => {
      const sender = senderFor(acme.org);
      const ok = message(['From: x@a.acme.test', 'Subject: s']);
      expect((await refusal(svc.submitRaw(sender, { mailFrom: 'x@a.acme.test', recipients: ['r@example.net'], raw: message(['Subject: no from']) }))).message).toMatch(/^From: /);
      expect((await refusal(svc.submitRaw(sender, { mailFrom: 'not an address', recipients: ['r@example.net'], raw: ok }))).message).toMatch(/^mail_from: /);
      expect((await refusal(svc.submitRaw(sender, { mailFrom: 'x@a.acme.test', recipients: [], raw: ok }))).message).toMatch(/^recipients: /);
      expect((await refusal(svc.submitRaw(sender, { mailFrom: 'x@a.acme.test', recipients: ['ok@example.net', 'bad\r\n@x'], raw: ok }))).message).toMatch(/^recipients\[1\]: /);
      const huge = Buffer.concat([ok, Buffer.alloc(10 * 1024 * 1024, 'a')]);
      expect((await refusal(svc.submitRaw(sender, { mailFrom: 'x@a.acme.test', recipients: ['r@example.net'], raw: huge }))).code).toBe('payload_too_large');
    });
  });
}
