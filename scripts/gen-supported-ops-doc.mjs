#!/usr/bin/env node
// Writes docs/supported-ops.md from the lowering, op-version and quantization tables (compiled in
// dist/; `npm run docs:ops` builds first). test/lower/supported-ops-doc.test.ts fails when the
// committed file differs from what this writes.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { supportedOpsMarkdown, loadQuantSupport } = await import(path.join(root, 'dist', 'src', 'lower', 'supported-ops-doc.js'));
const { writeFileAtomic } = await import(path.join(root, 'dist', 'src', 'writers', 'atomic-file.js'));
const file = path.join(root, 'docs', 'supported-ops.md');
writeFileAtomic(file, supportedOpsMarkdown(await loadQuantSupport()));
console.log(`wrote ${path.relative(root, file)}`);
