import { chmodSync, rmSync } from 'node:fs';
import net from 'node:net';
import type { Deps } from '../app/deps.js';
import { AppError } from '../lib/errors.js';
import { OPERATIONS } from './operations.js';

// A Unix socket in the data directory (mode 0600: only the owner of the data may use it) over
// which the CLI asks a running server to run an operator command on the PGlite it holds.
// One JSON line in, one JSON line out.

type Reply = { ok: true; result: Record<string, unknown> } | { ok: false; code: string; message: string };

export async function serveAdminSocket(socketPath: string, deps: Deps): Promise<net.Server> {
  rmSync(socketPath, { force: true });
  const server = net.createServer((socket) => {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.length > 1_000_000) socket.destroy();
      const newline = buffer.indexOf('\n');
      if (newline === -1) return;
      void handle(deps, buffer.slice(0, newline)).then((reply) => socket.end(`${JSON.stringify(reply)}\n`));
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path: socketPath, readableAll: false, writableAll: false }, resolve);
  });
  // Security: whoever can connect can run operator commands. The umask already made it 0600
  // (lib/private-dir.ts); said again here so the socket never depends on it.
  chmodSync(socketPath, 0o600);
  return server;
}

async function handle(deps: Deps, line: string): Promise<Reply> {
  try {
    const request = JSON.parse(line) as { op?: string; args?: Record<string, unknown> };
    const operation = request.op ? OPERATIONS[request.op] : undefined;
    if (!operation) return { ok: false, code: 'bad_request', message: `unknown operation ${String(request.op)}` };
    return { ok: true, result: await operation(deps, request.args ?? {}) };
  } catch (error) {
    if (error instanceof AppError) return { ok: false, code: error.code, message: error.message };
    deps.logger.error({ err: error }, 'admin operation failed');
    return { ok: false, code: 'internal_server_error', message: 'the server could not run the command; see its log' };
  }
}

/**
 * Runs an operation on the server listening at socketPath. A server that holds the data
 * directory but is still starting (migrating) has no socket yet: wait for it, up to `waitMs`.
 */
export async function callAdminSocket(
  socketPath: string,
  op: string,
  args: Record<string, unknown>,
  waitMs = 30_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return await callOnce(socketPath, op, args);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ECONNREFUSED') || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function callOnce(socketPath: string, op: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const reply = await new Promise<Reply>((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify({ op, args })}\n`));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
    });
    socket.on('end', () => {
      try {
        resolve(JSON.parse(buffer) as Reply);
      } catch {
        reject(new Error('the running server gave no answer'));
      }
    });
    socket.on('error', reject);
  });
  if (!reply.ok) throw new AppError(reply.code as never, reply.message);
  return reply.result;
}
