import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { runPostgate, startPostgate, type ServerProcess } from '../processes.js';
import { launchChromium, waitFor } from './browser.js';

/** A real `postgate start` on a fresh PGlite data directory, and a Chromium page for it. */
export type DashboardRun = Readonly<{ server: ServerProcess; browser: Browser; page: Page; setupCode: string; close(): Promise<void> }>;

export type Owner = Readonly<{ email: string; password: string; org: string }>;

/** The roles the server runs (`api` unless told, `api,worker` to deliver webhooks), and environment added to the defaults. */
export type DashboardServerOptions = Readonly<{ roles?: string; env?: Record<string, string> }>;

export async function startDashboardRun(label: string, defaultTimeoutMs = 10_000, options: DashboardServerOptions = {}): Promise<DashboardRun> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `postgate-e2e-${label}-`));
  const env = { POSTGATE_DATA_DIR: dataDir, DATABASE_URL: '', REDIS_URL: '', SMTP_PORT: '0', SMTPS_PORT: '0', ...options.env };
  // The embedded database is created first, on its own: on a busy machine a first start (initdb)
  // can take longer than startPostgate waits for a server.
  const migrated = await runPostgate(['migrate'], env, '', 150_000);
  if (migrated.code !== 0) throw new Error(`postgate migrate failed: ${migrated.stderr}`);
  const server = await startPostgate(env, options.roles ?? 'api');
  const setupCode = await waitFor(() => /Setup code\s+([0-9A-Z-]{23})/.exec(server.output())?.[1]);
  const browser = await launchChromium();
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  page.setDefaultTimeout(defaultTimeoutMs);
  return {
    server,
    browser,
    page,
    setupCode,
    close: async () => {
      await browser.close();
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Claims the fresh install through the setup page; signed in on the API keys page after. */
export async function setUpOwner(run: DashboardRun, owner: Owner): Promise<void> {
  const { page } = run;
  await page.getByLabel('Setup code', { exact: true }).fill(run.setupCode);
  await page.getByLabel('Organization name', { exact: true }).fill(owner.org);
  await page.getByLabel('Your email', { exact: true }).fill(owner.email);
  await page.getByLabel('Password', { exact: true }).fill(owner.password);
  await page.getByRole('button', { name: 'Create owner account' }).click();
  await page.getByRole('heading', { name: 'API keys', exact: true }).waitFor();
}
