import { describe, expect, it } from 'vitest';
import { gcra, gcraParams, toDecision } from './gcra.js';

// The rate arithmetic on a fixed clock, for rates whose interval is not a whole number of ms:
// floating-point drift must never cost or grant a request.

function burst(perSecond: number, nowUs: number, startTat?: number): { admitted: number; tat: number | undefined } {
  const params = gcraParams(perSecond);
  let tat = startTat;
  let admitted = 0;
  for (let i = 0; i < perSecond * 3 + 5; i += 1) {
    const outcome = gcra(tat, nowUs, params);
    if (!outcome.allowed) break;
    expect(outcome.remaining).toBe(params.limit - admitted - 1);
    tat = outcome.newTatUs;
    admitted += 1;
  }
  return { admitted, tat };
}

describe('gcra', () => {
  it.each([1, 2, 3, 7, 10, 33, 100, 999, 1000, 3333, 20000])('admits exactly %i at once from idle', (rate) => {
    expect(burst(rate, 1_700_000_000_123_456).admitted).toBe(rate);
  });

  it.each([3, 7, 1000])('admits the whole rate again one second after a burst of %i', (rate) => {
    const now = 1_700_000_000_000_000;
    const first = burst(rate, now);
    expect(burst(rate, now + 1_000_000, first.tat).admitted).toBe(rate);
  });

  it('admits a refused request once its Retry-After has passed, not before', () => {
    const params = gcraParams(3);
    const now = 1_700_000_000_000_000;
    const { tat } = burst(3, now);
    const refused = gcra(tat, now, params);
    expect(refused.allowed).toBe(false);
    expect(gcra(tat, now + refused.retryUs - 1, params).allowed).toBe(false);
    expect(gcra(tat, now + refused.retryUs, params).allowed).toBe(true);
    expect(toDecision(params.limit, refused)).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 1 });
  });

  it('lets a rate below one per second through once, then once per interval', () => {
    const params = gcraParams(0.5);
    expect(params.limit).toBe(1);
    const first = gcra(undefined, 0, params);
    expect(first.allowed).toBe(true);
    const refused = gcra(first.newTatUs, 0, params);
    expect(toDecision(params.limit, refused).retryAfterSeconds).toBe(2);
    expect(gcra(first.newTatUs, 2_000_000, params).allowed).toBe(true);
  });
});
