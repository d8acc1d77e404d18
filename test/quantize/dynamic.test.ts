import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { type TensorValue, toFloat64 } from '../../src/core/tensor.js';
import type { Graph, Node } from '../../src/graph/ir.js';
import { decodeNpy } from '../../src/io/index.js';
import { GraphDefCodec } from '../../src/proto/index.js';
import { tensorToProto } from '../../src/proto/tensor-proto.js';
import type { AttrValue, NodeDef } from '../../src/proto/types.js';
import { DYNAMIC_MIN_ELEMENTS } from '../../src/quantize/dynamic.js';
import { operatorName, readTflite } from '../../src/tflite/index.js';
import { verifyConversion } from '../../src/verify/verify.js';
import { argmax, convertQuantized, loadTflite, npyRows, seededFloats } from '../helpers/quant.js';
import { SHARED_DIR, fixture, need, sharedData } from '../helpers/shared.js';
import { tmpDir } from '../helpers/tmp.js';

const KWS = fixture('mlcommons-tiny-kws/kws_ref_model');
const FC_LAYERS = fixture('tf2onnx-test-models/fc-layers/frozen.pb');
const AE0 = fixture('tf2onnx-test-models/ae0/frozen.pb');
const MLP = fixture('tfnet-keras/simple_model_from_auto_compile');
const KWS_EVAL = sharedData('kws-mfcc/evaluation.npy');
const WASM_VERSIONS = `${SHARED_DIR}/docs/tflite-wasm-op-versions.json`;

const DYNAMIC = { mode: 'dynamic' } as const;

function ops(g: Graph, op: string): Node[] {
  return g.nodes.filter((n) => n.op === `tfl.${op}`);
}

/** Every (op, version) of the file is one the TFLite WASM runtime registers. */
function assertRegistered(bytes: Uint8Array): void {
  const table = JSON.parse(fs.readFileSync(WASM_VERSIONS, 'utf8')) as Record<string, string>;
  for (const oc of readTflite(bytes, 'quantized model').operatorCodes) {
    const name = operatorName(oc);
    const [lo, hi] = (table[name] ?? '0-0').split('-').map(Number);
    assert.ok(oc.version >= lo && oc.version <= hi, `${name} v${oc.version} is not registered (${table[name]})`);
  }
}

/** Largest |a - b| and largest |a| over float outputs of two models on the same inputs. */
async function compare(
  t: Parameters<typeof loadTflite>[0],
  floatBytes: Uint8Array,
  quantBytes: Uint8Array,
  inputs: Float32Array[],
): Promise<{ maxAbs: number; refMax: number; agree: number }> {
  const f = await loadTflite(t, floatBytes, 'float');
  const q = await loadTflite(t, quantBytes, 'quantized');
  const shape = f.inputs[0].shape;
  let maxAbs = 0;
  let refMax = 0;
  let agree = 0;
  for (const x of inputs) {
    const a = f.run([{ dtype: 'float32', shape, data: x }])[0].data as Float32Array;
    const b = q.run([{ dtype: 'float32', shape, data: x }])[0].data as Float32Array;
    for (let i = 0; i < a.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(a[i] - b[i]));
      refMax = Math.max(refMax, Math.abs(a[i]));
    }
    if (argmax(a) === argmax(b)) agree++;
  }
  return { maxAbs, refMax, agree };
}

