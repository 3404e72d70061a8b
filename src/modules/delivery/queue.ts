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
// A job carries only email ids: the emails due at one moment (accepted together, say), up to
// EMAILS_PER_JOB of them. One job per email cost PostgreSQL more than the email itself: pg-boss's
// insert (a partitioned table, five unique indexes checked for conflicts) was 40% of a group's
// acceptance statement (bench/RESULTS.md). Each email is still claimed and delivered on its own
// (the worker spreads a job's emails over its loops). pg-boss's own retry is a backstop for a
// worker that died or threw (the job expires after the lease and comes back, and the emails it
// had delivered are then `finished` at their claim); delivery retries with backoff are new jobs
// the worker schedules itself, in the transaction that records the failed attempt.

/** The queue of jobs naming several emails (`{ emailIds }`); see EARLIER_QUEUE. */
export const DELIVERY_QUEUE = 'email-delivery-v2';
/**
 * The queue of versions whose jobs named one email each (`{ emailId }`). An instance of such a
 * version would complete a job of DELIVERY_QUEUE without delivering anything (it reads no
 * `emailId`), so jobs naming several emails have a queue of their own; this one is still read,
 * once DELIVERY_QUEUE has nothing due, so that no job left by an earlier version is lost.
 */
const EARLIER_QUEUE = 'email-delivery';

export type SqlStatement = Readonly<{ text: string; values: unknown[] }>;

/** An email to deliver, from `startAfter` on (now when undefined). */
export type DeliveryJob = Readonly<{ emailId: string; startAfter?: Date | undefined }>;
export type ClaimedJob = Readonly<{ id: string; queue: string; emailIds: readonly string[] }>;

/**
 * Emails one job names at most. The loops of the worker that took it share them, within the
 * job's lease (POSTGATE_DELIVERY_LEASE_SECONDS): a few deliveries per loop stay far shorter.
 */
export const EMAILS_PER_JOB = 25;

/** A job's data: jobs of EARLIER_QUEUE carry one `emailId`. */
type JobData = { emailIds: string[] } | { emailId: string };

export function emailIdsOf(data: JobData): string[] {
  return 'emailIds' in data ? data.emailIds : [data.emailId];
}

/** The jobs for these emails: one per moment they are due, of up to EMAILS_PER_JOB emails each. */
export function jobsFor(emails: readonly DeliveryJob[]): { startAfter: Date | undefined; emailIds: string[] }[] {
  const byMoment = new Map<number | undefined, { startAfter: Date | undefined; emailIds: string[] }[]>();
  for (const { emailId, startAfter } of emails) {
    const key = startAfter?.getTime();
    let chunks = byMoment.get(key);
    if (!chunks) byMoment.set(key, (chunks = []));
    let last = chunks.at(-1);
    if (!last || last.emailIds.length >= EMAILS_PER_JOB) chunks.push((last = { startAfter, emailIds: [] }));
    last.emailIds.push(emailId);
  }
  return [...byMoment.values()].flat();
}

export type EmailQueue = {
  /** Adds the jobs for these emails through `runner`: pass the accepting transaction so they commit with it. */
  enqueue(runner: SqlRunner, emails: readonly DeliveryJob[]): Promise<void>;
  /**
   * pg-boss's own INSERT of these jobs as text and `$n` values, not run: for a caller that runs
   * it as part of a statement of its own (the group commit's single statement).
   */
  insertStatement(emails: readonly DeliveryJob[]): Promise<SqlStatement>;
  /** Claims up to `max` due jobs (none when the database is unreachable). */
  fetch(max: number): Promise<ClaimedJob[]>;
  complete(job: ClaimedJob): Promise<void>;
  /** Hands the job back to pg-boss's retry (after its backoff), for faults rather than SMTP answers. */
  fail(job: ClaimedJob, error: unknown): Promise<void>;
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
  for (const name of [DELIVERY_QUEUE, EARLIER_QUEUE]) await boss.createQueue(name, { name, policy: 'standard' });

  const listeners = new Set<() => void>();
  const specs = (emails: readonly DeliveryJob[]) =>
    jobsFor(emails).map((job) => ({
      name: DELIVERY_QUEUE,
      data: { emailIds: job.emailIds } satisfies JobData,
      startAfter: job.startAfter,
      expireInSeconds: leaseSeconds,
      retryLimit: 20,
      retryDelay: 1,
      retryBackoff: true,
    }));
  const fetchFrom = async (queue: string, max: number): Promise<ClaimedJob[]> =>
    (await boss.fetch<JobData>(queue, { batchSize: max })).map((job) => ({ id: job.id, queue, emailIds: emailIdsOf(job.data) }));
  return {
    enqueue: async (runner, emails) => {
      if (emails.length === 0) return;
      await boss.insert(specs(emails), { db: runnerExecutor(runner) });
    },
    insertStatement: async (emails) => {
      let statement: SqlStatement | undefined;
      const capture: Executor = {
        executeSql: async (text, values = []) => {
          statement = { text, values };
          return { rows: [] };
        },
      };
      await boss.insert(specs(emails), { db: capture });
      if (!statement) throw new Error('pg-boss ran no statement for insert');
      return statement;
    },
    fetch: async (max) => {
      const jobs = await fetchFrom(DELIVERY_QUEUE, max);
      return jobs.length < max ? [...jobs, ...(await fetchFrom(EARLIER_QUEUE, max - jobs.length))] : jobs;
    },
    complete: async (job) => {
      await boss.complete(job.queue, job.id);
    },
    fail: async (job, error) => {
      await boss.fail(job.queue, job.id, { message: error instanceof Error ? error.message : String(error) });
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
