import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { sessions } from '../src/db/schema.js';
import { issueSetupCode } from '../src/modules/accounts/setup.js';
import { sha256Hex } from '../src/modules/accounts/secrets.js';
import { bearer, keyFor } from './factories.js';
import { BACKENDS, createTestContext, type TestContext } from './harness.js';
import { memberOf, runSessionMatrix, sessionFor, type Member } from './session-matrix.js';
import { SESSION_ROUTES } from './session-routes.js';

// The dashboard API over inject: sessions, CSRF, setup, sign-in throttling. The browser flow is
// in test/e2e/dashboard.test.ts.

const json = { 'content-type': 'application/json' };

/** An anonymous visitor: the CSRF cookie and token the sign-in and setup forms send. */
async function anonymous(ctx: TestContext): Promise<{ cookie: string; csrf: string }> {
  const res = await ctx.app.inject({ method: 'GET', url: '/dashboard/api/session' });
  const cookie = String(res.headers['set-cookie']).split(';')[0]!;
  return { cookie, csrf: res.json().csrf_token as string };
}

function setCookies(res: { headers: Record<string, unknown> }): string[] {
  const value = res.headers['set-cookie'];
  return Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)];
}

describe('session routes in the route catalogue', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext('pglite');
  });
  afterAll(async () => ctx?.close());

  it('every session route is in the session matrix, and the matrix lists no route that is not one', () => {
    const sessionRoutes = ctx.app.routeCatalog.filter((r) => r.auth === 'session');
    expect(sessionRoutes.length).toBeGreaterThan(10);
    for (const route of sessionRoutes) {
      expect(SESSION_ROUTES.some((s) => s.method === route.method && s.url === route.url), `${route.method} ${route.url}`).toBe(true);
    }
    for (const entry of SESSION_ROUTES) {
      const route = ctx.app.routeCatalog.find((r) => r.method === entry.method && r.url === entry.url);
      expect(route?.auth, `${entry.method} ${entry.url}`).toBe('session');
    }
  });

  it('every dashboard API route is a session route, except status, setup, sign-in and accepting an invitation', () => {
    const anonymousRoutes = ctx.app.routeCatalog.filter((r) => r.url.startsWith('/dashboard/api') && r.auth !== 'session');
    expect(anonymousRoutes.map((r) => `${r.method} ${r.url}`).sort()).toEqual([
      'GET /dashboard/api/session',
      'POST /dashboard/api/invitations/accept',
      'POST /dashboard/api/login',
      'POST /dashboard/api/login/two-factor',
      'POST /dashboard/api/setup',
    ]);
  });
});

for (const backend of BACKENDS) runSessionMatrix(backend, SESSION_ROUTES);

