// MLPerf Tiny keyword spotting (Keras DS-CNN, TF 2.3 SavedModel): the main golden model. Batch
// norm, BiasAdd and ReLU must all fold into the convolutions, the operator count must not exceed
// the official int8 file's (converted by TFLite from the same SavedModel), and the softmax must
// match the TF reference on seeded and on speech-like inputs.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { convertModel } from '../../src/convert/convert.js';
import { type TensorValue, toFloat64 } from '../../src/core/tensor.js';
import { decodeNpy } from '../../src/io/npy.js';
import { TfReferenceModel } from '../../src/runtime/tf-reference.js';
import { readTfliteFile } from '../../src/tflite/index.js';
import { fixture, need, sharedData } from '../helpers/shared.js';
import { assertStaticShapes, computeOpCount, convertFixture, ioShapes, maxAbsDiff, opCounts, runSignature } from './helpers.js';

const KWS = 'mlcommons-tiny-kws/kws_ref_model';
const OFFICIAL_INT8 = fixture('mlcommons-tiny-kws/kws_ref_model_int8_matching.tflite');
const MFCC = sharedData('kws-mfcc/evaluation.npy');

test('kws: 20 seeded inputs within 1e-4 of the TF reference; BN, BiasAdd and ReLU folded; 13 ops like the official int8 file', async (t) => {
  if (!need(t, OFFICIAL_INT8)) return;
  const c = await convertFixture(t, KWS, { verify: { samples: 20, seed: 1, atol: 1e-4, rtol: 0 } });
  if (!c) return;
  const v = c.result.verify;
  assert.ok(v);
  assert.equal(v.samples, 20);
  assert.equal(v.outputs.length, 1);
  assert.equal(v.outputs[0].output, 'dense');
  assert.ok(v.outputs[0].maxAbs <= 1e-4, `max abs ${v.outputs[0].maxAbs}`);
  assert.ok(v.outputs[0].pass);
  // Measured: max abs 2.4e-7 (XNNPACK vs tfjs's kernels).
  assert.ok(v.outputs[0].maxAbs < 1e-6, `max abs ${v.outputs[0].maxAbs} (was 2.4e-7)`);

  assert.deepEqual(opCounts(c.model), { CONV_2D: 5, DEPTHWISE_CONV_2D: 4, AVERAGE_POOL_2D: 1, RESHAPE: 1, FULLY_CONNECTED: 1, SOFTMAX: 1 });
  const official = readTfliteFile(OFFICIAL_INT8).model;
  assert.equal(computeOpCount(official), 13);
  assert.ok(computeOpCount(c.model) <= computeOpCount(official));
  // Nothing of TF is left in the converted graph: no batch norm, BiasAdd or standalone ReLU.
  const ops = c.result.conversion.graphs[0].nodes.map((n) => n.op);
  assert.deepEqual(ops.filter((o) => !o.startsWith('tfl.')), []);
  for (const o of ['tfl.ADD', 'tfl.MUL', 'tfl.RELU', 'tfl.SUB']) assert.ok(!ops.includes(o), `no ${o}`);
  // Every conv carries its ReLU (the 9 convs of the DS-CNN are all followed by one).
  const convs = c.result.conversion.graphs[0].nodes.filter((n) => n.op === 'tfl.CONV_2D' || n.op === 'tfl.DEPTHWISE_CONV_2D');
  assert.deepEqual(new Set(convs.map((n) => n.options.fused_activation_function)), new Set([1]));

  // Static shapes, the batch as 1 in shape and -1 in shape_signature.
  assertStaticShapes(c.model);
  assert.deepEqual(ioShapes(c.model, 'inputs'), [[[1, 49, 10, 1], [-1, 49, 10, 1]]]);
  assert.deepEqual(ioShapes(c.model, 'outputs'), [[[1, 12], [-1, 12]]]);
  assert.equal(c.model.signatureDefs[0].signatureKey, 'serving_default');
  // Size: weights stay float32 (about 95 KiB; the int8 file is 58 KiB).
  assert.ok(c.bytes.length > 90_000 && c.bytes.length < 100_000, `${c.bytes.length} bytes`);
});

test('kws: speech-like MFCC inputs give the TF reference top-1 on every row checked', async (t) => {
  if (!need(t, MFCC)) return;
  const c = await convertFixture(t, KWS);
  if (!c) return;
  const features = decodeNpy(fs.readFileSync(MFCC), MFCC);
  assert.deepEqual(features.shape, [200, 49, 10, 1]);
  const rows = 24;
  const rowSize = 49 * 10;
  const all = toFloat64(features);
  const p = c.result.conversion.prepared[0];
  const reference = await TfReferenceModel.load(p.graphDef);
  const top1 = (v: TensorValue): number => {
    const x = toFloat64(v);
    return x.indexOf(Math.max(...x));
  };
  let worst = 0;
  const labels: number[] = [];
  try {
    for (let r = 0; r < rows; r++) {
      const input: TensorValue = { dtype: 'float32', shape: [1, 49, 10, 1], data: Float32Array.from(all.subarray(r * rowSize, (r + 1) * rowSize)) };
      const [ref] = await reference.run({ [p.inputs[0].name]: input }, [p.outputs[0].name]);
      const got: TensorValue = (await runSignature(c.model, 'serving_default', { input_1: input })).dense;
      assert.equal(top1(got), top1(ref), `row ${r}: top-1`);
      worst = Math.max(worst, maxAbsDiff(got, ref));
      labels.push(top1(got));
    }
  } finally {
    reference.dispose();
  }
  // The two clean recordings (README): "yes" (label 9) and "no" (label 3).
  assert.deepEqual(labels.slice(0, 2), [9, 3]);
  assert.ok(worst <= 1e-4, `max abs ${worst} on speech-like rows`);
});

test('kws: two conversions in one process give the same bytes', (t) => {
  const src = fixture(KWS);
  if (!need(t, src)) return;
  const a = convertModel(src);
  const b = convertModel(src);
  assert.equal(Buffer.compare(Buffer.from(a.bytes), Buffer.from(b.bytes)), 0);
});
