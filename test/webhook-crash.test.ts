import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createDeps } from '../src/app/deps.js';
import { loadConfig } from '../src/config/config.js';
import { operator } from '../src/modules/api-keys/principal.js';
import { emailBody } from './email-fixtures.js';
import { domainFor, orgWithKey } from './factories.js';
import { freshPostgresDatabase } from './harness.js';
import { startPostgate, type ServerProcess } from './processes.js';
import { startReceiver, type WebhookReceiver } from './webhook-receiver.js';

// kill -9 with webhook deliveries pending: the real server (`postgate start --roles api,worker`)
// has 100 events to deliver to an endpoint that answers 503 (Retry-After: 1), is killed with
// SIGKILL, and is started again with the endpoint answering 200. Every one of the 100 reaches the
// endpoint: none is lost with the process that held it.

const N = 100;
const WITHIN_MS = 60_000;
const LOCAL = { POSTGATE_WEBHOOK_ALLOW_HTTP: 'true', POSTGATE_WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32' };

const backends = ['pglite', ...(process.env.DATABASE_URL ? ['postgres'] : [])] as const;

for (const backend of backends) {
  describe(`kill -9 with webhook deliveries pending (${backend})`, () => {
    const servers: ServerProcess[] = [];
    let receiver: WebhookReceiver | undefined;
    const cleanups: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const server of servers) await server.stop('SIGKILL');
      await receiver?.close();
      for (const cleanup of cleanups) await cleanup();
    });

    it(`delivers all ${N} pending events after a restart`, { timeout: 240_000 }, async () => {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'postgate-webhook-crash-'));
      cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
      let databaseUrl = '';
      if (backend === 'postgres') {
        const db = await freshPostgresDatabase();
        databaseUrl = db.url;
        cleanups.push(() => db.drop());
      }
      const env = { ...LOCAL, POSTGATE_DATA_DIR: dataDir, DATABASE_URL: databaseUrl, REDIS_URL: '', SMTP_PORT: '0', SMTPS_PORT: '0', POSTGATE_RATE_FREE: '100000', POSTGATE_IP_CONCURRENCY: String(2 * N) };

      receiver = await startReceiver();
      receiver.respond = () => ({ status: 503, headers: { 'retry-after': '1' }, body: 'down' });
      const deps = await createDeps({ config: loadConfig({ LOG_LEVEL: 'silent', ...env }), logger: pino({ level: 'silent' }) });
      const acme = await orgWithKey(deps, 'crash');
      await domainFor(deps, acme.org, 'crash.example');
      await deps.services.webhooks.create(operator(acme.org.id, acme.org.default_project_id), { endpoint: receiver.url, events: ['email.sent'] });
      await deps.close();

      const first = await startPostgate(env, 'api,worker');
      servers.push(first);
      const send = (i: number): Promise<Response> =>
        fetch(`${first.url}/emails`, {
          method: 'POST',
          headers: { authorization: `Bearer ${acme.token}`, 'content-type': 'application/json' },
          body: JSON.stringify(emailBody('Crash <crash@crash.example>', { to: `r${i}@example.net`, subject: `storm ${i}` })),
        });
      const responses = await Promise.all(Array.from({ length: N }, (_, i) => send(i)));
      expect(responses.map((r) => r.status)).toEqual(Array(N).fill(200));
      // Some deliveries are being attempted (and refused with 503) when the process dies.
      const deadline = Date.now() + 20_000;
      while (receiver.received.length < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(receiver.received.length).toBeGreaterThanOrEqual(10);
      await first.stop('SIGKILL');

      receiver.respond = () => ({ status: 200, body: 'ok' });
      const restarted = Date.now();
      const second = await startPostgate(env, 'api,worker');
      servers.push(second);
      const delivered = (): Set<string> => new Set(receiver!.received.filter((r) => r.at >= restarted).map((r) => String(r.headers['webhook-id'])));
      while (delivered().size < N && Date.now() - restarted < WITHIN_MS) await new Promise((r) => setTimeout(r, 100));
      console.log(`${backend}: ${delivered().size} of ${N} webhook events delivered ${Date.now() - restarted} ms after the restart began`);
      expect(delivered().size).toBe(N);
      await second.stop('SIGTERM');
    });
  });
}
