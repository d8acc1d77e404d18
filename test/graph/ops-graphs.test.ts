// Real frozen GraphDefs through import + annotateShapes: every op has semantics, every tensor
// gets a static shape, and the signatures mark exactly the batch-dependent dimensions.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { type TestContext, test } from 'node:test';
import { type ImportSpec, graphFromGraphDef } from '../../src/graph/from-graphdef.js';
import { annotateShapes, inferGraph } from '../../src/graph/infer.js';
import type { Graph, Tensor } from '../../src/graph/ir.js';
import { nudge } from '../../src/graph/ops/quant.js';
import { GraphDefCodec, SavedModelCodec } from '../../src/proto/index.js';
import { fixture, need } from '../helpers/shared.js';

function load(t: TestContext, rel: string, spec: Omit<ImportSpec, 'source'>): Graph | null {
  const file = fixture(rel);
  if (!need(t, file)) return null;
  const g = graphFromGraphDef(GraphDefCodec.decode(fs.readFileSync(file), file), { ...spec, source: file });
  const r = annotateShapes(g);
  assert.deepEqual(
    r.unknownOps.map((n) => `${n.op} ${n.name}`),
    [],
    'every op has semantics',
  );
  const loose = g.tensors().filter((x) => x.shape === null || x.shape.some((d) => d < 0));
  assert.deepEqual(
    loose.map((x) => `${x.name} ${JSON.stringify(x.shape)}`),
    [],
    'every tensor has a static shape',
  );
  return g;
}

function tensor(g: Graph, name: string): Tensor {
  const t = g.tensors().find((x) => x.name === name);
  assert.ok(t, `no tensor ${name}`);
  return t;
}

function io(t: Tensor): [string, number[] | null, number[] | null] {
  return [t.dtype, t.shape, t.signature];
}

test('fc-layers: X [-1,784] -> output [-1,10]', (t) => {
  const g = load(t, 'tf2onnx-test-models/fc-layers/frozen.pb', { inputs: [{ key: 'X', name: 'X:0' }], outputs: [{ key: 'output', name: 'output:0' }] });
  if (!g) return;
  assert.deepEqual(io(g.inputs[0]), ['float32', [1, 784], [-1, 784]]);
  assert.deepEqual(io(g.outputs[0]), ['float32', [1, 10], [-1, 10]]);
  assert.deepEqual(io(tensor(g, 'model/dense/BiasAdd')), ['float32', [1, 256], [-1, 256]]);
});

test('ae0 autoencoder: X [-1,784] -> output [-1,784]', (t) => {
  const g = load(t, 'tf2onnx-test-models/ae0/frozen.pb', { inputs: [{ key: 'X', name: 'X:0' }], outputs: [{ key: 'output', name: 'output:0' }] });
  if (!g) return;
  assert.deepEqual(io(g.outputs[0]), ['float32', [1, 784], [-1, 784]]);
});

test('unrolled LSTM: dynamic batch through Shape/StridedSlice/Pack/Fill, 28 Unpack outputs, dropout', (t) => {
  const g = load(t, 'tf2onnx-test-models/lstm/frozen.pb', { outputs: [{ key: 'output', name: 'output:0' }], inputShapes: { keep_prob: [] } });
  if (!g) return;
  assert.deepEqual(
    g.inputs.map((x) => x.name),
    ['X', 'keep_prob'],
  );
  assert.deepEqual(io(g.outputs[0]), ['float32', [1, 10], [-1, 10]]);
  assert.deepEqual(io(tensor(g, 'model/Reshape')), ['float32', [1, 28, 28], [-1, 28, 28]]);
  const unstack = g.nodes.find((n) => n.name === 'model/unstack')?.outputs ?? [];
  assert.equal(unstack.length, 28);
  for (const u of unstack) assert.deepEqual(io(u), ['float32', [1, 28], [-1, 28]]);
  assert.deepEqual(io(tensor(g, 'model/rnn/BasicLSTMCellZeroState/zeros')), ['float32', [1, 128], [-1, 128]]);
  assert.deepEqual(io(tensor(g, 'model/rnn/basic_lstm_cell/split_27:3')), ['float32', [1, 128], [-1, 128]]);
  assert.deepEqual(io(tensor(g, 'model/dropout/random_uniform/RandomUniform')), ['float32', [1, 128], [-1, 128]]);
  // The batch size folds from the input shape: Pack([batch, 28, 28]) has a value (batch 1 now
  // that annotateShapes fixed the input shape), which is what made Reshape static.
  const packed = inferGraph(g).tensors.get(tensor(g, 'model/Reshape/shape'));
  assert.deepEqual(Array.from(packed?.value?.data as Int32Array), [1, 28, 28]);
});

test('unrolled GRU: X without a declared shape takes --input-shape', (t) => {
  const g = load(t, 'tf2onnx-test-models/gru/frozen.pb', {
    outputs: [{ key: 'output', name: 'output:0' }],
    inputShapes: { X: [-1, 784], keep_prob: [] },
  });
  if (!g) return;
  assert.deepEqual(io(g.outputs[0]), ['float32', [1, 10], [-1, 10]]);
  assert.deepEqual(io(tensor(g, 'model/rnn/GRUCellZeroState/zeros')), ['float32', [1, 128], [-1, 128]]);
});

test('multi_add: four fixed [1,8,8,3] inputs, two outputs', (t) => {
  const g = load(t, 'litert-testdata/tflite_testdata/multi_add.pb', {
    outputs: [
      { key: 'x', name: 'x' },
      { key: 'y', name: 'y' },
    ],
  });
  if (!g) return;
  assert.deepEqual(
    g.inputs.map((x) => x.name),
    ['a', 'b', 'c', 'd'],
  );
  for (const x of [...g.inputs, ...g.outputs]) assert.deepEqual(io(x), ['float32', [1, 8, 8, 3], [1, 8, 8, 3]]);
});

