// tf-rust's TF 2.5 regression tf.Module: signatures without inputs (`w`, `b` read a variable),
// and `train`, whose function runs an optimizer step. TFLite refuses a SignatureDef without an
// inputs vector, so an empty one is written; the dropped variable updates are said in a note.
// Also its tiny TF1 GraphDefs, one of which still reads variables.

import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { optimize } from '../../src/api/optimize.js';
import { ErrorCode, TfconvError } from '../../src/errors/index.js';
import { fixture, need } from '../helpers/shared.js';
import { tmpDir } from '../helpers/tmp.js';
import { assertVerified, convertFixture, opCounts, runSignature, signatureDefs } from './helpers.js';

const MODEL = 'tf-rust-keras/regression_savedmodel';

test('signatures without inputs load and run: their SignatureDefs carry an empty inputs vector', async (t) => {
  const c = await convertFixture(t, MODEL, { signatures: ['w', 'b'], verify: { samples: 1, atol: 0, rtol: 0 } });
  if (!c) return;
  assertVerified(c.result);
  assert.deepEqual(signatureDefs(c.model), [
    ['w', 0, [], ['output']],
    ['b', 1, [], ['output']],
  ]);
  const w = (await runSignature(c.model, 'w', {})).output;
  assert.deepEqual(w.shape, [1]);
});

test('train: outputs converted and verified; the optimizer step it runs in TF is reported, not silently dropped', async (t) => {
  const c = await convertFixture(t, MODEL, { signatures: ['train'], inputShapes: { x: [4], y: [4] }, verify: { samples: 3, atol: 0, rtol: 1e-6 } });
  if (!c) return;
  assertVerified(c.result);
  assert.deepEqual(c.result.notes, [
    "signature 'train' updates variables (ResourceApplyGradientDescent x2, AssignAddVariableOp x1); the converted model computes its outputs from the saved values and does not update them",
  ]);
  assert.deepEqual(opCounts(c.model), { MUL: 1, ADD: 1, SUB: 1, SQUARE: 1, MEAN: 1 });
});

test('TF1 GraphDefs: addition (int32) and multiplication convert; regression.pb still reads variables and says so', async (t) => {
  const add = await convertFixture(t, 'tf-rust-keras/graphdefs/addition.pb', { verify: { samples: 3, atol: 0, rtol: 0 } });
  const mul = await convertFixture(t, 'tf-rust-keras/graphdefs/multiplication.pb', { verify: { samples: 3, atol: 0, rtol: 0 } });
  if (!add || !mul) return;
  assertVerified(add.result);
  assertVerified(mul.result);
  const src = fixture('tf-rust-keras/graphdefs/regression.pb');
  if (!need(t, src)) return;
  await assert.rejects(optimize(src, { output: path.join(tmpDir(t), 'r.tflite') }), (e: unknown) => {
    assert.ok(e instanceof TfconvError);
    assert.equal(e.code, ErrorCode.NOT_A_MODEL);
    assert.match(e.message, /regression\.pb: reads variable 'w' \(Variable\), and a GraphDef holds no variable values; freeze the graph first, or convert the SavedModel it came from$/);
    return true;
  });
});
