// Keras SavedModels of dense networks from several TF versions: tf-rust's multi-input model (a
// shared sub-model applied to both inputs, then Concatenate) and single-input MLP (TF 2.3),
// Kaggle's Dense(1) (TF 2.6), TF.NET's MLP and custom-layer models (Keras 2.11). All must match
// the TF reference to 1e-5 relative, with BiasAdd and ReLU fused into FULLY_CONNECTED.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertStaticShapes, assertVerified, convertFixture, ioShapes, opCounts, signatureDefs } from './helpers.js';

const verify = { samples: 5, atol: 0, rtol: 1e-5 };

test('tf-rust keras multiple inputs: two [-1,5] inputs, shared Dense, Concatenate, sigmoid', async (t) => {
  const c = await convertFixture(t, 'tf-rust-keras/keras_multiple_inputs_saved_model', { verify });
  if (!c) return;
  assertVerified(c.result);
  assert.deepEqual(signatureDefs(c.model), [['serving_default', 0, ['test_in1', 'test_in2'], ['test_out']]]);
  assert.deepEqual(opCounts(c.model), { FULLY_CONNECTED: 3, CONCATENATION: 1, LOGISTIC: 1 });
  assert.deepEqual(ioShapes(c.model, 'inputs'), [
    [[1, 5], [-1, 5]],
    [[1, 5], [-1, 5]],
  ]);
  assert.deepEqual(ioShapes(c.model, 'outputs'), [[[1, 1], [-1, 1]]]);
  // The shared layer's weights are stored once, not per use.
  const sg = c.model.subgraphs[0];
  const fcWeights = sg.operators.filter((op) => c.model.operatorCodes[op.opcodeIndex].builtinCode === 9).map((op) => sg.tensors[op.inputs[1]].buffer);
  assert.equal(fcWeights.length, 3);
  assertStaticShapes(c.model);
});

test('tf-rust keras single input: Dense-ReLU x2 then sigmoid, ReLU fused', async (t) => {
  const c = await convertFixture(t, 'tf-rust-keras/keras_single_input_saved_model', { verify });
  if (!c) return;
  assertVerified(c.result);
  assert.deepEqual(opCounts(c.model), { FULLY_CONNECTED: 3, LOGISTIC: 1 });
});

test('kaggle docker-python keras: Dense(1) on [-1,4]', async (t) => {
  const c = await convertFixture(t, 'kaggle-docker-python-keras/saved_model', { verify });
  if (!c) return;
  assertVerified(c.result);
  assert.deepEqual(opCounts(c.model), { FULLY_CONNECTED: 1 });
  assert.deepEqual(ioShapes(c.model, 'inputs'), [[[1, 4], [-1, 4]]]);
});

test('tfnet keras MLP (Keras 2.11, PrintV2 in its functions): Flatten, Dense-ReLU, Dense, Softmax', async (t) => {
  const c = await convertFixture(t, 'tfnet-keras/simple_model_from_auto_compile', { verify });
  if (!c) return;
  assertVerified(c.result);
  assert.deepEqual(opCounts(c.model), { RESHAPE: 1, FULLY_CONNECTED: 2, SOFTMAX: 1 });
  assert.deepEqual(ioShapes(c.model, 'inputs'), [[[1, 28, 28, 1], [-1, 28, 28, 1]]]);
  assert.deepEqual(ioShapes(c.model, 'outputs'), [[[1, 10], [-1, 10]]]);
  // Flatten's target keeps the batch dynamic, as TFLite's converter writes it.
  const reshape = c.result.conversion.graphs[0].nodes.find((n) => n.op === 'tfl.RESHAPE');
  assert.deepEqual(reshape?.options.new_shape, [-1, 784]);
});

test('tfnet custom-layer model (a Python layer of AddV2/MatMul/Sub): matches, the layer math kept as written', async (t) => {
  const c = await convertFixture(t, 'tfnet-keras/python_func_model', { verify });
  if (!c) return;
  assertVerified(c.result);
  // m = (x + a) @ W; y = softmax(m + (m - b)): the scalar added before the MatMul is not a bias.
  assert.deepEqual(opCounts(c.model), { ADD: 2, FULLY_CONNECTED: 1, SUB: 1, SOFTMAX: 1 });
});

test('tfnet leak_test_model: unknown sequence length is set to 1 with a note; --input-shape fixes it and verifies', async (t) => {
  const plain = await convertFixture(t, 'tfnet-keras/leak_test_model', { verify: true });
  if (!plain) return;
  assert.ok(
    plain.result.notes.includes("input 'input' has unknown dimensions besides the batch ([-1,-1,96]); they were set to 1: give the real size with --input-shape input=..."),
    JSON.stringify(plain.result.notes),
  );
  assert.deepEqual(ioShapes(plain.model, 'inputs'), [[[1, 1, 96], [-1, -1, 96]]]);
  const sized = await convertFixture(t, 'tfnet-keras/leak_test_model', { inputShapes: { input: [1, 20, 96] }, verify: true });
  if (!sized) return;
  assert.ok(!sized.result.notes.some((n) => n.includes('unknown dimensions')));
  // The whole shape given: nothing dynamic left, so no shape_signature is written.
  assert.deepEqual(ioShapes(sized.model, 'inputs'), [[[1, 20, 96], []]]);
  assertVerified(sized.result);
});
