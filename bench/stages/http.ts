import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expectStatus, request } from '../lib/http.js';
import { describeLoad, SERVER_CORE, warmThenMeasure, autocannon, type LoadOptions, type LoadResult } from '../lib/load.js';
import { hasEmailApi, sendingKey, steadyWhoamiBody, type Instance } from '../lib/postgate.js';
import { freshDatabase } from '../lib/postgres.js';
import { ROOT, spawnServer, withRssPeak } from '../lib/processes.js';
import { fmt, progress, ratio, verdict, type Report } from '../lib/report.js';

// Stage 1: requests per second through the HTTP stack, autocannon in its own process on the load
// core, every server on the server core. The bare route and Postgate's /whoami are measured in
// alternating rounds (best of each kept), so a burst of load from elsewhere on the machine hits
// both rather than one.

const STAGE = '1 HTTP';
const CONNECTIONS = 10;
/**
 * Alternating rounds of the bare route and /whoami, the best of each kept. The first round of
 * each follows a warm-up of WARM_SECONDS: after 1 s, Postgate's first round read 2 to 6% under
 * its second in five runs out of five, while the bare route's first was no lower than its second.
 */
const ROUNDS = 3;
const WARM_SECONDS = 3;

export type HttpFigures = {
  bare: number;
  whoamiPglite: number;
  emailsPglite: LoadResult | undefined;
  /** Peak RSS of the PGlite server during this stage's loads. */
  peakRssMb: number | undefined;
};

function best(a: LoadResult | undefined, b: LoadResult): LoadResult {
  return a && a.okPerSec >= b.okPerSec ? a : b;
}

function shown(r: LoadResult): string {
  const cpu = r.cpuUsPerReq === undefined ? '' : `, ${fmt(r.cpuUsPerReq, 1)} µs CPU/req`;
  return `${fmt(r.okPerSec)} req/s (p99 ${r.p99Ms} ms${cpu})`;
}

/** Throughput ratio, and beside it the ratio of server CPU per request (steadier on a busy box). */
function ratios(r: LoadResult, base: LoadResult, digits = 2): string {
  const cpu = r.cpuUsPerReq && base.cpuUsPerReq ? `; by CPU ${ratio(base.cpuUsPerReq, r.cpuUsPerReq, digits)}` : '';
  return `${ratio(r.okPerSec, base.okPerSec, digits)}${cpu}`;
}

export async function httpStage(o: { report: Report; seconds: number; tmp: string; pglite: Instance; postgres: Instance | undefined }): Promise<HttpFigures> {
  const { report, seconds, pglite } = o;
  let peakRssMb: number | undefined;
  const onPglite = async (options: LoadOptions, warmSeconds: number): Promise<LoadResult> => {
    const { result, peakMb } = await withRssPeak(pglite.server.pid, () => (warmSeconds > 0 ? warmThenMeasure(options, warmSeconds) : autocannon(options)));
    if (peakMb !== undefined) peakRssMb = Math.max(peakRssMb ?? 0, peakMb);
    return result;
  };

  // The ceiling answers exactly what Postgate's /whoami answers for this key.
  const bodyFile = path.join(o.tmp, 'whoami.json');
  writeFileSync(bodyFile, await steadyWhoamiBody(pglite.url, pglite.token));
  const bare = await spawnServer({
    core: SERVER_CORE,
    args: [path.join(ROOT, 'bench/servers/bare.js')],
    env: { BENCH_BODY_FILE: bodyFile },
    ready: /bare listening (http:\/\/\S+)/,
  });

  let bareBest: LoadResult | undefined;
  let whoamiBest: LoadResult | undefined;
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const bareLoad = { url: `${bare.url}/whoami`, seconds, connections: CONNECTIONS, serverPid: bare.pid };
      const b = await (round === 1 ? warmThenMeasure(bareLoad, WARM_SECONDS) : autocannon(bareLoad));
      progress(STAGE, `round ${round} bare Fastify        ${describeLoad(b)}`);
      bareBest = best(bareBest, b);
      const w = await onPglite({ url: `${pglite.url}/whoami`, seconds, connections: CONNECTIONS, token: pglite.token, serverPid: pglite.server.pid }, round === 1 ? WARM_SECONDS : 0);
      progress(STAGE, `round ${round} Postgate /whoami    ${describeLoad(w)}`);
      whoamiBest = best(whoamiBest, w);
    }
  } finally {
    await bare.stop();
  }
  const bareRun = bareBest!;
  const bareRps = bareRun.okPerSec;
  report.add({ stage: STAGE, metric: 'bare Fastify GET /whoami, same body (ceiling)', value: shown(bareRun) });
  const whoamiRps = whoamiBest!.okPerSec;
  report.add({
    stage: STAGE,
    metric: 'Postgate GET /whoami, PGlite (authenticated)',
    value: shown(whoamiBest!),
    baseline: `bare ${fmt(bareRps)}`,
    ratio: ratios(whoamiBest!, bareRun),
    budget: '>= 0.75x bare',
    verdict: verdict(whoamiRps / bareRps >= 0.75),
  });

  let whoamiPostgres: LoadResult | undefined;
  if (o.postgres) {
    const w = await warmThenMeasure({ url: `${o.postgres.url}/whoami`, seconds, connections: CONNECTIONS, token: o.postgres.token, serverPid: o.postgres.server.pid }, WARM_SECONDS);
    progress(STAGE, `Postgate /whoami on PostgreSQL  ${describeLoad(w)}`);
    whoamiPostgres = w;
    report.add({
      stage: STAGE,
      metric: 'Postgate GET /whoami, PostgreSQL',
      value: shown(w),
      baseline: `bare ${fmt(bareRps)}`,
      ratio: ratios(w, bareRun),
    });
  }

  const emails = await emailsOverHttp({ report, seconds, pglite, bare: bareRun, onPglite });
  await betterAuth({ report, seconds, bodyFile, bare: bareRun, postgate: whoamiPostgres ?? whoamiBest!, postgateLabel: whoamiPostgres ? 'PostgreSQL' : 'PGlite' });
  return { bare: bareRps, whoamiPglite: whoamiRps, emailsPglite: emails, peakRssMb };
}

