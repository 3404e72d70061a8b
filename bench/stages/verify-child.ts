import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createDeps, type Deps } from '../../src/app/deps.js';
import { OPERATIONS } from '../../src/cli/operations.js';
import { loadConfig } from '../../src/config/config.js';
import type { DbTarget } from '../../src/db/client.js';
import { parseIp } from '../../src/lib/ip.js';
import { verifyApiKey, type VerifyDeps } from '../../src/modules/api-keys/verify.js';
import { percentile } from '../lib/report.js';

// Stage 2, in its own process (pinned by the parent): verifyApiKey with real deps, timed call by
// call with process.hrtime.bigint. Warm: the key is in the cache (the path of nearly every request).
// Cold: the cache is cleared before each call, so each one reads PostgreSQL (or PGlite).
// Prints one JSON line on stdout.

export type Timing = { iterations: number; opsPerSec: number; p50Us: number; p99Us: number; p999Us: number };

async function setup(target: DbTarget): Promise<{ deps: Deps; token: string; close(): Promise<void> }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'postgate-bench-verify-'));
  const config = loadConfig({ LOG_LEVEL: 'silent', POSTGATE_DATA_DIR: dataDir });
  const deps = await createDeps({ config, dbTarget: target, logger: pino({ level: 'silent' }) });
  const org = await OPERATIONS['org.create']!(deps, { name: 'bench', plan: 'unlimited' });
  const key = await OPERATIONS['keys.create']!(deps, { org: org.id, body: { name: 'bench', permission: 'sending_access' } });
  return {
    deps,
    token: String(key.token),
    close: async () => {
      await deps.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function time(options: { deps: Deps; token: string; warmup: number; iterations: number; cold: boolean }): Promise<Timing> {
  const { deps, token, cold } = options;
  const verifyDeps: VerifyDeps = { db: deps.database.db, clock: deps.clock, keyCache: deps.keyCache };
  const ip = parseIp('127.0.0.1');
  for (let i = 0; i < options.warmup; i++) {
    if (cold) deps.keyCache.clear();
    const r = await verifyApiKey(verifyDeps, token, ip);
    if (!r.ok) throw new Error(`verification failed: ${r.code}`);
  }
  const samples = new Float64Array(options.iterations);
  const start = process.hrtime.bigint();
  for (let i = 0; i < options.iterations; i++) {
    if (cold) deps.keyCache.clear();
    const t0 = process.hrtime.bigint();
    await verifyApiKey(verifyDeps, token, ip);
    samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  const elapsedS = Number(process.hrtime.bigint() - start) / 1e9;
  samples.sort();
  return {
    iterations: options.iterations,
    opsPerSec: options.iterations / elapsedS,
    p50Us: percentile(samples, 50),
    p99Us: percentile(samples, 99),
    p999Us: percentile(samples, 99.9),
  };
}

const postgresUrl = process.env.BENCH_DATABASE_URL;
const result: Record<string, Timing | string> = {};

const pglite = await setup({ kind: 'pglite', dataDir: undefined });
try {
  result.warm = await time({ deps: pglite.deps, token: pglite.token, warmup: 50_000, iterations: 500_000, cold: false });
  result.coldPglite = await time({ deps: pglite.deps, token: pglite.token, warmup: 200, iterations: 2_000, cold: true });
} finally {
  await pglite.close();
}

if (postgresUrl) {
  const pg = await setup({ kind: 'postgres', url: postgresUrl, poolSize: 10 });
  try {
    result.coldPostgres = await time({ deps: pg.deps, token: pg.token, warmup: 300, iterations: 3_000, cold: true });
  } finally {
    await pg.close();
  }
}

process.stdout.write(`${JSON.stringify(result)}\n`);
