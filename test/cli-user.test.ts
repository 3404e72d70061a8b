import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPostgate, startPostgate, type ServerProcess } from './processes.js';

const run = runPostgate;

/** Signs in through the dashboard API as a browser would (anonymous CSRF token first). */
async function signIn(url: string, email: string, password: string): Promise<number> {
  const anonymous = await fetch(`${url}/dashboard/api/session`);
  const cookie = anonymous.headers.get('set-cookie')!.split(';')[0]!;
  const { csrf_token } = (await anonymous.json()) as { csrf_token: string };
  const res = await fetch(`${url}/dashboard/api/login`, {
    method: 'POST',
    headers: { cookie, 'x-csrf-token': csrf_token, 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  return res.status;
}

describe('postgate user create', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'postgate-cli-user-'));
  const env = { POSTGATE_DATA_DIR: dataDir, LOG_LEVEL: 'warn', DATABASE_URL: '', REDIS_URL: '', SMTP_PORT: '0', SMTPS_PORT: '0' };
  let server: ServerProcess | undefined;
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates dashboard accounts from a password on stdin, with or without a running server', async () => {
    const org = JSON.parse((await run(['org', 'create', 'acme', '--json'], env)).stdout) as { id: string };
    const first = await run(['user', 'create', '--org', org.id, '--email', 'Ann@Acme.example', '--password-stdin', '--json'], env, 'first password 1\n');
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ object: 'user', email: 'ann@acme.example', organization_id: org.id });

    // Never a password in argv.
    const noStdin = await run(['user', 'create', '--org', org.id, '--email', 'b@acme.example'], env);
    expect(noStdin.code).toBe(1);
    expect(noStdin.stderr).toMatch(/--password-stdin/);

    server = await startPostgate(env, 'api');
    // An install with accounts prints no setup code; the database exists (the CLI made it).
    expect(server.output()).not.toMatch(/Setup code/);
    expect(server.output()).not.toMatch(/creating the embedded database/);
    // Through the server's admin socket from here on; the service's rules apply the same.
    const short = await run(['user', 'create', '--org', org.id, '--email', 'b@acme.example', '--password-stdin'], env, 'short\n');
    expect(short.stderr).toMatch(/password: must be 10 to 256 characters/);
    const duplicate = await run(['user', 'create', '--org', org.id, '--email', 'ann@acme.example', '--password-stdin'], env, 'another password\n');
    expect(duplicate.stderr).toMatch(/email: an account with this email already exists/);
    const second = await run(['user', 'create', '--org', org.id, '--email', 'bob@acme.example', '--password-stdin'], env, 'second password 2');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^User usr_\w+ <bob@acme\.example> created in organization org_/);

    expect(await signIn(server.url, 'ann@acme.example', 'first password 1')).toBe(200);
    expect(await signIn(server.url, 'bob@acme.example', 'second password 2')).toBe(200);
    expect(await signIn(server.url, 'bob@acme.example', 'second password 3')).toBe(401);
  }, 90_000);
});
