import path from 'node:path';
import { LOAD_CORE } from '../lib/load.js';
import { freshDatabase } from '../lib/postgres.js';
import { ROOT, runToEnd } from '../lib/processes.js';
import { fmt, progress, verdict, type Report } from '../lib/report.js';
import type { Timing } from './verify-child.js';

// Stage 2: verifyApiKey in process (child process pinned to one core; servers idle meanwhile).

const STAGE = '2 verify';

export async function verifyStage(o: { report: Report; postgres: boolean }): Promise<void> {
  const db = o.postgres ? await freshDatabase('verify') : undefined;
  try {
    progress(STAGE, 'warm key (500,000 calls), cold key on PGlite and PostgreSQL (cache cleared before each call)');
    const out = await runToEnd({
      core: LOAD_CORE,
      command: process.execPath,
      args: ['--import', 'tsx', path.join(ROOT, 'bench/stages/verify-child.ts')],
      env: db ? { BENCH_DATABASE_URL: db.url } : {},
    });
    const r = JSON.parse(out.trim().split('\n').pop()!) as Record<string, Timing>;
    const line = (t: Timing): string => `${fmt(t.opsPerSec)} ops/s, p50 ${fmt(t.p50Us, 2)} µs, p99 ${fmt(t.p99Us, 2)} µs, p99.9 ${fmt(t.p999Us, 2)} µs`;
    const warm = r.warm!;
    progress(STAGE, `warm           ${line(warm)}`);
    o.report.add({
      stage: STAGE,
      metric: 'warm key, verifyApiKey in process',
      value: line(warm),
      budget: 'p99 <= 10 µs',
      verdict: verdict(warm.p99Us <= 10),
    });
    if (r.coldPglite) {
      progress(STAGE, `cold PGlite    ${line(r.coldPglite)}`);
      o.report.add({ stage: STAGE, metric: 'cold key, PGlite in memory', value: line(r.coldPglite) });
    }
    if (r.coldPostgres) {
      progress(STAGE, `cold Postgres  ${line(r.coldPostgres)}`);
      o.report.add({ stage: STAGE, metric: 'cold key, PostgreSQL (one SELECT per call)', value: line(r.coldPostgres) });
    }
  } finally {
    await db?.drop();
  }
}
