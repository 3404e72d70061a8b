import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, domainFor, keyFor, orgWithKey, type OrgFixture } from './factories.js';
import { createTestContext, type TestContext } from './harness.js';

// The error body is `{statusCode, name, message, field?}` (CONTRACT.md section 3): `field` is
// the JSON path of the field an error names. A path that exists with other methods is a 405
// naming them in `Allow`; an unknown path stays a 404.

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

describe('error shape', () => {
  let ctx: TestContext;
  let acme: OrgFixture;

  beforeAll(async () => {
    ctx = await createTestContext('pglite');
    acme = await orgWithKey(ctx.deps, 'acme');
  });
  afterAll(async () => ctx?.close());

  const call = (method: Method, url: string, body?: unknown, token = acme.token) =>
    ctx.app.inject({ method, url, headers: bearer(token), ...(body === undefined ? {} : { payload: body as object }) });

  describe('field', () => {
    it('names the field of a 422 as a JSON path, which the message starts with', async () => {
      const cases: [method: Method, url: string, body: unknown, field: string][] = [
        ['POST', '/api-keys', { name: 'x', allowed_ips: ['10.0.0.1', '010.0.0.1'] }, 'allowed_ips[1]'],
        ['POST', '/api-keys', { name: 'x', admin: true }, 'admin'],
        ['POST', '/emails', { from: 'a@a.example', to: ['ok@example.net', 'not an address'], subject: 's', text: 't' }, 'to[1]'],
        ['POST', '/emails/batch', [{ from: 'a@a.example', to: 'b@example.net', subject: 's', text: 't' }, { from: 'a@a.example', to: 'b@example.net', text: 't' }], '[1].subject'],
        ['GET', '/api-keys?limit=0', undefined, 'querystring.limit'],
        ['GET', '/api-keys/%00', undefined, 'params.id'],
      ];
      for (const [method, url, body, field] of cases) {
        const res = await call(method, url, body);
        expect(res.statusCode, `${method} ${url}`).toBe(422);
        const json = res.json();
        expect(Object.keys(json).sort(), `${method} ${url}`).toEqual(['field', 'message', 'name', 'statusCode']);
        expect(json, `${method} ${url}`).toMatchObject({ statusCode: 422, name: 'validation_error', field });
        expect(json.message.startsWith(`${field}: `), json.message).toBe(true);
      }
    });

    it('names the axis of a privilege escalation', async () => {
      const domain = await domainFor(ctx.deps, acme.org, 'a.acme.test');
      const limited = await keyFor(ctx.deps, acme.org, { name: 'limited', permission: 'custom', scopes: ['api_keys:write'], domain_ids: [domain] });
      const res = await call('POST', '/api-keys', { name: 'wider', permission: 'custom', scopes: ['api_keys:write'], domain_ids: [] }, limited.token);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ name: 'privilege_escalation', field: 'domain_ids' });
    });

    it('is absent when the error names no field', async () => {
      const res = await ctx.app.inject({ method: 'GET', url: '/whoami' });
      expect(res.statusCode).toBe(401);
      expect(Object.keys(res.json()).sort()).toEqual(['message', 'name', 'statusCode']);
    });
  });

  describe('405 method_not_allowed', () => {
    it('answers a method the path lacks with 405 and Allow naming the methods it has', async () => {
      const cases: [method: Method, url: string, allow: string][] = [
        ['PATCH', '/whoami', 'GET, HEAD'],
        ['DELETE', '/api-keys', 'GET, HEAD, POST'],
        ['DELETE', '/api-keys/', 'GET, HEAD, POST'],
        ['PUT', '/api-keys/key_123', 'DELETE, GET, HEAD, PATCH'],
        ['GET', '/api-keys/key_123/rotate', 'POST'],
        // GET and PATCH reach /emails/:id (the email `batch`, a 404), as the router routes them.
        ['DELETE', '/emails/batch?x=1', 'GET, HEAD, PATCH, POST'],
        ['OPTIONS', '/healthz', 'GET, HEAD'],
        ['PUT', '/dashboard/api/api-keys/key_123', 'DELETE, GET, HEAD, PATCH'],
        ['POST', '/dashboard/api/session', 'GET, HEAD'],
        ['POST', '/assets/index-abc123.js', 'GET, HEAD'],
      ];
      for (const [method, url, allow] of cases) {
        // No key: the method is refused before any authentication, as an unknown path is.
        const res = await ctx.app.inject({ method, url });
        expect(res.statusCode, `${method} ${url}`).toBe(405);
        expect(res.headers.allow, `${method} ${url}`).toBe(allow);
        expect(res.json(), `${method} ${url}`).toMatchObject({ statusCode: 405, name: 'method_not_allowed' });
        expect(res.json().message).toContain(allow);
      }
    });

    it('still answers 404 for a path no route has, with any method', async () => {
      for (const [method, url] of [
        ['GET', '/nope'],
        ['DELETE', '/api-keys/key_123/rotate/extra'],
        ['POST', '/dashboard/api/nope'],
        ['PATCH', '/whoami/extra'],
        ['GET', '/api-keys-and-more'],
        ['PUT', '//api-keys'],
      ] as const) {
        const res = await ctx.app.inject({ method, url });
        expect(res.statusCode, `${method} ${url}`).toBe(404);
        expect(res.headers.allow, `${method} ${url}`).toBeUndefined();
        expect(res.json(), `${method} ${url}`).toMatchObject({ statusCode: 404, name: 'not_found' });
      }
    });

    it('keeps 404 for an object that does not exist on a route that does', async () => {
      const res = await call('GET', '/api-keys/key_0000000000000000000000000');
      expect(res.statusCode).toBe(404);
      expect(res.json().name).toBe('not_found');
    });
  });
});
