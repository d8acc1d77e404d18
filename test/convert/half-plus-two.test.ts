// TF Serving's half_plus_two (TF1 and TF2) and half_plus_three: every signature that takes
// tensors converts and matches the TF reference; the predict path matches the two official
// .tflite files made from the same graph; the tf.Example signatures (ParseExample) fail early
// with the list of unsupported ops, or become a CUSTOM op with --allow-custom-ops.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { optimize } from '../../src/api/optimize.js';
import type { TensorValue } from '../../src/core/tensor.js';
import { ErrorCode, TfconvError } from '../../src/errors/index.js';
import { TfliteRuntime } from '../../src/runtime/tflite.js';
import { BuiltinOperator, builtinCodeOf, readTfliteFile } from '../../src/tflite/index.js';
import { fixture, need } from '../helpers/shared.js';
import { tmpDir } from '../helpers/tmp.js';
import { assertStaticShapes, assertVerified, convertFixture, f32, ioShapes, maxAbsDiff, opCounts, runSignature, runTfliteFile, signatureDefs } from './helpers.js';

const TF1 = 'tf-serving-half-plus-two/saved_model_half_plus_two_cpu';
const TF2 = 'tf-serving-half-plus-two/saved_model_half_plus_two_tf2_cpu';
const THREE = 'tf-serving-half-plus-two/saved_model_half_plus_three';
const verify = { samples: 3, atol: 1e-6, rtol: 1e-6 };

test('half_plus_two TF1: serving_default and regress_x2_to_y3, one subgraph and SignatureDef each, both match the reference', async (t) => {
  const c = await convertFixture(t, TF1, { signatures: ['serving_default', 'regress_x2_to_y3'], verify });
  if (!c) return;
  assertVerified(c.result);
  assert.deepEqual(signatureDefs(c.model), [
    ['serving_default', 0, ['x'], ['y']],
    ['regress_x2_to_y3', 1, ['inputs'], ['outputs']],
  ]);
  assert.deepEqual(c.model.subgraphs.map((s) => s.name), ['serving_default', 'regress_x2_to_y3']);
  assert.deepEqual(opCounts(c.model), { MUL: 2, ADD: 2 });
  assertStaticShapes(c.model);
  assert.deepEqual(ioShapes(c.model, 'inputs', 0), [[[1, 1], [-1, 1]]]);
  // Each subgraph alone, in the runtime: y = 0.5 x + 2 and y3 = 0.5 x2 + 3.
  const x = f32([1, 1], [3]);
  assert.deepEqual(Array.from((await runSignature(c.model, 'serving_default', { x })).y.data as Float32Array), [3.5]);
  assert.deepEqual(Array.from((await runSignature(c.model, 'regress_x2_to_y3', { inputs: x })).outputs.data as Float32Array), [4.5]);
});

test('half_plus_two TF1 predict path equals both official .tflite files (TOCO and MLIR with SignatureDef)', async (t) => {
  const toco = fixture('tf-serving-half-plus-two/saved_model_half_plus_two_tflite/model.tflite');
  const mlir = fixture('tf-serving-half-plus-two/saved_model_half_plus_two_tflite_with_sigdef/model.tflite');
  if (!need(t, toco, mlir)) return;
  const c = await convertFixture(t, TF1);
  if (!c) return;
  assert.deepEqual(opCounts(c.model), opCounts(readTfliteFile(mlir).model));
  for (const seed of [1, 2, 3]) {
    const x = f32([1, 1], [Math.sin(seed) * 100]);
    const ours: TensorValue = (await runSignature(c.model, 'serving_default', { x })).y;
    for (const official of [toco, mlir]) {
      const [theirs] = await runTfliteFile(official, [x]);
      assert.equal(maxAbsDiff(ours, theirs), 0, `${path.basename(path.dirname(official))} on x=${x.data[0]}`);
    }
  }
});

