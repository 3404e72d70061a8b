import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../test/processes.js';

// Processes the benchmarks run: Postgate itself (`postgate start`, the real CLI), the bench-only
// servers, and the load generators, each pinned to one core with taskset when it is available.

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'bin/postgate.js');
const HAS_TASKSET = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

/** `taskset -c <core> <command>`, or the command alone where taskset is missing. */
export function pinned(core: number | undefined, command: string, args: string[]): [string, string[]] {
  if (core === undefined || !HAS_TASKSET) return [command, args];
  return ['taskset', ['-c', String(core), command, ...args]];
}

export const tasksetAvailable = HAS_TASKSET;

/**
 * The environment a bench process starts from: this shell's, without Postgate's own settings
 * (DATABASE_URL, REDIS_URL, PORT, POSTGATE_*). Each stage states the backend it measures; an
 * exported DATABASE_URL must not turn the PGlite figures into PostgreSQL ones, nor REDIS_URL move
 * the in-process limits to Redis.
 */
export function inheritedEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith('POSTGATE_') || ['DATABASE_URL', 'REDIS_URL', 'PORT', 'HOST', 'SMTP_PORT', 'SMTPS_PORT'].includes(name)) delete env[name];
  }
  return env;
}

export type Spawned = {
  child: ChildProcess;
  pid: number;
  url: string;
  output(): string;
  stop(): Promise<void>;
};

type SpawnOptions = {
  core?: number | undefined;
  /** The program to run: node itself unless told (valgrind, say, running node). */
  command?: string | undefined;
  args: string[];
  env?: Record<string, string>;
  /** The first capture group of this pattern, seen in stdout or stderr, is the server's URL. */
  ready: RegExp;
  timeoutMs?: number | undefined;
};

/** Starts a long-running process and resolves once it prints the line `ready` matches. */
export function spawnServer(options: SpawnOptions): Promise<Spawned> {
  const [command, args] = pinned(options.core, options.command ?? process.execPath, options.args);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...inheritedEnv(), LOG_LEVEL: 'warn', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      child.kill('SIGKILL');
      reject(new Error(`${options.args.join(' ')} did not start in time:\n${out}`));
    }, options.timeoutMs ?? 60_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const match = options.ready.exec(out);
      if (match && !done) {
        done = true;
        clearTimeout(timer);
        resolve({ child, pid: child.pid!, url: match[1]!, output: () => out, stop: () => stop(child) });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (!done) reject(new Error(`${options.args.join(' ')} exited ${code}:\n${out}`));
    });
  });
}

/** The address `startPostgate` has Postgate listen on (its HOST variable). */
export const POSTGATE_HOST = '127.0.0.1';

/** `postgate start`, pinned to `core`, on its own free port; `command` runs node (valgrind, say). */
export async function startPostgate(options: {
  core?: number | undefined;
  env: Record<string, string>;
  roles?: string | undefined;
  nodeArgs?: string[] | undefined;
  command?: string | undefined;
  timeoutMs?: number | undefined;
}): Promise<Spawned> {
  const port = await freePort();
  return spawnServer({
    core: options.core,
    command: options.command,
    args: [...(options.nodeArgs ?? []), BIN, 'start', '--roles', options.roles ?? 'api'],
    env: { PORT: String(port), HOST: POSTGATE_HOST, SMTP_PORT: '0', SMTPS_PORT: '0', ...options.env },
    ready: /Postgate API\s+(http:\/\/\S+)/,
    timeoutMs: options.timeoutMs,
  });
}

export type CliResult = { code: number; stdout: string; stderr: string };

/** The real `postgate` command, as an operator runs it. */
export function postgateCli(env: Record<string, string>, args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...inheritedEnv(), LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** `postgate ... --json`: the one JSON object it prints, or an error naming the command. */
export async function postgateJson(env: Record<string, string>, args: string[]): Promise<Record<string, unknown>> {
  const result = await postgateCli(env, [...args, '--json']);
  if (result.code !== 0) throw new Error(`postgate ${args.join(' ')} failed (${result.code}): ${result.stderr.trim()}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/** A one-shot process (load generator, pgbench): its stdout, or an error with its stderr. */
export function runToEnd(options: { core?: number | undefined; command: string; args: string[]; env?: Record<string, string> }): Promise<string> {
  const [command, args] = pinned(options.core, options.command, options.args);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...inheritedEnv(), ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${options.command} ${options.args.join(' ')} exited ${code}: ${stderr.trim().slice(-2000)}`));
    });
  });
}

const STATUS_FIELDS = { VmRSS: /VmRSS:\s+(\d+) kB/, VmHWM: /VmHWM:\s+(\d+) kB/ } as const;

/** Resident set size in MB, from /proc/<pid>/status (VmRSS), or with `field` its peak (VmHWM). */
export function rssMb(pid: number, field: keyof typeof STATUS_FIELDS = 'VmRSS'): number | undefined {
  try {
    const match = STATUS_FIELDS[field].exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The peak RSS of a process while `during` runs. The kernel's own high-water mark (VmHWM), reset
 * first through /proc/<pid>/clear_refs ("5"), sees every page the process touched, however brief,
 * and is read once at the end; where that reset is not allowed, VmRSS sampled every 200 ms.
 */
export async function withRssPeak<T>(pid: number, during: () => Promise<T>): Promise<{ result: T; peakMb: number | undefined }> {
  if (resetPeak(pid)) {
    const result = await during();
    return { result, peakMb: rssMb(pid, 'VmHWM') };
  }
  let peak: number | undefined;
  const sample = (): void => {
    const mb = rssMb(pid);
    if (mb !== undefined) peak = Math.max(peak ?? 0, mb);
  };
  sample();
  const timer = setInterval(sample, 200);
  try {
    const result = await during();
    sample();
    return { result, peakMb: peak };
  } finally {
    clearInterval(timer);
  }
}

/** Resets the process's VmHWM to its current RSS; false where that is not allowed. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL if the process has not exited within 10 s. */
export function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

/** CPU seconds (user + system, all threads) a process has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at ") ": utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
