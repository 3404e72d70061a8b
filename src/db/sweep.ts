import { inArray, lt } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Db } from './client.js';

/** Rows deleted per statement: a long backlog goes in short transactions, ids never all in memory. */
const SWEEP_BATCH = 10_000;

/** Deletes the rows whose `time` is before `cutoff`, a batch at a time; returns how many went. */
export async function deleteOlderThan(db: Db, table: PgTable, id: PgColumn, time: PgColumn, cutoff: Date): Promise<number> {
  let total = 0;
  for (;;) {
    const expired = db.select({ id }).from(table).where(lt(time, cutoff)).limit(SWEEP_BATCH).for('update', { skipLocked: true });
    const deleted = await db.delete(table).where(inArray(id, expired)).returning({ id });
    total += deleted.length;
    if (deleted.length < SWEEP_BATCH) return total;
  }
}
