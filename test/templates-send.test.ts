import PostalMime, { type Email } from 'postal-mime';
import { Resend } from 'resend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker, type RunningWorker } from '../src/worker/worker.js';
import { eventually } from './email-fixtures.js';
import { domainFor, orgWithKey, type OrgFixture } from './factories.js';
import { BACKENDS, createTestContext, type TestContext } from './harness.js';
import { startRelay, type TestRelay } from './smtp-relay.js';

// Sending with a template, the whole way: the unmodified `resend` SDK creates and publishes a
// template and sends with it (by id and by alias); the worker composes the rendered email and a
// real SMTP relay receives it. Published versions are what is sent: an edit changes nothing until
// the next publish.

for (const backend of BACKENDS) {
  describe(`sending with a template (${backend})`, () => {
    let relay: TestRelay;
    let ctx: TestContext;
    let worker: RunningWorker;
    let acme: OrgFixture;
    let other: OrgFixture;
    let baseUrl: string;
    let resend: Resend;
    let welcomeId: string;

    beforeAll(async () => {
      relay = await startRelay();
      ctx = await createTestContext(backend, { SMTP_RELAY_URL: relay.url });
      acme = await orgWithKey(ctx.deps, 'acme');
      other = await orgWithKey(ctx.deps, 'other');
      await domainFor(ctx.deps, acme.org, 'acme.test');
      baseUrl = await ctx.app.listen({ port: 0, host: '127.0.0.1' });
      worker = startWorker(ctx.deps, { pollIntervalMs: 100 });
      process.env.RESEND_BASE_URL = baseUrl;
      resend = new Resend(acme.token);
      const created = await resend.templates.create({
        name: 'welcome',
        alias: 'welcome',
        from: 'Acme <hi@acme.test>',
        replyTo: 'help@acme.test',
        subject: 'Welcome, {{{NAME}}}',
        html: '<p>Hello {{{NAME}}}, your plan: {{{PLAN}}}</p>',
        text: 'Hello {{{NAME}}}, your plan: {{{PLAN}}}',
        variables: [
          { key: 'NAME', type: 'string' },
          { key: 'PLAN', type: 'string', fallbackValue: 'free' },
        ],
      });
      expect(created.error).toBeNull();
      welcomeId = created.data!.id;
      expect((await resend.templates.publish(welcomeId)).error).toBeNull();
    });
    afterAll(async () => {
      delete process.env.RESEND_BASE_URL;
      await worker?.stop();
      await ctx?.close();
      await relay?.close();
    });

    /** The message the relay received for an email, parsed. */
    const delivered = async (id: string): Promise<Email> => {
      const messageId = `<${id}@acme.test>`;
      await eventually(() => relay.messages.some((m) => m.messageId === messageId), 15_000, `delivery of ${id}`);
      return PostalMime.parse(relay.messages.find((m) => m.messageId === messageId)!.raw);
    };

    /** A request the SDK would not send (html beside a template), as JSON. */
    const post = async (body: unknown, token = acme.token): Promise<{ status: number; json: Record<string, unknown> }> => {
      const res = await fetch(`${baseUrl}/emails`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };

    it('sends the published version, rendered, by id and by alias, with the template\'s from, subject and reply_to', async () => {
      const sent = await resend.emails.send({ to: 'ann@example.net', template: { id: welcomeId, variables: { NAME: 'Ann' } } });
      expect(sent.error).toBeNull();
      const message = await delivered(sent.data!.id);
      expect(message.subject).toBe('Welcome, Ann');
      expect(message.from).toMatchObject({ name: 'Acme', address: 'hi@acme.test' });
      expect(message.replyTo?.[0]?.address).toBe('help@acme.test');
      expect(message.html).toContain('<p>Hello Ann, your plan: free</p>');
      expect(message.text?.trim()).toBe('Hello Ann, your plan: free');

      const email = await resend.emails.get(sent.data!.id);
      expect(email.data).toMatchObject({ subject: 'Welcome, Ann', from: 'Acme <hi@acme.test>', template_id: welcomeId, template_variables: { NAME: 'Ann' }, topic_id: null });

      const byAlias = await resend.emails.send({
        from: 'Sales <sales@acme.test>',
        to: 'bob@example.net',
        subject: 'Chosen by the caller',
        replyTo: 'sales@acme.test',
        template: { id: 'welcome', variables: { NAME: 'Bob', PLAN: 'pro' } },
      });
      expect(byAlias.error).toBeNull();
      const explicit = await delivered(byAlias.data!.id);
      // Explicit fields win over the template's.
      expect(explicit.subject).toBe('Chosen by the caller');
      expect(explicit.from).toMatchObject({ name: 'Sales', address: 'sales@acme.test' });
      expect(explicit.replyTo?.[0]?.address).toBe('sales@acme.test');
      expect(explicit.html).toContain('<p>Hello Bob, your plan: pro</p>');
    });

    it('keeps sending the published content after an edit, and the new content once published again', async () => {
      const edited = await resend.templates.update(welcomeId, { html: '<p>Edited {{{NAME}}}</p>', subject: 'Edited {{{NAME}}}' });
      expect(edited.error).toBeNull();
      const before = await resend.emails.send({ to: 'c@example.net', template: { id: welcomeId, variables: { NAME: 'Cy' } } });
      const stillPublished = await delivered(before.data!.id);
      expect(stillPublished.subject).toBe('Welcome, Cy');
      expect(stillPublished.html).toContain('<p>Hello Cy, your plan: free</p>');

      expect((await resend.templates.publish(welcomeId)).error).toBeNull();
      const after = await resend.emails.send({ to: 'c@example.net', template: { id: welcomeId, variables: { NAME: 'Cy' } } });
      const republished = await delivered(after.data!.id);
      expect(republished.subject).toBe('Edited Cy');
      expect(republished.html).toContain('<p>Edited Cy</p>');
    });

    it('escapes a value in the html part and keeps it raw in the text part', async () => {
      const created = await resend.templates.create({
        name: 'note',
        subject: 'A note',
        html: '<div>{{{BODY}}}</div>',
        text: 'Note: {{{BODY}}}',
        variables: [{ key: 'BODY', type: 'string' }],
      });
      await resend.templates.publish(created.data!.id);
      const sent = await resend.emails.send({ from: 'hi@acme.test', to: 'd@example.net', template: { id: created.data!.id, variables: { BODY: '<script>alert(1)</script>' } } });
      expect(sent.error).toBeNull();
      const message = await delivered(sent.data!.id);
      expect(message.html).toContain('<div>&lt;script&gt;alert(1)&lt;/script&gt;</div>');
      expect(message.html).not.toContain('<script>');
      expect(message.text?.trim()).toBe('Note: <script>alert(1)</script>');
    });

    it('refuses with 422 naming the field: a missing variable, an undeclared one, html or text beside a template, no from', async () => {
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ template: { id: welcomeId } }, /^template\.variables\.NAME: is missing, and the template declares no fallback_value/],
        [{ template: { id: welcomeId, variables: { NAME: 'A', CITY: 'Rome' } } }, /^template\.variables\.CITY: is not a variable this template declares/],
        [{ template: { id: welcomeId, variables: { NAME: 'A' } }, html: '<p>mine</p>' }, /^html: cannot be given with template/],
        [{ template: { id: welcomeId, variables: { NAME: 'A' } }, text: 'mine' }, /^text: cannot be given with template/],
        [{ template: { id: welcomeId, variables: { NAME: 'A' } }, react: '<p/>' }, /^react: unknown field/],
        [{ template: { id: welcomeId, variables: { NAME: { nested: true } } } }, /^template\.variables\.NAME/],
        [{ subject: 'no template', text: 'x' }, /^from: is required/],
      ];
      for (const [fields, message] of cases) {
        const res = await post({ to: 'e@example.net', ...fields });
        expect(res.status, JSON.stringify(fields)).toBe(422);
        expect(res.json).toMatchObject({ name: 'validation_error', message: expect.stringMatching(message) });
      }
      const noFrom = await resend.templates.create({ name: 'bare', html: '<p>bare</p>' });
      await resend.templates.publish(noFrom.data!.id);
      const missing = await post({ to: 'e@example.net', template: { id: noFrom.data!.id } });
      expect(missing.json).toMatchObject({ name: 'validation_error', message: expect.stringMatching(/^from: is required: the template has no from/) });
      const noSubject = await post({ from: 'hi@acme.test', to: 'e@example.net', template: { id: noFrom.data!.id } });
      expect(noSubject.json).toMatchObject({ name: 'validation_error', message: expect.stringMatching(/^subject: is required: the template has no subject/) });
      const withSubject = await post({ from: 'hi@acme.test', subject: 'Given', to: 'e@example.net', template: { id: noFrom.data!.id } });
      expect(withSubject.status).toBe(200);
    });

    it('refuses a template never published (422 template.id), and another organization\'s (404), by id and alias', async () => {
      const draft = await resend.templates.create({ name: 'draft', alias: 'draft-only', subject: 's', html: '<p>d</p>' });
      for (const id of [draft.data!.id, 'draft-only']) {
        const res = await post({ from: 'hi@acme.test', to: 'f@example.net', template: { id } });
        expect(res.status).toBe(422);
        expect(res.json).toMatchObject({ name: 'validation_error', message: expect.stringMatching(/^template\.id: /) });
      }
      for (const id of [welcomeId, 'welcome']) {
        const res = await post({ from: 'hi@acme.test', to: 'f@example.net', template: { id, variables: { NAME: 'X' } } }, other.token);
        expect(res.status, id).toBe(404);
        expect(res.json.name).toBe('not_found');
      }
    });

    it('sends a batch with templates, each template loaded once, each email with its own variables', async () => {
      const batch = await resend.batch.send([
        { to: 'g1@example.net', template: { id: welcomeId, variables: { NAME: 'G1' } } },
        { to: 'g2@example.net', template: { id: 'welcome', variables: { NAME: 'G2' } } },
        { from: 'hi@acme.test', to: 'g3@example.net', subject: 'plain', text: 'plain' },
      ]);
      expect(batch.error).toBeNull();
      const [first, second] = batch.data!.data;
      expect((await delivered(first!.id)).subject).toBe('Edited G1');
      expect((await delivered(second!.id)).subject).toBe('Edited G2');
      const refused = await fetch(`${baseUrl}/emails/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${acme.token}`, 'content-type': 'application/json' },
        body: JSON.stringify([{ to: 'h@example.net', template: { id: welcomeId, variables: { NAME: 'H' } } }, { to: 'h@example.net', template: { id: welcomeId } }]),
      });
      expect(refused.status).toBe(422);
      expect(await refused.json()).toMatchObject({ message: expect.stringMatching(/^\[1\]\.template\.variables\.NAME: is missing/) });
    });
  });
}
