import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { events, suppressions, webhooks } from '../src/db/schema-events.js';
import { operator } from '../src/modules/api-keys/principal.js';
import { BACKENDS } from './harness.js';
import { orgSuite } from './org-suite.js';

// A project holding only webhooks, suppressions and their events is "empty" of keys, domains and
// emails, so it may be deleted: everything of it goes with it, and the suppression triggers write
// no event for a project that is gone (which would fail its foreign key).

for (const backend of BACKENDS) {
  describe(`deleting a project with webhooks and suppressions (${backend})`, () => {
    const suite = orgSuite(backend);

    it('deletes them all with the project', async () => {
      const { ctx, acme } = suite;
      const owner = operator(acme.org.id, acme.org.default_project_id);
      const project = await ctx.deps.services.projects.create(owner, 'side');
      const inside = operator(acme.org.id, project.id);
      await ctx.deps.services.webhooks.create(inside, { endpoint: 'https://hooks.example.com/side', events: ['suppression.added', 'suppression.removed'] });
      await ctx.deps.services.suppressions.add(inside, { email: 'gone@example.net' });
      const { db } = ctx.deps.database;
      expect((await db.select().from(events).where(eq(events.projectId, project.id))).map((e) => e.type)).toEqual(['suppression.added']);

      await ctx.deps.services.projects.delete(owner, project.id);
      expect(await db.select().from(webhooks).where(eq(webhooks.projectId, project.id))).toEqual([]);
      expect(await db.select().from(suppressions).where(eq(suppressions.projectId, project.id))).toEqual([]);
      expect(await db.select().from(events).where(eq(events.projectId, project.id))).toEqual([]);
    });
  });
}