describe('dashboard sessions', () => {
  let ctx: TestContext;
  let member: Member;
  const password = 'a long enough password';

  beforeAll(async () => {
    ctx = await createTestContext('pglite', { TRUST_PROXY: '10.9.9.9' });
    member = await memberOf(ctx.deps, 'acme');
  });
  afterAll(async () => ctx?.close());

  const login = async (body: Record<string, string>, extra: Record<string, string> = {}, remoteAddress = '127.0.0.1') => {
    const anon = await anonymous(ctx);
    return ctx.app.inject({
      method: 'POST',
      url: '/dashboard/api/login',
      remoteAddress,
      headers: { ...json, cookie: anon.cookie, 'x-csrf-token': anon.csrf, ...extra },
      payload: JSON.stringify(body),
    });
  };

  it('signs in with a new HttpOnly, SameSite=Lax session cookie, stored only as a hash', async () => {
    const res = await login({ email: 'ACME@example.com ', password });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ user: { email: 'acme@example.com' }, organization: { id: member.org.id } });
    const cookie = setCookies(res).find((c) => c.startsWith('postgate_session='))!;
    expect(cookie).toMatch(/; Path=\/;/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
    const id = /postgate_session=([^;]+)/.exec(cookie)![1]!;
    const rows = await ctx.deps.database.db.select().from(sessions).where(eq(sessions.idHash, sha256Hex(id)));
    expect(rows).toHaveLength(1);
    const all = await ctx.deps.database.db.select().from(sessions);
    expect(all.some((r) => r.idHash === id)).toBe(false);
  });

  it('marks the cookie Secure when the request came over TLS (through a trusted proxy)', async () => {
    const res = await login({ email: 'acme@example.com', password }, { 'x-forwarded-proto': 'https', origin: 'https://localhost:80' }, '10.9.9.9');
    expect(res.statusCode, res.body).toBe(200);
    expect(setCookies(res).find((c) => c.startsWith('postgate_session='))).toMatch(/; Secure/);
  });

  it('rotates the session id at sign-in: the session the browser held before is ended', async () => {
    const before = await sessionFor(ctx.deps, member);
    const anon = await anonymous(ctx);
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/dashboard/api/login',
      headers: { ...json, cookie: `${anon.cookie}; ${before.cookie}`, 'x-csrf-token': anon.csrf },
      payload: JSON.stringify({ email: 'acme@example.com', password }),
    });
    expect(res.statusCode).toBe(200);
    const after = setCookies(res).find((c) => c.startsWith('postgate_session='))!.split(';')[0]!;
    expect(after).not.toBe(before.cookie);
    expect((await ctx.app.inject({ method: 'GET', url: '/dashboard/api/me', headers: { cookie: before.cookie } })).statusCode).toBe(401);
    expect((await ctx.app.inject({ method: 'GET', url: '/dashboard/api/me', headers: { cookie: after } })).statusCode).toBe(200);
  });

  it('refuses sign-in without the anonymous CSRF token or from another origin (403)', async () => {
    const anon = await anonymous(ctx);
    const body = JSON.stringify({ email: 'acme@example.com', password });
    for (const headers of [
      { cookie: anon.cookie },
      { 'x-csrf-token': anon.csrf },
      { cookie: anon.cookie, 'x-csrf-token': 'x'.repeat(43) },
      { cookie: anon.cookie, 'x-csrf-token': anon.csrf, origin: 'https://evil.example' },
      { cookie: anon.cookie, 'x-csrf-token': anon.csrf, 'sec-fetch-site': 'cross-site' },
    ]) {
      const res = await ctx.app.inject({ method: 'POST', url: '/dashboard/api/login', headers: { ...json, ...headers }, payload: body });
      expect(res.statusCode, JSON.stringify(headers)).toBe(403);
    }
  });

  it('signs out on the server: the cookie is cleared and the old id is worthless', async () => {
    const s = await sessionFor(ctx.deps, member);
    const res = await ctx.app.inject({ method: 'POST', url: '/dashboard/api/logout', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf } });
    expect(res.statusCode).toBe(200);
    expect(setCookies(res).find((c) => c.startsWith('postgate_session='))).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/);
    expect((await ctx.app.inject({ method: 'GET', url: '/dashboard/api/me', headers: { cookie: s.cookie } })).statusCode).toBe(401);
  });

  it('changes nothing on GET: there is no GET sign-out, and GETs need no token', async () => {
    const s = await sessionFor(ctx.deps, member);
    const getLogout = await ctx.app.inject({ method: 'GET', url: '/dashboard/api/logout', headers: { cookie: s.cookie } });
    expect(getLogout.statusCode).toBe(405);
    expect(getLogout.headers.allow).toBe('POST');
    expect((await ctx.app.inject({ method: 'GET', url: '/dashboard/api/me', headers: { cookie: s.cookie } })).statusCode).toBe(200);
  });

  it('never takes a session cookie as an API key, nor an API key as a session', async () => {
    const s = await sessionFor(ctx.deps, member);
    for (const url of ['/whoami', '/api-keys', '/domains']) {
      const res = await ctx.app.inject({ method: 'GET', url, headers: { cookie: s.cookie } });
      expect(res.statusCode, url).toBe(401);
      expect(res.json().name).toBe('missing_api_key');
    }
    const key = await keyFor(ctx.deps, member.org, { name: 'k' });
    expect((await ctx.app.inject({ method: 'GET', url: '/dashboard/api/me', headers: bearer(key.token) })).statusCode).toBe(401);
  });

  it('throttles sign-in: the fifth wrong password is a 429 with Retry-After, per account and address', async () => {
    const email = 'acme@example.com';
    for (let i = 1; i <= 4; i++) {
      const res = await login({ email, password: `wrong ${i}` }, {}, '10.0.0.5');
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ statusCode: 401, name: 'invalid_credentials', message: 'Wrong email or password' });
    }
    const fifth = await login({ email, password: 'wrong 5' }, {}, '10.0.0.5');
    expect(fifth.statusCode).toBe(429);
    expect(fifth.json().name).toBe('too_many_auth_failures');
    expect(Number(fifth.headers['retry-after'])).toBeGreaterThan(0);
    // The right password from that address waits too; the owner elsewhere does not.
    expect((await login({ email, password }, {}, '10.0.0.5')).statusCode).toBe(429);
    expect((await login({ email, password }, {}, '10.0.0.6')).statusCode).toBe(200);
    // After the window, the address may try again.
    ctx.clock.advance(15 * 60 * 1000 + 1000);
    expect((await login({ email, password }, {}, '10.0.0.5')).statusCode).toBe(200);
  });

  it('answers an unknown email like a wrong password', async () => {
    const res = await login({ email: 'nobody@example.com', password: 'whatever it is' }, {}, '10.0.0.7');
    expect(res.json()).toEqual({ statusCode: 401, name: 'invalid_credentials', message: 'Wrong email or password' });
  });
});

