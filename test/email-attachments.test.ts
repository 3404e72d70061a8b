import { randomBytes } from 'node:crypto';
import nodemailer from 'nodemailer';
import { Resend } from 'resend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/lib/ids.js';
import { createAttachmentLinks } from '../src/modules/emails/attachments-links.js';
import { attachmentIdOf } from '../src/modules/emails/attachments.js';
import { startSmtp, type RunningSmtp } from '../src/smtp/server.js';
import { smtpServices } from '../src/smtp/services.js';
import { loadTlsMaterial } from '../src/smtp/tls.js';
import { emailBody, senderFor } from './email-fixtures.js';
import { bearer, domainFor, keyFor, orgWithKey, type OrgFixture } from './factories.js';
import { BACKENDS, createTestContext, type TestContext } from './harness.js';
import { freePort } from './processes.js';

// emails.attachments.list / get with the unmodified `resend` SDK over a socket, for an email sent
// as JSON and one submitted over SMTP; each download_url, fetched from the public URL, serves the
// exact bytes, for an hour, and an altered or expired link serves nothing.

type AttachmentData = { id: string; filename?: string; size: number; content_type: string; content_disposition: string; content_id?: string; download_url: string; expires_at: string };

const HOUR = 3_600_000;
// A 1x1 PNG: binary bytes that must come back unchanged.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

