import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { canReexecute, COMPACT_HEAP_FLAGS, heapFlags, MALLOC_ARENAS, POSTGRES_START_FLAGS, reexecution, startFlags } from '../bin/memory.js';
import { freshPostgresDatabase } from './harness.js';
import { BIN, startPostgate } from './processes.js';

const run = promisify(execFile);
const MEMORY_URL = new URL('../bin/memory.js', import.meta.url).href;
// Any URL: these cases read only whether DATABASE_URL is set.
const POSTGRES_URL = 'postgres://root@127.0.0.1:5432/test';

// Applies the flags as bin/postgate.js does, then keeps a working set churning through the young
// generation, sampling the size of its space: prints the median and the largest sample, in MB.
// The space holds two semi-spaces: 32 MB is two of 16.
const YOUNG_GENERATION_PROBE = `
import v8 from 'node:v8';
import { heapFlags } from ${JSON.stringify(MEMORY_URL)};
for (const flag of heapFlags(process.env, process.execArgv)) v8.setFlagsFromString(flag);
const kept = [];
const samples = [];
for (let i = 0; i < 1500000; i++) {
  kept.push({ i, text: 'x' + i, pair: [i, i] });
  if (kept.length > 200000) kept.splice(0, 100000);
  if (i % 1000 === 0) samples.push(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576);
}
samples.sort((a, b) => a - b);
process.stdout.write(JSON.stringify({ median: samples[samples.length >> 1], largest: samples[samples.length - 1] }));
`;

async function youngGeneration(env: Record<string, string>, nodeArgs: readonly string[] = []): Promise<{ median: number; largest: number }> {
  const { NODE_OPTIONS: _, ...inherited } = process.env;
  const { stdout } = await run(process.execPath, [...nodeArgs, '--input-type=module', '-e', YOUNG_GENERATION_PROBE], {
    cwd: path.dirname(new URL(import.meta.url).pathname),
    env: { ...inherited, ...env },
  });
  return JSON.parse(stdout) as { median: number; largest: number };
}