test('half_plus_two TF2: serving_default, classify_x2_to_y3 and regress_x2_to_y3 convert and match', async (t) => {
  const c = await convertFixture(t, TF2, { signatures: ['serving_default', 'classify_x2_to_y3', 'regress_x2_to_y3'], verify });
  if (!c) return;
  assertVerified(c.result);
  assert.deepEqual(signatureDefs(c.model), [
    ['serving_default', 0, ['x'], ['y']],
    ['classify_x2_to_y3', 1, ['inputs'], ['scores']],
    ['regress_x2_to_y3', 2, ['inputs'], ['outputs']],
  ]);
  assert.deepEqual(ioShapes(c.model, 'inputs', 0), [[[1], []]]);
  const x = f32([1], [10]);
  assert.deepEqual(Array.from((await runSignature(c.model, 'serving_default', { x })).y.data as Float32Array), [7]);
  assert.deepEqual(Array.from((await runSignature(c.model, 'classify_x2_to_y3', { inputs: x })).scores.data as Float32Array), [8]);
});

test('half_plus_three (TF 1.0): serving_default converts and matches', async (t) => {
  const c = await convertFixture(t, THREE, { verify });
  if (!c) return;
  assertVerified(c.result);
  assert.deepEqual(opCounts(c.model), { MUL: 1, ADD: 1 });
  const out = await runSignature(c.model, 'serving_default', { x: f32(c.model.subgraphs[0].tensors[c.model.subgraphs[0].inputs[0]].shape, [4]) });
  assert.deepEqual(Array.from(out.y.data as Float32Array), [5]);
});

test('tf.Example signatures fail early with one line: the unsupported op, its node, and the signatures that would work', async (t) => {
  const src = fixture(TF1);
  if (!need(t, src)) return;
  const out = path.join(tmpDir(t), 'x.tflite');
  for (const [key, op, node] of [
    ['classify_x_to_y', 'ParseExample', 'ParseExample/ParseExample'],
    ['regress_x_to_y', 'ParseExample', 'ParseExample/ParseExample'],
  ]) {
    await assert.rejects(optimize(src, { output: out, signatures: [key] }), (e: unknown) => {
      assert.ok(e instanceof TfconvError);
      assert.equal(e.code, ErrorCode.UNSUPPORTED_OPS);
      assert.equal(
        e.message,
        `signature '${key}': 1 unsupported op type (1 node): ${op} x1 (e.g. '${node}'); use --allow-custom-ops to write them as custom ops; or convert only signatures without them with --signature KEY ('regress_x2_to_y3', 'serving_default')`,
      );
      return true;
    });
  }
  assert.equal(fs.existsSync(out), false, 'no file written');
  // Reported before the expensive work: before the string input's missing shape, and before any
  // variable-free signature of --all-signatures is converted.
  await assert.rejects(optimize(src, { output: out, allSignatures: true }), /signature 'classify_x_to_y': 1 unsupported op type/);
});

test('--allow-custom-ops writes ParseExample as a CUSTOM op; the interpreter refuses it without a registered kernel', async (t) => {
  const c = await convertFixture(t, TF1, { signatures: ['classify_x_to_y'], allowCustomOps: true, inputShapes: { inputs: [1] }, verify: true });
  if (!c) return;
  assert.deepEqual(opCounts(c.model), { ParseExample: 1, MUL: 1, ADD: 1 });
  const codes = c.model.operatorCodes.filter((oc) => builtinCodeOf(oc) === BuiltinOperator.CUSTOM);
  assert.deepEqual(codes.map((oc) => oc.customCode), ['ParseExample']);
  assert.match(c.result.notes.join('\n'), /custom ops \(ParseExample\): the TFLite interpreter refuses to load it/);
  // Verification cannot run it and says why, instead of failing.
  assert.ok(c.result.verify);
  assert.match(c.result.verify.outputs[0].skipped ?? '', /custom op ParseExample: TFLite has no kernel/);
  // What the real runtime does with the file.
  const runtime = await TfliteRuntime.load();
  assert.throws(() => runtime.loadModel(c.bytes, { name: 'custom' }), (e: unknown) => {
    assert.ok(e instanceof TfconvError);
    assert.equal(e.code, ErrorCode.RUNTIME_FAILED);
    assert.match(e.message, /unresolved custom op: ParseExample/);
    return true;
  });
  // The string input is [1], the parsed tensors' unknown sizes are 1 with -1 in shape_signature.
  assert.deepEqual(ioShapes(c.model, 'inputs'), [[[1], []]]);
  assertStaticShapes(c.model);
});
