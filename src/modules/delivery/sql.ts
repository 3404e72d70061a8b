import { sql, type AnyColumn, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';

// Small bridges between Drizzle and raw SQL, the same on PGlite and node-postgres.

/** A transaction as Drizzle hands it to `db.transaction(async (tx) => ...)`. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** Anything that runs Drizzle SQL: the database or a transaction. */
export type SqlRunner = Pick<Db, 'execute'>;

/** The rows of `execute` (node-postgres returns a QueryResult, PGlite a Results: both carry rows). */
export function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}

/**
 * `text` with `$1..$n` placeholders as Drizzle SQL, so a library that speaks raw SQL (pg-boss)
 * can run inside a Drizzle transaction. A placeholder used twice becomes two parameters with the
 * same value. The text comes from the library, never from a request.
 */
export function placeholdersToSql(text: string, values: readonly unknown[]): SQL {
  const chunks: SQL[] = [];
  let last = 0;
  for (const match of text.matchAll(/\$(\d+)/g)) {
    const index = Number(match[1]) - 1;
    if (index < 0 || index >= values.length) throw new Error(`placeholder ${match[0]} has no value`);
    chunks.push(sql.raw(text.slice(last, match.index)));
    chunks.push(sql`${sql.param(values[index])}`);
    last = match.index + match[0].length;
  }
  chunks.push(sql.raw(text.slice(last)));
  return sql.join(chunks);
}

/**
 * A bytea column (or null) read as base64 and decoded here: PGlite parses bytea results from hex
 * in JavaScript, several times slower than base64 for a message with attachments.
 */
export function bytesOrNullOf(column: AnyColumn): SQL<Buffer | null> {
  return sql`encode(${column}, 'base64')`.mapWith((value: string | null) => (value === null ? null : Buffer.from(value, 'base64')));
}
