import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app/build-app.js';
import { createDeps, type Deps } from '../src/app/deps.js';
import { loadConfig } from '../src/config/config.js';
import { bearer, keyFor, orgWithKey, type OrgFixture } from './factories.js';
import { freshPostgresDatabase } from './harness.js';
import { tcpProxy } from './tcp-proxy.js';

// PostgreSQL behind a proxy the test cuts (every connection dropped, new ones refused) and restores.

describe.runIf(process.env.DATABASE_URL)('PostgreSQL outage', () => {
  let db: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let proxy: Awaited<ReturnType<typeof tcpProxy>>;
  let deps: Deps;
  let app: FastifyInstance;
  let acme: OrgFixture;

  beforeAll(async () => {
    db = await freshPostgresDatabase();
    const real = new URL(db.url);
    proxy = await tcpProxy({ host: real.hostname, port: Number(real.port || 5432) });
    const url = new URL(db.url);
    url.port = String(proxy.port);
    // One request in flight per address: a slot kept by a request that failed would refuse the next.
    deps = await createDeps({ config: loadConfig({ DATABASE_URL: url.toString(), LOG_LEVEL: 'silent', POSTGATE_IP_CONCURRENCY: '1' }), logger: pino({ level: 'silent' }) });
    app = await buildApp(deps);
    acme = await orgWithKey(deps, 'acme');
  });
  afterAll(async () => {
    proxy?.restore();
    await app?.close();
    await deps?.close();
    await proxy?.close();
    await db?.drop();
  });

  it('answers 503 (never 500) while the database is down, and recovers by itself', async () => {
    const fresh = await keyFor(deps, acme.org, { name: 'never-used' });
    proxy.cut();
    const statuses = new Set<number>();
    // A key never used is looked up in the database during authentication: it fails there, each time.
    for (const [url, token] of [['/api-keys', acme.token], ['/whoami', fresh.token], ['/whoami', fresh.token], ['/readyz', '']] as const) {
      const res = await app.inject({ method: 'GET', url, headers: token ? bearer(token) : {} });
      statuses.add(res.statusCode);
      expect(res.statusCode, url).toBe(503);
      expect(res.json().name).toBe('service_unavailable');
    }
    proxy.restore();
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await app.inject({ method: 'GET', url: '/api-keys', headers: bearer(acme.token) })).statusCode;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/whoami', headers: bearer(fresh.token) })).statusCode).toBe(200);
  });
});
