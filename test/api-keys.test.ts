import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../src/modules/api-keys/token.js';
import { bearer, domainFor, keyFor, orgWithKey, type OrgFixture } from './factories.js';
import { BACKENDS, createTestContext, type TestContext } from './harness.js';

type Json = Record<string, unknown>;

for (const backend of BACKENDS) {
  describe(`API keys (${backend})`, () => {
    let ctx: TestContext;
    let acme: OrgFixture;
    const seen: string[] = []; // every response body, checked for secrets at the end
    const tokens: string[] = [];

    const api = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, token: string, body?: unknown) => {
      const res = await ctx.app.inject({
        method,
        url,
        headers: body === undefined ? bearer(token) : { ...bearer(token), 'content-type': 'application/json' },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
      seen.push(res.body);
      return { status: res.statusCode, body: res.json() as Json };
    };

    beforeAll(async () => {
      ctx = await createTestContext(backend);
      acme = await orgWithKey(ctx.deps, 'acme');
      tokens.push(acme.token);
    });
    afterAll(async () => ctx?.close());

    it('creates a key whose token is shown once and works at once', async () => {
      const created = await api('POST', '/api-keys', acme.token, { name: 'ci', permission: 'sending_access' });
      expect(created.status).toBe(201);
      const token = created.body.token as string;
      tokens.push(token);
      expect(token).toMatch(/^pgt_live_[0-9A-Za-z]{38}$/);
      expect(created.body).toMatchObject({ object: 'api_key', name: 'ci', permission: 'sending_access', scopes: ['emails:send', 'sms:send', 'whatsapp:send'] });
      expect(created.body.redacted_token).toBe(`pgt_live_...${token.slice(-5)}`);
      const read = await api('GET', `/api-keys/${created.body.id as string}`, acme.token);
      expect(read.body.token).toBeUndefined();
      const me = await api('GET', '/whoami', token);
      expect(me.status).toBe(200);
      expect((me.body.api_key as Json).id).toBe(created.body.id);
    });

    it('a sending_access key gets 403 on GET /api-keys', async () => {
      const sending = await keyFor(ctx.deps, acme.org, { name: 's', permission: 'sending_access' });
      const res = await api('GET', '/api-keys', sending.token);
      expect(res.status).toBe(403);
      expect(res.body.name).toBe('insufficient_scope');
    });

    it('a deleted key gets 401 on the very next request', async () => {
      const victim = await keyFor(ctx.deps, acme.org, { name: 'victim' });
      expect((await api('GET', '/whoami', victim.token)).status).toBe(200); // now cached
      const del = await api('DELETE', `/api-keys/${victim.id}`, acme.token);
      expect(del.body).toEqual({ object: 'api_key', id: victim.id, deleted: true });
      expect((await api('GET', '/whoami', victim.token)).status).toBe(401);
      expect((await api('GET', `/api-keys/${victim.id}`, acme.token)).status).toBe(404);
    });

    it('rotation: the old token works during its grace, is 401 after it, and the new one keeps every setting', async () => {
      const domainId = await domainFor(ctx.deps, acme.org, 'rotate.example');
      const key = await keyFor(ctx.deps, acme.org, {
        name: 'rotating',
        permission: 'custom',
        scopes: ['emails:send', 'domains:read'],
        domain_ids: [domainId],
        allowed_ips: ['127.0.0.0/8', '::1'],
      });
      expect((await api('GET', '/whoami', key.token)).status).toBe(200);
      const rotated = await api('POST', `/api-keys/${key.id}/rotate`, acme.token, { grace_seconds: 60 });
      expect(rotated.status).toBe(200);
      const fresh = rotated.body.token as string;
      tokens.push(fresh);
      expect(fresh).not.toBe(key.token);
      expect(rotated.body).toMatchObject({
        id: key.id,
        permission: 'custom',
        scopes: ['domains:read', 'emails:send'],
        domain_ids: [domainId],
        allowed_ips: ['127.0.0.0/8', '::1'],
      });
      expect(rotated.body.previous_token_expires_at).toBe(new Date(ctx.clock.nowMs() + 60_000).toISOString());
      expect((await api('GET', '/whoami', key.token)).status).toBe(200);
      expect((await api('GET', '/whoami', fresh)).status).toBe(200);
      ctx.clock.advance(60_001);
      expect((await api('GET', '/whoami', key.token)).status).toBe(401);
      const me = await api('GET', '/whoami', fresh);
      expect(me.status).toBe(200);
      expect((me.body.api_key as Json).scopes).toEqual(['domains:read', 'emails:send']);
    });

    it('rotation without grace kills the old token at once', async () => {
      const key = await keyFor(ctx.deps, acme.org, { name: 'no-grace' });
      expect((await api('GET', '/whoami', key.token)).status).toBe(200);
      const rotated = await api('POST', `/api-keys/${key.id}/rotate`, acme.token);
      expect(rotated.status).toBe(200);
      expect((await api('GET', '/whoami', key.token)).status).toBe(401);
      expect((await api('GET', '/whoami', rotated.body.token as string)).status).toBe(200);
    });

    it('an edit takes effect on the very next request', async () => {
      const key = await keyFor(ctx.deps, acme.org, { name: 'editable', permission: 'custom', scopes: ['api_keys:read'] });
      expect((await api('GET', '/api-keys', key.token)).status).toBe(200);
      const patched = await api('PATCH', `/api-keys/${key.id}`, acme.token, { scopes: ['domains:read'] });
      expect(patched.status).toBe(200);
      expect(patched.body.scopes).toEqual(['domains:read']);
      expect((await api('GET', '/api-keys', key.token)).status).toBe(403);
      await api('PATCH', `/api-keys/${key.id}`, acme.token, { allowed_ips: ['203.0.113.0/24'] });
      const denied = await api('GET', '/whoami', key.token);
      expect(denied.status).toBe(403);
      expect(denied.body.name).toBe('ip_not_allowed');
    });

    it('a key can never grant or manage scopes it lacks', async () => {
      const manager = await keyFor(ctx.deps, acme.org, { name: 'manager', permission: 'custom', scopes: ['api_keys:write', 'api_keys:read', 'emails:send'] });
      const escalate = await api('POST', '/api-keys', manager.token, { name: 'x', permission: 'full_access' });
      expect(escalate.status, JSON.stringify(escalate.body)).toBe(403);
      expect(escalate.body.name).toBe('insufficient_scope');
      const sideways = await api('POST', '/api-keys', manager.token, { name: 'x', scopes: ['domains:write'] });
      expect(sideways.status, JSON.stringify(sideways.body)).toBe(403);
      const ok = await api('POST', '/api-keys', manager.token, { name: 'sub', scopes: ['emails:send'] });
      expect(ok.status).toBe(201);
      const self = await api('PATCH', `/api-keys/${manager.id}`, manager.token, { scopes: ['api_keys:write', 'domains:write'] });
      expect(self.status, JSON.stringify(self.body)).toBe(403);
      // Rotating the owner's full-access key would hand its power to the manager.
      const rotateOwner = await api('POST', `/api-keys/${acme.key.id}/rotate`, manager.token);
      expect(rotateOwner.status).toBe(403);
      await api('DELETE', `/api-keys/${ok.body.id as string}`, acme.token);
      await api('DELETE', `/api-keys/${manager.id}`, acme.token);
    });

    it('refuses unknown fields (mass assignment) with 422 and changes nothing', async () => {
      for (const extra of [{ organization_id: 'org_x' }, { hash: 'abc' }, { created_at: '2020-01-01T00:00:00Z' }, { token_hash: 'x' }]) {
        const res = await api('POST', '/api-keys', acme.token, { name: 'mass', ...extra });
        expect(res.status).toBe(422);
        expect(res.body.name).toBe('validation_error');
        expect(res.body.message).toContain(Object.keys(extra)[0]);
      }
      const patch = await api('PATCH', `/api-keys/${acme.key.id}`, acme.token, { organization_id: 'org_x' });
      expect(patch.status).toBe(422);
      const list = await api('GET', '/api-keys?limit=100', acme.token);
      expect((list.body.data as Json[]).some((k) => k.name === 'mass')).toBe(false);
    });

    it('validates input with 422 naming the field', async () => {
      const cases: [unknown, string][] = [
        [{}, 'name'],
        [{ name: 'x', permission: 'admin' }, 'permission'],
        [{ name: 'x', scopes: ['emails:delete'] }, 'scopes'],
        [{ name: 'x', permission: 'custom' }, 'scopes'],
        [{ name: 'x', permission: 'full_access', scopes: ['emails:send'] }, 'scopes'],
        [{ name: 'x', allowed_ips: ['010.0.0.1'] }, 'allowed_ips[0]'],
        [{ name: 'x', allowed_ips: '10.0.0.0/8, 127.1' }, 'allowed_ips[1]'],
        [{ name: 'x', allowed_ips: ['fe80::1%eth0'] }, 'allowed_ips[0]'],
        [{ name: 'x', permission: 'sending_access', domain_ids: ['dom_nope'] }, 'domain_ids[0]'],
        [{ name: 'x', domain_ids: ['dom_nope'] }, 'domain_ids'],
        [{ name: 'x', expires_at: '2001-01-01T00:00:00Z' }, 'expires_at'],
        [{ name: 'x', expires_at: 'tomorrow' }, 'expires_at'],
        [{ name: 'x', mode: 'prod' }, 'mode'],
      ];
      for (const [body, field] of cases) {
        const res = await api('POST', '/api-keys', acme.token, body);
        expect(res.status, JSON.stringify(body)).toBe(422);
        expect(res.body.name).toBe('validation_error');
        expect(res.body.message, JSON.stringify(body)).toMatch(new RegExp(`^${field.replace(/[[\]]/g, '\\$&')}`));
      }
    });

    it("accepts Resend's singular domain_id and test-mode keys", async () => {
      const domainId = await domainFor(ctx.deps, acme.org, 'singular.example');
      const res = await api('POST', '/api-keys', acme.token, { name: 'resend-style', permission: 'sending_access', domain_id: domainId });
      expect(res.status).toBe(201);
      expect(res.body.domain_ids).toEqual([domainId]);
      const test = await api('POST', '/api-keys', acme.token, { name: 'test-mode', mode: 'test' });
      expect(test.body.token).toMatch(/^pgt_test_/);
      expect(test.body.mode).toBe('test');
      for (const id of [res.body.id, test.body.id]) await api('DELETE', `/api-keys/${id as string}`, acme.token);
    });

    it('malformed JSON is 400 and an empty body on DELETE is fine', async () => {
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/api-keys',
        headers: { ...bearer(acme.token), 'content-type': 'application/json' },
        payload: '{"name":',
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().name).toBe('invalid_json');
      const text = await ctx.app.inject({ method: 'POST', url: '/api-keys', headers: { ...bearer(acme.token), 'content-type': 'text/plain' }, payload: 'hi' });
      expect(text.statusCode).toBe(415);
    });

    it('caps the keys of an organization at 15: the 16th is 422 api_key_limit_reached', async () => {
      const org = await orgWithKey(ctx.deps, 'capped');
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) => api('POST', '/api-keys', org.token, { name: `k${i}` })),
      );
      const created = results.filter((r) => r.status === 201).length;
      expect(created).toBe(14); // plus the owner key: 15
      const refused = results.filter((r) => r.status === 422);
      expect(refused).toHaveLength(2);
      expect(refused[0]!.body.name).toBe('api_key_limit_reached');
      const list = await api('GET', '/api-keys?limit=100', org.token);
      expect((list.body.data as Json[]).length).toBe(15);
    });

    it('lists newest first with cursors', async () => {
      const org = await orgWithKey(ctx.deps, 'paged');
      for (let i = 0; i < 4; i++) {
        ctx.clock.advance(5);
        await keyFor(ctx.deps, org.org, { name: `p${i}` });
      }
      const first = await api('GET', '/api-keys?limit=2', org.token);
      expect(first.body).toMatchObject({ object: 'list', has_more: true });
      const names = (first.body.data as Json[]).map((k) => k.name);
      expect(names).toEqual(['p3', 'p2']);
      const next = await api('GET', `/api-keys?limit=2&after=${(first.body.data as Json[])[1]!.id as string}`, org.token);
      expect((next.body.data as Json[]).map((k) => k.name)).toEqual(['p1', 'p0']);
      const back = await api('GET', `/api-keys?limit=2&before=${(next.body.data as Json[])[0]!.id as string}`, org.token);
      expect((back.body.data as Json[]).map((k) => k.name)).toEqual(['p3', 'p2']);
      expect((await api('GET', '/api-keys?limit=0', org.token)).status).toBe(422);
    });

    it('records last_used_at in batches, not on every request', async () => {
      const key = await keyFor(ctx.deps, acme.org, { name: 'usage' });
      await api('GET', '/whoami', key.token);
      await api('GET', '/whoami', key.token);
      const before = await ctx.deps.database.db.query.apiKeys.findFirst({ where: (k, { eq }) => eq(k.id, key.id) });
      expect(before?.lastUsedAt).toBeNull(); // nothing written yet
      const shown = await api('GET', `/api-keys/${key.id}`, acme.token);
      expect(shown.body.last_used_at).toBe(new Date(ctx.clock.nowMs()).toISOString()); // but reported
      await ctx.deps.usage.flush();
      const after = await ctx.deps.database.db.query.apiKeys.findFirst({ where: (k, { eq }) => eq(k.id, key.id) });
      expect(after?.lastUsedAt?.getTime()).toBe(ctx.clock.nowMs());
      const usage = await api('GET', `/api-keys/${key.id}/usage?days=7`, acme.token);
      expect(usage.status).toBe(200);
      const days = usage.body.days as { total: number; routes: { route: string; status: number; count: number }[] }[];
      expect(days).toHaveLength(7);
      expect(days.at(-1)!.routes).toContainEqual({ route: 'GET /whoami', status: 200, count: 2 });
      expect(usage.body.recent_ips).toEqual([{ ip: '127.0.0.1', last_seen_at: expect.any(String) }]);
    });

    it('never returns a hash or a secret other than in the create/rotate reply', async () => {
      const rows = await ctx.deps.database.db.query.apiKeys.findMany();
      const hashes = rows.flatMap((r) => [r.tokenHash, r.previousTokenHash]).filter(Boolean) as string[];
      for (const token of tokens) hashes.push(hashToken(token));
      const allowed = new Set(tokens);
      for (const body of seen) {
        for (const hash of hashes) expect(body).not.toContain(hash);
        for (const token of tokens) {
          if (body.includes(token)) {
            const parsed = JSON.parse(body) as Json;
            expect(parsed.token).toBe(token); // only as the `token` field of a create/rotate reply
            expect(allowed.has(token)).toBe(true);
          }
        }
      }
      // Nor does the database hold any token.
      const dump = JSON.stringify(rows);
      for (const token of tokens) expect(dump).not.toContain(token);
    });
  });
}
