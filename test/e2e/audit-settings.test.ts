import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '../processes.js';
import { setUpOwner, startDashboardRun, type DashboardRun } from './dashboard-run.js';

// Settings (projects) and the audit log end to end: a real `postgate start` on a fresh PGlite
// data directory and Debian's Chromium; the steps share one page, in order.

const OWNER = { email: 'owner@audit.example', password: 'correct horse battery staple', org: 'Audit Corp' };

describe('settings and audit log (browser, real server)', () => {
  let server: ServerProcess;
  let run: DashboardRun;
  let page: Page;

  const projectRow = (name: string) => page.locator('tr[data-project-id]', { hasText: name });
  const auditRow = (action: string) => page.locator(`tr[data-action="${action}"]`);

  beforeAll(async () => {
    run = await startDashboardRun('audit', 10000);
    ({ server, page } = run);
  }, 240_000);
  afterAll(async () => run?.close());

  it('sets up the owner and signs in', async () => {
    await page.goto(server.url);
    await setUpOwner(run, OWNER);
  });

  it('creates a project on Settings and renames it; the default project is marked', async () => {
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    await page.getByRole('heading', { name: 'Settings', exact: true }).waitFor();
    await page.locator('tr[data-project-id]').first().waitFor();
    expect(await page.locator('tr[data-project-id]', { hasText: 'Default' }).count()).toBe(1);

    await page.getByLabel('Project name', { exact: true }).fill('Marketing');
    await page.getByRole('button', { name: 'Create project' }).click();
    await projectRow('Marketing').waitFor();
    expect(await projectRow('Marketing').textContent()).not.toContain('Default');

    await page.getByRole('button', { name: 'Rename Marketing' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rename Marketing' });
    await dialog.getByLabel('Name', { exact: true }).fill('Growth');
    await dialog.getByRole('button', { name: 'Save name' }).click();
    await dialog.waitFor({ state: 'detached' });
    await projectRow('Growth').waitFor();
  });

  it('refuses to delete the default project with the server’s message (409)', async () => {
    const defaultRow = page.locator('tr[data-project-id]', { hasText: 'Default' });
    await defaultRow.getByRole('button', { name: /^Delete / }).click();
    const confirm = page.getByRole('dialog', { name: /^Delete / });
    await confirm.getByRole('button', { name: 'Delete project' }).click();
    await confirm.getByRole('alert').getByText('The default project cannot be deleted').waitFor();
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
  });

  it('shows project.created and project.renamed in the audit log, with the changes, and filters by action', async () => {
    await page.getByRole('link', { name: 'Audit log', exact: true }).click();
    await page.getByRole('heading', { name: 'Audit log', exact: true }).waitFor();
    await auditRow('project.renamed').waitFor();
    await auditRow('project.created').waitFor();
    // Newest first: the rename comes before the creation.
    const actions = await page.locator('tr[data-action]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
    expect(actions.indexOf('project.renamed')).toBeLessThan(actions.indexOf('project.created'));
    expect(await auditRow('project.renamed').textContent()).toContain(OWNER.email);

    // A row expands to its before/after changes, user agent and request id.
    await auditRow('project.renamed').getByRole('button', { name: /^Show details of project\.renamed/ }).click();
    const expanded = auditRow('project.renamed').getByRole('button', { name: /^Hide details of project\.renamed/ });
    expect(await expanded.getAttribute('aria-expanded')).toBe('true');
    const detail = page.locator('tr.audit-detail');
    const nameChange = detail.locator('tr[data-field="name"]');
    expect(await nameChange.locator('[data-change="before"]').textContent()).toBe('Marketing');
    expect(await nameChange.locator('[data-change="after"]').textContent()).toBe('Growth');
    expect(await detail.textContent()).toContain('Chrome');

    await page.getByLabel('Action', { exact: true }).fill('project.created');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await auditRow('project.renamed').waitFor({ state: 'detached' });
    expect(new Set(await page.locator('tr[data-action]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action'))))).toEqual(new Set(['project.created']));

    await page.getByLabel('Action', { exact: true }).fill('project.*');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await auditRow('project.renamed').waitFor();

    // A bad action is the API's validation error, shown on the page.
    await page.getByLabel('Action', { exact: true }).fill('not an action');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByRole('alert').getByText(/an action such as api_key\.created/).waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await auditRow('project.renamed').waitFor();
  });

  it('switches the dashboard to the new project: keys made there stay there', async () => {
    await page.reload();
    const switcher = page.getByLabel('Project', { exact: true });
    // The switch is saved, then the page reloads: wait for that reload, not the page already loaded.
    await Promise.all([page.waitForEvent('load'), switcher.selectOption({ label: 'Growth' })]);
    await page.getByRole('link', { name: 'API keys', exact: true }).click();
    await page.getByRole('heading', { name: 'API keys', exact: true }).waitFor();
    expect(await page.getByLabel('Project', { exact: true }).locator('option:checked').textContent()).toBe('Growth');
    // The project is not empty once it holds a key: made and deleted here through the API.
    const made = await page.evaluate(async () => {
      const me = (await (await fetch('/dashboard/api/me')).json()) as { csrf_token: string };
      const headers = { 'content-type': 'application/json', 'x-csrf-token': me.csrf_token };
      const key = (await (await fetch('/dashboard/api/api-keys', { method: 'POST', headers, body: JSON.stringify({ name: 'growth-key' }) })).json()) as { id: string };
      const listed = (await (await fetch('/dashboard/api/api-keys')).json()) as { data: { name: string }[] };
      await fetch(`/dashboard/api/api-keys/${key.id}`, { method: 'DELETE', headers: { 'x-csrf-token': me.csrf_token } });
      return listed.data.map((k) => k.name);
    });
    expect(made).toEqual(['growth-key']);
  });

  it('deletes the empty project after confirmation; the deletion is audited', async () => {
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    await page.getByRole('button', { name: 'Delete Growth' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete Growth?' });
    await confirm.getByRole('button', { name: 'Delete project' }).click();
    await confirm.waitFor({ state: 'detached' });
    await projectRow('Growth').waitFor({ state: 'detached' });

    await page.getByRole('link', { name: 'Audit log', exact: true }).click();
    await auditRow('project.deleted').waitFor();
  });
});
