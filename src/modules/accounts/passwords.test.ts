import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors.js';
import { hashPassword, PASSWORD_MAX, verifyPassword } from './passwords.js';

describe('passwords', () => {
  it('hashes with argon2id, salted: two hashes of one password differ and both verify', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword(a, 'correct horse battery')).toBe(true);
    expect(await verifyPassword(b, 'correct horse battery')).toBe(true);
    expect(await verifyPassword(a, 'correct horse batterz')).toBe(false);
  });

  it('refuses passwords shorter than 10 or longer than 256 characters (422 naming the field)', async () => {
    for (const password of ['short', 'x'.repeat(PASSWORD_MAX + 1)]) {
      const error = await hashPassword(password).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).message).toMatch(/^password: /);
    }
  });

  it('treats a malformed stored hash or an oversized attempt as a mismatch, not a crash', async () => {
    expect(await verifyPassword('not a hash', 'whatever password')).toBe(false);
    const stored = await hashPassword('correct horse battery');
    expect(await verifyPassword(stored, 'x'.repeat(100_000))).toBe(false);
  });
});
