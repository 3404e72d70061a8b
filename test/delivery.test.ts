import { eq, sql } from 'drizzle-orm';
import { dkimVerify } from 'mailauth';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { domains, emails } from '../src/db/schema.js';
import { deliverClaimed } from '../src/modules/delivery/deliver.js';
import { generateDkimPrivateKey } from '../src/modules/domains/dkim.js';
import { presentRecords } from '../src/modules/domains/records.js';
import { deliveryDeps, startWorker, type RunningWorker } from '../src/worker/worker.js';
import { operator } from '../src/modules/api-keys/principal.js';
import { emailBody, eventually, senderFor } from './email-fixtures.js';
import { bearer, domainFor, keyFor, orgWithKey, type OrgFixture } from './factories.js';
import { BACKENDS, createTestContext, type TestContext } from './harness.js';
import { RELAY_USER, startRelay, type TestRelay } from './smtp-relay.js';

// The worker against a real SMTP server standing in for the relay: DKIM signatures that mailauth
// verifies, envelope recipients (Bcc), retries with backoff on 4xx, bounces on 5xx, giving up,
// capture-only test mode, leases taken over after a crash and renewed while alive, and never a
// second delivery of one email.

for (const backend of BACKENDS) {
  describe(`delivery worker (${backend})`, () => {
    let ctx: TestContext;
    let relay: TestRelay;
    let acme: OrgFixture;
    let worker: RunningWorker | undefined;
    const others: RunningWorker[] = [];
    const resolver = new Map<string, string>();
    const publish = (row: typeof domains.$inferSelect): void => {
      for (const record of presentRecords(row)) resolver.set(record.name, record.value);
    };
    const verifyDkim = (raw: Buffer) => dkimVerify(raw, { resolver: async (name, type) => (type === 'TXT' && resolver.has(name) ? [[resolver.get(name)!]] : []) });

    beforeAll(async () => {
      relay = await startRelay();
      ctx = await createTestContext(backend, {
        SMTP_RELAY_URL: relay.url,
        POSTGATE_DELIVERY_RETRY_BASE_MS: '20',
        POSTGATE_DELIVERY_MAX_ATTEMPTS: '3',
        POSTGATE_DELIVERY_LEASE_SECONDS: '2',
      });
      acme = await orgWithKey(ctx.deps, 'acme');
      const id = await domainFor(ctx.deps, acme.org, 'mail.acme.test');
      const [row] = await ctx.deps.database.db.select().from(domains).where(eq(domains.id, id));
      publish(row!);
    });
    afterEach(async () => {
      await worker?.stop();
      worker = undefined;
      for (const other of others.splice(0)) await other.stop();
      relay.respond = () => undefined;
    });
    afterAll(async () => {
      await ctx?.close();
      await relay?.close();
    });

    const send = async (body: Record<string, unknown>, token = acme.token): Promise<string> => {
      const res = await ctx.app.inject({ method: 'POST', url: '/emails', headers: { ...bearer(token), 'content-type': 'application/json' }, payload: JSON.stringify(body) });
      expect(res.statusCode, res.body).toBe(200);
      return (res.json() as { id: string }).id;
    };
    // `token`: a key of the email's mode (keys see only objects of their own mode).
    const email = async (id: string, token = acme.token) => (await ctx.app.inject({ method: 'GET', url: `/emails/${id}`, headers: bearer(token) })).json();
    const settled = (id: string, token = acme.token) =>
      eventually(async () => ['delivered', 'bounced', 'failed'].includes((await email(id, token)).last_event), 10_000, `email ${id} to settle`);
    const relayed = (id: string) => relay.messages.filter((m) => m.messageId === `<${id}@mail.acme.test>`);

    it('relays DKIM-signed mail (mailauth verifies it) to the envelope recipients, Bcc included, logged in to the relay', async () => {
      worker = startWorker(ctx.deps);
      const id = await send(emailBody('Acme <hello@mail.acme.test>', { to: 'to@example.net', cc: 'cc@example.net', bcc: 'secret@example.net' }));
      await settled(id);
      const [message] = relayed(id);
      expect(message).toBeDefined();
      expect(message!.user).toBe(RELAY_USER);
      expect(message!.from).toBe('hello@mail.acme.test');
      expect(message!.to.sort()).toEqual(['cc@example.net', 'secret@example.net', 'to@example.net']);
      expect(message!.raw.toString()).not.toMatch(/^bcc:/im);
      const verified = await verifyDkim(message!.raw);
      expect(verified.results).toHaveLength(1);
      expect(verified.results[0]).toMatchObject({ signingDomain: 'mail.acme.test', status: { result: 'pass' } });
      const shown = await email(id);
      expect(shown.last_event).toBe('delivered');
      expect(shown.events.map((e: { type: string }) => e.type)).toEqual(['queued', 'sent', 'delivered']);
      expect(shown.events[2].detail).toMatch(/OK: queued/);
    });

    it('retries temporary failures (4xx) with backoff, then delivers once', async () => {
      let refusals = 0;
      relay.respond = () => (refusals++ < 2 ? { code: 451, message: 'Try again later' } : undefined);
      worker = startWorker(ctx.deps);
      const id = await send(emailBody('hello@mail.acme.test', { subject: 'retry me' }));
      await settled(id);
      const shown = await email(id);
      expect(shown.events.map((e: { type: string }) => e.type)).toEqual(['queued', 'delivery_delayed', 'delivery_delayed', 'sent', 'delivered']);
      expect(shown.events[1].detail).toMatch(/451/);
      expect(relayed(id)).toHaveLength(1);
    });

    it('bounces on a permanent failure (5xx) without retrying', async () => {
      let tries = 0;
      relay.respond = () => {
        tries++;
        return { code: 550, message: '5.1.1 No such user' };
      };
      worker = startWorker(ctx.deps);
      // Its own recipient: a bounce puts the address on the suppression list.
      const id = await send(emailBody('hello@mail.acme.test', { subject: 'bounce', to: 'bounced-once@example.net' }));
      await settled(id);
      const shown = await email(id);
      expect(shown.last_event).toBe('bounced');
      expect(shown.events.map((e: { type: string }) => e.type)).toEqual(['queued', 'bounced']);
      expect(shown.events[1].detail).toMatch(/550/);
      expect(tries).toBe(1);
      expect((await ctx.deps.services.suppressions.get(operator(acme.org.id, acme.org.default_project_id), 'bounced-once@example.net')).origin).toBe('bounce');
    });

    it('suppresses no one when the relay refuses the sender or the content (5xx, not the mailbox)', async () => {
      relay.respond = () => ({ code: 554, message: '5.7.1 Message rejected: sender not verified' });
      worker = startWorker(ctx.deps);
      const id = await send(emailBody('hello@mail.acme.test', { subject: 'policy', to: 'innocent@example.net' }));
      await settled(id);
      expect((await email(id)).last_event).toBe('bounced');
      await expect(ctx.deps.services.suppressions.get(operator(acme.org.id, acme.org.default_project_id), 'innocent@example.net')).rejects.toMatchObject({ code: 'not_found' });
    });

    it('gives up after the maximum number of attempts (failed)', async () => {
      relay.respond = () => ({ code: 421, message: 'Service not available' });
      worker = startWorker(ctx.deps);
      const id = await send(emailBody('hello@mail.acme.test', { subject: 'give up' }));
      await settled(id);
      const shown = await email(id);
      expect(shown.events.map((e: { type: string }) => e.type)).toEqual(['queued', 'delivery_delayed', 'delivery_delayed', 'failed']);
      expect(shown.events[3].detail).toMatch(/gave up after 3 attempts/);
    });

    it('only captures test-mode mail, even with a relay configured, and serves the signed message', async () => {
      const test = await keyFor(ctx.deps, acme.org, { name: 'test', mode: 'test' });
      worker = startWorker(ctx.deps);
      const signedId = await send(emailBody('hello@mail.acme.test', { subject: 'test mode' }), test.token);
      const unsignedId = await send(emailBody('hello@unverified.example', { subject: 'test mode, any domain' }), test.token);
      await settled(signedId, test.token);
      await settled(unsignedId, test.token);
      expect(relayed(signedId)).toHaveLength(0);
      expect(relay.messages.filter((m) => m.messageId?.includes(unsignedId))).toHaveLength(0);
      // Test-mode mail is read with a test key: live keys see live objects only.
      const raw = await ctx.app.inject({ method: 'GET', url: `/emails/${signedId}/raw`, headers: bearer(test.token) });
      expect(raw.statusCode).toBe(200);
      expect(raw.headers['content-type']).toMatch(/^message\/rfc822/);
      expect(raw.body).toMatch(/^DKIM-Signature: .*d=mail\.acme\.test/);
      const unsigned = await ctx.app.inject({ method: 'GET', url: `/emails/${unsignedId}/raw`, headers: bearer(test.token) });
      expect(unsigned.body).not.toMatch(/DKIM-Signature/);
      expect(unsigned.body).toMatch(/Subject: test mode, any domain/);
      // Relayed mail was not captured: there is nothing to read back.
      const live = await send(emailBody('hello@mail.acme.test'));
      await settled(live);
      expect((await ctx.app.inject({ method: 'GET', url: `/emails/${live}/raw`, headers: bearer(acme.token) })).statusCode).toBe(404);
    });

    it('fails live mail whose domain was deleted after acceptance, sending nothing', async () => {
      const doomed = await domainFor(ctx.deps, acme.org, 'doomed.acme.test');
      const id = await send(emailBody('x@doomed.acme.test'));
      await ctx.deps.database.db.delete(domains).where(eq(domains.id, doomed));
      worker = startWorker(ctx.deps);
      await settled(id);
      const shown = await email(id);
      expect(shown.last_event).toBe('failed');
      expect(shown.events.at(-1).detail).toMatch(/deleted/);
      expect(relay.messages.filter((m) => m.messageId?.includes(id))).toHaveLength(0);
    });

    it('delivers an email once however many workers race for it', async () => {
      const svc = ctx.deps.services.emails;
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) ids.push((await svc.send(senderFor(acme.org), emailBody('hello@mail.acme.test', { subject: `raced ${i}` }))).id);
      // Three workers of one instance, each with its own loop and claims.
      worker = startWorker(ctx.deps, { concurrency: 4, pollIntervalMs: 50 });
      for (let i = 0; i < 2; i++) others.push(startWorker(ctx.deps, { concurrency: 4, pollIntervalMs: 50 }));
      for (const id of ids) await settled(id);
      await new Promise((r) => setTimeout(r, 300));
      expect(ids.map((id) => relayed(id).length)).toEqual(Array(10).fill(1));
    });

    it('delivers the emails of a batch side by side, up to its concurrency', async () => {
      const batch = Array.from({ length: 6 }, (_, i) => emailBody('hello@mail.acme.test', { subject: `side by side ${i}` }));
      const ids = (await ctx.deps.services.emails.sendBatch(senderFor(acme.org), batch)).data.map((d) => d.id);
      // The relay holds each answer until three messages wait (or 2 s): the most waiting at once
      // is how many emails the worker was sending side by side.
      const waiting: (() => void)[] = [];
      let most = 0;
      relay.respond = () =>
        new Promise<undefined>((resolve) => {
          const go = (): void => {
            clearTimeout(timer);
            waiting.splice(waiting.indexOf(go), 1);
            resolve(undefined);
          };
          const timer = setTimeout(go, 2_000);
          waiting.push(go);
          most = Math.max(most, waiting.length);
          if (waiting.length >= 3) for (const release of [...waiting]) release();
        });
      worker = startWorker(ctx.deps, { concurrency: 3 });
      for (const id of ids) await settled(id);
      expect(most).toBe(3);
      expect(ids.map((id) => relayed(id).length)).toEqual([1, 1, 1, 1, 1, 1]);
    });

    it('takes over an attempt whose worker died, once its lease is over', async () => {
      const id = await send(emailBody('hello@mail.acme.test', { subject: 'orphaned attempt' }));
      // A worker claims it and dies before recording anything (its lease is never renewed).
      expect(await ctx.deps.queue.claimById(id)).toMatchObject({ id, attempts: 1 });
      const started = Date.now();
      worker = startWorker(ctx.deps, { pollIntervalMs: 100 });
      await settled(id);
      expect(Date.now() - started).toBeGreaterThan(1_000);
      expect(relayed(id)).toHaveLength(1);
      const [row] = await ctx.deps.database.db.select({ attempts: emails.attempts }).from(emails).where(eq(emails.id, id));
      expect(row!.attempts).toBe(2);
    });

    it('keeps the lease of an email it is still sending, however long the relay takes', async () => {
      // The relay answers after 2.5 leases; another instance's worker looks for due mail meanwhile.
      relay.respond = () => new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5_000));
      worker = startWorker(ctx.deps, { pollIntervalMs: 100 });
      const id = await send(emailBody('hello@mail.acme.test', { subject: 'slow relay' }));
      others.push(startWorker(ctx.deps, { pollIntervalMs: 100 }));
      await settled(id);
      expect(relayed(id)).toHaveLength(1);
      const [row] = await ctx.deps.database.db.select({ attempts: emails.attempts }).from(emails).where(eq(emails.id, id));
      expect(row!.attempts).toBe(1);
    }, 20_000);

    it('records nothing for an attempt whose email was taken over meanwhile', async () => {
      const id = await send(emailBody('hello@mail.acme.test', { subject: 'taken over' }));
      const stale = await ctx.deps.queue.claimById(id);
      // Its lease ran out and another attempt took it.
      await ctx.deps.database.db.update(emails).set({ nextAttemptAt: sql`now()` }).where(eq(emails.id, id));
      const current = await ctx.deps.queue.claimById(id);
      expect(current?.attempts).toBe(2);
      const delivery = deliveryDeps(ctx.deps);
      expect(await deliverClaimed(delivery, stale!)).toEqual({ emailId: id, result: 'lost_claim' });
      expect((await email(id)).last_event).toBe('queued');
      expect(await deliverClaimed(delivery, current!)).toEqual({ emailId: id, result: 'sent' });
      expect((await email(id)).last_event).toBe('delivered');
    });

    it("leaves an email an earlier version is sending (locked_until) to it until that lease is over", async () => {
      const id = await send(emailBody('hello@mail.acme.test', { subject: 'earlier version' }));
      // As an instance of the version before the owned queue leaves an email it is sending.
      await ctx.deps.database.db
        .update(emails)
        .set({ status: 'sending', attempts: 1, lockedUntil: sql`now() + interval '1500 milliseconds'` })
        .where(eq(emails.id, id));
      const started = Date.now();
      worker = startWorker(ctx.deps, { pollIntervalMs: 100 });
      await settled(id);
      expect(Date.now() - started).toBeGreaterThan(1_000);
      expect(relayed(id)).toHaveLength(1);
    });

    it("signs with the domain's new key as soon as the key changes", async () => {
      worker = startWorker(ctx.deps, { pollIntervalMs: 100 });
      const before = await send(emailBody('hello@mail.acme.test', { subject: 'old key' }));
      await settled(before);
      const [row] = await ctx.deps.database.db.update(domains).set({ dkimPrivateKey: await generateDkimPrivateKey() }).where(eq(domains.name, 'mail.acme.test')).returning();
      publish(row!);
      const after = await send(emailBody('hello@mail.acme.test', { subject: 'new key' }));
      await settled(after);
      const verified = await verifyDkim(relayed(after)[0]!.raw);
      expect(verified.results[0]).toMatchObject({ signingDomain: 'mail.acme.test', status: { result: 'pass' } });
    });

    it('waits for scheduled_at before delivering', async () => {
      worker = startWorker(ctx.deps, { pollIntervalMs: 200 });
      const at = new Date(Date.now() + 1_500);
      const id = await send(emailBody('hello@mail.acme.test', { subject: 'later', scheduled_at: at.toISOString() }));
      await new Promise((r) => setTimeout(r, 700));
      expect(relayed(id)).toHaveLength(0);
      expect((await email(id)).last_event).toBe('scheduled');
      await settled(id);
      expect(Date.now()).toBeGreaterThanOrEqual(at.getTime());
      expect(relayed(id)).toHaveLength(1);
    });
  });
}

