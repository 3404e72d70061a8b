// When a failed delivery is tried again (CONTRACT.md section 10): 5 s, 5 min, 30 min, 2 h, 5 h,
// 10 h, 10 h after each failure, then no more; an endpoint's Retry-After is honoured instead,
// within a day.

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
export const RETRY_DELAYS_MS: readonly number[] = [5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR];
const MAX_RETRY_AFTER_MS = 24 * HOUR;

/**
 * The delay before the next attempt after the `failures`-th failure in a row (1-based), or
 * undefined when the schedule is spent and the delivery has failed for good.
 */
export function retryDelayMs(failures: number, retryAfterSeconds: number | undefined): number | undefined {
  const scheduled = RETRY_DELAYS_MS[failures - 1];
  if (scheduled === undefined) return undefined;
  if (retryAfterSeconds === undefined) return scheduled;
  return Math.min(Math.max(0, retryAfterSeconds * SECOND), MAX_RETRY_AFTER_MS);
}
