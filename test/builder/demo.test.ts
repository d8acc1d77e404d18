// fixtures/demo-cnn is the project's own SavedModel (the README's first command converts it):
// it must be exactly what the builder writes today, and it must convert with batch norm folded,
// ReLU fused, and the TFLite runtime agreeing with the TF reference.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { optimize } from '../../src/api/optimize.js';
import { buildDemoCnn, writeModel } from '../../src/builder/index.js';
import { ActivationFunctionType, BuiltinOptions } from '../../src/tflite/schema.generated.js';
import { operatorName } from '../../src/tflite/index.js';
import { PACKAGE_ROOT } from '../../src/util/package.js';
import { tmpDir } from '../helpers/tmp.js';

const DEMO = path.join(PACKAGE_ROOT, 'fixtures', 'demo-cnn');
const FILES = ['saved_model.pb', 'variables/variables.data-00000-of-00001', 'variables/variables.index'];

test('fixtures/demo-cnn is byte-identical to what the builder writes (regenerate: npm run make-demo)', (t) => {
  const out = path.join(tmpDir(t), 'demo-cnn');
  const r = writeModel(out, buildDemoCnn());
  assert.deepEqual(r.files, FILES);
  for (const f of FILES) {
    const committed = fs.readFileSync(path.join(DEMO, f));
    const fresh = fs.readFileSync(path.join(out, f));
    assert.ok(committed.equals(fresh), `${f} differs from a fresh build (${committed.length} vs ${fresh.length} bytes): run npm run make-demo`);
  }
  const total = FILES.reduce((s, f) => s + fs.statSync(path.join(DEMO, f)).size, 0);
  assert.ok(total < 100_000, `the committed demo stays small (${total} bytes)`);
});

test('the demo converts: BN folded, ReLU fused, TFLite matches the TF reference within 1e-5', async (t) => {
  const output = path.join(tmpDir(t), 'demo.tflite');
  const r = await optimize(DEMO, { output, verify: { samples: 3, seed: 1 } });
  assert.deepEqual(r.ops, {
    CONV_2D: 2,
    DEPTHWISE_CONV_2D: 1,
    MAX_POOL_2D: 1,
    AVERAGE_POOL_2D: 1,
    RESHAPE: 1,
    FULLY_CONNECTED: 1,
    SOFTMAX: 1,
  });
  // Every convolution carries the ReLU that followed its batch norm.
  const sg = r.conversion.model.subgraphs[0];
  const convs = sg?.operators.filter((op) => /CONV_2D$/.test(operatorName(r.conversion.model.operatorCodes[op.opcodeIndex] as never))) ?? [];
  assert.equal(convs.length, 3);
  for (const op of convs) {
    const o = op.builtinOptions;
    assert.ok(o?.type === BuiltinOptions.Conv2DOptions || o?.type === BuiltinOptions.DepthwiseConv2DOptions);
    assert.equal((o.value as { fusedActivationFunction: number }).fusedActivationFunction, ActivationFunctionType.RELU);
  }
  assert.ok(r.verify?.pass, JSON.stringify(r.verify));
  const [cmp] = r.verify?.outputs ?? [];
  assert.equal(cmp?.output, 'softmax');
  // Measured 8.9e-8 (softmax outputs up to ~0.5); float32 reordering alone stays far below 1e-5.
  assert.ok((cmp?.maxAbs ?? 1) < 1e-6, `max abs error ${cmp?.maxAbs}`);
  assert.deepEqual(r.signatures, ['serving_default']);
});
