// docs/supported-ops.md is generated from the tables: the committed file must be what the
// generator writes today (run `npm run docs:ops` after changing a table).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { LOWERINGS } from '../../src/lower/table.js';
import { loadQuantSupport, supportedOpsMarkdown, versionsOf } from '../../src/lower/supported-ops-doc.js';
import { PACKAGE_ROOT } from '../../src/util/package.js';

const DOC = path.join(PACKAGE_ROOT, 'docs', 'supported-ops.md');

test('docs/supported-ops.md is up to date with the tables (npm run docs:ops)', async () => {
  const want = supportedOpsMarkdown(await loadQuantSupport());
  const have = fs.readFileSync(DOC, 'utf8');
  if (have !== want) {
    const a = have.split('\n');
    const b = want.split('\n');
    const i = a.findIndex((l, k) => l !== b[k]);
    assert.fail(`docs/supported-ops.md is stale (first difference at line ${i + 1}: ${JSON.stringify(a[i])} vs ${JSON.stringify(b[i])}); run npm run docs:ops`);
  }
});

test('the doc lists every TF op of the table with its TFLite ops, versions and constraints', () => {
  const md = supportedOpsMarkdown(null);
  for (const [tf, l] of Object.entries(LOWERINGS)) {
    const row = md.split('\n').find((r) => r.startsWith(`| \`${tf}\` |`));
    assert.ok(row, `${tf} is missing`);
    for (const op of l.tfl) assert.ok(row.includes(`\`${op}\``), `${tf}: ${op} missing`);
    for (const c of l.constraints) assert.ok(row.includes(c.reason.replace(/\|/g, '\\|')), `${tf}: "${c.reason}" missing`);
    assert.ok(row.endsWith('| not yet | not yet |'), `${tf}: quantization columns`);
  }
  assert.deepEqual(versionsOf('CONV_2D'), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(versionsOf('BROADCAST_TO'), [2, 3]);
});

test('quantization support fills its columns when a table is given', () => {
  const md = supportedOpsMarkdown({ CONV_2D: { int8: 'per-channel weights', float16: 'weights' }, PAD: { int8: 'yes' } });
  const row = md.split('\n').find((r) => r.startsWith('| `Conv2D` |'));
  assert.ok(row?.endsWith('| per-channel weights; yes | weights |'), row);
});
