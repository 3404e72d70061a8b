import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { expectStatus, request } from './lib/http.js';
import { autocannon, describeLoad, LOAD_CORE, SERVER_CORE } from './lib/load.js';
import { launch, newBackend, removeTmp, sendingKey, TMP } from './lib/postgate.js';
import { dropAllCreated } from './lib/postgres.js';
import { ROOT, runToEnd, spawnServer } from './lib/processes.js';
import { freePort } from '../test/processes.js';

// `node --import tsx bench/profile.ts --route whoami|emails|smtp|bare --db pglite|postgres [--seconds 8]`:
// runs one stage-1 load against a Postgate started with --cpu-prof, then prints where the server
// spent its time (self time by function, and by file), and where the .cpuprofile is (open it in
// Chrome DevTools > Performance, or speedscope). For finding what limits a missed budget.

const { values } = parseArgs({
  options: {
    route: { type: 'string', default: 'whoami' },
    db: { type: 'string', default: 'pglite' },
    seconds: { type: 'string', default: '8' },
    keep: { type: 'boolean', default: false },
  },
});
const db = values.db === 'postgres' ? 'postgres' : 'pglite';
const profDir = path.join(TMP, 'cpu-prof');

type CallFrame = { functionName: string; url: string; lineNumber: number; columnNumber: number };
type Node = { id: number; callFrame: CallFrame; hitCount?: number; children?: number[] };
type Profile = { nodes: Node[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] };

const ROOT_DIR = `${path.resolve(import.meta.dirname, '..')}/`;

function label(frame: CallFrame): string {
  const where = frame.url.replace(/^file:\/\//, '').replace(ROOT_DIR, '');
  // Sources run through tsx: line numbers are of the transformed file, so name the function and file.
  return `${frame.functionName || '(anonymous)'}  ${where}${where.startsWith('node_modules') || where.startsWith('node:') ? `:${frame.lineNumber + 1}` : ''}`;
}

function fileOf(frame: CallFrame): string {
  const where = frame.url.replace(/^file:\/\//, '').replace(ROOT_DIR, '');
  return where.replace(/^node_modules\/((@[^/]+\/)?[^/]+).*$/, 'node_modules/$1') || `(${frame.functionName})`;
}

/** Self and inclusive time of busy samples (idle and start-up excluded: only the load's window). */
function summarise(file: string, loadStartUs: number): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const byFile = new Map<string, number>();
  let t = profile.startTime;
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    const node = byId.get(id)!;
    if (t < loadStartUs || node.callFrame.functionName === '(idle)') return;
    busy += dt;
    self.set(label(node.callFrame), (self.get(label(node.callFrame)) ?? 0) + dt);
    byFile.set(fileOf(node.callFrame), (byFile.get(fileOf(node.callFrame)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur)!.callFrame);
      if (seen.has(l)) continue;
      seen.add(l);
      inclusive.set(l, (inclusive.get(l) ?? 0) + dt);
    }
  });
  const top = (m: Map<string, number>, n: number): string =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => `  ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${k}`)
      .join('\n');
  process.stdout.write(`\nBusy time during the load: ${(busy / 1000).toFixed(0)} ms\n`);
  process.stdout.write(`\nSelf time by function:\n${top(self, 30)}\n`);
  process.stdout.write(`\nInclusive time by function (project and framework code):\n${top(new Map([...inclusive].filter(([k]) => /src\/|dist\/|fastify|drizzle|pg|pglite/.test(k))), 40)}\n`);
  process.stdout.write(`\nSelf time by file or package:\n${top(byFile, 20)}\n`);
}

try {
  const smtpsPort = values.route === 'smtp' ? await freePort() : 0;
  const instance = await launch({
    backend: await newBackend(db, 'profile'),
    core: SERVER_CORE,
    nodeArgs: values.route === 'bare' ? [] : ['--cpu-prof', '--cpu-prof-dir', profDir],
    ...(values.route === 'smtp' ? { roles: 'api,smtp', env: { SMTPS_PORT: String(smtpsPort) } } : {}),
  });
  const seconds = Number(values.seconds);
  // The profile's clock is monotonic microseconds, as process.hrtime: keep only the load's window.
  const loadStartUs = Number(process.hrtime.bigint() / 1000n) + 500_000;
  if (values.route === 'bare') {
    // The ceiling under the profiler too, for comparison (same body as /whoami).
    const whoami = await expectStatus(request(`${instance.url}/whoami`, { token: instance.token }), 200, 'GET /whoami');
    writeFileSync(path.join(TMP, 'whoami.json'), whoami.body);
    await instance.stop();
    const bare = await spawnServer({
      core: SERVER_CORE,
      args: ['--cpu-prof', '--cpu-prof-dir', profDir, path.join(ROOT, 'bench/servers/bare.js')],
      env: { BENCH_BODY_FILE: path.join(TMP, 'whoami.json') },
      ready: /bare listening (http:\/\/\S+)/,
    });
    const r = await autocannon({ url: `${bare.url}/whoami`, seconds, connections: 10 });
    process.stdout.write(`bare GET /whoami: ${describeLoad(r)}\n`);
    await bare.stop();
  } else if (values.route === 'emails') {
    const sender = await sendingKey(instance);
    await expectStatus(request(`${instance.url}/emails`, { method: 'POST', token: sender.token, body: JSON.parse(sender.body) }), 200, 'POST /emails');
    const r = await autocannon({ url: `${instance.url}/emails`, seconds, connections: 10, token: sender.token, method: 'POST', body: sender.body });
    process.stdout.write(`POST /emails on ${db}: ${describeLoad(r)}\n`);
  } else if (values.route === 'smtp') {
    // Stage 4's load: nodemailer's pool of 10 authenticated connections over implicit TLS.
    const sender = await sendingKey(instance);
    const out = await runToEnd({
      core: LOAD_CORE,
      command: process.execPath,
      args: ['--import', 'tsx', path.join(ROOT, 'bench/stages/smtp-load.ts')],
      env: {
        BENCH_SMTP: JSON.stringify({ host: '127.0.0.1', port: smtpsPort, secure: true, token: sender.token, from: sender.from, connections: 10, warmupSeconds: 0, seconds }),
      },
    });
    process.stdout.write(`SMTP on ${db}: ${out.trim().split('\n').pop()}\n`);
  } else {
    const r = await autocannon({ url: `${instance.url}/whoami`, seconds, connections: 10, token: instance.token });
    process.stdout.write(`GET /whoami on ${db}: ${describeLoad(r)}\n`);
  }
  if (values.route !== 'bare') await instance.stop();
  // One profile per thread: the main thread's is by far the largest.
  const file = readdirSync(profDir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort((a, b) => statSync(path.join(profDir, b)).size - statSync(path.join(profDir, a)).size)[0];
  if (!file) throw new Error('the server wrote no .cpuprofile');
  summarise(path.join(profDir, file), loadStartUs);
  if (values.keep) process.stdout.write(`\nProfile kept: ${path.join(profDir, file)}\n`);
} finally {
  await dropAllCreated();
  if (!values.keep) removeTmp();
}
