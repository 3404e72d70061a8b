import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailEvents, emails } from '../src/db/schema.js';
import { events, webhooks } from '../src/db/schema-events.js';
import { newId } from '../src/lib/ids.js';
import { createSecretBox } from '../src/modules/accounts/secret-box.js';
import { loadSecretKey } from '../src/modules/accounts/secret-key.js';
import { deliverEmail } from '../src/modules/delivery/deliver.js';
import type { OrganizationObject } from '../src/modules/organizations/service.js';
import { createTrackingService, RECORDED_PER_CLIENT, type TrackingService } from '../src/modules/tracking/service.js';
import { deliveryDeps } from '../src/worker/worker.js';
import { emailBody, senderFor } from './email-fixtures.js';
import { domainFor, orgWithKey } from './factories.js';
import { BACKENDS, createTestContext, type TestContext } from './harness.js';

// Open and click tracking end to end, on a listening server: the links and pixel a delivered
// email's HTML gets, then what a recipient's client reaching them records.

const ORIGINAL = 'https://shop.example.com/offer?id=7&ref=mail';
const HTML = `<html><body><p>Hello <a href="${ORIGINAL.replace('&', '&amp;')}">the offer</a> <a href="mailto:help@example.com">help</a></p></body></html>`;

for (const backend of BACKENDS) {
  describe(`tracking (${backend})`, () => {
    let ctx: TestContext;
    let base: string;
    let tracking: TrackingService;
    let org: OrganizationObject;
    let emailId: string;
    let clickToken: string;
    let openToken: string;

    beforeAll(async () => {
      ctx = await createTestContext(backend);
      await ctx.app.listen({ port: 0, host: '127.0.0.1' });
      const address = ctx.app.server.address();
      base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      // Built directly, from the install's own key, as the composition root builds it.
      const box = createSecretBox(() => loadSecretKey(ctx.config));
      tracking = createTrackingService({ db: ctx.deps.database.db, clock: ctx.clock, box, publicUrl: ctx.config.publicUrl });
      org = (await orgWithKey(ctx.deps, 'tracking')).org;
      await domainFor(ctx.deps, org, 'track.example.com');
      // A webhook subscribed to opens and clicks, so the database turns them into events.
      const now = ctx.clock.now();
      await ctx.deps.database.db.insert(webhooks).values({
        id: newId('webhook'),
        organizationId: org.id,
        projectId: org.default_project_id,
        endpoint: 'https://hooks.example.com/postgate',
        events: ['email.opened', 'email.clicked'],
        secretBox: 'unused-here',
        createdAt: now,
        updatedAt: now,
      });
      ({ id: emailId } = await ctx.deps.services.emails.send(senderFor(org), emailBody('news@track.example.com', { html: HTML })));
      await deliverEmail(deliveryDeps(ctx.deps), emailId);
      const tracked = tracking.trackHtmlFor({ emailId, html: HTML, openTracking: true, clickTracking: true });
      clickToken = /\/t\/c\/([^"]+)"/.exec(tracked)![1]!;
      openToken = /\/t\/o\/([^"]+)"/.exec(tracked)![1]!;
      expect(tracked).toContain('href="mailto:help@example.com"');
      expect(tracked).toContain(`${ctx.config.publicUrl}/t/c/${clickToken}`);
    });
    afterAll(async () => ctx?.close());

    const history = async (type: 'opened' | 'clicked') =>
      ctx.deps.database.db
        .select()
        .from(emailEvents)
        .where(and(eq(emailEvents.emailId, emailId), eq(emailEvents.type, type)))
        .orderBy(asc(emailEvents.id));
    const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { redirect: 'manual', headers });

    it('an altered click token answers 400 in the catalogue shape, redirects nowhere and records nothing', async () => {
      const i = clickToken.length - 10;
      const altered = clickToken.slice(0, i) + (clickToken[i] === 'x' ? 'y' : 'x') + clickToken.slice(i + 1);
      const swapped = `${Buffer.from(`${emailId}\nhttps://evil.example/`).toString('base64url')}.${clickToken.split('.')[1]}`;
      for (const token of [altered, swapped, 'not-a-token', `${clickToken}/x`]) {
        const res = await get(`/t/c/${token}`);
        expect(res.status, token).toBe(400);
        expect(res.headers.get('location')).toBeNull();
        expect(await res.json()).toMatchObject({ statusCode: 400, name: 'bad_request' });
      }
      expect((await get('/t/c/')).status).toBe(404);
      expect(await history('clicked')).toHaveLength(0);
    });

    it('a click on a valid link records a clicked event with the click, and redirects to the original URL', async () => {
      const res = await get(`/t/c/${clickToken}`, { 'user-agent': 'TestMail/1.0' });
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe(ORIGINAL);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const [row] = await history('clicked');
      expect(row).toBeDefined();
      expect(row!.detail).toBe(JSON.stringify({ ipAddress: '127.0.0.1', link: ORIGINAL, timestamp: ctx.clock.now().toISOString(), userAgent: 'TestMail/1.0' }));
      const [email] = await ctx.deps.database.db.select({ lastEvent: emails.lastEvent }).from(emails).where(eq(emails.id, emailId));
      expect(email!.lastEvent).toBe('clicked');
      // The database made it the email.clicked webhook event, with Resend's click object.
      const [event] = await ctx.deps.database.db.select().from(events).where(and(eq(events.organizationId, org.id), eq(events.type, 'email.clicked')));
      expect((event!.payload as { data: Record<string, unknown> }).data).toMatchObject({
        email_id: emailId,
        click: { ipAddress: '127.0.0.1', link: ORIGINAL, userAgent: 'TestMail/1.0' },
      });
    });

    it('the pixel answers a GIF for any token and records an open for a valid one only', async () => {
      for (const token of ['bogus.token', clickToken]) {
        const res = await get(`/t/o/${token}`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('image/gif');
      }
      expect(await history('opened')).toHaveLength(0);
      const res = await get(`/t/o/${openToken}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/gif');
      expect(res.headers.get('cache-control')).toBe('no-store');
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(bytes.subarray(0, 6).toString('latin1')).toBe('GIF89a');
      expect(await history('opened')).toHaveLength(1);
      // Every open counts, as Resend's do.
      await get(`/t/o/${openToken}`);
      expect(await history('opened')).toHaveLength(2);
      const opened = await ctx.deps.database.db.select().from(events).where(and(eq(events.organizationId, org.id), eq(events.type, 'email.opened')));
      expect(opened).toHaveLength(2);
    });

    it(`records at most ${RECORDED_PER_CLIENT} opens and clicks of an email per client and minute, and still answers the rest`, async () => {
      ctx.clock.advance(61_000);
      const before = (await history('clicked')).length + (await history('opened')).length;
      for (let i = 0; i < RECORDED_PER_CLIENT + 3; i++) {
        const click = await get(`/t/c/${clickToken}`);
        expect(click.status).toBe(302);
        expect(click.headers.get('location')).toBe(ORIGINAL);
        expect((await get(`/t/o/${openToken}`)).headers.get('content-type')).toBe('image/gif');
      }
      const after = (await history('clicked')).length + (await history('opened')).length;
      expect(after - before).toBe(RECORDED_PER_CLIENT);
      // A minute on, the client's allowance is whole again.
      ctx.clock.advance(61_000);
      await get(`/t/c/${clickToken}`);
      expect((await history('clicked')).length + (await history('opened')).length).toBe(after + 1);
    });

    it('a HEAD request (a link checker) redirects but records nothing', async () => {
      const before = (await history('clicked')).length;
      const res = await fetch(`${base}/t/c/${clickToken}`, { method: 'HEAD', redirect: 'manual' });
      expect(res.status).toBe(302);
      expect((await history('clicked')).length).toBe(before);
    });

    it('a validly signed token of an unknown email answers 400 (click) or the GIF (open), and records nothing', async () => {
      const ghost = newId('email');
      const tracked = tracking.trackHtmlFor({ emailId: ghost, html: HTML, openTracking: true, clickTracking: true });
      const click = await get(`/t/c/${/\/t\/c\/([^"]+)"/.exec(tracked)![1]!}`);
      expect(click.status).toBe(400);
      const open = await get(`/t/o/${/\/t\/o\/([^"]+)"/.exec(tracked)![1]!}`);
      expect(open.status).toBe(200);
      expect(open.headers.get('content-type')).toBe('image/gif');
      const rows = await ctx.deps.database.db.select().from(emailEvents).where(eq(emailEvents.emailId, ghost));
      expect(rows).toHaveLength(0);
    });
  });
}
