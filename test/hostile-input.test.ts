import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/lib/logger.js';
import { countRows, emailBody } from './email-fixtures.js';
import { bearer, domainFor, orgWithKey, type OrgFixture } from './factories.js';
import { BACKENDS, createTestContext, type TestContext } from './harness.js';

// Input PostgreSQL cannot store, URLs that cannot be decoded, prototype keys and forged trust
// headers (SECURITY.md): each gets a catalogue code naming what was wrong, never a 500, changes
// nothing, and leaves nothing of itself in the log.

for (const backend of BACKENDS) {
  describe(`hostile input (${backend})`, () => {
    let ctx: TestContext;
    let acme: OrgFixture;
    const logged: string[] = [];

    beforeAll(async () => {
      const destination = new Writable({ write: (chunk: Buffer, _encoding, done) => (logged.push(chunk.toString()), done()) });
      ctx = await createTestContext(backend, {}, { logger: createLogger({ level: 'info', destination }) });
      acme = await orgWithKey(ctx.deps, 'acme');
      await domainFor(ctx.deps, acme.org, 'a.acme.test');
    });
    afterAll(async () => ctx?.close());

    const request = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: string) =>
      ctx.app.inject({
        method,
        url,
        headers: body === undefined ? bearer(acme.token) : { ...bearer(acme.token), 'content-type': 'application/json' },
        ...(body === undefined ? {} : { payload: body }),
      });
    const footprint = async () => ({
      emails: await countRows(ctx.deps, 'emails'),
      keys: (await request('GET', '/api-keys?limit=100')).json().data.length as number,
    });

    it('refuses NUL in any string field or parameter with 422 naming it, storing nothing', async () => {
      const before = await footprint();
      const email = (extra: Record<string, unknown>) => JSON.stringify(emailBody('a@a.acme.test', extra));
      const cases: [method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body: string | undefined, field: string][] = [
        ['POST', '/emails', email({ text: 'a\u0000b' }), 'text'],
        ['POST', '/emails', email({ html: '<p>a\u0000b</p>' }), 'html'],
        ['POST', '/emails', email({ subject: 'hi\u0000' }), 'subject'],
        ['POST', '/emails', email({ to: ['ok@example.net', 'x\u0000@example.net'] }), 'to[1]'],
        ['POST', '/emails', email({ headers: { 'X-Ref': 'a\u0000' } }), 'headers.X-Ref'],
        ['POST', '/emails', email({ text: 'lone \ud800 surrogate' }), 'text'],
        ['POST', '/emails/batch', `[${email({})},${email({ text: '\u0000' })}]`, '[1].text'],
        ['POST', '/api-keys', JSON.stringify({ name: 'k\u0000' }), 'name'],
        ['POST', '/domains', JSON.stringify({ name: 'x\u0000.example.com' }), 'name'],
        ['GET', '/emails?after=%00', undefined, 'querystring.after'],
        ['GET', '/api-keys?before=%00', undefined, 'querystring.before'],
        ['GET', '/api-keys/%00', undefined, 'params.id'],
        ['PATCH', '/api-keys/key_%00', JSON.stringify({ name: 'x' }), 'params.id'],
        ['DELETE', '/api-keys/%00', undefined, 'params.id'],
        ['POST', '/api-keys/%00/rotate', undefined, 'params.id'],
        ['GET', '/api-keys/%00/usage', undefined, 'params.id'],
        ['GET', '/emails/%00', undefined, 'params.id'],
        ['GET', '/domains/%00', undefined, 'params.id'],
        ['POST', '/domains/%00/verify', undefined, 'params.id'],
        ['DELETE', '/domains/%00', undefined, 'params.id'],
      ];
      for (const [method, url, body, field] of cases) {
        const res = await request(method, url, body);
        expect(res.statusCode, `${method} ${url} ${body ?? ''}`).toBe(422);
        expect(res.json()).toMatchObject({ name: 'validation_error', message: expect.stringMatching(new RegExp(`^${field.replace(/[[\].]/g, '\\$&')}: `)) });
      }
      expect(await footprint()).toEqual(before);
    });

    it('answers undecodable URLs, prototype keys and bad paths with catalogue codes', async () => {
      const badUrl = await request('GET', '/api-keys/key_%ff');
      expect(badUrl.statusCode).toBe(400);
      expect(badUrl.json()).toMatchObject({ statusCode: 400, name: 'invalid_url' });
      const asset = await ctx.app.inject({ method: 'GET', url: '/assets/%00' });
      expect(asset.statusCode).toBe(422);
      expect(asset.json().name).toBe('validation_error');
      const proto = await request('POST', '/api-keys', '{"name":"p","__proto__":{"admin":true}}');
      expect(proto.statusCode).toBe(422);
      expect(proto.json()).toMatchObject({ name: 'validation_error', message: expect.stringMatching(/^__proto__: /) });
      const notJson = await request('POST', '/api-keys', '{"name":');
      expect(notJson.json().name).toBe('invalid_json');
    });

    it('refuses forged trust headers among custom headers (422 naming the header)', async () => {
      for (const header of ['Resent-From', 'Resent-Sender', 'Authentication-Results', 'ARC-Seal', 'ARC-Authentication-Results', 'Received-SPF', 'Received']) {
        const res = await request('POST', '/emails', JSON.stringify(emailBody('a@a.acme.test', { headers: { [header]: 'x' } })));
        expect(res.statusCode, header).toBe(422);
        expect(res.json().message).toMatch(new RegExp(`^headers\\.${header}: is set by Postgate`));
      }
      const allowed = await request('POST', '/emails', JSON.stringify(emailBody('a@a.acme.test', { headers: { 'X-Entity-Ref-ID': 'ok' } })));
      expect(allowed.statusCode).toBe(200);
    });

    it('never answered 500, and logged no error', () => {
      const lines = logged.join('');
      expect(lines).not.toMatch(/"statusCode":500/);
      expect(lines).not.toMatch(/"level":50/);
      expect(lines).not.toContain('params:');
    });
  });
}
