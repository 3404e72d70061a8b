import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The directory of Postgate's package.json: where drizzle/ and dashboard/ live, whether this code
 * runs from its TypeScript sources (src/) or from the compiled build (dist/, see bin/build.js).
 */
export const PACKAGE_ROOT = packageRoot(import.meta.dirname);

function packageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}
