import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryConcurrencyLimiter, createMemoryFailureCounter, createMemoryRateLimiter } from './memory.js';
import { createRedisConcurrencyLimiter, createRedisFailureCounter, createRedisRateLimiter } from './redis.js';
import { allKeys, connectTestRedis, deleteKeys, REDIS_URL, sleep, testPrefix, warnIfNoRedis } from './test-support.js';
import type { ConcurrencyLimiter, FailureCounter, FailurePolicy, RateLimiter } from './types.js';

// One contract, two implementations: everything the app relies on from a limiter is proved here
// for the in-process and the Redis versions alike.

type Backend = {
  name: string;
  rate(): RateLimiter;
  concurrency(slotTtlMs?: number): ConcurrencyLimiter;
  failures(policy: FailurePolicy): FailureCounter;
};

const prefix = testPrefix();
let redis: Redis | undefined;

function client(): Redis {
  if (!redis) throw new Error('Redis not connected');
  return redis;
}

const backends: Backend[] = [
  {
    name: 'memory',
    rate: () => createMemoryRateLimiter(),
    concurrency: (slotTtlMs) => createMemoryConcurrencyLimiter({ slotTtlMs }),
    failures: (policy) => createMemoryFailureCounter({ policy }),
  },
];
if (REDIS_URL) {
  backends.push({
    name: 'redis',
    rate: () => createRedisRateLimiter({ redis: client(), prefix }),
    concurrency: (slotTtlMs) => createRedisConcurrencyLimiter({ redis: client(), prefix, slotTtlMs }),
    failures: (policy) => createRedisFailureCounter({ redis: client(), prefix, policy }),
  });
}
warnIfNoRedis('limits contract');

beforeAll(async () => {
  if (REDIS_URL) redis = await connectTestRedis();
});