describe('dashboard setup', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext('pglite');
  });
  afterAll(async () => ctx?.close());

  const setup = async (body: Record<string, string>) => {
    const anon = await anonymous(ctx);
    return ctx.app.inject({
      method: 'POST',
      url: '/dashboard/api/setup',
      headers: { ...json, cookie: anon.cookie, 'x-csrf-token': anon.csrf },
      payload: JSON.stringify(body),
    });
  };
  const owner = { email: 'owner@example.com', password: 'a long enough password', organization_name: 'Acme' };

  it('asks for setup on an empty install, takes only the printed code, then signs the owner in', async () => {
    const code = (await issueSetupCode({ db: ctx.deps.database.db, clock: ctx.deps.clock }))!;
    expect(code).toMatch(/^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/);
    expect((await ctx.app.inject({ method: 'GET', url: '/dashboard/api/session' })).json().setup_required).toBe(true);

    const wrong = await setup({ ...owner, setup_code: 'AAAAA-AAAAA-AAAAA-AAAAA' });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.json().message).toMatch(/^setup_code: /);
    const weak = await setup({ ...owner, password: 'short', setup_code: code });
    expect(weak.statusCode).toBe(422);
    expect(weak.json().message).toMatch(/^password: /);

    const res = await setup({ ...owner, setup_code: code.toLowerCase().replaceAll('-', ' ') });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ user: { email: owner.email }, organization: { name: 'Acme', plan: 'free' } });
    const cookie = setCookies(res).find((c) => c.startsWith('postgate_session='))!.split(';')[0]!;
    const keys = await ctx.app.inject({ method: 'GET', url: '/dashboard/api/api-keys', headers: { cookie } });
    expect(keys.json()).toEqual({ object: 'list', has_more: false, data: [] });

    expect((await ctx.app.inject({ method: 'GET', url: '/dashboard/api/session' })).json().setup_required).toBe(false);
    const again = await setup({ ...owner, email: 'second@example.com', setup_code: code });
    expect(again.statusCode).toBe(409);
    expect(await issueSetupCode({ db: ctx.deps.database.db, clock: ctx.deps.clock })).toBeUndefined();
  });
});

describe('the dashboard page', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext('pglite');
  });
  afterAll(async () => ctx?.close());

  it('is served at / with a strict Content-Security-Policy and no framing', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/' });
    // 503 with an explanation when the build is missing (a checkout before npm install).
    expect([200, 503]).toContain(res.statusCode);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toMatch(/script-src 'self'; .*frame-ancestors 'none'/);
    expect(res.headers['x-frame-options']).toBe('DENY');
  });

  it('serves nothing outside the build directory', async () => {
    for (const url of ['/assets/../../package.json', '/assets/%2e%2e/%2e%2e/package.json', '/assets/..%2f..%2fpackage.json', '/index.html']) {
      const res = await ctx.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.body, url).not.toContain('"dependencies"');
    }
  });
});
