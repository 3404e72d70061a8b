import { describe, expect, it } from 'vitest';
import { manualClock } from '../../lib/clock.js';
import { createMemoryFailureCounter } from '../limits/memory.js';
import { LOGIN_FAILURE_POLICY, LoginThrottle } from './login-throttle.js';

function throttle(addressThreshold = 20) {
  const clock = manualClock();
  const perAccount = createMemoryFailureCounter({ clock, policy: LOGIN_FAILURE_POLICY });
  const perAddress = createMemoryFailureCounter({ clock, policy: { threshold: addressThreshold, windowSeconds: 60 } });
  return { clock, throttle: new LoginThrottle(perAccount, perAddress, clock) };
}

describe('LoginThrottle', () => {
  it('blocks an account from one address at its fifth failure, for the rest of 15 minutes', async () => {
    const { clock, throttle: t } = throttle();
    for (let i = 0; i < 4; i++) expect(await t.recordFailure('ann@example.com', '10.0.0.1')).toBe(0);
    const wait = await t.recordFailure('Ann@Example.com ', '10.0.0.1');
    expect(wait).toBeGreaterThan(14 * 60);
    expect(await t.blockedFor('ann@example.com', '10.0.0.1')).toBeGreaterThan(0);
    // Not the same account elsewhere, nor another account from there: no lock-out by strangers.
    expect(await t.blockedFor('ann@example.com', '10.0.0.2')).toBe(0);
    expect(await t.blockedFor('bob@example.com', '10.0.0.1')).toBe(0);
    clock.advance(15 * 60 * 1000);
    expect(await t.blockedFor('ann@example.com', '10.0.0.1')).toBe(0);
  });

  it('blocks an address guessing across many accounts through the per-address counter', async () => {
    const { throttle: t } = throttle(3);
    expect(await t.recordFailure('a@example.com', '10.0.0.9')).toBe(0);
    expect(await t.recordFailure('b@example.com', '10.0.0.9')).toBe(0);
    expect(await t.recordFailure('c@example.com', '10.0.0.9')).toBeGreaterThan(0);
    expect(await t.blockedFor('d@example.com', '10.0.0.9')).toBeGreaterThan(0);
  });
});
