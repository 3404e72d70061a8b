import { describe, expect, it } from 'vitest';
import { isoTime } from './iso-time.js';

describe('isoTime', () => {
  it('writes what toISOString writes, across seconds, days and years', () => {
    const starts = [Date.UTC(2026, 10, 29, 9, 59, 59, 990), Date.UTC(1999, 11, 31, 23, 59, 59, 0), 0, Date.UTC(2024, 1, 29, 12)];
    for (const start of starts) {
      for (let ms = start; ms < start + 2_500; ms += 7) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it('writes moments out of order and out of the four-digit years correctly', () => {
    const moments = [Date.UTC(2030, 0, 1), 1_000, 999, 1, Date.UTC(2026, 5, 1, 0, 0, 0, 5), 8.64e15, -1, -62_198_755_200_001];
    for (const ms of moments) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    for (let i = 0; i < 2_000; i++) {
      const ms = Math.floor(Math.random() * 4e12);
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
  });
});
