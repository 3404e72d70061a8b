import { and, eq } from 'drizzle-orm';
import { Resend } from 'resend';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, domains, emailMessages } from '../src/db/schema.js';
import { deliverEmail } from '../src/modules/delivery/deliver.js';
import { deliveryDeps, startWorker, type RunningWorker } from '../src/worker/worker.js';
import { emailBody, eventually, senderFor } from './email-fixtures.js';
import { bearer, domainFor, keyFor, orgWithKey, type OrgFixture } from './factories.js';
import { BACKENDS, createTestContext, type TestContext } from './harness.js';
import { startRelay, type TestRelay } from './smtp-relay.js';

// Rescheduling and canceling with the unmodified `resend` SDK over a socket, against a real
// delivery worker and a real SMTP relay: a canceled email never reaches the relay, even when its
// cancel races the worker's claim; one rescheduled to now does; an email no longer scheduled
// answers 409 email_not_scheduled.

const HOUR = 3_600_000;
const FROM = 'Acme <hello@mail.acme.test>';

for (const backend of BACKENDS) {
  describe(`emails.update and emails.cancel (${backend})`, () => {
    let ctx: TestContext;
    let relay: TestRelay;
    let acme: OrgFixture;
    let resend: Resend;
    let worker: RunningWorker | undefined;

    beforeAll(async () => {
      relay = await startRelay();
      ctx = await createTestContext(backend, { SMTP_RELAY_URL: relay.url });
      acme = await orgWithKey(ctx.deps, 'acme');
      await domainFor(ctx.deps, acme.org, 'mail.acme.test');
      process.env.RESEND_BASE_URL = await ctx.app.listen({ port: 0, host: '127.0.0.1' });
      resend = new Resend(acme.token);
    });
    afterEach(async () => {
      await worker?.stop();
      worker = undefined;
    });
    afterAll(async () => {
      delete process.env.RESEND_BASE_URL;
      await ctx?.close();
      await relay?.close();
    });

    const schedule = async (at: Date | string, subject = 'Scheduled'): Promise<string> => {
      const sent = await resend.emails.send({ from: FROM, to: 'to@example.net', subject, text: 'Later', scheduledAt: typeof at === 'string' ? at : at.toISOString() });
      expect(sent.error).toBeNull();
      return sent.data!.id;
    };
    const relayed = (id: string) => relay.messages.filter((m) => m.messageId === `<${id}@mail.acme.test>`);
    const audited = (id: string, action: string) =>
      ctx.deps.database.db.select().from(auditEvents).where(and(eq(auditEvents.organizationId, acme.org.id), eq(auditEvents.action, action))).then((rows) => rows.filter((r) => r.targets.some((t) => t.id === id)));

    it('emails.update moves a scheduled email: GET shows the new time, its Date header follows, the audit log records it', async () => {
      const id = await schedule(new Date(Date.now() + HOUR));
      const later = new Date(Date.now() + 2 * HOUR);
      later.setUTCMilliseconds(0);
      const updated = await resend.emails.update({ id, scheduledAt: later.toISOString() });
      expect(updated.error).toBeNull();
      expect(updated.data).toEqual({ object: 'email', id });

      const shown = await resend.emails.get(id);
      expect(shown.data).toMatchObject({ scheduled_at: later.toISOString(), last_event: 'scheduled' });
      const [message] = await ctx.deps.database.db.select({ composition: emailMessages.composition }).from(emailMessages).where(eq(emailMessages.emailId, id));
      expect((message!.composition as { date: string }).date).toBe(later.toISOString());
      const [entry] = await audited(id, 'email.rescheduled');
      expect(entry).toMatchObject({ actorType: 'api_key', actorId: acme.key.id, changes: { scheduled_at: { after: later.toISOString() } } });

      // The forms POST /emails takes: words too.
      expect((await resend.emails.update({ id, scheduledAt: 'in 3 hours' })).error).toBeNull();
      const moved = Date.parse((await resend.emails.get(id)).data!.scheduled_at!);
      expect(Math.abs(moved - (ctx.clock.nowMs() + 3 * HOUR))).toBeLessThan(5_000);
    });

    it('refuses a schedule it cannot read (422 naming scheduled_at) and unknown fields', async () => {
      const id = await schedule(new Date(Date.now() + HOUR));
      const patch = (payload: unknown) =>
        ctx.app.inject({ method: 'PATCH', url: `/emails/${id}`, headers: { ...bearer(acme.token), 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
      for (const [payload, field] of [
        [{ scheduled_at: 'someday' }, 'scheduled_at'],
        [{ scheduled_at: new Date(Date.now() + 40 * 24 * HOUR).toISOString() }, 'scheduled_at'],
        [{}, 'scheduled_at'],
        [{ scheduled_at: 'in 1 hour', status: 'delivered' }, 'status'],
      ] as const) {
        const res = await patch(payload);
        expect(res.statusCode, JSON.stringify(payload)).toBe(422);
        expect(res.json()).toMatchObject({ name: 'validation_error', field });
      }
    });

    it('emails.cancel: the worker never delivers it, though its time comes; one rescheduled to now is delivered', async () => {
      worker = startWorker(ctx.deps, { pollIntervalMs: 50 });
      const soon = new Date(Date.now() + 3_000);
      const canceled = await schedule(soon, 'Canceled');
      const hurried = await schedule(new Date(Date.now() + HOUR), 'Hurried');

      const answer = await resend.emails.cancel(canceled);
      expect(answer.error).toBeNull();
      expect(answer.data).toEqual({ object: 'email', id: canceled });
      expect((await resend.emails.update({ id: hurried, scheduledAt: new Date().toISOString() })).error).toBeNull();

      await eventually(async () => (await resend.emails.get(hurried)).data?.last_event === 'delivered', 10_000, 'the rescheduled email to be delivered');
      expect(relayed(hurried)).toHaveLength(1);
      // Well past the canceled email's time, with the worker polling all along.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, soon.getTime() - Date.now()) + 500));
      expect(relayed(canceled)).toHaveLength(0);
      expect(await ctx.deps.queue.claimById(canceled)).toBeUndefined();

      const shown = (await resend.emails.get(canceled)).data!;
      expect(shown.last_event).toBe('canceled');
      expect((shown as unknown as { events: { type: string }[] }).events.map((e) => e.type)).toEqual(['queued', 'canceled']);
      expect(await audited(canceled, 'email.canceled')).toHaveLength(1);

      // No longer scheduled: a second cancel, a reschedule, and either of them on the delivered email.
      for (const id of [canceled, hurried]) {
        expect((await resend.emails.cancel(id)).error).toMatchObject({ statusCode: 409, name: 'email_not_scheduled' });
        expect((await resend.emails.update({ id, scheduledAt: 'in 1 hour' })).error).toMatchObject({ statusCode: 409, name: 'email_not_scheduled' });
      }
    });

    it('a cancel racing the claim: each email is either canceled and never relayed, or relayed and its cancel refused', async () => {
      const workers = [startWorker(ctx.deps, { pollIntervalMs: 5 }), startWorker(ctx.deps, { pollIntervalMs: 5 })];
      try {
        const due = new Date(Date.now() + 2_000);
        const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => schedule(due, `Race ${i}`)));
        // Fire the cancels around the moment the emails fall due, some before and some after.
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, due.getTime() - Date.now() - 30)));
        const answers = await Promise.all(ids.map(async (id, i) => {
          await new Promise((resolve) => setTimeout(resolve, i * 10));
          return resend.emails.cancel(id);
        }));
        await eventually(async () => {
          const events = await Promise.all(ids.map(async (id) => (await resend.emails.get(id)).data?.last_event));
          return events.every((e) => e === 'canceled' || e === 'delivered');
        }, 10_000, 'every raced email to settle');
        await new Promise((resolve) => setTimeout(resolve, 300));
        for (const [i, id] of ids.entries()) {
          const won = answers[i]!.error === null;
          if (!won) expect(answers[i]!.error).toMatchObject({ statusCode: 409, name: 'email_not_scheduled' });
          expect(relayed(id), `${id}: canceled ${won}`).toHaveLength(won ? 0 : 1);
          expect((await resend.emails.get(id)).data?.last_event).toBe(won ? 'canceled' : 'delivered');
        }
      } finally {
        for (const w of workers) await w.stop();
      }
    });

    it('cancel and reschedule of an email sent without a schedule are 409 email_not_scheduled', async () => {
      const sent = await resend.emails.send({ from: FROM, to: 'to@example.net', subject: 'Now', text: 'Now' });
      const id = sent.data!.id;
      expect((await resend.emails.cancel(id)).error).toMatchObject({ statusCode: 409, name: 'email_not_scheduled' });
      await deliverEmail(deliveryDeps(ctx.deps), id);
      const refused = await resend.emails.update({ id, scheduledAt: 'in 1 hour' });
      expect(refused.error).toMatchObject({ statusCode: 409, name: 'email_not_scheduled' });
      expect(refused.error!.message).toMatch(/no longer scheduled/);
    });

    it('a key restricted to some domains cannot cancel or move mail from another domain (404); within them it can', async () => {
      const other = await domainFor(ctx.deps, acme.org, 'other.acme.test');
      const [mine] = await ctx.deps.database.db.select({ id: domains.id }).from(domains).where(and(eq(domains.organizationId, acme.org.id), eq(domains.name, 'mail.acme.test')));
      const restricted = new Resend((await keyFor(ctx.deps, acme.org, { permission: 'sending_access', domain_ids: [other] })).token);
      const id = await schedule('in 1 hour');
      expect((await restricted.emails.cancel(id)).error).toMatchObject({ statusCode: 404 });
      expect((await restricted.emails.update({ id, scheduledAt: 'in 2 hours' })).error).toMatchObject({ statusCode: 404 });
      const allowed = new Resend((await keyFor(ctx.deps, acme.org, { permission: 'sending_access', domain_ids: [mine!.id] })).token);
      expect((await allowed.emails.cancel(id)).error).toBeNull();
    });

    it('analytics: a canceled email is received with status canceled, never sent, and out of the usage counts', async () => {
      const counted = await orgWithKey(ctx.deps, 'counted');
      await domainFor(ctx.deps, counted.org, 'counted.test');
      const client = new Resend(counted.token);
      const send = async (extra: { scheduledAt?: string }) => (await client.emails.send({ from: 'a@counted.test', to: 'to@example.net', subject: 'Counted', text: 'x', ...extra })).data!.id;
      const canceled = await send({ scheduledAt: 'in 1 hour' });
      await send({});
      expect((await client.emails.cancel(canceled)).error).toBeNull();
      const get = async (url: string) => (await ctx.app.inject({ method: 'GET', url, headers: bearer(counted.token) })).json();
      const range = `start_date=${new Date(ctx.clock.nowMs() - HOUR).toISOString()}&end_date=${new Date(ctx.clock.nowMs() + HOUR).toISOString()}`;
      const metrics = await get(`/emails/metrics?${range}&dimensions=status&metrics=received,sent`);
      expect(metrics.totals).toEqual({ received: 2, sent: 0 });
      expect(metrics.data).toContainEqual({ status: 'canceled', received: 1, sent: 0 });
      expect((await get('/usage')).emails.daily).toMatchObject({ sent: 1, used: 1 });
      expect((await get('/organization')).usage).toMatchObject({ emails_today: 1 });
    });

    it("another organization's email, another mode's and Postgate's own are 404, and nothing changes", async () => {
      const id = await schedule(new Date(Date.now() + HOUR));
      const other = await orgWithKey(ctx.deps, 'other');
      const testKey = await keyFor(ctx.deps, acme.org, { name: 'test', mode: 'test' });
      const system = (await ctx.deps.services.emails.send(senderFor(acme.org, { system: true }), emailBody('hello@mail.acme.test', { scheduled_at: new Date(Date.now() + HOUR).toISOString() }))).id;
      for (const [token, target] of [[other.token, id], [testKey.token, id], [acme.token, system], [acme.token, 'em_nope']] as const) {
        for (const call of [() => new Resend(token).emails.cancel(target), () => new Resend(token).emails.update({ id: target, scheduledAt: 'in 2 hours' })]) {
          expect((await call()).error).toMatchObject({ statusCode: 404, name: 'not_found' });
        }
      }
      expect((await resend.emails.get(id)).data?.last_event).toBe('scheduled');
    });
  });
}
