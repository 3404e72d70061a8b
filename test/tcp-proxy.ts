import net from 'node:net';

/**
 * A TCP proxy to a real server (PostgreSQL, Redis) that a test can cut and restore, or slow down:
 * with `delayMs`, every chunk waits that long each way (order kept).
 */
export async function tcpProxy(target: { host: string; port: number }, options: { delayMs?: number } = {}) {
  const sockets = new Set<net.Socket>();
  const delayMs = options.delayMs ?? 0;
  let up = true;
  const server = net.createServer((client) => {
    if (!up) return client.destroy();
    const upstream = net.createConnection(target);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    if (delayMs === 0) {
      client.pipe(upstream).pipe(client);
      return;
    }
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      from.on('data', (chunk) => setTimeout(() => to.writable && to.write(chunk), delayMs));
      from.on('close', () => setTimeout(() => to.destroy(), delayMs));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut: () => {
      up = false;
      for (const s of sockets) s.destroy();
    },
    restore: () => {
      up = true;
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
