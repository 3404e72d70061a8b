import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

// Real processes for multi-instance and crash tests: `postgate start`, and private redis-servers.
// Every child is killed when it overruns its time and when the test process exits, so a failed
// test never leaves a server holding a port or a data directory; each server gets a data
// directory of its own unless the test names one.

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** A new, empty data directory under the system's temporary directory. */
export function freshDataDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'postgate-proc-'));
}

export const BIN = path.resolve(import.meta.dirname, '../bin/postgate.js');

export type ServerProcess = { child: ChildProcess; url: string; output: () => string; stop(signal?: NodeJS.Signals): Promise<void> };

export type CliRun = { code: number | null; stdout: string; stderr: string };

/** Runs one `postgate` command to its end (killed after `timeoutMs`); `stdin` is written to it (passwords). */
export function runPostgate(args: string[], env: Record<string, string>, stdin = '', timeoutMs = 60_000): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = track(spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin!.end(stdin);
  });
}

/**
 * Starts `postgate start` and resolves once it prints its API address (killed if it has not in
 * 30 s); `umask`: the umask it is started with (through the shell, as a user's login sets it).
 */
const START_TIMEOUT_MS = 80_000;

export function startPostgate(env: Record<string, string>, roles = 'api', options: { umask?: string } = {}): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const command = [process.execPath, BIN, 'start', '--roles', roles];
    const [file, ...args] = options.umask === undefined ? command : ['/bin/sh', '-c', `umask ${options.umask} && exec "$0" "$@"`, ...command];
    const child = track(spawn(file!, args, {
      env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', POSTGATE_DATA_DIR: freshDataDir(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }));
    let out = '';
    // A first start creates the database (initdb for PGlite), which takes over 30 s on a loaded
    // 2-core machine; a server that truly hangs is still caught.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in ${START_TIMEOUT_MS / 1000} s:\n${out}`));
    }, START_TIMEOUT_MS);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const match = /Postgate API\s+(http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, output: () => out, stop: (signal) => stopProcess(child, signal) });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited ${code}:\n${out}`));
    });
  });
}

export function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A private redis-server (the machine's binary) on its own port, so a test may stop it. */
export async function startRedis(port?: number): Promise<{ url: string; port: number; stop(): Promise<void> }> {
  const p = port ?? (await freePort());
  const child = track(spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' }));
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.createConnection({ port: p, host: '127.0.0.1' }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `redis://127.0.0.1:${p}`, port: p, stop: () => stopProcess(child, 'SIGKILL') };
}
