import type { Algorithm } from '@node-rs/argon2';
import { validationError } from '../../lib/errors.js';

// Passwords are hashed with argon2id through @node-rs/argon2, never by hand. Its defaults are
// OWASP's recommended minimum (19 MiB, 2 passes, 1 lane); the parameters live in the PHC string,
// so raising them later leaves existing hashes verifiable.

// Algorithm is a const enum (erased at run time), so its value is written here: 2 = Argon2id.
const ARGON2ID = 2 as Algorithm;

// The native module loads on the first password (setup, sign-in), not with every server.
const argon2 = (): Promise<typeof import('@node-rs/argon2')> => import('@node-rs/argon2');

export const PASSWORD_MIN = 10;
// Security: an upper bound, so nobody can make the server hash megabytes per attempt.
export const PASSWORD_MAX = 256;

export function assertPasswordShape(password: string): void {
  if (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX) {
    throw validationError('password', `must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`);
  }
}

export async function hashPassword(password: string): Promise<string> {
  assertPasswordShape(password);
  return (await argon2()).hash(password, { algorithm: ARGON2ID });
}

/** Verifies in constant time inside argon2; a malformed stored hash is a mismatch, not a crash. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  if (password.length > PASSWORD_MAX) return false;
  try {
    return await (await argon2()).verify(stored, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;

/**
 * A hash to verify against when the email is unknown, so a sign-in takes as long for a missing
 * account as for a wrong password (response time must not reveal which emails have accounts).
 */
export function dummyHash(): Promise<string> {
  dummy ??= argon2().then(({ hash }) => hash('postgate-no-such-account', { algorithm: ARGON2ID }));
  return dummy;
}
