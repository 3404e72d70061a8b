import type { Server } from 'node:net';
import { buildApp } from './app/build-app.js';
import { createDeps, type Deps } from './app/deps.js';
import { adminSocketPath, acquireLock, type DataDirLock } from './cli/data-dir-lock.js';
import { serveAdminSocket } from './cli/admin-socket.js';
import type { Config } from './config/config.js';
import { pgdataOf, pgliteExists } from './db/pglite.js';
import { startPgliteMaintenance } from './db/pglite-maintenance.js';
import { openPrivateDir } from './lib/private-dir.js';
import { startSmtp } from './smtp/server.js';
import { smtpServices } from './smtp/services.js';
import { loadTlsMaterial } from './smtp/tls.js';
import { issueSetupCode } from './modules/accounts/setup.js';
import { startWorker } from './worker/worker.js';

export const ROLES = ['api', 'smtp', 'worker'] as const;
export type Role = (typeof ROLES)[number];

export type Running = { deps: Deps; urls: string[]; stop(): Promise<void> };

/** The composition root: config -> deps -> the roles asked for. Prints where everything listens. */
export async function start(config: Config, roles: readonly Role[], print: (line: string) => void): Promise<Running> {
  openPrivateDir(config.dataDir);
  let lock: DataDirLock | undefined;
  if (!config.databaseUrl) {
    const taken = acquireLock(config.dataDir);
    if ('heldBy' in taken) {
      throw new Error(`Another Postgate (pid ${taken.heldBy}) is running on ${config.dataDir}; stop it or set POSTGATE_DATA_DIR`);
    }
    lock = taken;
  }
  const closers: (() => Promise<void>)[] = [];
  const host = config.host.includes(':') ? `[${config.host}]` : config.host; // IPv6 in URLs
  try {
    if (!config.databaseUrl && !pgliteExists(pgdataOf(config.dataDir))) {
      print(`Database           creating the embedded database in ${config.dataDir} (first start, a few seconds)...`);
    }
    const deps = await createDeps({ config });
    closers.push(() => deps.close());
    if (deps.database.pglite) {
      const maintenance = startPgliteMaintenance(deps.database.pglite, deps.logger);
      closers.unshift(() => maintenance.stop());
    }
    const urls: string[] = [];
    let admin: Server | undefined;
    if (lock) {
      admin = await serveAdminSocket(adminSocketPath(config.dataDir), deps);
      closers.unshift(() => new Promise<void>((resolve) => admin!.close(() => resolve())));
    }
    if (roles.includes('api')) {
      // Before listening, so the code is stored before anyone can reach the setup page.
      const setupCode = await issueSetupCode({ db: deps.database.db, clock: deps.clock });
      const app = await buildApp(deps);
      await app.listen({ port: config.port, host: config.host });
      closers.unshift(() => app.close());
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      urls.push(`http://${host}:${port}`);
      print(`Postgate API       http://${host}:${port}  (reference: /docs, OpenAPI: /openapi.json)`);
      print(`Dashboard          http://${host}:${port}/`);
      print(`Metrics            http://${host}:${port}/metrics  (${metricsAccess(config)})`);
      // Links in mail (tracking, invitations, attachments) point here: unset, only this machine reaches them.
      print(`Public URL         ${config.publicUrl}${config.publicUrlSet ? '' : '  (links in mail point here: set POSTGATE_PUBLIC_URL to the address recipients reach)'}`);
      if (setupCode) print(`Setup code         ${setupCode}  (one-time: the dashboard asks for it to create the owner account)`);
    }
    if (roles.includes('worker')) {
      const worker = startWorker(deps);
      closers.unshift(() => worker.stop());
      print(`Delivery worker    ${worker.describe}`);
    }
    if (roles.includes('smtp') && (config.smtpPort > 0 || config.smtpsPort > 0)) {
      const tls = await loadTlsMaterial(config);
      const smtp = await startSmtp(deps, smtpServices(deps), { tls });
      closers.unshift(() => smtp.close());
      const cert = tls.generated ? 'self-signed certificate in the data dir' : 'SMTP_TLS_CERT';
      if (smtp.smtpPort) print(`SMTP submission    smtp://${host}:${smtp.smtpPort}  (STARTTLS, ${cert}; user "postgate", password: an API key)`);
      if (smtp.smtpsPort) print(`SMTPS submission   smtps://${host}:${smtp.smtpsPort}  (implicit TLS)`);
    }
    print(
      `Database           ${deps.database.kind === 'pglite' ? `PGlite (embedded) in ${config.dataDir}, vacuumed in this process` : 'PostgreSQL (DATABASE_URL)'}`,
    );
    print(`Limits and caches  ${config.redisUrl ? 'Redis (REDIS_URL)' : 'in this process'}`);
    print(`Roles              ${roles.join(', ')}`);
    return {
      deps,
      urls,
      stop: async () => {
        for (const close of closers) await close().catch(() => undefined);
        lock?.release();
      },
    };
  } catch (error) {
    for (const close of closers) await close().catch(() => undefined);
    lock?.release();
    throw error;
  }
}

/** Who may read /metrics, as routes/metrics.ts decides it. */
function metricsAccess(config: Config): string {
  if (config.metricsToken) return 'with POSTGATE_METRICS_TOKEN';
  return config.trustProxy.length > 0 ? 'answers nobody behind TRUST_PROXY: set POSTGATE_METRICS_TOKEN' : 'this machine only';
}
