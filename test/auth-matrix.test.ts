import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAuthMatrix } from './auth-matrix.js';
import { BACKENDS, createTestContext, type TestContext } from './harness.js';
import { MATRIX_ROUTES } from './routes.js';
import { SESSION_ROUTES } from './session-routes.js';

describe('route catalogue', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext('pglite');
  });
  afterAll(async () => ctx?.close());

  it('every route declares its auth, and every authenticated route is in the auth matrix', () => {
    const routes = ctx.app.routeCatalog;
    expect(routes.length).toBeGreaterThan(5);
    for (const route of routes) {
      expect(route.auth, `${route.method} ${route.url}`).toBeDefined();
      if (route.auth === 'public') continue;
      // Dashboard routes take a session, never a key: the session matrix (dashboard-api.test.ts) covers them.
      if (route.auth === 'session') {
        const covered = SESSION_ROUTES.some((s) => s.method === route.method && s.url === route.url);
        expect(covered, `${route.method} ${route.url} is not in test/session-routes.ts`).toBe(true);
        continue;
      }
      const entry = MATRIX_ROUTES.find((m) => m.method === route.method && m.url === route.url);
      expect(entry, `${route.method} ${route.url} is not in test/routes.ts`).toBeDefined();
      expect(entry!.auth).toEqual(route.auth);
    }
  });

  it('the OpenAPI document describes every route', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\.1/);
    for (const route of ctx.app.routeCatalog) {
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      expect(doc.paths[path]?.[route.method.toLowerCase()], `${route.method} ${route.url}`).toBeDefined();
    }
  });
});

for (const backend of BACKENDS) runAuthMatrix(backend, MATRIX_ROUTES);
