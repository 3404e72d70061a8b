import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { keepTickObjectShape } from '../bin/tick-objects.js';
import { startPostgate } from './processes.js';

const run = promisify(execFile);
const TICK_OBJECTS_URL = JSON.stringify(new URL('../bin/tick-objects.js', import.meta.url).href);
const dir = mkdtempSync(path.join(tmpdir(), 'postgate-ticks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// What a server goes through between bursts of work: tick objects created, none left alive,
// full collections (node --allow-natives-syntax --expose-gc).
const PROBE = path.join(dir, 'probe.mjs');
writeFileSync(
  PROBE,
  `
import { keptTickObject, tickObject } from ${TICK_OBJECTS_URL};

async function collectionsWithoutTicks() {
  const tick = () => new Promise((resolve) => process.nextTick(resolve));
  for (let round = 0; round < 12; round++) {
    for (let i = 0; i < 200; i++) await tick();
    await new Promise((resolve) => setTimeout(resolve, 1));
    globalThis.gc();
  }
}

/** Then the states of the inline caches of process.nextTick's object literal, as V8 prints them. */
export async function probeTickCaches() {
  await collectionsWithoutTicks();
  %DebugPrint(process.nextTick);
}

/** Then whether a new tick object has the hidden class of the one kept (false if none is). */
async function probeKeptShape() {
  await collectionsWithoutTicks();
  const fresh = tickObject();
  const kept = keptTickObject();
  process.stdout.write('KEPT_SHAPE ' + (kept !== undefined && %HaveSameMap(kept, fresh)) + '\\n');
}
if (process.env.TICK_PROBE_ON_SIGNAL) process.on('SIGUSR2', () => void probeKeptShape());
`,
);
const NATIVE_ARGS = ['--allow-natives-syntax', '--expose-gc'];

/** The states V8 printed for the literal's caches (its DefineKeyedOwnPropertyInLiteral slots). */
function literalCacheStates(output: string): string[] {
  return [...output.matchAll(/DefineKeyedOwnPropertyInLiteral (\w+)/g)].map((m) => m[1]!);
}

async function probeProcess(keep: boolean): Promise<string[]> {
  const script = `
${keep ? `(await import(${TICK_OBJECTS_URL})).keepTickObjectShape();` : ''}
await (await import(${JSON.stringify(PROBE)})).probeTickCaches();
`;
  const { stdout } = await run(process.execPath, [...NATIVE_ARGS, '--input-type=module', '-e', script]);
  return literalCacheStates(stdout);
}

describe("process.nextTick's tick objects, kept alive", () => {
  it('returns one tick object of this process, the same on every call', () => {
    const kept = keepTickObjectShape();
    expect(kept).toBeDefined();
    expect(Object.keys(kept!)).toEqual(expect.arrayContaining(['callback', 'args']));
    expect(Object.getOwnPropertySymbols(kept!).length).toBeGreaterThanOrEqual(2);
    expect(keepTickObjectShape()).toBe(kept);
  });

  it("keeps nextTick's caches monomorphic through collections that find no tick object alive", async () => {
    // The premise, on this Node.js: without one kept, the same collections leave them megamorphic.
    expect(await probeProcess(false)).toContain('MEGAMORPHIC');
    const kept = await probeProcess(true);
    expect(kept.length).toBeGreaterThanOrEqual(4);
    expect(new Set(kept)).toEqual(new Set(['MONOMORPHIC']));
  });

  it('leaves no async hook behind: the promise hooks it needed for a moment are gone after it', async () => {
    // Node's own record of the promise hooks installed (an internal binding, hence --expose-internals).
    const script = `
import { createRequire } from 'node:module';
const { internalBinding } = createRequire(import.meta.url)('internal/test/binding');
const installed = () => internalBinding('async_wrap').getPromiseHooks().filter(Boolean).length;
const before = installed();
(await import(${TICK_OBJECTS_URL})).keepTickObjectShape();
await new Promise((resolve) => setTimeout(resolve, 10));
process.stdout.write(JSON.stringify({ before, after: installed() }));
`;
    const { stdout } = await run(process.execPath, ['--expose-internals', '--no-warnings', '--input-type=module', '-e', script]);
    expect(JSON.parse(stdout)).toEqual({ before: 0, after: 0 });
  });

  it('`postgate start` keeps one from its start, and new tick objects keep its hidden class', async () => {
    const dataDir = mkdtempSync(path.join(dir, 'data-'));
    const server = await startPostgate({ POSTGATE_DATA_DIR: dataDir, DATABASE_URL: '', REDIS_URL: '', TICK_PROBE_ON_SIGNAL: '1' }, 'api', {
      nodeArgs: [...NATIVE_ARGS, '--import', PROBE],
    });
    try {
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      server.child.kill('SIGUSR2');
      const answer = (): string | undefined => /KEPT_SHAPE (\w+)/.exec(server.output())?.[1];
      await expect.poll(answer, { timeout: 10_000 }).toBeDefined();
      expect(answer()).toBe('true');
    } finally {
      await server.stop();
    }
  });
});
