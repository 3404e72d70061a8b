import { randomBytes } from 'node:crypto';
import type { Clock } from '../../lib/clock.js';
import type { SecretBox } from './secret-box.js';
import { sameToken } from './secrets.js';

// Between the password and the second factor, the browser holds a challenge, not a session: a
// short-lived statement "this user gave the right password", signed with the install's key. It
// opens nothing by itself; only a valid code exchanged with it starts a session.

export const CHALLENGE_TTL_MS = 5 * 60 * 1000;
const PURPOSE = 'sign-in-challenge';
const MAX_LENGTH = 512;

export type Challenge = Readonly<{ challenge: string; expiresAt: Date }>;

export function issueChallenge(deps: { box: SecretBox; clock: Clock }, userId: string): Challenge {
  const expiresMs = deps.clock.nowMs() + CHALLENGE_TTL_MS;
  const payload = Buffer.from(JSON.stringify({ u: userId, e: expiresMs, n: randomBytes(8).toString('base64url') })).toString('base64url');
  return { challenge: `${payload}.${deps.box.sign(PURPOSE, payload)}`, expiresAt: new Date(expiresMs) };
}

/** The user the challenge was issued to, or undefined (malformed, forged or expired). */
export function readChallenge(deps: { box: SecretBox; clock: Clock }, challenge: string): string | undefined {
  if (challenge.length > MAX_LENGTH) return undefined;
  const [payload, signature, extra] = challenge.split('.');
  if (!payload || !signature || extra !== undefined) return undefined;
  // Security: constant-time comparison of the signature.
  if (!sameToken(signature, deps.box.sign(PURPOSE, payload))) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { u?: unknown; e?: unknown };
    if (typeof claims.u !== 'string' || typeof claims.e !== 'number' || claims.e <= deps.clock.nowMs()) return undefined;
    return claims.u;
  } catch {
    return undefined;
  }
}
