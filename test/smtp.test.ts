import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operator } from '../src/modules/api-keys/principal.js';
import { startSmtp, type RunningSmtp } from '../src/smtp/server.js';
import { smtpServices } from '../src/smtp/services.js';
import { loadTlsMaterial } from '../src/smtp/tls.js';
import { startWorker, type RunningWorker } from '../src/worker/worker.js';
import { eventually } from './email-fixtures.js';
import { bearer, domainFor, keyFor, orgWithKey, type OrgFixture } from './factories.js';
import { createTestContext, type TestContext } from './harness.js';
import { freePort } from './processes.js';
import { RawSmtp } from './smtp-client.js';
import { startRelay, type TestRelay } from './smtp-relay.js';

const run = promisify(execFile);
const plain = (token: string, user = 'postgate'): string => Buffer.from(`\0${user}\0${token}`).toString('base64');

describe('SMTP submission', () => {
  let ctx: TestContext;
  let relay: TestRelay;
  let smtp: RunningSmtp;
  let worker: RunningWorker;
  let acme: OrgFixture;
  let sender: string; // a live key with emails:send
  let smtpPort: number;
  let smtpsPort: number;

  beforeAll(async () => {
    relay = await startRelay();
    [smtpPort, smtpsPort] = [await freePort(), await freePort()];
    ctx = await createTestContext('pglite', {
      SMTP_RELAY_URL: relay.url,
      SMTP_PORT: String(smtpPort),
      SMTPS_PORT: String(smtpsPort),
      POSTGATE_AUTH_FAILURE_LIMIT: '50',
    });
    acme = await orgWithKey(ctx.deps, 'acme');
    await domainFor(ctx.deps, acme.org, 'acme.test');
    sender = (await keyFor(ctx.deps, acme.org, { name: 'smtp', permission: 'sending_access' })).token;
    smtp = await startSmtp(ctx.deps, smtpServices(ctx.deps), { tls: await loadTlsMaterial(ctx.config), maxMessageBytes: 200_000, maxRecipients: 5 });
    worker = startWorker(ctx.deps, { pollIntervalMs: 100 });
  });
  afterAll(async () => {
    await worker?.stop();
    await smtp?.close();
    await ctx?.close();
    await relay?.close();
  });

  const transport = (port: number, secure: boolean, token = sender) =>
    nodemailer.createTransport({
      host: '127.0.0.1',
      port,
      secure,
      requireTLS: !secure,
      auth: { user: 'postgate', pass: token },
      tls: { rejectUnauthorized: false, minVersion: 'TLSv1.2' },
    });

  for (const [label, secure] of [['STARTTLS on SMTP_PORT', false], ['implicit TLS on SMTPS_PORT', true]] as const) {
    it(`accepts a message with To, Cc and Bcc over ${label}; every recipient reaches the relay`, async () => {
      const subject = `hello ${label}`;
      const info = await transport(secure ? smtpsPort : smtpPort, secure).sendMail({
        from: 'App <app@acme.test>',
        to: 'to@example.com',
        cc: 'cc@example.com',
        bcc: 'hidden@example.com',
        subject,
        text: 'Hi',
      });
      expect(info.response).toMatch(/^250 .*Queued as em_/);
      const id = /Queued as (em_\w+)/.exec(info.response)![1]!;
      const listed = await ctx.app.inject({ method: 'GET', url: '/emails', headers: bearer(acme.token) });
      expect((listed.json() as { data: { id: string }[] }).data.map((e) => e.id)).toContain(id);
      await eventually(() => relay.messages.some((m) => m.raw.toString().includes(subject)), 15_000, 'relay received');
      const relayed = relay.messages.find((m) => m.raw.toString().includes(subject))!;
      expect(relayed.to.sort()).toEqual(['cc@example.com', 'hidden@example.com', 'to@example.com']);
      expect(relayed.raw.toString()).not.toMatch(/^bcc:/im);
    });
  }

  it('neither advertises nor accepts AUTH before STARTTLS, and refuses MAIL without AUTH', async () => {
    const { client, greeting } = await RawSmtp.connect(smtpPort);
    expect(greeting).toMatch(/^220 /);
    const ehlo = await client.command('EHLO client.test');
    expect(ehlo).toContain('STARTTLS');
    expect(ehlo).not.toMatch(/AUTH/);
    expect(await client.command(`AUTH PLAIN ${plain(sender)}`)).toMatch(/^538 /);
    expect(await client.command('MAIL FROM:<app@acme.test>')).toMatch(/^530 /);
    await client.startTls();
    const secureEhlo = await client.command('EHLO client.test');
    expect(secureEhlo).toMatch(/AUTH PLAIN LOGIN/);
    expect(secureEhlo).toMatch(/SIZE 200000/);
    expect(await client.command('MAIL FROM:<app@acme.test>')).toMatch(/^530 /);
    client.close();
  });

  it('discards commands pipelined behind STARTTLS in the same packet', async () => {
    const { client } = await RawSmtp.connect(smtpPort);
    await client.command('EHLO client.test');
    expect(await client.startTls(`AUTH PLAIN ${plain(sender)}\r\nMAIL FROM:<app@acme.test>\r\n`)).toMatch(/^220 /);
    // Had the injected commands run inside TLS, this session would be authenticated with a sender.
    expect(await client.command('EHLO client.test')).toMatch(/^250[- ]/);
    expect(await client.command('RCPT TO:<x@example.com>')).toMatch(/^530 /);
    client.close();
  });

  it('answers a wrong key and a wrong username with the same 535 5.7.8', async () => {
    const replies: string[] = [];
    // The key with its last character changed (to one it is not: a token may end in any character).
    const wrong = `${sender.slice(0, -1)}${sender.endsWith('x') ? 'y' : 'x'}`;
    for (const [user, token] of [['postgate', wrong], ['admin', sender], ['postgate', 'pgt_live_' + 'B'.repeat(38)]] as const) {
      const { client } = await RawSmtp.connect(smtpsPort, true);
      await client.command('EHLO client.test');
      replies.push(await client.command(`AUTH PLAIN ${plain(token, user)}`));
      client.close();
    }
    expect(replies[0]).toMatch(/^535 5\.7\.8 /);
    expect(new Set(replies).size).toBe(1);
  });

  it('answers malformed base64 with 501 and a second AUTH with 503', async () => {
    const { client } = await RawSmtp.connect(smtpsPort, true);
    await client.command('EHLO client.test');
    expect(await client.command('AUTH PLAIN %%%not-base64%%%')).toMatch(/^501 /);
    expect(await client.authPlain('postgate', sender)).toMatch(/^235 /);
    expect(await client.authPlain('postgate', sender)).toMatch(/^503 /);
    client.close();
  });

  it('refuses a key without emails:send, a sender outside the key domains, and a client outside allowed_ips', async () => {
    const reader = (await keyFor(ctx.deps, acme.org, { name: 'reader', permission: 'custom', scopes: ['emails:read'] })).token;
    await expect(transport(smtpsPort, true, reader).sendMail({ from: 'app@acme.test', to: 'x@example.com', text: 'x' })).rejects.toMatchObject({ responseCode: 550 });

    const other = await domainFor(ctx.deps, acme.org, 'other.test');
    const limited = (await keyFor(ctx.deps, acme.org, { name: 'limited', permission: 'sending_access', domain_ids: [other] })).token;
    const refused = await transport(smtpsPort, true, limited)
      .sendMail({ from: 'app@acme.test', to: 'x@example.com', text: 'x' })
      .catch((e: { responseCode: number; response: string }) => e);
    expect(refused).toMatchObject({ responseCode: 550 });
    expect((refused as { response: string }).response).toMatch(/^550 5\.7\.1 /);
    // The From header is checked too, not only the envelope.
    const forged = await transport(smtpsPort, true, limited)
      .sendMail({ envelope: { from: 'app@other.test', to: ['x@example.com'] }, from: 'ceo@acme.test', to: 'x@example.com', text: 'x' })
      .catch((e: { responseCode: number }) => e);
    expect(forged).toMatchObject({ responseCode: 550 });

    const remote = (await keyFor(ctx.deps, acme.org, { name: 'remote', permission: 'sending_access', allowed_ips: ['10.0.0.0/8'] })).token;
    await expect(transport(smtpsPort, true, remote).sendMail({ from: 'app@acme.test', to: 'x@example.com', text: 'x' })).rejects.toMatchObject({ responseCode: 550 });
  });

  it('refuses bare LF line endings, so a smuggled second message never exists', async () => {
    const before = relay.messages.length;
    const count = async () => ((await ctx.app.inject({ method: 'GET', url: '/emails?limit=100', headers: bearer(acme.token) })).json() as { data: unknown[] }).data.length;
    const emailsBefore = await count();
    const { client } = await RawSmtp.connect(smtpsPort, true);
    await client.command('EHLO client.test');
    expect(await client.authPlain('postgate', sender)).toMatch(/^235 /);
    expect(await client.command('MAIL FROM:<app@acme.test>')).toMatch(/^250 /);
    expect(await client.command('RCPT TO:<victim@example.com>')).toMatch(/^250 /);
    expect(await client.command('DATA')).toMatch(/^354 /);
    client.write(
      'From: app@acme.test\r\nTo: victim@example.com\r\nSubject: first\r\n\r\nhello\n.\nMAIL FROM:<ceo@acme.test>\nRCPT TO:<victim@example.com>\nDATA\nFrom: ceo@acme.test\nSubject: smuggled\n\nwire money\r\n.\r\n',
    );
    expect(await client.reply()).toMatch(/^554 /);
    client.close();
    await new Promise((r) => setTimeout(r, 500));
    expect(await count()).toBe(emailsBefore);
    expect(relay.messages.slice(before).some((m) => m.raw.toString().includes('smuggled'))).toBe(false);
  });

  it('enforces SIZE (552) and the recipient cap (452)', async () => {
    const { client } = await RawSmtp.connect(smtpsPort, true);
    await client.command('EHLO client.test');
    await client.authPlain('postgate', sender);
    expect(await client.command('MAIL FROM:<app@acme.test> SIZE=999999999')).toMatch(/^552 /);
    expect(await client.command('MAIL FROM:<app@acme.test>')).toMatch(/^250 /);
    for (let i = 0; i < 5; i++) expect(await client.command(`RCPT TO:<r${i}@example.com>`)).toMatch(/^250 /);
    expect(await client.command('RCPT TO:<r5@example.com>')).toMatch(/^452 4\.5\.3 /);
    expect(await client.command('DATA')).toMatch(/^354 /);
    client.write(`From: app@acme.test\r\nSubject: big\r\n\r\n${'x'.repeat(998)}\r\n`.repeat(1).concat(`${'y'.repeat(998)}\r\n`.repeat(250), '.\r\n'));
    expect(await client.reply()).toMatch(/^552 /);
    client.close();
  });

  it('refuses the next MAIL FROM once the key is revoked during the session', async () => {
    const doomed = await keyFor(ctx.deps, acme.org, { name: 'doomed', permission: 'sending_access' });
    const { client } = await RawSmtp.connect(smtpsPort, true);
    await client.command('EHLO client.test');
    expect(await client.authPlain('postgate', doomed.token)).toMatch(/^235 /);
    expect(await client.command('MAIL FROM:<app@acme.test>')).toMatch(/^250 /);
    expect(await client.command('RSET')).toMatch(/^250 /);
    const actor = operator(acme.org.id, acme.org.default_project_id);
    await ctx.deps.services.apiKeys.delete(actor, doomed.id);
    expect(await client.command('MAIL FROM:<app@acme.test>')).toMatch(/^535 5\.7\.8 /);
    client.close();
  });

  it('works with swaks, as the README shows', async () => {
    const { stdout } = await run('swaks', [
      '--server', `127.0.0.1:${smtpPort}`, '--tls',
      '--auth', 'PLAIN', '--auth-user', 'postgate', '--auth-password', sender,
      '--from', 'app@acme.test', '--to', 'swaks@example.com', '--header', 'Subject: from swaks', '--body', 'sent with swaks',
    ]);
    expect(stdout).toMatch(/<~ {2}250 .*Queued as em_/);
    await eventually(() => relay.messages.some((m) => m.to.includes('swaks@example.com')), 15_000, 'swaks message relayed');
  });

  // Last: it leaves 127.0.0.1 blocked for failures for the rest of the window.
  it('throttles repeated AUTH failures from one address (421), and still lets a valid key in', async () => {
    const replies: string[] = [];
    for (let attempt = 0; attempt < 60 && !/^4(21|54) /.test(replies.at(-1) ?? ''); attempt++) {
      const { client, greeting } = await RawSmtp.connect(smtpsPort, true);
      expect(greeting).toMatch(/^220 /);
      await client.command('EHLO client.test');
      replies.push(await client.authPlain('postgate', `pgt_live_${'C'.repeat(37)}${attempt % 10}`));
      client.close();
    }
    expect(replies.at(-1)).toMatch(/^421 4\.7\.0 /);
    expect(replies.filter((r) => r.startsWith('535')).length).toBeLessThanOrEqual(50);
    const { client } = await RawSmtp.connect(smtpsPort, true);
    await client.command('EHLO client.test');
    expect(await client.authPlain('postgate', sender)).toMatch(/^235 /);
    client.close();
  });
});
