#!/usr/bin/env node
// Entry point of the `postgate` command. It runs the compiled server (dist/, made by
// `npm install` or `npm run build`) when that build is newer than every source file, and the
// TypeScript sources themselves through tsx otherwise, so an edit needs no build step. The
// compiled server is the lighter: no loader thread and no transform per file (about 80 MB less
// resident memory).
import v8 from 'node:v8';
import { DIST_MAIN_URL, serverBuildIsFresh } from './server-build.js';

// A compact V8 heap, set before anything is loaded: the young generation stays at its starting
// size, and the old one is collected once it grows 20% past what survived the last collection
// (V8 otherwise picks a factor of up to 4). Under a burst of sends this kept the server near 235 MB
// instead of 281 MB at no measurable cost per request (bench/RESULTS.md). An operator who sizes
// the heap with node's own flags (NODE_OPTIONS or the command line) keeps exactly those.
const HEAP_FLAGS = /--(max-semi-space-size|max-old-space-size|heap-growing-percent|semi-space-growth-factor)\b/;
if (!HEAP_FLAGS.test([...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' '))) {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  v8.setFlagsFromString('--heap-growing-percent=20');
}

async function loadCli() {
  if (serverBuildIsFresh()) return import(DIST_MAIN_URL);
  const { register } = await import('tsx/esm/api');
  register();
  return import('../src/cli/main.ts');
}

const { runCli } = await loadCli();
process.exitCode = await runCli(process.argv.slice(2));
