import { validationError } from '../../lib/errors.js';
import type { Granularity } from './schemas.js';

// The time range of a metrics query: the SDK's defaults (end: now; start: 6 days before the end),
// dates read in the query's time zone, and bounds that keep one query's work small.

const DAY_MS = 86_400_000;
/** A year and a leap day: any calendar year fits, in daily buckets at most 367 rows. */
export const MAX_RANGE_DAYS = 366;
/** Hourly buckets over at most a month (744 rows). */
export const MAX_HOURLY_DAYS = 31;
const DEFAULT_RANGE_MS = 6 * DAY_MS;

export type TimeRange = Readonly<{ start: Date; end: Date }>;

export type RangeInput = Readonly<{
  start_date?: string | undefined;
  end_date?: string | undefined;
  granularity: Granularity;
  /** IANA zone the dates are read in (a plain date means local midnight there). */
  timeZone: string;
}>;

/**
 * Resolves `[start, end)`. A plain date as `end_date` includes that whole day, so
 * `2025-05-01..2025-05-31` is all of May. Field names are the query's (`querystring.end_date`).
 */
export function resolveRange(input: RangeInput, now: Date): TimeRange {
  const end = input.end_date === undefined ? now : instantOf(input.end_date, input.timeZone, 'end');
  const start = input.start_date === undefined ? new Date(end.getTime() - DEFAULT_RANGE_MS) : instantOf(input.start_date, input.timeZone, 'start');
  if (end.getTime() <= start.getTime()) {
    throw validationError(input.end_date === undefined ? 'querystring.start_date' : 'querystring.end_date', 'the range must end after it starts (start_date < end_date)');
  }
  const days = (end.getTime() - start.getTime()) / DAY_MS;
  if (days > MAX_RANGE_DAYS) throw validationError('querystring.start_date', `the range may cover at most ${MAX_RANGE_DAYS} days`);
  if (input.granularity === 'hourly' && days > MAX_HOURLY_DAYS) {
    throw validationError('querystring.granularity', `hourly periods cover at most ${MAX_HOURLY_DAYS} days; use daily for longer ranges`);
  }
  return { start, end };
}

const PLAIN_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A date-time as given; a plain date as local midnight of that day (`start`) or of the next (`end`). */
function instantOf(text: string, timeZone: string, edge: 'start' | 'end'): Date {
  const plain = PLAIN_DATE.exec(text);
  if (!plain) return new Date(text);
  const [, y, m, d] = plain.map(Number) as [number, number, number, number];
  return new Date(localMidnight(timeZone, y, m, edge === 'end' ? d + 1 : d));
}

/** Epoch ms of 00:00 on that day in `timeZone` (the day may overflow: the 32nd of January is 1 February). */
export function localMidnight(timeZone: string, year: number, month: number, day: number): number {
  const wall = Date.UTC(year, month - 1, day);
  const first = wall - offsetMs(timeZone, wall);
  // Across a DST change the offset at the guess may differ from the offset at the answer.
  const second = wall - offsetMs(timeZone, first);
  return second;
}

/** How far `timeZone`'s wall clock is ahead of UTC at `atMs` (Intl's "GMT+05:30"). */
function offsetMs(timeZone: string, atMs: number): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
    .formatToParts(atMs)
    .find((part) => part.type === 'timeZoneName')?.value;
  const match = name ? /GMT([+-])(\d{2}):(\d{2})/.exec(name) : null;
  if (!match) return 0;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return (match[1] === '-' ? -1 : 1) * minutes * 60_000;
}
