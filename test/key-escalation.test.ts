import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, domainFor, keyFor, orgWithKey, type OrgFixture } from './factories.js';
import { BACKENDS, createTestContext, type TestContext } from './harness.js';

// No key is broader than the key that makes or manages it, on any axis (CONTRACT.md section 4):
// the reproductions of issue 20, finding 2.

type Json = Record<string, unknown>;

for (const backend of BACKENDS) {
  describe(`key escalation (${backend})`, () => {
    let ctx: TestContext;
    let acme: OrgFixture;
    let domainA: string;
    let expiresAt: string;
    let limited: { id: string; token: string };

    const api = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, token: string, body?: unknown) => {
      const res = await ctx.app.inject({
        method,
        url,
        remoteAddress: '127.0.0.1',
        headers: body === undefined ? bearer(token) : { ...bearer(token), 'content-type': 'application/json' },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
      return { status: res.statusCode, body: res.json() as Json };
    };
    const send = (token: string, from: string) => api('POST', '/emails', token, { from, to: 'someone@example.net', subject: 'hi', text: 'x' });

    beforeAll(async () => {
      ctx = await createTestContext(backend, { POSTGATE_MAX_KEYS_PER_ORG: '50' });
      acme = await orgWithKey(ctx.deps, 'acme');
      domainA = await domainFor(ctx.deps, acme.org, 'a.example.com');
      await domainFor(ctx.deps, acme.org, 'b.example.com');
      expiresAt = new Date(ctx.clock.nowMs() + 3_600_000).toISOString();
      const key = await keyFor(ctx.deps, acme.org, {
        name: 'limited',
        permission: 'custom',
        scopes: ['api_keys:read', 'api_keys:write', 'emails:send', 'emails:read'],
        domain_ids: [domainA],
        allowed_ips: ['127.0.0.1'],
        expires_at: expiresAt,
      });
      limited = { id: key.id, token: key.token };
    });
    afterAll(async () => ctx?.close());

    it('a key cannot lift its own domain, IP or expiry restrictions (403 privilege_escalation), and stays limited', async () => {
      for (const [body, field] of [
        [{ domain_ids: [], allowed_ips: null, expires_at: null }, 'domain_ids'],
        [{ domain_ids: [] }, 'domain_ids'],
        [{ allowed_ips: null }, 'allowed_ips'],
        [{ allowed_ips: ['127.0.0.0/8'] }, 'allowed_ips'],
        [{ expires_at: null }, 'expires_at'],
        [{ expires_at: new Date(ctx.clock.nowMs() + 7_200_000).toISOString() }, 'expires_at'],
      ] as const) {
        const res = await api('PATCH', `/api-keys/${limited.id}`, limited.token, body);
        expect(res.status, JSON.stringify(body)).toBe(403);
        expect(res.body.name).toBe('privilege_escalation');
        expect(res.body.message).toMatch(new RegExp(`^${field}:`));
      }
      const self = await api('GET', `/api-keys/${limited.id}`, limited.token);
      expect(self.body).toMatchObject({ domain_ids: [domainA], allowed_ips: ['127.0.0.1'], expires_at: expiresAt });
      expect((await send(limited.token, 'app@b.example.com')).body.name).toBe('domain_not_allowed');
      expect((await send(limited.token, 'app@a.example.com')).status).toBe(200);
    });

    it('a key may narrow itself', async () => {
      const sooner = new Date(ctx.clock.nowMs() + 1_800_000).toISOString();
      const res = await api('PATCH', `/api-keys/${limited.id}`, limited.token, { expires_at: sooner });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.expires_at).toBe(sooner);
      expiresAt = sooner;
    });

    it('a child key cannot be made without the parent\'s restrictions; omitted, they are inherited', async () => {
      for (const [body, field] of [
        [{ domain_ids: [] }, 'domain_ids'],
        [{ allowed_ips: ['10.0.0.0/8'] }, 'allowed_ips'],
        [{ expires_at: new Date(ctx.clock.nowMs() + 86_400_000).toISOString() }, 'expires_at'],
      ] as const) {
        const res = await api('POST', '/api-keys', limited.token, { name: 'child', scopes: ['emails:send'], ...body });
        expect(res.status, JSON.stringify(body)).toBe(403);
        expect(res.body.name).toBe('privilege_escalation');
        expect(res.body.message).toMatch(new RegExp(`^${field}:`));
      }
      const child = await api('POST', '/api-keys', limited.token, { name: 'child', scopes: ['emails:send'] });
      expect(child.status, JSON.stringify(child.body)).toBe(201);
      expect(child.body).toMatchObject({ mode: 'live', domain_ids: [domainA], allowed_ips: ['127.0.0.1'], expires_at: expiresAt });
      expect((await send(child.body.token as string, 'app@b.example.com')).body.name).toBe('domain_not_allowed');
    });

    it('a restricted key cannot rotate, edit or delete a broader key', async () => {
      for (const [method, url, body] of [
        ['POST', `/api-keys/${acme.key.id}/rotate`, undefined],
        ['PATCH', `/api-keys/${acme.key.id}`, { name: 'renamed' }],
        ['DELETE', `/api-keys/${acme.key.id}`, undefined],
      ] as const) {
        const res = await api(method, url, limited.token, body);
        expect(res.status, `${method} ${url}`).toBe(403);
      }
      expect((await api('GET', '/whoami', acme.token)).status).toBe(200);
    });

    it('a test key makes test keys only (403 for a live one), and sees only test keys and test emails', async () => {
      const test = await keyFor(ctx.deps, acme.org, { name: 'test', mode: 'test' });
      const live = await api('POST', '/api-keys', test.token, { name: 'live', mode: 'live', permission: 'full_access' });
      expect(live.status).toBe(403);
      expect(live.body.name).toBe('privilege_escalation');
      expect(live.body.message).toMatch(/^mode:/);
      const made = await api('POST', '/api-keys', test.token, { name: 'made-by-test' });
      expect(made.status).toBe(201);
      expect(made.body.mode).toBe('test');
      expect(made.body.token as string).toMatch(/^pgt_test_/);

      const liveEmail = await send(acme.token, 'app@a.example.com');
      const testEmail = await send(test.token, 'app@anything.example.org');
      expect(testEmail.status).toBe(200);
      const seen = await api('GET', '/emails?limit=100', test.token);
      const ids = (seen.body.data as Json[]).map((e) => e.id);
      expect(ids).toContain(testEmail.body.id);
      expect(ids).not.toContain(liveEmail.body.id);
      expect((await api('GET', `/emails/${liveEmail.body.id as string}`, test.token)).status).toBe(404);
      const keys = await api('GET', '/api-keys?limit=100', test.token);
      expect((keys.body.data as Json[]).every((k) => k.mode === 'test')).toBe(true);
      expect((await api('GET', `/api-keys/${acme.key.id}`, test.token)).status).toBe(404);
      // Live keys see live objects; the operator's full-access live key does not see test ones.
      const liveList = await api('GET', '/emails?limit=100', acme.token);
      expect((liveList.body.data as Json[]).map((e) => e.id)).not.toContain(testEmail.body.id);
    });

    it('a rotated-out token in its grace can neither rotate its key nor mint a key that outlives the grace', async () => {
      const key = await keyFor(ctx.deps, acme.org, { name: 'rotating', permission: 'custom', scopes: ['api_keys:read', 'api_keys:write'] });
      const rotated = await api('POST', `/api-keys/${key.id}/rotate`, acme.token, { grace_seconds: 3600 });
      expect(rotated.status).toBe(200);
      const graceEnd = rotated.body.previous_token_expires_at as string;
      const again = await api('POST', `/api-keys/${key.id}/rotate`, key.token);
      expect(again.status).toBe(403);
      expect(again.body.name).toBe('privilege_escalation');
      const forever = await api('POST', '/api-keys', key.token, { name: 'forever', scopes: ['api_keys:read'], expires_at: null });
      expect(forever.status).toBe(403);
      const bounded = await api('POST', '/api-keys', key.token, { name: 'bounded', scopes: ['api_keys:read'] });
      expect(bounded.status, JSON.stringify(bounded.body)).toBe(201);
      expect(bounded.body.expires_at).toBe(graceEnd);
      // The new token is the key itself: it may rotate it.
      expect((await api('POST', `/api-keys/${key.id}/rotate`, rotated.body.token as string)).status).toBe(200);
    });
  });
}
