import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';

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
