import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { buildServer, serverBuildIsFresh } from '../bin/server-build.js';
import { freePort } from '../test/processes.js';
import { SERVER_CORE } from './lib/load.js';
import { launch, newBackend, removeTmp, TMP, type Instance } from './lib/postgate.js';
import { dropAllCreated, postgresReachable } from './lib/postgres.js';
import { rssMb, tasksetAvailable } from './lib/processes.js';
import { fmt, progress, verdict, Report } from './lib/report.js';
import { emailsStage, type EmailFigures } from './stages/emails.js';
import { deliveryStage } from './stages/delivery.js';
import { httpStage, type HttpFigures } from './stages/http.js';
import { instructionsStage } from './stages/instructions.js';
import { renderStage } from './stages/render.js';
import { revocationStage } from './stages/revocation.js';
import { smtpStage } from './stages/smtp.js';
import { verifyStage } from './stages/verify.js';
import { webhooksStage } from './stages/webhooks.js';

// `npm run bench`: every stage measures Postgate next to a baseline taken in the same run, prints a
// progress line, and the run ends with one table (absolute figures, ratios, budgets met or
// missed). Every load targets 127.0.0.1 and stops by itself. See bench/README.md.

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    only: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
if (!Number.isInteger(seconds) || seconds < 1 || seconds > 30) throw new Error('--seconds takes a whole number of seconds, 1..30');
const only = new Set((values.only ?? '1,2,3,4,5,6,7,8,9,10').split(',').map((s) => s.trim()));
/** The stages that load the two long-running servers started at set-up; the others start their own or none. */
const SERVER_STAGES = ['1', '3', '4', '6'];

const report = new Report();
const started = Date.now();
const instances: Instance[] = [];

async function cleanup(): Promise<void> {
  for (const instance of instances.splice(0)) await instance.stop().catch(() => undefined);
  await dropAllCreated();
  removeTmp();
}

process.once('SIGINT', () => {
  process.stdout.write('\ninterrupted: stopping servers and dropping the bench databases\n');
  void cleanup().finally(() => process.exit(130));
});

