import type { Deps } from '../app/deps.js';
import { deliverClaimed, type DeliveryDeps } from '../modules/delivery/deliver.js';
import { recordKeyExpiries } from '../modules/api-keys/expiry.js';
import { createRecorder } from '../modules/delivery/record.js';
import { createSigningKeys } from '../modules/delivery/signing-keys.js';
import { captureTransport } from '../modules/delivery/transport.js';
import { pruneIdempotencyKeys } from '../modules/emails/idempotency.js';
import { countDeliveries } from '../modules/metrics/instrument.js';
import { runQueue } from '../modules/queue/runner.js';
import { pruneEvents } from '../modules/events/record.js';
import { startWebhookWorker } from './webhook-worker.js';

// The delivery worker (and beside it the webhook worker, webhook-worker.ts): claims due emails from the queue (the emails table) in batches and runs
// the delivery steps for each (modules/delivery/deliver.ts), POSTGATE_DELIVERY_CONCURRENCY at
// once, renewing the leases of those in hand (modules/queue/runner.ts). Any instance's worker may
// take any email; the attempt number claimed keeps an outcome from ever being recorded twice.

export type WorkerOptions = Readonly<{
  /** Deliveries in flight at once in this process; POSTGATE_DELIVERY_CONCURRENCY by default. */
  concurrency?: number;
  /** How often an idle worker looks for due emails (a local acceptance wakes it at once). */
  pollIntervalMs?: number;
  /** For tests: the jitter source of the retry backoff. */
  random?: () => number;
  /** How often an idle webhook worker looks for due deliveries. */
  webhookPollIntervalMs?: number;
}>;

export type RunningWorker = Readonly<{
  /** Where mail goes: `capture (...)` or `relay smtp://host:port` (never a password). */
  describe: string;
  stop(): Promise<void>;
}>;

const PRUNE_EVERY_MS = 60 * 60 * 1000;

export function deliveryDeps(deps: Deps, options: Pick<WorkerOptions, 'random'> = {}): DeliveryDeps & { drain(): Promise<void> } {
  const recorder = countDeliveries(createRecorder({ database: deps.database, clock: deps.clock }), deps.metrics);
  return {
    clock: deps.clock,
    logger: deps.logger,
    relay: deps.relay,
    queue: deps.queue,
    keys: createSigningKeys(deps.database),
    recorder,
    tracking: deps.services.tracking,
    retryBaseMs: deps.config.deliveryRetryBaseMs,
    maxAttempts: deps.config.deliveryMaxAttempts,
    random: options.random,
    drain: () => recorder.drain(),
  };
}

export function startWorker(deps: Deps, options: WorkerOptions = {}): RunningWorker {
  const delivery = deliveryDeps(deps, options);
  const runner = runQueue(
    {
      claim: (max) => deps.queue.claim(max),
      handle: async (email) => {
        await deliverClaimed(delivery, email);
      },
      renew: (held) => deps.queue.renew(held),
    },
    {
      name: 'delivery',
      concurrency: options.concurrency ?? deps.config.deliveryConcurrency,
      pollIntervalMs: options.pollIntervalMs ?? 1_000,
      // Three renewals per lease: one lost or late renewal does not lose the lease.
      renewEveryMs: (deps.queue.leaseSeconds * 1000) / 3,
      logger: deps.logger,
      wakeup: deps.queue,
    },
  );
  // Housekeeping: expired idempotency keys, audit and webhook events past their retention, and expired keys' events.
  const prune = setInterval(() => {
    pruneIdempotencyKeys(deps.database.db, deps.clock.now()).catch((error: unknown) => deps.logger.warn({ err: error }, 'could not prune idempotency keys'));
    deps.services.audit.sweep(deps.config.auditRetentionDays).catch((error: unknown) => deps.logger.warn({ err: error }, 'could not apply the audit retention'));
    recordKeyExpiries(deps.database.db, deps.clock, deps.config.auditRetentionDays).catch((error: unknown) => deps.logger.warn({ err: error }, 'could not record key expiries'));
    pruneEvents(deps.database.db, deps.clock, deps.config.eventRetentionDays).catch((error: unknown) => deps.logger.warn({ err: error }, 'could not apply the event retention'));
  }, PRUNE_EVERY_MS);
  prune.unref();
  const webhooks = startWebhookWorker(deps, { pollIntervalMs: options.webhookPollIntervalMs });

  return {
    describe: (deps.relay ?? captureTransport).describe,
    stop: async () => {
      clearInterval(prune);
      await Promise.all([runner.stop(), webhooks.stop()]);
      await delivery.drain();
    },
  };
}
