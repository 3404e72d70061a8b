#!/usr/bin/env node
// Builds the dashboard when its build is missing or stale (the package's prepare script runs it
// after `npm install`; `postgate start` does the same check). Without Vite (a production install
// without dev dependencies) it says so and exits 0: the server then serves a page explaining it.
import { register } from 'tsx/esm/api';

register();
const { ensureDashboardBuilt } = await import('../src/cli/dashboard-build.ts');
await ensureDashboardBuilt((line) => process.stdout.write(`${line}\n`));
