import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { ErrorCode, TfconvError } from '../../src/errors/index.js';
import { type GraphDef, GraphDefCodec, type NodeDef, SavedModelCodec } from '../../src/proto/index.js';
import { tensorFromProto, tensorToProto } from '../../src/proto/tensor-proto.js';
import { TfReferenceModel, graphToTfjsArtifacts, runTfReference, tfReferenceSupportedOps } from '../../src/runtime/tf-reference.js';
import { TfliteRuntime } from '../../src/runtime/tflite.js';
import { seededFloats } from '../helpers/random.js';
import { fixture, need } from '../helpers/shared.js';
import { rejectsOneLine } from '../helpers/errors.js';

const REG_PB = fixture('tf2onnx-test-models/regression/graphdef/frozen.pb');
const REG_TFLITE = fixture('tf2onnx-test-models/regression/tflite/model.tflite');
const FC = fixture('tf2onnx-test-models/fc-layers/frozen.pb');
const AE0 = fixture('tf2onnx-test-models/ae0/frozen.pb');
const MULTI_ADD_PB = fixture('litert-testdata/tflite_testdata/multi_add.pb');
const MULTI_ADD_BIN = fixture('litert-testdata/tflite_testdata/multi_add.bin');
const SPEECH_PB = fixture('siliconlabs-micro-speech-tf1/model.pb');
const SPEECH_TFLITE = fixture('siliconlabs-micro-speech-tf1/model.tflite');

const readGraph = (f: string): GraphDef => GraphDefCodec.decode(fs.readFileSync(f), f);
const f32 = (shape: number[], data: ArrayLike<number>) => ({ dtype: 'float32' as const, shape, data: Float32Array.from(data) });

function constValue(g: GraphDef, name: string): Float32Array {
  const n = g.node.find((x) => x.name === name);
  assert.ok(n?.attr.value?.tensor, `Const ${name}`);
  return tensorFromProto(n.attr.value.tensor, name).data as Float32Array;
}

test('regression frozen graph: pred = W*X + b, and the official .tflite gives the same bits', async (t) => {
  if (!need(t, REG_PB, REG_TFLITE)) return;
  const g = readGraph(REG_PB);
  const W = constValue(g, 'W')[0];
  const b = constValue(g, 'b')[0];
  const xs = [-10, -3.5, -1, 0, 0.1, 1, 2.5, 7];
  const [pred] = await runTfReference(g, { 'X:0': f32([xs.length], xs) }, ['pred:0']);
  assert.equal(pred.dtype, 'float32');
  assert.deepEqual(pred.shape, [8]);
  const p = pred.data as Float32Array;
  const rt = await TfliteRuntime.load();
  const m = rt.loadModel(fs.readFileSync(REG_TFLITE));
  t.after(() => m.dispose());
  xs.forEach((x, i) => {
    // The documented model (rounded constants): within 1e-4 for |x| <= 10.
    assert.ok(Math.abs(p[i] - (0.21396 * x + 1.04953)) < 1e-4, `x=${x}`);
    // Float32 MUL then ADD with the graph's own constants: exact, in tfjs and in TFLite.
    assert.equal(p[i], Math.fround(Math.fround(Math.fround(x) * W) + b), `x=${x}`);
    const [y] = m.run([f32([], [x])]);
    assert.equal((y.data as Float32Array)[0], p[i], `TFLite vs TF reference at x=${x}`);
  });
  // Feeding by node name (no ":0") works the same.
  const [again] = await runTfReference(g, { X: f32([2], [1, 2]) }, ['pred']);
  assert.deepEqual([...(again.data as Float32Array)], [p[5], Math.fround(Math.fround(2 * W) + b)]);
});

