import { sql, type AnyColumn, type SQL } from 'drizzle-orm';

// Small bridges between Drizzle and raw SQL, the same on PGlite and node-postgres.

/** The rows of `execute` (node-postgres returns a QueryResult, PGlite a Results: both carry rows). */
export function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}

/**
 * A bytea column (or null) read as base64 and decoded here: PGlite parses bytea results from hex
 * in JavaScript, several times slower than base64 for a message with attachments.
 */
export function bytesOrNullOf(column: AnyColumn): SQL<Buffer | null> {
  return sql`encode(${column}, 'base64')`.mapWith((value: string | null) => (value === null ? null : Buffer.from(value, 'base64')));
}
