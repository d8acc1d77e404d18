// tf-java's multi-signature tf.Module (TF 2.4): five signatures whose inputs have unknown rank.
// Without --input-shape the conversion stops with one line naming the input and the option;
// with shapes, --all-signatures writes five subgraphs with their SignatureDefs, each of which
// runs alone and matches the TF reference.

import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { optimize } from '../../src/api/optimize.js';
import { BufferIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import type { TensorValue } from '../../src/core/tensor.js';
import { ErrorCode, TfconvError } from '../../src/errors/index.js';
import { fixture, need } from '../helpers/shared.js';
import { tmpDir } from '../helpers/tmp.js';
import { assertStaticShapes, assertVerified, convertFixture, f32, runSignature, signatureDefs } from './helpers.js';

const MODEL = 'tf-java-multi-signature/saved_model_using_python';
const values = (t: TensorValue): number[] => Array.from(t.data as ArrayLike<number>);

test('an unknown-rank input without --input-shape: one line naming the input, its signature and the option', async (t) => {
  const src = fixture(MODEL);
  if (!need(t, src)) return;
  const out = path.join(tmpDir(t), 'x.tflite');
  await assert.rejects(optimize(src, { output: out, signatures: ['add'] }), (e: unknown) => {
    assert.ok(e instanceof TfconvError);
    assert.equal(e.code, ErrorCode.SHAPE_ERROR);
    assert.equal(
      e.message,
      "input 'a' of signature 'add' has an unknown rank (the model does not declare its shape); give its shape with --input-shape a=D1,D2,... (e.g. --input-shape a=1,10; 'a=' for a scalar)",
    );
    return true;
  });
  // Through the CLI: that line, exit 1, no stack trace.
  const io = new BufferIO();
  assert.equal(await main(['optimize', src, '-o', out, '--all-signatures', '--input-shape', 'a=2,3', '--input-shape', 'b=2,3'], io), 1);
  assert.equal(io.errText, "tfconv: error: input 'input' of signature 'get_const_matrix' has an unknown rank (the model does not declare its shape); give its shape with --input-shape input=D1,D2,... (e.g. --input-shape input=1,10; 'input=' for a scalar)\n");
});

test('--input-shape that names no input, or does not fit a declared shape, is a usage error', async (t) => {
  const src = fixture(MODEL);
  if (!need(t, src)) return;
  const out = path.join(tmpDir(t), 'x.tflite');
  const io = new BufferIO();
  assert.equal(await main(['optimize', src, '-o', out, '--signature', 'add', '--input-shape', 'c=1'], io), 2);
  assert.match(io.errText, /^tfconv: error: --input-shape: 'c' is not an input of the model; inputs: 'a', 'b'\n/);
  const kaggle = fixture('kaggle-docker-python-keras/saved_model');
  if (!need(t, kaggle)) return;
  await assert.rejects(optimize(kaggle, { output: out, inputShapes: { input_1: [2, 5] } }), /--input-shape: input_1=2,5 does not fit input 'input_1', declared \[\?,4\]/);
  // A fixed batch is accepted and makes the shape fully static (no shape_signature).
  const c = await convertFixture(t, 'kaggle-docker-python-keras/saved_model', { inputShapes: { input_1: [3, 4] } });
  if (!c) return;
  const sg = c.model.subgraphs[0];
  assert.deepEqual([sg.tensors[sg.inputs[0]].shape, sg.tensors[sg.inputs[0]].shapeSignature], [[3, 4], []]);
});

test('--all-signatures with shapes: five subgraphs and SignatureDefs; every signature verified and run alone', async (t) => {
  const c = await convertFixture(t, MODEL, {
    allSignatures: true,
    inputShapes: { a: [2, 3], b: [2, 3], input: [], dummy: [] },
    verify: { samples: 3, atol: 0, rtol: 0 },
  });
  if (!c) return;
  assertVerified(c.result);
  assert.deepEqual(signatureDefs(c.model), [
    ['add', 0, ['a', 'b'], ['output_0']],
    ['get_const_matrix', 1, ['input'], ['output_0']],
    ['get_const_scalar', 2, ['input'], ['output_0']],
    ['get_const_vector', 3, ['input'], ['output_0']],
    ['get_variable', 4, ['dummy'], ['output_0']],
  ]);
  assertStaticShapes(c.model);
  const a = f32([2, 3], [1, 2, 3, 4, 5, 6]);
  const b = f32([2, 3], [10, 20, 30, 40, 50, 60]);
  assert.deepEqual(values((await runSignature(c.model, 'add', { a, b })).output_0), [11, 22, 33, 44, 55, 66]);
  const zero = f32([], [0]);
  const matrix = (await runSignature(c.model, 'get_const_matrix', { input: zero })).output_0;
  assert.deepEqual(matrix.shape, [2, 3]);
  // get_variable reads tf.Variable(2.0): frozen into a constant output.
  assert.deepEqual(values((await runSignature(c.model, 'get_variable', { dummy: zero })).output_0), [2]);
});
