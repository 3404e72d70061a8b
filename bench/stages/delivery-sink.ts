import { SMTPServer } from 'smtp-server';

// Stage 8's sink relay, a process of its own (pinned by the stage): smtp-server answering 250 to
// every message, no TLS, no AUTH. It tells its parent (IPC) its port once listening, then, for
// each round the parent starts with { expect: n }, the times of the first and n-th message.

type Round = { expect: number; received: number; firstMs: number; lastMs: number };

let round: Round | undefined;

const server = new SMTPServer({
  disabledCommands: ['STARTTLS', 'AUTH'],
  authOptional: true,
  logger: false,
  size: 1024 * 1024,
  // The worker's pool and nodemailer's keep their connections: no limit of ours in the way.
  maxClients: 1000,
  onData(stream, _session, callback) {
    stream.on('data', () => undefined);
    stream.on('end', () => {
      const r = round;
      if (r) {
        const now = performance.now();
        if (r.received === 0) {
          r.firstMs = now;
          process.send!({ first: true });
        }
        r.received++;
        r.lastMs = now;
        if (r.received === r.expect) process.send!({ done: { received: r.received, ms: r.lastMs - r.firstMs } });
      }
      callback(null);
    });
  },
});
server.on('error', (error) => process.stderr.write(`sink: ${String(error)}\n`));

process.on('message', (message: { expect?: number; stop?: boolean }) => {
  if (message.stop) {
    server.close(() => process.exit(0));
    return;
  }
  if (message.expect) round = { expect: message.expect, received: 0, firstMs: 0, lastMs: 0 };
});

server.listen(0, '127.0.0.1', () => {
  const address = server.server.address();
  process.send!({ port: typeof address === 'object' && address ? address.port : 0 });
});