/** An independent float64 evaluation of the MLP graphs (MatMul, BiasAdd, Relu, Sigmoid, Identity). */
function evalMlp(g: GraphDef, x: Float32Array, batch: number, fetch: string): Float64Array {
  const nodes = new Map(g.node.map((n) => [n.name, n]));
  const memo = new Map<string, { v: Float64Array; cols: number }>();
  const get = (name: string): { v: Float64Array; cols: number } => {
    const cached = memo.get(name);
    if (cached) return cached;
    const n = nodes.get(name) as NodeDef;
    let r: { v: Float64Array; cols: number };
    if (n.op === 'Placeholder') r = { v: Float64Array.from(x), cols: x.length / batch };
    else if (n.op === 'Const') {
      const c = tensorFromProto(n.attr.value.tensor as NonNullable<NodeDef['attr'][string]['tensor']>, name);
      r = { v: Float64Array.from(c.data as Float32Array), cols: c.shape[c.shape.length - 1] };
    } else if (n.op === 'Identity') r = get(n.input[0]);
    else if (n.op === 'MatMul') {
      const a = get(n.input[0]);
      const w = get(n.input[1]);
      const out = new Float64Array(batch * w.cols);
      for (let i = 0; i < batch; i++)
        for (let k = 0; k < a.cols; k++) {
          const av = a.v[i * a.cols + k];
          for (let j = 0; j < w.cols; j++) out[i * w.cols + j] += av * w.v[k * w.cols + j];
        }
      r = { v: out, cols: w.cols };
    } else if (n.op === 'BiasAdd') {
      const a = get(n.input[0]);
      const bias = get(n.input[1]);
      r = { v: a.v.map((v, i) => v + bias.v[i % a.cols]), cols: a.cols };
    } else if (n.op === 'Relu') {
      const a = get(n.input[0]);
      r = { v: a.v.map((v) => Math.max(0, v)), cols: a.cols };
    } else if (n.op === 'Sigmoid') {
      const a = get(n.input[0]);
      r = { v: a.v.map((v) => 1 / (1 + Math.exp(-v))), cols: a.cols };
    } else throw new Error(`evalMlp: op ${n.op}`);
    memo.set(name, r);
    return r;
  };
  return get(fetch).v;
}

for (const [label, file, outCols] of [
  ['fc-layers (3 x MatMul+BiasAdd, ReLU)', FC, 10],
  ['ae0 (4-layer sigmoid autoencoder)', AE0, 784],
] as const) {
  test(`${label}: X:0 [-1,784] -> output:0 matches a float64 evaluation; wasm and cpu backends agree`, async (t) => {
    if (!need(t, file)) return;
    const g = readGraph(file);
    const batch = 4;
    const x = seededFloats(batch * 784, outCols);
    const expected = evalMlp(g, x, batch, 'output');
    const results = [];
    for (const backend of ['wasm', 'cpu'] as const) {
      const m = await TfReferenceModel.load(g, { backend });
      try {
        const [y] = await m.run({ 'X:0': f32([batch, 784], x) }, ['output:0']);
        assert.equal(y.dtype, 'float32');
        assert.deepEqual(y.shape, [batch, outCols]);
        results.push(y.data as Float32Array);
      } finally {
        m.dispose();
      }
    }
    const [wasm, cpu] = results;
    // float32 accumulation over 784/256-long dot products vs float64: 1e-4 absolute + 1e-4 relative.
    for (let i = 0; i < expected.length; i++) {
      const tol = 1e-4 + 1e-4 * Math.abs(expected[i]);
      assert.ok(Math.abs(wasm[i] - expected[i]) < tol, `wasm[${i}] ${wasm[i]} vs ${expected[i]}`);
      assert.ok(Math.abs(cpu[i] - wasm[i]) < tol, `cpu[${i}] ${cpu[i]} vs wasm ${wasm[i]}`);
    }
  });
}

test('multi_add.pb (TF) and multi_add.bin (TFLite) compute the same sums', async (t) => {
  if (!need(t, MULTI_ADD_PB, MULTI_ADD_BIN)) return;
  const shape = [1, 8, 8, 3];
  const feeds = Object.fromEntries(['a', 'b', 'c', 'd'].map((k, i) => [k, f32(shape, seededFloats(192, 11 + i).map((v) => v * 200 - 100))]));
  const [x, y] = await runTfReference(readGraph(MULTI_ADD_PB), feeds, ['x:0', 'y:0']);
  const rt = await TfliteRuntime.load();
  const m = rt.loadModel(fs.readFileSync(MULTI_ADD_BIN));
  t.after(() => m.dispose());
  const [tx, ty] = m.run(feeds);
  // Float32 additions of the same operands: exactly equal.
  assert.deepEqual(tx, x);
  assert.deepEqual(ty, y);
});

