import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import v8 from 'node:v8';
import { PGlite, protocol } from '@electric-sql/pglite';
import { keepPrivate } from '../lib/private-dir.js';

// The embedded database, opened so that it stays small in a long-running server.
//
// Where PGlite's resident memory goes (bench/RESULTS.md, measured on 0.5.16): WebAssembly memory
// only grows, so shared buffers and any work memory ever touched stay resident; V8 compiles the
// module on several threads whose working memory stays in their malloc arenas; and a first start
// runs initdb in a second, whole PGlite instance that is never given back (+640 MB for the life of
// the process). Hence: initdb in a short-lived child process, one compile thread, small buffers.

/**
 * postgresql.conf as PGlite writes it on every open (its `postgresqlconf` replaces the file):
 * small buffers for a single-node default, and the lines initdb wrote, which would otherwise be
 * lost (time zone, locale, text search).
 */
export const PGLITE_CONF = [
  'shared_buffers=8MB',
  'work_mem=2MB',
  'maintenance_work_mem=16MB',
  "timezone='UTC'",
  "log_timezone='UTC'",
  "datestyle='iso, mdy'",
  "lc_messages='C'",
  "lc_monetary='C'",
  "lc_numeric='C'",
  "lc_time='C'",
  "default_text_search_config='pg_catalog.english'",
];

/** Where the embedded database lives in a data directory. */
export function pgdataOf(dataDir: string): string {
  return path.join(dataDir, 'pgdata');
}

/** Whether `pgdata` holds a database already (if not, opening it first creates one: a few seconds). */
export function pgliteExists(pgdata: string): boolean {
  return existsSync(path.join(pgdata, 'PG_VERSION'));
}

/** Opens the embedded database in `pgdata` (created on first use), or in memory when undefined. */
export async function openPglite(pgdata: string | undefined): Promise<PGlite> {
  // The compiled module is the same with one thread; the extra threads' memory was not given back.
  v8.setFlagsFromString('--wasm-num-compilation-tasks=1');
  if (pgdata) await ensureInitialised(pgdata);
  const client = new PGlite(pgdata, { postgresqlconf: PGLITE_CONF });
  await client.waitReady;
  // PGlite gives the files it creates mode 0666, whatever the umask (lib/private-dir.ts).
  if (pgdata) keepPrivate(pgdata);
  return client;
}

// The child: open (which runs initdb on the empty directory), close, exit.
const INITDB_CHILD = `
const { PGlite } = require(process.argv[1]);
(async () => { const db = new PGlite(process.argv[2]); await db.waitReady; await db.close(); })()
  .catch((error) => { console.error(error); process.exit(1); });`;

/**
 * Creates the database cluster in `pgdata` if it has none, in a child process (its memory goes
 * away with it), into a sibling directory renamed into place once complete: an interrupted first
 * start leaves no half-made cluster behind.
 */
async function ensureInitialised(pgdata: string): Promise<void> {
  if (pgliteExists(pgdata)) return;
  if (existsSync(pgdata) && readdirSync(pgdata).length > 0) {
    throw new Error(`${pgdata} is not empty but holds no database (no PG_VERSION): move it away, or restore it from a backup`);
  }
  mkdirSync(path.dirname(pgdata), { recursive: true });
  const building = `${pgdata}.initdb-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  const pgliteCjs = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', INITDB_CHILD, pgliteCjs, building], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`creating the embedded database failed (${code}): ${stderr.trim()}`))));
  });
  rmSync(pgdata, { recursive: true, force: true });
  renameSync(building, pgdata);
}

/** A statement run by name: prepared once per database, then only bound and executed. */
export type NamedStatement = Readonly<{ name: string; text: string; values: readonly unknown[] }>;

/**
 * Runs `statement` as a prepared statement of `pglite`, as node-postgres does on PostgreSQL with
 * a named query: parsed and planned once, then each call binds, executes and syncs in one entry
 * into the database. PGlite's query() parses and plans its text on every call and enters the
 * database once per protocol message; for the acceptance of a group of emails (bench/RESULTS.md)
 * that was about 3 ms a statement, against under 1 ms prepared.
 *
 * It holds both of PGlite's locks, as query() does: the transaction one too, so that the
 * statement never runs inside a transaction another caller has open (runExclusive alone takes
 * only the query lock, which a transaction does not hold between its statements).
 */
export function preparedRunner(pglite: PGlite): (statement: NamedStatement) => Promise<void> {
  const prepared = new Set<string>();
  return (statement) =>
    pglite._runExclusiveTransaction(() =>
      pglite.runExclusive(async () => {
        if (!prepared.has(statement.name)) {
          await pglite.execProtocol(Buffer.concat([protocol.serialize.parse({ name: statement.name, text: statement.text, types: [] }), protocol.serialize.sync()]));
          prepared.add(statement.name);
        }
        const values = statement.values.map(textParameter);
        await pglite.execProtocol(Buffer.concat([protocol.serialize.bind({ statement: statement.name, values }), protocol.serialize.execute({}), protocol.serialize.sync()]));
      }),
    );
}

/** A parameter in PostgreSQL's text format, as PGlite's query() would send it for these types. */
function textParameter(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  throw new TypeError(`a prepared statement's parameter must be a string, number, boolean or null (got ${Object.prototype.toString.call(value)})`);
}
