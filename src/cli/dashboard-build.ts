import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { moveIntoPlace, newestMtime } from '../../bin/build-support.js';
import { PACKAGE_ROOT } from '../lib/package-root.js';

// Builds the React dashboard (Vite) into dashboard/dist when the build is missing or older than
// its sources. `npm install` runs it (the prepare script) and so does `postgate start`, so
// `npm start` serves the dashboard with no extra step. Several processes starting at once (tests,
// instances sharing a checkout) build once: a lock file elects the builder, the others wait, and
// the result is moved into place with a rename so nobody ever serves a half-written build.

const DASHBOARD = path.join(PACKAGE_ROOT, 'dashboard');
const DIST = path.join(DASHBOARD, 'dist');
const LOCK = path.join(DASHBOARD, '.build.lock');
const SOURCES = ['src', 'index.html', 'vite.config.ts'];
const WAIT_FOR_OTHER_MS = 180_000;

export type BuildOutcome = 'up_to_date' | 'built' | 'built_by_another_process' | 'vite_missing';

/** Builds the dashboard if needed; `print` gets one line when something happens. */
export async function ensureDashboardBuilt(print: (line: string) => void): Promise<BuildOutcome> {
  const reason = buildReason();
  if (!reason) return 'up_to_date';
  const viteBin = resolveVite();
  if (!viteBin) {
    print(`Dashboard          ${reason}, and Vite is not installed (install dev dependencies, then npm run build:dashboard)`);
    return 'vite_missing';
  }
  const lock = takeLock();
  if (!lock) {
    await waitForLockRelease();
    return 'built_by_another_process';
  }
  try {
    // Another process may have finished between our check and taking the lock.
    if (!buildReason()) return 'built_by_another_process';
    print(`Dashboard          ${reason}: building it with Vite...`);
    const started = Date.now();
    await build(viteBin);
    print(`Dashboard          built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 'built';
  } finally {
    lock.release();
  }
}

/** Why a build is needed, or undefined when dashboard/dist is newer than every source file. */
function buildReason(): string | undefined {
  const index = path.join(DIST, 'index.html');
  if (!existsSync(index)) return 'no build found';
  const builtAt = statSync(index).mtimeMs;
  const newest = Math.max(...SOURCES.map((s) => newestMtime(path.join(DASHBOARD, s))));
  return newest > builtAt ? 'sources changed since the last build' : undefined;
}

function resolveVite(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('vite/package.json');
    return path.join(path.dirname(pkg), 'bin', 'vite.js');
  } catch {
    return undefined;
  }
}

async function build(viteBin: string): Promise<void> {
  const out = path.join(DASHBOARD, `.dist-tmp-${process.pid}`);
  rmSync(out, { recursive: true, force: true });
  const args = [viteBin, 'build', '--config', path.join(DASHBOARD, 'vite.config.ts'), '--outDir', out, '--emptyOutDir', '--logLevel', 'warn'];
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: DASHBOARD, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`vite build failed (exit ${code}):\n${text.slice(-4000)}`))));
  });
  if (!existsSync(path.join(out, 'index.html'))) throw new Error(`vite build wrote no index.html:\n${output.slice(-4000)}`);
  moveIntoPlace(out, DIST);
}

function takeLock(): { release(): void } | undefined {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(LOCK, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return { release: () => rmSync(LOCK, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (lockHolderAlive()) return undefined;
      rmSync(LOCK, { force: true }); // left by a process that died mid-build
    }
  }
  return undefined;
}

function lockHolderAlive(): boolean {
  try {
    const pid = Number(readFileSync(LOCK, 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitForLockRelease(): Promise<void> {
  const deadline = Date.now() + WAIT_FOR_OTHER_MS;
  while (existsSync(LOCK) && lockHolderAlive() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
