import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createDeps } from '../src/app/deps.js';
import { loadConfig } from '../src/config/config.js';
import { emailBody, eventually } from './email-fixtures.js';
import { domainFor, orgWithKey } from './factories.js';
import { freshPostgresDatabase } from './harness.js';
import { freePort, startPostgate, type ServerProcess } from './processes.js';
import { RELAY_PASS, RELAY_USER, startRelay, type TestRelay } from './smtp-relay.js';

// kill -9 during a send storm: the real server (`postgate start --roles api,worker`) accepts
// 200 emails while its relay is down, is killed with SIGKILL (some requests still in flight, and
// whatever emails its attempts held then), and is started again with the relay up. Every email
// answered 200 is delivered within 60 s of the restart (a dead attempt's lease runs out in
// seconds), and none twice.
// On PGlite this also shows the embedded database recovers what it committed before the kill
// (the dead process's postgate.pid is stale and taken over).

const N = 200;
/** From the restart to the last of the N delivered. */
const WITHIN_MS = 60_000;

type Target = { name: string; env: Record<string, string>; prepareEnv: Record<string, string>; cleanup(): Promise<void> };

async function pgliteTarget(): Promise<Target> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'postgate-crash-'));
  const env = { POSTGATE_DATA_DIR: dataDir, DATABASE_URL: '' };
  return { name: 'PGlite data directory', env, prepareEnv: env, cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
}

async function postgresTarget(): Promise<Target> {
  const db = await freshPostgresDatabase();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'postgate-crash-'));
  const env = { POSTGATE_DATA_DIR: dataDir, DATABASE_URL: db.url };
  return {
    name: 'PostgreSQL',
    env,
    prepareEnv: env,
    cleanup: async () => {
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const targets: (() => Promise<Target>)[] = [pgliteTarget, ...(process.env.DATABASE_URL ? [postgresTarget] : [])];

for (const makeTarget of targets) {
  describe(`kill -9 with accepted, undelivered mail (${makeTarget === pgliteTarget ? 'pglite' : 'postgres'})`, () => {
    const servers: ServerProcess[] = [];
    let relay: TestRelay | undefined;
    let target: Target | undefined;
    afterAll(async () => {
      for (const server of servers) await server.stop('SIGKILL');
      await relay?.close();
      await target?.cleanup();
    });

    it(`delivers all ${N} accepted emails exactly once within ${WITHIN_MS / 1000} s of a restart`, { timeout: 240_000 }, async () => {
      target = await makeTarget();
      // An organization, a live key and a verified domain, written straight to the database
      // the server will use (as the CLI does when no server runs).
      const deps = await createDeps({ config: loadConfig({ LOG_LEVEL: 'silent', ...target.prepareEnv }), logger: pino({ level: 'silent' }) });
      const acme = await orgWithKey(deps, 'crash');
      await domainFor(deps, acme.org, 'crash.example');
      await deps.close();

      const relayPort = await freePort(); // nothing listens here until the restart
      const env = {
        ...target.env,
        REDIS_URL: '',
        SMTP_PORT: '0',
        SMTPS_PORT: '0',
        POSTGATE_RATE_FREE: '100000',
        // All N sends at once, from this one address.
        POSTGATE_IP_CONCURRENCY: String(2 * N),
        SMTP_RELAY_URL: `smtp://${RELAY_USER}:${RELAY_PASS}@127.0.0.1:${relayPort}`,
        POSTGATE_DELIVERY_RETRY_BASE_MS: '200',
        POSTGATE_DELIVERY_MAX_ATTEMPTS: '30',
        // The default lease (seconds) and concurrency: what a crash leaves is taken again this soon.
      };
      const first = await startPostgate(env, 'api,worker');
      servers.push(first);
      // The banner goes on after the API line startPostgate waits for.
      for (let i = 0; i < 100 && !/Roles\s/.test(first.output()); i++) await new Promise((r) => setTimeout(r, 50));
      expect(first.output()).toMatch(new RegExp(`Delivery worker\\s+relay smtp://127\\.0\\.0\\.1:${relayPort}`));
      expect(first.output()).not.toContain(RELAY_PASS);

      const send = (i: number) =>
        fetch(`${first.url}/emails`, {
          method: 'POST',
          headers: { authorization: `Bearer ${acme.token}`, 'content-type': 'application/json' },
          body: JSON.stringify(emailBody('Crash <crash@crash.example>', { to: `r${i}@example.net`, subject: `storm ${i}` })),
        });
      const started = Date.now();
      const responses = await Promise.all(Array.from({ length: N }, (_, i) => send(i)));
      const acceptMs = Date.now() - started;
      expect(responses.map((r) => r.status)).toEqual(Array(N).fill(200));
      const ids = await Promise.all(responses.map(async (r) => ((await r.json()) as { id: string }).id));
      console.log(`${target.name}: ${N} concurrent sends accepted in ${acceptMs} ms`);

      // The relay is down: attempts fail and are rescheduled. Once the emails checked at the end
      // have had theirs (on a busy machine the worker may need more than a second), more sends,
      // and the kill.
      const events = async (url: string, id: string): Promise<{ last_event: string; events: { type: string }[] }> =>
        (await (await fetch(`${url}/emails/${id}`, { headers: { authorization: `Bearer ${acme.token}` } })).json()) as { last_event: string; events: { type: string }[] };
      const checked = ids.slice(0, 3);
      const delayed = async (id: string): Promise<boolean> => (await events(first.url, id)).events.some((e) => e.type === 'delivery_delayed');
      await eventually(async () => (await Promise.all(checked.map(delayed))).every(Boolean), 20_000, 'a failed first attempt of the checked emails');
      const inFlight = Array.from({ length: 5 }, (_, i) => send(N + i).catch(() => undefined));
      await new Promise((r) => setTimeout(r, 20));
      await first.stop('SIGKILL');
      await Promise.all(inFlight);

      relay = await startRelay(relayPort);
      const restarted = Date.now();
      const second = await startPostgate(env, 'api,worker');
      servers.push(second);
      const expected = new Set(ids.map((id) => `<${id}@crash.example>`));
      const deadline = restarted + WITHIN_MS;
      const missing = (): string[] => {
        const received = new Set(relay!.messages.map((m) => m.messageId));
        return [...expected].filter((id) => !received.has(id));
      };
      while (missing().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const tookMs = Date.now() - restarted;
      console.log(`${target.name}: ${N - missing().length} of ${N} delivered ${tookMs} ms after the restart began`);
      expect(missing()).toEqual([]);
      expect(tookMs).toBeLessThan(WITHIN_MS);
      // Give any duplicate time to show up.
      await new Promise((r) => setTimeout(r, 2_000));

      const received = relay.messages.map((m) => m.messageId);
      for (const id of expected) expect(received, `${id} delivered`).toContain(id);
      expect(relay.duplicates()).toEqual([]);
      // The in-flight sends were accepted or not; either way at most once each.
      expect(received.length).toBeLessThanOrEqual(N + 5);

      for (const id of checked) {
        const email = await events(second.url, id);
        expect(email.last_event).toBe('delivered');
        expect(email.events.map((e) => e.type)).toContain('delivery_delayed');
      }
      await second.stop('SIGTERM');
    });
  });
}
