import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config/config.js';

// The install's master secret: POSTGATE_SECRET_KEY when set (every instance sharing a database
// must set the same one), else 32 random bytes generated once into the data dir. Everything
// encrypted at rest or signed (TOTP secrets, sign-in challenges) is keyed from it, through
// secret-box.ts, each purpose under a key of its own.

export const SECRET_KEY_FILE = 'secret-key';

/** 32 bytes of key material. Reads or creates the data dir's file when no key is configured. */
export function loadSecretKey(config: Pick<Config, 'secretKey' | 'dataDir'>): Buffer {
  // A configured passphrase of any printable shape becomes 32 bytes; hashing loses no strength.
  if (config.secretKey) return createHash('sha256').update(config.secretKey).digest();
  const file = path.join(config.dataDir, SECRET_KEY_FILE);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  try {
    // Security: 0600 and created exclusively ('wx'): two processes starting at once keep one key.
    writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
  if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte key: restore it from a backup, or set POSTGATE_SECRET_KEY`);
  return key;
}
