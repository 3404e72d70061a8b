import type { Logger } from 'pino';
import { createLogger } from '../lib/logger.js';
import type { Config } from '../config/config.js';
import { createDatabase, type Database, type DbTarget } from '../db/client.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { busInvalidation, localInvalidation, type Invalidation } from '../modules/api-keys/invalidation.js';
import { postgresBus } from '../modules/api-keys/invalidation-postgres.js';
import { KeyCache } from '../modules/api-keys/key-cache.js';
import { UsageRecorder } from '../modules/api-keys/usage-recorder.js';
import { createAuthenticator, type Authenticator } from '../modules/api-keys/authenticate.js';
import { createServices, type Services } from './services.js';
import { LOGIN_FAILURE_POLICY } from '../modules/accounts/login-throttle.js';
import { DEFAULT_PREFIX } from '../modules/limits/redis.js';
import { createLimits, type Limits } from '../modules/limits/resilient.js';
import type { FailureCounter } from '../modules/limits/types.js';
import type { Redis } from 'ioredis';
import { createEmailQueue, type EmailQueue } from '../modules/delivery/queue.js';
import { createIntake, type Intake } from '../modules/emails/group-commit.js';
import { relayTransport, type Transport } from '../modules/delivery/transport.js';
import { RequestLogRecorder } from '../modules/request-log/recorder.js';
import { createMetrics, type Metrics } from '../modules/metrics/metrics.js';
import { countVerifications } from '../modules/metrics/instrument.js';

/** Everything the app and the services need, built once by the composition root (or a test). */
export type Deps = Readonly<{
  config: Config;
  logger: Logger;
  clock: Clock;
  database: Database;
  keyCache: KeyCache;
  invalidation: Invalidation;
  usage: UsageRecorder;
  /** The API request log, kept in memory and written in batches (GET /logs). */
  requestLog: RequestLogRecorder;
  /** This instance's Prometheus registry and counters (GET /metrics). */
  metrics: Metrics;
  /** The use cases every edge calls, built once (app/services.ts). */
  services: Services;
  /** The one authentication path of every edge (HTTP, SMTP): key, failure guard, scope, plan rate, usage. */
  authenticator: Authenticator;
  /** Rate limits, per-IP concurrency and auth-failure counters: Redis-backed when REDIS_URL is set. */
  limits: Limits;
  /** Dashboard sign-in failures per account and client address (5 per 15 min), shared like `limits`. */
  loginFailures: FailureCounter;
  /** The durable delivery queue: the emails table of this database (PGlite or PostgreSQL). */
  queue: EmailQueue;
  /** Accepted emails written by group commit, and the sending domains they are checked against. */
  intake: Intake;
  /** SMTP_RELAY_URL's pooled transport; undefined: every email is captured. */
  relay: Transport | undefined;
  close(): Promise<void>;
}>;

export type DepsOptions = {
  config: Config;
  /** Overrides for tests: an in-memory database, a manual clock, a silent logger. */
  dbTarget?: DbTarget;
  database?: Database;
  clock?: Clock;
  logger?: Logger;
  usageFlushMs?: number;
  requestLogFlushMs?: number;
  /** Redis key prefix for limits (tests isolate themselves with a random one). */
  limitsPrefix?: string;
};

export function dbTargetFor(config: Config): DbTarget {
  return config.databaseUrl
    ? { kind: 'postgres', url: config.databaseUrl }
    : { kind: 'pglite', dataDir: config.dataDir };
}

/** Shared limits only count once Redis is connected: wait a little for it, start anyway if it is down. */
async function waitReady(redis: Redis, logger: Logger, timeoutMs = 3_000): Promise<void> {
  if (redis.status === 'ready') return;
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  if (!ready) logger.warn({}, 'Redis is not reachable yet: limits are per process until it is');
}

/** Redis pub/sub when configured, else LISTEN/NOTIFY on PostgreSQL, else this process only. */
async function createInvalidation(o: { config: Config; target: DbTarget; database: Database; keyCache: KeyCache; logger: Logger }): Promise<Invalidation> {
  if (o.config.redisUrl) {
    const { redisBus } = await import('../modules/api-keys/invalidation-redis.js');
    return busInvalidation(o.keyCache, o.logger, redisBus({ url: o.config.redisUrl, cache: o.keyCache, logger: o.logger }));
  }
  if (o.target.kind === 'postgres' && o.database.pool) {
    const bus = postgresBus({ url: o.target.url, pool: o.database.pool, cache: o.keyCache, logger: o.logger });
    return busInvalidation(o.keyCache, o.logger, bus);
  }
  return localInvalidation(o.keyCache);
}

export async function createDeps(options: DepsOptions): Promise<Deps> {
  const { config } = options;
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const clock = options.clock ?? systemClock;
  const target = options.dbTarget ?? dbTargetFor(config);
  const database = options.database ?? (await createDatabase(target));
  await database.migrate();
  const queue = createEmailQueue({ database, leaseSeconds: config.deliveryLeaseSeconds });
  const intake = createIntake({ database, logger, clock });
  const relay = config.smtpRelayUrl ? relayTransport(config.smtpRelayUrl, logger, { maxConnections: config.relayMaxConnections }) : undefined;
  const keyCache = new KeyCache(config.keyCacheTtlMs, clock);
  const invalidation = await createInvalidation({ config, target, database, keyCache, logger });
  const usage = new UsageRecorder(database.db, clock, options.usageFlushMs);
  usage.start();
  // The request log and the metrics read each other (drops counted, pending rows gauged), each
  // only later, from a callback: neither is called before both exist.
  const requestLog = new RequestLogRecorder({
    database,
    clock,
    retentionDays: config.requestLogDays,
    flushIntervalMs: options.requestLogFlushMs,
    onDropped: (count) => metrics.requestLogDropped.inc(count),
    onError: (error, what) => logger.warn({ err: error }, `request log: ${what} failed; retrying at the next interval`),
  });
  const metrics = createMetrics({ db: database.db, requestLogPending: () => requestLog.pendingCount });
  requestLog.start();
  // ioredis is loaded only when it is used.
  const redis: Redis | undefined = config.redisUrl ? (await import('../modules/limits/redis-client.js')).createLimitsRedis(config.redisUrl) : undefined;
  if (redis) await waitReady(redis, logger);
  const limits = createLimits({
    redis,
    logger,
    prefix: options.limitsPrefix,
    failurePolicy: { threshold: config.authFailureLimit, windowSeconds: 60 },
  });
  const loginLimits = createLimits({
    redis,
    logger,
    clock,
    prefix: `${options.limitsPrefix ?? DEFAULT_PREFIX}login:`,
    failurePolicy: LOGIN_FAILURE_POLICY,
  });
  const services = createServices({ config, clock, database, keyCache, invalidation, usage, queue, intake, logger });
  const authenticator = countVerifications(createAuthenticator({ db: database.db, clock, keyCache, limits, usage, planRates: config.planRates }), metrics);
  return {
    config,
    logger,
    clock,
    database,
    keyCache,
    invalidation,
    usage,
    requestLog,
    metrics,
    services,
    authenticator,
    limits,
    queue,
    intake,
    relay,
    loginFailures: loginLimits.failures,
    close: async () => {
      await usage.stop();
      await requestLog.stop();
      await limits.close();
      await loginLimits.close();
      redis?.disconnect();
      await invalidation.close();
      await relay?.close();
      await intake.close();
      await database.close();
    },
  };
}
