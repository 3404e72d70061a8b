import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createDatabase, type Database } from './client.js';
import { maintainPglite, startPgliteMaintenance } from './pglite-maintenance.js';

// PGlite has no autovacuum: without maintainPglite a table emptied and refilled grows by its whole
// size each time. Real PGlite, Postgate's migrations applied.

const ROWS = 20_000;

describe('embedded database maintenance', () => {
  let database: Database;
  const client = () => database.pglite!;
  const size = async (table: string): Promise<number> =>
    Number((await client().query<{ bytes: string }>(`SELECT pg_total_relation_size('${table}') AS bytes`)).rows[0]!.bytes);
  const fill = (table: string) => client().exec(`INSERT INTO ${table} (v) SELECT repeat('x', 200) FROM generate_series(1, ${ROWS})`);
  const stats = async (table: string) =>
    (await client().query<{ dead: number; analyzed: Date | null }>(`SELECT n_dead_tup AS dead, last_analyze AS analyzed FROM pg_stat_user_tables WHERE relname = '${table}'`)).rows[0]!;

  beforeEach(async () => {
    database = await createDatabase({ kind: 'pglite', dataDir: undefined });
    await database.migrate();
    await client().exec('CREATE TABLE churn (id bigserial PRIMARY KEY, v text); CREATE TABLE untended (id bigserial PRIMARY KEY, v text)');
  });
  afterEach(async () => database.close());

  it('vacuums a table past the threshold, so its space is used again, and leaves the rest', async () => {
    for (const table of ['churn', 'untended']) {
      await fill(table);
      await client().exec(`DELETE FROM ${table}`);
    }
    const once = await size('churn');

    const done = await maintainPglite(client());
    const churn = done.find((d) => d.table === 'churn');
    expect(churn).toMatchObject({ vacuumed: true, dead: ROWS });
    expect((await stats('churn')).dead).toBe(0);

    // Refilled after maintenance the table stays its size; the one left untended doubles (nothing
    // else vacuums it). `untended` was vacuumed too above: empty it again without maintenance.
    await fill('churn');
    await fill('untended');
    await client().exec('DELETE FROM untended');
    const untendedOnce = await size('untended');
    await fill('untended');
    expect(await size('churn')).toBeLessThan(once * 1.2);
    expect(await size('untended')).toBeGreaterThan(untendedOnce * 1.6);

    // Nothing past the thresholds right after: no work done twice.
    await maintainPglite(client());
    expect((await maintainPglite(client())).map((d) => d.table)).toEqual([]);
  });

  it('analyzes a table that only grew, without vacuuming it', async () => {
    await maintainPglite(client());
    await fill('churn');
    const done = await maintainPglite(client());
    expect(done.find((d) => d.table === 'churn')).toMatchObject({ vacuumed: false });
    expect((await stats('churn')).analyzed).not.toBeNull();
  });

  it('runs on its own every interval, and stop waits for the run under way', async () => {
    await fill('churn');
    await client().exec('DELETE FROM churn');
    const maintenance = startPgliteMaintenance(client(), pino({ level: 'silent' }), 20);
    const deadline = Date.now() + 10_000;
    while ((await stats('churn')).dead > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await maintenance.stop();
    expect((await stats('churn')).dead).toBe(0);
  });
});
