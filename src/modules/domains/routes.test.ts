import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, validatorCompiler } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAuth } from '../../http/plugins/auth.js';
import { registerErrorHandling } from '../../http/plugins/errors.js';
import { domainRoutes } from '../../http/routes/domains.js';
import { bearer, keyFor, orgWithKey, type OrgFixture } from '../../../test/factories.js';
import { start, type TestDnsServer } from '../../../test/dns-server.js';
import { createTestContext, type TestContext } from '../../../test/harness.js';
import type { DomainObject } from './schemas.js';

// The HTTP edge of the domain routes, on an app of their own with the real auth and error
// plugins (buildApp registers the routes separately). Service behaviour is in service.test.ts.

describe('domain routes', () => {
  let dns: TestDnsServer;
  let ctx: TestContext;
  let app: FastifyInstance;
  let owner: OrgFixture;

  beforeAll(async () => {
    dns = await start();
    ctx = await createTestContext('pglite', { POSTGATE_DNS_SERVERS: dns.address });
    app = Fastify();
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(() => (data) => JSON.stringify(data));
    registerErrorHandling(app);
    registerAuth(app, ctx.deps);
    await app.register(fastifySwagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: 'test', version: '0' },
        components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      },
      transform: jsonSchemaTransform,
    });
    domainRoutes(app, ctx.deps);
    await app.ready();
    owner = await orgWithKey(ctx.deps, 'routes');
  });
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
    await dns?.close();
  });

  const post = (url: string, token: string, body?: unknown) =>
    app.inject({
      method: 'POST',
      url,
      headers: body === undefined ? bearer(token) : { ...bearer(token), 'content-type': 'application/json' },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });

  it('creates a domain (201) with the Resend SDK fields region and custom_return_path', async () => {
    const res = await post('/domains', owner.token, { name: 'Http.Example.com', region: 'eu-west-1', custom_return_path: 'Bounces' });
    expect(res.statusCode).toBe(201);
    const domain = res.json() as DomainObject;
    expect(domain).toMatchObject({ object: 'domain', name: 'http.example.com', status: 'not_started', region: 'eu-west-1', custom_return_path: 'bounces' });
    expect(domain.records.map((r) => r.record)).toEqual(['Verification', 'DKIM', 'SPF']);
    expect(res.body).not.toMatch(/private/i);
  });

  it('refuses unknown fields and bad names with 422 validation_error naming the field', async () => {
    let res = await post('/domains', owner.token, { name: 'x.example.com', nameservers: 'Cloudflare' });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ name: 'validation_error', message: expect.stringMatching(/^nameservers: unknown field/) });
    res = await post('/domains', owner.token, { name: 'under_score.example.com' });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ name: 'validation_error', message: expect.stringMatching(/^name: /) });
    res = await post('/domains', owner.token, {});
    expect(res.statusCode).toBe(422);
  });

  it('verifies through the configured DNS servers with no request body (as the Resend SDK sends it)', async () => {
    const domain = (await post('/domains', owner.token, { name: 'verify.example.com' })).json() as DomainObject;
    for (const record of domain.records.filter((r) => r.required)) dns.setTxt(record.name, [record.value]);
    const res = await post(`/domains/${domain.id}/verify`, owner.token);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: domain.id, status: 'verified' });
    expect((await post(`/domains/${domain.id}/verify`, owner.token, {})).statusCode).toBe(200);
    expect((await post(`/domains/${domain.id}/verify`, owner.token, { force: true })).statusCode).toBe(422);
    const fetched = await app.inject({ method: 'GET', url: `/domains/${domain.id}`, headers: bearer(owner.token) });
    expect(fetched.json()).toMatchObject({ id: domain.id, status: 'verified' });
  });

  it('lists, reads and deletes; a read-only key can read but not write', async () => {
    const reader = await keyFor(ctx.deps, owner.org, { name: 'reader', permission: 'custom', scopes: ['domains:read'] });
    ctx.clock.advance(1_000); // ids order by creation time: be the newest
    const domain = (await post('/domains', owner.token, { name: 'list.example.com' })).json() as DomainObject;
    const list = await app.inject({ method: 'GET', url: '/domains?limit=1', headers: bearer(reader.token) });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({ object: 'list', has_more: true, data: [{ id: domain.id }] });
    expect((await post('/domains', reader.token, { name: 'nope.example.com' })).statusCode).toBe(403);
    expect((await post(`/domains/${domain.id}/verify`, reader.token)).statusCode).toBe(403);
    expect((await app.inject({ method: 'DELETE', url: `/domains/${domain.id}`, headers: bearer(reader.token) })).statusCode).toBe(403);
    const deleted = await app.inject({ method: 'DELETE', url: `/domains/${domain.id}`, headers: bearer(owner.token) });
    expect(deleted.json()).toEqual({ object: 'domain', id: domain.id, deleted: true });
    const gone = await app.inject({ method: 'GET', url: `/domains/${domain.id}`, headers: bearer(reader.token) });
    expect(gone.statusCode).toBe(404);
  });

  it('describes every route in the OpenAPI document, with no private key field', () => {
    const doc = app.swagger() as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/domains'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/domains/{id}'] ?? {}).sort()).toEqual(['delete', 'get', 'patch']);
    expect(Object.keys(doc.paths['/domains/{id}/verify'] ?? {})).toEqual(['post']);
    expect(JSON.stringify(doc)).not.toMatch(/private/i);
  });

  it("answers 404 for another organization's domain", async () => {
    const other = await orgWithKey(ctx.deps, 'other');
    const domain = (await post('/domains', owner.token, { name: 'mine.example.com' })).json() as DomainObject;
    expect((await app.inject({ method: 'GET', url: `/domains/${domain.id}`, headers: bearer(other.token) })).statusCode).toBe(404);
    expect((await post(`/domains/${domain.id}/verify`, other.token)).statusCode).toBe(404);
  });
});
