import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { COMPACT_HEAP_FLAGS, heapFlags } from '../bin/heap-flags.js';

const run = promisify(execFile);
const HEAP_FLAGS_URL = new URL('../bin/heap-flags.js', import.meta.url).href;

// Applies the flags as bin/postgate.js does, then keeps a working set churning through the young
// generation and prints the largest size its space reached, in MB.
const YOUNG_GENERATION_PROBE = `
import v8 from 'node:v8';
import { heapFlags } from ${JSON.stringify(HEAP_FLAGS_URL)};
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

describe('the heap settings of the postgate command', () => {
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
});
