import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../lib/package-root.js';

// The migrations on an install made before them: what it holds is carried over (PGlite here; the
// same SQL runs on PostgreSQL).

const MIGRATIONS = path.join(PACKAGE_ROOT, 'drizzle');

/** A copy of the migrations folder that knows only the first `count` migrations. */
function firstMigrations(count: number): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'postgate-migrations-'));
  cpSync(MIGRATIONS, dir, { recursive: true });
  const journalPath = path.join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: unknown[] };
  journal.entries = journal.entries.slice(0, count);
  writeFileSync(journalPath, JSON.stringify(journal));
  return dir;
}

describe('migrations on an existing install', () => {
  const earlier = firstMigrations(5); // up to 0004, the last before the owned queue
  afterAll(() => rmSync(earlier, { recursive: true, force: true }));

  it('keep a sending email leased, drop orphan usage rows, then refuse new ones', async () => {
    const client = new PGlite();
    const db = drizzle(client);
    try {
      await migrate(db, { migrationsFolder: earlier });
      await client.exec(`
        insert into organizations (id, name) values ('org_1', 'acme');
        insert into projects (id, organization_id, name) values ('prj_1', 'org_1', 'default');
        insert into emails (id, organization_id, project_id, mode, source, from_address, to_addresses, cc_addresses,
          bcc_addresses, reply_to, subject, tags, message_id, envelope_from, recipients, status, attempts, next_attempt_at, locked_until)
        values ('em_1', 'org_1', 'prj_1', 'live', 'api', 'a@acme.test', '{r@example.net}', '{}', '{}', '{}', 's', '[]',
          '<em_1@acme.test>', 'a@acme.test', '{r@example.net}', 'sending', 1, now() - interval '1 minute', '2030-01-01T00:00:00Z');
        insert into api_key_usage (key_id, day, route, status, count) values ('key_gone', '2026-01-01', 'GET /whoami', 200, 3);
        insert into api_key_client_ips (key_id, ip, last_seen_at) values ('key_gone', '192.0.2.1', now());`);

      await migrate(db, { migrationsFolder: MIGRATIONS });

      const email = await client.query<{ status: string; next_attempt_at: Date; locked_until: Date | null }>(
        "select status, next_attempt_at, locked_until from emails where id = 'em_1'",
      );
      // Due again when the earlier version's lease runs out, not before.
      expect(email.rows).toEqual([{ status: 'sending', next_attempt_at: new Date('2030-01-01T00:00:00Z'), locked_until: null }]);
      const orphans = await client.query<{ n: number }>(
        'select (select count(*) from api_key_usage)::int + (select count(*) from api_key_client_ips)::int as n',
      );
      expect(orphans.rows[0]!.n).toBe(0);
      await expect(client.query("insert into api_key_usage (key_id, day, route, status, count) values ('key_gone', '2026-01-02', 'x', 200, 1)")).rejects.toThrow(
        /foreign key/,
      );
    } finally {
      await client.close();
    }
  });
});
