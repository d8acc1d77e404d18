#!/usr/bin/env node
// Writes docs/cli.md from the yargs definitions of the CLI commands (compiled in dist/; `npm run
// docs:cli` builds first). test/cli/cli-doc.test.ts fails when the committed file differs from
// what this writes.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { cliReferenceMarkdown } = await import(path.join(root, 'dist', 'src', 'cli', 'reference-doc.js'));
const { writeFileAtomic } = await import(path.join(root, 'dist', 'src', 'writers', 'atomic-file.js'));
const file = path.join(root, 'docs', 'cli.md');
writeFileAtomic(file, cliReferenceMarkdown());
console.log(`wrote ${path.relative(root, file)}`);
