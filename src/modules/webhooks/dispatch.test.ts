import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operator } from '../api-keys/principal.js';
import { recordEvent } from '../events/record.js';
import { orgWithKey, type OrgFixture } from '../../../test/factories.js';
import { BACKENDS, createTestContext, type TestContext } from '../../../test/harness.js';
import { createDispatcher, PER_ENDPOINT_IN_FLIGHT } from './dispatch.js';

// The claim's per-endpoint bound on a real database: however many deliveries one endpoint has
// due, no claim (and no sequence of claims while they are held) leases more than
// PER_ENDPOINT_IN_FLIGHT of them, and another endpoint's deliveries still get their turn.

for (const backend of BACKENDS) {
  describe(`webhook claim (${backend})`, () => {
    let ctx: TestContext;
    let acme: OrgFixture;
    beforeAll(async () => {
      ctx = await createTestContext(backend);
      acme = await orgWithKey(ctx.deps, 'acme');
    });
    afterAll(async () => ctx?.close());

    it(`leases at most ${PER_ENDPOINT_IN_FLIGHT} deliveries per endpoint, and serves the others`, async () => {
      const actor = operator(acme.org.id, acme.org.default_project_id);
      const busy = await ctx.deps.services.webhooks.create(actor, { endpoint: 'https://busy.example.com/h', events: ['domain.updated'] });
      const quiet = await ctx.deps.services.webhooks.create(actor, { endpoint: 'https://quiet.example.com/h', events: ['domain.created'] });
      await ctx.deps.database.db.transaction(async (tx) => {
        const event = { organizationId: acme.org.id, projectId: acme.org.default_project_id, data: {}, at: ctx.clock.now() };
        for (let i = 0; i < 20; i++) await recordEvent(tx, { ...event, type: 'domain.updated' });
        for (let i = 0; i < 2; i++) await recordEvent(tx, { ...event, type: 'domain.created' });
      });
      const http = { post: async () => ({ status: 200, responseExcerpt: '', durationMs: 1, retryAfterSeconds: undefined, error: undefined }) };
      const dispatcher = createDispatcher({ database: ctx.deps.database, clock: ctx.clock, box: ctx.deps.services.box, http, leaseSeconds: 30 });

      const first = await dispatcher.claim(16);
      const perEndpoint = (rows: typeof first, id: string): number => rows.filter((r) => r.webhookId === id).length;
      expect(perEndpoint(first, busy.id)).toBe(PER_ENDPOINT_IN_FLIGHT);
      expect(perEndpoint(first, quiet.id)).toBe(2);
      // While those are held, the busy endpoint gets nothing more.
      expect(await dispatcher.claim(16)).toEqual([]);
      // One finished: one more of its deliveries may go.
      expect(await dispatcher.deliver(first.find((r) => r.webhookId === busy.id)!)).toBe('success');
      const next = await dispatcher.claim(16);
      expect(next.map((r) => r.webhookId)).toEqual([busy.id]);
    });
  });
}