test('tf-rust-keras GraphDefs: scalar addition and multiplication, and a whole TF1 training graph', (t) => {
  const add = load(t, 'tf-rust-keras/graphdefs/addition.pb', { outputs: [{ key: 'z', name: 'z' }] });
  if (!add) return;
  assert.deepEqual(io(add.outputs[0]), ['int32', [], []]);
  const mul = load(t, 'tf-rust-keras/graphdefs/multiplication.pb', { outputs: [{ key: 'c', name: 'c' }] });
  assert.deepEqual(mul && io(mul.outputs[0]), ['float32', [], []]);
  // Variables, the loss and the gradients (BroadcastGradientArgs, DynamicStitch, Tile ...).
  const reg = load(t, 'tf-rust-keras/graphdefs/regression.pb', {
    outputs: [
      { key: 'y_hat', name: 'add' },
      { key: 'loss', name: 'Mean' },
      { key: 'dw', name: 'gradients/mul_grad/tuple/control_dependency' },
      { key: 'db', name: 'gradients/add_grad/tuple/control_dependency_1' },
      { key: 'w', name: 'train/update_w/ApplyGradientDescent' },
    ],
  });
  if (!reg) return;
  assert.deepEqual(
    reg.outputs.map((o) => o.shape),
    [[1], [], [1], [1], [1]],
  );
});

test('micro_speech QAT: cut at Reshape_2; folded FakeQuant weights are the official TOCO uint8 weights', (t) => {
  const g = load(t, 'siliconlabs-micro-speech-tf1/model.pb', {
    inputs: [{ key: 'Reshape_2', name: 'Reshape_2' }],
    outputs: [{ key: 'labels_softmax', name: 'labels_softmax' }],
    inputShapes: { Reshape_2: [-1, 49, 40, 1] },
  });
  const tflite = fixture('siliconlabs-micro-speech-tf1/model.tflite');
  if (!g || !need(t, tflite)) return;
  assert.deepEqual(io(g.inputs[0]), ['float32', [1, 49, 40, 1], [-1, 49, 40, 1]]);
  assert.deepEqual(io(tensor(g, 'Conv2D')), ['float32', [1, 25, 20, 8], [-1, 25, 20, 8]]);
  assert.deepEqual(io(tensor(g, 'Reshape_3')), ['float32', [1, 4000], [-1, 4000]]);
  assert.deepEqual(io(g.outputs[0]), ['float32', [1, 4], [-1, 4]]);

  // The weights pass through FakeQuantWithMinMaxVars (8 bits, narrow range) with constant
  // ranges: folding them must land every weight exactly on the nudged grid, and the grid
  // indices are the bytes TOCO wrote into the official model.tflite.
  const r = inferGraph(g);
  const bytes = fs.readFileSync(tflite);
  const cases: [string, number, number, boolean][] = [
    ['weights_quant/FakeQuantWithMinMaxVars', -0.09333581477403641, 0.08791348338127136, false],
    ['weights_quant_1/FakeQuantWithMinMaxVars', -0.05245610699057579, 0.05412563681602478, true],
  ];
  for (const [name, min, max, transpose] of cases) {
    const v = r.tensors.get(tensor(g, name))?.value;
    assert.ok(v, `${name} is folded`);
    const q = nudge(Math.fround(min), Math.fround(max), 1, 255);
    const zero = Math.round(1 - q.min / q.scale);
    const w = v.data as Float32Array;
    const levels = new Uint8Array(w.length);
    for (let i = 0; i < w.length; i++) {
      const k = w[i] / q.scale;
      assert.ok(Math.abs(k - Math.round(k)) < 1e-4, `${name}[${i}] = ${w[i]} is on the grid`);
      levels[i] = Math.round(k) + zero;
    }
    let stored = levels;
    if (transpose) {
      // TFLite stores FULLY_CONNECTED weights as [out, in].
      const [rows, cols] = v.shape;
      stored = new Uint8Array(w.length);
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) stored[j * rows + i] = levels[i * cols + j];
    }
    assert.ok(bytes.indexOf(Buffer.from(stored)) > 0, `${name}: the ${stored.length} quantized weights appear in model.tflite`);
  }
});

test('control_flow_v1 SavedModel graph: a TF1 Merge of four live inputs', (t) => {
  const file = fixture('litert-testdata/python_testdata/control_flow_v1_saved_model/saved_model.pb');
  if (!need(t, file)) return;
  const gd = SavedModelCodec.decode(fs.readFileSync(file), file).meta_graphs[0].graph_def;
  assert.ok(gd);
  const spec = (shapes: Record<string, number[]>) => ({
    outputs: [
      { key: 'merge', name: 'Merge:0' },
      { key: 'index', name: 'Merge:1' },
    ],
    inputShapes: shapes,
    source: file,
  });
  const g = graphFromGraphDef(gd, spec({ a: [-1, 3], b: [-1, 3], c: [-1, 3], d: [-1, 3] }));
  const r = annotateShapes(g);
  assert.deepEqual(r.unknownOps, []);
  assert.deepEqual(io(g.outputs[0]), ['float32', [1, 3], [-1, 3]]);
  // Any input may arrive first: the index is an int32 scalar without a static value.
  assert.deepEqual(io(g.outputs[1]), ['int32', [], []]);
  assert.equal(r.tensors.get(g.outputs[1])?.value, null);
  const mixed = graphFromGraphDef(gd, spec({ a: [2, 3], b: [2, 4], c: [2, 3], d: [2, 3] }));
  annotateShapes(mixed);
  assert.deepEqual(mixed.outputs[0].shape, [2, -1]);
});
