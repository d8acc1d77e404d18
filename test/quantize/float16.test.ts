import assert from 'node:assert/strict';
import { test } from 'node:test';
import { halfToFloat, toFloat64 } from '../../src/core/tensor.js';
import type { TensorValue } from '../../src/core/tensor.js';
import type { Graph } from '../../src/graph/ir.js';
import { decodeNpy } from '../../src/io/index.js';
import { argmax, convertQuantized, loadTflite, npyRows, seededFloats } from '../helpers/quant.js';
import { fixture, need, sharedData } from '../helpers/shared.js';

const KWS = fixture('mlcommons-tiny-kws/kws_ref_model');
const FC_LAYERS = fixture('tf2onnx-test-models/fc-layers/frozen.pb');
const AE0 = fixture('tf2onnx-test-models/ae0/frozen.pb');
const MLP = fixture('tfnet-keras/simple_model_from_auto_compile');
const KWS_EVAL = sharedData('kws-mfcc/evaluation.npy');

const FLOAT16 = { mode: 'float16' } as const;

/** float32 constants read by nodes (weights, biases, other operands). */
function floatConstants(g: Graph): Set<string> {
  const out = new Set<string>();
  for (const n of g.nodes) for (const t of n.inputs) if (t?.value && t.dtype === 'float32') out.add(t.name);
  return out;
}

async function maxDiff(t: Parameters<typeof loadTflite>[0], a: Uint8Array, b: Uint8Array, inputs: Float32Array[]): Promise<{ maxAbs: number; refMax: number; agree: number }> {
  const f = await loadTflite(t, a, 'float');
  const q = await loadTflite(t, b, 'float16');
  const shape = f.inputs[0].shape;
  let maxAbs = 0;
  let refMax = 0;
  let agree = 0;
  for (const x of inputs) {
    const y = f.run([{ dtype: 'float32', shape, data: x }])[0].data as Float32Array;
    const z = q.run([{ dtype: 'float32', shape, data: x }])[0].data as Float32Array;
    for (let i = 0; i < y.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(y[i] - z[i]));
      refMax = Math.max(refMax, Math.abs(y[i]));
    }
    if (argmax(y) === argmax(z)) agree++;
  }
  return { maxAbs, refMax, agree };
}

test('float16 kws: every float32 constant (weights and biases) becomes float16 behind one DEQUANTIZE (v3)', async (t) => {
  if (!need(t, KWS, KWS_EVAL)) return;
  const float = await convertQuantized(KWS, null);
  const q = await convertQuantized(KWS, FLOAT16);
  const g = q.graphs[0];
  const before = floatConstants(float.graphs[0]);
  assert.equal(before.size, 20); // 10 filters/kernels + 10 biases
  assert.equal(floatConstants(g).size, 0);
  const dq = g.nodes.filter((n) => n.op === 'tfl.DEQUANTIZE');
  assert.equal(dq.length, before.size);
  for (const n of dq) {
    assert.equal(n.input(0).dtype, 'float16');
    assert.equal(n.input(0).isConstant, true);
    assert.equal(n.output(0).name, `${n.input(0).name}_dequantize`);
    assert.equal(n.version, 3);
  }
  // Biases too, as TFLite does.
  for (const conv of g.nodes.filter((n) => n.op === 'tfl.CONV_2D')) assert.equal(conv.input(2).producer?.op, 'tfl.DEQUANTIZE');
  // The float16 values are the float32 ones rounded to nearest.
  const fw = float.graphs[0].nodes.find((n) => n.op === 'tfl.CONV_2D')?.input(1).value as TensorValue;
  const hw = g.nodes.find((n) => n.op === 'tfl.CONV_2D')?.input(1).producer?.input(0).value as TensorValue;
  const x = toFloat64(fw);
  (hw.data as Uint16Array).forEach((h, i) => assert.ok(Math.abs(halfToFloat(h) - x[i]) <= Math.abs(x[i]) * 2 ** -11 + 2 ** -25));

  const ratio = q.bytes.length / float.bytes.length;
  assert.ok(ratio > 0.5 && ratio < 0.6, `ratio ${ratio}`);
  const { rows } = npyRows('kws-mfcc/evaluation.npy', decodeNpy);
  const r = await maxDiff(t, float.bytes, q.bytes, rows);
  // Measured: 200/200 and 3.8e-3.
  assert.equal(r.agree, 200);
  assert.ok(r.maxAbs <= 5e-3, `max abs ${r.maxAbs}`);
});

test('float16 fc-layers, ae0, tfnet MLP: half the size, within 1e-3 of the float outputs (relative to the largest)', async (t) => {
  if (!need(t, FC_LAYERS, AE0, MLP)) return;
  for (const model of [FC_LAYERS, AE0, MLP]) {
    const float = await convertQuantized(model, null);
    const q = await convertQuantized(model, FLOAT16);
    assert.equal(floatConstants(q.graphs[0]).size, 0);
    const ratio = q.bytes.length / float.bytes.length;
    assert.ok(ratio > 0.49 && ratio < 0.51, `${model}: ratio ${ratio}`);
    const n = (q.graphs[0].inputs[0].shape as number[]).reduce((a, b) => a * b, 1);
    const inputs = Array.from({ length: 20 }, (_, k) => seededFloats(n, k + 1));
    const r = await maxDiff(t, float.bytes, q.bytes, inputs);
    // Measured (relative to the largest output): fc-layers 2.1e-4, ae0 7.9e-4, MLP 3.0e-4.
    assert.ok(r.maxAbs <= 1e-3 * r.refMax, `${model}: max abs ${r.maxAbs} of ${r.refMax}`);
    // Top-1 means something for the classifiers, not for the autoencoder's reconstruction.
    if (model !== AE0) assert.equal(r.agree, 20, model);
  }
});

test('float16 quantization is deterministic', async (t) => {
  if (!need(t, KWS)) return;
  const a = await convertQuantized(KWS, FLOAT16);
  const b = await convertQuantized(KWS, FLOAT16);
  assert.deepEqual(a.bytes, b.bytes);
});
