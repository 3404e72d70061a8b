import { eq } from 'drizzle-orm';
import * as OTPAuth from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, recoveryCodes, users } from '../src/db/schema.js';
import { CHALLENGE_TTL_MS } from '../src/modules/accounts/sign-in-challenge.js';
import { BACKENDS, createTestContext, type TestContext } from './harness.js';
import { memberOf, type Member } from './session-matrix.js';
import { anonymousBrowser, sessionCookieOf, signedIn, withSession, type Browser } from './team-http.js';

// The account page's API: one's sessions (with where they started), and TOTP two-factor sign-in
// with recovery codes, through the dashboard API as the browser calls it.

const password = 'a long enough password';

for (const backend of BACKENDS) {
  describe(`account (${backend})`, () => {
    let ctx: TestContext;

    beforeAll(async () => {
      ctx = await createTestContext(backend);
    });
    afterAll(async () => ctx?.close());

    /** Signs in over HTTP with the password (argon2 and all), as the sign-in page does. */
    const login = async (email: string, agent = 'account-test') => {
      const anon = await anonymousBrowser(ctx, { 'user-agent': agent });
      return { anon, res: await anon.call('POST', '/dashboard/api/login', { email, password }) };
    };

    it('lists the signed-in user\'s sessions with IP and user agent, and revokes one or all the others', async () => {
      const ann = await memberOf(ctx.deps, 'ann');
      const first = await login('ann@example.com', 'Browser A');
      const cookie = sessionCookieOf(first.res)!;
      const current = withSession(ctx, cookie, first.res.json().csrf_token);
      await login('ann@example.com', 'Browser B');
      await login('ann@example.com', 'Browser C');
      const other = await memberOf(ctx.deps, 'other');
      const stranger = (await (await signedIn(ctx, other)).call('GET', '/dashboard/api/sessions')).json().data[0].id;

      const list = (await current.call('GET', '/dashboard/api/sessions')).json().data as { id: string; current: boolean; ip: string; user_agent: string }[];
      expect(list).toHaveLength(3);
      expect(list.filter((s) => s.current)).toEqual([expect.objectContaining({ user_agent: 'Browser A', ip: '127.0.0.1' })]);
      expect(list.map((s) => s.user_agent).sort()).toEqual(['Browser A', 'Browser B', 'Browser C']);
      for (const s of list) expect(s.id).toMatch(/^ses_[0-9a-f]{32}$/);

      expect((await current.call('DELETE', `/dashboard/api/sessions/${stranger}`)).statusCode).toBe(404);
      const b = list.find((s) => s.user_agent === 'Browser B')!;
      expect((await current.call('DELETE', `/dashboard/api/sessions/${b.id}`)).json()).toEqual({ object: 'session_summary', id: b.id, deleted: true });
      expect((await current.call('GET', '/dashboard/api/sessions')).json().data).toHaveLength(2);
      expect((await current.call('POST', '/dashboard/api/sessions/revoke-others')).json()).toEqual({ revoked: 1 });
      const left = (await current.call('GET', '/dashboard/api/sessions')).json().data;
      expect(left).toEqual([expect.objectContaining({ current: true, user_agent: 'Browser A' })]);
      // The other user's session is untouched; revoking one's own current session signs out.
      expect((await (await signedIn(ctx, other)).call('GET', '/dashboard/api/me')).statusCode).toBe(200);
      expect((await current.call('DELETE', `/dashboard/api/sessions/${left[0].id}`)).statusCode).toBe(200);
      expect((await current.call('GET', '/dashboard/api/me')).statusCode).toBe(401);
      expect(ann.userId).toBeTruthy();
    });

    describe('two-factor sign-in', () => {
      let bob: Member;
      let browser: Browser;
      let totp: OTPAuth.TOTP;
      let recovery: string[];
      const code = (): string => totp.generate({ timestamp: ctx.clock.nowMs() });
      /** TOTP codes work once per 30-second step: move to the next one. */
      const nextStep = (): void => ctx.clock.advance(30_000);

      beforeAll(async () => {
        bob = await memberOf(ctx.deps, 'bob');
        browser = await signedIn(ctx, bob);
      });

      it('enrols: the secret and otpauth URI once, the secret stored encrypted, enabled only by a right first code', async () => {
        const enrolled = await browser.call('POST', '/dashboard/api/two-factor/enroll');
        expect(enrolled.statusCode, enrolled.body).toBe(200);
        const { secret, otpauth_uri: uri } = enrolled.json();
        expect(secret).toMatch(/^[A-Z2-7]{32}$/);
        totp = OTPAuth.URI.parse(uri) as OTPAuth.TOTP;
        expect(totp).toBeInstanceOf(OTPAuth.TOTP);
        expect(totp.issuer).toBe('Postgate');
        expect(totp.label).toBe('bob@example.com');
        expect(totp.secret.base32).toBe(secret);
        const [row] = await ctx.deps.database.db.select().from(users).where(eq(users.id, bob.userId));
        expect(row!.totpSecret).toMatch(/^v1\./);
        expect(row!.totpSecret).not.toContain(secret);
        expect(row!.totpEnabledAt).toBeNull();

        const wrong = await browser.call('POST', '/dashboard/api/two-factor/confirm', { code: code() === '123456' ? '654321' : '123456' });
        expect(wrong.statusCode).toBe(422);
        expect(wrong.json().field).toBe('code');
        const confirmed = await browser.call('POST', '/dashboard/api/two-factor/confirm', { code: code() });
        expect(confirmed.statusCode, confirmed.body).toBe(200);
        recovery = confirmed.json().recovery_codes;
        expect(recovery).toHaveLength(10);
        expect(new Set(recovery).size).toBe(10);
        const stored = await ctx.deps.database.db.select().from(recoveryCodes).where(eq(recoveryCodes.userId, bob.userId));
        expect(stored).toHaveLength(10);
        expect(JSON.stringify(stored)).not.toContain(recovery[0]!.replaceAll('-', ''));
        expect((await browser.call('GET', '/dashboard/api/me')).json().user.two_factor_enabled).toBe(true);
        const events = await ctx.deps.database.db.select().from(auditEvents).where(eq(auditEvents.action, 'member.two_factor_enabled'));
        expect(events).toEqual([expect.objectContaining({ actorId: bob.userId, actorType: 'user' })]);
        expect(JSON.stringify(events)).not.toContain(secret);
        expect((await browser.call('POST', '/dashboard/api/two-factor/enroll')).statusCode).toBe(409);
      });

      it('signs in in two steps: the password gives a challenge, not a session; a current code gives the session, once', async () => {
        nextStep();
        const { anon, res } = await login('bob@example.com');
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json()).toMatchObject({ object: 'two_factor_challenge', challenge: expect.any(String) });
        expect(sessionCookieOf(res)).toBeUndefined();
        const challenge = res.json().challenge as string;

        const wrong = await anon.call('POST', '/dashboard/api/login/two-factor', { challenge, code: code() === '000000' ? '111111' : '000000' });
        expect(wrong.statusCode).toBe(401);
        expect(wrong.json().name).toBe('invalid_two_factor_code');
        const forged = await anon.call('POST', '/dashboard/api/login/two-factor', { challenge: `${challenge.split('.')[0]}.AAAA`, code: code() });
        expect(forged.json().name).toBe('invalid_two_factor_code');

        const current = code();
        const ok = await anon.call('POST', '/dashboard/api/login/two-factor', { challenge, code: current });
        expect(ok.statusCode, ok.body).toBe(200);
        expect(ok.json().user.email).toBe('bob@example.com');
        const cookie = sessionCookieOf(ok)!;
        expect((await ctx.app.inject({ method: 'GET', url: '/dashboard/api/me', headers: { cookie } })).statusCode).toBe(200);
        // The same code, seen over a shoulder, does not open a second session.
        const replay = await anon.call('POST', '/dashboard/api/login/two-factor', { challenge, code: current });
        expect(replay.json().name).toBe('invalid_two_factor_code');
      });

      it('a recovery code works once in place of a code; a stale challenge is refused', async () => {
        const { anon, res } = await login('bob@example.com');
        const challenge = res.json().challenge as string;
        const first = await anon.call('POST', '/dashboard/api/login/two-factor', { challenge, code: recovery[0]!.toUpperCase() });
        expect(first.statusCode, first.body).toBe(200);
        expect(sessionCookieOf(first)).toBeDefined();
        const again = await anon.call('POST', '/dashboard/api/login/two-factor', { challenge, code: recovery[0]! });
        expect(again.statusCode).toBe(401);
        expect((await browser.call('GET', '/dashboard/api/two-factor')).json()).toMatchObject({ enabled: true, recovery_codes_left: 9 });

        ctx.clock.advance(CHALLENGE_TTL_MS + 1000);
        const stale = await anon.call('POST', '/dashboard/api/login/two-factor', { challenge, code: recovery[1]! });
        expect(stale.json().name).toBe('invalid_two_factor_code');
        expect((await browser.call('GET', '/dashboard/api/two-factor')).json().recovery_codes_left).toBe(9);
      });

      it('counts wrong codes in the sign-in throttle: 429 after five', async () => {
        // The earlier tests' wrong codes counted too: start from a clean window.
        ctx.clock.advance(15 * 60 * 1000);
        const { anon, res } = await login('bob@example.com', 'guesser');
        const challenge = res.json().challenge as string;
        const statuses: number[] = [];
        for (let i = 0; i < 6; i++) statuses.push((await anon.call('POST', '/dashboard/api/login/two-factor', { challenge, code: `99999${i}` === code() ? '888888' : `99999${i}` })).statusCode);
        expect(statuses.slice(0, 4)).toEqual([401, 401, 401, 401]);
        expect(statuses.slice(4)).toEqual([429, 429]);
        // Even the right code waits out the block (a guesser must not learn they hit it).
        nextStep();
        expect((await anon.call('POST', '/dashboard/api/login/two-factor', { challenge, code: code() })).statusCode).toBe(429);
        ctx.clock.advance(15 * 60 * 1000);
      });

      it('disables only with a current code, and says so in the audit log', async () => {
        browser = await signedIn(ctx, bob);
        nextStep();
        expect((await browser.call('POST', '/dashboard/api/two-factor/disable', { code: recovery[2]! })).statusCode).toBe(422);
        const off = await browser.call('POST', '/dashboard/api/two-factor/disable', { code: code() });
        expect(off.json()).toEqual({ object: 'two_factor', enabled: false });
        expect(await ctx.deps.database.db.select().from(recoveryCodes).where(eq(recoveryCodes.userId, bob.userId))).toHaveLength(0);
        expect((await ctx.deps.database.db.select().from(auditEvents).where(eq(auditEvents.action, 'member.two_factor_disabled'))).length).toBe(1);
        const { res } = await login('bob@example.com');
        expect(res.json().object).toBe('session');
      });
    });
  });
}
