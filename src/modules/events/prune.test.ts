import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { events, webhookDeliveries } from '../../db/schema-events.js';
import { operator } from '../api-keys/principal.js';
import { BACKENDS } from '../../../test/harness.js';
import { pruneEvents, recordEvent } from './record.js';
import { orgSuite } from '../../../test/org-suite.js';

// The event retention on a real database: events past it go with their deliveries, except those
// still being delivered (a retention shorter than the retry schedule must not drop unsent events).

const DAY_MS = 86_400_000;

for (const backend of BACKENDS) {
  describe(`event retention (${backend})`, () => {
    const suite = orgSuite(backend);

    it('deletes events past the retention with their deliveries, but not those pending for an enabled endpoint', async () => {
      const { ctx, acme } = suite;
      const actor = operator(acme.org.id, acme.org.default_project_id);
      await ctx.deps.services.webhooks.create(actor, { endpoint: 'https://hooks.example.com/h', events: ['domain.created'] });
      const paused = await ctx.deps.services.webhooks.create(actor, { endpoint: 'https://paused.example.com/h', events: ['domain.updated'] });
      const record = (type: 'domain.created' | 'domain.updated') => recordEvent(ctx.deps.database.db, { organizationId: acme.org.id, projectId: acme.org.default_project_id, type, data: {}, at: ctx.clock.now() });
      await record('domain.created');
      await record('domain.created');
      const [done, pending] = await ctx.deps.database.db.select().from(webhookDeliveries).orderBy(webhookDeliveries.id);
      await ctx.deps.database.db.update(webhookDeliveries).set({ status: 'success' }).where(eq(webhookDeliveries.id, done!.id));
      // Pending too, but for a disabled endpoint: nothing will attempt it until it is enabled again.
      await record('domain.updated');
      await ctx.deps.services.webhooks.update(actor, paused.id, { status: 'disabled' });

      ctx.clock.advance(2 * DAY_MS);
      await record('domain.created');
      await pruneEvents(ctx.deps.database.db, ctx.clock, 1);

      const left = await ctx.deps.database.db.select({ id: events.id }).from(events);
      expect(left.map((e) => e.id)).not.toContain(done!.eventId);
      expect(left.map((e) => e.id)).toContain(pending!.eventId);
      expect(left).toHaveLength(2);
      expect((await ctx.deps.database.db.select().from(webhookDeliveries)).map((d) => d.id).sort()).toEqual(expect.arrayContaining([pending!.id]));
    });
  });
}