function machine(): string {
  const model = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length} cores (${model}), ${fmt(totalmem() / 2 ** 30, 1)} GiB, Node ${process.version}`;
}

type Servers = {
  pglite: Instance;
  postgres: Instance | undefined;
  smtpPorts: { smtp: number; smtps: number };
  pgSmtpPorts: { smtp: number; smtps: number };
  idleRss: number | undefined;
};

/** Postgate on PGlite and on PostgreSQL (unless it is unreachable), for stages 1, 3, 4 and 6. */
async function startServers(pgProblem: string | undefined): Promise<Servers> {
  // The delivery worker is left out: these stages measure acceptance, and a worker delivering
  // (capturing) the accepted mail would compete for the same core.
  const smtpPorts = { smtp: await freePort(), smtps: await freePort() };
  const pgSmtpPorts = { smtp: await freePort(), smtps: await freePort() };
  const smtpEnv = (p: { smtp: number; smtps: number }): Record<string, string> => ({ SMTP_PORT: String(p.smtp), SMTPS_PORT: String(p.smtps) });
  progress('setup', 'starting Postgate (roles api,smtp) on PGlite and on PostgreSQL, pinned to core 0');
  const pglite = await launch({ backend: await newBackend('pglite', 'pglite'), core: SERVER_CORE, roles: 'api,smtp', env: smtpEnv(smtpPorts) });
  instances.push(pglite);
  const postgres = pgProblem
    ? undefined
    : await launch({ backend: await newBackend('postgres', 'server'), core: SERVER_CORE, roles: 'api,smtp', env: smtpEnv(pgSmtpPorts) });
  if (postgres) instances.push(postgres);
  await new Promise((r) => setTimeout(r, 2_000));
  const idleRss = rssMb(pglite.server.pid);
  progress('6 memory', `PGlite server idle: ${idleRss === undefined ? 'n/a' : `${fmt(idleRss)} MB`}`);
  return { pglite, postgres, smtpPorts, pgSmtpPorts, idleRss };
}

async function main(): Promise<void> {
  progress('setup', machine());
  // Postgate as it is deployed: the compiled server (bin/postgate.js runs it when it is fresh).
  if (!serverBuildIsFresh()) {
    const files = await buildServer();
    progress('setup', `compiled the server (${files} files) into dist/: its sources were newer than the last build`);
  }
  if (!tasksetAvailable) progress('setup', 'taskset is missing: processes are not pinned to cores');
  const pgProblem = await postgresReachable();
  if (pgProblem) progress('setup', `PostgreSQL not reachable (${pgProblem}): its figures are skipped`);
  const redisMissing = spawnSync('redis-server', ['--version']).status !== 0;

  const servers = SERVER_STAGES.some((stage) => only.has(stage)) ? await startServers(pgProblem) : undefined;
  let http: HttpFigures | undefined;
  if (servers && (only.has('1') || only.has('3') || only.has('6'))) {
    progress('1 HTTP', `autocannon, 10 connections, ${seconds} s per run, on core 1; servers on core 0`);
    http = await httpStage({ report, seconds, tmp: TMP, pglite: servers.pglite, postgres: servers.postgres });
  }
  if (only.has('2')) await verifyStage({ report, postgres: !pgProblem });
  let emails: EmailFigures | undefined;
  if (servers && only.has('3')) emails = await emailsStage({ report, seconds, tmp: TMP, pglite: http?.emailsPglite, postgres: servers.postgres });
  if (servers && only.has('4')) {
    await smtpStage({ report, seconds, instance: servers.pglite, ports: servers.smtpPorts, label: 'PGlite' });
    if (servers.postgres) await smtpStage({ report, seconds, instance: servers.postgres, ports: servers.pgSmtpPorts, label: 'PostgreSQL' });
  }
  for (const instance of instances.splice(0)) await instance.stop();

  if (only.has('5')) {
    if (pgProblem) report.skip('5 revocation', 'skipped: PostgreSQL not reachable');
    else if (redisMissing) report.skip('5 revocation', 'skipped: redis-server not installed');
    else await revocationStage({ report });
  }

  if (servers && only.has('6')) {
    const idleRss = servers.idleRss;
    report.add({ stage: '6 memory', metric: 'RSS, Postgate on PGlite, idle after start', value: idleRss === undefined ? 'n/a' : `${fmt(idleRss)} MB` });
    const peak = http?.peakRssMb;
    progress('6 memory', `PGlite server under HTTP load (peak of stage 1): ${peak === undefined ? 'n/a' : `${fmt(peak)} MB`}`);
    report.add({
      stage: '6 memory',
      metric: 'RSS, Postgate on PGlite, peak under the stage 1 loads (/whoami, POST /emails)',
      value: peak === undefined ? 'n/a' : `${fmt(peak)} MB`,
      budget: '< 250 MB',
      verdict: peak === undefined ? '' : verdict(peak < 250),
    });
    // `npm start` on a new machine: the server runs initdb itself, in its own (WASM) memory.
    const fresh = await launch({ backend: await newBackend('pglite', 'fresh'), core: SERVER_CORE, provisioned: 'none' });
    await new Promise((r) => setTimeout(r, 2_000));
    const freshRss = rssMb(fresh.server.pid);
    await fresh.stop();
    progress('6 memory', `PGlite server idle, having created its data directory itself: ${freshRss === undefined ? 'n/a' : `${fmt(freshRss)} MB`}`);
    report.add({
      stage: '6 memory',
      metric: 'RSS, Postgate on PGlite, idle, first start on an empty data dir (it ran initdb)',
      value: freshRss === undefined ? 'n/a' : `${fmt(freshRss)} MB`,
    });
    if (emails?.postgresPeakRssMb !== undefined) {
      report.add({
        stage: '6 memory',
        metric: 'RSS, Postgate on PostgreSQL, peak under POST /emails',
        value: `${fmt(emails.postgresPeakRssMb)} MB`,
        budget: '< 250 MB',
        verdict: verdict(emails.postgresPeakRssMb < 250),
      });
    }
  }

  if (only.has('8')) await deliveryStage({ report, postgres: !pgProblem });
  if (only.has('9')) await webhooksStage({ report, postgres: !pgProblem });
  if (only.has('10')) renderStage({ report });

  // Last, with every other server stopped: the one figure that machine noise does not move.
  if (only.has('7')) await instructionsStage({ report, postgres: !pgProblem });
}

try {
  await main();
} catch (error) {
  process.exitCode = 1;
  process.stdout.write(`\nThe run stopped early: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
} finally {
  await cleanup();
}
process.stdout.write(`\nPostgate benchmarks, ${new Date().toISOString()}, ${machine()}, ${fmt((Date.now() - started) / 1000)} s\n\n`);
process.stdout.write(`${report.markdown()}\n`);
if (report.skipped.length > 0) {
  process.stdout.write(`\nSkipped:\n${report.skipped.map((s) => `- ${s.stage}: ${s.reason}`).join('\n')}\n`);
}
