import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { keepPrivate } from '../lib/private-dir.js';

// The embedded database, opened so that it stays small in a long-running server.
//
// Where PGlite's resident memory goes (bench/RESULTS.md, measured on 0.5.16): WebAssembly memory
// only grows, so shared buffers and any work memory ever touched stay resident; V8 compiles the
// module on several threads whose working memory stays in their malloc arenas; and a first start
// runs initdb in a second, whole PGlite instance that is never given back (+640 MB for the life of
// the process). Hence: initdb in a short-lived child process and small buffers. The number of V8's
// compile threads is the operator's setting (a node flag, docs/deploy.md), not set from here.

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