async function emailsOverHttp(o: {
  report: Report;
  seconds: number;
  pglite: Instance;
  bare: LoadResult;
  onPglite: (options: LoadOptions, warmSeconds: number) => Promise<LoadResult>;
}): Promise<LoadResult | undefined> {
  if (!(await hasEmailApi(o.pglite.url))) {
    o.report.skip(STAGE, 'no /emails route yet');
    return undefined;
  }
  const sender = await sendingKey(o.pglite);
  const probe = await request(`${o.pglite.url}/emails`, { method: 'POST', token: sender.token, body: JSON.parse(sender.body) });
  if (probe.status !== 200) {
    o.report.skip(STAGE, `POST /emails: a valid email was answered ${probe.status} ${probe.body.slice(0, 200)}`);
    return undefined;
  }
  const r = await o.onPglite(
    { url: `${o.pglite.url}/emails`, seconds: o.seconds, connections: CONNECTIONS, token: sender.token, method: 'POST', body: sender.body, serverPid: o.pglite.server.pid },
    1,
  );
  progress(STAGE, `Postgate POST /emails (PGlite, ${sender.mode} key)  ${describeLoad(r)}`);
  o.report.add({
    stage: STAGE,
    metric: `Postgate POST /emails, PGlite, capture (${sender.mode} key)`,
    value: shown(r),
    baseline: `bare ${fmt(o.bare.okPerSec)}`,
    ratio: ratios(r, o.bare, 3),
  });
  return r;
}

async function betterAuth(o: { report: Report; seconds: number; bodyFile: string; bare: LoadResult; postgate: LoadResult; postgateLabel: string }): Promise<void> {
  const db = await freshDatabase('better_auth');
  const server = await spawnServer({
    core: SERVER_CORE,
    args: ['--import', 'tsx', path.join(ROOT, 'bench/servers/better-auth.ts')],
    env: { BENCH_BODY_FILE: o.bodyFile, BENCH_DATABASE_URL: db.url },
    ready: /better-auth listening (http:\/\/\S+)/,
  });
  try {
    const token = (JSON.parse(/^\{.*\}$/m.exec(server.output())![0]) as { token: string }).token;
    await expectStatus(request(`${server.url}/whoami`, { token }), 200, 'better-auth GET /whoami');
    const r = await warmThenMeasure({ url: `${server.url}/whoami`, seconds: o.seconds, connections: CONNECTIONS, token, serverPid: server.pid });
    progress(STAGE, `better-auth API key /whoami     ${describeLoad(r)}`);
    o.report.add({
      stage: STAGE,
      metric: 'better-auth + @better-auth/api-key GET /whoami, PostgreSQL (rate limit off)',
      value: shown(r),
      baseline: `bare ${fmt(o.bare.okPerSec)}`,
      ratio: ratios(r, o.bare, 3),
    });
    o.report.add({
      stage: STAGE,
      metric: `Postgate GET /whoami (${o.postgateLabel}) over better-auth`,
      value: `${fmt(o.postgate.okPerSec)} vs ${fmt(r.okPerSec)} req/s`,
      baseline: `better-auth ${fmt(r.okPerSec)}`,
      ratio: ratios(o.postgate, r, 1),
      budget: '>= 30x',
      verdict: verdict(o.postgate.okPerSec / r.okPerSec >= 30),
    });
  } finally {
    await server.stop();
    await db.drop();
  }
}
