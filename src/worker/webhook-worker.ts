import type { Deps } from '../app/deps.js';
import { runQueue } from '../modules/queue/runner.js';
import { LEASED_PER_POST } from '../modules/webhooks/claim.js';
import { createDispatcher } from '../modules/webhooks/dispatch.js';
import type { DeliveryResult } from '../modules/webhooks/outcomes.js';
import { createWebhookHttpClient } from '../modules/webhooks/http-client.js';

// The webhook worker: claims due webhook deliveries (modules/webhooks/dispatch.ts) and POSTs them
// through the SSRF-safe client, POSTGATE_WEBHOOK_CONCURRENCY at once, at most
// PER_ENDPOINT_IN_FLIGHT per endpoint, renewing the leases of those in hand like the email worker.
// It holds LEASED_PER_POST times more deliveries than it POSTs: each endpoint's next ones wait
// ready (dispatch.ts, reserve.ts).

export type WebhookWorkerOptions = Readonly<{
  /** How often an idle worker looks for due deliveries: events are written by database triggers. */
  pollIntervalMs?: number;
  /** Called after each attempt (tests, metrics). */
  onAttempt?: (result: DeliveryResult) => void;
}>;

export function startWebhookWorker(deps: Deps, options: WebhookWorkerOptions = {}): { stop(): Promise<void> } {
  const http = createWebhookHttpClient({ policy: deps.config.webhookPolicy, dnsServers: deps.config.dnsServers });
  const leaseSeconds = deps.config.deliveryLeaseSeconds;
  const postsAtOnce = deps.config.webhookConcurrency;
  const dispatcher = createDispatcher({ database: deps.database, clock: deps.clock, box: deps.services.box, http, leaseSeconds, postsAtOnce });
  const runner = runQueue(
    {
      claim: (max) => dispatcher.claim(max),
      handle: async (delivery) => {
        const { result, next } = await dispatcher.deliver(delivery);
        if (result === 'lost_claim') deps.logger.warn({ id: delivery.id, attempt: delivery.attempts }, 'webhook delivery: the attempt lost its claim; its outcome was not recorded');
        options.onAttempt?.(result);
        return next;
      },
      renew: (held) => dispatcher.renew(held),
    },
    {
      name: 'webhook delivery',
      concurrency: postsAtOnce * LEASED_PER_POST,
      pollIntervalMs: options.pollIntervalMs ?? 500,
      renewEveryMs: (leaseSeconds * 1000) / 3,
      logger: deps.logger,
      claimAfterEachRow: true,
      // The dispatcher's claim takes what its free POST slots can work, however few rows are free.
      claimWhenFree: 1,
    },
  );
  return {
    stop: async () => {
      // No more claims or hand-overs first, so the runner's stop waits for a finite set of rows.
      dispatcher.stopClaiming();
      await runner.stop();
      await dispatcher.drain();
      await http.close();
    },
  };
}
