import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freshPostgresDatabase } from './harness.js';
import { runPostgate, startPostgate, type ServerProcess } from './processes.js';

const run = runPostgate;

describe('postgate CLI on the embedded PGlite', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'postgate-cli-'));
  // DATABASE_URL emptied: this suite is about the embedded database even when CI sets it.
  const env = { POSTGATE_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', DATABASE_URL: '', REDIS_URL: '' };
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    for (const server of servers) await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates an organization and a key with no server running; --json prints one object', async () => {
    const org = await run(['org', 'create', 'acme', '--json'], env);
    expect(org.code, org.stderr).toBe(0);
    expect(org.stdout.trim().split('\n')).toHaveLength(1);
    const orgJson = JSON.parse(org.stdout) as { id: string; plan: string };
    expect(orgJson).toMatchObject({ object: 'organization', name: 'acme', plan: 'free' });
    const key = await run(['keys', 'create', '--org', orgJson.id, '--name', 'ci', '--json'], env);
    expect(key.code, key.stderr).toBe(0);
    expect(JSON.parse(key.stdout).token).toMatch(/^pgt_live_/);
  });

  it('adds domains: pending by default, verified on the operator\'s word with --verified', async () => {
    const org = JSON.parse((await run(['org', 'create', 'domains-org', '--json'], env)).stdout) as { id: string };
    const pending = await run(['domains', 'add', '--org', org.id, 'mail.example.com', '--json'], env);
    expect(pending.code, pending.stderr).toBe(0);
    const pendingJson = JSON.parse(pending.stdout) as { status: string; records: { type: string }[] };
    expect(pendingJson.status).not.toBe('verified');
    expect(pendingJson.records.length).toBeGreaterThanOrEqual(2);
    const trusted = await run(['domains', 'add', '--org', org.id, 'send.example.com', '--verified', '--json'], env);
    expect(JSON.parse(trusted.stdout)).toMatchObject({ object: 'domain', name: 'send.example.com', status: 'verified' });
    expect(trusted.stdout).not.toMatch(/PRIVATE KEY/);
    const bad = await run(['domains', 'add', '--org', org.id, 'not a domain'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/validation_error/);
  });

  it('creates a project and puts a key and a domain in it; the key sees only its project', async () => {
    const org = JSON.parse((await run(['org', 'create', 'projects-org', '--json'], env)).stdout) as { id: string };
    const project = await run(['projects', 'create', '--org', org.id, 'Billing', '--json'], env);
    expect(project.code, project.stderr).toBe(0);
    const projectJson = JSON.parse(project.stdout) as { id: string };
    expect(projectJson).toMatchObject({ object: 'project', name: 'Billing', default: false });
    const key = JSON.parse((await run(['keys', 'create', '--org', org.id, '--project', projectJson.id, '--name', 'billing', '--json'], env)).stdout) as { token: string };
    const inProject = JSON.parse((await run(['domains', 'add', '--org', org.id, '--project', projectJson.id, 'billing.example.com', '--json'], env)).stdout) as { id: string };
    const inDefault = JSON.parse((await run(['domains', 'add', '--org', org.id, 'default.example.com', '--json'], env)).stdout) as { id: string };
    const elsewhere = await run(['keys', 'create', '--org', org.id, '--project', 'proj_nope', '--name', 'x'], env);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toMatch(/not_found/);

    const server = await startPostgate({ POSTGATE_DATA_DIR: dataDir, DATABASE_URL: '', REDIS_URL: '', SMTP_PORT: '0', SMTPS_PORT: '0' });
    servers.push(server);
    const listed = (await (await fetch(`${server.url}/domains`, { headers: { authorization: `Bearer ${key.token}` } })).json()) as { data: { id: string }[] };
    expect(listed.data.map((d) => d.id)).toEqual([inProject.id]);
    expect(listed.data.map((d) => d.id)).not.toContain(inDefault.id);
    await server.stop();
    servers.splice(servers.indexOf(server), 1);
  });

  it('works the same while a server holds the data directory, and the server accepts the new key', async () => {
    const server = await startPostgate(env);
    servers.push(server);
    const org = JSON.parse((await run(['org', 'create', 'beta', '--plan', 'pro', '--json'], env)).stdout) as { id: string };
    const key = await run(['keys', 'create', '--org', org.id, '--name', 'live', '--permission', 'sending_access', '--json'], env);
    expect(key.code, key.stderr).toBe(0);
    const token = JSON.parse(key.stdout).token as string;
    const whoami = await fetch(`${server.url}/whoami`, { headers: { authorization: `Bearer ${token}` } });
    expect(whoami.status).toBe(200);
    expect(((await whoami.json()) as { organization: { plan: string } }).organization.plan).toBe('pro');

    const plan = await run(['org', 'plan', org.id, 'scale', '--json'], env);
    expect(plan.code, plan.stderr).toBe(0);
    const after = await fetch(`${server.url}/whoami`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await after.json()) as { organization: { plan: string } }).organization.plan).toBe('scale');

    const second = await run(['start', '--roles', 'api'], env);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toMatch(/Another Postgate \(pid \d+\) is running/);
    await server.stop();
  });

  it('refuses bad configuration with one line naming the variable, and bad arguments clearly', async () => {
    const bad = await run(['start'], { ...env, PORT: 'abc' });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/PORT/);
    const plan = await run(['org', 'plan', 'org_x', 'gold'], env);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toMatch(/plan: must be one of free, pro, scale, unlimited/);
    const missing = await run(['keys', 'create', '--org', 'org_nope', '--name', 'x'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not_found/);
  });
});

describe.runIf(process.env.DATABASE_URL)('postgate CLI on PostgreSQL', () => {
  it('creates an organization and a key directly on the database', async () => {
    const db = await freshPostgresDatabase();
    try {
      const env = { DATABASE_URL: db.url, LOG_LEVEL: 'warn' };
      expect((await run(['migrate'], env)).code).toBe(0);
      const org = await run(['org', 'create', 'pg-org', '--json'], env);
      expect(org.code, org.stderr).toBe(0);
      const key = await run(['keys', 'create', '--org', (JSON.parse(org.stdout) as { id: string }).id, '--name', 'ci', '--json'], env);
      expect(JSON.parse(key.stdout).token).toMatch(/^pgt_live_/);
    } finally {
      await db.drop();
    }
  });
});
