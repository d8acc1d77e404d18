// resolve-switch-merge: TF1 Switch/Merge with a constant predicate becomes plain data flow.
// Graphs are built as real GraphDef files (a Keras learning-phase dropout, tf.cond on a
// constant) and converted end to end; the result runs in TFLite and matches the TF reference,
// which executes the original Switch/Merge.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import { optimize } from '../../src/api/optimize.js';
import type { TensorValue } from '../../src/core/tensor.js';
import { ErrorCode, TfconvError } from '../../src/errors/index.js';
import { graphFromGraphDef } from '../../src/graph/from-graphdef.js';
import { constNode } from '../../src/prepare/freeze-variables.js';
import { prepareGraphDef } from '../../src/prepare/index.js';
import type { GraphDef } from '../../src/proto/types.js';
import { resolveSwitchMerge } from '../../src/passes/resolve-switch-merge.js';
import { removeIdentity } from '../../src/passes/remove-identity.js';
import { runTfReference } from '../../src/runtime/tf-reference.js';
import { fixture, need } from '../helpers/shared.js';
import { tmpDir } from '../helpers/tmp.js';
import { DT, node, shape, type, writeGraphDef } from '../helpers/graphdef.js';
import { runSignature } from '../convert/helpers.js';

const FLOAT = DT.FLOAT;
const BOOL = DT.BOOL;
const T = { T: type(FLOAT) };

/**
 * Keras' learning-phase pattern: y = Relu(Merge(Identity(sw:0), Mul(sw:1, 2))) with
 * sw = Switch(x, keras_learning_phase), the learning phase a PlaceholderWithDefault(`phase`).
 * Also returns Merge's value_index as an output (cast to float).
 */
function learningPhaseGraph(phase: boolean): GraphDef {
  return {
    node: [
      node('x', 'Placeholder', [], { dtype: type(FLOAT), shape: shape([-1, 3]) }),
      constNode('keras_learning_phase/input', { dtype: 'bool', shape: [], data: Uint8Array.of(phase ? 1 : 0) }),
      node('keras_learning_phase', 'PlaceholderWithDefault', ['keras_learning_phase/input'], { dtype: type(BOOL), shape: shape([]) }),
      node('dropout/Switch', 'Switch', ['x', 'keras_learning_phase'], T),
      node('dropout/infer', 'Identity', ['dropout/Switch'], T),
      constNode('dropout/two', { dtype: 'float32', shape: [], data: Float32Array.of(2) }),
      node('dropout/train', 'Mul', ['dropout/Switch:1', 'dropout/two'], T),
      node('dropout/Merge', 'Merge', ['dropout/infer', 'dropout/train'], { ...T, N: { value: 'i', i: 2 } }),
      node('y', 'Relu', ['dropout/Merge'], T),
      node('which', 'Cast', ['dropout/Merge:1'], { SrcT: type(3), DstT: type(FLOAT), Truncate: { value: 'b', b: false } }),
    ],
    versions: null,
    version: 0,
    library: null,
  };
}

function writeGraph(t: TestContext, gd: GraphDef): string {
  return writeGraphDef(t, gd.node);
}

test('Keras learning phase False: the inference branch is kept, the training branch and Switch/Merge are gone; matches the reference', async (t) => {
  const file = writeGraph(t, learningPhaseGraph(false));
  const out = path.join(tmpDir(t), 'out.tflite');
  const v = await optimize(file, { output: out, outputArrays: ['y'], verify: { samples: 4, atol: 0, rtol: 0 } });
  assert.ok(v.verify?.pass);
  assert.deepEqual(v.ops, { RELU: 1 });
  // With Merge's value_index as an output too (tfjs cannot fetch it, so TFLite alone is checked).
  const r = await optimize(file, { output: out, outputArrays: ['y', 'which'] });
  const run = r.conversion.passRuns[0].find((p) => p.name === 'resolve-switch-merge');
  assert.equal(run?.rewrites, 2, 'one Switch and one Merge resolved');
  // value_index is the constant 0 (the first input was live).
  const x: TensorValue = { dtype: 'float32', shape: [1, 3], data: Float32Array.of(-1, 0.5, 2) };
  const got = await runSignature(r.conversion.model, 'serving_default', { x });
  assert.deepEqual(Array.from(got.y.data as Float32Array), [0, 0.5, 2]);
  assert.deepEqual(Array.from(got.which.data as Float32Array), [0]);
});