test('QAT micro-speech graph cut at Reshape_2 vs the official uint8 .tflite: same class, probabilities within 0.03', async (t) => {
  if (!need(t, SPEECH_PB, SPEECH_TFLITE)) return;
  const ref = await TfReferenceModel.load(readGraph(SPEECH_PB));
  const rt = await TfliteRuntime.load();
  const lite = rt.loadModel(fs.readFileSync(SPEECH_TFLITE));
  t.after(() => (ref.dispose(), lite.dispose()));
  // Input quantization of the .tflite (INVENTORY.txt): scale 0.101961, zero point 0; output 1/256.
  for (let s = 1; s <= 8; s++) {
    const q = Uint8Array.from(seededFloats(1960, 100 + s), (v) => Math.floor(v * 161));
    const [lq] = lite.run([{ dtype: 'uint8', shape: [1, 49, 40, 1], data: q }]);
    const [rp] = await ref.run({ 'Reshape_2:0': f32([1, 49, 40, 1], Float32Array.from(q, (v) => v * 0.101961)) }, ['labels_softmax:0']);
    const lp = [...(lq.data as Uint8Array)].map((v) => v / 256);
    const r = [...(rp.data as Float32Array)];
    assert.equal(lp.indexOf(Math.max(...lp)), r.indexOf(Math.max(...r)), `seed ${s}`);
    lp.forEach((v, i) => assert.ok(Math.abs(v - r[i]) < 0.03, `seed ${s} class ${i}: ${v} vs ${r[i]}`));
  }
});

test('the supported-op set is read from the installed tfjs-converter op tables', () => {
  const ops = tfReferenceSupportedOps();
  assert.ok(ops && ops.size > 200, `${ops?.size} ops`);
  for (const op of ['MatMul', 'Conv2D', 'DepthwiseConv2dNative', 'FusedBatchNormV3', 'StatelessWhile']) assert.ok(ops.has(op), op);
  // Tables that exist but the mapper does not import (ragged), and what needs freezing first.
  for (const op of ['RaggedGather', 'StatefulPartitionedCall', 'VarHandleOp', 'AudioMicrofrontend']) assert.ok(!ops.has(op), op);
});

test('ops tfjs cannot execute are all listed at once, with what to do', async (t) => {
  const speech = SPEECH_PB;
  const tfRegression = fixture('tf-rust-keras/graphdefs/regression.pb');
  const keras = fixture('kaggle-docker-python-keras/saved_model/saved_model.pb');
  if (!need(t, speech, tfRegression, keras)) return;
  await rejectsOneLine(
    runTfReference(readGraph(speech), { 'wav_data:0': { dtype: 'string', shape: [], data: [new Uint8Array(44)] } }, ['labels_softmax:0']),
    ErrorCode.RUNTIME_FAILED,
    /^the TF reference \(tfjs\) cannot execute 2 op types: AudioMicrofrontend x1 \(e\.g\. 'AudioMicrofrontend'\); DecodeWav x1 \(e\.g\. 'decoded_sample_data'\)/,
  );
  await rejectsOneLine(
    runTfReference(readGraph(tfRegression), { x: f32([], [1]) }, ['add:0']),
    ErrorCode.RUNTIME_FAILED,
    /cannot execute 1 op type: Variable x2 \(e\.g\. 'b', 'w'\); inline functions and freeze variables first$/,
  );
  // A TF2 Keras SavedModel's graph: the serving path is a function call on resource variables.
  const sm = SavedModelCodec.decode(fs.readFileSync(keras), keras);
  const graph = sm.meta_graphs[0].graph_def as GraphDef;
  await rejectsOneLine(
    runTfReference(graph, { 'serving_default_input_1:0': f32([1, 4], [1, 2, 3, 4]) }, ['StatefulPartitionedCall:0']),
    ErrorCode.RUNTIME_FAILED,
    /StatefulPartitionedCall x2 .*VarHandleOp x2 \(e\.g\. 'dense\/bias', 'dense\/kernel'\); inline functions and freeze variables first$/,
  );
});

test('missing, unknown and misshapen feeds are one-line BAD_INPUT_DATA errors', async (t) => {
  if (!need(t, REG_PB, FC)) return;
  await rejectsOneLine(runTfReference(readGraph(REG_PB), {}, ['pred:0']), ErrorCode.BAD_INPUT_DATA, /^input 'X:0': the graph needs a value for it \(float32, shape unknown\)/);
  await rejectsOneLine(runTfReference(readGraph(REG_PB), { Y: f32([1], [1]) }, ['pred:0']), ErrorCode.BAD_INPUT_DATA, /^input 'Y': the graph has no node 'Y'; placeholders: 'X:0'/);
  await rejectsOneLine(runTfReference(readGraph(FC), { 'X:0': f32([2, 100], new Float32Array(200)) }, ['output:0']), ErrorCode.BAD_INPUT_DATA, /^input 'X:0': expected shape \[-1, 784\] \(-1: any\), got \[2, 100\]/);
  await rejectsOneLine(runTfReference(readGraph(REG_PB), { X: f32([1], [1]) }, ['nope:0']), ErrorCode.RUNTIME_FAILED, /cannot fetch 'nope:0': the graph has no node 'nope'/);
});

