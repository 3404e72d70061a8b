import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '../processes.js';
import { setUpOwner, startDashboardRun, type DashboardRun } from './dashboard-run.js';
import { axeViolations, dashboardApi, signedInViewer } from './page-helpers.js';

// The Templates page end to end (issue 24, must-show 4): a real `postgate start` on a fresh PGlite
// data directory and Debian's Chromium creating a template with a variable, previewing it with a
// sample value in the sandboxed frame (read from inside the frame), saving, publishing, then
// duplicating and deleting; a viewer reads and previews but gets no write buttons. The steps
// share one page, in order.

const OWNER = { email: 'owner@templates.example', password: 'correct horse battery staple', org: 'Templates Corp' };
const VIEWER = { email: 'viewer@templates.example', password: 'a viewer password' };

type TemplateJson = { id: string; name: string; status: string; has_unpublished_versions: boolean; html: string; subject: string | null; variables: { key: string }[] };

describe('templates page (browser, real server)', () => {
  let server: ServerProcess;
  let run: DashboardRun;
  let page: Page;
  let templateId = '';

  const button = (name: string) => page.getByRole('button', { name, exact: true });
  const heading = (name: string) => page.getByRole('heading', { name, exact: true });
  const preview = () => page.frameLocator('iframe.message-frame').locator('body');
  const stored = async (): Promise<TemplateJson> => (await dashboardApi(page, `/templates/${templateId}`)).body as TemplateJson;

  beforeAll(async () => {
    run = await startDashboardRun('templates', 10_000);
    ({ server, page } = run);
  }, 240_000);
  afterAll(async () => run?.close());

  it('sets up the owner', async () => {
    await page.goto(server.url);
    await setUpOwner(run, OWNER);
  });

  it('creates a template with a declared variable; a field the server refuses shows its error beside it', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Templates', exact: true }).click();
    await heading('Templates').waitFor();
    await page.getByText('No templates yet').waitFor();
    await page.getByRole('link', { name: 'New template' }).first().click();
    await heading('New template').waitFor();

    await page.getByLabel('Name', { exact: true }).fill('Welcome');
    await page.getByLabel('Alias', { exact: true }).fill('welcome');
    await page.getByLabel('Subject', { exact: true }).fill('Welcome, {{{NAME}}}');
    // The script must not run: the preview frame is sandboxed.
    await page.getByLabel('HTML', { exact: true }).fill('<h1>Hello {{{NAME}}}</h1><p>Glad you are here.</p><script>document.body.textContent = "script ran"</script>');
    await page.getByLabel('Text', { exact: true }).fill('Hello {{{NAME}}}');
    await button('Add variable').click();
    const row = page.locator('[data-variable-row="0"]');
    // A reserved key: the server's refusal (variables[0].key) shows under that row's key.
    await row.getByLabel('Key', { exact: true }).fill('EMAIL');
    await row.getByLabel('Fallback value', { exact: true }).fill('friend');
    await button('Create template').click();
    await row.locator('.field-error', { hasText: 'EMAIL is reserved' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);

    await row.getByLabel('Key', { exact: true }).fill('NAME');
    await button('Create template').click();
    await page.waitForFunction(() => /#\/templates\/tmpl_/.test(window.location.hash));
    templateId = /#\/templates\/([^/]+)$/.exec(page.url())![1]!;
    await heading('Welcome Draft').waitFor();
    expect((await stored()).variables.map((v) => v.key)).toEqual(['NAME']);
  });

  it('previews the draft in a sandboxed frame: the fallback, then a typed sample value, escaped', async () => {
    expect(await page.locator('iframe.message-frame').getAttribute('sandbox')).toBe('');
    await preview().getByRole('heading', { name: 'Hello friend' }).waitFor();
    expect(await page.locator('.message-headers').textContent()).toContain('Welcome, friend');

    await page.getByLabel('NAME', { exact: true }).fill('Ada <b>');
    // Escaped in the html: the sample shows as text, not as markup.
    await preview().getByRole('heading', { name: 'Hello Ada <b>' }).waitFor();
    expect(await preview().locator('b').count()).toBe(0);
    expect(await preview().innerText()).not.toContain('script ran');
    expect(await page.locator('.message-headers').textContent()).toContain('Welcome, Ada <b>');
    await button('Text').click();
    await page.locator('.message-text', { hasText: 'Hello Ada <b>' }).waitFor();
    await button('HTML').click();
    expect(await axeViolations(page)).toEqual([]);
  });

  it('saves an edit: an undeclared variable is refused at the HTML field, a fixed one saves and previews', async () => {
    const html = page.getByLabel('HTML', { exact: true });
    await html.fill('<h1>Hi {{{NAME}}} from {{{TEAM}}}</h1>');
    await page.getByText('Unsaved changes.').waitFor();
    await page.getByText('The preview shows the saved draft.').waitFor();
    await button('Save draft').click();
    await page.locator('.field-error', { hasText: 'variable TEAM at line 1' }).waitFor();

    await html.fill('<h1>Hi {{{NAME}}}</h1>');
    await button('Save draft').click();
    await page.getByText('Draft saved.').waitFor();
    // The sample typed before the save is kept, and the saved draft renders with it.
    await preview().getByRole('heading', { name: 'Hi Ada <b>' }).waitFor();
    expect((await stored()).html).toBe('<h1>Hi {{{NAME}}}</h1>');
    expect(await button('Save draft').isDisabled()).toBe(true);
  });

  it('publishes: the status changes to published, and a later edit is an unpublished change', async () => {
    await button('Publish').click();
    await heading('Welcome Published').waitFor();
    await page.getByText('Published: emails sent with this template use this version from now on.').waitFor();
    expect(await stored()).toMatchObject({ status: 'published', has_unpublished_versions: false });
    expect(await button('Publish').isDisabled()).toBe(true);

    await page.getByLabel('Subject', { exact: true }).fill('Welcome aboard, {{{NAME}}}');
    await button('Save draft').click();
    await heading('Welcome Published Unpublished changes').waitFor();
    expect(await stored()).toMatchObject({ status: 'published', has_unpublished_versions: true, subject: 'Welcome aboard, {{{NAME}}}' });

    await page.getByRole('link', { name: '← All templates' }).click();
    const listed = page.locator(`tr[data-template-id="${templateId}"]`);
    await listed.getByText('Unpublished changes').waitFor();
    expect(await listed.textContent()).toContain('Published');
    expect(await listed.textContent()).toContain('welcome');
    expect(await axeViolations(page)).toEqual([]);
    await listed.getByRole('link', { name: 'Welcome' }).click();
    await heading('Welcome Published Unpublished changes').waitFor();
  });

  it('an email sent with the template shows, in its detail, the template and the variables used', async () => {
    const key = await dashboardApi(page, '/api-keys', 'POST', { name: 'templates-e2e', mode: 'test' });
    const token = (key.body as { token: string }).token;
    const sent = await fetch(`${server.url}/emails`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'hello@templates.example', to: ['ada@customer.example'], template: { id: templateId, variables: { NAME: 'Ada' } } }),
    });
    expect(sent.status).toBe(200);
    const { id } = (await sent.json()) as { id: string };

    await page.goto(`${server.url}/#/emails/${id}`);
    // The published version's subject, not the draft's unpublished "Welcome aboard".
    const panel = page.getByRole('dialog', { name: 'Welcome, Ada' });
    const section = panel.getByRole('region', { name: 'Template' });
    expect(await section.locator('.message-header').textContent()).toBe('NAMEAda');
    expect(await axeViolations(page)).toEqual([]);
    await section.getByRole('link', { name: templateId }).click();
    await heading('Welcome Published Unpublished changes').waitFor();
  });

  it('a viewer reads and previews the template, without write buttons', async () => {
    const viewer = await signedInViewer(page, run.browser, server.url, VIEWER);

    await viewer.goto(`${server.url}/#/templates`);
    await viewer.locator(`tr[data-template-id="${templateId}"]`).waitFor();
    expect(await viewer.getByRole('link', { name: 'New template' }).count()).toBe(0);
    await viewer.goto(`${server.url}/#/templates/${templateId}`);
    await viewer.frameLocator('iframe.message-frame').locator('body').getByRole('heading', { name: 'Hi friend' }).waitFor();
    for (const name of ['Save draft', 'Publish', 'Duplicate', 'Delete', 'Add variable']) {
      expect(await viewer.getByRole('button', { name, exact: true }).count(), name).toBe(0);
    }
    expect(await viewer.getByLabel('HTML', { exact: true }).getAttribute('readonly')).not.toBeNull();
    await viewer.context().close();
  });

  it('duplicates the template, then deletes the copy after confirmation', async () => {
    await button('Duplicate').click();
    await heading('Welcome (copy) Draft').waitFor();
    const copyId = /#\/templates\/([^/]+)$/.exec(page.url())![1]!;
    expect(copyId).not.toBe(templateId);
    // The copy has no alias (the alias stays with the original).
    expect(await page.getByLabel('Alias', { exact: true }).inputValue()).toBe('');

    await button('Delete').click();
    const confirm = page.getByRole('dialog', { name: 'Delete Welcome (copy)?' });
    expect(await axeViolations(page)).toEqual([]);
    await confirm.getByRole('button', { name: 'Delete template', exact: true }).click();
    await heading('Templates').waitFor();
    await page.locator(`tr[data-template-id="${copyId}"]`).waitFor({ state: 'detached' });
    expect(await page.locator('tr[data-template-id]').count()).toBe(1);
    await page.locator(`tr[data-template-id="${templateId}"]`).waitFor();
    expect((await dashboardApi(page, `/templates/${copyId}`)).status).toBe(404);
  });
});
