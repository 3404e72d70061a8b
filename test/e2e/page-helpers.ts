import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';

// What the dashboard's end-to-end tests do on a signed-in page, in one place.

/**
 * axe's serious and critical violations on the page as it is now, as `id: targets` lines. The
 * message frames (an email's or a template preview's HTML) are left out: their content is the
 * sender's own, and axe cannot run inside a frame sandboxed without scripts (it waits without end).
 */
export async function axeViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).exclude('iframe.message-frame').analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** A dashboard API call from the signed-in page (its cookie, its CSRF token). */
export function dashboardApi(page: Page, route: string, method = 'GET', body?: unknown): Promise<{ status: number; body: unknown }> {
  return page.evaluate(
    async ([route, method, body]) => {
      const me = (await (await fetch('/dashboard/api/me')).json()) as { csrf_token: string };
      const headers: Record<string, string> = { 'x-csrf-token': me.csrf_token };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`/dashboard/api${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: response.status, body: (await response.json()) as unknown };
    },
    [route, method, body] as const,
  );
}

/**
 * Invites a viewer from the owner's signed-in page and accepts the invitation in a new browser
 * context; returns the viewer's signed-in page.
 */
export async function signedInViewer(owner: Page, browser: Browser, serverUrl: string, viewer: { email: string; password: string }): Promise<Page> {
  const invited = await dashboardApi(owner, '/invitations', 'POST', { email: viewer.email, role: 'viewer' });
  expect(invited.status).toBe(201);
  const inviteUrl = (invited.body as { invite_url: string }).invite_url;
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  page.setDefaultTimeout(10_000);
  // The server listens on a port picked at start, which POSTGATE_PUBLIC_URL cannot name.
  await page.goto(`${serverUrl}/${inviteUrl.slice(inviteUrl.indexOf('#'))}`);
  await page.getByLabel('Password', { exact: true }).fill(viewer.password);
  await page.getByRole('button', { name: 'Accept invitation' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  return page;
}
