import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { assertRate, gcraParams, toDecision, UNLIMITED } from './gcra.js';
import {
  ACQUIRE_SCRIPT,
  READ_FAILURES_SCRIPT,
  RECORD_FAILURE_SCRIPT,
  REFRESH_SCRIPT,
  RATE_SCRIPT,
} from './lua.js';
import { failureStatus } from './failure-status.js';
import { assertMax, SlotKeeper } from './slot-keeper.js';
import {
  DEFAULT_FAILURE_POLICY,
  DEFAULT_SLOT_TTL_MS,
  type ConcurrencyLimiter,
  type FailureCounter,
  type FailurePolicy,
  type RateLimiter,
} from './types.js';

// Limits shared by every instance through Redis. These throw when Redis fails; resilient.ts is
// what the app uses, and it falls back to the memory limits instead.

export const DEFAULT_PREFIX = 'postgate:limits:';

export type RedisLimiterOptions = Readonly<{
  redis: Redis;
  /** Namespace for every key, so instances or test runs sharing a Redis can keep apart. */
  prefix?: string;
}>;

export function createRedisRateLimiter(options: RedisLimiterOptions): RateLimiter {
  const prefix = `${options.prefix ?? DEFAULT_PREFIX}rate:`;
  return {
    consume: async (key, perSecond) => {
      if (perSecond === Number.POSITIVE_INFINITY) return UNLIMITED;
      assertRate(perSecond);
      const params = gcraParams(perSecond);
      const reply = await RATE_SCRIPT.run(options.redis, prefix + key, [
        params.intervalUs,
        params.toleranceUs,
      ]);
      const [allowed, remaining, resetUs, retryUs] = integers<[number, number, number, number]>(reply, 4);
      return toDecision(params.limit, { allowed: allowed === 1, remaining, resetUs, retryUs });
    },
  };
}

export type RedisConcurrencyOptions = RedisLimiterOptions & Readonly<{ slotTtlMs?: number }>;

export function createRedisConcurrencyLimiter(options: RedisConcurrencyOptions): ConcurrencyLimiter {
  const prefix = `${options.prefix ?? DEFAULT_PREFIX}concurrency:`;
  const ttlMs = Math.max(1, Math.round(options.slotTtlMs ?? DEFAULT_SLOT_TTL_MS));
  const keeper = new SlotKeeper(ttlMs);
  const { redis } = options;
  return {
    acquire: async (key, max) => {
      assertMax(max);
      const setKey = prefix + key;
      const id = randomUUID();
      const taken = await ACQUIRE_SCRIPT.run(redis, setKey, [max, ttlMs, id]);
      if (taken !== 1) return { ok: false };
      return keeper.hold({
        refresh: async () => (await REFRESH_SCRIPT.run(redis, setKey, [ttlMs, id])) === 1,
        free: async () => {
          await redis.zrem(setKey, id);
        },
      });
    },
    close: async () => keeper.close(),
  };
}

export type RedisFailureOptions = RedisLimiterOptions & Readonly<{ policy?: FailurePolicy }>;

export function createRedisFailureCounter(options: RedisFailureOptions): FailureCounter {
  const prefix = `${options.prefix ?? DEFAULT_PREFIX}auth-failures:`;
  const policy = options.policy ?? DEFAULT_FAILURE_POLICY;
  const windowMs = Math.max(1, Math.round(policy.windowSeconds * 1000));
  return {
    isBlocked: async (ip) => {
      const [count, msLeft] = integers<[number, number]>(await READ_FAILURES_SCRIPT.run(options.redis, prefix + ip, []), 2);
      return failureStatus(count, msLeft, policy);
    },
    recordFailure: async (ip) => {
      const [count, msLeft] = integers<[number, number]>(await RECORD_FAILURE_SCRIPT.run(options.redis, prefix + ip, [windowMs]), 2);
      return failureStatus(count, msLeft, policy);
    },
  };
}

/** Checks a script's reply is `length` integers, so a surprise reply fails loudly, not as NaN. */
function integers<T extends readonly number[]>(reply: unknown, length: T['length']): T {
  if (!Array.isArray(reply) || reply.length !== length || !reply.every((n) => typeof n === 'number')) {
    throw new Error(`limits: unexpected Redis script reply ${JSON.stringify(reply)}`);
  }
  return reply as unknown as T;
}
