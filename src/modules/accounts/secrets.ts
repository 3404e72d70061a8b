import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// Random secrets of the dashboard (session ids, CSRF tokens, the setup code) and their hashes.

/** 256 random bits, base64url: a session id or an anonymous CSRF token. */
export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256, hex. The secrets are 100+ random bits, so no salt or slow hash is needed. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/**
 * The CSRF token of a session: derived from the session id under its own label, so it needs no
 * storage, changes with every new session and reveals nothing about the id (one-way).
 */
export function csrfTokenFor(sessionId: string): string {
  return createHash('sha256').update('postgate-csrf\0').update(sessionId).digest('base64url');
}

/** Security: constant-time comparison of two tokens, length checked first. */
export function sameToken(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
