import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteAuth } from '../src/http/plugins/auth.js';
import { operator } from '../src/modules/api-keys/principal.js';
import { hashToken } from '../src/modules/api-keys/token.js';
import type { OrganizationObject } from '../src/modules/organizations/service.js';
import type { Deps } from '../src/app/deps.js';
import { bearer, keyFor, orgWithKey, type OrgFixture } from './factories.js';
import { createTestContext, type Backend, type TestContext } from './harness.js';

/** One route as the auth matrix exercises it. */
export type MatrixRoute = {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** The route pattern as registered; `:id` is filled with an object of the caller's organization. */
  url: string;
  auth: RouteAuth;
  /** The JSON body; or a function of the object makeResource made (a body naming something of the caller's organization). */
  body?: unknown;
  /** Creates an object of `org` for `:id` routes and returns its id (`id|eventId` for routes with both). */
  makeResource?: (deps: Deps, org: OrganizationObject) => Promise<string>;
};

const INVALID = { statusCode: 401, name: 'invalid_api_key', message: 'Invalid API key' };

/**
 * The shared security cases, run against one route: no key, wrong scheme, empty and malformed
 * tokens (refused before any lookup), unknown, revoked, expired and rotated-out keys (one 401
 * body for all), a key in the query string, the wrong scope, a sending-only key, and another
 * organization's id (404).
 */
