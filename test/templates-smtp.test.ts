import nodemailer, { type SendMailOptions } from 'nodemailer';
import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operator } from '../src/modules/api-keys/principal.js';
import { startSmtp, type RunningSmtp } from '../src/smtp/server.js';
import { smtpServices } from '../src/smtp/services.js';
import { loadTlsMaterial } from '../src/smtp/tls.js';
import { startWorker, type RunningWorker } from '../src/worker/worker.js';
import { eventually } from './email-fixtures.js';
import { bearer, domainFor, keyFor, orgWithKey, type OrgFixture } from './factories.js';
import { BACKENDS, createTestContext, type TestContext } from './harness.js';
import { freePort } from './processes.js';
import { startRelay, type TestRelay } from './smtp-relay.js';

// SMTP submission naming a template (X-Postgate-Template, X-Postgate-Variables): the message only
// addresses the email; the template's published version is its content, rendered as for POST
// /emails, and neither header reaches the relay.

for (const backend of BACKENDS) {
  describe(`SMTP submission with a template (${backend})`, () => {
    let ctx: TestContext;
    let relay: TestRelay;
    let smtp: RunningSmtp;
    let worker: RunningWorker;
    let acme: OrgFixture;
    let token: string;
    let smtpPort: number;
    let templateId: string;

    beforeAll(async () => {
      relay = await startRelay();
      smtpPort = await freePort();
      ctx = await createTestContext(backend, { SMTP_RELAY_URL: relay.url, SMTP_PORT: String(smtpPort), SMTPS_PORT: '0' });
      acme = await orgWithKey(ctx.deps, 'acme');
      await domainFor(ctx.deps, acme.org, 'acme.test');
      token = (await keyFor(ctx.deps, acme.org, { name: 'smtp', permission: 'sending_access' })).token;
      const actor = operator(acme.org.id, acme.org.default_project_id);
      const created = await ctx.deps.services.templates.create(actor, {
        name: 'receipt',
        alias: 'receipt',
        from: 'Shop <shop@acme.test>',
        subject: 'Receipt for {{{NAME}}}',
        html: '<p>Thanks {{{NAME}}}: {{{TOTAL}}}</p>',
        text: 'Thanks {{{NAME}}}: {{{TOTAL}}}',
        variables: [
          { key: 'NAME', type: 'string' },
          { key: 'TOTAL', type: 'number', fallback_value: 0 },
        ],
      });
      templateId = created.id;
      await ctx.deps.services.templates.publish(actor, templateId);
      smtp = await startSmtp(ctx.deps, smtpServices(ctx.deps), { tls: await loadTlsMaterial(ctx.config) });
      worker = startWorker(ctx.deps, { pollIntervalMs: 100 });
    });
    afterAll(async () => {
      await worker?.stop();
      await smtp?.close();
      await ctx?.close();
      await relay?.close();
    });

    const transport = () =>
      nodemailer.createTransport({
        host: '127.0.0.1',
        port: smtpPort,
        secure: false,
        requireTLS: true,
        auth: { user: 'postgate', pass: token },
        tls: { rejectUnauthorized: false, minVersion: 'TLSv1.2' },
      });

    /** The reply to a refused submission. */
    const refusal = async (mail: SendMailOptions): Promise<string> => {
      try {
        await transport().sendMail(mail);
      } catch (error) {
        return `${(error as { responseCode?: number }).responseCode} ${(error as { response?: string }).response ?? ''}`;
      }
      throw new Error('accepted');
    };

    it('sends the rendered template to the envelope recipients; the body and the two headers are not delivered', async () => {
      const info = await transport().sendMail({
        from: 'App <app@acme.test>',
        to: 'to@example.com',
        bcc: 'hidden@example.com',
        text: 'this body is ignored',
        headers: { 'X-Postgate-Template': 'receipt', 'X-Postgate-Variables': JSON.stringify({ NAME: '<Zoe>', TOTAL: 12.5 }) },
      });
      const id = /Queued as (em_\w+)/.exec(info.response)![1]!;
      const messageId = `<${id}@acme.test>`;
      await eventually(() => relay.messages.some((m) => m.messageId === messageId), 15_000, 'relay received');
      const relayed = relay.messages.find((m) => m.messageId === messageId)!;
      expect(relayed.to.sort()).toEqual(['hidden@example.com', 'to@example.com']);
      const raw = relayed.raw.toString();
      expect(raw).not.toMatch(/^x-postgate-/im);
      expect(raw).not.toMatch(/^bcc:/im);
      const message = await PostalMime.parse(relayed.raw);
      expect(message.subject).toBe('Receipt for <Zoe>');
      expect(message.from).toMatchObject({ name: 'App', address: 'app@acme.test' });
      expect(message.html).toContain('<p>Thanks &lt;Zoe&gt;: 12.5</p>');
      expect(message.text?.trim()).toBe('Thanks <Zoe>: 12.5');
      expect(message.text).not.toContain('ignored');

      const email = (await ctx.app.inject({ method: 'GET', url: `/emails/${id}`, headers: bearer(acme.token) })).json();
      expect(email).toMatchObject({ template_id: templateId, template_variables: { NAME: '<Zoe>', TOTAL: 12.5 }, bcc: ['hidden@example.com'] });
    });

    it("uses the template's from when the message has no From header, and its subject when the Subject is blank", async () => {
      const raw = ['To: someone@example.com', `X-Postgate-Template: ${templateId}`, 'X-Postgate-Variables: {"NAME": "Ann"}', 'Subject: ', '', 'ignored'].join('\r\n');
      const info = await transport().sendMail({ envelope: { from: 'bounces@acme.test', to: ['someone@example.com'] }, raw });
      const id = /Queued as (em_\w+)/.exec(info.response)![1]!;
      const email = (await ctx.app.inject({ method: 'GET', url: `/emails/${id}`, headers: bearer(acme.token) })).json();
      expect(email).toMatchObject({ from: 'Shop <shop@acme.test>', subject: 'Receipt for Ann', text: 'Thanks Ann: 0' });
    });

    it('refuses with the catalogue\'s replies: a missing variable, bad JSON, an unknown template, a From outside the rules', async () => {
      const mail = (headers: Record<string, string>, from = 'app@acme.test'): SendMailOptions => ({ from, to: 'x@example.com', subject: 's', text: 't', headers });
      expect(await refusal(mail({ 'X-Postgate-Template': 'receipt' }))).toMatch(/^501 501 5\.5\.4 X-Postgate-Variables\.NAME: is missing/);
      expect(await refusal(mail({ 'X-Postgate-Template': 'receipt', 'X-Postgate-Variables': '{NAME: Ann}' }))).toMatch(/^501 .*X-Postgate-Variables: is not JSON/);
      expect(await refusal(mail({ 'X-Postgate-Template': 'receipt', 'X-Postgate-Variables': '["Ann"]' }))).toMatch(/X-Postgate-Variables: must be a JSON object/);
      expect(await refusal(mail({ 'X-Postgate-Template': 'receipt', 'X-Postgate-Variables': '{"NAME": "A", "CITY": "Rome"}' }))).toMatch(/X-Postgate-Variables\.CITY: is not a variable/);
      expect(await refusal(mail({ 'X-Postgate-Variables': '{"NAME": "Ann"}' }))).toMatch(/^501 .*X-Postgate-Variables: is given without X-Postgate-Template/);
      expect(await refusal(mail({ 'X-Postgate-Template': 'no-such-template' }))).toMatch(/^550 550 5\.1\.1 X-Postgate-Template: Template not found/);
      // The envelope sender is allowed; the From header is checked too.
      const forged = { ...mail({ 'X-Postgate-Template': 'receipt', 'X-Postgate-Variables': '{"NAME": "A"}' }, 'someone@elsewhere.example'), envelope: { from: 'app@acme.test', to: ['x@example.com'] } };
      const outside = await refusal(forged);
      expect(outside).toMatch(/^550 550 5\.7\.1 from: elsewhere\.example is not a verified domain/);
    });
  });
}