test('learning phase True: the training branch is the live one (numeric: Relu(2x), value_index 1)', async (t) => {
  const file = writeGraph(t, learningPhaseGraph(true));
  const out = path.join(tmpDir(t), 'out.tflite');
  const v = await optimize(file, { output: out, outputArrays: ['y'], verify: { samples: 3, atol: 0, rtol: 0 } });
  assert.ok(v.verify?.pass);
  assert.deepEqual(v.ops, { MUL: 1 }, 'Mul(x, 2) with the Relu fused');
  const r = await optimize(file, { output: out, outputArrays: ['y', 'which'] });
  const x: TensorValue = { dtype: 'float32', shape: [1, 3], data: Float32Array.of(-1, 0.5, 2) };
  const got = await runSignature(r.conversion.model, 'serving_default', { x });
  assert.deepEqual(Array.from(got.y.data as Float32Array), [0, 1, 4]);
  assert.deepEqual(Array.from(got.which.data as Float32Array), [1]);
  // The reference (tfjs executing the real Switch/Merge) agrees.
  const p = r.conversion.prepared[0];
  const [ref] = await runTfReference(p.graphDef, { x }, ['y']);
  assert.deepEqual(Array.from(ref.data as Float32Array), [0, 1, 4]);
});

test('a predicate fed at run time: the pass changes nothing and the support check names Switch and Merge with why', async (t) => {
  const gd = learningPhaseGraph(false);
  const file = writeGraph(t, gd);
  // Feeding the learning phase makes it a real input: the predicate is unknown.
  const prepared = prepareGraphDef(gd, { source: file, inputArrays: ['x', 'keras_learning_phase'], outputArrays: ['y'] });
  const g = graphFromGraphDef(prepared.graphDef, { outputs: prepared.outputs, inputs: prepared.inputs, source: file });
  const before = g.nodes.map((n) => n.op).join(',');
  removeIdentity.apply(g, { allowCustomOps: false, log: () => {} });
  const r = resolveSwitchMerge.apply(g, { allowCustomOps: false, log: () => {} });
  assert.equal(r.rewrites, 0);
  assert.deepEqual(g.nodes.map((n) => n.op).filter((o) => o === 'Switch' || o === 'Merge'), ['Switch', 'Merge']);
  assert.notEqual(before, '');
  await assert.rejects(
    optimize(file, { output: path.join(tmpDir(t), 'o.tflite'), inputArrays: ['x', 'keras_learning_phase'], outputArrays: ['y'] }),
    (e: unknown) => {
      assert.ok(e instanceof TfconvError);
      assert.equal(e.code, ErrorCode.UNSUPPORTED_OPS);
      assert.equal(
        e.message,
        "2 unsupported op types (2 nodes): Merge (TF1 control flow: more than one input can be live) x1 (e.g. 'dropout/Merge'); Switch (TF1 control flow: its predicate is not a constant) x1 (e.g. 'dropout/Switch'); use --allow-custom-ops to write them as custom ops",
      );
      return true;
    },
  );
});

test('an output computed only on the untaken branch is an error naming it', async (t) => {
  const gd = learningPhaseGraph(false);
  const file = writeGraph(t, gd);
  await assert.rejects(optimize(file, { output: path.join(tmpDir(t), 'o.tflite'), outputArrays: ['dropout/train'] }), (e: unknown) => {
    assert.ok(e instanceof TfconvError);
    assert.equal(e.code, ErrorCode.BAD_GRAPH);
    assert.match(e.message, /^node 'dropout\/train' \(Mul\): output 'dropout\/train' is only computed on the untaken branch of a Switch/);
    return true;
  });
});

test('control_flow_v1 SavedModel: a Merge of four live placeholders is refused, as TFLite\'s converter refuses it', async (t) => {
  const src = fixture('litert-testdata/python_testdata/control_flow_v1_saved_model');
  if (!need(t, src)) return;
  const out = path.join(tmpDir(t), 'cf.tflite');
  const inputShapes = { a: [1], b: [1], c: [1], d: [1] };
  // Before any shape is asked for: the Merge is the problem.
  for (const opts of [{}, { inputShapes }]) {
    await assert.rejects(optimize(src, { output: out, ...opts }), (e: unknown) => {
      assert.ok(e instanceof TfconvError);
      assert.equal(
        e.message,
        "signature 'serving_default': 1 unsupported op type (1 node): Merge (TF1 control flow: more than one input can be live) x1 (e.g. 'Merge'); use --allow-custom-ops to write them as custom ops",
      );
      return true;
    });
  }
  assert.equal(fs.existsSync(out), false);
});
