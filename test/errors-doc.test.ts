import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HTTP_STATUS } from '../src/http/plugins/errors.js';
import { ERROR_CODES } from '../src/lib/errors.js';
import { SMTP_REPLY } from '../src/smtp/replies.js';

describe('docs/errors.md', () => {
  const doc = readFileSync(path.resolve(import.meta.dirname, '../docs/errors.md'), 'utf8');

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
