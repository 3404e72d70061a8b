import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSecretBox } from './secret-box.js';
import { loadSecretKey, SECRET_KEY_FILE } from './secret-key.js';

describe('secret box', () => {
  const key = randomBytes(32);
  const box = createSecretBox(() => key);

  it('opens what it sealed, only for the same purpose, row and key', () => {
    const sealed = box.seal('totp-secret', 'JBSWY3DPEHPK3PXP', 'usr_1');
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(box.open('totp-secret', sealed, 'usr_1')).toBe('JBSWY3DPEHPK3PXP');
    expect(box.open('totp-secret', sealed, 'usr_2')).toBeUndefined();
    expect(box.open('other', sealed, 'usr_1')).toBeUndefined();
    expect(createSecretBox(() => randomBytes(32)).open('totp-secret', sealed, 'usr_1')).toBeUndefined();
  });

  it('refuses altered, truncated-tag and malformed boxes', () => {
    const [v, iv, body, tag] = box.seal('p', 'plaintext', 'c').split('.') as [string, string, string, string];
    const flipped = Buffer.from(body, 'base64url');
    flipped[0]! ^= 1;
    expect(box.open('p', [v, iv, flipped.toString('base64url'), tag].join('.'), 'c')).toBeUndefined();
    expect(box.open('p', [v, iv, body, tag.slice(0, 6)].join('.'), 'c')).toBeUndefined();
    expect(box.open('p', 'garbage', 'c')).toBeUndefined();
  });

  it('signs per purpose', () => {
    expect(box.sign('a', 'data')).toBe(box.sign('a', 'data'));
    expect(box.sign('a', 'data')).not.toBe(box.sign('b', 'data'));
  });
});

describe('the install secret key', () => {
  it('is generated once into the data dir at 0600, or derived from POSTGATE_SECRET_KEY', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'postgate-key-'));
    try {
      const first = loadSecretKey({ dataDir, secretKey: undefined });
      expect(first).toHaveLength(32);
      expect(loadSecretKey({ dataDir, secretKey: undefined }).equals(first)).toBe(true);
      const file = path.join(dataDir, SECRET_KEY_FILE);
      expect(statSync(file).mode & 0o077).toBe(0);
      expect(readFileSync(file, 'utf8')).not.toBe('');
      const configured = loadSecretKey({ dataDir, secretKey: 'x'.repeat(40) });
      expect(configured).toHaveLength(32);
      expect(configured.equals(first)).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