describe.runIf(process.env.DATABASE_URL)('two workers on one PostgreSQL database', () => {
  let first: TestContext;
  let second: TestContext;
  let relay: TestRelay;

  beforeAll(async () => {
    relay = await startRelay();
    const env = { SMTP_RELAY_URL: relay.url, POSTGATE_DELIVERY_RETRY_BASE_MS: '20' };
    first = await createTestContext('postgres', env);
    // A second instance: its own deps, pool and worker, on the first one's database.
    const { createDeps } = await import('../src/app/deps.js');
    const { loadConfig } = await import('../src/config/config.js');
    const pino = (await import('pino')).default;
    const url = (first.deps.database.pool as unknown as { options: { connectionString: string } }).options.connectionString;
    const deps = await createDeps({ config: loadConfig({ LOG_LEVEL: 'silent', ...env }), dbTarget: { kind: 'postgres', url, poolSize: 5 }, logger: pino({ level: 'silent' }) });
    second = { ...first, deps, close: () => deps.close() };
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
    await relay?.close();
  });

  it('delivers every email exactly once, whichever worker takes it', async () => {
    const acme = await orgWithKey(first.deps, 'acme');
    await domainFor(first.deps, acme.org, 'mail.acme.test');
    // Some 4xx on the way, so retries (new jobs) race between the workers too.
    let n = 0;
    relay.respond = () => (n++ % 7 === 3 ? { code: 451, message: 'later' } : undefined);
    const workers = [startWorker(first.deps, { concurrency: 4, pollIntervalMs: 100 }), startWorker(second.deps, { concurrency: 4, pollIntervalMs: 100 })];
    const svc = first.deps.services.emails;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const batch = Array.from({ length: 20 }, (_, j) => emailBody('hello@mail.acme.test', { subject: `storm ${i}-${j}` }));
      ids.push(...(await svc.sendBatch(senderFor(acme.org), batch)).data.map((d) => d.id));
    }
    await eventually(() => new Set(relay.messages.map((m) => m.messageId)).size >= ids.length, 20_000, 'all 60 delivered');
    await new Promise((r) => setTimeout(r, 500));
    await Promise.all(workers.map((w) => w.stop()));
    expect(relay.duplicates()).toEqual([]);
    expect(relay.messages).toHaveLength(ids.length);
    expect(new Set(relay.messages.map((m) => m.messageId))).toEqual(new Set(ids.map((id) => `<${id}@mail.acme.test>`)));
    const statuses = await first.deps.database.db.select({ status: emails.status }).from(emails);
    expect(statuses.every((s) => s.status === 'delivered')).toBe(true);
  });
});
