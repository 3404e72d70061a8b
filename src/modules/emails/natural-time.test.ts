import { describe, expect, it } from 'vitest';
import { parseNaturalTime } from './natural-time.js';

// A Wednesday, 10:15:30 UTC.
const now = new Date('2030-01-02T10:15:30.000Z');
const at = (text: string): string | undefined => parseNaturalTime(text, now)?.toISOString();

describe('parseNaturalTime', () => {
  it('reads "in N unit" from now, in every unit spelling, and "a"/"an" as one', () => {
    expect(at('in 1 hour')).toBe('2030-01-02T11:15:30.000Z');
    expect(at('in 30 minutes')).toBe('2030-01-02T10:45:30.000Z');
    expect(at('in 1 min')).toBe('2030-01-02T10:16:30.000Z');
    expect(at('in 2 days')).toBe('2030-01-04T10:15:30.000Z');
    expect(at('in 1 week')).toBe('2030-01-09T10:15:30.000Z');
    expect(at('in 45 s')).toBe('2030-01-02T10:16:15.000Z');
    expect(at('in an hour')).toBe('2030-01-02T11:15:30.000Z');
    expect(at('  IN   3   Hrs ')).toBe('2030-01-02T13:15:30.000Z');
    expect(at('now')).toBe(now.toISOString());
  });

  it('reads today, tomorrow and weekdays at a time of day, in UTC', () => {
    expect(at('tomorrow at 9am')).toBe('2030-01-03T09:00:00.000Z');
    expect(at('tomorrow at 14:30')).toBe('2030-01-03T14:30:00.000Z');
    expect(at('today at 5pm')).toBe('2030-01-02T17:00:00.000Z');
    expect(at('today at 5:45 pm')).toBe('2030-01-02T17:45:00.000Z');
    expect(at('tomorrow 9am')).toBe('2030-01-03T09:00:00.000Z');
    expect(at('today at noon')).toBe('2030-01-02T12:00:00.000Z');
    expect(at('today at 12am')).toBe('2030-01-02T00:00:00.000Z');
    expect(at('today at 12pm')).toBe('2030-01-02T12:00:00.000Z');
    expect(at('today at 0:05')).toBe('2030-01-02T00:05:00.000Z');
    // The next Friday; a weekday is never today, even when the time is still ahead.
    expect(at('friday at 3pm')).toBe('2030-01-04T15:00:00.000Z');
    expect(at('on Wednesday at 11am')).toBe('2030-01-09T11:00:00.000Z');
    expect(at('tuesday at 8:00')).toBe('2030-01-08T08:00:00.000Z');
  });

  it('reads an offset after the time of day, and the day at that offset', () => {
    expect(at('tomorrow at 9am +02:00')).toBe('2030-01-03T07:00:00.000Z');
    expect(at('tomorrow at 9am UTC+2')).toBe('2030-01-03T07:00:00.000Z');
    expect(at('tomorrow at 9am -0530')).toBe('2030-01-03T14:30:00.000Z');
    expect(at('tomorrow at 14:30 utc')).toBe('2030-01-03T14:30:00.000Z');
    expect(at('today at 9am GMT')).toBe('2030-01-02T09:00:00.000Z');
    // At UTC+14 it is already Thursday 00:15: "today" is Thursday there.
    expect(at('today at 1am +14:00')).toBe('2030-01-02T11:00:00.000Z');
  });

  it('refuses anything outside the grammar', () => {
    for (const text of [
      'tomorrow',
      'in 1 fortnight',
      'in -1 hour',
      'in 1.5 hours',
      '1 hour',
      'in 1234567 seconds',
      'tomorrow at 13pm',
      'tomorrow at 0am',
      'tomorrow at 24:00',
      'tomorrow at 9:60',
      'tomorrow at 9',
      'tomorrow at 9am ET',
      'tomorrow at 9am Europe/Paris',
      'tomorrow at 9am +15:00',
      'tomorrow at 9am +02:75',
      'next friday at 3pm',
      'yesterday at 9am',
      '2030-01-02T09:00:00',
      'noon',
      // Names an object inherits are no units.
      'in 1 constructor',
      'in 2 tostring',
      '',
    ]) {
      expect(at(text), text).toBeUndefined();
    }
  });
});
