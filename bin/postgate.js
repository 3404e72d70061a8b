#!/usr/bin/env node
// Entry point of the `postgate` command. It runs the compiled server (dist/, made by
// `npm install` or `npm run build`) when that build is newer than every source file, and the
// TypeScript sources themselves through tsx otherwise, so an edit needs no build step. The
// compiled server is the lighter: no loader thread and no transform per file.
import { DIST_MAIN_URL, serverBuildIsFresh } from './server-build.js';

async function loadCli() {
  if (serverBuildIsFresh()) return import(DIST_MAIN_URL);
  const { register } = await import('tsx/esm/api');
  register();
  return import('../src/cli/main.ts');
}

const { runCli } = await loadCli();
process.exitCode = await runCli(process.argv.slice(2));
