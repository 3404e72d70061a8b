import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '../processes.js';
import { setUpOwner, startDashboardRun, type DashboardRun } from './dashboard-run.js';

// axe-core on every dashboard page the navigation reaches (signed in, with a little data so
// tables render), and on the setup and sign-in pages: no violation of impact serious or critical.

const OWNER = { email: 'owner@a11y.example', password: 'correct horse battery staple', org: 'A11y Corp' };

type Finding = { page: string; id: string; impact: string; help: string; targets: string[] };

describe('accessibility (axe, browser, real server)', () => {
  let server: ServerProcess;
  let run: DashboardRun;
  let page: Page;

  /**
   * The serious and critical violations on the page as it is now. A message's sandboxed frame (the
   * email detail, the template preview) is left out: its content is the sender's HTML, and axe
   * cannot run in a frame without scripts.
   */
  const audit = async (name: string): Promise<Finding[]> => {
    const results = await new AxeBuilder({ page }).exclude('iframe.message-frame').analyze();
    // axe did look: a page with nothing checked would pass vacuously.
    expect(results.passes.length, name).toBeGreaterThan(10);
    if (process.env.A11Y_VERBOSE) console.log(name, results.violations.map((v) => `${v.impact} ${v.id} ${v.nodes.length}`));
    return results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ page: name, id: v.id, impact: v.impact!, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  };

  /** Waits until the page's spinners are gone (its data loaded). */
  const settled = async (): Promise<void> => {
    await page.locator('h1').first().waitFor();
    await page.waitForFunction(() => document.querySelectorAll('.spinner').length === 0);
  };

  beforeAll(async () => {
    run = await startDashboardRun('a11y', 15000);
    ({ server, page } = run);
  }, 240_000);
  afterAll(async () => run?.close());

  it('the setup page', async () => {
    await page.goto(server.url);
    await page.getByRole('heading', { name: 'Set up Postgate' }).waitFor();
    expect(await audit('setup')).toEqual([]);
    await setUpOwner(run, OWNER);
  });

  it('every page reachable from the navigation, signed in', async () => {
    // A key, a domain, a project and a template, so the pages show their tables and not only empty states.
    await page.evaluate(async () => {
      const me = (await (await fetch('/dashboard/api/me')).json()) as { csrf_token: string };
      const post = (route: string, body: unknown): Promise<Response> =>
        fetch(`/dashboard/api${route}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrf_token }, body: JSON.stringify(body) });
      await post('/api-keys', { name: 'a11y-key' });
      await post('/domains', { name: 'a11y.example' });
      await post('/projects', { name: 'A11y project' });
      await post('/templates', { name: 'A11y welcome', html: '<p>Hello {{{NAME}}}</p>', variables: [{ key: 'NAME', type: 'string', fallback_value: 'there' }] });
    });
    await page.reload();
    await settled();

    const nav = page.getByRole('navigation', { name: 'Main' }).getByRole('link');
    const links = await nav.evaluateAll((anchors) => anchors.map((a) => ({ label: a.textContent!.trim(), href: a.getAttribute('href')! })));
    expect(links.length).toBeGreaterThanOrEqual(6);
    expect(links.map((l) => l.label)).toEqual(expect.arrayContaining(['API keys', 'Domains', 'Emails', 'Templates', 'Analytics', 'Audit log', 'Settings']));

    const findings: Finding[] = [];
    for (const link of links) {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link.label, exact: true }).click();
      await page.waitForFunction((href) => window.location.hash === href, link.href);
      await settled();
      findings.push(...(await audit(link.label)));
    }

    // States behind a click: the template editor (form and preview), an expanded audit event and an open dialog.
    await page.getByRole('link', { name: 'Templates', exact: true }).click();
    await settled();
    await page.getByRole('link', { name: 'A11y welcome', exact: true }).click();
    await page.locator('iframe.message-frame').waitFor();
    await settled();
    findings.push(...(await audit('Templates, editor')));

    await page.getByRole('link', { name: 'Audit log', exact: true }).click();
    await settled();
    await page.locator('button.audit-expand').first().click();
    await page.locator('tr.audit-detail').waitFor();
    findings.push(...(await audit('Audit log, event expanded')));
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    await settled();
    await page.getByRole('button', { name: 'Rename A11y project' }).click();
    await page.getByRole('dialog', { name: 'Rename A11y project' }).waitFor();
    findings.push(...(await audit('Settings, rename dialog')));
    await page.keyboard.press('Escape');

    expect(findings).toEqual([]);
  });

  it('the sign-in page', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
    expect(await audit('sign-in')).toEqual([]);
    // With an error shown, too.
    await page.getByLabel('Email', { exact: true }).fill(OWNER.email);
    await page.getByLabel('Password', { exact: true }).fill('wrong password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByText('Wrong email or password').waitFor();
    expect(await audit('sign-in, wrong password')).toEqual([]);
  });
});
