import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { webhookDeliveries } from '../../db/schema-events.js';
import { operator } from '../api-keys/principal.js';
import { recordEvent } from '../events/record.js';
import { BACKENDS } from '../../../test/harness.js';
import { PER_ENDPOINT_IN_FLIGHT, PER_ENDPOINT_LEASED } from './claim.js';
import { createDispatcher } from './dispatch.js';
import type { WebhookResponse } from './http-client.js';
import { RECHECK_AFTER_MS } from './reserve.js';
import { RETRY_DELAYS_MS } from './retry-schedule.js';
import { orgSuite } from '../../../test/org-suite.js';

// The claim's per-endpoint bound on a real database: however many deliveries one endpoint has
// due, no claim (and no sequence of claims while they are held) leases more than
// PER_ENDPOINT_LEASED of them, and another endpoint's deliveries still get their turn; of those
// leased, at most PER_ENDPOINT_IN_FLIGHT POST at once.

for (const backend of BACKENDS) {
  describe(`webhook claim (${backend})`, () => {
    const suite = orgSuite(backend);

    it('locks only the endpoints with due deliveries: a claim with nothing due writes nothing', async () => {
      const { ctx, acme } = suite;
      const actor = operator(acme.org.id, acme.org.default_project_id);
      for (const name of ['idle-a', 'idle-b']) await ctx.deps.services.webhooks.create(actor, { endpoint: `https://${name}.example.com/h`, events: ['domain.deleted'] });
      const due = await ctx.deps.services.webhooks.create(actor, { endpoint: 'https://due.example.com/h', events: ['domain.created'] });
      const http = { post: async () => ({ status: 200, responseExcerpt: '', durationMs: 1, retryAfterSeconds: undefined, error: undefined }) };
      const dispatcher = createDispatcher({ database: ctx.deps.database, clock: ctx.clock, box: ctx.deps.services.box, http, leaseSeconds: 30, postsAtOnce: 16 });
      // A row locked FOR NO KEY UPDATE keeps the locker in its xmax (a write, WAL included).
      const locked = async (): Promise<string[]> =>
        (await ctx.deps.database.query<{ endpoint: string }>({ name: 'test_locked_webhooks', text: "SELECT endpoint FROM webhooks WHERE xmax::text <> '0' ORDER BY endpoint", values: [] })).map((r) => r.endpoint);

      expect(await dispatcher.claim(16)).toEqual([]);
      expect(await locked()).toEqual([]);
      await recordEvent(ctx.deps.database.db, { organizationId: acme.org.id, projectId: acme.org.default_project_id, type: 'domain.created', data: {}, at: ctx.clock.now() });
      const claimed = await dispatcher.claim(16);
      expect(claimed.map((r) => r.webhookId)).toEqual([due.id]);
      expect(await locked()).toEqual(['https://due.example.com/h']);
      await dispatcher.deliver(claimed[0]!);
      await dispatcher.drain();
    });

    it('leaves an attempt whose lease ran out with no outcome out of the retry schedule', async () => {
      const { ctx, acme } = suite;
      const actor = operator(acme.org.id, acme.org.default_project_id);
      const hook = await ctx.deps.services.webhooks.create(actor, { endpoint: 'https://lapsed.example.com/h', events: ['suppression.removed'] });
      await recordEvent(ctx.deps.database.db, { organizationId: acme.org.id, projectId: acme.org.default_project_id, type: 'suppression.removed', data: {}, at: ctx.clock.now() });
      const http = { post: async () => ({ status: 500, responseExcerpt: 'down', durationMs: 1, retryAfterSeconds: undefined, error: undefined }) };
      const dispatcher = createDispatcher({ database: ctx.deps.database, clock: ctx.clock, box: ctx.deps.services.box, http, leaseSeconds: 30, postsAtOnce: 16 });
      const [first] = await dispatcher.claim(16);
      expect(first).toMatchObject({ webhookId: hook.id, attempts: 1 });
      // The worker holding it dies: no outcome, and its lease runs out.
      await ctx.deps.database.db.update(webhookDeliveries).set({ nextAttemptAt: new Date(Date.now() - 1_000) }).where(eq(webhookDeliveries.id, first!.id));
      const [again] = await dispatcher.claim(16);
      expect(again).toMatchObject({ id: first!.id, attempts: 2, baseAttempts: 1 });
      expect((await dispatcher.deliver(again!)).result).toBe('retry');
      await dispatcher.drain();
      // Its first recorded failure: the schedule's first step (5 s), not its second (5 min).
      const [row] = await ctx.deps.database.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, first!.id));
      expect(row!.nextAttemptAt.getTime() - ctx.clock.nowMs()).toBe(RETRY_DELAYS_MS[0]);
      // Its retry is due in 5 s of the test's clock: gone with its endpoint, it cannot reach the next tests' claims.
      await ctx.deps.services.webhooks.remove(actor, hook.id);
    });

    it(`leases at most ${PER_ENDPOINT_LEASED} deliveries per endpoint, POSTs ${PER_ENDPOINT_IN_FLIGHT} of them at once, and serves the others`, async () => {
      const { ctx, acme } = suite;
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

    it('sends nothing that waited behind a 410, that waited long while its endpoint was disabled or its lease lost, or that waited when the worker stopped', async () => {
      const { ctx, acme } = suite;
      const actor = operator(acme.org.id, acme.org.default_project_id);
      const hook = (name: string, type: 'email.sent' | 'email.opened' | 'email.delivered' | 'email.clicked') =>
        ctx.deps.services.webhooks.create(actor, { endpoint: `https://${name}.example.com/h`, events: [type] });
      const [gone, paused, edited, stopping] = [
        await hook('gone', 'email.sent'),
        await hook('paused', 'email.opened'),
        await hook('edited', 'email.delivered'),
        await hook('stopping', 'email.clicked'),
      ];
      await ctx.deps.database.db.transaction(async (tx) => {
        const event = { organizationId: acme.org.id, projectId: acme.org.default_project_id, data: {}, at: ctx.clock.now() };
        for (const type of ['email.sent', 'email.opened', 'email.delivered', 'email.clicked'] as const) for (let i = 0; i < 6; i++) await recordEvent(tx, { ...event, type });
      });
      // A receiver whose answers the test gives: held until `answer`, or at once once `auto` is set.
      const posted: string[] = [];
      const held: ((status: number) => void)[] = [];
      let auto: number | undefined;
      const http = {
        post: ({ url }: { url: string }) =>
          new Promise<WebhookResponse>((resolve) => {
            posted.push(url);
            const answer = (status: number) => resolve({ status, responseExcerpt: '', durationMs: 1, retryAfterSeconds: undefined, error: undefined });
            if (auto === undefined) held.push(answer);
            else answer(auto);
          }),
      };
      const answerAll = (status: number) => {
        auto = status;
        for (const answer of held.splice(0)) answer(status);
      };
      const postsTo = (name: string) => posted.filter((u) => u.includes(name)).length;
      const until = async (what: () => boolean) => {
        for (let i = 0; i < 500 && !what(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
        expect(what()).toBe(true);
      };
      const dispatcher = createDispatcher({ database: ctx.deps.database, clock: ctx.clock, box: ctx.deps.services.box, http, leaseSeconds: 30, postsAtOnce: 16 });
      const claimed = await dispatcher.claim(4 * PER_ENDPOINT_LEASED);
      const of = (id: string) => claimed.filter((r) => r.webhookId === id);
      const results = async (deliveries: Promise<{ result: string }>[]) => (await Promise.all(deliveries)).map((r) => r.result).sort();
      const uncounted = async (id: string) =>
        (
          await ctx.deps.database.query<{ n: number }>({
            name: 'test_uncounted_deliveries',
            text: "SELECT count(*)::int AS n FROM webhook_deliveries WHERE webhook_id = $1 AND status = 'pending' AND attempts = base_attempts",
            values: [id],
          })
        )[0]!.n;

      // 410: the 4 in flight were sent; the 2 waiting behind them are not, and go back uncounted.
      const goneDone = of(gone.id).map((r) => dispatcher.deliver(r));
      await until(() => postsTo('gone') === PER_ENDPOINT_IN_FLIGHT);
      answerAll(410);
      expect(await results(goneDone)).toEqual(['failed', 'failed', 'failed', 'failed', 'released', 'released']);
      expect(postsTo('gone')).toBe(PER_ENDPOINT_IN_FLIGHT);
      expect(await uncounted(gone.id)).toBe(2);

      // Waited over a second: one's endpoint was disabled meanwhile, another's lease was taken over.
      auto = undefined;
      const pausedRows = of(paused.id);
      const pausedDone = pausedRows.map((r) => dispatcher.deliver(r));
      await until(() => postsTo('paused') === PER_ENDPOINT_IN_FLIGHT);
      await ctx.deps.services.webhooks.update(actor, paused.id, { status: 'disabled' });
      await ctx.deps.database.query({ name: 'test_take_over', text: 'UPDATE webhook_deliveries SET attempts = attempts + 1 WHERE id = $1', values: [pausedRows[5]!.id] });
      ctx.clock.advance(RECHECK_AFTER_MS + 1);
      answerAll(200);
      expect(await results(pausedDone)).toEqual(['lost_claim', 'released', 'success', 'success', 'success', 'success']);
      expect(postsTo('paused')).toBe(PER_ENDPOINT_IN_FLIGHT);

      // Edited (a new URL) while the last two waited over a second: they go back, unsent, to be claimed afresh.
      auto = undefined;
      const editedDone = of(edited.id).map((r) => dispatcher.deliver(r));
      await until(() => postsTo('edited') === PER_ENDPOINT_IN_FLIGHT);
      ctx.clock.advance(RECHECK_AFTER_MS + 1);
      await ctx.deps.services.webhooks.update(actor, edited.id, { endpoint: 'https://edited-elsewhere.example.com/h' });
      answerAll(200);
      expect(await results(editedDone)).toEqual(['released', 'released', 'success', 'success', 'success', 'success']);
      expect(postsTo('edited')).toBe(PER_ENDPOINT_IN_FLIGHT);
      // Due at once, they were handed to the next free slots: as first attempts, the held one uncounted.
      const attempts = await ctx.deps.database.query<{ attempts: number }>({
        name: 'test_edited_attempts',
        text: 'SELECT attempts - base_attempts AS attempts FROM webhook_deliveries WHERE webhook_id = $1',
        values: [edited.id],
      });
      expect(Math.max(...attempts.map((r) => r.attempts))).toBe(1);

      // Stopping: what waits for a slot is released, due at once, not sent.
      auto = undefined;
      const stoppingDone = of(stopping.id).map((r) => dispatcher.deliver(r));
      await until(() => postsTo('stopping') === PER_ENDPOINT_IN_FLIGHT);
      dispatcher.stopClaiming();
      // Released at once, without waiting for the POSTs ahead of them.
      for (let i = 0; i < 500 && (await uncounted(stopping.id)) < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(await uncounted(stopping.id)).toBe(2);
      answerAll(200);
      expect(await results(stoppingDone)).toEqual(['released', 'released', 'success', 'success', 'success', 'success']);
      expect(postsTo('stopping')).toBe(PER_ENDPOINT_IN_FLIGHT);
      expect(await uncounted(stopping.id)).toBe(2);
      await dispatcher.drain();
    });
  });
}
