import type { Deps } from '../app/deps.js';
import { deliverEmail, type DeliveryDeps } from '../modules/delivery/deliver.js';
import type { ClaimedJob } from '../modules/delivery/queue.js';
import { captureTransport } from '../modules/delivery/transport.js';
import { pruneIdempotencyKeys } from '../modules/emails/idempotency.js';

// The delivery worker: a few loops that claim jobs from the queue and run the delivery steps for
// each email a job names (modules/delivery/deliver.ts), one email per loop at a time, so a job's
// emails are delivered side by side. A job is completed once each of its emails has had its
// attempt; if one threw (the database went away mid-attempt), the job is failed back to pg-boss,
// which retries it after a backoff; each email's own claim keeps that from ever delivering one
// twice. Any instance's worker may take any job.

export type WorkerOptions = Readonly<{
  /** Deliveries in flight at once in this process. */
  concurrency?: number;
  /** How often an idle loop looks for due jobs (a local acceptance wakes it at once). */
  pollIntervalMs?: number;
  /** For tests: the jitter source of the retry backoff. */
  random?: () => number;
}>;

export type RunningWorker = Readonly<{
  /** Where mail goes: `capture (...)` or `relay smtp://host:port` (never a password). */
  describe: string;
  stop(): Promise<void>;
}>;

const PRUNE_EVERY_MS = 60 * 60 * 1000;

export function deliveryDeps(deps: Deps, options: Pick<WorkerOptions, 'random'> = {}): DeliveryDeps {
  return {
    db: deps.database.db,
    clock: deps.clock,
    logger: deps.logger,
    queue: deps.queue,
    relay: deps.relay,
    retryBaseMs: deps.config.deliveryRetryBaseMs,
    maxAttempts: deps.config.deliveryMaxAttempts,
    leaseSeconds: deps.config.deliveryLeaseSeconds,
    random: options.random,
  };
}

export function startWorker(deps: Deps, options: WorkerOptions = {}): RunningWorker {
  const delivery = deliveryDeps(deps, options);
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  let stopping = false;
  let woken = false;
  const sleepers = new Set<() => void>();
  const wakeAll = (): void => {
    woken = true;
    for (const wake of [...sleepers]) wake();
  };
  const unsubscribe = deps.queue.onWake(wakeAll);

  const idle = (): Promise<void> =>
    new Promise((resolve) => {
      if (woken || stopping) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, pollIntervalMs);
      sleepers.add(done);
    });

  // Emails of the jobs taken, waiting for a loop, with what is left of their job.
  type Taken = { job: ClaimedJob; left: number; failure: { error: unknown } | undefined };
  const ready: { emailId: string; taken: Taken }[] = [];

  const finish = async ({ job, failure }: Taken): Promise<void> => {
    try {
      if (failure) throw failure.error;
      await deps.queue.complete(job);
    } catch (error) {
      deps.logger.error({ err: error, jobId: job.id, emailIds: job.emailIds }, 'delivery job failed; pg-boss will retry it');
      await deps.queue.fail(job, error).catch(() => undefined);
    }
  };

  const deliver = async ({ emailId, taken }: { emailId: string; taken: Taken }): Promise<void> => {
    try {
      await deliverEmail(delivery, emailId);
    } catch (error) {
      deps.logger.warn({ err: error, emailId }, 'delivery: the attempt threw; its job goes back to pg-boss');
      taken.failure ??= { error };
    }
    if (--taken.left === 0) await finish(taken);
  };

  const take = async (job: ClaimedJob): Promise<void> => {
    const taken: Taken = { job, left: job.emailIds.length, failure: undefined };
    if (taken.left === 0) return finish(taken);
    for (const emailId of job.emailIds) ready.push({ emailId, taken });
    // The other loops share this job's emails.
    if (taken.left > 1) wakeAll();
  };

  const loop = async (): Promise<void> => {
    for (;;) {
      // A stopping worker still delivers the emails it has taken (each bounded by the transport's timeouts).
      const next = ready.shift();
      if (next) {
        await deliver(next);
        continue;
      }
      if (stopping) return;
      woken = false;
      const jobs = await deps.queue.fetch(1).catch((error: unknown) => {
        deps.logger.warn({ err: error }, 'delivery worker: could not fetch jobs');
        return [];
      });
      if (jobs.length === 0) await idle();
      for (const job of jobs) await take(job);
    }
  };

  const loops = Array.from({ length: options.concurrency ?? 4 }, () => loop());
  const prune = setInterval(() => {
    pruneIdempotencyKeys(deps.database.db, deps.clock.now()).catch((error: unknown) => deps.logger.warn({ err: error }, 'could not prune idempotency keys'));
  }, PRUNE_EVERY_MS);
  prune.unref();

  return {
    describe: (deps.relay ?? captureTransport).describe,
    stop: async () => {
      stopping = true;
      clearInterval(prune);
      unsubscribe();
      wakeAll();
      await Promise.all(loops);
    },
  };
}
