// tf2onnx's TF1 test models: frozen GraphDefs of an MLP, a sigmoid autoencoder, statically
// unrolled LSTM and GRU (with dropout behind a keep_prob placeholder), and the linear
// regression as GraphDef and SavedModel with TFLite's own conversion beside it. All within 1e-5
// relative of the TF reference.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TensorValue } from '../../src/core/tensor.js';
import { fixture, need } from '../helpers/shared.js';
import { assertStaticShapes, assertVerified, convertFixture, f32, ioShapes, maxAbsDiff, opCounts, runSignature, runTfliteFile } from './helpers.js';

const DIR = 'tf2onnx-test-models';
const verify = { samples: 5, atol: 0, rtol: 1e-5 };

test('fc-layers: three MatMul+BiasAdd (+ReLU) become three FULLY_CONNECTED', async (t) => {
  const c = await convertFixture(t, `${DIR}/fc-layers/frozen.pb`, { verify });
  if (!c) return;
  assertVerified(c.result);
  assert.deepEqual(opCounts(c.model), { FULLY_CONNECTED: 3 });
  assert.deepEqual(ioShapes(c.model, 'inputs'), [[[1, 784], [-1, 784]]]);
  assert.deepEqual(ioShapes(c.model, 'outputs'), [[[1, 10], [-1, 10]]]);
  const fcs = c.result.conversion.graphs[0].nodes.map((n) => n.options.fused_activation_function);
  assert.deepEqual(fcs, [1, 1, 0]);
});

test('ae0 autoencoder: four FULLY_CONNECTED + LOGISTIC', async (t) => {
  const c = await convertFixture(t, `${DIR}/ae0/frozen.pb`, { verify });
  if (!c) return;
  assertVerified(c.result);
  assert.deepEqual(opCounts(c.model), { FULLY_CONNECTED: 4, LOGISTIC: 4 });
});

test('regression GraphDef and SavedModel (unknown-rank X, given as a scalar) equal TFLite\'s own conversion', async (t) => {
  const official = fixture(`${DIR}/regression/tflite/model.tflite`);
  if (!need(t, official)) return;
  const gd = await convertFixture(t, `${DIR}/regression/graphdef/frozen.pb`, { inputShapes: { X: [] }, verify });
  const sm = await convertFixture(t, `${DIR}/regression/saved_model`, { inputShapes: { X: [] }, verify });
  if (!gd || !sm) return;
  assertVerified(gd.result);
  assertVerified(sm.result);
  for (const c of [gd, sm]) {
    assert.deepEqual(opCounts(c.model), { MUL: 1, ADD: 1 });
    assert.deepEqual(ioShapes(c.model, 'inputs'), [[[], []]]);
  }
  for (const x of [-3, 0, 0.5, 12.25]) {
    const input = f32([], [x]);
    const [theirs] = await runTfliteFile(official, [input]);
    const fromGraph: TensorValue = (await runSignature(gd.model, 'serving_default', { X: input })).pred;
    const fromSaved: TensorValue = (await runSignature(sm.model, 'serving_default', { X: input })).pred;
    assert.equal(maxAbsDiff(fromGraph, theirs), 0, `GraphDef, x=${x}`);
    assert.equal(maxAbsDiff(fromSaved, theirs), 0, `SavedModel, x=${x}`);
  }
});

test('unrolled LSTM: X [-1,784] and keep_prob; dropout kept (RANDOM_UNIFORM), exact at keep_prob 1; batch stays dynamic', async (t) => {
  const c = await convertFixture(t, `${DIR}/lstm/frozen.pb`, { inputShapes: { keep_prob: [] }, verify: { ...verify, fill: { keep_prob: 1 } } });
  if (!c) return;
  assertVerified(c.result);
  assert.match(c.result.verify?.notes[0] ?? '', /random ops \(RandomUniform 'model\/dropout\/random_uniform\/RandomUniform'\)/);
  const ops = opCounts(c.model);
  assert.equal(ops.FULLY_CONNECTED, 29);
  assert.equal(ops.RANDOM_UNIFORM, 1);
  assert.deepEqual(c.model.signatureDefs[0].inputs.map((m) => m.name), ['X', 'keep_prob']);
  assert.deepEqual(ioShapes(c.model, 'inputs'), [
    [[1, 784], [-1, 784]],
    [[], []],
  ]);
  assertStaticShapes(c.model);
  // X reshaped to [batch, 28, 28] keeps the batch free: the target is a constant with -1.
  const reshape = c.result.conversion.graphs[0].nodes.find((n) => n.name === 'model/Reshape');
  assert.deepEqual(reshape?.options.new_shape, [-1, 28, 28]);
  assert.ok(c.result.verify && c.result.verify.outputs[0].maxRel < 1e-5);
});

test('unrolled GRU: X without a declared shape needs --input-shape; then matches at keep_prob 1', async (t) => {
  await assert.rejects(convertFixture(t, `${DIR}/gru/frozen.pb`, { inputShapes: { keep_prob: [] } }), /input 'X' has an unknown rank/);
  const c = await convertFixture(t, `${DIR}/gru/frozen.pb`, { inputShapes: { keep_prob: [], X: [1, 784] }, verify: { ...verify, fill: { keep_prob: 1 } } });
  if (!c) return;
  assertVerified(c.result);
  const ops = opCounts(c.model);
  assert.equal(ops.FULLY_CONNECTED, 57);
  assert.equal(ops.TANH, 28);
  assertStaticShapes(c.model);
});
