#!/usr/bin/env node
// `npm run build`, and the package's prepare script (after `npm install`): the compiled server
// (bin/server-build.js) and the dashboard (Vite; skipped with a line when Vite is not installed).
import { buildServer } from './server-build.js';

const started = Date.now();
const files = await buildServer();
process.stdout.write(`Server             compiled ${files} files into dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
await import('./build-dashboard.js');
