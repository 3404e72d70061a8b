// What the two builds (the compiled server, bin/server-build.js; the dashboard,
// src/cli/dashboard-build.ts) share. Plain JavaScript: `postgate` uses it before any TypeScript.
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

/** The newest modification time under `file` (0 when it does not exist). */
export function newestMtime(file) {
  if (!existsSync(file)) return 0;
  const stat = statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(file).map((entry) => newestMtime(path.join(file, entry))));
}

/** Puts the directory `built` where `target` is, so nobody ever reads a half-written build. */
export function moveIntoPlace(built, target) {
  const old = `${target}.old-${process.pid}`;
  if (existsSync(target)) renameSync(target, old);
  renameSync(built, target);
  rmSync(old, { recursive: true, force: true });
}
