import type { RateDecision } from './types.js';

/*
 * GCRA (the generic cell rate algorithm, a token bucket kept as one number): each key stores the
 * "theoretical arrival time" (TAT) at which its bucket is full again. A request moves TAT one
 * emission interval (1/rate s) later and is admitted while TAT stays within the tolerance (one
 * second's worth of requests) of now. So a client gets its whole per-second rate as a burst,
 * then one request per interval: no window edge where twice the rate gets through at once, and
 * one number per key instead of a log of timestamps. The Redis script (lua.ts) mirrors this.
 *
 * Times are whole microseconds and the interval is rounded to one, so the arithmetic is exact
 * (epoch microseconds fit a double's 53 bits): fractional milliseconds added up a thousand times
 * drift enough to cost or grant a request at high rates. The rounding changes a rate by at most
 * 0.02% up to 2,500/s.
 */

export type GcraParams = Readonly<{
  /** Microseconds between two requests at the sustained rate. */
  intervalUs: number;
  /** How far ahead of now TAT may run: `limit` intervals. */
  toleranceUs: number;
  /** Burst size, reported as ratelimit-limit. */
  limit: number;
}>;

export type GcraOutcome = Readonly<{
  allowed: boolean;
  /** TAT to store when allowed (a refused request changes nothing). */
  newTatUs: number;
  remaining: number;
  resetUs: number;
  retryUs: number;
}>;

/** Rejects rates no plan can have (NaN, zero, negative): a programming error, not a denial. */
export function assertRate(perSecond: number): void {
  if (Number.isNaN(perSecond) || perSecond <= 0) {
    throw new RangeError(`rate must be a positive number of requests per second, got ${perSecond}`);
  }
}

export function gcraParams(perSecond: number): GcraParams {
  const intervalUs = Math.max(1, Math.round(1_000_000 / perSecond));
  // A fractional rate below 1/s still admits one request, then one per interval.
  const limit = Math.max(1, Math.floor(perSecond));
  return { intervalUs, toleranceUs: limit * intervalUs, limit };
}

export function gcra(storedTatUs: number | undefined, nowUs: number, params: GcraParams): GcraOutcome {
  const tat = Math.max(storedTatUs ?? nowUs, nowUs);
  const newTatUs = tat + params.intervalUs;
  const ahead = newTatUs - nowUs;
  if (ahead > params.toleranceUs) {
    return { allowed: false, newTatUs: tat, remaining: 0, resetUs: tat - nowUs, retryUs: ahead - params.toleranceUs };
  }
  const remaining = Math.floor((params.toleranceUs - ahead) / params.intervalUs);
  return { allowed: true, newTatUs, remaining, resetUs: ahead, retryUs: 0 };
}

/** Turns raw microseconds (from gcra() or the Redis script) into header-ready whole seconds. */
export function toDecision(
  limit: number,
  raw: Readonly<{ allowed: boolean; remaining: number; resetUs: number; retryUs: number }>,
): RateDecision {
  return {
    allowed: raw.allowed,
    limit,
    remaining: Math.max(0, Math.min(limit, raw.remaining)),
    resetSeconds: Math.max(0, Math.ceil(raw.resetUs / 1_000_000)),
    // Whole seconds, rounded up, so a client that waits exactly this long is admitted.
    retryAfterSeconds: raw.allowed ? 0 : Math.max(1, Math.ceil(raw.retryUs / 1_000_000)),
  };
}

export const UNLIMITED: RateDecision = Object.freeze({
  allowed: true,
  limit: Number.POSITIVE_INFINITY,
  remaining: Number.POSITIVE_INFINITY,
  resetSeconds: 0,
  retryAfterSeconds: 0,
});