describe('the memory settings of the postgate command', () => {
  it('asks for the compact heap on the embedded database, a young generation limit on PostgreSQL, and never over the operator', () => {
    const postgres = { DATABASE_URL: POSTGRES_URL };
    expect(heapFlags({}, [])).toEqual([...COMPACT_HEAP_FLAGS]);
    expect(startFlags({}, [])).toEqual([]);
    // Empty counts as unset, as in the configuration.
    expect(heapFlags({ DATABASE_URL: '' }, [])).toEqual([...COMPACT_HEAP_FLAGS]);
    expect(startFlags({ DATABASE_URL: '' }, [])).toEqual([]);
    expect(heapFlags(postgres, [])).toEqual([]);
    expect(startFlags(postgres, [])).toEqual([...POSTGRES_START_FLAGS]);
    expect(heapFlags({}, ['--max-old-space-size=512'])).toEqual([]);
    expect(heapFlags({ NODE_OPTIONS: '--max-semi-space-size=4' }, [])).toEqual([]);
    expect(startFlags({ ...postgres, NODE_OPTIONS: '--max-semi-space-size=4' }, [])).toEqual([]);
    expect(startFlags(postgres, ['--max-old-space-size=512'])).toEqual([]);
    expect(heapFlags({ NODE_OPTIONS: '--enable-source-maps' }, ['--cpu-prof'])).toEqual([...COMPACT_HEAP_FLAGS]);
    expect(startFlags({ ...postgres, NODE_OPTIONS: '--enable-source-maps' }, ['--cpu-prof'])).toEqual([...POSTGRES_START_FLAGS]);
  });

  it('keeps the young generation small when set at run time, and within 16 MB semi-spaces on PostgreSQL when started so', async () => {
    // The premise of setting the compact heap's flags from JavaScript: V8 reads them as the heap grows.
    const postgresEnv = { DATABASE_URL: POSTGRES_URL };
    const embedded = await youngGeneration({ DATABASE_URL: '' });
    const postgres = await youngGeneration(postgresEnv);
    const limited = await youngGeneration(postgresEnv, startFlags(postgresEnv, []));
    // Read here: a median of 2 MB on the compact heap; V8's default grew to 32 MB (two semi-spaces
    // of 16) on Node 20 and to 64 MB on Node 24 (128 MB with more churn), and to 32 MB on
    // both when started with the limit (once 32.5 on Node 24: a space may hold a page or two more).
    // The limit is a start flag: set from JavaScript, Node 24's young generation still grew past it.
    expect(embedded.median).toBeGreaterThan(0);
    expect(embedded.median).toBeLessThanOrEqual(4);
    expect(postgres.largest).toBeGreaterThanOrEqual(4 * embedded.median);
    expect(limited.largest).toBeGreaterThanOrEqual(4 * embedded.median);
    expect(limited.largest).toBeLessThanOrEqual(34);
  });

  it('re-executes the server with two malloc arenas and its start flags on Linux where node can, unless the operator set them', () => {
    const env = { PATH: '/usr/bin', DATABASE_URL: '' };
    const postgres = { ...env, DATABASE_URL: POSTGRES_URL };
    const execArgv = ['--enable-source-maps'];
    expect(reexecution(env, execArgv, 'linux', true)).toEqual({ env: { ...env, MALLOC_ARENA_MAX: MALLOC_ARENAS }, execArgv });
    expect(reexecution(postgres, execArgv, 'linux', true)).toEqual({
      env: { ...postgres, MALLOC_ARENA_MAX: MALLOC_ARENAS },
      execArgv: [...execArgv, ...POSTGRES_START_FLAGS],
    });
    // Set: by the operator, or by the re-execution itself (which therefore happens once).
    expect(reexecution({ ...env, MALLOC_ARENA_MAX: '4' }, execArgv, 'linux', true)).toBeUndefined();
    expect(reexecution({ ...postgres, MALLOC_ARENA_MAX: '4' }, execArgv, 'linux', true)).toEqual({
      env: { ...postgres, MALLOC_ARENA_MAX: '4' },
      execArgv: [...execArgv, ...POSTGRES_START_FLAGS],
    });
    expect(reexecution({ ...postgres, MALLOC_ARENA_MAX: MALLOC_ARENAS }, [...execArgv, ...POSTGRES_START_FLAGS], 'linux', true)).toBeUndefined();
    expect(reexecution(postgres, ['--max-semi-space-size=64'], 'linux', true)).toEqual({
      env: { ...postgres, MALLOC_ARENA_MAX: MALLOC_ARENAS },
      execArgv: ['--max-semi-space-size=64'],
    });
    expect(reexecution(postgres, execArgv, 'linux', false)).toBeUndefined();
    expect(reexecution(postgres, execArgv, 'darwin', true)).toBeUndefined();
    // Node.js before 22.15 has no process.execve; an IPC channel to a parent would not survive it.
    const execve = (): void => undefined;
    expect(canReexecute({ execve, channel: undefined } as unknown as NodeJS.Process)).toBe(true);
    expect(canReexecute({ execve: undefined, channel: undefined } as unknown as NodeJS.Process)).toBe(false);
    expect(canReexecute({ execve, channel: {} } as unknown as NodeJS.Process)).toBe(false);
  });

  describe('a real `postgate start` on Linux', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'postgate-memory-'));
    const operatorValue = process.env.MALLOC_ARENA_MAX;
    delete process.env.MALLOC_ARENA_MAX;
    afterAll(() => {
      if (operatorValue !== undefined) process.env.MALLOC_ARENA_MAX = operatorValue;
      rmSync(dataDir, { recursive: true, force: true });
    });
    const env = { POSTGATE_DATA_DIR: dataDir, DATABASE_URL: '', REDIS_URL: '' };
    const serverEnv = (pid: number): string | undefined =>
      readFileSync(`/proc/${pid}/environ`, 'utf8')
        .split('\0')
        .find((entry) => entry.startsWith('MALLOC_ARENA_MAX='));
    const serverArgs = (pid: number): string[] => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    // The server's own test, not canReexecute(process): this test process is a vitest fork with
    // an IPC channel, the servers it spawns have none.
    const canExecve = typeof (process as { execve?: unknown }).execve === 'function';

    it.runIf(process.platform === 'linux')(
      canExecve ? 'runs with MALLOC_ARENA_MAX=2, in the process it was started as' : 'runs as started on this Node.js, which has no process.execve',
      async () => {
        const server = await startPostgate(env);
        try {
          // The process the test spawned is the one serving: re-executed in place, not a child.
          expect(server.child.pid).toBeDefined();
          expect(serverEnv(server.child.pid!)).toBe(canExecve ? `MALLOC_ARENA_MAX=${MALLOC_ARENAS}` : undefined);
          expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
        } finally {
          await server.stop();
        }
      },
    );

    it.runIf(process.platform === 'linux')('runs as started when a parent holds an IPC channel to it (a process manager)', async () => {
      const server = await startPostgate(env, 'api', { ipc: true });
      try {
        expect(serverEnv(server.child.pid!)).toBeUndefined();
        expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
        expect(server.child.connected).toBe(true);
      } finally {
        await server.stop();
      }
    });

    it.runIf(process.platform === 'linux')("keeps the operator's MALLOC_ARENA_MAX", async () => {
      const server = await startPostgate({ ...env, MALLOC_ARENA_MAX: '4' });
      try {
        expect(serverEnv(server.child.pid!)).toBe('MALLOC_ARENA_MAX=4');
        expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      } finally {
        await server.stop();
      }
    });

    it.runIf(process.platform === 'linux' && process.env.DATABASE_URL)(
      canExecve ? 'on PostgreSQL, runs with its start flags, unless the operator sized the heap' : 'on PostgreSQL, runs as started on this Node.js',
      async () => {
        const db = await freshPostgresDatabase();
        const started = async (extra: Record<string, string>): Promise<string[]> => {
          const server = await startPostgate({ DATABASE_URL: db.url, REDIS_URL: '', ...extra });
          try {
            expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
            return serverArgs(server.child.pid!);
          } finally {
            await server.stop();
          }
        };
        try {
          const args = await started({});
          const flag = POSTGRES_START_FLAGS[0]!;
          expect(args.includes(flag)).toBe(canExecve);
          // node's arguments, before its script: postgate's own parser never sees them.
          if (canExecve) expect(args.indexOf(flag)).toBeLessThan(args.indexOf(BIN));
          expect(await started({ NODE_OPTIONS: '--max-semi-space-size=8' })).not.toContain(flag);
        } finally {
          await db.drop();
        }
      },
    );
  });
});
