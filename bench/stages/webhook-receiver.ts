import { createServer } from 'node:http';

// Stage 9's webhook receiver, a process of its own (pinned by the stage): a plain node:http
// server answering every POST 200 with a short body, as a receiver that queues the event and
// acknowledges it would. It tells its parent (IPC) its port once listening, then, for each round
// the parent starts with { expect: n }, the times of the first and n-th POST, with the body bytes
// and the connections they came on (a check that both sides send the same payloads, and how many
// requests each really had in flight: one keep-alive connection per concurrent request).

type Round = { expect: number; received: number; bytes: number; sockets: Set<unknown>; firstMs: number; lastMs: number };

let round: Round | undefined;

const server = createServer((req, res) => {
  let bytes = 0;
  req.on('data', (chunk: Buffer) => (bytes += chunk.length));
  req.on('end', () => {
    const r = round;
    if (r && req.method === 'POST') {
      const now = performance.now();
      if (r.received === 0) {
        r.firstMs = now;
        process.send!({ first: true });
      }
      r.received++;
      r.bytes += bytes;
      r.sockets.add(req.socket);
      r.lastMs = now;
      if (r.received === r.expect) {
        process.send!({ done: { received: r.received, ms: r.lastMs - r.firstMs, bytes: r.bytes, connections: r.sockets.size } });
        round = undefined;
      }
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
});
// Longer than any pause between two deliveries (the worker's 500 ms poll), so connections are reused.
server.keepAliveTimeout = 30_000;
server.on('error', (error) => process.stderr.write(`receiver: ${String(error)}\n`));

process.on('message', (message: { expect?: number; stop?: boolean }) => {
  if (message.stop) {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    return;
  }
  if (message.expect) round = { expect: message.expect, received: 0, bytes: 0, sockets: new Set(), firstMs: 0, lastMs: 0 };
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send!({ port: typeof address === 'object' && address ? address.port : 0 });
});
