import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtp, type RunningSmtp } from '../src/smtp/server.js';
import { smtpServices } from '../src/smtp/services.js';
import { loadTlsMaterial } from '../src/smtp/tls.js';
import { countRows, eventually } from './email-fixtures.js';
import { domainFor, keyFor, orgWithKey, type OrgFixture } from './factories.js';
import { createTestContext, type TestContext } from './harness.js';
import { freePort } from './processes.js';
import { RawSmtp } from './smtp-client.js';

// SMTP submission as an attacker would use it (issue 20, findings 3 to 5): a second author in
// From, a foreign Sender, NUL bytes, and idle connections filling the server.

describe('SMTP submission under abuse', () => {
  let ctx: TestContext;
  let smtp: RunningSmtp;
  let port: number;
  let keyB: string; // organization B's sending key
  let bOrg: OrgFixture;

  beforeAll(async () => {
    port = await freePort();
    ctx = await createTestContext('pglite', {
      SMTP_PORT: '0',
      SMTPS_PORT: String(port),
      POSTGATE_SMTP_CONNECTIONS_PER_CLIENT: '20',
      POSTGATE_SMTP_AUTH_TIMEOUT_SECONDS: '3',
    });
    const aOrg = await orgWithKey(ctx.deps, 'org-a');
    await domainFor(ctx.deps, aOrg.org, 'a.example.com');
    bOrg = await orgWithKey(ctx.deps, 'org-b');
    await domainFor(ctx.deps, bOrg.org, 'b.example.com');
    keyB = (await keyFor(ctx.deps, bOrg.org, { name: 'smtp', permission: 'sending_access' })).token;
    smtp = await startSmtp(ctx.deps, smtpServices(ctx.deps), { tls: await loadTlsMaterial(ctx.config) });
  });
  afterAll(async () => {
    await smtp?.close();
    await ctx?.close();
  });

  /** Submits `message` (CRLF lines) from x@b.example.com; the reply to the final dot. */
  const submit = async (message: string): Promise<string> => {
    const { client } = await RawSmtp.connect(port, true);
    try {
      await client.command('EHLO client.test');
      expect(await client.authPlain('postgate', keyB)).toMatch(/^235 /);
      expect(await client.command('MAIL FROM:<x@b.example.com>')).toMatch(/^250 /);
      expect(await client.command('RCPT TO:<victim@example.net>')).toMatch(/^250 /);
      expect(await client.command('DATA')).toMatch(/^354 /);
      return await client.command(`${message.replace(/\r?\n/g, '\r\n')}\r\n.`);
    } finally {
      client.close();
    }
  };

  it("refuses a second From header, or a From or Sender naming another organization's domain", async () => {
    const before = await countRows(ctx.deps, 'emails');
    const cases: [string, RegExp][] = [
      ['From: x@b.example.com\nFrom: Boss <boss@a.example.com>\nSubject: s\n\nbody', /^554 5\.6\.0 /],
      ['From: x@b.example.com, Boss <boss@a.example.com>\nSubject: s\n\nbody', /^550 5\.7\.1 /],
      ['From: Boss <boss@a.example.com>, x@b.example.com\nSubject: s\n\nbody', /^550 5\.7\.1 /],
      ['From: x@b.example.com\nSender: boss@a.example.com\nSubject: s\n\nbody', /^550 5\.7\.1 /],
      ['Subject: no author\n\nbody', /^554 5\.6\.0 /],
      ['From: Team: x@b.example.com, boss@a.example.com;\nSubject: s\n\nbody', /^550 5\.7\.1 /],
    ];
    for (const [message, reply] of cases) expect(await submit(message), message).toMatch(reply);
    expect(await countRows(ctx.deps, 'emails')).toBe(before);
    expect(await submit('From: X <x@b.example.com>, y@b.example.com\nSubject: ok\n\nfine')).toMatch(/^250 /);
  });

  it('refuses NUL in the message, also once a part is decoded, with a permanent 554 5.6.0', async () => {
    const before = await countRows(ctx.deps, 'emails');
    const encoded = Buffer.from('hello\u0000world').toString('base64');
    for (const message of [
      'From: x@b.example.com\nSubject: s\n\nhello\u0000world',
      `From: x@b.example.com\nSubject: s\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n${encoded}`,
      'From: x@b.example.com\nSubject: =?utf-8?B?aGkAdGhlcmU=?=\n\nbody',
    ]) {
      expect(await submit(message), JSON.stringify(message)).toMatch(/^554 5\.6\.0 /);
    }
    expect(await countRows(ctx.deps, 'emails')).toBe(before);
  });

  it('refuses the 21st connection from one address (421) while another address still connects', async () => {
    const held: RawSmtp[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const { client, greeting } = await RawSmtp.connect(port, true);
        held.push(client);
        expect(greeting, `connection ${i + 1}`).toMatch(/^220 /);
      }
      const { client: refused, greeting } = await RawSmtp.connect(port, true);
      held.push(refused);
      expect(greeting).toMatch(/^421 4\.7\.0 /);
      const { client: other, greeting: welcome } = await RawSmtp.connect(port, true, '127.0.0.2');
      held.push(other);
      expect(welcome).toMatch(/^220 /);
    } finally {
      for (const client of held) client.close();
    }
    // Closed connections give their slots back.
    await eventually(async () => {
      const { client, greeting } = await RawSmtp.connect(port, true);
      client.close();
      return greeting.startsWith('220');
    }, 5_000, 'a slot freed');
  });

  it('closes a connection that does not authenticate in time, but not one that did', async () => {
    const { client: idle } = await RawSmtp.connect(port, true);
    const { client: signedIn } = await RawSmtp.connect(port, true);
    try {
      await signedIn.command('EHLO client.test');
      expect(await signedIn.authPlain('postgate', keyB)).toMatch(/^235 /);
      await idle.command('EHLO client.test');
      await eventually(() => idle.closed, 10_000, 'the idle connection closed');
      expect(signedIn.closed).toBe(false);
      expect(await signedIn.command('NOOP')).toMatch(/^250 /);
    } finally {
      idle.close();
      signedIn.close();
    }
  });
});
