import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HTTP_STATUS } from '../src/http/plugins/errors.js';
import { renderErrorTable, TABLE_END, TABLE_START, withErrorTable } from '../src/lib/errors-doc.js';
import { ERROR_CATALOGUE, ERROR_CODES } from '../src/lib/errors.js';
import { SMTP_REPLY } from '../src/smtp/replies.js';

describe('docs/errors.md', () => {
  const doc = readFileSync(path.resolve(import.meta.dirname, '../docs/errors.md'), 'utf8');

  it('is exactly what the catalogue generates (run `npm run docs:errors` after changing a code)', () => {
    expect(doc).toBe(withErrorTable(doc));
  });

  it('documents every error code with its HTTP status and SMTP reply', () => {
    for (const code of ERROR_CODES) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
      expect(row, `${code} is not documented in docs/errors.md`).toBeDefined();
      expect(row!.split('|')[2]!.trim()).toBe(String(HTTP_STATUS[code]));
      expect(row!.split('|')[3]!.trim(), `${code} SMTP reply`).toBe(SMTP_REPLY[code].join(' '));
    }
  });

  it('documents no code that does not exist', () => {
    const documented = [...doc.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...ERROR_CODES].sort());
  });
});

describe('the error table generator', () => {
  it('replaces only what lies between the markers', () => {
    const page = `# Title\n\nprose before\n${TABLE_START}\n| stale | row |\n${TABLE_END}\nprose after\n`;
    expect(withErrorTable(page)).toBe(`# Title\n\nprose before\n${TABLE_START}\n${renderErrorTable()}\n${TABLE_END}\nprose after\n`);
  });

  it('refuses a page without its markers rather than losing the table', () => {
    expect(() => withErrorTable('# Errors\n\n| code | HTTP |\n')).toThrow(/markers/);
  });

  it('renders one row per code, each when on one line', () => {
    const rows = renderErrorTable().split('\n').slice(2);
    expect(rows).toHaveLength(ERROR_CODES.length);
    for (const code of ERROR_CODES) expect(ERROR_CATALOGUE[code].when, code).not.toMatch(/\n/);
  });
});

describe('the edges read the catalogue', () => {
  it('maps every code to its HTTP status and SMTP reply, and nothing else', () => {
    expect(Object.keys(HTTP_STATUS)).toEqual([...ERROR_CODES]);
    expect(Object.keys(SMTP_REPLY)).toEqual([...ERROR_CODES]);
    expect(HTTP_STATUS.method_not_allowed).toBe(405);
    expect(SMTP_REPLY.invalid_api_key).toEqual([535, '5.7.8']);
  });
});
