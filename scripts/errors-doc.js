#!/usr/bin/env node
// `npm run docs:errors`: rewrites the table in docs/errors.md from the error catalogue
// (src/lib/errors.ts), keeping the prose around it. Run through tsx, which loads the TypeScript.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { withErrorTable } from '../src/lib/errors-doc.ts';

const file = path.resolve(import.meta.dirname, '../docs/errors.md');
const before = readFileSync(file, 'utf8');
const after = withErrorTable(before);
if (after !== before) writeFileSync(file, after);
process.stdout.write(after === before ? 'docs/errors.md is up to date\n' : 'docs/errors.md rewritten\n');
