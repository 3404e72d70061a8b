import { Resend } from 'resend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operator, type Actor } from '../src/modules/api-keys/principal.js';
import { keyFor, orgWithKey, type OrgFixture } from './factories.js';
import { BACKENDS, createTestContext, type TestContext } from './harness.js';

// Templates end to end: the unmodified `resend` SDK against a listening server, in Resend's
// shapes; what sending will use is read through publishedForSending, the service POST /emails
// calls.

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

for (const backend of BACKENDS) {
  describe(`templates API (${backend})`, () => {
    let ctx: TestContext;
    let acme: OrgFixture;
    let other: OrgFixture;
    let resend: Resend;
    let baseUrl: string;
    let acmeActor: Actor;

    beforeAll(async () => {
      ctx = await createTestContext(backend);
      acme = await orgWithKey(ctx.deps, 'acme');
      other = await orgWithKey(ctx.deps, 'other');
      acmeActor = operator(acme.org.id, acme.org.default_project_id);
      baseUrl = await ctx.app.listen({ port: 0, host: '127.0.0.1' });
      process.env.RESEND_BASE_URL = baseUrl;
      resend = new Resend(acme.token);
    });
    afterAll(async () => {
      delete process.env.RESEND_BASE_URL;
      await ctx?.close();
    });

    /** A request the SDK has no method for (render), or a body it would never send. */
    const call = async (method: string, path: string, body?: unknown, token = acme.token): Promise<{ status: number; json: Record<string, unknown> }> => {
      const res = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };

    it('creates, reads by id and alias, lists, updates, publishes, duplicates and removes through the SDK', async () => {
      const created = await resend.templates.create({
        name: 'order-confirmation',
        alias: 'order-confirmation',
        from: 'Acme Store <store@acme.example>',
        replyTo: 'help@acme.example',
        subject: 'Your order of {{{PRODUCT}}}',
        html: '<p>Name: {{{PRODUCT}}}</p><p>Total: {{{PRICE}}}</p>',
        text: 'Name: {{{PRODUCT}}} Total: {{{PRICE}}}',
        variables: [
          { key: 'PRODUCT', type: 'string', fallbackValue: 'item' },
          { key: 'PRICE', type: 'number', fallbackValue: 25 },
        ],
      });
      expect(created.error).toBeNull();
      expect(created.data).toEqual({ id: expect.stringMatching(/^tmpl_/), object: 'template' });
      const id = created.data!.id;

      const got = await resend.templates.get(id);
      expect(got.error).toBeNull();
      expect(got.data).toEqual({
        object: 'template',
        id,
        name: 'order-confirmation',
        alias: 'order-confirmation',
        status: 'draft',
        published_at: null,
        created_at: expect.stringMatching(ISO),
        updated_at: expect.stringMatching(ISO),
        current_version_id: expect.stringMatching(/^tmplv_/),
        has_unpublished_versions: false,
        subject: 'Your order of {{{PRODUCT}}}',
        html: '<p>Name: {{{PRODUCT}}}</p><p>Total: {{{PRICE}}}</p>',
        text: 'Name: {{{PRODUCT}}} Total: {{{PRICE}}}',
        from: 'Acme Store <store@acme.example>',
        reply_to: ['help@acme.example'],
        variables: [
          { key: 'PRODUCT', type: 'string', fallback_value: 'item', created_at: expect.stringMatching(ISO), updated_at: expect.stringMatching(ISO) },
          { key: 'PRICE', type: 'number', fallback_value: 25, created_at: expect.stringMatching(ISO), updated_at: expect.stringMatching(ISO) },
        ],
      });
      expect((await resend.templates.get('order-confirmation')).data).toEqual(got.data);

      const listed = await resend.templates.list({ limit: 100 });
      expect(listed.data).toMatchObject({ object: 'list', has_more: false });
      expect(listed.data!.data.find((t) => t.id === id)).toEqual({
        id,
        name: 'order-confirmation',
        alias: 'order-confirmation',
        status: 'draft',
        published_at: null,
        created_at: got.data!.created_at,
        updated_at: got.data!.updated_at,
      });

      const updated = await resend.templates.update(id, { name: 'order', replyTo: ['a@acme.example', 'B <b@acme.example>'] });
      expect(updated.data).toEqual({ id, object: 'template' });
      expect((await resend.templates.get(id)).data).toMatchObject({ name: 'order', reply_to: ['a@acme.example', 'B <b@acme.example>'] });

      expect((await resend.templates.publish('order-confirmation')).data).toEqual({ id, object: 'template' });
      const published = (await resend.templates.get(id)).data!;
      expect(published).toMatchObject({ status: 'published', published_at: expect.stringMatching(ISO), has_unpublished_versions: false });

      const copy = await resend.templates.duplicate(id);
      expect(copy.data).toEqual({ id: expect.stringMatching(/^tmpl_/), object: 'template' });
      expect((await resend.templates.get(copy.data!.id)).data).toMatchObject({ name: 'order (copy)', alias: null, status: 'draft', html: published.html });

      expect((await resend.templates.remove(id)).data).toEqual({ object: 'template', id, deleted: true });
      expect((await resend.templates.get(id)).error).toMatchObject({ statusCode: 404, name: 'not_found' });
      expect((await resend.templates.get('order-confirmation')).error).toMatchObject({ statusCode: 404 });
    });

    it('chains create().publish() and duplicate().publish() as the SDK offers', async () => {
      const published = await resend.templates.create({ name: 'chained', html: '<p>Hello</p>' }).publish();
      expect(published.error).toBeNull();
      expect((await resend.templates.get(published.data!.id)).data?.status).toBe('published');
      const copy = await resend.templates.duplicate(published.data!.id).publish();
      expect(copy.data!.id).not.toBe(published.data!.id);
      expect((await resend.templates.get(copy.data!.id)).data?.status).toBe('published');
    });

    it('keeps sending the published version while the draft is edited, until the next publish', async () => {
      const created = await resend.templates.create({ name: 'welcome', alias: 'welcome', subject: 'Welcome', html: '<h1>Hi {{{NAME}}}</h1>', variables: [{ key: 'NAME', type: 'string', fallbackValue: 'there' }] });
      await resend.templates.publish('welcome');
      const v1 = await ctx.deps.services.templates.publishedForSending(acmeActor, 'welcome');
      expect(v1).toMatchObject({ templateId: created.data!.id, subject: 'Welcome', html: '<h1>Hi {{{NAME}}}</h1>' });

      await resend.templates.update('welcome', { subject: 'Welcome aboard', html: '<h1>Hello {{{NAME}}}!</h1>' });
      expect((await resend.templates.get('welcome')).data).toMatchObject({ has_unpublished_versions: true, subject: 'Welcome aboard', current_version_id: v1.versionId });
      expect(await ctx.deps.services.templates.publishedForSending(acmeActor, 'welcome')).toEqual(v1);

      await resend.templates.publish('welcome');
      const v2 = await ctx.deps.services.templates.publishedForSending(acmeActor, 'welcome');
      expect(v2).toMatchObject({ subject: 'Welcome aboard', html: '<h1>Hello {{{NAME}}}!</h1>' });
      expect(v2.versionId).not.toBe(v1.versionId);
      expect((await resend.templates.get('welcome')).data).toMatchObject({ has_unpublished_versions: false, current_version_id: v2.versionId });
    });

    it('renders with values escaped in html and raw in text, and falls back', async () => {
      const created = await resend.templates.create({
        name: 'render',
        subject: 'For {{{NAME}}}',
        html: '<p>{{{NAME}}} ({{{CITY}}})</p>',
        text: '{{{NAME}}} ({{{CITY}}})',
        variables: [
          { key: 'NAME', type: 'string' },
          { key: 'CITY', type: 'string', fallbackValue: 'Paris' },
        ],
      });
      const id = created.data!.id;
      const script = '<script>alert("pwned")</script>';
      const rendered = await call('POST', `/templates/${id}/render`, { variables: { NAME: script } });
      expect(rendered).toEqual({
        status: 200,
        json: {
          subject: `For ${script}`,
          html: '<p>&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; (Paris)</p>',
          text: `${script} (Paris)`,
        },
      });

      const missing = await call('POST', `/templates/${id}/render`, { variables: { CITY: 'Rome' } });
      expect(missing).toMatchObject({ status: 422, json: { name: 'validation_error', field: 'variables.NAME' } });
      expect(missing.json.message).toMatch(/NAME: is missing/);
      const undeclared = await call('POST', `/templates/${id}/render`, { variables: { NAME: 'a', ROLE: 'admin' } });
      expect(undeclared).toMatchObject({ status: 422, json: { field: 'variables.ROLE' } });
    });

    it('refuses undeclared variables, malformed tags and reserved keys with 422 naming them', async () => {
      const undeclared = await resend.templates.create({ name: 'bad', html: '<p>{{{NAME}}}</p>\n<p>{{{CITY}}}</p>', variables: [{ key: 'NAME', type: 'string' }] });
      expect(undeclared.error).toMatchObject({ statusCode: 422, name: 'validation_error' });
      expect(undeclared.error!.message).toBe('html: variable CITY at line 2, column 4 (offset 21) is not declared: add it to variables');

      const open = await resend.templates.create({ name: 'bad', subject: 'Hi {{{NAME', html: '<p>x</p>' });
      expect(open.error?.message).toMatch(/^subject: "\{\{\{" at line 1, column 4 \(offset 3\) is never closed/);

      const reserved = await call('POST', '/templates', { name: 'bad', html: 'x', variables: [{ key: 'EMAIL', type: 'string' }] });
      expect(reserved).toMatchObject({ status: 422, json: { field: 'variables[0].key' } });

      const { data } = await resend.templates.create({ name: 'fine', html: '<p>{{{NAME}}}</p>', variables: [{ key: 'NAME', type: 'string' }] });
      const broken = await resend.templates.update(data!.id, { text: 'Hello {{{SURNAME}}}' });
      expect(broken.error).toMatchObject({ statusCode: 422 });
      expect(broken.error!.message).toMatch(/^text: variable SURNAME/);
    });

    it('refuses fields it does not take (mass assignment) and a body on publish', async () => {
      const forged = await call('POST', '/templates', { name: 'x', html: 'x', status: 'published', organization_id: other.org.id });
      expect(forged).toMatchObject({ status: 422, json: { name: 'validation_error' } });
      const { data } = await resend.templates.create({ name: 'plain', html: 'x' });
      expect(await call('PATCH', `/templates/${data!.id}`, { published_at: new Date().toISOString() })).toMatchObject({ status: 422 });
      expect(await call('POST', `/templates/${data!.id}/publish`, { version: 'v0' })).toMatchObject({ status: 422 });
      expect((await resend.templates.get(data!.id)).data?.status).toBe('draft');
    });

    it("answers another organization's or project's template with 404, by id and by alias", async () => {
      const { data } = await resend.templates.create({ name: 'secret', alias: 'secret', html: 'x' });
      const outsider = new Resend(other.token);
      for (const ref of [data!.id, 'secret']) {
        expect((await outsider.templates.get(ref)).error).toMatchObject({ statusCode: 404, name: 'not_found' });
        expect((await outsider.templates.update(ref, { name: 'mine' })).error).toMatchObject({ statusCode: 404 });
        expect((await outsider.templates.publish(ref)).error).toMatchObject({ statusCode: 404 });
        expect((await outsider.templates.duplicate(ref)).error).toMatchObject({ statusCode: 404 });
        expect((await outsider.templates.remove(ref)).error).toMatchObject({ statusCode: 404 });
      }
      expect((await outsider.templates.list()).data?.data).toEqual([]);

      const project = await ctx.deps.services.projects.create(acmeActor, 'elsewhere');
      const elsewhere = new Resend((await ctx.deps.services.apiKeys.create(operator(acme.org.id, project.id), { name: 'elsewhere' })).token);
      expect((await elsewhere.templates.get(data!.id)).error).toMatchObject({ statusCode: 404 });
      expect((await elsewhere.templates.get('secret')).error).toMatchObject({ statusCode: 404 });
      // Aliases are unique per project: the other project may use the same one.
      expect((await elsewhere.templates.create({ name: 'mine', alias: 'secret', html: 'y' })).error).toBeNull();
      expect((await resend.templates.create({ name: 'again', alias: 'secret', html: 'z' })).error).toMatchObject({ statusCode: 422, field: 'alias' });
      expect((await resend.templates.get('secret')).data?.name).toBe('secret');
    });

    it('needs templates:read to read and templates:write to change', async () => {
      const reader = new Resend((await keyFor(ctx.deps, acme.org, { name: 'reader', permission: 'custom', scopes: ['templates:read'] })).token);
      const { data } = await resend.templates.create({ name: 'scoped', html: 'x' });
      expect((await reader.templates.get(data!.id)).error).toBeNull();
      expect((await reader.templates.update(data!.id, { name: 'no' })).error).toMatchObject({ statusCode: 403, name: 'insufficient_scope' });
      expect((await reader.templates.create({ name: 'no', html: 'x' })).error).toMatchObject({ statusCode: 403 });
    });
  });
}
