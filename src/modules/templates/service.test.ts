import { and, eq, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../db/schema.js';
import { templateVersions } from '../../db/schema-templates.js';
import { operator, type Actor } from '../api-keys/principal.js';
import { createOrganization } from '../organizations/service.js';
import { createProjectService } from '../projects/service.js';
import { appErrorOf, FIRST_PAGE } from '../../../test/app-errors.js';
import { BACKENDS, createTestContext, type TestContext } from '../../../test/harness.js';
import type { CreateTemplateInput } from './schemas.js';
import { createTemplateService, type TemplateService } from './service.js';



const ORDER: CreateTemplateInput = {
  name: 'order',
  subject: 'Order {{{ORDER}}}',
  html: '<p>Hi {{{NAME}}}, order {{{ORDER}}}</p>',
  text: 'Hi {{{NAME}}}, order {{{ORDER}}}',
  from: 'Shop <shop@example.com>',
  reply_to: 'help@example.com',
  variables: [
    { key: 'NAME', type: 'string', fallback_value: 'friend' },
    { key: 'ORDER', type: 'number' },
  ],
};

for (const backend of BACKENDS) {
  describe(`templates service (${backend})`, () => {
    let ctx: TestContext;
    let service: TemplateService;
    let a: Actor;
    let b: Actor;
    /** Org a's second project, seen as a key of that project would see it. */
    let aOther: Actor;

    beforeAll(async () => {
      ctx = await createTestContext(backend);
      const db = ctx.deps.database.db;
      service = createTemplateService({ db, clock: ctx.clock });
      const orgA = await createOrganization({ db, clock: ctx.clock }, { name: 'org-a' });
      const orgB = await createOrganization({ db, clock: ctx.clock }, { name: 'org-b' });
      a = { ...operator(orgA.id, orgA.default_project_id), projectOnly: true };
      b = operator(orgB.id, orgB.default_project_id);
      const project = await createProjectService({ db, clock: ctx.clock }).create(a, 'second');
      aOther = { ...operator(orgA.id, project.id), projectOnly: true };
    });
    afterAll(async () => ctx?.close());

    const versionsOf = async (templateId: string): Promise<number> =>
      (await ctx.deps.database.db.select().from(templateVersions).where(eq(templateVersions.templateId, templateId))).length;

    it('creates a draft: shown with its content, not sendable until published', async () => {
      const { id, object } = await service.create(a, { ...ORDER, alias: 'order-a' });
      expect(object).toBe('template');
      expect(id).toMatch(/^tmpl_/);
      const got = await service.get(a, id);
      expect(got).toMatchObject({
        object: 'template',
        id,
        name: 'order',
        alias: 'order-a',
        status: 'draft',
        published_at: null,
        has_unpublished_versions: false,
        subject: 'Order {{{ORDER}}}',
        from: 'Shop <shop@example.com>',
        reply_to: ['help@example.com'],
        variables: [
          { key: 'NAME', type: 'string', fallback_value: 'friend' },
          { key: 'ORDER', type: 'number', fallback_value: null },
        ],
      });
      expect(got.current_version_id).toMatch(/^tmplv_/);
      expect(await service.get(a, 'order-a')).toEqual(got);
      const error = await appErrorOf(service.publishedForSending(a, id));
      expect(error).toMatchObject({ code: 'validation_error', field: 'template.id' });
      expect(error.message).toMatch(/no published version/);
    });

    it('sends the published version only: edits wait for the next publish', async () => {
      const { id } = await service.create(a, ORDER);
      await service.publish(a, id);
      const first = await service.publishedForSending(a, id);
      expect(first).toMatchObject({ templateId: id, subject: 'Order {{{ORDER}}}', html: ORDER.html, from: 'Shop <shop@example.com>', replyTo: ['help@example.com'] });
      expect(first.variables).toEqual([
        { key: 'NAME', type: 'string', fallbackValue: 'friend' },
        { key: 'ORDER', type: 'number', fallbackValue: null },
      ]);
      const published = await service.get(a, id);
      expect(published).toMatchObject({ status: 'published', published_at: new Date(ctx.clock.nowMs()).toISOString(), has_unpublished_versions: false, current_version_id: first.versionId });

      await service.update(a, id, { html: '<p>New {{{NAME}}}</p>', subject: 'Changed' });
      await service.update(a, id, { text: null });
      expect(await service.publishedForSending(a, id)).toEqual(first);
      const edited = await service.get(a, id);
      expect(edited).toMatchObject({ status: 'published', has_unpublished_versions: true, current_version_id: first.versionId, html: '<p>New {{{NAME}}}</p>', subject: 'Changed', text: null });
      // Two edits after the publish changed one draft: the published version and the draft.
      expect(await versionsOf(id)).toBe(2);

      ctx.clock.advance(1_000);
      await service.publish(a, id);
      const second = await service.publishedForSending(a, id);
      expect(second).toMatchObject({ html: '<p>New {{{NAME}}}</p>', subject: 'Changed', text: null });
      expect(second.versionId).not.toBe(first.versionId);
      expect(await service.get(a, id)).toMatchObject({ has_unpublished_versions: false, current_version_id: second.versionId, published_at: new Date(ctx.clock.nowMs()).toISOString() });
    });

    it('forks one draft, not two, when two edits of a published template race', async () => {
      const { id } = await service.create(a, ORDER);
      await service.publish(a, id);
      // Connections opened first, so the edits overlap instead of queueing behind a connect.
      await Promise.all([1, 2, 3, 4].map(() => ctx.deps.database.db.execute(sql`select pg_sleep(0.02)`)));
      await Promise.all(['One', 'Two', 'Three', 'Four'].map((subject) => service.update(a, id, { subject })));
      expect(await versionsOf(id)).toBe(2);
      expect((await service.publishedForSending(a, id)).subject).toBe('Order {{{ORDER}}}');
    });

    it('changing only the name or alias leaves nothing to publish', async () => {
      const { id } = await service.create(a, ORDER);
      await service.publish(a, id);
      await service.update(a, id, { name: 'renamed', alias: 'renamed-alias', html: ORDER.html });
      expect(await service.get(a, 'renamed-alias')).toMatchObject({ name: 'renamed', has_unpublished_versions: false });
      expect(await versionsOf(id)).toBe(1);
      // null clears; the alias then names nothing.
      await service.update(a, id, { alias: null });
      expect((await service.get(a, id)).alias).toBeNull();
      expect(await appErrorOf(service.get(a, 'renamed-alias'))).toMatchObject({ code: 'not_found' });
    });

    it('refuses an undeclared variable on create and on update, and the update changes nothing', async () => {
      const created = await appErrorOf(service.create(a, { name: 'x', html: '<p>{{{NAME}}} {{{CITY}}}</p>', variables: [{ key: 'NAME', type: 'string' }] }));
      expect(created).toMatchObject({ code: 'validation_error', field: 'html' });
      expect(created.message).toMatch(/CITY at line 1, column 15 \(offset 14\)/);
      const { id } = await service.create(a, ORDER);
      // Removing a declaration the content still uses is the same mistake.
      const updated = await appErrorOf(service.update(a, id, { variables: [{ key: 'ORDER', type: 'number' }] }));
      expect(updated.message).toMatch(/^html: variable NAME at line 1, column 7/);
      expect((await service.get(a, id)).variables).toHaveLength(2);
    });

    it('keeps aliases unique per project, and resolves them in the caller’s project only', async () => {
      const { id } = await service.create(a, { ...ORDER, alias: 'welcome' });
      expect(await appErrorOf(service.create(a, { ...ORDER, alias: 'welcome' }))).toMatchObject({ code: 'validation_error', field: 'alias' });
      const other = await service.create(aOther, { ...ORDER, alias: 'welcome' });
      expect((await service.get(aOther, 'welcome')).id).toBe(other.id);
      expect((await service.get(a, 'welcome')).id).toBe(id);
      expect(await appErrorOf(service.get(aOther, id))).toMatchObject({ code: 'not_found' });
      const second = await service.create(a, ORDER);
      expect(await appErrorOf(service.update(a, second.id, { alias: 'welcome' }))).toMatchObject({ field: 'alias' });
      expect(await appErrorOf(service.create(a, { ...ORDER, alias: 'has space' }))).toMatchObject({ field: 'alias' });
      expect(await appErrorOf(service.create(a, { ...ORDER, alias: 'tmpl_0123456789abcdefghjkmnpqrs' }))).toMatchObject({ field: 'alias' });
    });

    it("answers another organization's template with 404, whatever the operation", async () => {
      const { id } = await service.create(a, { ...ORDER, alias: 'private' });
      await service.publish(a, id);
      for (const ref of [id, 'private']) {
        for (const call of [
          () => service.get(b, ref),
          () => service.update(b, ref, { name: 'stolen' }),
          () => service.publish(b, ref),
          () => service.duplicate(b, ref),
          () => service.render(b, ref, { ORDER: 1 }),
          () => service.publishedForSending(b, ref),
          () => service.remove(b, ref),
        ]) {
          expect(await appErrorOf(call())).toMatchObject({ code: 'not_found' });
        }
      }
      expect((await service.get(a, id)).name).toBe('order');
    });

    it('duplicates the draft into a new unpublished template without the alias', async () => {
      const { id } = await service.create(a, { ...ORDER, alias: 'dup-source' });
      await service.publish(a, id);
      await service.update(a, id, { subject: 'Draft subject' });
      const copy = await service.duplicate(a, 'dup-source');
      expect(copy.id).not.toBe(id);
      expect(await service.get(a, copy.id)).toMatchObject({ name: 'order (copy)', alias: null, status: 'draft', subject: 'Draft subject', html: ORDER.html });
    });

    it('renders the draft with fallbacks, escaping html', async () => {
      const { id } = await service.create(a, ORDER);
      expect(await service.render(a, id, { NAME: '<b>Ann</b>', ORDER: 42 })).toEqual({
        subject: 'Order 42',
        html: '<p>Hi &lt;b&gt;Ann&lt;/b&gt;, order 42</p>',
        text: 'Hi <b>Ann</b>, order 42',
      });
      expect((await service.render(a, id, { ORDER: '7' })).text).toBe('Hi friend, order 7');
      expect(await appErrorOf(service.render(a, id, {}))).toMatchObject({ field: 'variables.ORDER' });
    });

    it('lists the project’s templates newest first, with cursors', async () => {
      const list = await service.list(aOther, FIRST_PAGE);
      expect(list.object).toBe('list');
      expect(list.data.map((t) => t.alias)).toEqual(['welcome']);
      const all = await service.list(a, { ...FIRST_PAGE, limit: 2 });
      expect(all.has_more).toBe(true);
      const next = await service.list(a, { direction: 'after', id: all.data[1]!.id, limit: 100 });
      expect(next.data.map((t) => t.id)).not.toContain(all.data[0]!.id);
      expect(Object.keys(all.data[0]!).sort()).toEqual(['alias', 'created_at', 'id', 'name', 'published_at', 'status', 'updated_at']);
    });

    it('removes a template with its versions', async () => {
      const { id } = await service.create(a, ORDER);
      await service.publish(a, id);
      await service.update(a, id, { subject: 'x' });
      expect(await service.remove(a, id)).toEqual({ object: 'template', id, deleted: true });
      expect(await appErrorOf(service.get(a, id))).toMatchObject({ code: 'not_found' });
      expect(await versionsOf(id)).toBe(0);
    });

    it('writes every change to the audit log in the same transaction', async () => {
      // The clock moves between steps: ids made in one millisecond do not sort by creation.
      const step = async (run: () => Promise<unknown>): Promise<void> => {
        await run();
        ctx.clock.advance(1);
      };
      const { id } = await service.create(a, ORDER);
      ctx.clock.advance(1);
      await step(() => service.update(a, id, { subject: 'Audited' }));
      await step(() => service.publish(a, id));
      await step(() => service.publish(a, id)); // nothing to publish: no event
      await step(() => service.duplicate(a, id));
      await step(() => service.remove(a, id));
      await appErrorOf(service.update(a, id, { subject: 'gone' }));
      const rows = await ctx.deps.database.db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.organizationId, a.organizationId), like(auditEvents.action, 'template.%')))
        .orderBy(auditEvents.id);
      const mine = rows.filter((r) => r.targets.some((t) => t.id === id));
      expect(mine.map((r) => r.action)).toEqual(['template.created', 'template.updated', 'template.published', 'template.duplicated', 'template.deleted']);
      expect(mine[1]!.changes).toMatchObject({ subject: { before: 'Order {{{ORDER}}}', after: 'Audited' } });
    });
  });
}
