import { describe, expect, it } from 'vitest';
import { canonicalJson, requestHash } from './idempotency.js';

describe('request hashes', () => {
  it('do not depend on key order or undefined fields', () => {
    expect(canonicalJson({ b: 1, a: [{ y: 2, x: undefined, w: 'v' }] })).toBe('{"a":[{"w":"v","y":2}],"b":1}');
    expect(requestHash('POST /emails', { to: 'a', from: 'b' })).toBe(requestHash('POST /emails', { from: 'b', to: 'a' }));
  });

  it('differ by body and by kind of request', () => {
    expect(requestHash('POST /emails', { a: 1 })).not.toBe(requestHash('POST /emails', { a: 2 }));
    expect(requestHash('POST /emails', [{ a: 1 }])).not.toBe(requestHash('POST /emails/batch', [{ a: 1 }]));
  });
});
