import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { createLimitsRedis } from './redis-client.js';
import type { LimitsLogger } from './types.js';

// Helpers for the limits tests (not imported by the app).

/** Redis suites run when REDIS_URL is set (CI always sets it) and say so loudly when it is not. */
export const REDIS_URL = process.env.REDIS_URL;

export function warnIfNoRedis(suite: string): void {
  if (!REDIS_URL) console.warn(`REDIS_URL is not set: the Redis ${suite} tests are skipped (CI sets it).`);
}

/** A fresh namespace per run, so parallel runs and other suites sharing the Redis never collide. */
export function testPrefix(): string {
  return `postgate-test:limits:${randomUUID()}:`;
}

/** A connected client with the production options (slower timeout: CI machines stall). */
export async function connectTestRedis(url: string = REDIS_URL ?? ''): Promise<Redis> {
  const redis = createLimitsRedis(url, { commandTimeout: 5_000, lazyConnect: true });
  await redis.connect();
  return redis;
}

/** Drops the connection as an outage would, and waits until the client has noticed. */
export async function dropConnection(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  const ended = new Promise((resolve) => redis.once('end', resolve));
  redis.disconnect();
  await ended;
}

export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  const keys = await allKeys(redis, prefix);
  if (keys.length > 0) await redis.del(...keys);
}

export async function allKeys(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

export type RecordingLogger = LimitsLogger & { warnings: string[]; infos: string[] };

export function recordingLogger(): RecordingLogger {
  const warnings: string[] = [];
  const infos: string[] = [];
  return {
    warnings,
    infos,
    warn: (_obj, msg) => warnings.push(msg),
    info: (msg) => infos.push(msg),
  };
}

export { sleep };
