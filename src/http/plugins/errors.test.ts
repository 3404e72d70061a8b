import { describe, expect, it } from 'vitest';
import { isDatabaseConflict, isDatabaseUnavailable } from './errors.js';

// Which database errors answer 503 with Retry-After (the same request succeeds later) rather than 500.

const pgError = (code: string): Error => Object.assign(new Error(`pg ${code}`), { code });
/** As Drizzle throws it: its own error, the driver's as the cause. */
const wrapped = (cause: Error): Error => Object.assign(new Error('Failed query'), { cause });

describe('database errors a client may retry', () => {
  it('tells a lost connection, and a deadlock or serialization failure, under any wrapping', () => {
    for (const code of ['ECONNREFUSED', '57P01']) {
      expect(isDatabaseUnavailable(pgError(code))).toBe(true);
      expect(isDatabaseUnavailable(wrapped(pgError(code)))).toBe(true);
      expect(isDatabaseConflict(wrapped(pgError(code)))).toBe(false);
    }
    for (const code of ['40P01', '40001']) {
      expect(isDatabaseConflict(pgError(code))).toBe(true);
      expect(isDatabaseConflict(wrapped(pgError(code)))).toBe(true);
      expect(isDatabaseUnavailable(wrapped(pgError(code)))).toBe(false);
    }
  });

  it('leaves every other database error to the 500 path', () => {
    for (const code of ['23505', '22P02', '42P01']) {
      expect(isDatabaseUnavailable(wrapped(pgError(code)))).toBe(false);
      expect(isDatabaseConflict(wrapped(pgError(code)))).toBe(false);
    }
  });
});
