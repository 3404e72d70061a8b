import { Redis, type RedisOptions } from 'ioredis';

// The one module of the limits that loads ioredis itself: the app imports it only when REDIS_URL
// is set, so the embedded default never loads the client (about 10 MB resident).

/**
 * Client options for the limits' Redis connection: a dead or unreachable Redis must fail a
 * command at once (no offline queue, no retries, a short timeout) rather than hold a request.
 * Reconnection still goes on in the background, so the shared limits come back by themselves.
 */
export const LIMITS_REDIS_OPTIONS: RedisOptions = Object.freeze({
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  commandTimeout: 200,
  connectTimeout: 2_000,
  retryStrategy: (times: number) => Math.min(times * 200, 2_000),
});

/** A client for createLimits; the caller owns it and quits it at shutdown. */
export function createLimitsRedis(url: string, overrides: RedisOptions = {}): Redis {
  const redis = new Redis(url, { ...LIMITS_REDIS_OPTIONS, ...overrides });
  // Connection errors are reported once by createLimits' warning, not at every reconnect attempt
  // (without a listener ioredis prints each one to stderr).
  redis.on('error', () => undefined);
  return redis;
}
