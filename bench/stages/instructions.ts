import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expectStatus, request } from '../lib/http.js';
import { autocannon, SERVER_CORE } from '../lib/load.js';
import { backendEnv, newBackend, provision, TMP } from '../lib/postgate.js';
import { BIN, inheritedEnv, ROOT, spawnServer, type Spawned } from '../lib/processes.js';
import { fmt, progress, ratio, type Report } from '../lib/report.js';
import { freePort } from '../../test/processes.js';

// Stage 7: instructions per request, counted by valgrind (callgrind), for the bare route and for
// Postgate's authenticated GET /whoami. Throughput and CPU time on a shared VM move by up to 2x
// between runs; an instruction count moves by well under 1%, so this is the figure to compare
// two versions of the code by. Only the server's main thread is counted (the JavaScript and the
// runtime code it calls, in user space: not the kernel's share, such as the socket writes, nor
// V8's background compiler and GC threads), and only for requests made after a warm-up, so
// start-up and compilation are left out. Postgate runs on PostgreSQL here: the warm path never
// reaches the database, and PGlite's WebAssembly would take minutes to start under valgrind.

const STAGE = '7 instructions';
const WARM = 5_000;
const MEASURED = 5_000;
const HOST = '127.0.0.1';

type Counted = { perRequest: number; seconds: number };

export function valgrindMissing(): string | undefined {
  if (spawnSync('valgrind', ['--version']).status !== 0) return 'valgrind is not installed (Debian: apt-get install valgrind)';
  if (spawnSync('callgrind_control', ['--version']).status !== 0) return 'callgrind_control is missing';
  return undefined;
}

function callgrindArgs(outDir: string): string[] {
  return ['--tool=callgrind', '--separate-threads=yes', `--callgrind-out-file=${path.join(outDir, 'cg.%p')}`];
}

/** Warm-up, counters zeroed, the measured requests, one dump: the main thread's instructions per request. */
async function count(server: Spawned, host: string | undefined, outDir: string, url: string, token: string | undefined): Promise<Counted> {
  const started = Date.now();
  try {
    await autocannon({ url, seconds: 0, amount: WARM, connections: 10, token });
    control(['-z', String(server.pid)], host);
    const measured = await autocannon({ url, seconds: 0, amount: MEASURED, connections: 10, token });
    control(['-d', String(server.pid)], host);
    if (measured.non2xx + measured.errors > 0) throw new Error(`${url}: ${measured.non2xx} non-2xx replies and ${measured.errors} errors among the counted requests`);
  } finally {
    await server.stop();
  }
  // With --separate-threads, the dump of thread 1 (the main thread) ends in "-01".
  const dump = readdirSync(outDir).find((f) => f.startsWith(`cg.${server.pid}.`) && f.endsWith('-01') && !f.endsWith('.0-01'));
  if (!dump) throw new Error(`callgrind wrote no dump for process ${server.pid} in ${outDir}: ${readdirSync(outDir).join(", ")}`);
  const totals = /^(?:summary|totals):\s*(\d+)/m.exec(readFileSync(path.join(outDir, dump), 'utf8'));
  if (!totals) throw new Error(`no instruction total in ${dump}`);
  return { perRequest: Number(totals[1]) / MEASURED, seconds: (Date.now() - started) / 1000 };
}

/**
 * Sends a command to the server's callgrind. It reaches it through a pipe whose name holds the
 * USER and HOST variables the server had, so those are given as the server had them (Postgate's
 * HOST is its listening address). The pipe's name: /tmp/vgdb-pipe-...-by-<USER>-on-<HOST>.
 */
function control(args: string[], serverHost: string | undefined): void {
  const env = { ...inheritedEnv(), ...(serverHost === undefined ? {} : { HOST: serverHost }) };
  const r = spawnSync('callgrind_control', args, { encoding: 'utf8', env });
  if (r.status !== 0 || /error/i.test(r.stderr)) throw new Error(`callgrind_control ${args.join(' ')}: ${r.stderr || r.stdout}`);
}

export async function instructionsStage(o: { report: Report; postgres: boolean }): Promise<void> {
  const missing = valgrindMissing() ?? (o.postgres ? undefined : 'PostgreSQL not reachable');
  if (missing) return o.report.skip(STAGE, missing);
  progress(STAGE, `valgrind (callgrind): ${fmt(WARM)} requests to warm up, then ${fmt(MEASURED)} counted, 10 connections; about 3 minutes`);

  const backend = await newBackend('postgres', 'instructions');
  const env = backendEnv(backend);
  const { token } = await provision(env);
  const outDir = path.join(TMP, 'callgrind');
  spawnSync('mkdir', ['-p', outDir]);

  const postgate = await spawnServer({
    core: SERVER_CORE,
    command: 'valgrind',
    args: [...callgrindArgs(outDir), process.execPath, BIN, 'start', '--roles', 'api'],
    env: { ...env, PORT: String(await freePort()), HOST, SMTP_PORT: '0', SMTPS_PORT: '0' },
    ready: /Postgate API\s+(http:\/\/\S+)/,
    timeoutMs: 300_000,
  });
  // The bare route answers the body Postgate answers for this key, as in stage 1.
  const whoami = await expectStatus(request(`${postgate.url}/whoami`, { token }), 200, 'GET /whoami');
  const bodyFile = path.join(TMP, 'whoami-instructions.json');
  writeFileSync(bodyFile, whoami.body);
  const p = await count(postgate, HOST, outDir, `${postgate.url}/whoami`, token);
  progress(STAGE, `Postgate GET /whoami  ${fmt(p.perRequest)} instructions/request (${fmt(p.seconds)} s)`);

  const bare = await spawnServer({
    core: SERVER_CORE,
    command: 'valgrind',
    args: [...callgrindArgs(outDir), process.execPath, '--import', 'tsx', path.join(ROOT, 'bench/servers/bare.ts')],
    env: { BENCH_BODY_FILE: bodyFile },
    ready: /bare listening (http:\/\/\S+)/,
    timeoutMs: 300_000,
  });
  const b = await count(bare, undefined, outDir, `${bare.url}/whoami`, undefined);
  progress(STAGE, `bare Fastify          ${fmt(b.perRequest)} instructions/request (${fmt(b.seconds)} s)`);

  o.report.add({ stage: STAGE, metric: 'bare Fastify GET /whoami, main thread, user space (callgrind)', value: `${fmt(b.perRequest)} instructions/request` });
  o.report.add({
    stage: STAGE,
    metric: 'Postgate GET /whoami (PostgreSQL, warm key), main thread, user space (callgrind)',
    value: `${fmt(p.perRequest)} instructions/request`,
    baseline: `bare ${fmt(b.perRequest)}`,
    ratio: `${ratio(b.perRequest, p.perRequest)} (bare / Postgate)`,
  });
}
