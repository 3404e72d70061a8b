import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expectStatus, request } from './http.js';
import { freshDatabase } from './postgres.js';
import { postgateCli, postgateJson, startPostgate, type Spawned } from './processes.js';

// A real Postgate for a stage: the operator's way in (`postgate org create --plan unlimited`,
// `postgate keys create`), then `postgate start` pinned to its core.

export const SENDER_DOMAIN = 'bench.example.com';

export type Instance = {
  server: Spawned;
  url: string;
  env: Record<string, string>;
  orgId: string;
  /** A full-access key. */
  token: string;
  /** A verified sending domain, when the CLI could add one. */
  domainId: string | undefined;
  stop(): Promise<void>;
};

export type Backend = { kind: 'pglite'; dataDir: string } | { kind: 'postgres'; url: string };

/** Every file of the run (data dirs, scripts, bodies) lives under this directory, removed at the end. */
export const TMP = mkdtempSync(path.join(tmpdir(), 'postgate-bench-'));

export function removeTmp(): void {
  rmSync(TMP, { recursive: true, force: true });
}

function tmpDir(label: string): string {
  return mkdtempSync(path.join(TMP, `${label}-`));
}

/** A temporary PGlite data directory, or a fresh database on the PostgreSQL server. */
export async function newBackend(kind: 'pglite' | 'postgres', label: string): Promise<Backend> {
  if (kind === 'pglite') return { kind, dataDir: tmpDir(label) };
  return { kind, url: (await freshDatabase(label)).url };
}

export function backendEnv(backend: Backend): Record<string, string> {
  // A data dir in both cases: instances on PostgreSQL keep generated material (TLS) there too.
  if (backend.kind === 'pglite') return { POSTGATE_DATA_DIR: backend.dataDir };
  return { POSTGATE_DATA_DIR: tmpDir('pg'), DATABASE_URL: backend.url };
}

export type Provisioned = { orgId: string; token: string; domainId: string | undefined };

/** Organization on the unlimited plan, a full-access key and a verified domain, through the CLI. */
export async function provision(env: Record<string, string>): Promise<Provisioned> {
  const org = await postgateJson(env, ['org', 'create', 'bench', '--plan', 'unlimited']);
  const orgId = String(org.id);
  const key = await postgateJson(env, ['keys', 'create', '--org', orgId, '--name', 'bench-admin', '--permission', 'full_access']);
  return { orgId, token: String(key.token), domainId: await verifiedDomain(env, orgId) };
}

export async function launch(options: {
  backend: Backend;
  env?: Record<string, string>;
  core?: number;
  roles?: string;
  /** Node options for the server process (--cpu-prof); with `command`, its arguments before node's script. */
  nodeArgs?: string[];
  /** What runs node (valgrind, say), and how long its start may take. */
  command?: string;
  timeoutMs?: number;
  /** Reuse an organization already provisioned on a shared database; 'none': start on an empty one. */
  provisioned?: Provisioned | 'none';
}): Promise<Instance> {
  const env = { ...backendEnv(options.backend), ...options.env };
  const none: Provisioned = { orgId: '', token: '', domainId: undefined };
  const { orgId, token, domainId } = options.provisioned === 'none' ? none : (options.provisioned ?? (await provision(env)));
  const server = await startPostgate({ core: options.core, env, roles: options.roles, nodeArgs: options.nodeArgs, command: options.command, timeoutMs: options.timeoutMs });
  return {
    server,
    url: server.url,
    env,
    orgId,
    token,
    domainId,
    stop: () => server.stop(),
  };
}

/** Whether this build serves `POST /emails` (the email API may not exist yet). */
export async function hasEmailApi(url: string): Promise<boolean> {
  const spec = await request(`${url}/openapi.json`);
  if (spec.status !== 200) return false;
  const paths = spec.json<{ paths?: Record<string, Record<string, unknown>> }>().paths ?? {};
  return Boolean(paths['/emails']?.post);
}

export type Sender = { token: string; from: string; mode: 'live' | 'test'; body: string };

/**
 * A sending key and a request body that Postgate accepts. A verified domain when the operator
 * command `postgate domains add --verified` exists (run before `start` on PGlite); otherwise a
 * test-mode key, which may send from an unverified domain and whose mail is only captured.
 */
export async function sendingKey(instance: Instance): Promise<Sender> {
  const domainId = instance.domainId;
  const from = `Bench <bench@${SENDER_DOMAIN}>`;
  const keyBody = domainId
    ? { name: 'bench-sender', permission: 'sending_access', domain_ids: [domainId] }
    : { name: 'bench-sender', permission: 'sending_access', mode: 'test' };
  const created = await expectStatus(request(`${instance.url}/api-keys`, { method: 'POST', token: instance.token, body: keyBody }), 201, 'POST /api-keys');
  const body = JSON.stringify({
    from,
    to: ['sink@example.net'],
    subject: 'Postgate benchmark',
    text: 'A short transactional message, as a password reset or a receipt would be.',
    html: '<p>A short transactional message, as a password reset or a receipt would be.</p>',
  });
  return { token: created.json<{ token: string }>().token, from, mode: domainId ? 'live' : 'test', body };
}

/** `postgate domains add --verified`, when the CLI has it. */
async function verifiedDomain(env: Record<string, string>, orgId: string): Promise<string | undefined> {
  const result = await postgateCli(env, ['domains', 'add', '--org', orgId, SENDER_DOMAIN, '--verified', '--json']);
  if (result.code !== 0) return undefined;
  try {
    return String((JSON.parse(result.stdout) as { id: string }).id);
  } catch {
    return undefined;
  }
}

/**
 * The body Postgate's `GET /whoami` answers for `token` under load, for the bare route to answer:
 * asked twice, since the key's first use gives it a `last_used_at` (a timestamp, not null).
 */
export async function steadyWhoamiBody(url: string, token: string): Promise<string> {
  await expectStatus(request(`${url}/whoami`, { token }), 200, 'GET /whoami');
  return (await expectStatus(request(`${url}/whoami`, { token }), 200, 'GET /whoami')).body;
}
