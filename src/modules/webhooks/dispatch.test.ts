import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operator } from '../api-keys/principal.js';
import { recordEvent } from '../events/record.js';
import { orgWithKey, type OrgFixture } from '../../../test/factories.js';
import { BACKENDS, createTestContext, type TestContext } from '../../../test/harness.js';
import { PER_ENDPOINT_IN_FLIGHT, PER_ENDPOINT_LEASED } from './claim.js';
import { createDispatcher } from './dispatch.js';
import type { WebhookResponse } from './http-client.js';
import { RECHECK_AFTER_MS } from './reserve.js';

// The claim's per-endpoint bound on a real database: however many deliveries one endpoint has
// due, no claim (and no sequence of claims while they are held) leases more than
// PER_ENDPOINT_LEASED of them, and another endpoint's deliveries still get their turn; of those
// leased, at most PER_ENDPOINT_IN_FLIGHT POST at once.

for (const backend of BACKENDS) {
  describe(`webhook claim (${backend})`, () => {
    let ctx: TestContext;
    let acme: OrgFixture;
    beforeAll(async () => {
      ctx = await createTestContext(backend);
      acme = await orgWithKey(ctx.deps, 'acme');
    });
    afterAll(async () => ctx?.close());

    it(`leases at most ${PER_ENDPOINT_LEASED} deliveries per endpoint, POSTs ${PER_ENDPOINT_IN_FLIGHT} of them at once, and serves the others`, async () => {
      const actor = operator(acme.org.id, acme.org.default_project_id);
      const busy = await ctx.deps.services.webhooks.create(actor, { endpoint: 'https://busy.example.com/h', events: ['domain.updated'] });
      const quiet = await ctx.deps.services.webhooks.create(actor, { endpoint: 'https://quiet.example.com/h', events: ['domain.created'] });
      await ctx.deps.database.db.transaction(async (tx) => {
        const event = { organizationId: acme.org.id, projectId: acme.org.default_project_id, data: {}, at: ctx.clock.now() };
        for (let i = 0; i < 2 * PER_ENDPOINT_LEASED + 4; i++) await recordEvent(tx, { ...event, type: 'domain.updated' });
        for (let i = 0; i < 2; i++) await recordEvent(tx, { ...event, type: 'domain.created' });
      });
      // A receiver that holds each POST a while, counting how many it has at once per endpoint.
      const inFlight = new Map<string, number>();
      let mostAtOnce = 0;
      const http = {
        post: async ({ url }: { url: string }) => {
          inFlight.set(url, (inFlight.get(url) ?? 0) + 1);
          mostAtOnce = Math.max(mostAtOnce, inFlight.get(url)!);
          await new Promise((resolve) => setTimeout(resolve, 20));
          inFlight.set(url, inFlight.get(url)! - 1);
          return { status: 200, responseExcerpt: '', durationMs: 20, retryAfterSeconds: undefined, error: undefined };
        },
      };
      const dispatcher = createDispatcher({ database: ctx.deps.database, clock: ctx.clock, box: ctx.deps.services.box, http, leaseSeconds: 30, postsAtOnce: 16 });

      const first = await dispatcher.claim(2 * PER_ENDPOINT_LEASED);
      const perEndpoint = (rows: typeof first, id: string): number => rows.filter((r) => r.webhookId === id).length;
      expect(perEndpoint(first, busy.id)).toBe(PER_ENDPOINT_LEASED);
      expect(perEndpoint(first, quiet.id)).toBe(2);
      // While those are held, the busy endpoint gets nothing more.
      expect(await dispatcher.claim(2 * PER_ENDPOINT_LEASED)).toEqual([]);
      // All leased ones delivered at once: the busy endpoint never has more than its share POSTing.
      const [held, ...rest] = first.filter((r) => r.webhookId === busy.id);
      const results = await Promise.all(rest.map((r) => dispatcher.deliver(r)));
      expect(mostAtOnce).toBe(PER_ENDPOINT_IN_FLIGHT);
      expect(results.every((r) => r.result === 'success' && r.next.length === 1)).toBe(true);
      expect(await dispatcher.claim(2 * PER_ENDPOINT_LEASED)).toEqual([]);
      // One finished: its outcome hands the slot to the endpoint's next delivery, and no more.
      const finished = await dispatcher.deliver(held!);
      expect(finished.result).toBe('success');
      expect(finished.next.map((r) => r.webhookId)).toEqual([busy.id]);
      expect(finished.next[0]!.body).toContain('domain.updated');
      expect(await dispatcher.claim(2 * PER_ENDPOINT_LEASED)).toEqual([]);
      // Once stopping, a finished delivery hands its slot to no one.
      dispatcher.stopClaiming();
      expect((await dispatcher.deliver(finished.next[0]!)).next).toEqual([]);
    });

    it('sends nothing that waited behind a 410, nor what waited long while its endpoint was disabled', async () => {
      const actor = operator(acme.org.id, acme.org.default_project_id);
      const gone = await ctx.deps.services.webhooks.create(actor, { endpoint: 'https://gone.example.com/h', events: ['email.sent'] });
      const paused = await ctx.deps.services.webhooks.create(actor, { endpoint: 'https://paused.example.com/h', events: ['email.opened'] });
      await ctx.deps.database.db.transaction(async (tx) => {
        const event = { organizationId: acme.org.id, projectId: acme.org.default_project_id, data: {}, at: ctx.clock.now() };
        for (let i = 0; i < 8; i++) await recordEvent(tx, { ...event, type: 'email.sent' });
        for (let i = 0; i < 5; i++) await recordEvent(tx, { ...event, type: 'email.opened' });
      });
      // Each POST is answered when the test says so, with the status it says.
      const posted: string[] = [];
      const answers: ((status: number) => void)[] = [];
      const http = {
        post: ({ url }: { url: string }) =>
          new Promise<WebhookResponse>((resolve) => {
            posted.push(url);
            answers.push((status) => resolve({ status, responseExcerpt: '', durationMs: 1, retryAfterSeconds: undefined, error: undefined }));
          }),
      };
      const dispatcher = createDispatcher({ database: ctx.deps.database, clock: ctx.clock, box: ctx.deps.services.box, http, leaseSeconds: 30, postsAtOnce: 16 });
      const claimed = await dispatcher.claim(2 * PER_ENDPOINT_LEASED);
      const of = (id: string) => claimed.filter((r) => r.webhookId === id);
      const settle = async () => new Promise((resolve) => setTimeout(resolve, 50));

      // 410: the 4 in flight were sent; the 4 waiting behind them are not, and go back uncounted.
      const goneResults = Promise.all(of(gone.id).map((r) => dispatcher.deliver(r)));
      await settle();
      expect(posted.filter((u) => u.includes('gone')).length).toBe(PER_ENDPOINT_IN_FLIGHT);
      for (const answer of answers.splice(0)) answer(410);
      const results = (await goneResults).map((r) => r.result);
      expect(results.filter((r) => r === 'released').length).toBe(8 - PER_ENDPOINT_IN_FLIGHT);
      expect(posted.filter((u) => u.includes('gone')).length).toBe(PER_ENDPOINT_IN_FLIGHT);
      const back = await ctx.deps.database.query<{ n: number }>({
        text: "SELECT count(*)::int AS n FROM webhook_deliveries WHERE webhook_id = $1 AND status = 'pending' AND attempts = 0 AND next_attempt_at > now()",
        values: [gone.id],
      });
      expect(back[0]!.n).toBe(8 - PER_ENDPOINT_IN_FLIGHT);

      // Disabled while the fifth waited over a second: it reads the endpoint again and stays unsent.
      const pausedResults = Promise.all(of(paused.id).map((r) => dispatcher.deliver(r)));
      await settle();
      expect(posted.filter((u) => u.includes('paused')).length).toBe(PER_ENDPOINT_IN_FLIGHT);
      await ctx.deps.services.webhooks.update(actor, paused.id, { status: 'disabled' });
      ctx.clock.advance(RECHECK_AFTER_MS + 1);
      for (const answer of answers.splice(0)) answer(200);
      expect((await pausedResults).map((r) => r.result).sort()).toEqual(['released', 'success', 'success', 'success', 'success']);
      expect(posted.filter((u) => u.includes('paused')).length).toBe(PER_ENDPOINT_IN_FLIGHT);
      await dispatcher.drain();
    });
  });
}
