#!/usr/bin/env node
// Entry point of the `postgate` command. It runs the compiled server (dist/, made by
// `npm install` or `npm run build`) when that build is newer than every source file, and the
// TypeScript sources themselves through tsx otherwise, so an edit needs no build step. The
// compiled server is the lighter: no loader thread and no transform per file (about 80 MB less
// resident memory).
import v8 from 'node:v8';
import { canReexecute, heapFlags, reexecution } from './memory.js';
import { DIST_MAIN_URL, serverBuildIsFresh } from './server-build.js';
import { keepTickObjectShape } from './tick-objects.js';

// Memory settings go first, before anything is loaded (memory.js says which, and why). The
// server may re-execute itself here, in place, to start with glibc's malloc arenas limited and
// node's start flags; it then keeps one tick object before start-up's first collections
// (tick-objects.js says why).
if (process.argv[2] === 'start') {
  const again = reexecution(process.env, process.execArgv, process.platform, canReexecute(process));
  try {
    if (again) process.execve(process.execPath, [process.execPath, ...again.execArgv, ...process.argv.slice(1)], again.env);
  } catch {
    // It returns only on failure: the server then runs as it was started.
  }
  keepTickObjectShape();
}
for (const flag of heapFlags(process.env, process.execArgv)) v8.setFlagsFromString(flag);

async function loadCli() {
  if (serverBuildIsFresh()) return import(DIST_MAIN_URL);
  const { register } = await import('tsx/esm/api');
  register();
  return import('../src/cli/main.ts');
}

const { runCli } = await loadCli();
process.exitCode = await runCli(process.argv.slice(2));
