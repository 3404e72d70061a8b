import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailBody, countRows } from './email-fixtures.js';
import { bearer, domainFor, keyFor, orgWithKey, type OrgFixture } from './factories.js';
import { BACKENDS, createTestContext, type TestContext } from './harness.js';

// POST /emails, /emails/batch, GET /emails and /emails/{id} through the real app (inject), on
// PGlite and on PostgreSQL: the sending rules, validation and header injection, durability of
// what is accepted, and Idempotency-Key under concurrency.

for (const backend of BACKENDS) {
  describe(`emails API (${backend})`, () => {
    let ctx: TestContext;
    let acme: OrgFixture;
    let other: OrgFixture;
    let domainA: string;

    beforeAll(async () => {
      ctx = await createTestContext(backend, { POSTGATE_MAX_KEYS_PER_ORG: '50' });
      acme = await orgWithKey(ctx.deps, 'acme');
      other = await orgWithKey(ctx.deps, 'other');
      domainA = await domainFor(ctx.deps, acme.org, 'a.acme.test');
      await domainFor(ctx.deps, acme.org, 'b.acme.test');
      await domainFor(ctx.deps, acme.org, 'pending.acme.test', 'pending');
    });
    afterAll(async () => ctx?.close());

    const post = (url: string, token: string, body: unknown, headers: Record<string, string> = {}) =>
      ctx.app.inject({ method: 'POST', url, headers: { ...bearer(token), 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) });
    const get = (url: string, token: string) => ctx.app.inject({ method: 'GET', url, headers: bearer(token) });

    /**
     * Rows in every table an acceptance writes: none of them may move when a request is refused.
     * (An email's row is also its entry in the delivery queue.)
     */
    const footprint = async () => ({
      emails: await countRows(ctx.deps, 'emails'),
      events: await countRows(ctx.deps, 'email_events'),
      messages: await countRows(ctx.deps, 'email_messages'),
      keys: await countRows(ctx.deps, 'idempotency_keys'),
    });

    it('accepts an email from a verified domain: 200 {id}, with its row (queued for delivery), message and queued event committed', async () => {
      const before = await footprint();
      const res = await post('/emails', acme.token, emailBody('Acme <hello@a.acme.test>', { to: ['x@example.net', 'y@example.net'], cc: 'c@example.net', bcc: ['hidden@example.net'], reply_to: 'help@a.acme.test', html: '<p>Hi</p>', tags: [{ name: 'kind', value: 'welcome' }] }));
      expect(res.statusCode, res.body).toBe(200);
      const { id } = res.json() as { id: string };
      expect(id).toMatch(/^em_[0-9a-z]{26}$/);
      expect(await footprint()).toEqual({ emails: before.emails + 1, events: before.events + 1, messages: before.messages + 1, keys: before.keys });

      const email = (await get(`/emails/${id}`, acme.token)).json();
      expect(email).toMatchObject({
        object: 'email',
        id,
        from: 'Acme <hello@a.acme.test>',
        to: ['x@example.net', 'y@example.net'],
        cc: ['c@example.net'],
        bcc: ['hidden@example.net'],
        reply_to: ['help@a.acme.test'],
        subject: 'Hello',
        html: '<p>Hi</p>',
        text: 'Hi there',
        tags: [{ name: 'kind', value: 'welcome' }],
        last_event: 'queued',
        scheduled_at: null,
        message_id: `<${id}@a.acme.test>`,
        template_id: null,
        template_variables: null,
        topic_id: null,
      });
      expect(email.events).toEqual([{ type: 'queued', created_at: expect.any(String), detail: null }]);
    });

    it('lists emails newest first with cursors, only the organization\'s own', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        // Ids order by creation time; the test clock stands still unless moved.
        ctx.clock.advance(1);
        ids.push((await post('/emails', acme.token, emailBody('a@a.acme.test', { subject: `n${i}` }))).json().id);
      }
      const page = (await get('/emails?limit=2', acme.token)).json();
      expect(page).toMatchObject({ object: 'list', has_more: true });
      expect(page.data.map((e: { id: string }) => e.id)).toEqual([ids[2], ids[1]]);
      expect(page.data[0]).not.toHaveProperty('html');
      const next = (await get(`/emails?limit=2&after=${ids[1]}`, acme.token)).json();
      expect(next.data[0].id).toBe(ids[0]);
      expect((await get('/emails', other.token)).json().data).toEqual([]);
    });

    it("answers another organization's email with 404", async () => {
      const { id } = (await post('/emails', acme.token, emailBody('a@a.acme.test'))).json();
      for (const url of [`/emails/${id}`, `/emails/${id}/raw`]) {
        const res = await get(url, other.token);
        expect(res.statusCode).toBe(404);
        expect(res.json().name).toBe('not_found');
      }
    });

    it('refuses a live key sending from an unverified or unknown domain (403 domain_not_verified), storing nothing', async () => {
      const before = await footprint();
      for (const from of ['a@pending.acme.test', 'a@unknown.example', 'Someone <a@other.example>']) {
        const res = await post('/emails', acme.token, emailBody(from));
        expect(res.statusCode, from).toBe(403);
        expect(res.json()).toMatchObject({ name: 'domain_not_verified', message: expect.stringMatching(/^from: /) });
      }
      expect(await footprint()).toEqual(before);
    });

    it('refuses a key restricted to domain A sending from verified domain B (403 domain_not_allowed)', async () => {
      const restricted = await keyFor(ctx.deps, acme.org, { name: 'only-a', permission: 'sending_access', domain_ids: [domainA] });
      expect((await post('/emails', restricted.token, emailBody('x@a.acme.test'))).statusCode).toBe(200);
      const res = await post('/emails', restricted.token, emailBody('x@b.acme.test'));
      expect(res.statusCode).toBe(403);
      expect(res.json().name).toBe('domain_not_allowed');
    });

    it('lets a test-mode key send from any domain (its mail is only captured)', async () => {
      const test = await keyFor(ctx.deps, acme.org, { name: 'test', mode: 'test' });
      const res = await post('/emails', test.token, emailBody('try@never-verified.example'));
      expect(res.statusCode, res.body).toBe(200);
    });

    it('refuses a sending_access key on GET /emails and GET /emails/{id} (403)', async () => {
      const sending = await keyFor(ctx.deps, acme.org, { name: 'sender', permission: 'sending_access' });
      const { id } = (await post('/emails', sending.token, emailBody('a@a.acme.test'))).json();
      for (const url of ['/emails', `/emails/${id}`, `/emails/${id}/raw`]) {
        const res = await get(url, sending.token);
        expect(res.statusCode, url).toBe(403);
        expect(res.json().name).toBe('insufficient_scope');
      }
    });

    it('refuses CR or LF in the subject, display name, address, custom header name and value: 422 naming the field, nothing queued', async () => {
      const before = await footprint();
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ subject: 'Hi\r\nBcc: victim@example.net' }, /^subject: must not contain CR or LF/],
        [{ subject: 'Hi\nX-Evil: 1' }, /^subject: /],
        [{ from: 'Evil\r\nBcc: victim@example.net <a@a.acme.test>' }, /^from: must not contain CR or LF/],
        [{ from: 'a@a.acme.test\r\nBcc: victim@example.net' }, /^from: /],
        [{ to: ['ok@example.net', 'x@example.net\nBcc: victim@example.net'] }, /^to\[1\]: must not contain CR or LF/],
        [{ reply_to: 'Name\r <r@example.net>' }, /^reply_to: /],
        [{ headers: { 'X-Evil\r\nBcc': 'victim@example.net' } }, /^headers: the header name .* must not contain CR or LF/],
        [{ headers: { 'X-Ref': 'one\r\nBcc: victim@example.net' } }, /^headers\.X-Ref: must not contain CR or LF/],
        [{ headers: { Bcc: 'victim@example.net' } }, /^headers\.Bcc: is set by Postgate/],
        [{ headers: { 'X Space': 'v' } }, /^headers: /],
      ];
      for (const [fields, message] of cases) {
        const res = await post('/emails', acme.token, emailBody('a@a.acme.test', fields));
        expect(res.statusCode, JSON.stringify(fields)).toBe(422);
        expect(res.json()).toMatchObject({ name: 'validation_error', message: expect.stringMatching(message) });
      }
      const batch = await post('/emails/batch', acme.token, [emailBody('a@a.acme.test'), emailBody('a@a.acme.test', { subject: 'x\r\ny' })]);
      expect(batch.statusCode).toBe(422);
      expect(batch.json().message).toMatch(/^\[1\]\.subject: must not contain CR or LF/);
      expect(await footprint()).toEqual(before);
    });

    it('refuses unknown fields, bad addresses, missing content and bad attachments with 422 naming the field', async () => {
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ organization_id: 'org_x' }, /^organization_id: unknown field/],
        [{ to: 'not-an-address' }, /^to: "not-an-address" is not a valid email address/],
        [{ to: [] }, /^to: give at least one recipient/],
        [{ to: Array.from({ length: 51 }, (_, i) => `r${i}@example.net`) }, /^to/],
        [{ from: 'a@a.acme.test', text: undefined }, /^html: give html or text/],
        [{ tags: [{ name: 'bad name', value: 'x' }] }, /^tags\[0\]\.name: /],
        [{ attachments: [{ filename: 'a.txt', content: 'not base64!' }] }, /^attachments\[0\]\.content: is not base64/],
        [{ attachments: [{ filename: 'a.txt', path: 'https://example.com/a.txt' }] }, /^attachments\[0\]\.path: remote attachments/],
        [{ attachments: [{ filename: 'a.txt', content: 'aGk=', content_type: 'text/plain\r\nX: y' }] }, /^attachments\[0\]\.content_type: /],
        [{ scheduled_at: 'tomorrow' }, /^scheduled_at: must be an ISO 8601 time/],
        [{ scheduled_at: new Date(Date.now() + 40 * 86_400_000).toISOString() }, /^scheduled_at: may be at most 30 days ahead/],
        [{ scheduled_at: 'tomorrow at 9am Europe/Paris' }, /^scheduled_at: must be an ISO 8601 time with a zone, .*, or one of "now", "in 30 minutes"/],
        [{ scheduled_at: 'in 31 days' }, /^scheduled_at: may be at most 30 days ahead/],
        [{ topic_id: 'x'.repeat(65) }, /^topic_id: /],
      ];
      for (const [fields, message] of cases) {
        const res = await post('/emails', acme.token, emailBody('a@a.acme.test', fields));
        expect(res.statusCode, JSON.stringify(fields).slice(0, 80)).toBe(422);
        expect(res.json()).toMatchObject({ name: 'validation_error', message: expect.stringMatching(message) });
      }
    });

    it('sanitises attachment file names and caps attachments (413) and the body (413)', async () => {
      const ok = await post('/emails', acme.token, emailBody('a@a.acme.test', { attachments: [{ filename: '../../etc/pass\r\nwd.txt', content: Buffer.from('hello').toString('base64') }] }));
      expect(ok.statusCode, ok.body).toBe(200);
      const big = Buffer.alloc(7 * 1024 * 1024 + 1, 1).toString('base64');
      const tooMuch = await post('/emails', acme.token, emailBody('a@a.acme.test', { attachments: [{ filename: 'big.bin', content: big }] }));
      expect(tooMuch.statusCode).toBe(413);
      expect(tooMuch.json()).toMatchObject({ name: 'payload_too_large', message: expect.stringMatching(/^attachments: /) });
      const huge = await post('/emails', acme.token, emailBody('a@a.acme.test', { html: 'x'.repeat(11 * 1024 * 1024) }));
      expect(huge.statusCode).toBe(413);
      expect(huge.json().name).toBe('payload_too_large');
    });

    it('accepts a batch in one transaction, and refuses a batch with any invalid email naming [i].field, storing nothing', async () => {
      const res = await post('/emails/batch', acme.token, [emailBody('a@a.acme.test'), emailBody('b@b.acme.test', { subject: 'two' }), emailBody('a@a.acme.test', { subject: 'three' })]);
      expect(res.statusCode, res.body).toBe(200);
      const { data } = res.json() as { data: { id: string }[] };
      expect(data).toHaveLength(3);
      expect((await get(`/emails/${data[1]!.id}`, acme.token)).json().subject).toBe('two');

      const before = await footprint();
      for (const [body, message] of [
        [[emailBody('a@a.acme.test'), emailBody('a@a.acme.test', { to: 'bad' })], /^\[1\]\.to: /],
        [[emailBody('a@a.acme.test'), emailBody('a@a.acme.test', { unknown: 1 })], /^\[1\]\.unknown: unknown field/],
        [Array.from({ length: 101 }, () => emailBody('a@a.acme.test')), /^body: /],
      ] as const) {
        const bad = await post('/emails/batch', acme.token, body);
        expect(bad.statusCode).toBe(422);
        expect(bad.json()).toMatchObject({ name: 'validation_error', message: expect.stringMatching(message) });
      }
      const denied = await post('/emails/batch', acme.token, [emailBody('a@a.acme.test'), emailBody('a@unknown.example')]);
      expect(denied.statusCode).toBe(403);
      expect(denied.json()).toMatchObject({ name: 'domain_not_verified', message: expect.stringMatching(/^\[1\]\.from: /) });
      expect(await footprint()).toEqual(before);
    });

    it('shows a scheduled email as scheduled until its time', async () => {
      const at = new Date(Date.now() + 3_600_000).toISOString();
      const { id } = (await post('/emails', acme.token, emailBody('a@a.acme.test', { scheduled_at: at }))).json();
      const email = (await get(`/emails/${id}`, acme.token)).json();
      expect(email).toMatchObject({ last_event: 'scheduled', scheduled_at: at });
    });

    it('reads scheduled_at in words, in UTC unless given an offset, and stores topic_id', async () => {
      const now = ctx.clock.now();
      const soon = (await post('/emails', acme.token, emailBody('a@a.acme.test', { scheduled_at: 'in 1 hour', topic_id: 'topic_news' }))).json();
      const email = (await get(`/emails/${soon.id}`, acme.token)).json();
      expect(email).toMatchObject({ last_event: 'scheduled', scheduled_at: new Date(now.getTime() + 3_600_000).toISOString(), topic_id: 'topic_news' });
      const morning = (await post('/emails', acme.token, emailBody('a@a.acme.test', { scheduled_at: 'tomorrow at 9am +02:00' }))).json();
      const tomorrowAt7Utc = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1, 7));
      expect((await get(`/emails/${morning.id}`, acme.token)).json().scheduled_at).toBe(tomorrowAt7Utc.toISOString());
    });

    describe('Idempotency-Key', () => {
      it('replays the first answer for the same key and payload, creating nothing more', async () => {
        const body = emailBody('a@a.acme.test', { subject: 'idem-1' });
        const first = await post('/emails', acme.token, body, { 'idempotency-key': 'order-1' });
        expect(first.statusCode).toBe(200);
        const before = await footprint();
        // Same payload with its keys in another order is the same request.
        const again = await post('/emails', acme.token, Object.fromEntries(Object.entries(body).reverse()), { 'idempotency-key': 'order-1' });
        expect(again.statusCode).toBe(200);
        expect(again.json()).toEqual(first.json());
        expect(await footprint()).toEqual(before);
      });

      it('answers 409 invalid_idempotent_request for the same key with another payload', async () => {
        await post('/emails', acme.token, emailBody('a@a.acme.test', { subject: 'idem-2' }), { 'idempotency-key': 'order-2' });
        const res = await post('/emails', acme.token, emailBody('a@a.acme.test', { subject: 'idem-2 changed' }), { 'idempotency-key': 'order-2' });
        expect(res.statusCode).toBe(409);
        expect(res.json().name).toBe('invalid_idempotent_request');
        const batch = await post('/emails/batch', acme.token, [emailBody('a@a.acme.test', { subject: 'idem-2' })], { 'idempotency-key': 'order-2' });
        expect(batch.statusCode).toBe(409);
      });

      it('creates exactly one email for ten concurrent requests with one key', async () => {
        const before = await countRows(ctx.deps, 'emails');
        const body = emailBody('a@a.acme.test', { subject: 'idem-concurrent' });
        const responses = await Promise.all(Array.from({ length: 10 }, () => post('/emails', acme.token, body, { 'idempotency-key': 'burst-1' })));
        expect(await countRows(ctx.deps, 'emails')).toBe(before + 1);
        const ok = responses.filter((r) => r.statusCode === 200);
        expect(ok.length).toBeGreaterThanOrEqual(1);
        expect(new Set(ok.map((r) => r.json().id)).size).toBe(1);
        for (const r of responses.filter((r) => r.statusCode !== 200)) {
          expect(r.statusCode).toBe(409);
          expect(r.json().name).toBe('concurrent_idempotent_requests');
        }
        // Once settled, every retry gets the one answer.
        const settled = await post('/emails', acme.token, body, { 'idempotency-key': 'burst-1' });
        expect(settled.json()).toEqual(ok[0]!.json());
      });

      it('keeps keys per organization and for 24 hours', async () => {
        const mine = await post('/emails', acme.token, emailBody('a@a.acme.test'), { 'idempotency-key': 'shared-key' });
        const otherDomain = await domainFor(ctx.deps, other.org, 'other.test');
        expect(otherDomain).toBeDefined();
        const theirs = await post('/emails', other.token, emailBody('a@other.test'), { 'idempotency-key': 'shared-key' });
        expect(theirs.statusCode).toBe(200);
        expect(theirs.json().id).not.toBe(mine.json().id);
        ctx.clock.advance(24 * 60 * 60 * 1000 + 1000);
        const later = await post('/emails', acme.token, emailBody('a@a.acme.test'), { 'idempotency-key': 'shared-key' });
        expect(later.statusCode).toBe(200);
        expect(later.json().id).not.toBe(mine.json().id);
      });

      it('refuses a malformed key with 400 invalid_header', async () => {
        for (const key of ['x'.repeat(257), 'with space', 'naïve']) {
          const res = await post('/emails', acme.token, emailBody('a@a.acme.test'), { 'idempotency-key': key });
          expect(res.statusCode, key).toBe(400);
          expect(res.json().name).toBe('invalid_header');
        }
      });
    });
  });
}
