import { chmodSync, lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from './email-fixtures.js';
import { freePort, startPostgate } from './processes.js';

// Security (SECURITY.md, local files): whatever the umask, the data directory and everything in
// it (PGlite's WAL and catalogs, the SMTP TLS key, the admin socket) are private to their owner.

/** Every path below `dir` (itself included) whose mode lets group or others in, with that mode. */
function exposed(dir: string): string[] {
  const found: string[] = [];
  const walk = (target: string): void => {
    const stat = lstatSync(target);
    if (stat.isSymbolicLink()) return;
    if ((stat.mode & 0o077) !== 0) found.push(`${path.relative(dir, target) || '.'} ${(stat.mode & 0o777).toString(8)}`);
    if (stat.isDirectory()) for (const entry of readdirSync(target)) walk(path.join(target, entry));
  };
  walk(dir);
  return found;
}

const modeOf = (target: string): number => lstatSync(target).mode & 0o777;


describe('data directory permissions', () => {
  const parent = mkdtempSync(path.join(tmpdir(), 'postgate-perm-'));
  const dataDir = path.join(parent, 'data');
  afterAll(() => rmSync(parent, { recursive: true, force: true }));

  const start = async () =>
    startPostgate(
      { POSTGATE_DATA_DIR: dataDir, SMTP_PORT: String(await freePort()), SMTPS_PORT: '0', DATABASE_URL: '', REDIS_URL: '' },
      'api,smtp',
      { umask: '000' },
    );

  it('a fresh start under umask 000 leaves the directory 0700, nothing readable by others, the socket 0600', async () => {
    const server = await start();
    try {
      // The SMTP role starts after the API line is printed.
      await eventually(() => server.output().includes('SMTP submission'), 10_000, 'the SMTP role');
      expect(modeOf(dataDir)).toBe(0o700);
      expect(lstatSync(path.join(dataDir, 'admin.sock')).isSocket()).toBe(true);
      expect(modeOf(path.join(dataDir, 'admin.sock'))).toBe(0o600);
      expect(modeOf(path.join(dataDir, 'smtp-key.pem'))).toBe(0o600);
      expect(readdirSync(path.join(dataDir, 'pgdata', 'pg_wal')).length).toBeGreaterThan(0);
      expect(exposed(dataDir)).toEqual([]);
    } finally {
      await server.stop();
    }
  }, 90_000);

  it('the next start repairs a loosened directory and files', async () => {
    chmodSync(dataDir, 0o755);
    chmodSync(path.join(dataDir, 'pgdata'), 0o777);
    chmodSync(path.join(dataDir, 'pgdata', 'PG_VERSION'), 0o666);
    expect(exposed(dataDir).length).toBeGreaterThan(0);
    const server = await start();
    try {
      expect(modeOf(dataDir)).toBe(0o700);
      expect(modeOf(path.join(dataDir, 'pgdata', 'PG_VERSION'))).toBe(0o600);
      expect(exposed(dataDir)).toEqual([]);
    } finally {
      await server.stop();
    }
  }, 90_000);
});