test('dynamic kws: per-channel int8 conv weights (hybrid v5), small depthwise/dense weights stay float; 198/200 top-1 on kws-mfcc', async (t) => {
  if (!need(t, KWS, KWS_EVAL, WASM_VERSIONS)) return;
  const float = await convertQuantized(KWS, null);
  const q = await convertQuantized(KWS, DYNAMIC);
  const g = q.graphs[0];
  for (const conv of ops(g, 'CONV_2D')) {
    const w = conv.input(1);
    assert.equal(w.dtype, 'int8');
    assert.equal(w.quant?.axis, 0);
    assert.equal(w.quant?.scale.length, w.shape?.[0]);
    assert.ok(w.quant?.zeroPoint.every((z) => z === 0));
    assert.equal(conv.input(2).dtype, 'float32');
    assert.equal(conv.version, 5);
  }
  // 3x3x64 depthwise filters (576) and the 64x12 dense kernel (768) are under 1024 elements.
  for (const n of [...ops(g, 'DEPTHWISE_CONV_2D'), ...ops(g, 'FULLY_CONNECTED')]) {
    assert.equal(n.input(1).dtype, 'float32');
    assert.ok((n.input(1).value?.data.length ?? 0) < DYNAMIC_MIN_ELEMENTS);
    assert.equal(n.version, 1);
  }
  assert.equal(ops(g, 'DEQUANTIZE').length, 0);
  assert.deepEqual(q.notes.slice(-1), ['dynamic range: 5 weight tensors quantized to int8, 5 kept float (< 1024 elements)']);
  assertRegistered(q.bytes);
  // About 46% of float: only the 5 convolutions are big enough to quantize.
  const ratio = q.bytes.length / float.bytes.length;
  assert.ok(ratio > 0.4 && ratio < 0.5, `ratio ${ratio}`);

  // Real speech features: the hybrid model picks the float model's keyword on 198 of 200 rows
  // (the two others are near ties); softmax outputs move by at most 0.22.
  const { rows } = npyRows('kws-mfcc/evaluation.npy', decodeNpy);
  const r = await compare(t, float.bytes, q.bytes, rows);
  assert.ok(r.agree >= 197, `top-1 agreement ${r.agree}/200`);
  assert.ok(r.maxAbs <= 0.25, `max abs ${r.maxAbs}`);
});

test('dynamic fc-layers, ae0, tfnet MLP: per-tensor int8 dense weights with asymmetric_quantize_inputs (v9), a quarter of the size', async (t) => {
  if (!need(t, FC_LAYERS, AE0, MLP, WASM_VERSIONS)) return;
  // [model, ratio bound, max abs error bound relative to max |float output|], on 20 seeded
  // uniform [0, 1) inputs. Measured: ratios 0.253, 0.254, 0.265; errors 1.95%, 5.9%, 0.85%.
  const cases: [string, number, number][] = [
    [FC_LAYERS, 0.26, 0.03],
    [AE0, 0.26, 0.08],
    [MLP, 0.27, 0.015],
  ];
  for (const [model, ratioMax, relMax] of cases) {
    const float = await convertQuantized(model, null);
    const q = await convertQuantized(model, DYNAMIC);
    const g = q.graphs[0];
    let quantized = 0;
    for (const fc of ops(g, 'FULLY_CONNECTED')) {
      const w = fc.input(1);
      if (w.dtype === 'float32') {
        assert.ok((w.value?.data.length ?? 0) < DYNAMIC_MIN_ELEMENTS, `${model}: ${w.name} is big but float`);
        assert.equal(fc.version, 1);
        continue;
      }
      quantized++;
      assert.equal(w.dtype, 'int8');
      assert.equal(w.quant?.scale.length, 1);
      assert.equal(w.quant?.zeroPoint[0], 0);
      assert.equal(fc.options.asymmetric_quantize_inputs, true);
      assert.equal(fc.version, 9);
      // Symmetric narrow range: the largest |weight| is level 127.
      const levels = w.value?.data as Int8Array;
      assert.equal(levels.reduce((m, v) => Math.max(m, Math.abs(v)), 0), 127);
    }
    assert.ok(quantized >= 1);
    assertRegistered(q.bytes);
    const ratio = q.bytes.length / float.bytes.length;
    assert.ok(ratio < ratioMax, `${model}: ratio ${ratio}`);
    const n = (g.inputs[0].shape as number[]).reduce((a, b) => a * b, 1);
    const inputs = Array.from({ length: 20 }, (_, k) => seededFloats(n, k + 1));
    const r = await compare(t, float.bytes, q.bytes, inputs);
    assert.ok(r.maxAbs <= relMax * r.refMax, `${model}: max abs ${r.maxAbs} vs max |float| ${r.refMax}`);
    // The classifiers keep every top-1 (the autoencoder's argmax means nothing).
    if (model !== AE0) assert.equal(r.agree, 20, model);
  }
});

test('dynamic fc-layers against the TF reference: within 5% of the largest output on normal inputs', async (t) => {
  if (!need(t, FC_LAYERS)) return;
  const q = await convertQuantized(FC_LAYERS, DYNAMIC);
  // Measured 3.8% (0.77 of 20.0): standard normal inputs, three per-tensor int8 layers.
  const report = await verifyConversion({ model: q.model, prepared: q.prepared }, { samples: 3, seed: 7, atol: 0, rtol: 0.05 });
  assert.ok(report.pass, JSON.stringify(report.outputs));
  // And not float by accident: the hybrid kernels do differ from TF.
  assert.ok(report.outputs[0].maxAbs > 1e-3);
});

