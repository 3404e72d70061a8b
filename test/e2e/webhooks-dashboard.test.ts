import type { Page } from 'playwright-core';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_EVENT_TYPES } from '../../dashboard/src/pages/webhooks/event-types.js';
import { EVENT_TYPES } from '../../src/modules/events/catalogue.js';
import type { ServerProcess } from '../processes.js';
import { startReceiver, type WebhookReceiver } from '../webhook-receiver.js';
import { waitFor } from './browser.js';
import { setUpOwner, startDashboardRun, type DashboardRun } from './dashboard-run.js';
import { axeViolations, dashboardApi, signedInViewer } from './page-helpers.js';

// The Webhooks and Suppressions pages end to end: a real `postgate start` with the worker (so
// deliveries happen) on a fresh PGlite data directory, a real HTTP receiver on 127.0.0.1 (allowed
// by POSTGATE_WEBHOOK_ALLOW_HTTP and _ALLOW_CIDRS), and Debian's Chromium clicking through both
// pages. The steps share one page, in order. axe checks the states the navigation walk of
// accessibility.test.ts does not reach (tables with rows, dialogs, the event panel).

const OWNER = { email: 'owner@hooks.example', password: 'correct horse battery staple', org: 'Hooks Corp' };
const VIEWER = { email: 'viewer@hooks.example', password: 'a viewer password' };

describe('the dashboard’s event type picker', () => {
  it('offers exactly the event types the server accepts (src/modules/events/catalogue.ts)', () => {
    expect([...ALL_EVENT_TYPES].sort()).toEqual([...EVENT_TYPES].sort());
  });
});

