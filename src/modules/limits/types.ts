import type { MaybePromise } from '../../lib/maybe-promise.js';

/**
 * The three limits Postgate enforces, each with an in-process and a Redis implementation behind
 * the same small type (contract.test.ts runs one suite against both). The in-process ones answer
 * with plain values, the Redis ones with promises; callers await either.
 */

/** One rate-limit answer, carrying what the edge needs for ratelimit-* and Retry-After headers. */
export type RateDecision = Readonly<{
  allowed: boolean;
  /** Requests admitted in one burst from idle (the plan's per-second rate); Infinity: unlimited. */
  limit: number;
  /** Requests that could still be admitted right now; Infinity: unlimited. */
  remaining: number;
  /** Seconds until the full limit is available again (0 when nothing is used). */
  resetSeconds: number;
  /** 0 when allowed; otherwise whole seconds (>= 1) after which a retry is admitted. */
  retryAfterSeconds: number;
}>;

export type RateLimiter = Readonly<{
  /**
   * Counts one request against `key`. `perSecond` is the sustained rate and the burst size;
   * Infinity (the unlimited plan) is always allowed without touching any store.
   */
  consume(key: string, perSecond: number): MaybePromise<RateDecision>;
}>;

export type ConcurrencySlot = Readonly<{
  ok: true;
  /**
   * Frees the slot. Idempotent: a second call frees nothing more. The store implementations
   * reject if their store fails (the slot then expires by its TTL); createLimits' never rejects.
   */
  release: () => MaybePromise<void>;
}>;

export type ConcurrencyLimiter = Readonly<{
  /** Takes one of `max` slots for `key` (a client IP), or says there is none free. */
  acquire(key: string, max: number): MaybePromise<ConcurrencySlot | Readonly<{ ok: false }>>;
  /**
   * Stops refreshing held slots (shutdown). They are then left to expire after their TTL, which
   * is exactly what happens to the slots of an instance that crashed.
   */
  close(): Promise<void>;
}>;

export type FailureStatus = Readonly<{
  blocked: boolean;
  /** 0 when not blocked; otherwise whole seconds (>= 1) until the window ends. */
  retryAfterSeconds: number;
}>;

/** Authentication failures per client IP, shared by HTTP and SMTP. */
export type FailureCounter = Readonly<{
  /** Whether `ip` has reached the threshold in its current window. Read-only. */
  isBlocked(ip: string): Promise<FailureStatus>;
  /** Counts one failure; the answer says whether `ip` is now blocked. */
  recordFailure(ip: string): Promise<FailureStatus>;
}>;

/** How many failures, within which window, block a client for the rest of that window. */
export type FailurePolicy = Readonly<{ threshold: number; windowSeconds: number }>;

export const DEFAULT_FAILURE_POLICY: FailurePolicy = Object.freeze({ threshold: 20, windowSeconds: 60 });

/** Long enough for any request; a crashed instance's slots are free again after it. */
export const DEFAULT_SLOT_TTL_MS = 60_000;

/** The subset of a pino logger the limits use. */
export type LimitsLogger = {
  warn(obj: object, msg: string): void;
  info(msg: string): void;
};
