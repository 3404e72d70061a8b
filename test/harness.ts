import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import pino, { type Logger } from 'pino';
import { buildApp } from '../src/app/build-app.js';
import { createDeps, type Deps } from '../src/app/deps.js';
import { loadConfig, type Config } from '../src/config/config.js';
import type { DbTarget } from '../src/db/client.js';
import { manualClock } from '../src/lib/clock.js';

// The test harness: a fresh database (in-memory PGlite, or a new database on the PostgreSQL
// server named by DATABASE_URL), real deps and buildApp, queried through app.inject.

export type Backend = 'pglite' | 'postgres';

/** PGlite always; PostgreSQL too when DATABASE_URL is set (CI always sets it). */
export const BACKENDS: Backend[] = process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
if (!process.env.DATABASE_URL) {
  console.warn('DATABASE_URL is not set: PostgreSQL variants of the integration tests are not run (CI sets it).');
}

export type TestContext = {
  deps: Deps;
  app: FastifyInstance;
  clock: ReturnType<typeof manualClock>;
  config: Config;
  close(): Promise<void>;
};

/** A new database on the PostgreSQL server of DATABASE_URL; dropped by the returned function. */
export async function freshPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const base = new URL(process.env.DATABASE_URL!);
  const name = `postgate_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: base.toString() });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** `logger`: where the app logs (silent by default), for tests of what reaches the log. */
export async function createTestContext(backend: Backend, env: Record<string, string> = {}, options: { logger?: Logger } = {}): Promise<TestContext> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'postgate-test-'));
  // Plan rates high by default: tests of other behaviour send bursts; limit tests set their own.
  const config = loadConfig({ LOG_LEVEL: 'silent', POSTGATE_DATA_DIR: dataDir, POSTGATE_RATE_FREE: '100000', POSTGATE_AUTH_FAILURE_LIMIT: '100000', ...env });
  let target: DbTarget = { kind: 'pglite', dataDir: undefined };
  let drop = async (): Promise<void> => undefined;
  if (backend === 'postgres') {
    const fresh = await freshPostgresDatabase();
    target = { kind: 'postgres', url: fresh.url, poolSize: 5 };
    drop = fresh.drop;
  }
  const clock = manualClock();
  const deps = await createDeps({ config, dbTarget: target, clock, logger: options.logger ?? pino({ level: 'silent' }) });
  const app = await buildApp(deps);
  return {
    deps,
    app,
    clock,
    config,
    close: async () => {
      await app.close();
      await deps.close();
      await drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
