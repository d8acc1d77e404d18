// docs/cli.md is generated from the commands' yargs definitions: the committed file must be what
// the generator writes today (run `npm run docs:cli` after changing a command's options).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { commands } from '../../src/cli/commands/registry.js';
import { cliReferenceMarkdown } from '../../src/cli/reference-doc.js';
import { PACKAGE_ROOT } from '../../src/util/package.js';

const DOC = path.join(PACKAGE_ROOT, 'docs', 'cli.md');

test('docs/cli.md is up to date with the command definitions (npm run docs:cli)', () => {
  const want = cliReferenceMarkdown();
  const have = fs.readFileSync(DOC, 'utf8');
  if (have !== want) {
    const a = have.split('\n');
    const b = want.split('\n');
    const i = a.findIndex((l, k) => l !== b[k]);
    assert.fail(`docs/cli.md is stale (first difference at line ${i + 1}: ${JSON.stringify(a[i])} vs ${JSON.stringify(b[i])}); run npm run docs:cli`);
  }
});

test('the reference has every command, and every option with its type, default and choices', () => {
  const md = cliReferenceMarkdown();
  for (const c of commands) assert.ok(md.includes(`## tfconv ${c.command.split(' ')[0]}\n`), c.command);
  const row = (f: string) => md.split('\n').find((l) => l.startsWith(`| \`${f}\``));
  assert.equal(row('--verify-samples'), '| `--verify-samples` | number; default `3` | how many seeded input sets --verify uses |');
  assert.match(row('--quantize') ?? '', /^\| `--quantize` \| string; one of `dynamic`, `int8`, `float16` \| /);
  assert.match(row('--output') ?? '', /^\| `--output`, `-o` \| string \| output \.tflite/);
  assert.match(row('--input-shape') ?? '', /string; repeatable/);
  // Positionals are arguments, not options; help and version are global.
  assert.ok(!md.includes('| `--model`'));
  assert.ok(!md.includes('| `--help`'));
  assert.ok(md.includes('tfconv optimize saved_model/ --verify'), 'examples are kept');
});
