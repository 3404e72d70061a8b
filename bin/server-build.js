// The compiled server: src/**/*.ts (tests excepted) transpiled one file to one file into dist/,
// which `postgate` runs when it is newer than every source. Transpiling only (no bundling, no
// type check: `npm run typecheck` does that); the layout mirrors src/ so imports stay as written.
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { moveIntoPlace, newestMtime } from './build-support.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const SRC = path.join(ROOT, 'src');
const DIST = path.join(ROOT, 'dist');
/** Written last: its time is the build's time, and its presence says the build is complete. */
const STAMP = path.join(DIST, '.built');

export const DIST_MAIN_URL = pathToFileURL(path.join(DIST, 'cli/main.js')).href;

/** Whether dist/ holds a complete build newer than every file under src/. */
export function serverBuildIsFresh() {
  if (!existsSync(STAMP)) return false;
  return newestMtime(SRC) <= statSync(STAMP).mtimeMs;
}

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(file);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [file] : [];
  });
}

/** Transpiles src/ into dist/ (built aside, then renamed into place). Returns the file count. */
export async function buildServer() {
  const { build } = await import('esbuild');
  const entryPoints = sources(SRC);
  const out = path.join(ROOT, `.dist-tmp-${process.pid}`);
  rmSync(out, { recursive: true, force: true });
  await build({ entryPoints, outdir: out, outbase: SRC, format: 'esm', platform: 'node', target: 'node20', logLevel: 'warning' });
  writeFileSync(path.join(out, '.built'), `${new Date().toISOString()}\n`);
  moveIntoPlace(out, DIST);
  return entryPoints.length;
}
