import type { PGlite } from '@electric-sql/pglite';
import type { Logger } from 'pino';

// PGlite runs PostgreSQL in this one process, without the autovacuum launcher: `autovacuum` reads
// on, yet no table is ever vacuumed or analyzed. The space of every updated or deleted row is then
// never reused (a table emptied and refilled grows by its whole size each time) and the planner
// never learns the tables' sizes. Postgate updates rows all the time (an email's status, a
// webhook delivery twice per attempt, usage counters) and its retention sweeps delete in bulk, so
// an embedded install would grow without bound. This does autovacuum's work here: every minute
// (its `autovacuum_naptime`), the tables past its default thresholds, one statement at a time.
// PostgreSQL servers run their own autovacuum; nothing here runs for them.

/** Autovacuum's defaults: vacuum past 50 dead rows + 20% of the live ones; analyze past 50 + 10% changed. */
const NEEDS_WORK = `SELECT relname AS table,
    n_dead_tup > 50 + 0.2 * n_live_tup AS vacuum,
    n_dead_tup AS dead
  FROM pg_stat_user_tables
  WHERE schemaname = 'public'
    AND (n_dead_tup > 50 + 0.2 * n_live_tup OR n_mod_since_analyze > 50 + 0.1 * n_live_tup)
  ORDER BY n_dead_tup DESC`;

export const MAINTENANCE_EVERY_MS = 60_000;

export type Maintained = Readonly<{ table: string; vacuumed: boolean; dead: number; ms: number }>;

/** Vacuums (and analyzes) or only analyzes each table past the thresholds; returns what it did. */
export async function maintainPglite(client: PGlite): Promise<Maintained[]> {
  // The counts of this process's latest statements reach the statistics when it next goes idle,
  // at most once a second: flushed now, so the thresholds see them.
  await client.query('SELECT pg_stat_force_next_flush()');
  const { rows } = await client.query<{ table: string; vacuum: boolean; dead: number }>(NEEDS_WORK);
  const done: Maintained[] = [];
  for (const row of rows) {
    const started = performance.now();
    // VACUUM cannot be prepared or run in a transaction: exec, the name quoted as an identifier.
    await client.exec(`${row.vacuum ? 'VACUUM (ANALYZE)' : 'ANALYZE'} "${row.table.replaceAll('"', '""')}"`);
    done.push({ table: row.table, vacuumed: row.vacuum, dead: Number(row.dead), ms: performance.now() - started });
  }
  return done;
}

/** Runs maintainPglite every `everyMs`; `stop` waits for a run under way. */
export function startPgliteMaintenance(client: PGlite, logger: Logger, everyMs = MAINTENANCE_EVERY_MS): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    running = running
      .then(() => maintainPglite(client))
      .then((done) => {
        for (const d of done) logger.info({ table: d.table, dead_rows: d.dead, ms: Math.round(d.ms) }, d.vacuumed ? 'embedded database: table vacuumed' : 'embedded database: table analyzed');
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'embedded database: maintenance failed; tried again next time'));
  }, everyMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
