// `npm run bench`: every benchmark module, in order, each in a process of its own (they measure
// start-up and memory, which a shared process would blur). Results go to bench/results/
// (gitignored) where a module writes them, and to stdout.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MODULES = ['runtimes.js', 'convert.js'];

const here = path.dirname(fileURLToPath(import.meta.url));
let failed = 0;
for (const m of MODULES) {
  const file = path.join(here, m);
  if (!fs.existsSync(file)) {
    console.log(`bench: ${m} is missing (build first: npm run build)`);
    failed++;
    continue;
  }
  console.log(`\n== bench/${m.replace(/\.js$/, '.ts')}`);
  const r = spawnSync(process.execPath, [file], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.log(`bench: ${m} exited with ${r.status ?? r.signal}`);
    failed++;
  }
}
process.exitCode = failed ? 1 : 0;
