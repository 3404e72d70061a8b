import { chmodSync, lstatSync, mkdirSync, readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';

// Security: the data directory holds the embedded database (its WAL carries DKIM private keys
// and password hashes), the TLS key and the secrets. PGlite sets its files' mode to 0666 itself,
// whatever the umask, so every local user could read them, or write the WAL and inject a token
// hash. Hence: the directory is 0700 (the guard that holds for files made at any time), the
// process umask is 077 from the moment it is opened, and the files PGlite made are tightened
// once it has opened the database (openPglite calls keepPrivate).

/** Group and other permission bits. */
const OTHERS = 0o077;

/**
 * Creates `dir` (0700) or repairs an existing one and everything in it (an install made before
 * this rule, or a file someone loosened), and sets the process umask so every file created from
 * now on is private too. Idempotent; called by every command that opens the data directory.
 */
export function openPrivateDir(dir: string): void {
  // Files this process creates from now on (PGlite's WAL segments, the admin socket, the TLS
  // key) are private, whatever umask the server was started with.
  process.umask(OTHERS);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // The directory itself may be a link to where the data lives: what it points to is made private.
  keepPrivate(realpathSync(dir));
}

/** Strips group and other bits from `target` and, for a directory, from everything below it. */
export function keepPrivate(target: string): void {
  const stat = lstatSync(target);
  // A symbolic link's own mode means nothing; what it points to is not ours to change.
  if (stat.isSymbolicLink()) return;
  if ((stat.mode & OTHERS) !== 0) chmodSync(target, stat.mode & 0o7700);
  if (!stat.isDirectory()) return;
  for (const entry of readdirSync(target)) keepPrivate(path.join(target, entry));
}
