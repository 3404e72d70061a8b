import type { Redis } from 'ioredis';
import type { Clock } from '../../lib/clock.js';
import type { MaybePromise } from '../../lib/maybe-promise.js';
import type { LimitsLogger } from './types.js';

export type RedisHealthOptions = Readonly<{
  redis: Redis;
  logger: LimitsLogger;
  clock: Clock;
  /** A Redis call slower than this counts as failed, so a hung Redis cannot hold requests. */
  timeoutMs: number;
  /** While Redis is down, how often one call tries it again (the others go straight to memory). */
  retryIntervalMs: number;
}>;

export const UNAVAILABLE_MESSAGE = 'limits: Redis unavailable, falling back to per-process limits';
export const RECOVERED_MESSAGE = 'limits: Redis available again, limits are shared across instances';

/**
 * Routes each limit call to Redis or, when Redis fails or is slow, to the per-process limits.
 * A small circuit breaker: after a failure Redis is skipped until the retry interval has passed,
 * so an outage costs one timeout per interval rather than one per request. Logs one warning when
 * Redis goes away and one info line when it is back, however many calls fail in between.
 */
export class RedisHealth {
  private down = false;
  private retryAtMs = 0;

  constructor(private readonly options: RedisHealthOptions) {}

  /**
   * Answers from Redis if it can, otherwise from memory; never rejects because of Redis.
   * `discardLate` receives a Redis answer that arrived after the timeout (e.g. a slot to give back).
   */
  async route<T>(viaRedis: () => MaybePromise<T>, viaMemory: () => MaybePromise<T>, discardLate?: (value: T) => void): Promise<T> {
    if (this.down && this.options.clock.nowMs() < this.retryAtMs) return viaMemory();
    const probing = this.down;
    try {
      const value = await this.withTimeout(viaRedis, discardLate);
      if (probing) this.markUp();
      return value;
    } catch (error) {
      this.markDown(error);
      return viaMemory();
    }
  }

  /**
   * Runs a Redis call whatever the breaker says (releasing a slot taken in Redis must be tried
   * there), swallowing failure: the slot then expires by its TTL.
   */
  async attempt(call: () => MaybePromise<void>): Promise<void> {
    const probing = this.down;
    try {
      await this.withTimeout(call);
      if (probing) this.markUp();
    } catch (error) {
      this.markDown(error);
    }
  }

  private withTimeout<T>(call: () => MaybePromise<T>, discardLate?: (value: T) => void): Promise<T> {
    const { redis, timeoutMs } = this.options;
    // Fail at once rather than queue a command behind a connection that is not there.
    if (redis.status !== 'ready') return Promise.reject(new Error(`Redis connection is ${redis.status}`));
    return new Promise<T>((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        reject(new Error(`Redis did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      (async () => call())().then(
        (value) => {
          clearTimeout(timer);
          if (timedOut) discardLate?.(value);
          else resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  private markDown(error: unknown): void {
    this.retryAtMs = this.options.clock.nowMs() + this.options.retryIntervalMs;
    if (this.down) return;
    this.down = true;
    this.options.logger.warn({ err: error instanceof Error ? error.message : String(error) }, UNAVAILABLE_MESSAGE);
  }

  private markUp(): void {
    if (!this.down) return;
    this.down = false;
    this.options.logger.info(RECOVERED_MESSAGE);
  }
}