describe('webhooks and suppressions pages (browser, real server and worker, real receiver)', () => {
  let receiver: WebhookReceiver;
  let server: ServerProcess;
  let run: DashboardRun;
  let page: Page;
  let webhookId = '';
  let secret = '';

  const dialog = (name: string) => page.getByRole('dialog', { name });
  const button = (name: string) => page.getByRole('button', { name, exact: true });
  const heading = (name: string) => page.getByRole('heading', { name, exact: true });

  beforeAll(async () => {
    receiver = await startReceiver();
    run = await startDashboardRun('webhooks', 10000, {
      roles: 'api,worker',
      env: { POSTGATE_WEBHOOK_ALLOW_HTTP: 'true', POSTGATE_WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32' },
    });
    ({ server, page } = run);
  }, 240_000);
  afterAll(async () => {
    await run?.close();
    await receiver?.close();
  });

  it('sets up the owner', async () => {
    await page.goto(server.url);
    await setUpOwner(run, OWNER);
  });

  it('adds a webhook for email.sent and shows its signing secret once', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks', exact: true }).click();
    await heading('Webhooks').waitFor();
    await page.getByText('No webhooks yet').waitFor();
    await button('Add webhook').first().click();

    const form = dialog('Add webhook');
    await form.getByLabel('Endpoint URL', { exact: true }).fill(receiver.url);
    await form.getByRole('button', { name: 'Add webhook', exact: true }).click();
    await form.getByText('Choose at least one event type.').waitFor();
    await form.getByRole('checkbox', { name: 'email.sent', exact: true }).check();
    expect(await axeViolations(page)).toEqual([]);
    await form.getByRole('button', { name: 'Add webhook', exact: true }).click();

    const created = dialog('Webhook created');
    secret = (await created.getByTestId('signing-secret').textContent())!;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{32,}$/);
    await created.getByText('you will not see it again here').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await created.getByRole('button', { name: 'Done' }).click();
    await created.waitFor({ state: 'detached' });

    // Behind the dialog: the new endpoint's page, without the secret on it.
    await page.getByRole('heading', { name: receiver.url }).waitFor();
    webhookId = /#\/webhooks\/([^/]+)$/.exec(page.url())![1]!;
    expect(await page.locator('main').textContent()).not.toContain(secret);
    await page.getByText('Enabled', { exact: true }).waitFor();

    await page.getByRole('link', { name: '← All webhooks' }).click();
    const row = page.locator(`tr[data-webhook-id="${webhookId}"]`);
    await row.getByText('email.sent').waitFor();
    expect(await row.textContent()).toContain('Enabled');
    expect(await axeViolations(page)).toEqual([]);
    expect(await page.locator('main').textContent()).not.toContain(secret);
    await row.getByRole('link', { name: receiver.url }).click();
    await page.getByRole('heading', { name: receiver.url }).waitFor();
  });

  it('sends a test event: the receiver gets a signed POST, the log shows it delivered with one 200 attempt', async () => {
    await button('Send test event').click();
    const delivery = await waitFor(() => receiver.received[0], 20_000);
    const eventId = String(delivery.headers['webhook-id']);
    // The secret the dialog showed is the one that signs.
    const payload = new StandardWebhook(secret).verify(delivery.body, delivery.headers as Record<string, string>) as { type: string };
    expect(payload.type).toBe('webhook.test');

    const row = page.locator(`tr[data-event-id="${eventId}"]`);
    await row.getByText('Success', { exact: true }).waitFor({ timeout: 15_000 });
    expect(await row.textContent()).toContain('webhook.test');

    await row.getByRole('link', { name: 'webhook.test' }).click();
    const panel = dialog('webhook.test');
    const attempts = panel.locator('tr[data-attempt-id]');
    await attempts.first().waitFor();
    expect(await attempts.count()).toBe(1);
    expect(await attempts.first().locator('td[data-label="HTTP status"]').textContent()).toBe('200');
    expect(await panel.locator('pre.webhook-payload').textContent()).toContain('"type": "webhook.test"');
    expect(await axeViolations(page)).toEqual([]);

    // Replay: the same event (same webhook-id) again, a second attempt.
    await panel.getByRole('button', { name: 'Replay', exact: true }).click();
    await waitFor(() => receiver.received[1], 20_000);
    expect(receiver.received[1]!.headers['webhook-id']).toBe(eventId);
    await expect.poll(() => attempts.count(), { timeout: 15_000 }).toBe(2);
    await panel.getByRole('button', { name: 'Close', exact: true }).click();
    await panel.waitFor({ state: 'detached' });
    expect(await axeViolations(page)).toEqual([]);
  });

  it('reveals the signing secret only when asked', async () => {
    expect(await page.getByTestId('revealed-secret').count()).toBe(0);
    await button('Reveal secret').click();
    expect(await page.getByTestId('revealed-secret').textContent()).toBe(secret);
    await button('Hide').click();
    expect(await page.getByTestId('revealed-secret').count()).toBe(0);
  });

  it('a viewer reads the webhook, and sees the server refuse a write and the secret', async () => {
    const viewer = await signedInViewer(page, run.browser, server.url, VIEWER);

    await viewer.goto(`${server.url}/#/webhooks/${webhookId}`);
    await viewer.getByRole('heading', { name: receiver.url }).waitFor();
    await viewer.locator('tr[data-event-id]').first().waitFor();
    await viewer.getByRole('button', { name: 'Send test event', exact: true }).click();
    await viewer.getByRole('alert').getByText('Your role (viewer) does not allow this').waitFor();
    // Nor does the server hand a viewer the signing secret.
    await viewer.getByRole('button', { name: 'Reveal secret' }).click();
    await viewer.getByText('Only members who can edit webhooks can see the signing secret.').waitFor();
    expect(await viewer.getByTestId('revealed-secret').count()).toBe(0);
    await viewer.context().close();
  });

  it('disables the webhook: the status changes', async () => {
    await button('Disable webhook').click();
    await button('Enable webhook').waitFor();
    await page.getByRole('heading', { name: receiver.url }).getByText('Disabled', { exact: true }).waitFor();
    const listed = await dashboardApi(page, '/webhooks');
    expect((listed.body as { data: { id: string; status: string }[] }).data).toEqual([expect.objectContaining({ id: webhookId, status: 'disabled' })]);
  });

  it('rotates the signing secret: the new one is shown once, the old one works for 24 hours', async () => {
    await button('Rotate secret').click();
    const confirm = dialog('Rotate signing secret?');
    await confirm.getByText('The old one keeps working for 24 hours', { exact: false }).waitFor();
    await confirm.getByRole('button', { name: 'Rotate secret', exact: true }).click();

    const rotated = dialog('Signing secret rotated');
    const fresh = (await rotated.getByTestId('signing-secret').textContent())!;
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(secret);
    await rotated.getByText('The old secret keeps working for 24 hours', { exact: false }).waitFor();
    await rotated.getByRole('button', { name: 'Done' }).click();
    await rotated.waitFor({ state: 'detached' });
    await button('Reveal secret').click();
    expect(await page.getByTestId('revealed-secret').textContent()).toBe(fresh);
  });

  it('deletes the webhook after confirmation', async () => {
    await button('Delete').click();
    const confirm = dialog('Delete this webhook?');
    await confirm.getByRole('button', { name: 'Delete webhook', exact: true }).click();
    await heading('Webhooks').waitFor();
    await page.getByText('No webhooks yet').waitFor();
    expect((await dashboardApi(page, `/webhooks/${webhookId}`)).status).toBe(404);
  });

  it('suppressions: adds an address by hand, lists it, removes it after confirmation', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Suppressions', exact: true }).click();
    await heading('Suppressions').waitFor();
    await page.getByText('No suppressed addresses').waitFor();

    await page.getByLabel('Email address', { exact: true }).fill('not an address');
    await button('Suppress address').click();
    await page.locator('.field-error', { hasText: 'is not a valid email address' }).waitFor();

    await page.getByLabel('Email address', { exact: true }).fill('gone@hooks.example');
    await button('Suppress address').click();
    const row = page.locator('tr[data-suppression-id]', { hasText: 'gone@hooks.example' });
    await row.waitFor();
    expect(await row.textContent()).toContain('Manual');
    expect(await axeViolations(page)).toEqual([]);

    await row.getByRole('button', { name: 'Remove gone@hooks.example' }).click();
    const confirm = dialog('Remove gone@hooks.example?');
    await confirm.getByRole('button', { name: 'Remove suppression', exact: true }).click();
    await confirm.waitFor({ state: 'detached' });
    await page.getByText('No suppressed addresses').waitFor();
    const listed = await dashboardApi(page, '/suppressions');
    expect((listed.body as { data: unknown[] }).data).toEqual([]);
  });
});
