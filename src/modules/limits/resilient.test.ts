import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { once } from 'node:events';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECOVERED_MESSAGE, UNAVAILABLE_MESSAGE } from './redis-health.js';
import { createLimitsRedis } from './redis-client.js';
import { createRedisConcurrencyLimiter, createRedisRateLimiter } from './redis.js';
import { createLimits, type Limits } from './resilient.js';
import {
  connectTestRedis,
  deleteKeys,
  dropConnection,
  recordingLogger,
  REDIS_URL,
  sleep,
  testPrefix,
  warnIfNoRedis,
} from './test-support.js';

const newKey = (): string => `k-${randomUUID()}`;

async function consumeMany(limits: Limits, key: string, perSecond: number, times: number): Promise<boolean[]> {
  const allowed: boolean[] = [];
  for (let i = 0; i < times; i += 1) allowed.push((await limits.rate.consume(key, perSecond)).allowed);
  return allowed;
}

describe('limits without a working Redis', () => {
  it('answer from memory without throwing when Redis is unreachable, and warn once', async () => {
    const redis = createLimitsRedis('redis://127.0.0.1:1');
    const logger = recordingLogger();
    const limits = createLimits({ redis, logger, prefix: testPrefix() });
    try {
      // Still limiting (never "let everything through"), per process.
      expect(await consumeMany(limits, newKey(), 5, 6)).toEqual([true, true, true, true, true, false]);
      const key = newKey();
      const slot = await limits.concurrency.acquire(key, 1);
      expect(slot.ok).toBe(true);
      expect((await limits.concurrency.acquire(key, 1)).ok).toBe(false);
      if (slot.ok) await slot.release();
      expect((await limits.concurrency.acquire(key, 1)).ok).toBe(true);
      const ip = newKey();
      expect(await limits.failures.recordFailure(ip)).toEqual({ blocked: false, retryAfterSeconds: 0 });
      expect(await limits.failures.isBlocked(ip)).toEqual({ blocked: false, retryAfterSeconds: 0 });
      expect(logger.warnings).toEqual([UNAVAILABLE_MESSAGE]);
      expect(logger.infos).toEqual([]);
    } finally {
      await limits.close();
      redis.disconnect();
    }
  });

  it('never touch Redis for the unlimited plan', async () => {
    const redis = createLimitsRedis('redis://127.0.0.1:1');
    const logger = recordingLogger();
    const limits = createLimits({ redis, logger });
    for (let i = 0; i < 3; i += 1) expect((await limits.rate.consume(newKey(), Number.POSITIVE_INFINITY)).allowed).toBe(true);
    expect(logger.warnings).toEqual([]);
    await limits.close();
    redis.disconnect();
  });

  it('give up on a Redis that hangs after the timeout, then skip it until the retry interval', async () => {
    // Accepts connections and never answers: a hung Redis.
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => sockets.add(socket));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    const redis = createLimitsRedis(`redis://127.0.0.1:${port}`, { enableReadyCheck: false, disableClientInfo: true, commandTimeout: 10_000 });
    await once(redis, 'ready');
    const logger = recordingLogger();
    const limits = createLimits({ redis, logger, redisTimeoutMs: 100, redisRetryIntervalMs: 60_000 });
    try {
      let started = Date.now();
      expect((await limits.rate.consume(newKey(), 5)).allowed).toBe(true);
      expect(Date.now() - started).toBeGreaterThanOrEqual(90);
      expect(Date.now() - started).toBeLessThan(1_000);
      started = Date.now();
      expect((await limits.concurrency.acquire(newKey(), 2)).ok).toBe(true);
      expect((await limits.failures.isBlocked(newKey())).blocked).toBe(false);
      expect(Date.now() - started).toBeLessThan(50);
      expect(logger.warnings).toEqual([UNAVAILABLE_MESSAGE]);
    } finally {
      await limits.close();
      redis.disconnect();
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });

  it('use memory only, logging nothing, when no Redis is configured', async () => {
    const logger = recordingLogger();
    const limits = createLimits({ logger });
    expect(await consumeMany(limits, newKey(), 2, 3)).toEqual([true, true, false]);
    expect(logger.warnings).toEqual([]);
    // The app's pino logger fits the logger the limits take.
    await createLimits({ logger: pino({ level: 'silent' }) }).close();
    await limits.close();
  });
});

warnIfNoRedis('limits fallback');

describe.runIf(REDIS_URL)('limits when Redis goes away mid-run', () => {
  const prefix = testPrefix();
  let observer: Redis;

  beforeAll(async () => {
    observer = await connectTestRedis();
  });

  afterAll(async () => {
    await deleteKeys(observer, prefix);
    observer.disconnect();
  });

  it('fall back to memory with one warning, then return to shared limits with one info line', async () => {
    const redis = await connectTestRedis();
    const logger = recordingLogger();
    const limits = createLimits({ redis, logger, prefix, redisRetryIntervalMs: 100 });
    const otherInstance = createRedisRateLimiter({ redis: observer, prefix });
    try {
      const shared = newKey();
      await consumeMany(limits, shared, 5, 2);
      expect(await otherInstance.consume(shared, 5)).toMatchObject({ allowed: true, remaining: 2 });

      await dropConnection(redis);
      expect(await consumeMany(limits, newKey(), 5, 6)).toEqual([true, true, true, true, true, false]);
      expect((await limits.failures.recordFailure(newKey())).blocked).toBe(false);
      expect(logger.warnings).toEqual([UNAVAILABLE_MESSAGE]);

      await redis.connect();
      await sleep(150);
      const afterwards = newKey();
      await consumeMany(limits, afterwards, 5, 2);
      expect(await otherInstance.consume(afterwards, 5)).toMatchObject({ allowed: true, remaining: 2 });
      expect(logger.infos).toEqual([RECOVERED_MESSAGE]);
      expect(logger.warnings).toHaveLength(1);
    } finally {
      await limits.close();
      redis.disconnect();
    }
  });

  it('give a slot back where it was taken: Redis slots in Redis, fallback slots in memory', async () => {
    const redis = await connectTestRedis();
    const limits = createLimits({ redis, logger: recordingLogger(), prefix, redisRetryIntervalMs: 100 });
    const otherInstance = createRedisConcurrencyLimiter({ redis: observer, prefix });
    const key = newKey();
    try {
      const inRedis = await limits.concurrency.acquire(key, 1);
      expect(inRedis.ok).toBe(true);
      expect((await otherInstance.acquire(key, 1)).ok).toBe(false);

      await dropConnection(redis);
      const inMemory = await limits.concurrency.acquire(key, 1);
      expect(inMemory.ok).toBe(true);
      // A Redis slot released while Redis is away: no throw (it then expires by its TTL).
      const orphan = newKey();
      await redis.connect();
      await sleep(150);
      const stranded = await limits.concurrency.acquire(orphan, 1);
      expect((await otherInstance.acquire(orphan, 1)).ok).toBe(false);
      await dropConnection(redis);
      if (stranded.ok) await expect(stranded.release()).resolves.toBeUndefined();

      await redis.connect();
      await sleep(150);
      if (inMemory.ok) await inMemory.release();
      // Back on Redis, where the first slot is still held.
      expect((await limits.concurrency.acquire(key, 1)).ok).toBe(false);
      if (inRedis.ok) await inRedis.release();
      expect((await otherInstance.acquire(key, 1)).ok).toBe(true);
    } finally {
      await Promise.all([limits.close(), otherInstance.close()]);
      redis.disconnect();
    }
  });
});

if (!REDIS_URL) {
  it.skip('limits when Redis goes away mid-run (REDIS_URL not set)', () => undefined);
}
