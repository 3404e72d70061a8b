#!/usr/bin/env node
// Entry point of the `postgate` command: registers tsx so the TypeScript sources run as they are,
// with no build step between `npm install` and `npm start`.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2));
