import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { COMPACT_HEAP_FLAGS, heapFlags, MALLOC_ARENAS, mallocArenaEnv } from '../bin/memory.js';
import { startPostgate } from './processes.js';

const run = promisify(execFile);
const MEMORY_URL = new URL('../bin/memory.js', import.meta.url).href;

// Applies the flags as bin/postgate.js does, then keeps a working set churning through the young
// generation and prints the largest size its space reached, in MB.
const YOUNG_GENERATION_PROBE = `
import v8 from 'node:v8';
import { heapFlags } from ${JSON.stringify(MEMORY_URL)};
for (const flag of heapFlags(process.env, process.execArgv)) v8.setFlagsFromString(flag);
const kept = [];
let largest = 0;
for (let i = 0; i < 300000; i++) {
  kept.push({ i, text: 'x' + i });
  if (kept.length > 20000) kept.splice(0, 10000);
  if (i % 1000 === 0) largest = Math.max(largest, v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);
}
process.stdout.write(String(largest / 1048576));
`;

async function youngGenerationMb(env: Record<string, string>): Promise<number> {
  const { NODE_OPTIONS: _, ...inherited } = process.env;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', YOUNG_GENERATION_PROBE], {
    cwd: path.dirname(new URL(import.meta.url).pathname),
    env: { ...inherited, ...env },
  });
  return Number(stdout);
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
    const embedded = await youngGenerationMb({ DATABASE_URL: '' });
    const postgres = await youngGenerationMb({ DATABASE_URL: 'postgres://root@127.0.0.1:5432/test' });
    expect(embedded).toBeGreaterThan(0);
    expect(embedded).toBeLessThanOrEqual(4);
    expect(postgres).toBeGreaterThanOrEqual(4 * embedded);
  });

  it('re-executes the server with two malloc arenas on Linux where node can, unless the operator set them', () => {
    const env = { PATH: '/usr/bin', DATABASE_URL: '' };
    expect(mallocArenaEnv(env, 'linux', true)).toEqual({ ...env, MALLOC_ARENA_MAX: MALLOC_ARENAS });
    // Set: by the operator, or by the re-execution itself (which therefore happens once).
    expect(mallocArenaEnv({ ...env, MALLOC_ARENA_MAX: '4' }, 'linux', true)).toBeUndefined();
    expect(mallocArenaEnv(env, 'linux', false)).toBeUndefined();
    expect(mallocArenaEnv(env, 'darwin', true)).toBeUndefined();
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
