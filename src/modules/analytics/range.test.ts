import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors.js';
import { localMidnight, resolveRange } from './range.js';

const NOW = new Date('2025-06-15T12:00:00Z');

describe('metrics date range', () => {
  it('defaults to the six days before now', () => {
    const range = resolveRange({ granularity: 'daily', timeZone: 'UTC' }, NOW);
    expect(range).toEqual({ start: new Date('2025-06-09T12:00:00Z'), end: NOW });
  });

  it('reads a plain end date as the whole of that day, in the zone asked for', () => {
    expect(resolveRange({ start_date: '2025-05-01', end_date: '2025-05-31', granularity: 'daily', timeZone: 'UTC' }, NOW)).toEqual({
      start: new Date('2025-05-01T00:00:00Z'),
      end: new Date('2025-06-01T00:00:00Z'),
    });
    expect(resolveRange({ start_date: '2025-05-01', end_date: '2025-05-01', granularity: 'daily', timeZone: 'Europe/Paris' }, NOW)).toEqual({
      start: new Date('2025-04-30T22:00:00Z'),
      end: new Date('2025-05-01T22:00:00Z'),
    });
  });

  it('finds local midnight on both sides of a DST change', () => {
    // Paris: UTC+1 until 30 March 2025 02:00, then UTC+2.
    expect(new Date(localMidnight('Europe/Paris', 2025, 3, 30)).toISOString()).toBe('2025-03-29T23:00:00.000Z');
    expect(new Date(localMidnight('Europe/Paris', 2025, 3, 31)).toISOString()).toBe('2025-03-30T22:00:00.000Z');
    // New York: UTC-4 until 2 November 2025 02:00, then UTC-5.
    expect(new Date(localMidnight('America/New_York', 2025, 11, 3)).toISOString()).toBe('2025-11-03T05:00:00.000Z');
    expect(new Date(localMidnight('America/New_York', 2025, 11, 2)).toISOString()).toBe('2025-11-02T04:00:00.000Z');
  });

  it('refuses a range that ends first, is longer than 366 days, or too long for hourly periods', () => {
    const fieldOf = (run: () => unknown): string | undefined => {
      try {
        run();
      } catch (error) {
        return error instanceof AppError ? error.field : 'not an AppError';
      }
      return undefined;
    };
    expect(fieldOf(() => resolveRange({ start_date: '2025-05-02', end_date: '2025-05-01T00:00:00Z', granularity: 'daily', timeZone: 'UTC' }, NOW))).toBe('querystring.end_date');
    expect(fieldOf(() => resolveRange({ start_date: '2025-07-01', granularity: 'daily', timeZone: 'UTC' }, NOW))).toBe('querystring.start_date');
    expect(fieldOf(() => resolveRange({ start_date: '2024-01-01', end_date: '2025-01-01', granularity: 'daily', timeZone: 'UTC' }, NOW))).toBe('querystring.start_date');
    expect(fieldOf(() => resolveRange({ start_date: '2024-01-01', end_date: '2024-12-31', granularity: 'daily', timeZone: 'UTC' }, NOW))).toBeUndefined();
    expect(fieldOf(() => resolveRange({ start_date: '2025-05-01', end_date: '2025-06-02', granularity: 'hourly', timeZone: 'UTC' }, NOW))).toBe('querystring.granularity');
  });
});
