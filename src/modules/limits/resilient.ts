import type { Redis } from 'ioredis';
import { systemClock, type Clock } from '../../lib/clock.js';
import { assertRate, UNLIMITED } from './gcra.js';
import { createMemoryConcurrencyLimiter, createMemoryFailureCounter, createMemoryRateLimiter } from './memory.js';
import { RedisHealth } from './redis-health.js';
import { assertMax } from './slot-keeper.js';
import {
  createRedisConcurrencyLimiter,
  createRedisFailureCounter,
  createRedisRateLimiter,
  DEFAULT_PREFIX,
} from './redis.js';
import type {
  ConcurrencyLimiter,
  ConcurrencySlot,
  FailureCounter,
  FailurePolicy,
  LimitsLogger,
  RateLimiter,
} from './types.js';

export type LimitsOptions = Readonly<{
  /** Shared limits across instances; the caller owns the client (see createLimitsRedis). */
  redis?: Redis;
  logger: LimitsLogger;
  /** Redis key namespace (default `postgate:limits:`). */
  prefix?: string;
  clock?: Clock;
  /** How long an unreleased concurrency slot lives (a crashed instance's slots). Default 60 s. */
  slotTtlMs?: number;
  /** Authentication failures that block a client IP. Default 20 per 60 s. */
  failurePolicy?: FailurePolicy;
  /** A Redis call slower than this falls back to memory. Default 200 ms. */
  redisTimeoutMs?: number;
  /** While Redis is down, how often it is tried again. Default 1 s. */
  redisRetryIntervalMs?: number;
}>;

export type Limits = Readonly<{
  rate: RateLimiter;
  concurrency: ConcurrencyLimiter;
  failures: FailureCounter;
  /** Stops background work (slot refreshes). Does not quit the Redis client it was given. */
  close(): Promise<void>;
}>;

/**
 * The limits the app uses. With Redis they are shared by every instance; when a Redis call fails
 * or is slow, that call is answered by the per-process limits instead (logged once), so an
 * outage degrades limits to per-instance ones rather than failing requests or letting
 * everything through. Without Redis, per-process only.
 */
export function createLimits(options: LimitsOptions): Limits {
  const clock = options.clock ?? systemClock;
  const memory = {
    rate: createMemoryRateLimiter({ clock }),
    concurrency: createMemoryConcurrencyLimiter({ clock, slotTtlMs: options.slotTtlMs }),
    failures: createMemoryFailureCounter({ clock, policy: options.failurePolicy }),
  };
  const { redis } = options;
  if (!redis) {
    return { ...memory, close: async () => memory.concurrency.close() };
  }
  const shared = { redis, prefix: options.prefix ?? DEFAULT_PREFIX };
  const health = new RedisHealth({
    redis,
    logger: options.logger,
    clock,
    timeoutMs: options.redisTimeoutMs ?? 200,
    retryIntervalMs: options.redisRetryIntervalMs ?? 1_000,
  });
  const viaRedis = {
    rate: createRedisRateLimiter(shared),
    concurrency: createRedisConcurrencyLimiter({ ...shared, slotTtlMs: options.slotTtlMs }),
    failures: createRedisFailureCounter({ ...shared, policy: options.failurePolicy }),
  };
  return {
    rate: {
      consume: async (key, perSecond) => {
        // Unlimited needs no store; a nonsense rate is a programming error, not a Redis fault.
        if (perSecond === Number.POSITIVE_INFINITY) return UNLIMITED;
        assertRate(perSecond);
        return health.route(
          () => viaRedis.rate.consume(key, perSecond),
          () => memory.rate.consume(key, perSecond),
        );
      },
    },
    concurrency: {
      acquire: async (key, max) => {
        assertMax(max);
        return health.route(
          async () => {
            const slot = await viaRedis.concurrency.acquire(key, max);
            // A slot taken in Redis is given back in Redis, whatever state Redis is in by then.
            return slot.ok ? redisSlot(slot, health) : slot;
          },
          () => memory.concurrency.acquire(key, max),
          // Taken in Redis after we had given up waiting: give it straight back.
          (late) => {
            if (late.ok) void late.release();
          },
        );
      },
      close: async () => {
        await Promise.all([memory.concurrency.close(), viaRedis.concurrency.close()]);
      },
    },
    failures: {
      isBlocked: (ip) => health.route(() => viaRedis.failures.isBlocked(ip), () => memory.failures.isBlocked(ip)),
      recordFailure: (ip) =>
        health.route(() => viaRedis.failures.recordFailure(ip), () => memory.failures.recordFailure(ip)),
    },
    close: async () => {
      await Promise.all([memory.concurrency.close(), viaRedis.concurrency.close()]);
    },
  };
}

function redisSlot(slot: ConcurrencySlot, health: RedisHealth): ConcurrencySlot {
  return { ok: true, release: () => health.attempt(slot.release) };
}