test('dynamic weight-only ops (GATHER, TRANSPOSE_CONV) read DEQUANTIZE(int8); a batch matmul by a constant is a hybrid FULLY_CONNECTED', async (t) => {
  if (!need(t, FC_LAYERS)) return;
  // fc-layers plus: gout = Gather(dense/kernel, idx); bout = BatchMatMulV2(xb, dense/kernel);
  // tout = Conv2DBackpropInput of y with dense_1/kernel reshaped to a [4, 4, 16, 256] filter.
  // The dense layers still read the kernels.
  const gd = GraphDefCodec.decode(fs.readFileSync(FC_LAYERS), FC_LAYERS);
  const i32 = (name: string, shape: number[], values: number[]): NodeDef => ({
    name,
    op: 'Const',
    input: [],
    device: '',
    attr: { dtype: { value: 'type', type: 3 }, value: { value: 'tensor', tensor: tensorToProto({ dtype: 'int32', shape, data: Int32Array.from(values) }) } },
  });
  const T = (n: number): AttrValue => ({ value: 'type', type: n });
  const s = (v: string): AttrValue => ({ value: 's', s: Buffer.from(v) });
  const ints = (v: number[]): AttrValue => ({ value: 'list', list: { s: [], i: v, f: [], b: [], type: [], shape: [], tensor: [], func: [] } });
  const shape = (dims: number[]): AttrValue => ({ value: 'shape', shape: { dim: dims.map((size) => ({ size, name: '' })), unknown_rank: false } });
  gd.node.push(
    { name: 'idx', op: 'Placeholder', input: [], device: '', attr: { dtype: T(3), shape: shape([3]) } },
    i32('gaxis', [], [0]),
    { name: 'gout', op: 'GatherV2', input: ['dense/kernel/read', 'idx', 'gaxis'], device: '', attr: { Tparams: T(1), Tindices: T(3), Taxis: T(3), batch_dims: { value: 'i', i: 0 } } },
    { name: 'xb', op: 'Placeholder', input: [], device: '', attr: { dtype: T(1), shape: shape([1, 2, 784]) } },
    { name: 'bout', op: 'BatchMatMulV2', input: ['xb', 'dense/kernel/read'], device: '', attr: { T: T(1), adj_x: { value: 'b', b: false }, adj_y: { value: 'b', b: false } } },
    { name: 'y', op: 'Placeholder', input: [], device: '', attr: { dtype: T(1), shape: shape([1, 8, 8, 256]) } },
    i32('fshape', [4], [4, 4, 16, 256]),
    { name: 'filter', op: 'Reshape', input: ['dense_1/kernel/read', 'fshape'], device: '', attr: { T: T(1), Tshape: T(3) } },
    i32('osize', [4], [1, 16, 16, 16]),
    {
      name: 'tout',
      op: 'Conv2DBackpropInput',
      input: ['osize', 'filter', 'y'],
      device: '',
      attr: { T: T(1), strides: ints([1, 2, 2, 1]), padding: s('SAME'), data_format: s('NHWC'), dilations: ints([1, 1, 1, 1]), explicit_paddings: ints([]), use_cudnn_on_gpu: { value: 'b', b: true } },
    },
  );
  const file = path.join(tmpDir(t), 'weight_only.pb');
  fs.writeFileSync(file, GraphDefCodec.encode(gd));
  const opts = { inputArrays: ['X', 'idx', 'xb', 'y'], outputArrays: ['output', 'gout', 'bout', 'tout'], inputShapes: { X: [1, 784] } };
  const float = await convertQuantized(file, null, opts);
  const q = await convertQuantized(file, DYNAMIC, opts);
  const g = q.graphs[0];
  const gather = ops(g, 'GATHER')[0];
  const tconv = ops(g, 'TRANSPOSE_CONV')[0];
  const gdq = gather.input(0).producer as Node;
  const tdq = tconv.input(1).producer as Node;
  assert.equal(gdq.op, 'tfl.DEQUANTIZE');
  assert.equal(tdq.op, 'tfl.DEQUANTIZE');
  // Gather params per tensor (v2), the transpose-conv filter per output channel (v5).
  assert.equal(gdq.input(0).quant?.scale.length, 1);
  assert.equal(gdq.version, 2);
  assert.equal(tdq.input(0).quant?.axis, 0);
  assert.equal(tdq.input(0).quant?.scale.length, 16);
  assert.equal(tdq.version, 5);
  assert.equal(gather.version, 1);
  assert.equal(tconv.version, 1);
  // The batch matmul by a constant is a FULLY_CONNECTED keeping its leading dims; it reads the
  // weights transposed, int8, hybrid with asymmetric input quantization.
  const bmm = ops(g, 'FULLY_CONNECTED').find((n) => n.input(0).name === 'xb') as Node;
  assert.equal(bmm.options.keep_num_dims, true);
  assert.equal(bmm.input(1).dtype, 'int8');
  assert.equal(bmm.options.asymmetric_quantize_inputs, true);
  assert.equal(q.notes.slice(-1)[0], 'dynamic range: 6 weight tensors quantized to int8, 2 DEQUANTIZE for ops without hybrid kernels');
  assertRegistered(q.bytes);
  const fm = await loadTflite(t, float.bytes, 'float');
  const qm = await loadTflite(t, q.bytes, 'dynamic');
  const feeds = [
    { dtype: 'float32' as const, shape: [1, 784], data: seededFloats(784, 1) },
    { dtype: 'int32' as const, shape: [3], data: Int32Array.of(0, 391, 783) },
    { dtype: 'float32' as const, shape: [1, 2, 784], data: seededFloats(1568, 3) },
    { dtype: 'float32' as const, shape: [1, 8, 8, 256], data: seededFloats(16384, 2, -1, 1) },
  ];
  const byName = (m: typeof fm) => Object.fromEntries(m.inputs.map((inp) => [inp.name, feeds[['X', 'idx', 'xb', 'y'].indexOf(inp.name)]]));
  const a = fm.run(byName(fm));
  const b = qm.run(byName(qm));
  const names = fm.outputs.map((o) => o.name);
  const gi = names.indexOf('gout');
  const scale = gdq.input(0).quant?.scale[0] as number;
  (a[gi].data as Float32Array).forEach((v, k) => assert.ok(Math.abs(v - (b[gi].data as Float32Array)[k]) <= scale / 2 + 1e-7));
  const bi = names.indexOf('bout');
  const ba = a[bi].data as Float32Array;
  const bb = b[bi].data as Float32Array;
  const bpeak = ba.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const bworst = ba.reduce((m, v, k) => Math.max(m, Math.abs(v - bb[k])), 0);
  // Measured 0.6%.
  assert.ok(bworst <= 0.02 * bpeak, `batch matmul: ${bworst} of ${bpeak}`);
  const ti = names.indexOf('tout');
  const ta = a[ti].data as Float32Array;
  const tb = b[ti].data as Float32Array;
  const peak = ta.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const worst = ta.reduce((m, v, k) => Math.max(m, Math.abs(v - tb[k])), 0);
  // Measured 1.1% of the largest output (int8 per-channel filter, float kernel).
  assert.ok(worst <= 0.02 * peak, `transpose conv: ${worst} of ${peak}`);
});

test('dynamic quantization is deterministic', async (t) => {
  if (!need(t, KWS, FC_LAYERS)) return;
  for (const m of [KWS, FC_LAYERS]) {
    const a = await convertQuantized(m, DYNAMIC);
    const b = await convertQuantized(m, DYNAMIC);
    assert.deepEqual(a.bytes, b.bytes);
  }
});

test('dynamic: dequantized weights are the float weights within half a step', async (t) => {
  if (!need(t, FC_LAYERS)) return;
  const float = (await convertQuantized(FC_LAYERS, null)).graphs[0];
  const q = (await convertQuantized(FC_LAYERS, DYNAMIC)).graphs[0];
  const fw = ops(float, 'FULLY_CONNECTED').map((n) => toFloat64(n.input(1).value as TensorValue));
  ops(q, 'FULLY_CONNECTED').forEach((n, k) => {
    const w = n.input(1);
    const s = w.quant?.scale[0] as number;
    const levels = w.value?.data as Int8Array;
    let worst = 0;
    for (let i = 0; i < levels.length; i++) worst = Math.max(worst, Math.abs(levels[i] * s - fw[k][i]));
    assert.ok(worst <= s / 2 + 1e-9, `layer ${k}: ${worst} > ${s / 2}`);
  });
});
