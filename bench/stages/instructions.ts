import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { autocannon, LOAD_CORE, SERVER_CORE } from '../lib/load.js';
import { launch, newBackend, steadyWhoamiBody, TMP } from '../lib/postgate.js';
import { inheritedEnv, POSTGATE_HOST, ROOT, spawnServer, type Spawned } from '../lib/processes.js';
import { fmt, progress, ratio, type Report } from '../lib/report.js';

// Stage 7: instructions per request, counted by valgrind (callgrind), for the bare route and for
// Postgate's authenticated GET /whoami. Throughput and CPU time on a shared VM move by up to 2x
// between runs; the least window of a run (see count) moved by 2% at most from one run to the
// next, so this is the figure to compare two versions of the code by. Only the server's main
// thread is counted (the JavaScript and the runtime code it calls, in user space: not the
// kernel's share, such as the socket writes, nor V8's background compiler and GC threads), and
// only for requests made after a warm-up, so start-up is left out. Postgate runs on PostgreSQL here: the warm path never
// reaches the database, and PGlite's WebAssembly would take minutes to start under valgrind.

const STAGE = '7 instructions';
const WARM = 10_000;
const MEASURED = 2_000;
const WINDOWS = 5;

export function valgrindMissing(): string | undefined {
  if (spawnSync('valgrind', ['--version']).status !== 0) return 'valgrind is not installed (Debian: apt-get install valgrind)';
  if (spawnSync('callgrind_control', ['--version']).status !== 0) return 'callgrind_control is missing';
  return undefined;
}

function callgrindArgs(outDir: string): string[] {
  return ['--tool=callgrind', '--separate-threads=yes', `--callgrind-out-file=${path.join(outDir, 'cg.%p')}`];
}

type Counted = { windows: number[]; least: number; seconds: number };

/**
 * Warm-up, then WINDOWS windows of MEASURED requests, each counted from zeroed counters to a dump:
 * the main thread's instructions per request in each. The windows come down as the last functions
 * get their optimised code (V8 compiles on a background thread, which valgrind runs in turns with
 * the main one), and a window costs more when a full collection or the server's timers fall in it;
 * the least of them is the steady cost of a request, and all of them are shown.
 */
async function count(server: Spawned, host: string | undefined, outDir: string, url: string, token: string | undefined, loadCore: number): Promise<Counted> {
  const started = Date.now();
  try {
    await autocannon({ url, seconds: 0, amount: WARM, connections: 10, token, core: loadCore });
    for (let i = 0; i < WINDOWS; i++) {
      control(['-z', String(server.pid)], host);
      const measured = await autocannon({ url, seconds: 0, amount: MEASURED, connections: 10, token, core: loadCore });
      control(['-d', String(server.pid)], host);
      if (measured.non2xx + measured.errors > 0) throw new Error(`${url}: ${measured.non2xx} non-2xx replies and ${measured.errors} errors among the counted requests`);
    }
  } finally {
    await server.stop();
  }
  // With --separate-threads, dump n of thread 1 (the main thread) is cg.<pid>.<n>-01.
  const windows = Array.from({ length: WINDOWS }, (_, i) => {
    const file = path.join(outDir, `cg.${server.pid}.${i + 1}-01`);
    if (!existsSync(file)) throw new Error(`callgrind wrote no dump ${file}`);
    const totals = /^(?:summary|totals):\s*(\d+)/m.exec(readFileSync(file, 'utf8'));
    if (!totals) throw new Error(`no instruction total in ${file}`);
    return Number(totals[1]) / MEASURED;
  });
  return { windows, least: Math.min(...windows), seconds: (Date.now() - started) / 1000 };
}

function shown(c: Counted): string {
  return `${fmt(c.least)} instructions/request (least of ${WINDOWS} windows: ${c.windows.map((w) => fmt(w)).join(', ')})`;
}

/**
 * Sends a command to the server's callgrind. It reaches it through a pipe whose name holds the
 * USER and HOST variables the server had, so those are given as the server had them (Postgate's
 * HOST is its listening address, POSTGATE_HOST). The pipe's name: /tmp/vgdb-pipe-...-by-<USER>-on-<HOST>.
 */
function control(args: string[], serverHost: string | undefined): void {
  const env = { ...inheritedEnv(), ...(serverHost === undefined ? {} : { HOST: serverHost }) };
  const r = spawnSync('callgrind_control', args, { encoding: 'utf8', env });
  if (r.status !== 0 || /error/i.test(r.stderr)) throw new Error(`callgrind_control ${args.join(' ')}: ${r.stderr || r.stdout}`);
}

export async function instructionsStage(o: { report: Report; postgres: boolean }): Promise<void> {
  const missing = valgrindMissing() ?? (o.postgres ? undefined : 'PostgreSQL not reachable');
  if (missing) return o.report.skip(STAGE, missing);
  progress(STAGE, `valgrind (callgrind): ${fmt(WARM)} requests to warm up, then ${WINDOWS} windows of ${fmt(MEASURED)} counted, 10 connections; about 5 minutes`);

  const outDir = path.join(TMP, 'callgrind');
  mkdirSync(outDir, { recursive: true });
  // The bare route answers the body Postgate answers for its key, as in stage 1. A start under
  // valgrind takes a minute or more, so both servers start at once, on a core each (the bare one
  // waits for its body file); they are then counted one after the other, so each runs alone
  // with its load on the other core.
  const bodyFile = path.join(TMP, 'whoami-instructions.json');
  const bareStarting = spawnServer({
    core: LOAD_CORE,
    command: 'valgrind',
    args: [...callgrindArgs(outDir), process.execPath, path.join(ROOT, 'bench/servers/bare.js')],
    env: { BENCH_BODY_FILE: bodyFile },
    ready: /bare listening (http:\/\/\S+)/,
    timeoutMs: 600_000,
  });
  // Read below; a start that fails while Postgate starts must not be an unhandled rejection.
  bareStarting.catch(() => undefined);
  let p: Counted;
  try {
    const postgate = await launch({
      backend: await newBackend('postgres', 'instructions'),
      core: SERVER_CORE,
      command: 'valgrind',
      nodeArgs: [...callgrindArgs(outDir), process.execPath],
      timeoutMs: 300_000,
    });
    const { token } = postgate;
    const body = await steadyWhoamiBody(postgate.url, token).catch(async (error: unknown) => {
      await postgate.stop();
      throw error;
    });
    writeFileSync(`${bodyFile}.part`, body);
    renameSync(`${bodyFile}.part`, bodyFile);
    p = await count(postgate.server, POSTGATE_HOST, outDir, `${postgate.url}/whoami`, token, LOAD_CORE);
  } catch (error) {
    await bareStarting.then((bare) => bare.stop(), () => undefined);
    throw error;
  }
  progress(STAGE, `Postgate GET /whoami  ${shown(p)} (${fmt(p.seconds)} s)`);

  const bare = await bareStarting;
  const b = await count(bare, undefined, outDir, `${bare.url}/whoami`, undefined, SERVER_CORE);
  progress(STAGE, `bare Fastify          ${shown(b)} (${fmt(b.seconds)} s)`);

  o.report.add({ stage: STAGE, metric: 'bare Fastify GET /whoami, main thread, user space (callgrind)', value: shown(b) });
  o.report.add({
    stage: STAGE,
    metric: 'Postgate GET /whoami (PostgreSQL, warm key), main thread, user space (callgrind)',
    value: shown(p),
    baseline: `bare ${fmt(b.least)}`,
    ratio: `${ratio(b.least, p.least)} (bare / Postgate)`,
  });
}
