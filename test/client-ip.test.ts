import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, keyFor, orgWithKey, type OrgFixture } from './factories.js';
import { createTestContext, type TestContext } from './harness.js';

const AMBIGUOUS = ['010.0.0.1', '127.1', '0x7f.1', '2130706433', '10.0.0.0/33', '10.0.0.0/-1', '::/129', 'fe80::1%eth0', 'localhost', 'example.com', '1.2.3.4/', '::ffff:010.0.0.1', ''];

describe('client IP and allow-lists', () => {
  let direct: TestContext;
  let proxied: TestContext;
  let a: OrgFixture;
  let b: OrgFixture;

  beforeAll(async () => {
    direct = await createTestContext('pglite');
    proxied = await createTestContext('pglite', { TRUST_PROXY: '127.0.0.1,10.9.0.0/16' });
    a = await orgWithKey(direct.deps, 'direct');
    b = await orgWithKey(proxied.deps, 'proxied');
  });
  afterAll(async () => {
    await direct?.close();
    await proxied?.close();
  });

  const whoami = (ctx: TestContext, token: string, remoteAddress: string, xff?: string) =>
    ctx.app.inject({ method: 'GET', url: '/whoami', remoteAddress, headers: { ...bearer(token), ...(xff ? { 'x-forwarded-for': xff } : {}) } });

  it('matches IPv4 and IPv6 CIDRs, and IPv4-mapped IPv6 clients against IPv4 entries', async () => {
    const key = await keyFor(direct.deps, a.org, { name: 'cidrs', allowed_ips: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7'] });
    const cases: [string, number][] = [
      ['10.1.2.3', 200],
      ['11.0.0.1', 403],
      ['::ffff:10.4.5.6', 200],
      ['0:0:0:0:0:ffff:a04:506', 200],
      ['::ffff:11.4.5.6', 403],
      ['2001:db8:1::5', 200],
      ['2001:db9::5', 403],
      ['192.0.2.7', 200],
      ['192.0.2.8', 403],
    ];
    for (const [ip, status] of cases) {
      const res = await whoami(direct, key.token, ip);
      expect(res.statusCode, ip).toBe(status);
      if (status === 403) expect(res.json().name).toBe('ip_not_allowed');
    }
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    const key = await keyFor(direct.deps, a.org, { name: 'xff', allowed_ips: ['10.0.0.0/8'] });
    expect((await whoami(direct, key.token, '203.0.113.5', '10.1.1.1')).statusCode).toBe(403);
    expect((await whoami(direct, key.token, '127.0.0.1', '10.1.1.1')).statusCode).toBe(403);
  });

  it('believes a trusted proxy, and takes the right-most untrusted hop', async () => {
    const key = await keyFor(proxied.deps, b.org, { name: 'proxied', allowed_ips: ['10.1.0.0/16'] });
    expect((await whoami(proxied, key.token, '127.0.0.1', '10.1.1.1')).statusCode).toBe(200);
    // A client-forged entry on the left does not count: the proxy appended the real peer.
    expect((await whoami(proxied, key.token, '127.0.0.1', '10.1.1.1, 203.0.113.9')).statusCode).toBe(403);
    // Chains of trusted proxies are walked back to the first untrusted address.
    expect((await whoami(proxied, key.token, '127.0.0.1', '203.0.113.9, 10.1.1.1, 10.9.0.4')).statusCode).toBe(200);
    // An untrusted peer's header is ignored even when it names an allowed address.
    expect((await whoami(proxied, key.token, '198.51.100.1', '10.1.1.1')).statusCode).toBe(403);
  });

  it("takes each request's client from its own X-Forwarded-For on a proxy's keep-alive connection", async () => {
    const key = await keyFor(proxied.deps, b.org, { name: 'pooled', allowed_ips: ['10.1.0.0/16'] });
    const base = await proxied.app.listen({ host: '127.0.0.1', port: 0 });
    // One connection from the trusted proxy (127.0.0.1) carries several clients' requests.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = (xff: string): Promise<{ status: number; reused: boolean }> =>
      new Promise((resolve, reject) => {
        const req = http.get(`${base}/whoami`, { agent, headers: { ...bearer(key.token), 'x-forwarded-for': xff } }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
        });
        req.on('error', reject);
      });
    try {
      expect(await get('10.1.1.1')).toEqual({ status: 200, reused: false });
      expect(await get('203.0.113.9')).toEqual({ status: 403, reused: true });
      expect(await get('10.1.2.2')).toEqual({ status: 200, reused: true });
    } finally {
      agent.destroy();
    }
  });

  it('refuses every ambiguous allow-list entry with 422 naming the entry', async () => {
    for (const entry of AMBIGUOUS) {
      const res = await direct.app.inject({
        method: 'POST',
        url: '/api-keys',
        headers: { ...bearer(a.token), 'content-type': 'application/json' },
        payload: JSON.stringify({ name: 'bad-ip', allowed_ips: ['10.0.0.1', entry] }),
      });
      expect(res.statusCode, JSON.stringify(entry)).toBe(422);
      expect(res.json().message).toMatch(/^allowed_ips\[1\]/);
    }
  });
});
