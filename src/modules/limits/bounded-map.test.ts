import { describe, expect, it } from 'vitest';
import { manualClock } from '../../lib/clock.js';
import { BoundedMap } from './bounded-map.js';
import { createMemoryRateLimiter } from './memory.js';

describe('bounded per-process state', () => {
  it('never holds more keys than its ceiling, dropping stale entries first', () => {
    let now = 0;
    const map = new BoundedMap<number>(100, (expiresAt) => expiresAt <= now);
    map.set('live', 1_000_000);
    for (let i = 0; i < 99; i += 1) map.set(`stale-${i}`, 10);
    now = 50;
    for (let i = 0; i < 10_000; i += 1) map.set(`new-${i}`, 1_000_000);
    expect(map.size).toBeLessThanOrEqual(100);
    expect(map.get('new-9999')).toBe(1_000_000);
  });

  it('keeps a flood of distinct client keys from growing the rate limiter without end', async () => {
    const clock = manualClock(0);
    const rate = createMemoryRateLimiter({ clock, maxKeys: 50 });
    for (let i = 0; i < 1_000; i += 1) await rate.consume(`ip-${i}`, 1);
    // The newest keys are still limited: eviction drops the oldest first.
    expect((await rate.consume('ip-999', 1)).allowed).toBe(false);
    clock.advance(1_000);
    expect((await rate.consume('ip-999', 1)).allowed).toBe(true);
  });
});
