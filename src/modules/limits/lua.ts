import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

// Each limit operation is one Lua script, so it is atomic on the Redis server: no INCR-then-EXPIRE
// gap that a crash could turn into a key that never expires, no read-modify-write race between
// instances. Time comes from Redis (TIME), so instances with skewed clocks still agree.

/** A script sent once by body, then by SHA1 (EVALSHA), reloaded if Redis forgot it (NOSCRIPT). */
export class LuaScript {
  private readonly sha: string;

  constructor(private readonly body: string) {
    this.sha = createHash('sha1').update(body).digest('hex');
  }

  async run(redis: Redis, key: string, args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, 1, key, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.body, 1, key, ...args);
    }
  }
}

const NOW_MS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * GCRA, exactly as gcra.ts, in whole microseconds. KEYS[1]: the key's TAT. ARGV: interval,
 * tolerance. Returns {allowed 0|1, remaining, reset us, retry us}.
 */
export const RATE_SCRIPT = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = now
local stored = redis.call('GET', KEYS[1])
if stored then tat = math.max(tonumber(stored), now) end
local new_tat = tat + interval
local ahead = new_tat - now
if ahead > tolerance then
  return {0, 0, tat - now, ahead - tolerance}
end
-- %.0f: Lua's default number format keeps 14 digits, too few for epoch microseconds.
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.max(1, math.ceil(ahead / 1000)))
return {1, math.floor((tolerance - ahead) / interval), ahead, 0}
`);

/**
 * KEYS[1]: sorted set of slot ids scored by expiry (epoch ms). ARGV: max, ttl ms, slot id.
 * Expired slots (a crashed instance's) are pruned before counting. Returns 1 if taken, else 0.
 */
export const ACQUIRE_SCRIPT = new LuaScript(`${NOW_MS}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`);

/** KEYS[1]: the slot set. ARGV: ttl ms, slot id. Extends a live slot; 0 if it is gone. */
export const REFRESH_SCRIPT = new LuaScript(`${NOW_MS}
local expires = redis.call('ZSCORE', KEYS[1], ARGV[2])
if not expires or tonumber(expires) <= now then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`);

/**
 * KEYS[1]: failure count. ARGV: window ms. The window starts at the first failure and later
 * failures do not extend it. Returns {count, ms left in the window}.
 */
export const RECORD_FAILURE_SCRIPT = new LuaScript(`
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`);

/** KEYS[1]: failure count. Returns {count, ms left in the window} without changing anything. */
export const READ_FAILURES_SCRIPT = new LuaScript(`
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
return {count, redis.call('PTTL', KEYS[1])}
`);
