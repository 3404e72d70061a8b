import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPglite } from './pglite.js';

describe('the embedded database on disk', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'postgate-pglite-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('creates its cluster on first use (in a child process) and opens it with its settings', async () => {
    const pgdata = path.join(root, 'fresh', 'pgdata');
    const db = await openPglite(pgdata);
    try {
      expect(existsSync(path.join(pgdata, 'PG_VERSION'))).toBe(true);
      // Nothing of the child's work left beside it.
      expect(readdirSync(path.dirname(pgdata))).toEqual(['pgdata']);
      const settings = await db.query<{ name: string; setting: string; unit: string | null }>(
        "select name, setting, unit from pg_settings where name in ('shared_buffers', 'TimeZone', 'default_text_search_config') order by name",
      );
      expect(Object.fromEntries(settings.rows.map((r) => [r.name, r.setting]))).toEqual({
        TimeZone: 'UTC',
        default_text_search_config: 'pg_catalog.english',
        shared_buffers: '1024', // 8kB pages: 8 MB
      });
      await db.query('create table t (n int)');
      await db.query('insert into t values (1)');
    } finally {
      await db.close();
    }
    // Reopened: the same data, no second initdb.
    const again = await openPglite(pgdata);
    expect((await again.query<{ n: number }>('select n from t')).rows).toEqual([{ n: 1 }]);
    await again.close();
  }, 60_000);

  it('refuses a non-empty directory that holds no database, and leaves it as it was', async () => {
    const pgdata = path.join(root, 'stray', 'pgdata');
    mkdirSync(pgdata, { recursive: true });
    writeFileSync(path.join(pgdata, 'notes.txt'), 'not a database');
    await expect(openPglite(pgdata)).rejects.toThrow(/not empty but holds no database/);
    expect(readdirSync(pgdata)).toEqual(['notes.txt']);
  });
});
