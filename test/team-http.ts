import type { Response as InjectResponse } from 'light-my-request';
import type { TestContext } from './harness.js';
import { sessionFor, type Member } from './session-matrix.js';

// Calls to the dashboard API as a browser makes them, for the team and account tests.

export const SAME_ORIGIN = { origin: 'http://localhost:80', 'sec-fetch-site': 'same-origin' };

export type Browser = {
  call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<InjectResponse>;
  cookie: string;
};

/** A signed-in browser of `member` (a session made through the service: no argon2 per test). */
export async function signedIn(ctx: TestContext, member: Member, headers: Record<string, string> = {}): Promise<Browser> {
  const s = await sessionFor(ctx.deps, member);
  return withSession(ctx, s.cookie, s.csrf, headers);
}

export function withSession(ctx: TestContext, cookie: string, csrf: string, headers: Record<string, string> = {}): Browser {
  return {
    cookie,
    call: (method, url, body) =>
      ctx.app.inject({
        method,
        url,
        headers: { cookie, 'x-csrf-token': csrf, ...SAME_ORIGIN, ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      }),
  };
}

/** An anonymous browser: its CSRF cookie and token, for sign-in, two-factor and accepting invitations. */
export async function anonymousBrowser(ctx: TestContext, headers: Record<string, string> = {}): Promise<Browser> {
  const res = await ctx.app.inject({ method: 'GET', url: '/dashboard/api/session' });
  const cookie = String(res.headers['set-cookie']).split(';')[0]!;
  return withSession(ctx, cookie, res.json().csrf_token as string, headers);
}

/** The session cookie a sign-in reply set. */
export function sessionCookieOf(res: { headers: Record<string, unknown> }): string | undefined {
  const value = res.headers['set-cookie'];
  const all = Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)];
  return all.find((c) => c.startsWith('postgate_session='))?.split(';')[0];
}