export function runAuthMatrix(backend: Backend, routes: MatrixRoute[]): void {
  describe(`auth matrix (${backend})`, () => {
    let ctx: TestContext;
    let a: OrgFixture;
    let b: OrgFixture;
    const tokens: Record<string, string> = {};

    beforeAll(async () => {
      ctx = await createTestContext(backend, { POSTGATE_MAX_KEYS_PER_ORG: '50' });
      a = await orgWithKey(ctx.deps, 'org-a');
      b = await orgWithKey(ctx.deps, 'org-b');
      const keys = ctx.deps.services.apiKeys;
      const actor = operator(a.org.id, a.org.default_project_id);
      const revoked = await keyFor(ctx.deps, a.org, { name: 'revoked' });
      await keys.delete(actor, revoked.id);
      tokens.revoked = revoked.token;
      const expiring = await keyFor(ctx.deps, a.org, { name: 'expiring', expires_at: new Date(ctx.clock.nowMs() + 60_000).toISOString() });
      tokens.expired = expiring.token;
      const rotating = await keyFor(ctx.deps, a.org, { name: 'rotating' });
      await keys.rotate(actor, rotating.id, 30);
      tokens.rotatedOut = rotating.token;
      // Warm the cache with both, so the test proves expiry is checked on the warm path too.
      await ctx.app.inject({ method: 'GET', url: '/whoami', headers: bearer(expiring.token) });
      await ctx.app.inject({ method: 'GET', url: '/whoami', headers: bearer(rotating.token) });
      ctx.clock.advance(61_000);
      tokens.wrongScope = (await keyFor(ctx.deps, a.org, { name: 'webhooks', permission: 'custom', scopes: ['webhooks:read'] })).token;
      // For the routes webhooks:read itself opens.
      tokens.otherScope = (await keyFor(ctx.deps, a.org, { name: 'audit', permission: 'custom', scopes: ['audit:read'] })).token;
      tokens.sending = (await keyFor(ctx.deps, a.org, { name: 'sending', permission: 'sending_access' })).token;
    });
    afterAll(async () => ctx?.close());

    for (const route of routes) {
      describe(`${route.method} ${route.url}`, () => {
        // One object per organization and route: only the last, successful call may consume it.
        const resources = new Map<string, Promise<string>>();
        const resourceOf = (fixture: OrgFixture): Promise<string> => {
          let id = resources.get(fixture.org.id);
          if (!id) {
            id = route.makeResource ? route.makeResource(ctx.deps, fixture.org) : Promise.resolve('x');
            resources.set(fixture.org.id, id);
          }
          return id;
        };
        const call = async (headers: Record<string, string>, org: 'a' | 'b' = 'a', query = '') => {
          let url = route.url;
          if (url.includes(':id')) url = fillParams(url, await resourceOf(org === 'a' ? a : b));
          const body = typeof route.body === 'function' ? (route.body as (resource: string) => unknown)(await resourceOf(org === 'a' ? a : b)) : route.body;
          return ctx.app.inject({
            method: route.method,
            url: url + query,
            headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
            ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
          });
        };

        it('refuses a request without a key (401 missing_api_key)', async () => {
          const res = await call({});
          expect(res.statusCode).toBe(401);
          expect(res.json().name).toBe('missing_api_key');
        });

        it('refuses a key in the query string', async () => {
          const res = await call({}, 'a', `?api_key=${a.token}&token=${a.token}`);
          expect(res.statusCode).toBe(401);
        });

        it('refuses other schemes, empty tokens and tokens with spaces with the same 401', async () => {
          for (const authorization of [`Basic ${Buffer.from(`x:${a.token}`).toString('base64')}`, 'Bearer', 'Bearer ', `Token ${a.token}`, `Bearer ${a.token} extra`, `Bearer ${a.token.slice(0, 20)} ${a.token.slice(20)}`]) {
            const res = await call({ authorization });
            expect(res.statusCode, authorization).toBe(401);
          }
        });

        it('refuses a malformed or mistyped key before any lookup', async () => {
          const mistyped = a.token.slice(0, -1) + (a.token.endsWith('A') ? 'B' : 'A');
          for (const token of [mistyped, 'pgt_live_short', 're_123456789', `pgt_prod_${a.token.slice(9)}`]) {
            const res = await call(bearer(token));
            expect(res.statusCode).toBe(401);
            expect(res.json()).toEqual(INVALID);
            // No lookup happened: a lookup would have left a (negative) cache entry for the hash.
            expect(ctx.deps.keyCache.get(hashToken(token))).toBeUndefined();
          }
        });

        it('gives unknown, revoked, expired and rotated-out keys the same 401 body', async () => {
          const unknown = (await import('../src/modules/api-keys/token.js')).generateToken('live').token;
          for (const token of [unknown, tokens.revoked!, tokens.expired!, tokens.rotatedOut!]) {
            const res = await call(bearer(token));
            expect(res.statusCode).toBe(401);
            expect(res.json()).toEqual(INVALID);
          }
        });

        if (typeof route.auth === 'object') {
          it(`refuses a key without ${route.auth.scope} (403 insufficient_scope)`, async () => {
            const res = await call(bearer((route.auth as { scope: string }).scope === 'webhooks:read' ? tokens.otherScope! : tokens.wrongScope!));
            expect(res.statusCode).toBe(403);
            expect(res.json().name).toBe('insufficient_scope');
          });

          if (!route.auth.scope.endsWith(':send')) {
            it('refuses a sending-only key (403)', async () => {
              const res = await call(bearer(tokens.sending!));
              expect(res.statusCode).toBe(403);
            });
          }
        }

        it('lets a full-access key of the organization through', async () => {
          const res = await call(bearer(a.token));
          expect(res.statusCode).toBeLessThan(400);
        });

        if (route.url.includes(':id')) {
          it("answers another organization's id with 404, not 403", async () => {
            const res = await call(bearer(a.token), 'b');
            expect(res.statusCode).toBe(404);
            expect(res.json().name).toBe('not_found');
          });
        }
      });
    }
  });
}

/** `:id` (and a second parameter: `:eventId`, `:attachment_id`) of a route pattern filled from a resource: `id` or `id|second`. */
export function fillParams(url: string, resource: string): string {
  const [id, second] = resource.split('|');
  return url.replace(':id', id!).replace(/:\w+/, second ?? 'x');
}
