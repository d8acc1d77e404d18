// keepPrepared: false (what the CLI asks) lets the frozen TF graph go before the passes run, so a
// large model's original weights are not held beside their TFLite layout. The file must be the
// same bytes; the API's default still returns the frozen graph; verification still gets it.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { optimize } from '../../src/api/index.js';
import { convertToGraphs } from '../../src/convert/convert.js';
import { COLLECT_ABOVE_BYTES, collectGarbage, constantBytes } from '../../src/util/memory.js';
import { PACKAGE_ROOT } from '../../src/util/package.js';
import { fixture, need } from '../helpers/shared.js';
import { tmpDir } from '../helpers/tmp.js';

const DEMO = path.join(PACKAGE_ROOT, 'fixtures', 'demo-cnn');
const KWS = fixture('mlcommons-tiny-kws/kws_ref_model');

test('keepPrepared: false gives the same bytes and an empty prepared; the default keeps it', async (t) => {
  const dir = tmpDir(t);
  const kept = await optimize(DEMO, { output: path.join(dir, 'a.tflite') });
  const dropped = await optimize(DEMO, { output: path.join(dir, 'b.tflite'), keepPrepared: false });
  assert.equal(kept.conversion.prepared.length, 1);
  assert.ok(kept.conversion.prepared[0].graphDef.node.length > 0);
  assert.deepEqual(dropped.conversion.prepared, []);
  assert.deepEqual(fs.readFileSync(path.join(dir, 'b.tflite')), fs.readFileSync(path.join(dir, 'a.tflite')));
  assert.deepEqual(dropped.ops, kept.ops);
  assert.equal(convertToGraphs(DEMO, { keepPrepared: false }).prepared.length, 0);
});

test('keepPrepared: false with --verify: verification runs on the frozen graph all the same', async (t) => {
  if (!need(t, KWS)) return;
  const r = await optimize(KWS, { output: path.join(tmpDir(t), 'kws.tflite'), keepPrepared: false, verify: { samples: 1 } });
  assert.ok(r.verify?.pass, JSON.stringify(r.verify?.outputs));
  assert.equal(r.conversion.prepared.length, 1);
});

test('dead weights: constantBytes counts each constant once; a full collection frees an unreachable buffer', async () => {
  const c = convertToGraphs(DEMO, { keepPrepared: false });
  // The demo's weights once each, batch norm folded into them: about the 32,640 bytes of buffers
  // its .tflite holds (constants read by several ops would count more than once).
  const n = constantBytes(c.graphs);
  assert.ok(n > 32_000 && n <= 32_640, `${n} bytes`);
  assert.ok(n < COLLECT_ABOVE_BYTES);
  let buf: ArrayBuffer | null = new ArrayBuffer(32 * 2 ** 20);
  const ref = new WeakRef(buf);
  buf = null;
  // WeakRefs are only cleared between turns of the event loop.
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(collectGarbage(), true);
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(ref.deref(), undefined);
});
