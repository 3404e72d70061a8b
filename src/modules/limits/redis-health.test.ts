import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../lib/clock.js';
import { RECOVERED_MESSAGE, RedisHealth, UNAVAILABLE_MESSAGE } from './redis-health.js';
import { recordingLogger, sleep } from './test-support.js';

// The routing rules on their own, with Redis calls simulated: when to try Redis, when to skip
// it, what is logged, and what happens to an answer that comes too late.

function setup(): { health: RedisHealth; clock: ReturnType<typeof manualClock>; logger: ReturnType<typeof recordingLogger> } {
  const clock = manualClock(0);
  const logger = recordingLogger();
  const redis = { status: 'ready' } as Redis;
  const health = new RedisHealth({ redis, logger, clock, timeoutMs: 50, retryIntervalMs: 1_000 });
  return { health, clock, logger };
}

const failing = async (): Promise<string> => {
  throw new Error('connection reset');
};
const memory = async (): Promise<string> => 'memory';

describe('Redis health routing', () => {
  it('logs one warning for many failures, skips Redis until the retry interval, then one info line', async () => {
    const { health, clock, logger } = setup();
    const answers = await Promise.all([1, 2, 3].map(() => health.route(failing, memory)));
    expect(answers).toEqual(['memory', 'memory', 'memory']);
    let tried = 0;
    const redisCall = async (): Promise<string> => {
      tried += 1;
      return 'redis';
    };
    expect(await health.route(redisCall, memory)).toBe('memory');
    expect(tried).toBe(0);
    clock.advance(1_000);
    expect(await health.route(redisCall, memory)).toBe('redis');
    expect(await health.route(redisCall, memory)).toBe('redis');
    expect(logger.warnings).toEqual([UNAVAILABLE_MESSAGE]);
    expect(logger.infos).toEqual([RECOVERED_MESSAGE]);
  });

  it('answers from memory after the timeout and hands a late Redis answer back', async () => {
    const { health, logger } = setup();
    const late: string[] = [];
    const slow = async (): Promise<string> => {
      await sleep(120);
      return 'late slot';
    };
    expect(await health.route(slow, memory, (value) => late.push(value))).toBe('memory');
    expect(logger.warnings).toEqual([UNAVAILABLE_MESSAGE]);
    await sleep(150);
    expect(late).toEqual(['late slot']);
  });

  it('does not count a success that started before the outage as a recovery', async () => {
    const { health, logger } = setup();
    let finish: (value: string) => void = () => undefined;
    const pending = health.route(() => new Promise<string>((resolve) => (finish = resolve)), memory);
    await health.route(failing, memory);
    finish('redis');
    expect(await pending).toBe('redis');
    expect(logger.infos).toEqual([]);
  });

  it('always tries Redis to give a slot back, and swallows its failure', async () => {
    const { health, logger } = setup();
    await health.route(failing, memory);
    let released = false;
    await health.attempt(async () => {
      released = true;
    });
    expect(released).toBe(true);
    await expect(health.attempt(async () => Promise.reject(new Error('down')))).resolves.toBeUndefined();
    expect(logger.warnings).toHaveLength(2);
  });
});
