import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { openPglite, pgdataOf } from './pglite.js';
import { pglitePrepared } from './pglite-statements.js';
import { PACKAGE_ROOT } from '../lib/package-root.js';
import * as coreSchema from './schema.js';
import * as eventSchema from './schema-events.js';
import * as templateSchema from './schema-templates.js';
import * as logSchema from './schema-logs.js';

const schema = { ...coreSchema, ...eventSchema, ...templateSchema, ...logSchema };

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export type DbTarget =
  | { kind: 'pglite'; dataDir: string | undefined } // undefined: in memory (tests)
  | { kind: 'postgres'; url: string; poolSize?: number };

/**
 * One statement of Postgate's own SQL with `$n` parameters, for what Drizzle does not express
 * (the group commit's CTEs, the queue's claim). Its text is a constant, prepared by `name`: on
 * PostgreSQL once per connection (node-postgres's named queries), on PGlite once
 * (pglite-statements.ts).
 */
export type Statement = Readonly<{ name: string; text: string; values: readonly unknown[] }>;

export type Database = {
  db: Db;
  kind: DbTarget['kind'];
  /** Raw SQL for the few things Drizzle does not express (LISTEN/NOTIFY). */
  pglite: PGlite | undefined;
  pool: pg.Pool | undefined;
  /** Runs one statement on its own (its own transaction) and returns its rows. */
  query<T>(statement: Statement): Promise<T[]>;
  /**
   * As `query`, but the commit does not wait for the disk (PostgreSQL's `synchronous_commit =
   * off`): a crash may lose the last fraction of a second of such commits, never corrupt them.
   * Only for writes whose loss redoes work (a queue's claim or outcome: the row comes back due).
   * On PGlite, `query` itself.
   */
  queryAsyncCommit<T>(statement: Statement): Promise<T[]>;
  migrate(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
};

const MIGRATIONS = path.join(PACKAGE_ROOT, 'drizzle');
// Arbitrary constant: serialises migrations when several instances start at once on PostgreSQL.
const MIGRATION_LOCK = 7_245_811;

export async function createDatabase(target: DbTarget): Promise<Database> {
  if (target.kind === 'pglite') {
    if (target.dataDir) mkdirSync(target.dataDir, { recursive: true });
    const client = await openPglite(target.dataDir ? pgdataOf(target.dataDir) : undefined);
    const db = drizzlePglite(client, { schema }) as unknown as Db;
    return {
      db,
      kind: 'pglite',
      pglite: client,
      pool: undefined,
      query: pglitePrepared(client),
      queryAsyncCommit: pglitePrepared(client),
      migrate: () => migratePglite(drizzlePglite(client, { schema }), { migrationsFolder: MIGRATIONS }),
      ping: async () => {
        await client.query('select 1');
      },
      close: () => client.close(),
    };
  }
  const pool = new pg.Pool({
    connectionString: target.url,
    max: target.poolSize ?? 10,
    connectionTimeoutMillis: 5_000,
  });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', () => undefined);
  // A few connections of their own, the setting made once per session, so such a statement is
  // one round trip (not BEGIN, SET LOCAL, the statement, COMMIT); opened on first use.
  let asyncCommitPool: pg.Pool | undefined;
  const asyncCommit = (): pg.Pool => {
    if (!asyncCommitPool) {
      asyncCommitPool = new pg.Pool({ connectionString: target.url, max: 3, connectionTimeoutMillis: 5_000, options: '-c synchronous_commit=off' });
      asyncCommitPool.on('error', () => undefined);
    }
    return asyncCommitPool;
  };
  const db = drizzlePg(pool, { schema }) as unknown as Db;
  return {
    db,
    kind: 'postgres',
    pglite: undefined,
    pool,
    query: async <T>({ name, text, values }: Statement) => (await pool.query({ name, text, values: [...values] })).rows as T[],
    queryAsyncCommit: async <T>({ name, text, values }: Statement) => (await asyncCommit().query({ name, text, values: [...values] })).rows as T[],
    migrate: async () => {
      const client = await pool.connect();
      try {
        await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
        await migratePg(drizzlePg(client, { schema }), { migrationsFolder: MIGRATIONS });
      } finally {
        await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
        client.release();
      }
    },
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: async () => {
      await Promise.all([pool.end(), asyncCommitPool?.end()]);
    },
  };
}
