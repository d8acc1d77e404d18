// tfjs-node's test SavedModels (TF 2.0-2.3 tf.Module saves): scalar float/int32/uint8 inputs,
// several outputs (one of them an input passed through), several signatures in one file, and
// int64 I/O, which the WASM runtime cannot feed (converted and checked by structure).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TensorValue } from '../../src/core/tensor.js';
import { TensorType } from '../../src/tflite/index.js';
import { assertStaticShapes, assertVerified, convertFixture, opCounts, runSignature, signatureDefs } from './helpers.js';

const DIR = 'tfjs-node-saved-models';
const verify = { samples: 4, atol: 0, rtol: 0 };
const scalar = (dtype: 'float32' | 'int32', v: number): TensorValue => ({ dtype, shape: [], data: dtype === 'float32' ? Float32Array.of(v) : Int32Array.of(v) });
const values = (t: TensorValue): number[] => Array.from(t.data as ArrayLike<number>);

test('times_three_float and times_two_int: scalar float32 and int32, exact', async (t) => {
  const a = await convertFixture(t, `${DIR}/times_three_float`, { verify });
  const b = await convertFixture(t, `${DIR}/times_two_int`, { verify });
  if (!a || !b) return;
  assertVerified(a.result);
  assertVerified(b.result);
  assert.deepEqual(values((await runSignature(a.model, 'serving_default', { x: scalar('float32', 2) })).output_0), [6]);
  assert.deepEqual(values((await runSignature(b.model, 'serving_default', { x: scalar('int32', 5) })).output_0), [10]);
  assert.equal(b.model.subgraphs[0].tensors[b.model.subgraphs[0].inputs[0]].type, TensorType.INT32);
});

test('multi-output models: both outputs, one of them an input passed straight through', async (t) => {
  const two = await convertFixture(t, `${DIR}/model_multi_output`, { verify });
  const one = await convertFixture(t, `${DIR}/model_single_input_multi_output`, { verify });
  if (!two || !one) return;
  assertVerified(two.result);
  assertVerified(one.result);
  assert.deepEqual(signatureDefs(two.model), [['serving_default', 0, ['x', 'y'], ['output_0', 'output_1']]]);
  const r = await runSignature(two.model, 'serving_default', { x: scalar('int32', 5), y: scalar('int32', 7) });
  assert.deepEqual([values(r.output_0), values(r.output_1)], [[10], [7]]);
  const s = await runSignature(one.model, 'serving_default', { x: scalar('int32', 5) });
  assert.deepEqual([values(s.output_0), values(s.output_1)], [[10], [5]]);
});

test('uint8_multiply: uint8 input cast to int32, matches the reference on the full uint8 range', async (t) => {
  const c = await convertFixture(t, `${DIR}/uint8_multiply`, { verify: { samples: 8, atol: 0, rtol: 0 } });
  if (!c) return;
  assertVerified(c.result);
  assert.deepEqual(opCounts(c.model), { CAST: 1, MUL: 1 });
  const sg = c.model.subgraphs[0];
  assert.deepEqual([sg.tensors[sg.inputs[0]].type, sg.tensors[sg.outputs[0]].type], [TensorType.UINT8, TensorType.INT32]);
  const out = await runSignature(c.model, 'serving_default', { x: { dtype: 'uint8', shape: [1], data: Uint8Array.of(200) } });
  assert.deepEqual(values(out.output_0), [1200]);
});

test('module_with_multiple_signatures --all-signatures: two subgraphs with their SignatureDefs, each runs alone', async (t) => {
  const c = await convertFixture(t, `${DIR}/module_with_multiple_signatures`, { allSignatures: true, verify });
  if (!c) return;
  assertVerified(c.result);
  assert.deepEqual(c.result.verify?.outputs.map((o) => o.signature), ['serving_default', 'timestwo']);
  assert.deepEqual(signatureDefs(c.model), [
    ['serving_default', 0, ['x'], ['output_0']],
    ['timestwo', 1, ['x'], ['output_0']],
  ]);
  assert.deepEqual(c.model.subgraphs.map((s) => s.name), ['serving_default', 'timestwo']);
  assertStaticShapes(c.model);
  assert.deepEqual(values((await runSignature(c.model, 'serving_default', { x: scalar('float32', 5) })).output_0), [15]);
  assert.deepEqual(values((await runSignature(c.model, 'timestwo', { x: scalar('float32', 5) })).output_0), [10]);
});

test('int64_multiply: int64 in and out are written as INT64; the WASM runtime cannot feed them, so only structure is checked', async (t) => {
  const c = await convertFixture(t, `${DIR}/int64_multiply`, { verify: true });
  if (!c) return;
  assert.deepEqual(opCounts(c.model), { MUL: 1 });
  const sg = c.model.subgraphs[0];
  assert.deepEqual([sg.tensors[sg.inputs[0]].type, sg.tensors[sg.outputs[0]].type], [TensorType.INT64, TensorType.INT64]);
  assert.deepEqual(sg.tensors[sg.inputs[0]].shape, [2]);
  // The multiplier is an int64 constant (frozen from the variables).
  const constant = sg.tensors.find((x) => x.buffer > 0);
  assert.ok(constant);
  assert.equal(constant.type, TensorType.INT64);
  const out = c.result.verify?.outputs[0];
  assert.equal(out?.skipped, "the TFLite runtime cannot write int64 inputs ('x')");
});
