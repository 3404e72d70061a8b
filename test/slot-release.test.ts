import net from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, orgWithKey, type OrgFixture } from './factories.js';
import { createTestContext, type TestContext } from './harness.js';
import { startRedis } from './processes.js';

// A client that goes away while Redis is still granting its concurrency slot: the slot must be
// given back, not held (and refreshed) forever. Redis is real; a small proxy in front of it
// delays every packet, so the slot is granted after the client has closed its connection.

const DELAY_MS = 60; // each way: a round trip of 120 ms, under the limits' 200 ms Redis timeout

/** A TCP proxy to `port` that holds every chunk, both ways, for DELAY_MS (order kept). */
function delayingProxy(port: number): Promise<{ url: string; close(): void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.createConnection({ host: '127.0.0.1', port });
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(from);
      from.on('data', (chunk) => setTimeout(() => to.writable && to.write(chunk), DELAY_MS));
      from.on('close', () => setTimeout(() => to.destroy(), DELAY_MS));
      from.on('error', () => undefined);
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port: proxyPort } = server.address() as net.AddressInfo;
      resolve({
        url: `redis://127.0.0.1:${proxyPort}`,
        close: () => {
          for (const s of sockets) s.destroy();
          server.close();
        },
      });
    });
  });
}

describe('a concurrency slot granted after its client left', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let proxy: Awaited<ReturnType<typeof delayingProxy>>;
  let ctx: TestContext;
  let base: URL;
  let acme: OrgFixture;
  let direct: Redis;

  beforeAll(async () => {
    redis = await startRedis();
    proxy = await delayingProxy(redis.port);
    ctx = await createTestContext('pglite', { REDIS_URL: proxy.url });
    base = new URL(await ctx.app.listen({ host: '127.0.0.1', port: 0 }));
    acme = await orgWithKey(ctx.deps, 'acme');
    direct = new Redis(redis.url);
  });
  afterAll(async () => {
    direct?.disconnect();
    await ctx?.close();
    proxy?.close();
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
    await new Promise((r) => setTimeout(r, 3 * DELAY_MS));
    expect(await heldSlots()).toBe(0);

    // This one hangs up before Redis has answered the slot request.
    const socket = net.createConnection({ host: base.hostname, port: Number(base.port) });
    await new Promise<void>((resolve) => socket.on('connect', resolve));
    socket.write(`GET /whoami HTTP/1.1\r\nHost: ${base.host}\r\nAuthorization: Bearer ${acme.token}\r\n\r\n`);
    await new Promise((r) => setTimeout(r, DELAY_MS / 3));
    socket.destroy();

    // Granted ~2 delays later, then (with the fix) released: at most ~4 delays. Generous bound.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await heldSlots()).toBe(0);
  });
});
