import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEMBER_ROLES, type MemberRole } from '../src/modules/team/roles.js';
import { start as startDns, type TestDnsServer } from './dns-server.js';
import { BACKENDS, createTestContext, type TestContext } from './harness.js';
import { memberOf, sessionFor, type Member } from './session-matrix.js';
import { SESSION_ROUTES, type SessionRoute } from './session-routes.js';
import { memberIn } from './team-fixtures.js';

// Roles on the dashboard API, as the auth matrix is for keys: every session route of the app's
// route catalogue, called by a member of each role, is let through or refused with 403
// insufficient_role exactly as the table below says. A new dashboard route without a line here,
// or one that declares no `access` for the role check, fails this test.

/** The least role a route needs (roles are ordered: owner > admin > developer > viewer). */
type Least = MemberRole;
const ROLE_RULES: Record<string, Least> = {
  // One's own account: everybody.
  'GET /dashboard/api/me': 'viewer',
  'POST /dashboard/api/logout': 'viewer',
  'POST /dashboard/api/session/project': 'viewer',
  'GET /dashboard/api/sessions': 'viewer',
  'DELETE /dashboard/api/sessions/:id': 'viewer',
  'POST /dashboard/api/sessions/revoke-others': 'viewer',
  'GET /dashboard/api/two-factor': 'viewer',
  'POST /dashboard/api/two-factor/enroll': 'viewer',
  'POST /dashboard/api/two-factor/confirm': 'viewer',
  'POST /dashboard/api/two-factor/disable': 'viewer',
  // The team: everyone sees it, owners and admins manage it.
  'GET /dashboard/api/members': 'viewer',
  'PATCH /dashboard/api/members/:id': 'admin',
  'DELETE /dashboard/api/members/:id': 'admin',
  'GET /dashboard/api/invitations': 'viewer',
  'POST /dashboard/api/invitations': 'admin',
  'DELETE /dashboard/api/invitations/:id': 'admin',
  // Keys: viewers read (never a token: tokens come from create and rotate only), developers write.
  'GET /dashboard/api/api-keys': 'viewer',
  'GET /dashboard/api/api-keys/:id': 'viewer',
  'GET /dashboard/api/api-keys/:id/usage': 'viewer',
  'POST /dashboard/api/api-keys': 'developer',
  'PATCH /dashboard/api/api-keys/:id': 'developer',
  'POST /dashboard/api/api-keys/:id/rotate': 'developer',
  'DELETE /dashboard/api/api-keys/:id': 'developer',
  'GET /dashboard/api/domains': 'viewer',
  'GET /dashboard/api/domains/:id': 'viewer',
  'POST /dashboard/api/domains': 'developer',
  'POST /dashboard/api/domains/:id/verify': 'developer',
  'PATCH /dashboard/api/domains/:id': 'developer',
  'DELETE /dashboard/api/domains/:id': 'developer',
  'GET /dashboard/api/emails': 'viewer',
  'GET /dashboard/api/emails/:id': 'viewer',
  'GET /dashboard/api/emails/:id/raw': 'viewer',
  'GET /dashboard/api/emails/metrics': 'viewer',
  'GET /dashboard/api/usage': 'viewer',
  'GET /dashboard/api/organization': 'viewer',
  'GET /dashboard/api/audit-logs': 'viewer',
  'GET /dashboard/api/projects': 'viewer',
  // Suppressions: read by anyone, changed by those who may change domains.
  'GET /dashboard/api/webhooks': 'viewer',
  'GET /dashboard/api/webhooks/:id': 'viewer',
  'GET /dashboard/api/webhooks/:id/events': 'viewer',
  'GET /dashboard/api/webhooks/:id/events/:eventId': 'viewer',
  'GET /dashboard/api/webhooks/:id/events/:eventId/attempts': 'viewer',
  'POST /dashboard/api/webhooks': 'developer',
  'PATCH /dashboard/api/webhooks/:id': 'developer',
  'DELETE /dashboard/api/webhooks/:id': 'developer',
  'POST /dashboard/api/webhooks/:id/signing-secret/rotate': 'developer',
  'POST /dashboard/api/webhooks/:id/test': 'developer',
  'POST /dashboard/api/webhooks/:id/events/:eventId/replay': 'developer',
  // Templates: read (and previewed, which changes nothing) by anyone, changed by developers.
  'GET /dashboard/api/templates': 'viewer',
  'GET /dashboard/api/templates/:id': 'viewer',
  'POST /dashboard/api/templates/:id/render': 'viewer',
  'POST /dashboard/api/templates': 'developer',
  'PATCH /dashboard/api/templates/:id': 'developer',
  'DELETE /dashboard/api/templates/:id': 'developer',
  'POST /dashboard/api/templates/:id/publish': 'developer',
  'POST /dashboard/api/templates/:id/duplicate': 'developer',
  'GET /dashboard/api/suppressions': 'viewer',
  'GET /dashboard/api/suppressions/:id': 'viewer',
  'POST /dashboard/api/suppressions': 'developer',
  'DELETE /dashboard/api/suppressions/:id': 'developer',
  'POST /dashboard/api/suppressions/batch/add': 'developer',
  'POST /dashboard/api/suppressions/batch/remove': 'developer',
  // Organization settings: projects are made, renamed and deleted by owners and admins.
  'POST /dashboard/api/projects': 'admin',
  'PATCH /dashboard/api/projects/:id': 'admin',
  'DELETE /dashboard/api/projects/:id': 'admin',
};

