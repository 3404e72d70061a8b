import { describe, expect, it } from 'vitest';
import { MAX_RETRY_DELAY_MS, retryDelayMs } from './backoff.js';

describe('retryDelayMs', () => {
  it('doubles with every attempt, between half and all of the step', () => {
    expect(retryDelayMs(1, 1000, () => 0)).toBe(500);
    expect(retryDelayMs(1, 1000, () => 1)).toBe(1000);
    expect(retryDelayMs(2, 1000, () => 0)).toBe(1000);
    expect(retryDelayMs(4, 1000, () => 1)).toBe(8000);
  });

  it('is capped, however many attempts came before', () => {
    expect(retryDelayMs(60, 30_000, () => 1)).toBe(MAX_RETRY_DELAY_MS);
    expect(retryDelayMs(60, 30_000, () => 0)).toBe(MAX_RETRY_DELAY_MS / 2);
  });

  it('spreads emails that failed together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => retryDelayMs(3, 1000)));
    expect(delays.size).toBeGreaterThan(10);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(2000);
  });
});
