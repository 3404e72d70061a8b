import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

// Debian's Chromium driven by playwright-core, for the end-to-end tests. A fresh temporary
// profile per launch (playwright's default), nothing fetched from the network.

export const CHROMIUM = '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`The dashboard tests drive Debian's Chromium at ${CHROMIUM}: install it with apt-get install -y chromium`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
}

const DOCS = path.resolve(import.meta.dirname, '../../docs/screenshots');
const SCRATCH = path.resolve(import.meta.dirname, '../../test-results/screenshots');

/**
 * Saves a screenshot for the README. Tokens and dates differ on every run, so the committed copy
 * in docs/screenshots/ is written only when missing or with UPDATE_SCREENSHOTS=1; other runs
 * write to test-results/ (ignored by git) so `npm test` leaves the working tree clean.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  const docsFile = path.join(DOCS, name);
  const dir = process.env.UPDATE_SCREENSHOTS || !existsSync(docsFile) ? DOCS : SCRATCH;
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  await page.screenshot({ path: file, animations: 'disabled', caret: 'hide' });
  return file;
}

/** Polls `read` until it returns a value (or throws after `ms`). */
export async function waitFor<T>(read: () => T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Polls the async `check` until it holds (or throws after `ms`). */
export async function waitForAsync(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
