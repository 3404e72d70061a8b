import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, emails, invitations, users } from '../src/db/schema.js';
import { sha256Hex } from '../src/modules/accounts/secrets.js';
import { operator } from '../src/modules/api-keys/principal.js';
import { domainFor } from './factories.js';
import { BACKENDS, createTestContext, type TestContext } from './harness.js';
import { memberOf, type Member } from './session-matrix.js';
import { memberIn } from './team-fixtures.js';
import { anonymousBrowser, sessionCookieOf, signedIn } from './team-http.js';

// Members and invitations through the dashboard API: single-use expiring links, the role rules
// of the team service (no self-promotion, admins make no owners, the last owner stays), and one
// audit event per change.

const password = 'a long enough password';
const DAY = 24 * 60 * 60 * 1000;
const tokenOf = (url: string): string => new URL(url.replace('/#/', '/')).searchParams.get('token')!;

for (const backend of BACKENDS) {
  describe(`team (${backend})`, () => {
    let ctx: TestContext;
    let owner: Member;

    beforeAll(async () => {
      ctx = await createTestContext(backend, { POSTGATE_PUBLIC_URL: 'https://mail.acme.example/' });
      owner = await memberOf(ctx.deps, 'team');
    });
    afterAll(async () => ctx?.close());

    const usersNamed = async (email: string) => ctx.deps.database.db.select().from(users).where(eq(users.email, email));

    it('an invitation link works once, signs the invitee in with the invited role, and is stored only hashed', async () => {
      const browser = await signedIn(ctx, owner);
      const res = await browser.call('POST', '/dashboard/api/invitations', { email: 'Dev@Team.example', role: 'developer' });
      expect(res.statusCode, res.body).toBe(201);
      const invitation = res.json();
      expect(invitation).toMatchObject({ object: 'invitation', email: 'dev@team.example', role: 'developer', status: 'pending', emailed: false });
      expect(invitation.invite_url).toMatch(/^https:\/\/mail\.acme\.example\/#\/accept-invitation\?token=[A-Za-z0-9_-]{43}$/);
      expect(Date.parse(invitation.expires_at) - ctx.clock.nowMs()).toBe(7 * DAY);
      const token = tokenOf(invitation.invite_url);
      const [row] = await ctx.deps.database.db.select().from(invitations).where(eq(invitations.id, invitation.id));
      expect(row!.tokenHash).toBe(sha256Hex(token));
      // The list never shows the link again.
      const listed = await browser.call('GET', '/dashboard/api/invitations');
      expect(listed.body).not.toContain(token);
      expect(listed.json().data.map((i: { id: string }) => i.id)).toContain(invitation.id);

      const anon = await anonymousBrowser(ctx);
      const accepted = await anon.call('POST', '/dashboard/api/invitations/accept', { token, password });
      expect(accepted.statusCode, accepted.body).toBe(201);
      expect(accepted.json()).toMatchObject({ user: { email: 'dev@team.example', role: 'developer' }, organization: { id: owner.org.id } });
      const cookie = sessionCookieOf(accepted)!;
      expect((await ctx.app.inject({ method: 'GET', url: '/dashboard/api/me', headers: { cookie } })).json().user.role).toBe('developer');

      const again = await (await anonymousBrowser(ctx)).call('POST', '/dashboard/api/invitations/accept', { token, password: 'another long password' });
      expect(again.statusCode).toBe(410);
      expect(again.json().name).toBe('invitation_invalid');
      expect(await usersNamed('dev@team.example')).toHaveLength(1);
      const joined = await ctx.deps.database.db.select().from(auditEvents).where(eq(auditEvents.action, 'member.joined'));
      expect(joined).toHaveLength(1);
      expect(joined[0]).toMatchObject({ actorType: 'user', actorId: accepted.json().user.id, organizationId: owner.org.id });
    });

    it('an invitation does not work after it expires, and a revoked one not at all; neither creates anything', async () => {
      const browser = await signedIn(ctx, owner);
      const late = (await browser.call('POST', '/dashboard/api/invitations', { email: 'late@team.example', role: 'viewer' })).json();
      const revoked = (await browser.call('POST', '/dashboard/api/invitations', { email: 'gone@team.example', role: 'viewer' })).json();
      expect((await browser.call('DELETE', `/dashboard/api/invitations/${revoked.id}`)).json()).toEqual({ object: 'invitation', id: revoked.id, deleted: true });

      ctx.clock.advance(7 * DAY + 1000);
      // Sessions last 7 days too: sign in afresh after the jump.
      expect((await (await signedIn(ctx, owner)).call('GET', '/dashboard/api/invitations')).json().data.find((i: { id: string }) => i.id === late.id).status).toBe('expired');
      for (const [invitation, email] of [[late, 'late@team.example'], [revoked, 'gone@team.example']] as const) {
        const res = await (await anonymousBrowser(ctx)).call('POST', '/dashboard/api/invitations/accept', { token: tokenOf(invitation.invite_url), password });
        expect(res.statusCode, res.body).toBe(410);
        expect(res.json().name).toBe('invitation_invalid');
        expect(sessionCookieOf(res)).toBeUndefined();
        expect(await usersNamed(email)).toHaveLength(0);
      }
      const [row] = await ctx.deps.database.db.select().from(invitations).where(eq(invitations.id, late.id));
      expect(row!.acceptedAt).toBeNull();
      const made = await (await anonymousBrowser(ctx)).call('POST', '/dashboard/api/invitations/accept', { token: 'x'.repeat(43), password });
      expect(made.json().name).toBe('invitation_invalid');
    });

    it('mails the invitation from no-reply@ a verified domain of the organization when it has one', async () => {
      const org = await memberOf(ctx.deps, 'mailer');
      await domainFor(ctx.deps, org.org, 'mailer.example');
      const res = await (await signedIn(ctx, org)).call('POST', '/dashboard/api/invitations', { email: 'new@mailer.example', role: 'viewer' });
      expect(res.json().emailed).toBe(true);
      const [mail] = await ctx.deps.database.db.select().from(emails).where(eq(emails.organizationId, org.org.id));
      expect(mail).toMatchObject({ fromAddress: expect.stringContaining('no-reply@mailer.example'), source: 'system' });
      // The link in it hands out the role: nobody reads it back, not even a member who reads emails.
      const viewer = await signedIn(ctx, { org: org.org, userId: (await memberIn(ctx.deps, org.org, 'viewer')).userId });
      expect((await viewer.call('GET', `/dashboard/api/emails/${mail!.id}`)).statusCode).toBe(404);
      expect((await viewer.call('GET', '/dashboard/api/emails')).json().data).toEqual([]);
      const reader = await ctx.deps.services.apiKeys.create(operator(org.org.id, org.org.default_project_id), { name: 'reader', permission: 'custom', scopes: ['emails:read'] });
      const viaKey = await ctx.app.inject({ method: 'GET', url: `/emails/${mail!.id}`, headers: { authorization: `Bearer ${reader.token}` } });
      expect(viaKey.statusCode).toBe(404);
    });

    it('a developer gets 403 inviting; a viewer reads keys without tokens but gets 403 creating one', async () => {
      const developer = { org: owner.org, userId: (await memberIn(ctx.deps, owner.org, 'developer')).userId };
      const invite = await (await signedIn(ctx, developer)).call('POST', '/dashboard/api/invitations', { email: 'x@team.example', role: 'viewer' });
      expect(invite.statusCode).toBe(403);
      expect(invite.json().name).toBe('insufficient_role');

      await (await signedIn(ctx, owner)).call('POST', '/dashboard/api/api-keys', { name: 'visible' });
      const viewer = await signedIn(ctx, { org: owner.org, userId: (await memberIn(ctx.deps, owner.org, 'viewer')).userId });
      const list = await viewer.call('GET', '/dashboard/api/api-keys');
      expect(list.statusCode).toBe(200);
      expect(list.json().data.length).toBeGreaterThan(0);
      expect(list.body).not.toMatch(/pgt_(live|test)_[A-Za-z0-9]{20}/);
      for (const [method, url] of [['POST', '/dashboard/api/api-keys'], ['POST', `/dashboard/api/api-keys/${list.json().data[0].id}/rotate`]] as const) {
        const res = await viewer.call(method, url, method === 'POST' && url.endsWith('keys') ? { name: 'nope' } : {});
        expect(res.statusCode, url).toBe(403);
        expect(res.json().name).toBe('insufficient_role');
      }
    });

    it('the last owner cannot leave, be removed or be demoted; with a second owner they can leave', async () => {
      const team = await memberOf(ctx.deps, 'solo');
      const browser = await signedIn(ctx, team);
      const leave = await browser.call('DELETE', `/dashboard/api/members/${team.userId}`);
      expect(leave.statusCode).toBe(409);
      expect(leave.json().name).toBe('last_owner');
      expect((await browser.call('PATCH', `/dashboard/api/members/${team.userId}`, { role: 'admin' })).json().name).toBe('last_owner');

      const second = await memberIn(ctx.deps, team.org, 'admin');
      const promoted = await browser.call('PATCH', `/dashboard/api/members/${second.userId}`, { role: 'owner' });
      expect(promoted.json().role).toBe('owner');
      const left = await browser.call('DELETE', `/dashboard/api/members/${team.userId}`);
      expect(left.statusCode, left.body).toBe(200);
      expect(await usersNamed('solo@example.com')).toHaveLength(0);
      expect((await browser.call('GET', '/dashboard/api/me')).statusCode).toBe(401);
    });

    it('nobody raises their own role; admins neither make owners nor touch them', async () => {
      const admin = { org: owner.org, userId: (await memberIn(ctx.deps, owner.org, 'admin')).userId };
      const browser = await signedIn(ctx, admin);
      const cases = [
        browser.call('PATCH', `/dashboard/api/members/${admin.userId}`, { role: 'owner' }),
        browser.call('PATCH', `/dashboard/api/members/${owner.userId}`, { role: 'viewer' }),
        browser.call('DELETE', `/dashboard/api/members/${owner.userId}`),
        browser.call('POST', '/dashboard/api/invitations', { email: 'boss@team.example', role: 'owner' }),
      ];
      for (const res of await Promise.all(cases)) {
        expect(res.statusCode, res.body).toBe(403);
        expect(res.json().name).toBe('insufficient_role');
      }
      const [row] = await ctx.deps.database.db.select().from(users).where(eq(users.id, admin.userId));
      expect(row!.role).toBe('admin');
      // Another organization's member is not found, whatever the role.
      const stranger = await memberOf(ctx.deps, 'stranger');
      expect((await (await signedIn(ctx, owner)).call('PATCH', `/dashboard/api/members/${stranger.userId}`, { role: 'viewer' })).statusCode).toBe(404);
      expect((await browser.call('PATCH', `/dashboard/api/members/${admin.userId}`, { role: 'superuser' })).json().name).toBe('validation_error');
    });

    it('a role change leaves one audit event: the user as actor, IP, user agent and before/after', async () => {
      const target = await memberIn(ctx.deps, owner.org, 'viewer');
      const browser = await signedIn(ctx, owner, { 'user-agent': 'team-test/1.0' });
      const res = await browser.call('PATCH', `/dashboard/api/members/${target.userId}`, { role: 'developer' });
      expect(res.statusCode, res.body).toBe(200);
      const events = await ctx.deps.database.db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.action, 'member.role_changed'), eq(auditEvents.organizationId, owner.org.id)));
      const mine = events.filter((e) => e.targets.some((t) => t.id === target.userId));
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({
        actorType: 'user',
        actorId: owner.userId,
        actorName: 'team@example.com',
        ip: '127.0.0.1',
        userAgent: 'team-test/1.0',
        changes: { role: { before: 'viewer', after: 'developer' } },
        targets: [{ type: 'member', id: target.userId, name: target.email }],
      });
      expect(mine[0]!.requestId).toBeTruthy();
      // Invitations and removals leave theirs too, without the link's token.
      const invited = (await browser.call('POST', '/dashboard/api/invitations', { email: 'audit@team.example', role: 'viewer' })).json();
      await browser.call('DELETE', `/dashboard/api/members/${target.userId}`);
      const actions = (await ctx.deps.database.db.select().from(auditEvents).where(eq(auditEvents.organizationId, owner.org.id))).map((e) => e.action);
      expect(actions).toEqual(expect.arrayContaining(['member.invited', 'member.removed', 'invitation.revoked']));
      const all = JSON.stringify(await ctx.deps.database.db.select().from(auditEvents));
      expect(all).not.toContain(tokenOf(invited.invite_url));
    });
  });
}
