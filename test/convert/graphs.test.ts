// Small GraphDefs that pin down one converter behaviour each, end to end (written as .pb, run in
// TFLite, compared with the TF reference): shape signatures through folding, a graph that fixes
// its own batch, dropout's RANDOM_UNIFORM options, and cut inputs without a declared shape.

import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { optimize } from '../../src/api/optimize.js';
import { convertModel } from '../../src/convert/convert.js';
import { ErrorCode, TfconvError } from '../../src/errors/index.js';
import { graphFromGraphDef } from '../../src/graph/from-graphdef.js';
import { annotateShapes } from '../../src/graph/infer.js';
import { foldConstants } from '../../src/passes/fold-constants.js';
import { readGraphDef } from '../../src/readers/graphdef.js';
import { BuiltinOptions, minRuntimeVersion, readTflite } from '../../src/tflite/index.js';
import { DT, bool, constant, int, node, placeholder, type, writeGraphDef } from '../helpers/graphdef.js';
import { fixture, need } from '../helpers/shared.js';
import { tmpDir } from '../helpers/tmp.js';
import { assertStaticShapes, assertVerified, ioShapes, opCounts } from './helpers.js';

const i32 = (name: string, values: number[], shape = [values.length]) => constant(name, { dtype: 'int32', shape, data: Int32Array.from(values) });
const f32 = (name: string, values: number[], shape = [values.length]) => constant(name, { dtype: 'float32', shape, data: Float32Array.from(values) });
const T = { T: type(DT.FLOAT) };

/** y = Reshape(x * 2, [batch, 3, 1]) with batch = Shape(x)[0], as Keras and TF1 graphs compute it. */
function dynamicReshape() {
  return [
    placeholder('x', [-1, 3]),
    node('shape', 'Shape', ['x'], { ...T, out_type: type(DT.INT32) }),
    i32('begin', [0]),
    i32('end', [1]),
    i32('stride', [1]),
    node('batch', 'StridedSlice', ['shape', 'begin', 'end', 'stride'], {
      T: type(DT.INT32),
      Index: type(DT.INT32),
      begin_mask: int(0),
      end_mask: int(0),
      ellipsis_mask: int(0),
      new_axis_mask: int(0),
      shrink_axis_mask: int(1),
    }),
    i32('three', [3], []),
    i32('one', [1], []),
    node('target', 'Pack', ['batch', 'three', 'one'], { T: type(DT.INT32), N: int(3), axis: int(0) }),
    f32('two', [2], []),
    node('scaled', 'Mul', ['x', 'two'], T),
    node('y', 'Reshape', ['scaled', 'target'], { ...T, Tshape: type(DT.INT32) }),
  ];
}

test('a batch computed from Shape(x) stays dynamic: not folded at batch 1, RESHAPE to [-1, 3, 1], signatures kept', async (t) => {
  const file = writeGraphDef(t, dynamicReshape());
  const out = path.join(tmpDir(t), 'o.tflite');
  const r = await optimize(file, { output: out, verify: { samples: 3, atol: 0, rtol: 0 } });
  assertVerified(r);
  assert.deepEqual(r.ops, { MUL: 1, RESHAPE: 1 }, 'the Shape/StridedSlice/Pack chain is unused once the RESHAPE takes a constant target');
  const reshape = r.conversion.graphs[0].nodes.find((n) => n.op === 'tfl.RESHAPE');
  assert.deepEqual(reshape?.options.new_shape, [-1, 3, 1]);
  assert.deepEqual(ioShapes(r.conversion.model, 'inputs'), [[[1, 3], [-1, 3]]]);
  assert.deepEqual(ioShapes(r.conversion.model, 'outputs'), [[[1, 3, 1], [-1, 3, 1]]]);
  assert.equal(r.conversion.passRuns[0].find((p) => p.name === 'remove-unused')?.rewrites, 3);

  // The pass itself: the batch-dependent chain is left alone, a constant-only node is folded.
  const gd = readGraphDef(file);
  const g = graphFromGraphDef(gd, { outputs: [{ key: 'y', name: 'y' }], source: file });
  annotateShapes(g);
  assert.deepEqual(g.inputs[0].signature, [-1, 3]);
  const before = g.nodes.map((n) => n.op);
  foldConstants.apply(g, { allowCustomOps: false, log: () => {} });
  assert.deepEqual(g.nodes.map((n) => n.op), before, 'Shape(x) follows the batch: nothing folded');
  // Annotating again (as the pipeline does after folding) keeps the -1s.
  annotateShapes(g);
  assert.deepEqual(g.inputs[0].signature, [-1, 3]);
  assert.deepEqual(g.outputs[0].signature, [-1, 3, 1]);
});

test('a fixed input batch folds the same chain completely', (t) => {
  const nodes = dynamicReshape();
  nodes[0] = placeholder('x', [2, 3]);
  const r = convertModel(writeGraphDef(t, nodes));
  assert.deepEqual(r.graphs[0].nodes.map((n) => n.op), ['tfl.MUL', 'tfl.RESHAPE']);
  assert.deepEqual(r.graphs[0].nodes[1].options.new_shape, [2, 3, 1]);
  assert.deepEqual(ioShapes(r.model, 'inputs'), [[[2, 3], []]]);
});

