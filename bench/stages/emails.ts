import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { DELIVERY_QUEUE } from '../../src/modules/delivery/queue.js';
import { request } from '../lib/http.js';
import { autocannon, describeLoad, LOAD_CORE, warmThenMeasure, type LoadOptions, type LoadResult } from '../lib/load.js';
import { hasEmailApi, sendingKey, type Instance } from '../lib/postgate.js';
import { query } from '../lib/postgres.js';
import { runToEnd, withRssPeak } from '../lib/processes.js';
import { fmt, progress, ratio, verdict, type Report } from '../lib/report.js';

// Stage 3: emails accepted per second, durably (row, message, event and delivery job committed
// before the 200), on PGlite and on PostgreSQL, next to the ceiling of the same PostgreSQL server:
// pgbench inserting rows of the same shape, with the server's own durability settings (Postgate
// sets none of its own), from as many clients as Postgate has pooled connections.

const STAGE = '3 emails';
const CONNECTIONS = 10;
/** Postgate's default pool size on PostgreSQL (src/db/client.ts): pgbench gets as many clients. */
const PGBENCH_CLIENTS = 10;
/**
 * Seconds of load before the first counted round: an acceptance runs much more code than
 * /whoami (zod, pg, pg-boss's insert), and after 1 s of warm-up the first round still read about
 * 700 µs of server CPU per email against about 380 in the next.
 */
const WARM_SECONDS = 3;
/** Postgate and pgbench alternate this many times; the best of each is kept. */
const ROUNDS = 2;

export type EmailFigures = { postgresPeakRssMb: number | undefined };

export async function emailsStage(o: {
  report: Report;
  seconds: number;
  tmp: string;
  pglite: LoadResult | undefined;
  postgres: Instance | undefined;
}): Promise<EmailFigures> {
  const { report } = o;
  if (o.pglite) {
    const cpu = o.pglite.cpuUsPerReq === undefined ? '' : `, ${fmt(o.pglite.cpuUsPerReq)} µs server CPU/email`;
    report.add({ stage: STAGE, metric: 'emails accepted, PGlite (the stage 1 run)', value: `${fmt(o.pglite.okPerSec)} emails/s (p99 ${o.pglite.p99Ms} ms${cpu})` });
  }
  if (!o.postgres) {
    report.skip(STAGE, 'PostgreSQL not reachable: no PostgreSQL figures');
    return { postgresPeakRssMb: undefined };
  }
  if (!(await hasEmailApi(o.postgres.url))) {
    report.skip(STAGE, 'no /emails route yet');
    return { postgresPeakRssMb: undefined };
  }
  const instance = o.postgres;
  const dbUrl = instance.env.DATABASE_URL!;
  const sender = await sendingKey(instance);
  const probe = await request(`${instance.url}/emails`, { method: 'POST', token: sender.token, body: JSON.parse(sender.body) });
  if (probe.status !== 200) {
    report.skip(STAGE, `PostgreSQL: a valid email was answered ${probe.status} ${probe.body.slice(0, 200)}`);
    return { postgresPeakRssMb: undefined };
  }
  // Alternating rounds, best of each kept (as stage 1 does): on a shared machine both Postgate's
  // figure and pgbench's move with whatever else runs, and a burst should not decide the ratio.
  const ceiling = await pgbenchSetup({ dbUrl, tmp: o.tmp, emailId: JSON.parse(probe.body).id as string });
  let load: LoadResult | undefined;
  let peakMb: number | undefined;
  let single = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    const before = await counts(dbUrl);
    const run = await withRssPeak(instance.server.pid, () =>
      (round === 1 ? (options: LoadOptions) => warmThenMeasure(options, WARM_SECONDS) : autocannon)({
        url: `${instance.url}/emails`,
        seconds: o.seconds,
        connections: CONNECTIONS,
        token: sender.token,
        method: 'POST',
        body: sender.body,
        serverPid: instance.server.pid,
      }),
    );
    const after = await counts(dbUrl);
    progress(STAGE, `round ${round} Postgate POST /emails on PostgreSQL  ${describeLoad(run.result)}`);
    progress(
      STAGE,
      `round ${round} rows written (run and warm-up): emails +${after.emails - before.emails}, of them queued for delivery +${after.queued - before.queued}`,
    );
    if (!load || run.result.okPerSec > load.okPerSec) load = run.result;
    peakMb = Math.max(peakMb ?? 0, run.peakMb ?? 0) || undefined;
    if (typeof ceiling !== 'string') {
      const tps = await pgbench(dbUrl, ceiling.single, o.seconds);
      progress(STAGE, `round ${round} pgbench one INSERT of an emails row: ${fmt(tps)} tps`);
      single = Math.max(single, tps);
    }
  }
  if (!load) throw new Error('no emails round ran');

  const settings = (await query<{ sc: string; fsync: string }>(dbUrl, "select current_setting('synchronous_commit') sc, current_setting('fsync') fsync"))[0]!;
  const durability = `synchronous_commit=${settings.sc}, fsync=${settings.fsync}`;
  const cpu = load.cpuUsPerReq === undefined ? '' : `, ${fmt(load.cpuUsPerReq)} µs server CPU/email`;
  const value = `${fmt(load.okPerSec)} emails/s (p99 ${load.p99Ms} ms${cpu})`;

  if (typeof ceiling === 'string') {
    report.skip(STAGE, `pgbench ceiling: ${ceiling}`);
    report.add({ stage: STAGE, metric: 'emails accepted, PostgreSQL', value, budget: '>= 2,000/s', verdict: verdict(load.okPerSec >= 2000) });
    return { postgresPeakRssMb: peakMb };
  }
  const transaction = await pgbench(dbUrl, ceiling.transaction, o.seconds);
  progress(STAGE, `pgbench the acceptance's 3 rows in one transaction: ${fmt(transaction)} tps (${durability})`);
  report.add({
    stage: STAGE,
    metric: `pgbench INSERT of one emails row, ${PGBENCH_CLIENTS} clients (ceiling; ${durability})`,
    value: `${fmt(single)} rows/s (best of ${ROUNDS} rounds)`,
  });
  report.add({
    stage: STAGE,
    metric: 'pgbench emails + email_messages + email_events rows in one transaction (context)',
    value: `${fmt(transaction)} tx/s`,
  });
  report.add({
    stage: STAGE,
    metric: 'emails accepted, PostgreSQL (row queued for delivery, message, event)',
    value: `${value}, best of ${ROUNDS} rounds`,
    baseline: `pgbench ${fmt(single)}`,
    ratio: ratio(load.okPerSec, single),
    budget: '>= 0.45x pgbench',
    verdict: verdict(load.okPerSec / single >= 0.45),
  });
  report.add({ stage: STAGE, metric: 'emails accepted, PostgreSQL (absolute)', value, budget: '>= 2,000/s', verdict: verdict(load.okPerSec >= 2000) });
  return { postgresPeakRssMb: peakMb };
}

