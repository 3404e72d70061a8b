import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { Database } from '../../db/client.js';
import { placeholdersToSql, rowsOf, type SqlRunner } from './sql.js';

// The durable delivery queue: pg-boss, in the same database as the emails (its own `pgboss`
// schema), on PostgreSQL and on PGlite alike. A job is added inside the transaction that accepts
// its email (pg-boss's per-call `db` option, bridged to the Drizzle transaction), so an email
// exists exactly when its job does. Jobs are claimed with FOR UPDATE SKIP LOCKED, so any
// instance's worker may take any job, and only one takes it.
//
// On PGlite (one connection, one transaction at a time) pg-boss's own queries simply wait while
// a transaction is open, and a query issued inside one must go through it: hence `enqueue` takes
// the transaction as its runner. pg-boss's migrations, fetch (SKIP LOCKED) and maintenance run
// unchanged on PGlite; no outbox table of our own was needed.
//
// A job carries only the email id. pg-boss's own retry is a backstop for a worker that died or
// threw (the job expires after the lease and comes back); delivery retries with backoff are new
// jobs the worker schedules itself, in the transaction that records the failed attempt.

export const DELIVERY_QUEUE = 'email-delivery';

export type SqlStatement = Readonly<{ text: string; values: unknown[] }>;

export type DeliveryJob = Readonly<{ emailId: string; startAfter?: Date | undefined }>;
export type ClaimedJob = Readonly<{ id: string; emailId: string }>;

export type EmailQueue = {
  /** Adds jobs through `runner`: pass the accepting transaction so they commit with it. */
  enqueue(runner: SqlRunner, jobs: readonly DeliveryJob[]): Promise<void>;
  /**
   * pg-boss's own INSERT of these jobs as text and `$n` values, not run: for a caller that runs
   * it as part of a statement of its own (the group commit's single statement).
   */
  insertStatement(jobs: readonly DeliveryJob[]): Promise<SqlStatement>;
  /** Claims up to `max` due jobs (none when the database is unreachable). */
  fetch(max: number): Promise<ClaimedJob[]>;
  complete(jobId: string): Promise<void>;
  /** Hands the job back to pg-boss's retry (after its backoff), for faults rather than SMTP answers. */
  fail(jobId: string, error: unknown): Promise<void>;
  /** Tells this process's worker that jobs are waiting, so it need not wait for its next poll. */
  wake(): void;
  onWake(listener: () => void): () => void;
  close(): Promise<void>;
};

type Executor = { executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> };

/** pg-boss's SQL on our connection: the pool on PostgreSQL, the one PGlite otherwise. */
function databaseExecutor(database: Database): Executor {
  if (database.pglite) {
    const pglite = database.pglite;
    return {
      executeSql: async (text, values) => {
        if (values && values.length > 0) return pglite.query(text, values as unknown[]);
        // Migrations and maintenance come as several statements without parameters.
        const results = await pglite.exec(text);
        return results[results.length - 1] ?? { rows: [] };
      },
    };
  }
  const pool = database.pool!;
  return { executeSql: (text, values) => pool.query(text, values as unknown[] | undefined) };
}

/** pg-boss's SQL inside a Drizzle transaction (on PGlite, the only way in while it is open). */
function runnerExecutor(runner: SqlRunner): Executor {
  return { executeSql: async (text, values = []) => ({ rows: rowsOf(await runner.execute(placeholdersToSql(text, values))) }) };
}

export type QueueOptions = Readonly<{
  database: Database;
  logger: Logger;
  /** How long a claimed job may run before pg-boss hands it to another worker. */
  leaseSeconds: number;
}>;

export async function createEmailQueue(options: QueueOptions): Promise<EmailQueue> {
  const { logger, leaseSeconds } = options;
  const boss = new PgBoss({
    db: databaseExecutor(options.database),
    migrate: true,
    // Maintenance expires jobs whose worker died: often enough that a lease is not waited twice.
    supervise: true,
    maintenanceIntervalSeconds: Math.max(1, Math.min(60, Math.floor(leaseSeconds / 2))),
    schedule: false,
  });
  boss.on('error', (error) => logger.warn({ err: error }, 'delivery queue: pg-boss reported an error'));
  await boss.start();
  await boss.createQueue(DELIVERY_QUEUE, { name: DELIVERY_QUEUE, policy: 'standard' });

  const listeners = new Set<() => void>();
  const specs = (jobs: readonly DeliveryJob[]) =>
    jobs.map((job) => ({
      name: DELIVERY_QUEUE,
      data: { emailId: job.emailId },
      startAfter: job.startAfter,
      expireInSeconds: leaseSeconds,
      retryLimit: 20,
      retryDelay: 1,
      retryBackoff: true,
    }));
  return {
    enqueue: async (runner, jobs) => {
      if (jobs.length === 0) return;
      await boss.insert(specs(jobs), { db: runnerExecutor(runner) });
    },
    insertStatement: async (jobs) => {
      let statement: SqlStatement | undefined;
      const capture: Executor = {
        executeSql: async (text, values = []) => {
          statement = { text, values };
          return { rows: [] };
        },
      };
      await boss.insert(specs(jobs), { db: capture });
      if (!statement) throw new Error('pg-boss ran no statement for insert');
      return statement;
    },
    fetch: async (max) => {
      const jobs = await boss.fetch<{ emailId: string }>(DELIVERY_QUEUE, { batchSize: max });
      return jobs.map((job) => ({ id: job.id, emailId: job.data.emailId }));
    },
    complete: async (jobId) => {
      await boss.complete(DELIVERY_QUEUE, jobId);
    },
    fail: async (jobId, error) => {
      await boss.fail(DELIVERY_QUEUE, jobId, { message: error instanceof Error ? error.message : String(error) });
    },
    wake: () => {
      for (const listener of listeners) listener();
    },
    onWake: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: async () => {
      listeners.clear();
      await boss.stop({ graceful: false, close: false, wait: true });
    },
  };
}
