import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createDeps, type Deps } from '../src/app/deps.js';
import { loadConfig } from '../src/config/config.js';
import { parseIp } from '../src/lib/ip.js';
import { operator } from '../src/modules/api-keys/principal.js';
import { verifyApiKey } from '../src/modules/api-keys/verify.js';
import { keyFor, orgWithKey, type OrgFixture } from './factories.js';
import { freshPostgresDatabase } from './harness.js';

// Without Redis, invalidation travels over PostgreSQL LISTEN/NOTIFY: two instances (two sets of
// deps, each with its own pool and listening connection) on one database.
describe.runIf(process.env.DATABASE_URL)('invalidation over PostgreSQL LISTEN/NOTIFY (no Redis)', () => {
  let db: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let a: Deps;
  let b: Deps;
  let acme: OrgFixture;
  const ip = parseIp('127.0.0.1');

  beforeAll(async () => {
    db = await freshPostgresDatabase();
    const config = loadConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'silent' });
    a = await createDeps({ config, logger: pino({ level: 'silent' }) });
    b = await createDeps({ config, logger: pino({ level: 'silent' }) });
    acme = await orgWithKey(a, 'acme');
    // Both listeners connected: each cache turns on once its LISTEN is in place.
    const deadline = Date.now() + 5000;
    while (!(a.keyCache.isEnabled && b.keyCache.isEnabled) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  const verifyOnB = (token: string) => verifyApiKey({ db: b.database.db, clock: b.clock, keyCache: b.keyCache }, token, ip);
  const actor = () => operator(acme.org.id, acme.org.default_project_id);

  it('a key deleted on A is refused on B within one second, though B had it cached', async () => {
    expect(b.keyCache.isEnabled).toBe(true);
    const key = await keyFor(a, acme.org, { name: 'victim' });
    expect((await verifyOnB(key.token)).ok).toBe(true);
    expect(b.keyCache.snapshotOf(key.id)).toBeDefined(); // cached on B
    await a.services.apiKeys.delete(actor(), key.id);
    const start = Date.now();
    while ((await verifyOnB(key.token)).ok && Date.now() - start < 1000) await new Promise((r) => setTimeout(r, 5));
    expect((await verifyOnB(key.token)).ok).toBe(false);
    expect(Date.now() - start).toBeLessThan(1000);
  });

  it('an edit on A reaches B', async () => {
    const key = await keyFor(a, acme.org, { name: 'edited', allowed_ips: ['127.0.0.0/8'] });
    expect((await verifyOnB(key.token)).ok).toBe(true);
    await a.services.apiKeys.update(actor(), key.id, { allowed_ips: ['10.0.0.0/8'] });
    const start = Date.now();
    let result = await verifyOnB(key.token);
    while (result.ok && Date.now() - start < 1000) {
      await new Promise((r) => setTimeout(r, 5));
      result = await verifyOnB(key.token);
    }
    expect(result).toMatchObject({ ok: false, code: 'ip_not_allowed' });
  });
});
