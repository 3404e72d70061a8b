import { Resend } from 'resend';
import { startWorker, type RunningWorker } from '../src/worker/worker.js';
import { orgWithKey, type OrgFixture } from './factories.js';
import { createTestContext, type Backend, type TestContext } from './harness.js';
import { startRelay, type TestRelay } from './smtp-relay.js';
import { startReceiver, type WebhookReceiver } from './webhook-receiver.js';

// The real parts the webhook tests share: a relay (SMTP_RELAY_URL), a webhook receiver on
// 127.0.0.1, the app listening on a socket for the unmodified `resend` SDK, an organization with a
// full-access key, and the workers (email and webhook deliveries) running.

/** Lets deliveries reach the test receiver on 127.0.0.1 (tests name only loopback endpoints). */
export const LOCAL_WEBHOOKS = { POSTGATE_WEBHOOK_ALLOW_HTTP: 'true', POSTGATE_WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32' };

export type WebhookScene = {
  ctx: TestContext;
  relay: TestRelay;
  receiver: WebhookReceiver;
  worker: RunningWorker;
  acme: OrgFixture;
  /** The SDK with acme's key, pointed at the app. */
  resend: Resend;
  /** The app's address. */
  base: string;
  close(): Promise<void>;
};

export async function startWebhookScene(backend: Backend, env: Record<string, string> = {}): Promise<WebhookScene> {
  const relay = await startRelay();
  const receiver = await startReceiver();
  const ctx = await createTestContext(backend, { SMTP_RELAY_URL: relay.url, ...LOCAL_WEBHOOKS, ...env });
  const acme = await orgWithKey(ctx.deps, 'acme');
  const base = await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  // The SDK reads RESEND_BASE_URL when a client is made.
  process.env.RESEND_BASE_URL = base;
  const resend = new Resend(acme.token);
  const worker = startWorker(ctx.deps, { webhookPollIntervalMs: 50 });
  return {
    ctx,
    relay,
    receiver,
    worker,
    acme,
    resend,
    base,
    close: async () => {
      delete process.env.RESEND_BASE_URL;
      await worker.stop();
      await ctx.close();
      await relay.close();
      await receiver.close();
    },
  };
}
