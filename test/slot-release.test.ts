import net from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './email-fixtures.js';
import { bearer, orgWithKey, type OrgFixture } from './factories.js';
import { createTestContext, type TestContext } from './harness.js';
import { startRedis } from './processes.js';
import { tcpProxy } from './tcp-proxy.js';

// A client that goes away while Redis is still granting its concurrency slot: the slot must be
// given back, not held (and refreshed) forever. Redis is real; a small proxy in front of it
// delays every packet, so the slot is granted after the client has closed its connection.

const DELAY_MS = 60; // each way: a round trip of 120 ms, under the limits' 200 ms Redis timeout

describe('a concurrency slot granted after its client left', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let proxy: Awaited<ReturnType<typeof tcpProxy>>;
  let ctx: TestContext;
  let base: URL;
  let acme: OrgFixture;
  let direct: Redis;

  beforeAll(async () => {
    redis = await startRedis();
    proxy = await tcpProxy({ host: '127.0.0.1', port: redis.port }, { delayMs: DELAY_MS });
    ctx = await createTestContext('pglite', { REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
    base = new URL(await ctx.app.listen({ host: '127.0.0.1', port: 0 }));
    acme = await orgWithKey(ctx.deps, 'acme');
    direct = new Redis(redis.url);
  });
  afterAll(async () => {
    direct?.disconnect();
    await ctx?.close();
    await proxy?.close();
    await redis?.stop();
  });

  const heldSlots = async (): Promise<number> => {
    let total = 0;
    for (const key of await direct.keys('postgate:limits:concurrency:*')) total += await direct.zcard(key);
    return total;
  };

  it('is given back', async () => {
    // A request completed normally takes and frees its slot.
    const done = await fetch(new URL('/whoami', base), { headers: bearer(acme.token) });
    expect(done.status).toBe(200);
    // Released over the delaying proxy: polled, since a loaded machine stretches the round trips.
    // A slot that leaked is refreshed for ever, so it would never reach 0.
    await eventually(async () => (await heldSlots()) === 0, 5_000, 'the completed request to free its slot');

    // This one hangs up before Redis has answered the slot request.
    const socket = net.createConnection({ host: base.hostname, port: Number(base.port) });
    await new Promise<void>((resolve) => socket.on('connect', resolve));
    socket.write(`GET /whoami HTTP/1.1\r\nHost: ${base.host}\r\nAuthorization: Bearer ${acme.token}\r\n\r\n`);
    await new Promise((r) => setTimeout(r, DELAY_MS / 3));
    socket.destroy();

    // Granted ~2 delays later, then released at once: a few round trips, polled with a generous bound.
    await new Promise((r) => setTimeout(r, 4 * DELAY_MS));
    await eventually(async () => (await heldSlots()) === 0, 5_000, 'the abandoned request to free its slot');
  });
});
