import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../src/app/deps.js';
import { manualClock } from '../src/lib/clock.js';
import { csrfTokenFor } from '../src/modules/accounts/secrets.js';
import { endSession, SESSION_TTL_MS, startSession } from '../src/modules/accounts/sessions.js';
import { createUser } from '../src/modules/accounts/users.js';
import { createOrganization, type OrganizationObject } from '../src/modules/organizations/service.js';
import { start as startDns, type TestDnsServer } from './dns-server.js';
import { bearer, keyFor } from './factories.js';
import { createTestContext, type Backend, type TestContext } from './harness.js';
import { fillParams } from './auth-matrix.js';
import type { SessionRoute } from './session-routes.js';

// The shared security cases of dashboard routes, run against each one: what the auth matrix is
// to API keys. No session (even with a valid API key), a made-up, expired or signed-out session:
// 401. A state change without the session's CSRF token, with another session's, or from another
// origin or site: 403. Another organization's id: 404.

export type Member = { org: OrganizationObject; userId: string };

/** Signs a user in through the service (no argon2 per case): a fresh session id and its token. */
export async function sessionFor(deps: Deps, member: Member, clock = deps.clock): Promise<{ cookie: string; csrf: string; id: string }> {
  const started = await startSession({ db: deps.database.db, clock }, member.userId);
  return { cookie: `postgate_session=${started.sessionId}`, csrf: started.csrfToken, id: started.sessionId };
}

export async function memberOf(deps: Deps, name: string): Promise<Member> {
  const org = await createOrganization({ db: deps.database.db, clock: deps.clock }, { name });
  const user = await createUser({ db: deps.database.db, clock: deps.clock }, { organizationId: org.id, email: `${name}@example.com`, password: 'a long enough password' });
  return { org, userId: user.id };
}

const SAME_ORIGIN = { origin: 'http://localhost:80', 'sec-fetch-site': 'same-origin' };

export function runSessionMatrix(backend: Backend, routes: SessionRoute[]): void {
  describe(`session matrix (${backend})`, () => {
    let ctx: TestContext;
    let dns: TestDnsServer;
    let a: Member;
    let b: Member;
    let apiKey: string;

    beforeAll(async () => {
      dns = await startDns();
      ctx = await createTestContext(backend, { POSTGATE_DNS_SERVERS: dns.address, POSTGATE_MAX_KEYS_PER_ORG: '50' });
      a = await memberOf(ctx.deps, 'org-a');
      b = await memberOf(ctx.deps, 'org-b');
      apiKey = (await keyFor(ctx.deps, a.org, { name: 'full' })).token;
    });
    afterAll(async () => {
      await ctx?.close();
      await dns?.close();
    });

    for (const route of routes) {
      const changesState = route.method !== 'GET';
      describe(`${route.method} ${route.url}`, () => {
        const resources = new Map<string, Promise<string>>();
        const resourceOf = (member: Member): Promise<string> => {
          let id = resources.get(member.org.id);
          if (!id) {
            id = route.makeResource ? route.makeResource(ctx.deps, member.org) : Promise.resolve('x');
            resources.set(member.org.id, id);
          }
          return id;
        };
        const call = async (headers: Record<string, string>, owner: Member = a) => {
          const url = route.url.includes(':id') ? fillParams(route.url, await resourceOf(owner)) : route.url;
          return ctx.app.inject({
            method: route.method,
            url,
            // inject's Host is localhost:80, so http://localhost:80 is this origin.
            headers: route.body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
            ...(route.body === undefined ? {} : { payload: JSON.stringify(route.body) }),
          });
        };
        const signedIn = async (member: Member = a, extra: Record<string, string> = {}) => {
          const s = await sessionFor(ctx.deps, member);
          return { cookie: s.cookie, 'x-csrf-token': s.csrf, ...SAME_ORIGIN, ...extra };
        };

        it('refuses a request without a session (401), even one with a valid API key', async () => {
          for (const headers of [{}, bearer(apiKey), { ...bearer(apiKey), ...SAME_ORIGIN }]) {
            const res = await call(headers);
            expect(res.statusCode).toBe(401);
            expect(res.json()).toMatchObject({ statusCode: 401, name: 'session_required' });
          }
        });

        it('refuses made-up, malformed, expired and signed-out sessions (401)', async () => {
          const expired = await sessionFor(ctx.deps, a, manualClock(ctx.clock.nowMs() - SESSION_TTL_MS - 1000));
          const ended = await sessionFor(ctx.deps, a);
          await endSession({ db: ctx.deps.database.db, clock: ctx.deps.clock }, ended.id);
          const madeUp = 'A'.repeat(43);
          for (const [id, csrf] of [[madeUp, csrfTokenFor(madeUp)], ['not a session', 'x'], [expired.id, expired.csrf], [ended.id, ended.csrf]] as const) {
            const res = await call({ cookie: `postgate_session=${id}`, 'x-csrf-token': csrf, ...SAME_ORIGIN });
            expect(res.statusCode, id).toBe(401);
          }
        });

        if (changesState) {
          it("refuses a state change without the session's CSRF token (403)", async () => {
            const own = await sessionFor(ctx.deps, a);
            const other = await sessionFor(ctx.deps, a);
            const attempts: Record<string, string>[] = [
              { cookie: own.cookie },
              { cookie: own.cookie, 'x-csrf-token': '' },
              { cookie: own.cookie, 'x-csrf-token': other.csrf },
              { cookie: own.cookie, 'x-csrf-token': own.id },
            ];
            for (const headers of attempts) {
              const res = await call({ ...headers, ...SAME_ORIGIN });
              expect(res.statusCode).toBe(403);
              expect(res.json().name).toBe('csrf_rejected');
            }
          });

          it('refuses a state change from another origin or site, even with the token (403)', async () => {
            const origins: Record<string, string>[] = [
              { origin: 'https://evil.example' },
              { origin: 'null' },
              { origin: 'https://localhost:80' },
              { 'sec-fetch-site': 'cross-site', origin: 'http://localhost:80' },
              { 'sec-fetch-site': 'same-site', origin: 'http://localhost:80' },
            ];
            for (const extra of origins) {
              const s = await sessionFor(ctx.deps, a);
              const res = await call({ cookie: s.cookie, 'x-csrf-token': s.csrf, ...extra });
              expect(res.statusCode, JSON.stringify(extra)).toBe(403);
            }
          });
        }

        it('lets the signed-in user of the organization through', async () => {
          // GETs need no token; state changes need token and origin. Clients that send neither
          // Origin nor Sec-Fetch-Site (not browsers) still need the token.
          const s = await sessionFor(ctx.deps, a);
          const headers: Record<string, string> = changesState ? { cookie: s.cookie, 'x-csrf-token': s.csrf } : { cookie: s.cookie };
          const res = await call(headers);
          if (route.signedInStatus) expect(res.statusCode, res.body).toBe(route.signedInStatus);
          else expect(res.statusCode, res.body).toBeLessThan(400);
          expect(res.headers['cache-control']).toBe('no-store');
        });

        if (route.url.includes(':id')) {
          it("answers another organization's id with 404, not 403", async () => {
            const res = await call(await signedIn(a), b);
            expect(res.statusCode).toBe(404);
            expect(res.json().name).toBe('not_found');
          });
        }
      });
    }
  });
}
