import { sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Db } from './client.js';

/** Rows deleted per statement: a long backlog goes in short transactions, keys never all in memory. */
const SWEEP_BATCH = 10_000;

/**
 * Deletes the rows matching `expired`, a batch at a time, each batch identified by `key` (the
 * primary key's columns); returns how many went. Instances sharing PostgreSQL may sweep at once:
 * SKIP LOCKED lets each take rows the others are not deleting.
 */
export async function deleteExpired(db: Db, table: PgTable, key: readonly PgColumn[], expired: SQL): Promise<number> {
  const columns = sql.join(key.map((column) => sql`${column}`), sql`, `);
  let total = 0;
  for (;;) {
    const result = await db.execute(sql`DELETE FROM ${table} WHERE (${columns}) IN (
      SELECT ${columns} FROM ${table} WHERE ${expired} LIMIT ${SWEEP_BATCH} FOR UPDATE SKIP LOCKED)`);
    const deleted = affectedRows(result);
    total += deleted;
    if (deleted < SWEEP_BATCH) return total;
  }
}

/** node-postgres reports `rowCount`, PGlite `affectedRows`. */
function affectedRows(result: unknown): number {
  const r = result as { rowCount?: number | null; affectedRows?: number };
  return r.rowCount ?? r.affectedRows ?? 0;
}
