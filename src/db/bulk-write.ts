import type { Database } from './client.js';
import { wellFormedJson } from './json.js';

// Appending many rows to a log table (the request log) in one statement, the cheapest way each
// database offers through its public API. On PGlite the rows are inserted by this very process,
// so the cost per row is the server's: COPY from a blob (PGlite's documented `/dev/blob`) cost
// about half of an INSERT from a JSON parameter (bench/RESULTS.md). On PostgreSQL the insert is
// the database's work; the rows travel as one JSON parameter of arrays.

export type Cell = string | number | null;
export type BulkColumn = Readonly<{ name: string; type: 'text' | 'integer' | 'timestamptz' }>;

/** Writes rows (cells in `columns` order) to `table`; one statement per call. */
export type BulkWrite = (rows: readonly (readonly Cell[])[]) => Promise<void>;

export function bulkWriter(database: Database, table: string, columns: readonly BulkColumn[]): BulkWrite {
  const names = columns.map((column) => `"${column.name}"`).join(', ');
  const pglite = database.pglite;
  if (pglite) {
    const copy = `COPY "${table}" (${names}) FROM '/dev/blob'`;
    return async (rows) => {
      await pglite.query(copy, [], { blob: new Blob([copyText(rows)]) });
    };
  }
  const cells = columns.map((column, i) => `(r->>${i})::${column.type}`).join(', ');
  const insert = `INSERT INTO "${table}" (${names}) SELECT ${cells} FROM json_array_elements($1::json) AS r`;
  const name = `bulk_write_${table}`;
  return async (rows) => {
    await database.query({ name, text: insert, values: [wellFormedJson(rows)] });
  };
}

/**
 * COPY's text format: a row per line, cells separated by tabs, `\N` for null, and backslash, tab,
 * newline and carriage return escaped. NUL cannot be stored in text and is dropped.
 */
export function copyText(rows: readonly (readonly Cell[])[]): string {
  let out = '';
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      const cell = row[i];
      if (i > 0) out += '\t';
      if (cell === null || cell === undefined) out += '\\N';
      else if (typeof cell === 'number') out += String(cell);
      else out += SPECIAL.test(cell) ? cell.replace(SPECIALS, escapeChar) : cell;
    }
    out += '\n';
  }
  return out;
}

const SPECIAL = /[\\\t\n\r\0]/;
const SPECIALS = /[\\\t\n\r\0]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '' };
const escapeChar = (c: string): string => ESCAPES[c]!;
