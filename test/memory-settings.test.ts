import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { canReexecute, COMPACT_HEAP_FLAGS, heapFlags, MALLOC_ARENAS, mallocArenaEnv } from '../bin/memory.js';
import { startPostgate } from './processes.js';

const run = promisify(execFile);
const MEMORY_URL = new URL('../bin/memory.js', import.meta.url).href;

// Applies the flags as bin/postgate.js does, then keeps a working set churning through the young
// generation, sampling the size of its space: prints the median and the largest sample, in MB.
const YOUNG_GENERATION_PROBE = `
import v8 from 'node:v8';
import { heapFlags } from ${JSON.stringify(MEMORY_URL)};
for (const flag of heapFlags(process.env, process.execArgv)) v8.setFlagsFromString(flag);
const kept = [];
const samples = [];
for (let i = 0; i < 300000; i++) {
  kept.push({ i, text: 'x' + i });
  if (kept.length > 20000) kept.splice(0, 10000);
  if (i % 1000 === 0) samples.push(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576);
}
samples.sort((a, b) => a - b);
process.stdout.write(JSON.stringify({ median: samples[samples.length >> 1], largest: samples[samples.length - 1] }));
`;

async function youngGeneration(env: Record<string, string>): Promise<{ median: number; largest: number }> {
  const { NODE_OPTIONS: _, ...inherited } = process.env;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', YOUNG_GENERATION_PROBE], {
    cwd: path.dirname(new URL(import.meta.url).pathname),
    env: { ...inherited, ...env },
  });
  return JSON.parse(stdout) as { median: number; largest: number };
}

describe('the memory settings of the postgate command', () => {
  it('asks for the compact heap on the embedded database only, and never over the operator', () => {
    expect(heapFlags({}, [])).toEqual([...COMPACT_HEAP_FLAGS]);
    // Empty counts as unset, as in the configuration.
    expect(heapFlags({ DATABASE_URL: '' }, [])).toEqual([...COMPACT_HEAP_FLAGS]);
    expect(heapFlags({ DATABASE_URL: 'postgres://root@127.0.0.1:5432/test' }, [])).toEqual([]);
    expect(heapFlags({}, ['--max-old-space-size=512'])).toEqual([]);
    expect(heapFlags({ NODE_OPTIONS: '--max-semi-space-size=4' }, [])).toEqual([]);
    expect(heapFlags({ NODE_OPTIONS: '--enable-source-maps' }, ['--cpu-prof'])).toEqual([...COMPACT_HEAP_FLAGS]);
  });

  it('keeps the young generation small when set at run time, and leaves it to grow on PostgreSQL', async () => {
    // The premise of setting them from JavaScript: V8 reads these flags as the heap grows.
    const embedded = await youngGeneration({ DATABASE_URL: '' });
    const postgres = await youngGeneration({ DATABASE_URL: 'postgres://root@127.0.0.1:5432/test' });
    // Read here: a median of 2 MB against V8's default growing to 16 MB, on Node 20 and Node 24
    // (Node 24's largest sample on the compact heap moved between 2 and 6.5 MB from run to run).
    expect(embedded.median).toBeGreaterThan(0);
    expect(embedded.median).toBeLessThanOrEqual(4);
    expect(postgres.largest).toBeGreaterThanOrEqual(4 * embedded.median);
  });

  it('re-executes the server with two malloc arenas on Linux where node can, unless the operator set them', () => {
    const env = { PATH: '/usr/bin', DATABASE_URL: '' };
    expect(mallocArenaEnv(env, 'linux', true)).toEqual({ ...env, MALLOC_ARENA_MAX: MALLOC_ARENAS });
    // Set: by the operator, or by the re-execution itself (which therefore happens once).
    expect(mallocArenaEnv({ ...env, MALLOC_ARENA_MAX: '4' }, 'linux', true)).toBeUndefined();
    expect(mallocArenaEnv(env, 'linux', false)).toBeUndefined();
    expect(mallocArenaEnv(env, 'darwin', true)).toBeUndefined();
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
  });
});