test('a graph that pins its batch (Reshape to a constant [1, 6]) gets no shape_signature: it cannot run at another batch', async (t) => {
  const file = writeGraphDef(t, [placeholder('x', [-1, 2, 3]), i32('target', [1, 6]), node('y', 'Reshape', ['x', 'target'], { ...T, Tshape: type(DT.INT32) }), node('z', 'Relu', ['y'], T)]);
  const r = await optimize(file, { output: path.join(tmpDir(t), 'o.tflite'), verify: { samples: 2, atol: 0, rtol: 0 } });
  assertVerified(r);
  assert.deepEqual(ioShapes(r.conversion.model, 'inputs'), [[[1, 2, 3], []]]);
  assert.deepEqual(ioShapes(r.conversion.model, 'outputs'), [[[1, 6], []]]);
  assertStaticShapes(r.conversion.model);
});

test('dropout with seeds: RANDOM_UNIFORM keeps seed and seed2 (64-bit options); exact with keep_prob 1', async (t) => {
  const file = writeGraphDef(t, [
    placeholder('x', [-1, 4]),
    node('keep_prob', 'Placeholder', [], { dtype: type(DT.FLOAT) }),
    node('shape', 'Shape', ['x'], { ...T, out_type: type(DT.INT32) }),
    node('u', 'RandomUniform', ['shape'], { T: type(DT.INT32), dtype: type(DT.FLOAT), seed: int(7), seed2: int(42) }),
    node('kp_u', 'Add', ['keep_prob', 'u'], T),
    node('mask', 'Floor', ['kp_u'], T),
    node('scaled', 'RealDiv', ['x', 'keep_prob'], T),
    node('y', 'Mul', ['scaled', 'mask'], T),
  ]);
  const r = await optimize(file, { output: path.join(tmpDir(t), 'o.tflite'), inputShapes: { keep_prob: [] }, verify: { samples: 3, atol: 0, rtol: 0, fill: { keep_prob: 1 } } });
  assertVerified(r);
  assert.equal(opCounts(r.conversion.model).RANDOM_UNIFORM, 1);
  const sg = r.conversion.model.subgraphs[0];
  const options = sg.operators.map((o) => o.builtinOptions).find((b) => b?.type === BuiltinOptions.RandomOptions);
  assert.ok(options && 'value' in options);
  assert.deepEqual(options.value, { seed: 7n, seed2: 42n });
  // RANDOM_UNIFORM dates from TFLite 2.8: the file says so.
  assert.equal(minRuntimeVersion(readTflite(r.conversion.bytes, 'o.tflite')), '2.8.0');
});

test('a cut input with no recorded shape that is not a constant Reshape asks for --input-shape by name', async (t) => {
  const src = fixture('siliconlabs-micro-speech-tf1/model.pb');
  if (!need(t, src)) return;
  const out = path.join(tmpDir(t), 'o.tflite');
  await assert.rejects(optimize(src, { output: out, inputArrays: ['Relu'], outputArrays: ['labels_softmax'] }), (e: unknown) => {
    assert.ok(e instanceof TfconvError);
    assert.equal(e.code, ErrorCode.SHAPE_ERROR);
    assert.equal(e.message, "input 'Relu' has an unknown rank (the model does not declare its shape); give its shape with --input-shape Relu=D1,D2,... (e.g. --input-shape Relu=1,10; 'Relu=' for a scalar)");
    return true;
  });
  const r = await optimize(src, { output: out, inputArrays: ['Relu'], outputArrays: ['labels_softmax'], inputShapes: { Relu: [1, 25, 20, 8] }, verify: { samples: 3, atol: 0, rtol: 1e-5 } });
  assertVerified(r);
  assert.deepEqual(r.ops, { FAKE_QUANT: 2, RESHAPE: 1, FULLY_CONNECTED: 1, SOFTMAX: 1 });
});

test('narrow_range FakeQuant on activations: FAKE_QUANT without narrow_range (the TFLite kernel refuses it), the range widened by one step', (t) => {
  const r = convertModel(
    writeGraphDef(t, [
      placeholder('x', [1, 4]),
      f32('lo', [-1], []),
      f32('hi', [1], []),
      node('y', 'FakeQuantWithMinMaxVars', ['x', 'lo', 'hi'], { num_bits: int(8), narrow_range: bool(true) }),
    ]),
  );
  assert.deepEqual(r.graphs[0].nodes.map((n) => [n.op, n.version, n.options.narrow_range]), [['tfl.FAKE_QUANT', 1, false]]);
  // [-1, 1] narrow (254 steps of 2/254) becomes 255 steps of the same size from one step lower.
  const { min, max } = r.graphs[0].nodes[0].options as { min: number; max: number };
  assert.ok(Math.abs(max - 1) < 1e-6 && Math.abs(min - (-1 - 2 / 254)) < 1e-6, `${min} ${max}`);
});
