import { parseArgs } from 'node:util';
import pino from 'pino';
import { createDeps } from '../app/deps.js';
import { ConfigError, loadConfig, type Config } from '../config/config.js';
import { AppError } from '../lib/errors.js';
import { createLogger } from '../lib/logger.js';
import { ROLES, start, type Role } from '../main.js';
import { pgdataOf, pgliteExists } from '../db/pglite.js';
import { openPrivateDir } from '../lib/private-dir.js';
import { acquireLock, adminSocketPath } from './data-dir-lock.js';
import { callAdminSocket } from './admin-socket.js';
import { ensureDashboardBuilt } from './dashboard-build.js';
import { OPERATIONS } from './operations.js';

const USAGE = `Usage: postgate <command>

  start [--roles api,smtp,worker]      run the server (applies migrations first)
  migrate                              apply database migrations
  org create <name> [--plan free|pro|scale|unlimited] [--json]
  org plan <org-id> <free|pro|scale|unlimited> [--json]
  domains add --org <id> [--project <id>] <domain> [--verified] [--json]   (--verified: trust the operator, no DNS check)
  projects create --org <id> <name> [--json]
  keys create --org <id> [--project <id>] --name <name> [--permission full_access|sending_access|custom]
              [--scopes a,b] [--domains dom_1,dom_2] [--allowed-ips 10.0.0.0/8,::1]
              [--mode live|test] [--expires-at ISO] [--json]
  user create --org <id> --email <email> --password-stdin [--role owner|admin|developer|viewer] [--json]
                                       dashboard account (password read from stdin)

Configuration comes from the environment (see README): DATABASE_URL, POSTGATE_DATA_DIR, PORT...`;

type Out = { out: (line: string) => void; err: (line: string) => void };