for (const backend of BACKENDS) {
  describe(`emails.attachments (${backend})`, () => {
    let ctx: TestContext;
    let smtp: RunningSmtp;
    let acme: OrgFixture;
    let resend: Resend;

    beforeAll(async () => {
      const [httpPort, smtpPort] = [await freePort(), await freePort()];
      ctx = await createTestContext(backend, { POSTGATE_PUBLIC_URL: `http://127.0.0.1:${httpPort}`, SMTP_PORT: String(smtpPort), SMTPS_PORT: '0' });
      acme = await orgWithKey(ctx.deps, 'acme');
      await domainFor(ctx.deps, acme.org, 'acme.test');
      process.env.RESEND_BASE_URL = await ctx.app.listen({ port: httpPort, host: '127.0.0.1' });
      resend = new Resend(acme.token);
      smtp = await startSmtp(ctx.deps, smtpServices(ctx.deps), { tls: await loadTlsMaterial(ctx.config) });
    });
    afterAll(async () => {
      delete process.env.RESEND_BASE_URL;
      await smtp?.close();
      await ctx?.close();
    });

    const list = async (emailId: string, token = acme.token): Promise<AttachmentData[]> => {
      const listed = await new Resend(token).emails.attachments.list({ emailId });
      expect(listed.error).toBeNull();
      expect(listed.data).toMatchObject({ object: 'list', has_more: false });
      return listed.data!.data as AttachmentData[];
    };
    const download = (url: string) => fetch(url);

    it('lists and gets the attachments of a JSON email; each download_url serves the exact bytes', async () => {
      const report = randomBytes(3000);
      const sent = await resend.emails.send({
        from: 'hi@acme.test',
        to: 'to@example.net',
        subject: 'Files',
        html: '<img src="cid:logo">',
        attachments: [
          { filename: 'report.bin', content: report, contentType: 'application/octet-stream' },
          { filename: 'logo.png', content: PNG, contentId: 'logo' },
          { filename: 'notes.txt', content: Buffer.from('plain notes') },
        ],
      });
      expect(sent.error).toBeNull();
      const emailId = sent.data!.id;

      const attachments = await list(emailId);
      expect(attachments.map(({ download_url: _u, expires_at: _e, ...rest }) => rest)).toEqual([
        { id: attachmentIdOf(emailId, 0), filename: 'report.bin', size: 3000, content_type: 'application/octet-stream', content_disposition: 'attachment' },
        { id: attachmentIdOf(emailId, 1), filename: 'logo.png', size: PNG.length, content_type: 'image/png', content_disposition: 'inline', content_id: 'logo' },
        { id: attachmentIdOf(emailId, 2), filename: 'notes.txt', size: 11, content_type: 'text/plain', content_disposition: 'attachment' },
      ]);
      const expiresAt = Date.parse(attachments[0]!.expires_at);
      expect(expiresAt - ctx.clock.nowMs()).toBeGreaterThan(HOUR - 1_000);
      expect(expiresAt - ctx.clock.nowMs()).toBeLessThanOrEqual(HOUR + 1_000);

      const got = await resend.emails.attachments.get({ emailId, id: attachments[1]!.id });
      expect(got.error).toBeNull();
      expect(got.data).toMatchObject({ object: 'attachment', id: attachments[1]!.id, filename: 'logo.png', content_id: 'logo' });

      for (const [i, bytes] of [report, PNG, Buffer.from('plain notes')].entries()) {
        const url = attachments[i]!.download_url;
        expect(url.startsWith(`${ctx.config.publicUrl}/downloads/attachments/`)).toBe(true);
        const res = await download(url);
        expect(res.status).toBe(200);
        expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
        expect(res.headers.get('content-type')).toContain(attachments[i]!.content_type);
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${attachments[i]!.filename}"; filename*=UTF-8''${attachments[i]!.filename}`);
      }
    });

    it('lists the attachments of a message submitted over SMTP, with the exact bytes and a safe file name', async () => {
      const pdf = randomBytes(5000);
      const info = await nodemailer
        .createTransport({ host: '127.0.0.1', port: smtp.smtpPort, secure: false, requireTLS: true, auth: { user: 'postgate', pass: acme.token }, tls: { rejectUnauthorized: false } })
        .sendMail({
          from: 'App <app@acme.test>',
          to: 'to@example.com',
          subject: 'Over SMTP',
          text: 'See attached',
          attachments: [
            { filename: 'Résumé "final".pdf', content: pdf, contentType: 'application/pdf' },
            { filename: '../../etc/passwd', content: 'not a path' },
          ],
        });
      const emailId = /Queued as (em_\w+)/.exec(info.response)![1]!;

      const attachments = await list(emailId);
      expect(attachments.map((a) => [a.filename, a.size, a.content_type, a.content_disposition])).toEqual([
        ['Résumé _final_.pdf', 5000, 'application/pdf', 'attachment'],
        ['passwd', 10, 'application/octet-stream', 'attachment'],
      ]);
      const res = await download(attachments[0]!.download_url);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(pdf)).toBe(true);
      expect(res.headers.get('content-type')).toBe('application/pdf');
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="R_sum_ _final_.pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9%20_final_.pdf`);
    });

    it('an altered link, one moved to another attachment and an expired one serve nothing (400)', async () => {
      const { id: emailId } = await ctx.deps.services.emails.send(
        senderFor(acme.org),
        emailBody('hi@acme.test', { attachments: [0, 1].map((i) => ({ filename: `f${i}.txt`, content: Buffer.from(`file ${i}`).toString('base64') })) }),
      );
      const [first, second] = await list(emailId);
      const url = new URL(first!.download_url);
      const altered = (change: (u: URL) => void): string => {
        const copy = new URL(url);
        change(copy);
        return copy.href;
      };
      const signature = url.searchParams.get('signature')!;
      for (const tampered of [
        altered((u) => u.searchParams.set('signature', (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1))),
        altered((u) => u.searchParams.set('expires', String(Number(u.searchParams.get('expires')) + 3600))),
        altered((u) => u.searchParams.set('expires', `0${u.searchParams.get('expires')}`)),
        altered((u) => u.searchParams.delete('signature')),
        altered((u) => (u.pathname = new URL(second!.download_url).pathname)),
        altered((u) => (u.pathname = `/downloads/attachments/${attachmentIdOf(newId('email'), 0)}`)),
      ]) {
        const res = await download(tampered);
        expect(res.status, tampered).toBe(400);
        expect(await res.json()).toMatchObject({ name: 'bad_request', message: expect.stringMatching(/not valid/) });
      }
      expect((await download(url.href)).status).toBe(200);

      ctx.clock.advance(HOUR + 1_000);
      const expired = await download(url.href);
      expect(expired.status).toBe(400);
      expect(await expired.json()).toMatchObject({ name: 'bad_request', message: expect.stringMatching(/expired/) });
      // A fresh listing gives links that work again.
      const [fresh] = await list(emailId);
      expect((await download(fresh!.download_url)).status).toBe(200);
    });

    it('pages with limit, after and before, in message order', async () => {
      const { id: emailId } = await ctx.deps.services.emails.send(
        senderFor(acme.org),
        emailBody('hi@acme.test', { attachments: [0, 1, 2].map((i) => ({ filename: `p${i}.txt`, content: Buffer.from(`page ${i}`).toString('base64') })) }),
      );
      const page = async (query: string) => (await ctx.app.inject({ method: 'GET', url: `/emails/${emailId}/attachments?${query}`, headers: bearer(acme.token) })).json();
      const names = (body: { data: AttachmentData[] }) => body.data.map((a) => a.filename);
      const first = await page('limit=2');
      expect([names(first), first.has_more]).toEqual([['p0.txt', 'p1.txt'], true]);
      const next = await page(`limit=2&after=${first.data[1].id}`);
      expect([names(next), next.has_more]).toEqual([['p2.txt'], false]);
      const back = await page(`limit=1&before=${next.data[0].id}`);
      expect([names(back), back.has_more]).toEqual([['p1.txt'], true]);
      const foreign = await ctx.app.inject({ method: 'GET', url: `/emails/${emailId}/attachments?after=eatt_nope_1`, headers: bearer(acme.token) });
      expect(foreign.json()).toMatchObject({ statusCode: 422, name: 'validation_error', field: 'querystring.after' });
    });

    it('a test key reads its test emails; other modes, organizations and Postgate’s own mail are 404', async () => {
      const testKey = await keyFor(ctx.deps, acme.org, { name: 'test', mode: 'test' });
      const attached = { attachments: [{ filename: 't.txt', content: Buffer.from('test mode').toString('base64') }] };
      // Test keys may send from a domain the organization has not verified (mail is only captured).
      const { id: testEmail } = await ctx.deps.services.emails.send(senderFor(acme.org, { mode: 'test' }), emailBody('hi@unverified.example', attached));
      const [only] = await list(testEmail, testKey.token);
      expect(Buffer.from(await (await download(only!.download_url)).arrayBuffer()).toString()).toBe('test mode');

      const { id: system } = await ctx.deps.services.emails.send(senderFor(acme.org, { system: true }), emailBody('hi@acme.test', attached));
      const other = await orgWithKey(ctx.deps, 'other');
      for (const [token, emailId] of [[acme.token, testEmail], [other.token, testEmail], [acme.token, system], [acme.token, 'em_nope']] as const) {
        const client = new Resend(token);
        expect((await client.emails.attachments.list({ emailId })).error).toMatchObject({ statusCode: 404, name: 'not_found' });
        expect((await client.emails.attachments.get({ emailId, id: attachmentIdOf(emailId, 0) })).error).toMatchObject({ statusCode: 404, name: 'not_found' });
      }
      expect((await resend.emails.attachments.get({ emailId: testEmail, id: 'eatt_x_0' })).error).toMatchObject({ statusCode: 404 });
      // Even a correctly signed link never serves Postgate's own mail.
      const link = createAttachmentLinks({ box: ctx.deps.services.box, publicUrl: ctx.config.publicUrl }).sign(attachmentIdOf(system, 0), ctx.clock.now());
      expect((await download(link.url)).status).toBe(404);
    });
  });
}