const RANK: Record<MemberRole, number> = { owner: 3, admin: 2, developer: 1, viewer: 0 };
const SAME_ORIGIN = { origin: 'http://localhost:80', 'sec-fetch-site': 'same-origin' };
const routeKey = (r: { method: string; url: string }): string => `${r.method} ${r.url}`;

describe('role rules in the route catalogue', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext('pglite');
  });
  afterAll(async () => ctx?.close());

  it('every dashboard session route has a role rule here and declares its access', () => {
    const routes = ctx.app.routeCatalog.filter((r) => r.auth === 'session');
    const missing = routes.filter((r) => !(routeKey(r) in ROLE_RULES)).map(routeKey);
    expect(missing, 'session routes without a line in ROLE_RULES').toEqual([]);
    const undeclared = routes.filter((r) => typeof r.access !== 'string').map(routeKey);
    expect(undeclared, 'session routes that declare no access (config.access)').toEqual([]);
    const stale = Object.keys(ROLE_RULES).filter((key) => !routes.some((r) => routeKey(r) === key));
    expect(stale, 'rules for routes that do not exist').toEqual([]);
  });
});

for (const backend of BACKENDS) {
  describe(`role matrix (${backend})`, () => {
    let ctx: TestContext;
    let dns: TestDnsServer;
    let owner: Member;
    const members = new Map<MemberRole, Member>();

    beforeAll(async () => {
      dns = await startDns();
      ctx = await createTestContext(backend, { POSTGATE_DNS_SERVERS: dns.address, POSTGATE_MAX_KEYS_PER_ORG: '500' });
      owner = await memberOf(ctx.deps, 'roles');
      members.set('owner', owner);
      for (const role of ['admin', 'developer', 'viewer'] as const) {
        members.set(role, { org: owner.org, userId: (await memberIn(ctx.deps, owner.org, role)).userId });
      }
    });
    afterAll(async () => {
      await ctx?.close();
      await dns?.close();
    });

    const call = async (route: SessionRoute, member: Member) => {
      const url = route.makeResource ? route.url.replace(':id', await route.makeResource(ctx.deps, member.org)) : route.url;
      const s = await sessionFor(ctx.deps, member);
      const headers: Record<string, string> = { cookie: s.cookie, 'x-csrf-token': s.csrf, ...SAME_ORIGIN };
      if (route.body !== undefined) headers['content-type'] = 'application/json';
      return ctx.app.inject({ method: route.method, url, headers, ...(route.body === undefined ? {} : { payload: JSON.stringify(route.body) }) });
    };

    for (const route of SESSION_ROUTES) {
      const least = ROLE_RULES[routeKey(route)];
      if (!least) continue; // named by the catalogue test above
      for (const role of MEMBER_ROLES) {
        const allowed = RANK[role] >= RANK[least];
        it(`${routeKey(route)}: ${role} ${allowed ? 'is let through' : 'gets 403 insufficient_role'}`, async () => {
          const res = await call(route, members.get(role)!);
          if (allowed) {
            expect([401, 403], res.body).not.toContain(res.statusCode);
            expect(res.statusCode, res.body).toBeLessThan(500);
          } else {
            expect(res.statusCode, res.body).toBe(403);
            expect(res.json()).toMatchObject({ statusCode: 403, name: 'insufficient_role' });
          }
        });
      }
    }

    it('reads the role fresh: a promotion, a demotion and a removal apply to the very next request', async () => {
      const user = await memberIn(ctx.deps, owner.org, 'viewer');
      const member = { org: owner.org, userId: user.userId };
      const s = await sessionFor(ctx.deps, member);
      const headers = { cookie: s.cookie, 'x-csrf-token': s.csrf, ...SAME_ORIGIN, 'content-type': 'application/json' };
      const createKey = () => ctx.app.inject({ method: 'POST', url: '/dashboard/api/api-keys', headers, payload: JSON.stringify({ name: 'fresh' }) });
      const changeRole = (role: MemberRole) =>
        ctx.app.inject({
          method: 'PATCH',
          url: `/dashboard/api/members/${user.userId}`,
          headers: { ...headers, cookie: (ownerSession as { cookie: string }).cookie, 'x-csrf-token': (ownerSession as { csrf: string }).csrf },
          payload: JSON.stringify({ role }),
        });
      const ownerSession = await sessionFor(ctx.deps, owner);

      expect((await createKey()).statusCode).toBe(403);
      expect((await changeRole('developer')).statusCode).toBe(200);
      const created = await createKey();
      expect(created.statusCode, created.body).toBe(201);
      expect(created.json().token).toMatch(/^pgt_live_/);
      expect((await changeRole('viewer')).statusCode).toBe(200);
      expect((await createKey()).json().name).toBe('insufficient_role');
      const removed = await ctx.app.inject({
        method: 'DELETE',
        url: `/dashboard/api/members/${user.userId}`,
        headers: { cookie: ownerSession.cookie, 'x-csrf-token': ownerSession.csrf, ...SAME_ORIGIN },
      });
      expect(removed.statusCode).toBe(200);
      const after = await ctx.app.inject({ method: 'GET', url: '/dashboard/api/api-keys', headers: { cookie: s.cookie } });
      expect(after.statusCode).toBe(401);
    });
  });
}
