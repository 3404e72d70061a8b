import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createDatabase } from '../db/client.js';
import { createLogger } from './logger.js';

describe('logger', () => {
  it('logs a failed statement without its parameters', async () => {
    const database = await createDatabase({ kind: 'pglite', dataDir: undefined });
    const lines: string[] = [];
    const destination = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) });
    const logger = createLogger({ level: 'info', destination });
    try {
      const secret = 'body of a private email\n    at nowhere';
      const error = await database.db.execute(sql`select ${`${secret}\u0000`}::text as t, ${'recipient@example.com'}::text as r`).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(Error);
      // The premise: the error itself carries the values.
      expect(String((error as Error).message)).toContain('recipient@example.com');
      logger.error({ err: error }, 'statement failed');
      await new Promise((resolve) => setImmediate(resolve));
      const logged = lines.join('');
      expect(logged).toContain('statement failed');
      expect(logged).toContain('Failed query: select');
      expect(logged).not.toContain('recipient@example.com');
      expect(logged).not.toContain('private email');
    } finally {
      await database.close();
    }
  });

  it('logs a failed prepared statement on PGlite without the values written into its EXECUTE', async () => {
    const { PGlite } = await import('@electric-sql/pglite');
    const { pglitePrepared } = await import('../db/pglite-statements.js');
    const client = new PGlite();
    const lines: string[] = [];
    const destination = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) });
    const logger = createLogger({ level: 'info', destination });
    try {
      const run = pglitePrepared(client);
      const error = await run({ name: 'divide', text: 'select length($1::text) / 0', values: ['recipient@example.com'] }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(Error);
      logger.error({ err: error }, 'statement failed');
      await new Promise((resolve) => setImmediate(resolve));
      const logged = lines.join('');
      expect(logged).toContain('statement failed');
      expect(logged).not.toContain('recipient@example.com');
    } finally {
      await client.close();
    }
  });
});
