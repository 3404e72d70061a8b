import * as OTPAuth from 'otpauth';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '../processes.js';
import { setUpOwner, startDashboardRun, type DashboardRun } from './dashboard-run.js';

// Team, account and two-factor sign-in end to end: a real `postgate start` on a fresh PGlite data
// directory and Debian's Chromium. The owner invites a developer, turns on TOTP (the code computed
// here with otpauth, as an authenticator app would), signs out and back in with password then
// code, then with a recovery code, which works once; the invitee joins through the link.

const OWNER = { email: 'owner@team.example', password: 'correct horse battery staple', org: 'Team Corp' };
const STEP_MS = 30_000;

describe('team, account and two-factor sign-in (browser, real server)', () => {
  let server: ServerProcess;
  let run: DashboardRun;
  let page: Page;
  let inviteUrl: string;
  let totp: OTPAuth.TOTP;
  let lastStep = 0;
  let recoveryCodes: string[] = [];

  /** The authenticator's code, never one of a step already used (the server accepts each once). */
  const freshCode = async (): Promise<string> => {
    while (Math.floor(Date.now() / STEP_MS) <= lastStep) await new Promise((r) => setTimeout(r, 250));
    lastStep = Math.floor(Date.now() / STEP_MS);
    return totp.generate({ timestamp: lastStep * STEP_MS + 1000 });
  };

  // The server listens on a port picked at start (PORT=0), which POSTGATE_PUBLIC_URL cannot name.
  const onThisServer = (url: string): string => `${server.url}/${url.slice(url.indexOf('#'))}`;

  const signOut = async (): Promise<void> => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
  };
  // Signed in again on the page the address names (the Account page here).
  const signedIn = () => page.getByRole('button', { name: 'Sign out' }).waitFor();
  const enterPassword = async (): Promise<void> => {
    await page.getByLabel('Email', { exact: true }).fill(OWNER.email);
    await page.getByLabel('Password', { exact: true }).fill(OWNER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Two-factor sign-in' }).waitFor();
  };

  beforeAll(async () => {
    run = await startDashboardRun('team', 10000);
    ({ server, page } = run);
  }, 240_000);
  afterAll(async () => run?.close());

  it('sets up the owner', async () => {
    await page.goto(server.url);
    await setUpOwner(run, OWNER);
  });

  it('invites a developer on the Team page: the link is shown once', async () => {
    await page.getByRole('link', { name: 'Team', exact: true }).click();
    await page.getByRole('heading', { name: 'Team', exact: true }).waitFor();
    await page.locator('tr[data-member-id]', { hasText: OWNER.email }).waitFor();
    await page.getByLabel('Email', { exact: true }).fill('dev@team.example');
    await page.getByLabel('Role', { exact: true }).selectOption('developer');
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    inviteUrl = (await page.getByTestId('invite-link').locator('code').textContent())!;
    expect(inviteUrl).toMatch(/#\/accept-invitation\?token=[A-Za-z0-9_-]{43}$/);
    await page.locator('tr[data-invitation-id]', { hasText: 'dev@team.example' }).waitFor();
  });

  it('turns on two-factor on the Account page: the otpauth URI and secret, then recovery codes once', async () => {
    await page.getByRole('link', { name: 'Account', exact: true }).click();
    await page.getByRole('button', { name: 'Set up two-factor' }).click();
    const uri = (await page.getByTestId('otpauth-uri').textContent())!;
    const secret = (await page.getByTestId('totp-secret').textContent())!;
    totp = OTPAuth.URI.parse(uri) as OTPAuth.TOTP;
    expect(totp.secret.base32).toBe(secret);
    await page.getByLabel('Authentication code', { exact: true }).fill(await freshCode());
    await page.getByRole('button', { name: 'Turn on two-factor' }).click();
    const codes = page.getByTestId('recovery-codes').locator('li');
    await codes.first().waitFor();
    recoveryCodes = await codes.allTextContents();
    expect(recoveryCodes).toHaveLength(10);
    // This browser's session is listed as the current one.
    await page.locator('tr[data-session-id]', { hasText: 'This session' }).waitFor();
  });

  it('signs in in two steps: password, then a code computed from the secret', async () => {
    await signOut();
    await enterPassword();
    await page.getByLabel('Authentication code', { exact: true }).fill('000000' === totp.generate() ? '111111' : '000000');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByText('Wrong or already used code').waitFor();
    await page.getByLabel('Authentication code', { exact: true }).fill(await freshCode());
    await page.getByRole('button', { name: 'Verify' }).click();
    await signedIn();
  }, 60_000);

  it('a recovery code signs in once, and not a second time', async () => {
    await signOut();
    await enterPassword();
    await page.getByLabel('Authentication code', { exact: true }).fill(recoveryCodes[0]!);
    await page.getByRole('button', { name: 'Verify' }).click();
    await signedIn();

    await signOut();
    await enterPassword();
    await page.getByLabel('Authentication code', { exact: true }).fill(recoveryCodes[0]!);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByText('Wrong or already used code').waitFor();
    await page.getByLabel('Authentication code', { exact: true }).fill(recoveryCodes[1]!);
    await page.getByRole('button', { name: 'Verify' }).click();
    await signedIn();
  });

  it('the invitee joins through the link as a developer, who sees the team but cannot invite', async () => {
    const invitee = await (await run.browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    invitee.setDefaultTimeout(10_000);
    await invitee.goto(onThisServer(inviteUrl));
    await invitee.getByRole('heading', { name: 'Join your team' }).waitFor();
    await invitee.getByLabel('Password', { exact: true }).fill('a developer password');
    await invitee.getByRole('button', { name: 'Accept invitation' }).click();
    await invitee.getByRole('heading', { name: 'API keys', exact: true }).waitFor();
    expect(invitee.url()).not.toContain('token=');
    await invitee.getByRole('link', { name: 'Team', exact: true }).click();
    await invitee.locator('tr[data-member-id]', { hasText: 'dev@team.example' }).waitFor();
    expect(await invitee.getByRole('button', { name: 'Invite', exact: true }).count()).toBe(0);
    expect(await invitee.getByRole('button', { name: /^Remove / }).count()).toBe(0);

    await invitee.context().close();

    // The link worked once: another browser opening it later is refused.
    const late = await (await run.browser.newContext()).newPage();
    late.setDefaultTimeout(10_000);
    await late.goto(onThisServer(inviteUrl));
    await late.getByLabel('Password', { exact: true }).fill('another long password');
    await late.getByRole('button', { name: 'Accept invitation' }).click();
    await late.getByText('unknown, already used, revoked or expired').waitFor();
    await late.context().close();
  });
});
