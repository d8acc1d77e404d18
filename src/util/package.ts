// Where tfconv is installed, and its version: found by walking up from this module to the
// package.json named "tfconv", so it works from src/ (tests) and dist/ (built) alike.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate)) {
      const pkg = JSON.parse(fs.readFileSync(candidate, 'utf8')) as { name?: string };
      if (pkg.name === 'tfconv') return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('tfconv: cannot find its own package.json');
    dir = parent;
  }
}

export const PACKAGE_ROOT = findRoot();
export const PACKAGE_VERSION: string = (
  JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;