test('int64: computed as int32 after a range check, given back as int64', async (t) => {
  const addition = fixture('tf-rust-keras/graphdefs/addition.pb');
  if (!need(t, addition)) return;
  // x + y on int32 placeholders, fed int64 values (as JSON literals arrive): checked, converted.
  const g = readGraph(addition);
  const i64 = (v: bigint) => ({ dtype: 'int64' as const, shape: [], data: new BigInt64Array([v]) });
  const [z] = await runTfReference(g, { x: i64(40n), y: i64(2n) }, ['z:0']);
  assert.deepEqual(z, { dtype: 'int32', shape: [], data: new Int32Array([42]) });
  await rejectsOneLine(runTfReference(g, { x: i64(2n ** 31n), y: i64(0n) }, ['z:0']), ErrorCode.BAD_INPUT_DATA, /value 2147483648 at flat index 0 cannot become int32/);

  // An int64 graph (Placeholder + Const + AddV2, T=int64), as TF writes shape arithmetic.
  const type = (t: number) => ({ value: 'type' as const, type: t });
  const node = (name: string, op: string, input: string[], attr: NodeDef['attr']): NodeDef => ({ name, op, input, device: '', attr });
  const mk = (c: bigint) =>
    GraphDefCodec.decode(
      GraphDefCodec.encode({
        node: [
          node('p', 'Placeholder', [], { dtype: type(9) }),
          node('c', 'Const', [], { dtype: type(9), value: { value: 'tensor', tensor: tensorToProto({ dtype: 'int64', shape: [2], data: new BigInt64Array([c, -1n]) }) } }),
          node('s', 'AddV2', ['p', 'c'], { T: type(9) }),
        ],
        versions: null,
        version: 0,
        library: null,
      }),
      'int64.pb',
    );
  const [s] = await runTfReference(mk(5n), { 'p:0': { dtype: 'int64', shape: [2], data: new BigInt64Array([10n, -20n]) } }, ['s:0']);
  assert.deepEqual(s, { dtype: 'int64', shape: [2], data: new BigInt64Array([15n, -21n]) });
  assert.throws(() => graphToTfjsArtifacts(mk(2n ** 40n)), /Const 'c': value 1099511627776 at flat index 0 cannot become int32 .*tfjs has no 64-bit integers/);
});

test('artifacts are in tfjs model.json form: versions present, string attrs base64, Const values as weights', (t) => {
  if (!need(t, FC)) return;
  const a = graphToTfjsArtifacts(readGraph(FC));
  assert.deepEqual(a.modelTopology.versions, {});
  const bias = a.modelTopology.node.find((n) => n.name === 'model/dense/BiasAdd');
  assert.deepEqual(bias?.attr, { T: { type: 'DT_FLOAT' }, data_format: { s: Buffer.from('NHWC').toString('base64') } });
  const x = a.modelTopology.node.find((n) => n.name === 'X');
  assert.deepEqual(x?.attr.shape, { shape: { dim: [{ size: '-1' }, { size: '784' }] } });
  const kernel = a.modelTopology.node.find((n) => n.name === 'dense/kernel');
  assert.deepEqual(kernel?.attr, { dtype: { type: 'DT_FLOAT' } });
  assert.deepEqual(a.weightSpecs.map((s) => s.name), ['dense/kernel', 'dense/bias', 'dense_1/kernel', 'dense_1/bias', 'pred/kernel', 'pred/bias']);
  assert.deepEqual(a.weightSpecs[0], { name: 'dense/kernel', shape: [784, 256], dtype: 'float32' });
  assert.equal(a.weightData.byteLength, 4 * (784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10));
});

test("the wasm backend's rethrowing process handlers are removed", async (t) => {
  if (!need(t, REG_PB)) return;
  await runTfReference(readGraph(REG_PB), { X: f32([1], [1]) }, ['pred']);
  const emitter: NodeJS.EventEmitter = process;
  const rethrowing = ['uncaughtException', 'unhandledRejection'].flatMap((e) =>
    emitter.listeners(e).filter((l) => /ExitStatus|throw reason/.test(String(l))),
  );
  assert.deepEqual(rethrowing, []);
});