const defaultOut: Out = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Runs the CLI; returns the exit code. */
export async function runCli(argv: string[], io: Out = defaultOut, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(error.message);
      return 2;
    }
    throw error;
  }
  const [command, sub] = argv;
  try {
    switch (command) {
      case 'start':
        return await startCommand(config, argv.slice(1), io);
      case 'migrate': {
        await runOperation(config, 'migrate', {});
        io.out('Migrations applied.');
        return 0;
      }
      case 'org':
        if (sub === 'create') return await orgCreate(config, argv.slice(2), io);
        if (sub === 'plan') return await orgPlan(config, argv.slice(2), io);
        break;
      case 'keys':
        if (sub === 'create') return await keysCreate(config, argv.slice(2), io);
        break;
      case 'projects':
        if (sub === 'create') return await projectsCreate(config, argv.slice(2), io);
        break;
      case 'domains':
        if (sub === 'add') return await domainsAdd(config, argv.slice(2), io);
        break;
      case 'user':
        if (sub === 'create') return await userCreate(config, argv.slice(2), io);
        break;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
    }
    io.err(`Unknown command: ${argv.join(' ')}\n\n${USAGE}`);
    return 2;
  } catch (error) {
    if (error instanceof AppError) {
      io.err(`Error (${error.code}): ${error.message}`);
      return 1;
    }
    if (error instanceof TypeError && (error as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      io.err(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    io.err(`Error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

/**
 * Runs an operator operation where the data is: through the running server's admin socket when a
 * server holds the embedded PGlite, otherwise directly (taking the data directory for the moment).
 */
async function runOperation(config: Config, op: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  if (!config.databaseUrl) {
    openPrivateDir(config.dataDir);
    const taken = acquireLock(config.dataDir);
    if ('heldBy' in taken) {
      if (op === 'migrate') return {}; // the running server applied them at start
      return callAdminSocket(adminSocketPath(config.dataDir), op, args);
    }
    if (!pgliteExists(pgdataOf(config.dataDir))) {
      // stderr: stdout carries the command's output only. Without a word, the first command
      // on a new data directory would sit silent for the seconds initdb takes.
      process.stderr.write(`Database           creating the embedded database in ${config.dataDir} (first use, a few seconds)...\n`);
    }
    try {
      return await runDirect(config, op, args);
    } finally {
      taken.release();
    }
  }
  return runDirect(config, op, args);
}

async function runDirect(config: Config, op: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  // Logs go to stderr: stdout carries the command's output only (one object with --json).
  const deps = await createDeps({ config, logger: createLogger({ level: 'warn', destination: pino.destination(2) }) });
  try {
    if (op === 'migrate') return {};
    const operation = OPERATIONS[op];
    if (!operation) throw new Error(`unknown operation ${op}`);
    return await operation(deps, args);
  } finally {
    await deps.close();
  }
}

async function startCommand(config: Config, args: string[], io: Out): Promise<number> {
  const { values } = parseArgs({ args, options: { roles: { type: 'string', default: ROLES.join(',') } } });
  const roles = values.roles.split(',').map((r) => r.trim()).filter(Boolean);
  const unknown = roles.filter((r) => !ROLES.includes(r as Role));
  if (unknown.length > 0 || roles.length === 0) {
    io.err(`--roles takes a comma list of ${ROLES.join(', ')} (got ${values.roles})`);
    return 2;
  }
  if (roles.includes('api')) {
    // The API does not depend on the dashboard: a failed build is reported, not fatal.
    await ensureDashboardBuilt(io.out).catch((error: unknown) =>
      io.err(`Dashboard build failed (the API runs without it): ${error instanceof Error ? error.message : String(error)}`),
    );
  }
  const running = await start(config, roles as Role[], io.out);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  io.out('Shutting down...');
  await running.stop();
  return 0;
}

function print(io: Out, json: boolean | undefined, result: Record<string, unknown>, human: string[]): number {
  if (json) io.out(JSON.stringify(result));
  else for (const line of human) io.out(line);
  return 0;
}

async function orgCreate(config: Config, args: string[], io: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { plan: { type: 'string' }, json: { type: 'boolean' } },
  });
  const name = positionals.join(' ');
  if (!name) throw new AppError('validation_error', 'name: give the organization a name (postgate org create <name>)');
  const org = await runOperation(config, 'org.create', { name, plan: values.plan });
  return print(io, values.json, org, [
    `Organization ${String(org.id)} "${String(org.name)}" created (plan ${String(org.plan)}).`,
    `Next: postgate keys create --org ${String(org.id)} --name my-key`,
  ]);
}

async function orgPlan(config: Config, args: string[], io: Out): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  const [org, plan] = positionals;
  if (!org || !plan) throw new AppError('validation_error', 'usage: postgate org plan <org-id> <free|pro|scale|unlimited>');
  const result = await runOperation(config, 'org.plan', { org, plan });
  return print(io, values.json, result, [`Organization ${String(result.id)} is now on plan ${String(result.plan)}.`]);
}

async function domainsAdd(config: Config, args: string[], io: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { org: { type: 'string' }, project: { type: 'string' }, verified: { type: 'boolean' }, json: { type: 'boolean' } },
  });
  if (!values.org) throw new AppError('validation_error', 'org: --org <organization id> is required');
  if (positionals.length !== 1) throw new AppError('validation_error', 'name: usage: postgate domains add --org <id> <domain> [--verified]');
  const domain = await runOperation(config, 'domains.add', { org: values.org, project: values.project, name: positionals[0], verified: values.verified === true });
  const records = (domain.records as { type: string; name: string; value: string }[]) ?? [];
  return print(io, values.json, domain, [
    `Domain ${String(domain.id)} ${String(domain.name)} added (status ${String(domain.status)}).`,
    ...(values.verified ? ['Marked verified on your word: publish these records so receivers accept its DKIM signatures:'] : ['Publish these records, then verify (POST /domains/{id}/verify):']),
    ...records.map((r) => `  ${r.type}  ${r.name}  ${r.value}`),
  ]);
}

async function projectsCreate(config: Config, args: string[], io: Out): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { org: { type: 'string' }, json: { type: 'boolean' } } });
  if (!values.org) throw new AppError('validation_error', 'org: --org <organization id> is required');
  const name = positionals.join(' ');
  if (!name) throw new AppError('validation_error', 'name: usage: postgate projects create --org <id> <name>');
  const project = await runOperation(config, 'projects.create', { org: values.org, name });
  return print(io, values.json, project, [
    `Project ${String(project.id)} "${String(project.name)}" created.`,
    `Next: postgate keys create --org ${values.org} --project ${String(project.id)} --name my-key`,
  ]);
}

async function keysCreate(config: Config, args: string[], io: Out): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      org: { type: 'string' },
      project: { type: 'string' },
      name: { type: 'string' },
      permission: { type: 'string' },
      scopes: { type: 'string' },
      domains: { type: 'string' },
      'allowed-ips': { type: 'string' },
      mode: { type: 'string' },
      'expires-at': { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (!values.org) throw new AppError('validation_error', 'org: --org <organization id> is required');
  const list = (v: string | undefined): string[] | undefined => v?.split(',').map((s) => s.trim()).filter(Boolean);
  const body = Object.fromEntries(
    Object.entries({
      name: values.name,
      permission: values.permission,
      scopes: list(values.scopes),
      domain_ids: list(values.domains),
      allowed_ips: values['allowed-ips'],
      mode: values.mode,
      expires_at: values['expires-at'],
    }).filter(([, v]) => v !== undefined),
  );
  const key = await runOperation(config, 'keys.create', { org: values.org, project: values.project, body });
  return print(io, values.json, key, [
    `API key ${String(key.id)} "${String(key.name)}" (${String(key.permission)}) created.`,
    '',
    `  ${String(key.token)}`,
    '',
    'Copy it now: it is shown this once and cannot be recovered (only its hash is stored).',
  ]);
}

async function userCreate(config: Config, args: string[], io: Out): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { org: { type: 'string' }, email: { type: 'string' }, 'password-stdin': { type: 'boolean' }, role: { type: 'string' }, json: { type: 'boolean' } },
  });
  if (!values.org) throw new AppError('validation_error', 'org: --org <organization id> is required');
  if (!values.email) throw new AppError('validation_error', 'email: --email <address> is required');
  // Security: never a password in argv, where `ps` and shell history would show it.
  if (!values['password-stdin']) throw new AppError('validation_error', 'password: pipe it in and pass --password-stdin');
  const password = await readPasswordFromStdin();
  const user = await runOperation(config, 'user.create', { org: values.org, email: values.email, password, role: values.role });
  return print(io, values.json, user, [
    `User ${String(user.id)} <${String(user.email)}> created in organization ${String(user.organization_id)} as ${String(user.role)}.`,
    'They can now sign in to the dashboard.',
  ]);
}

/** The first line of stdin, without its line ending (`printf %s "$PW" |` and `echo "$PW" |` alike). */
async function readPasswordFromStdin(): Promise<string> {
  let data = '';
  for await (const chunk of process.stdin) {
    data += String(chunk);
    if (data.length > 4096) break;
  }
  return data.split(/\r?\n/)[0] ?? '';
}
