import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAddress } from '../src/lib/client-address.js';
import { operator } from '../src/modules/api-keys/principal.js';
import { startSmtp, type RunningSmtp } from '../src/smtp/server.js';
import { smtpServices } from '../src/smtp/services.js';
import { loadTlsMaterial } from '../src/smtp/tls.js';
import { eventually } from './email-fixtures.js';
import { bearer, domainFor, keyFor, orgWithKey, type OrgFixture } from './factories.js';
import { createTestContext, type TestContext } from './harness.js';
import { holdRequest } from './held-request.js';
import { freePort } from './processes.js';
import { RawSmtp } from './smtp-client.js';

// The failure guard throttles failures, never a valid key (CONTRACT.md sections 6 and 7): one
// service behind a shared address retrying a revoked key must not lock out the others there.
// HTTP and SMTP go through one authentication path, with clients keyed alike (IPv6 by /64).

describe('authentication failures (default threshold: 20 a minute per client)', () => {
  let ctx: TestContext;
  let smtp: RunningSmtp;
  let smtpsPort: number;
  let acme: OrgFixture;
  let revoked: string;
  let sender: string;
  let senderId: string;

  beforeAll(async () => {
    smtpsPort = await freePort();
    ctx = await createTestContext('pglite', { POSTGATE_AUTH_FAILURE_LIMIT: '20', SMTP_PORT: '0', SMTPS_PORT: String(smtpsPort) });
    acme = await orgWithKey(ctx.deps, 'acme');
    const doomed = await keyFor(ctx.deps, acme.org, { name: 'revoked' });
    await ctx.deps.services.apiKeys.delete(operator(acme.org.id, acme.org.default_project_id), doomed.id);
    revoked = doomed.token;
    const smtpKey = await keyFor(ctx.deps, acme.org, { name: 'smtp', permission: 'sending_access' });
    [sender, senderId] = [smtpKey.token, smtpKey.id];
    await domainFor(ctx.deps, acme.org, 'acme.test');
    smtp = await startSmtp(ctx.deps, smtpServices(ctx.deps), { tls: await loadTlsMaterial(ctx.config) });
  });
  afterAll(async () => {
    await smtp?.close();
    await ctx?.close();
  });

  const whoami = (token: string, remoteAddress: string) => ctx.app.inject({ method: 'GET', url: '/whoami', headers: bearer(token), remoteAddress });

  it('HTTP: 50 requests with a revoked key, then a valid key is served at once; the 51st failure is 429 with Retry-After', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 50; i++) statuses.push((await whoami(revoked, '127.0.0.1')).statusCode);
    expect(statuses.slice(0, 19).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(19).every((s) => s === 429)).toBe(true);
    expect((await whoami(acme.token, '127.0.0.1')).statusCode).toBe(200);
    const fiftyFirst = await whoami(revoked, '127.0.0.1');
    expect(fiftyFirst.statusCode).toBe(429);
    expect(fiftyFirst.json().name).toBe('too_many_auth_failures');
    expect(Number(fiftyFirst.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('SMTP: 20 failed AUTHs, then AUTH with a valid key succeeds and its message is accepted', async () => {
    // Another client than the HTTP test's (127.0.0.1 is blocked for the rest of the window).
    const from = '127.0.0.3';
    const replies: string[] = [];
    for (let i = 0; i < 20; i++) {
      const { client } = await RawSmtp.connect(smtpsPort, true, from);
      await client.command('EHLO client.test');
      replies.push(await client.authPlain('postgate', revoked));
      client.close();
    }
    expect(replies.slice(0, 19).every((r) => r.startsWith('535 5.7.8'))).toBe(true);
    expect(replies[19]).toMatch(/^421 4\.7\.0 /);
    const { client } = await RawSmtp.connect(smtpsPort, true, from);
    await client.command('EHLO client.test');
    expect(await client.authPlain('postgate', sender)).toMatch(/^235 /);
    expect(await client.authPlain('postgate', revoked)).toMatch(/^503 /); // already authenticated
    client.close();
    const { client: again } = await RawSmtp.connect(smtpsPort, true, from);
    await again.command('EHLO client.test');
    expect(await again.authPlain('postgate', revoked)).toMatch(/^421 4\.7\.0 /);
    again.close();
  });

  it("counts an SMTP submission as a use of its key: last_used_at and usage, like an HTTP request", async () => {
    const { client } = await RawSmtp.connect(smtpsPort, true, '127.0.0.4');
    await client.command('EHLO client.test');
    expect(await client.authPlain('postgate', sender)).toMatch(/^235 /);
    expect(await client.command('MAIL FROM:<app@acme.test>')).toMatch(/^250 /);
    expect(await client.command('RCPT TO:<someone@example.net>')).toMatch(/^250 /);
    expect(await client.command('DATA')).toMatch(/^354 /);
    expect(await client.command('From: app@acme.test\r\nSubject: counted\r\n\r\nhello\r\n.')).toMatch(/^250 /);
    client.close();
    await ctx.deps.usage.flush();
    const key = await ctx.app.inject({ method: 'GET', url: `/api-keys/${senderId}`, headers: bearer(acme.token) });
    expect(key.json().last_used_at).not.toBeNull();
    const usage = await ctx.app.inject({ method: 'GET', url: `/api-keys/${senderId}/usage?days=1`, headers: bearer(acme.token) });
    expect(usage.json().days.at(-1).routes).toContainEqual({ route: 'SMTP DATA', status: 250, count: 1 });
    expect(usage.json().recent_ips.map((r: { ip: string }) => r.ip)).toContain('127.0.0.4');
  });

  it('counts a request the client abandoned as a use of its key, with status 499', async () => {
    const key = await keyFor(ctx.deps, acme.org, { name: 'abandoned' });
    const base = new URL(await ctx.app.listen({ host: '127.0.0.1', port: 0 }));
    const held = await holdRequest(base, key.token);
    await new Promise((r) => setTimeout(r, 100));
    expect(ctx.deps.usage.pendingLastUsed(key.id)).toBeUndefined(); // counted when it ends, not before
    held.abort();
    await eventually(async () => ctx.deps.usage.pendingLastUsed(key.id) !== undefined, 5_000, 'the abandoned request to be counted');
    await ctx.deps.usage.flush();
    const usage = await ctx.app.inject({ method: 'GET', url: `/api-keys/${key.id}/usage?days=1`, headers: bearer(acme.token) });
    expect(usage.json().days.at(-1).routes).toEqual([{ route: 'POST /api-keys', status: 499, count: 1 }]);
  });

  it('counts IPv6 clients per /64 on the one path HTTP and SMTP share, IPv4 clients per address', async () => {
    const authenticate = (token: string, ip: string) =>
      ctx.deps.authenticator.authenticate({ credential: token, client: clientAddress(ip), need: 'emails:send' });
    for (let i = 1; i <= 20; i++) await authenticate(revoked, `2001:db8:0:7::${i.toString(16)}`);
    // Another address of the same /64 is the same client: blocked.
    expect(await authenticate(revoked, '2001:db8:0:7:ffff::1')).toMatchObject({ ok: false, code: 'too_many_auth_failures' });
    // The next /64 is another client.
    expect(await authenticate(revoked, '2001:db8:0:8::1')).toMatchObject({ ok: false, code: 'invalid_api_key' });
    // A valid key from the blocked /64 is served.
    expect(await authenticate(sender, '2001:db8:0:7::99')).toMatchObject({ ok: true });
    expect(await authenticate(revoked, '198.51.100.7')).toMatchObject({ ok: false, code: 'invalid_api_key' });
  });
});
