import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from './harness.js';

// The API reference at /docs: Swagger UI over the same OpenAPI document as /openapi.json, served
// without a key, and every operation naming the scope it needs and the codes it can answer.

type Operation = { description?: string; security?: unknown[]; 'x-scope'?: string; 'x-error-codes'?: string[] };
type OpenApi = { openapi: string; paths: Record<string, Record<string, Operation>> };

describe('API reference (/docs)', () => {
  let ctx: TestContext;
  let doc: OpenApi;
  beforeAll(async () => {
    ctx = await createTestContext('pglite');
    const res = await ctx.app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    doc = res.json() as OpenApi;
  });
  afterAll(async () => ctx?.close());

  it('serves the Swagger UI page and its files without a key', async () => {
    const page = await ctx.app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('swagger-ui');
    // Its own policy, without upgrade-insecure-requests (it would break the page over plain HTTP).
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    const initializer = await ctx.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    expect(initializer.statusCode).toBe(200);
    const bundle = await ctx.app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' });
    expect(bundle.statusCode).toBe(200);
  });

  it('serves the OpenAPI document at /docs/json, the same as /openapi.json', async () => {
    expect(doc.openapi).toMatch(/^3\.1/);
    const plain = await ctx.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(plain.json()).toEqual(doc);
  });

  it("gives every key route its scope and error codes, and says who may read /metrics", () => {
    const logs = doc.paths['/logs']!.get!;
    expect(logs['x-scope']).toBe('audit:read');
    expect(logs.description).toContain('**Scope:** `audit:read`');
    expect(logs['x-error-codes']).toEqual(expect.arrayContaining(['missing_api_key', 'invalid_api_key', 'insufficient_scope', 'rate_limit_exceeded', 'validation_error']));
    expect(logs.security).toEqual([{ bearerAuth: [] }]);
    const oneLog = doc.paths['/logs/{id}']!.get!;
    expect(oneLog['x-error-codes']).toContain('not_found');
    expect(oneLog.description).toContain('`not_found` (404)');
    const send = doc.paths['/emails']!.post!;
    expect(send['x-scope']).toBe('emails:send');
    expect(send['x-error-codes']).toEqual(expect.arrayContaining(['invalid_json', 'payload_too_large', 'validation_error']));
    expect(doc.paths['/whoami']!.get!['x-scope']).toBe('any valid key');
    const metrics = doc.paths['/metrics']!.get!;
    expect(metrics['x-scope']).toBeUndefined();
    expect(metrics['x-error-codes']).toEqual(expect.arrayContaining(['invalid_metrics_token', 'not_found']));
    // Every documented operation lists its codes (public ones may have none).
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(methods)) expect(operation['x-error-codes'], `${method} ${path}`).toBeDefined();
    }
  });

  it('keeps the reference out of the route catalogue and the API routes in it', () => {
    const urls = ctx.app.routeCatalog.map((route) => route.url);
    expect(urls.some((url) => url.startsWith('/docs'))).toBe(false);
    expect(urls).toEqual(expect.arrayContaining(['/logs', '/logs/:id', '/metrics']));
  });
});
