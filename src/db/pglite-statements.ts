import { randomBytes } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import type { Statement } from './client.js';

// Postgate's own statements on PGlite, prepared once. PGlite's query() parses, analyses and plans
// its text on every call, and for the queue's and the group commit's statements (CTEs over JSON)
// that was most of their cost: a claim of four emails took 2.8 ms through query(), 1.0 ms
// prepared; recording their outcomes 3.7 against 1.8 ms (bench/RESULTS.md). PGlite's public API
// has no named statements, but SQL has: PREPARE once, through exec(), then EXECUTE through
// query(). EXECUTE takes its arguments as SQL values, not as bound parameters (a bound parameter
// of a utility statement is refused), so each value is written as a literal here: numbers as
// numbers, text dollar-quoted with a random tag checked to first occur where it closes the text,
// so no content can close it early (a dollar-quoted string has no escapes, whatever the server's
// settings). Random, not counted up: content cannot be written to make finding a tag expensive.

/** A statement name: a plain SQL identifier (they are constants of the code, never a request's). */
const NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function pglitePrepared(client: PGlite): <T>(statement: Statement) => Promise<T[]> {
  const prepared = new Map<string, Promise<void>>();
  const prepare = (name: string, text: string): Promise<void> => {
    let done = prepared.get(name);
    if (!done) {
      if (!NAME.test(name)) throw new Error(`${JSON.stringify(name)} is not a statement name`);
      done = client.exec(`PREPARE ${name} AS ${text}`).then(() => undefined);
      // A failed PREPARE (the database closing, say) is tried again by the next call.
      done.catch(() => prepared.delete(name));
      prepared.set(name, done);
    }
    return done;
  };
  return async <T>({ name, text, values }: Statement): Promise<T[]> => {
    await prepare(name, text);
    const args = values.length > 0 ? `(${values.map(sqlLiteral).join(', ')})` : '';
    return (await client.query<T>(`EXECUTE ${name}${args}`)).rows;
  };
}

/** `value` as an SQL literal: null, a finite number, a boolean, or text (dollar-quoted). */
export function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${value} is not a finite number`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value !== 'string') throw new TypeError(`a statement value must be text, a number, a boolean or null (got ${typeof value})`);
  // The closing tag must first occur where it is put: not inside the text, nor begun by its end.
  // With 64 random bits a second draw is all but never needed; each check is one pass.
  let tag: string;
  do tag = `$v${randomBytes(8).toString('hex')}$`;
  while (`${value}${tag}`.indexOf(tag) !== value.length);
  return `${tag}${value}${tag}`;
}