afterAll(async () => {
  if (!redis) return;
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

const newKey = (): string => `k-${randomUUID()}`;

describe.each(backends)('$name limits', (backend) => {
  describe('rate limiter', () => {
    it('admits exactly the per-second rate in a burst, then refuses with Retry-After', async () => {
      const rate = backend.rate();
      const key = newKey();
      const decisions = [];
      for (let i = 0; i < 6; i += 1) decisions.push(await rate.consume(key, 5));
      expect(decisions.slice(0, 5).map((d) => d.allowed)).toEqual([true, true, true, true, true]);
      expect(decisions.slice(0, 5).map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0]);
      expect(decisions.every((d) => d.limit === 5)).toBe(true);
      expect(decisions[0]!.retryAfterSeconds).toBe(0);
      const refused = decisions[5]!;
      expect(refused).toMatchObject({ allowed: false, limit: 5, remaining: 0 });
      expect(refused.retryAfterSeconds).toBe(1);
      expect(refused.resetSeconds).toBe(1);
    });

    it('gives the whole rate back after one second', async () => {
      const rate = backend.rate();
      const key = newKey();
      for (let i = 0; i < 5; i += 1) await rate.consume(key, 5);
      expect((await rate.consume(key, 5)).allowed).toBe(false);
      await sleep(1_050);
      const again = [];
      for (let i = 0; i < 6; i += 1) again.push((await rate.consume(key, 5)).allowed);
      expect(again).toEqual([true, true, true, true, true, false]);
    });

    it('refills one request per interval at the sustained rate', async () => {
      const rate = backend.rate();
      const key = newKey();
      for (let i = 0; i < 5; i += 1) await rate.consume(key, 5);
      // 5/s: one request every 200 ms.
      await sleep(260);
      expect((await rate.consume(key, 5)).allowed).toBe(true);
      expect((await rate.consume(key, 5)).allowed).toBe(false);
    });

    it('counts each key on its own', async () => {
      const rate = backend.rate();
      const [a, b] = [newKey(), newKey()];
      for (let i = 0; i < 2; i += 1) await rate.consume(a, 2);
      expect((await rate.consume(a, 2)).allowed).toBe(false);
      expect(await rate.consume(b, 2)).toMatchObject({ allowed: true, remaining: 1 });
    });

    it('lets the unlimited plan through every time', async () => {
      const rate = backend.rate();
      const key = newKey();
      for (let i = 0; i < 50; i += 1) {
        expect(await rate.consume(key, Number.POSITIVE_INFINITY)).toMatchObject({ allowed: true, retryAfterSeconds: 0 });
      }
    });

    it('refuses a nonsense rate as a programming error', async () => {
      // Thrown at once by the in-process store, rejected by Redis's: either way the call fails.
      await expect(settled(() => backend.rate().consume(newKey(), 0))).rejects.toThrow(RangeError);
      await expect(settled(() => backend.rate().consume(newKey(), Number.NaN))).rejects.toThrow(RangeError);
    });
  });

  describe('concurrency limiter', () => {
    it('admits exactly max, and a release frees exactly one slot however often it is called', async () => {
      const limiter = backend.concurrency();
      const key = newKey();
      const slots = [];
      for (let i = 0; i < 3; i += 1) slots.push(await limiter.acquire(key, 3));
      expect(slots.every((slot) => slot.ok)).toBe(true);
      expect((await limiter.acquire(key, 3)).ok).toBe(false);

      const first = slots[0]!;
      if (!first.ok) throw new Error('unreachable');
      await first.release();
      await first.release();
      expect((await limiter.acquire(key, 3)).ok).toBe(true);
      expect((await limiter.acquire(key, 3)).ok).toBe(false);
      await limiter.close();
    });

    it('admits exactly max among simultaneous requests', async () => {
      const limiter = backend.concurrency();
      const key = newKey();
      const results = await Promise.all(Array.from({ length: 12 }, () => limiter.acquire(key, 4)));
      expect(results.filter((slot) => slot.ok)).toHaveLength(4);
      await limiter.close();
    });

    it('refuses a nonsense cap as a programming error', async () => {
      const limiter = backend.concurrency();
      await expect(settled(() => limiter.acquire(newKey(), Number.NaN))).rejects.toThrow(RangeError);
      await expect(settled(() => limiter.acquire(newKey(), -1))).rejects.toThrow(RangeError);
      expect((await limiter.acquire(newKey(), 0)).ok).toBe(false);
    });

    it('counts each key on its own', async () => {
      const limiter = backend.concurrency();
      const [a, b] = [newKey(), newKey()];
      expect((await limiter.acquire(a, 1)).ok).toBe(true);
      expect((await limiter.acquire(a, 1)).ok).toBe(false);
      expect((await limiter.acquire(b, 1)).ok).toBe(true);
      await limiter.close();
    });

    it('frees a slot that is never released once its TTL has passed (crashed instance)', async () => {
      const limiter = backend.concurrency(200);
      const key = newKey();
      expect((await limiter.acquire(key, 1)).ok).toBe(true);
      // close() stops the keep-alive without releasing: what a crash leaves behind.
      await limiter.close();
      expect((await limiter.acquire(key, 1)).ok).toBe(false);
      await sleep(300);
      expect((await limiter.acquire(key, 1)).ok).toBe(true);
    });

    it('a slot released after it expired frees nothing of the slots taken since', async () => {
      const limiter = backend.concurrency(200);
      const key = newKey();
      const stale = await limiter.acquire(key, 1);
      await limiter.close();
      await sleep(300);
      expect((await limiter.acquire(key, 1)).ok).toBe(true);
      if (stale.ok) await stale.release();
      expect((await limiter.acquire(key, 1)).ok).toBe(false);
    });

    it('keeps a held slot alive past its TTL until it is released', async () => {
      const limiter = backend.concurrency(300);
      const key = newKey();
      const slot = await limiter.acquire(key, 1);
      await sleep(800);
      expect((await limiter.acquire(key, 1)).ok).toBe(false);
      if (slot.ok) await slot.release();
      const next = await limiter.acquire(key, 1);
      expect(next.ok).toBe(true);
      await limiter.close();
    });

    it('keeps alive a slot taken again by a key that had gone idle', async () => {
      const limiter = backend.concurrency(300);
      const key = newKey();
      const first = await limiter.acquire(key, 1);
      if (first.ok) await first.release();
      // Idle for longer than the TTL: the refreshes have forgotten the key.
      await sleep(500);
      const slot = await limiter.acquire(key, 1);
      expect(slot.ok).toBe(true);
      await sleep(800);
      expect((await limiter.acquire(key, 1)).ok).toBe(false);
      if (slot.ok) await slot.release();
      expect((await limiter.acquire(key, 1)).ok).toBe(true);
      await limiter.close();
    });
  });

  describe('failure counter', () => {
    it('blocks a client IP from the threshold-th failure to the end of its window', async () => {
      const failures = backend.failures({ threshold: 3, windowSeconds: 60 });
      const ip = `192.0.2.${Math.floor(Math.random() * 250)}-${randomUUID()}`;
      expect(await failures.isBlocked(ip)).toEqual({ blocked: false, retryAfterSeconds: 0 });
      expect((await failures.recordFailure(ip)).blocked).toBe(false);
      expect((await failures.recordFailure(ip)).blocked).toBe(false);
      const third = await failures.recordFailure(ip);
      expect(third.blocked).toBe(true);
      expect(third.retryAfterSeconds).toBeGreaterThanOrEqual(59);
      expect(third.retryAfterSeconds).toBeLessThanOrEqual(60);
      expect((await failures.isBlocked(ip)).blocked).toBe(true);
      expect((await failures.isBlocked(`other-${ip}`)).blocked).toBe(false);
    });

    it('unblocks when the window ends and starts counting afresh', async () => {
      const failures = backend.failures({ threshold: 2, windowSeconds: 0.3 });
      const ip = newKey();
      await failures.recordFailure(ip);
      expect(await failures.recordFailure(ip)).toEqual({ blocked: true, retryAfterSeconds: 1 });
      await sleep(400);
      expect((await failures.isBlocked(ip)).blocked).toBe(false);
      expect((await failures.recordFailure(ip)).blocked).toBe(false);
    });
  });
});

// Two server instances sharing one Redis: each with its own client, same prefix.
describe.runIf(REDIS_URL)('redis limits shared by two instances', () => {
  let other: Redis;

  beforeAll(async () => {
    other = await connectTestRedis();
  });

  afterAll(() => {
    other.disconnect();
  });

  it('share the rate count', async () => {
    const [a, b] = [createRedisRateLimiter({ redis: client(), prefix }), createRedisRateLimiter({ redis: other, prefix })];
    const key = newKey();
    for (let i = 0; i < 3; i += 1) expect((await a.consume(key, 5)).allowed).toBe(true);
    expect(await b.consume(key, 5)).toMatchObject({ allowed: true, remaining: 1 });
    expect(await b.consume(key, 5)).toMatchObject({ allowed: true, remaining: 0 });
    expect(await a.consume(key, 5)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
  });

  it('share concurrency slots, and one instance may see the other release', async () => {
    const a = createRedisConcurrencyLimiter({ redis: client(), prefix });
    const b = createRedisConcurrencyLimiter({ redis: other, prefix });
    const key = newKey();
    const held = await a.acquire(key, 2);
    expect((await b.acquire(key, 2)).ok).toBe(true);
    expect((await a.acquire(key, 2)).ok).toBe(false);
    expect((await b.acquire(key, 2)).ok).toBe(false);
    if (held.ok) await held.release();
    expect((await b.acquire(key, 2)).ok).toBe(true);
    await Promise.all([a.close(), b.close()]);
  });

  it('free the slots of an instance that died without releasing them', async () => {
    const dying = await connectTestRedis();
    const a = createRedisConcurrencyLimiter({ redis: dying, prefix, slotTtlMs: 250 });
    const b = createRedisConcurrencyLimiter({ redis: other, prefix, slotTtlMs: 250 });
    const key = newKey();
    expect((await a.acquire(key, 1)).ok).toBe(true);
    await a.close();
    dying.disconnect();
    expect((await b.acquire(key, 1)).ok).toBe(false);
    await sleep(350);
    expect((await b.acquire(key, 1)).ok).toBe(true);
    await b.close();
  });

  it('share authentication failure counts', async () => {
    const policy = { threshold: 4, windowSeconds: 60 };
    const a = createRedisFailureCounter({ redis: client(), prefix, policy });
    const b = createRedisFailureCounter({ redis: other, prefix, policy });
    const ip = newKey();
    await a.recordFailure(ip);
    await b.recordFailure(ip);
    await a.recordFailure(ip);
    expect((await b.recordFailure(ip)).blocked).toBe(true);
    expect((await a.isBlocked(ip)).blocked).toBe(true);
  });

  it('keep apart when their prefixes differ', async () => {
    const a = createRedisRateLimiter({ redis: client(), prefix });
    const b = createRedisRateLimiter({ redis: other, prefix: `${prefix}other:` });
    const key = newKey();
    expect((await a.consume(key, 1)).allowed).toBe(true);
    expect((await b.consume(key, 1)).allowed).toBe(true);
  });

  it('never leave a key without an expiry', async () => {
    const own = `${prefix}ttl-${randomUUID()}:`;
    await createRedisRateLimiter({ redis: client(), prefix: own }).consume(newKey(), 10);
    const concurrency = createRedisConcurrencyLimiter({ redis: client(), prefix: own });
    await concurrency.acquire(newKey(), 3);
    await createRedisFailureCounter({ redis: client(), prefix: own }).recordFailure(newKey());
    const keys = await allKeys(client(), own);
    expect(keys).toHaveLength(3);
    for (const key of keys) expect(await client().pttl(key)).toBeGreaterThan(0);
    await concurrency.close();
  });
});

if (!REDIS_URL) {
  it.skip('redis limits shared by two instances (REDIS_URL not set)', () => undefined);
}

/** A store call as a promise, whether it answers (or throws) now or later. */
async function settled<T>(call: () => T | Promise<T>): Promise<T> {
  return call();
}
