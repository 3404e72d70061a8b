import type { Deps } from '../app/deps.js';
import { deliverEmail, type DeliveryDeps } from '../modules/delivery/deliver.js';
import type { ClaimedJob } from '../modules/delivery/queue.js';
import { captureTransport } from '../modules/delivery/transport.js';
import { pruneIdempotencyKeys } from '../modules/emails/idempotency.js';

// The delivery worker: a few loops that claim a job from the queue, run the delivery steps for
// its email (modules/delivery/deliver.ts) and complete it. A job that throws (the database went
// away mid-attempt) is failed back to pg-boss, which retries it after a backoff; the email's own
// claim keeps that from ever delivering twice. Any instance's worker may take any job.

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

  const run = async (job: ClaimedJob): Promise<void> => {
    try {
      await deliverEmail(delivery, job.emailId);
      await deps.queue.complete(job.id);
    } catch (error) {
      deps.logger.error({ err: error, emailId: job.emailId }, 'delivery job failed; pg-boss will retry it');
      await deps.queue.fail(job.id, error).catch(() => undefined);
    }
  };

  const loop = async (): Promise<void> => {
    while (!stopping) {
      woken = false;
      const jobs = await deps.queue.fetch(1).catch((error: unknown) => {
        deps.logger.warn({ err: error }, 'delivery worker: could not fetch jobs');
        return [];
      });
      if (jobs.length === 0) await idle();
      for (const job of jobs) await run(job);
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
      // In-flight deliveries finish (each is bounded by the transport's timeouts).
      await Promise.all(loops);
    },
  };
}
