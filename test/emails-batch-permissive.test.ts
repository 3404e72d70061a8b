import { Resend } from 'resend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countRows, emailBody } from './email-fixtures.js';
import { bearer, domainFor, orgWithKey, type OrgFixture } from './factories.js';
import { BACKENDS, createTestContext, type TestContext } from './harness.js';

// POST /emails/batch with `x-batch-validation: permissive` (Resend's batch validation modes): the
// valid emails are accepted together, the others listed in `errors` by index; strict, the
// default, still accepts all or none. The Idempotency-Key covers the mode.

type Answer = { data: { id: string }[]; errors?: { index: number; message: string }[] };

for (const backend of BACKENDS) {
  describe(`permissive batch validation (${backend})`, () => {
    let ctx: TestContext;
    let acme: OrgFixture;
    let baseUrl: string;

    beforeAll(async () => {
      ctx = await createTestContext(backend);
      acme = await orgWithKey(ctx.deps, 'acme');
      await domainFor(ctx.deps, acme.org, 'a.acme.test');
      baseUrl = await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    });
    afterAll(async () => {
      delete process.env.RESEND_BASE_URL;
      await ctx?.close();
    });

    const post = (body: unknown, headers: Record<string, string> = {}) =>
      ctx.app.inject({ method: 'POST', url: '/emails/batch', headers: { ...bearer(acme.token), 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) });
    const permissive = { 'x-batch-validation': 'permissive' };
    const footprint = async () => ({ emails: await countRows(ctx.deps, 'emails'), keys: await countRows(ctx.deps, 'idempotency_keys') });

    it('through the SDK: accepts the valid emails and lists the bad address by index; strict refuses them all', async () => {
      process.env.RESEND_BASE_URL = baseUrl;
      const resend = new Resend(acme.token);
      const payload = [
        { from: 'a@a.acme.test', to: 'one@example.net', subject: 'one', text: '1' },
        { from: 'a@a.acme.test', to: 'not-an-address', subject: 'two', text: '2' },
        { from: 'a@a.acme.test', to: 'three@example.net', subject: 'three', text: '3' },
      ];
      const before = await footprint();
      const strict = await resend.batch.send(payload);
      expect(strict.error).toMatchObject({ statusCode: 422, name: 'validation_error', message: expect.stringMatching(/^\[1\]\.to: /) });
      expect(await footprint()).toEqual(before);

      const sent = await resend.batch.send(payload, { batchValidation: 'permissive' });
      expect(sent.error).toBeNull();
      expect(sent.data!.data).toHaveLength(2);
      expect(sent.data!.errors).toEqual([{ index: 1, message: expect.stringMatching(/^to: "not-an-address" is not a valid email address/) }]);
      const subjects = await Promise.all(sent.data!.data.map(async ({ id }) => (await resend.emails.get(id)).data?.subject));
      expect(subjects).toEqual(['one', 'three']);
      expect(await footprint()).toEqual({ ...before, emails: before.emails + 2 });
    });

    it('lists items refused by their shape, their content or their domain, each with its own message', async () => {
      const res = await post(
        [
          emailBody('a@a.acme.test', { subject: 'kept-1' }),
          emailBody('a@a.acme.test', { unknown: 1 }),
          'not an email',
          emailBody('a@a.acme.test', { to: undefined }),
          emailBody('a@unknown.example'),
          emailBody('a@a.acme.test', { subject: 'x\r\ny' }),
          emailBody('a@a.acme.test', { scheduled_at: 'someday' }),
          emailBody('a@a.acme.test', { subject: 'kept-2', scheduled_at: 'in 2 hours' }),
        ],
        permissive,
      );
      expect(res.statusCode, res.body).toBe(200);
      const answer = res.json() as Answer;
      expect(answer.data).toHaveLength(2);
      expect(answer.errors!.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6]);
      const messages = answer.errors!.map((e) => e.message);
      expect(messages[0]).toMatch(/^unknown: unknown field/);
      expect(messages[1]).toMatch(/^body: Invalid input: expected object, received string/);
      expect(messages[2]).toBe('to: is required');
      expect(messages[3]).toMatch(/^from: unknown\.example is not a verified domain/);
      expect(messages[4]).toBe('subject: must not contain CR or LF');
      expect(messages[5]).toMatch(/^scheduled_at: must be an ISO 8601 time with a zone, .* or one of "now", "in 30 minutes"/);
    });

    it('answers 200 with no data and every error when no email is valid, storing nothing', async () => {
      const before = await footprint();
      const res = await post([emailBody('a@a.acme.test', { to: 'bad' }), { nope: true }], { ...permissive, 'idempotency-key': 'all-bad' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ data: [], errors: [{ index: 0, message: expect.stringMatching(/^to: /) }, { index: 1, message: expect.stringMatching(/^to: is required/) }] });
      expect(await footprint()).toEqual(before);
    });

    it('still refuses a body that is not a list of 1 to 100 items, and a header that names no mode', async () => {
      for (const body of [[], { from: 'a@a.acme.test' }, Array.from({ length: 101 }, () => emailBody('a@a.acme.test'))]) {
        const res = await post(body, permissive);
        expect(res.statusCode).toBe(422);
        expect(res.json()).toMatchObject({ name: 'validation_error', message: expect.stringMatching(/^body: /) });
      }
      for (const mode of ['lenient', 'PERMISSIVE', '']) {
        const res = await post([emailBody('a@a.acme.test')], { 'x-batch-validation': mode });
        expect(res.statusCode, mode).toBe(400);
        expect(res.json()).toMatchObject({ name: 'invalid_header', message: expect.stringMatching(/^x-batch-validation must be strict or permissive/) });
      }
      const strict = await post([emailBody('a@a.acme.test')], { 'x-batch-validation': 'strict' });
      expect(strict.statusCode).toBe(200);
      expect(strict.json()).not.toHaveProperty('errors');
    });

    it('replays the first answer for the same Idempotency-Key and body, and refuses the key for the same body in the other mode', async () => {
      const body = [emailBody('a@a.acme.test', { subject: 'idem-p' }), emailBody('a@a.acme.test', { to: 'bad' })];
      const first = await post(body, { ...permissive, 'idempotency-key': 'permissive-1' });
      expect(first.statusCode).toBe(200);
      const before = await footprint();
      const again = await post(body, { ...permissive, 'idempotency-key': 'permissive-1' });
      expect(again.json()).toEqual(first.json());
      expect(await footprint()).toEqual(before);

      const valid = [emailBody('a@a.acme.test', { subject: 'idem-s' })];
      expect((await post(valid, { 'idempotency-key': 'mode-1' })).statusCode).toBe(200);
      const otherMode = await post(valid, { ...permissive, 'idempotency-key': 'mode-1' });
      expect(otherMode.statusCode).toBe(409);
      expect(otherMode.json().name).toBe('invalid_idempotent_request');
    });
  });
}