async function counts(url: string): Promise<{ emails: number; queued: number }> {
  // An accepted email's row is its place in the delivery queue (modules/delivery/queue.ts).
  const [row] = await query<{ emails: string; queued: string }>(url, `select count(*) emails, count(*) filter (where status = 'queued') queued from ${DELIVERY_QUEUE}`);
  return { emails: Number(row!.emails), queued: Number(row!.queued) };
}

type Column = { name: string; type: string; value: string | null };

/** The columns of one stored row, as typed SQL literals (so pgbench inserts exactly that shape). */
async function templateRow(url: string, table: string, where: string, emailId: string): Promise<Column[]> {
  const cols = await query<{ name: string; type: string }>(
    url,
    `select attname as name, format_type(atttypid, atttypmod) as type from pg_attribute
      where attrelid = $1::regclass and attnum > 0 and not attisdropped order by attnum`,
    [table],
  );
  const select = cols.map((c) => `${pg.escapeIdentifier(c.name)}::text as ${pg.escapeIdentifier(c.name)}`).join(', ');
  const [row] = await query<Record<string, string | null>>(url, `select ${select} from ${table} where ${pg.escapeIdentifier(where)} = $1 limit 1`, [emailId]);
  if (!row) throw new Error(`no ${table} row for ${emailId}`);
  return cols.map((c) => ({ ...c, value: row[c.name] ?? null }));
}

/** INSERT of the template with a fresh email id (pgbench variable) and the current time. */
function insertSql(table: string, columns: Column[], idColumn: string): string {
  const kept = columns.filter((c) => !(table.endsWith('email_events') && c.name === 'id'));
  const values = kept.map((c) => {
    if (c.name === idColumn) return `'em_bench_' || :client_id || '_' || :r`;
    if (c.value === null) return 'NULL';
    if (c.type.startsWith('timestamp')) return 'now()';
    return `${pg.escapeLiteral(c.value)}::${c.type}`;
  });
  return `INSERT INTO ${table} (${kept.map((c) => pg.escapeIdentifier(c.name)).join(', ')}) VALUES (${values.join(', ')});`;
}

/** The bench tables and pgbench's two scripts (or why pgbench cannot run). */
async function pgbenchSetup(o: { dbUrl: string; tmp: string; emailId: string }): Promise<{ single: string; transaction: string } | string> {
  if (spawnSync('pgbench', ['--version']).status !== 0) return 'pgbench not installed (Debian: apt-get install postgresql-contrib)';
  const emails = await templateRow(o.dbUrl, 'emails', 'id', o.emailId);
  const messages = await templateRow(o.dbUrl, 'email_messages', 'email_id', o.emailId);
  const events = await templateRow(o.dbUrl, 'email_events', 'email_id', o.emailId);
  // Copies of the tables with their defaults and indexes (no foreign keys: a ceiling).
  await query(
    o.dbUrl,
    `create table bench_emails (like emails including defaults including constraints including indexes);
     create table bench_email_messages (like email_messages including defaults including constraints including indexes);
     create table bench_email_events (like email_events including defaults including constraints including indexes);`,
  );
  const id = '\\set r random(1, 1000000000000)';
  const single = path.join(o.tmp, 'pgbench-single.sql');
  writeFileSync(single, `${id}\n${insertSql('bench_emails', emails, 'id')}\n`);
  const transaction = path.join(o.tmp, 'pgbench-transaction.sql');
  writeFileSync(
    transaction,
    [
      id,
      'BEGIN;',
      insertSql('bench_emails', emails, 'id'),
      insertSql('bench_email_messages', messages, 'email_id'),
      insertSql('bench_email_events', events, 'email_id'),
      'COMMIT;',
      '',
    ].join('\n'),
  );
  return { single, transaction };
}

async function pgbench(url: string, script: string, seconds: number): Promise<number> {
  const u = new URL(url);
  const out = await runToEnd({
    core: LOAD_CORE,
    command: 'pgbench',
    args: ['-n', '-c', String(PGBENCH_CLIENTS), '-j', '1', '-T', String(seconds), '-f', script, '-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username), u.pathname.slice(1)],
    env: u.password ? { PGPASSWORD: decodeURIComponent(u.password) } : {},
  });
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(out);
  if (!tps) throw new Error(`pgbench printed no tps:\n${out}`);
  return Number(tps[1]);
}
