// Quantization reports on the real models: the MLPerf Tiny KWS SavedModel (ours and the official
// int8 file) and the SiliconLabs QAT micro_speech graph (ours and the official uint8 file). The
// report's output SQNR must be the one computed directly from the runtime's final outputs, every
// per-layer figure finite, and a layer whose scale is deliberately broken must come out worst.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { optimize } from '../../src/api/optimize.js';
import { report } from '../../src/api/report.js';
import { convertToGraphs, exportGraphs } from '../../src/convert/convert.js';
import type { TensorValue } from '../../src/core/tensor.js';
import { ErrorCode, TfconvError } from '../../src/errors/index.js';
import { encodeNpy, readTensorFile } from '../../src/io/index.js';
import { quantizeGraphs } from '../../src/quantize/index.js';
import { type LayerReport, type QuantReport, buildReport, ownSqnr } from '../../src/report/report.js';
import { reportJson } from '../../src/report/json.js';
import { worstFirst } from '../../src/report/text.js';
import { readTflite, writeTflite } from '../../src/tflite/index.js';
import { compareModels, rows } from '../helpers/quant-compare.js';
import { seededFloats } from '../helpers/quant.js';
import { fixture, need, sharedData } from '../helpers/shared.js';
import { tmpDir } from '../helpers/tmp.js';

const KWS = fixture('mlcommons-tiny-kws/kws_ref_model');
const OFFICIAL = fixture('mlcommons-tiny-kws/kws_ref_model_int8_matching.tflite');
const CALIBRATION = sharedData('kws-mfcc/calibration.npy');
const EVALUATION = sharedData('kws-mfcc/evaluation.npy');
const SL = fixture('siliconlabs-micro-speech-tf1/model.pb');
const SL_TFLITE = fixture('siliconlabs-micro-speech-tf1/model.tflite');
const SL_CUT = { inputArrays: ['Reshape_2'], outputArrays: ['labels_softmax'], inputShapes: { Reshape_2: [1, 49, 40, 1] } };
const SL_SHAPE = [1, 49, 40, 1];

let kwsFloat: Uint8Array | undefined;
const kwsFloatBytes = (): Uint8Array => (kwsFloat ??= exportGraphs(convertToGraphs(KWS).graphs).bytes);

function evaluation(): TensorValue[][] {
  return rows(readTensorFile(EVALUATION).get('') as TensorValue, [1, 49, 10, 1]);
}

/** Every number of every layer that has a float partner is finite (no NaN, no infinity). */
function assertFinite(r: QuantReport): void {
  for (const l of r.layers) {
    assert.ok(l.floatTensor !== null, `#${l.index} ${l.op} has no float partner`);
    for (const [k, v] of [
      ['sqnr', l.sqnr],
      ['mse', l.mse],
      ['maxAbs', l.maxAbs],
      ['cosine', l.cosine],
      ['range min', l.floatRange?.[0]],
      ['range max', l.floatRange?.[1]],
    ] as const) {
      assert.ok(typeof v === 'number' && Number.isFinite(v), `#${l.index} ${l.op} ${k} = ${v}`);
    }
    // The error it adds itself: finite, or exactly none (a RESHAPE moves int8 values unchanged).
    if (l.alone && !l.alone.identical) assert.ok(Number.isFinite(l.alone.sqnr as number), `#${l.index} alone ${l.alone.sqnr}`);
    if (l.weights) for (const v of [l.weights.spread, l.weights.perTensorSqnr, l.weights.perChannelSqnr]) assert.ok(Number.isFinite(v as number), `#${l.index} weights`);
  }
  for (const o of r.outputs) assert.ok(Number.isFinite(o.sqnr as number) && Number.isFinite(o.cosine as number), `${o.key} ${o.sqnr}`);
  // JSON holds no number it cannot represent.
  assert.doesNotMatch(reportJson(r), /NaN|Infinity/);
}

test('kws: the official int8 file against our float model: output SQNR as computed from the final outputs, layers matched by name and order', async (t) => {
  if (!need(t, KWS, OFFICIAL, EVALUATION)) return;
  const dir = tmpDir(t);
  const floatPath = path.join(dir, 'kws.tflite');
  fs.writeFileSync(floatPath, kwsFloatBytes());
  const t0 = performance.now();
  const r = await report(floatPath, OFFICIAL, { representative: EVALUATION });
  t.diagnostic(`report: ${(performance.now() - t0).toFixed(0)} ms for ${r.data.samples} samples`);
  const direct = await compareModels(kwsFloatBytes(), new Uint8Array(fs.readFileSync(OFFICIAL)), evaluation());

  assert.equal(r.outputs.length, 1);
  assert.equal(r.outputs[0].sqnr, direct.sqnr);
  assert.equal(r.outputs[0].top1, direct.top1);
  assert.equal(r.outputs[0].maxAbs, direct.maxAbs);
  t.diagnostic(`output SQNR ${r.outputs[0].sqnr?.toFixed(3)} dB (direct ${direct.sqnr.toFixed(3)}), top-1 ${r.outputs[0].top1}`);
  assertFinite(r);

  // 13 operators, each matched to the float layer it came from (names differ between converters).
  assert.deepEqual(
    r.layers.map((l) => `${l.op}:${l.kerasLayers[0] ?? l.floatTensor}`),
    [
      'CONV_2D:conv2d',
      'DEPTHWISE_CONV_2D:depthwise_conv2d',
      'CONV_2D:conv2d_1',
      'DEPTHWISE_CONV_2D:depthwise_conv2d_1',
      'CONV_2D:conv2d_2',
      'DEPTHWISE_CONV_2D:depthwise_conv2d_2',
      'CONV_2D:conv2d_3',
      'DEPTHWISE_CONV_2D:depthwise_conv2d_3',
      'CONV_2D:conv2d_4',
      'AVERAGE_POOL_2D:average_pooling2d',
      'RESHAPE:flatten',
      'FULLY_CONNECTED:dense',
      // Our converter names the model output after the signature output, not after a node.
      'SOFTMAX:StatefulPartitionedCall',
    ],
  );
  assert.ok(r.layers.every((l) => l.match === 'alignment'));
  assert.deepEqual(r.unmatched, { quantized: [], float: [] });
  // The int8 input: the report says what rounding the samples alone costs.
  assert.equal(r.inputs[0].dtype, 'int8');
  assert.ok((r.inputs[0].sqnr as number) > 30 && (r.inputs[0].sqnr as number) < 35, `${r.inputs[0].sqnr}`);
  // The official AVERAGE_POOL_2D keeps its input's scale: the layer itself loses precision.
  const pool = r.layers[9];
  assert.ok((pool.alone?.sqnr as number) < 30, `pool alone ${pool.alone?.sqnr}`);
  assert.equal(r.layers[10].alone?.identical, true);

  // Sizes, ops, float ops, weights.
  assert.equal(r.quantized.size.total, 59648);
  assert.equal(r.quantized.size.weights + r.quantized.size.graph, r.quantized.size.total);
  assert.equal(r.float.size.total, kwsFloatBytes().length);
  assert.deepEqual(r.quantized.ops, { AVERAGE_POOL_2D: 1, CONV_2D: 5, DEPTHWISE_CONV_2D: 4, FULLY_CONNECTED: 1, RESHAPE: 1, SOFTMAX: 1 });
  assert.deepEqual(r.floatOps, []);
  const weights = r.layers.filter((l) => l.weights).map((l) => l.weights as NonNullable<LayerReport['weights']>);
  assert.equal(weights.length, 10);
  assert.deepEqual(
    weights.map((w) => w.stored),
    [...Array(9).fill('per-channel'), 'per-tensor'],
  );
  // Stored per channel, the weights hold what per-channel quantization of the float weights gives.
  for (const w of weights.slice(0, 9)) assert.ok(Math.abs((w.storedSqnr as number) - (w.perChannelSqnr as number)) < 0.05, `${w.tensor}`);
  // The first conv's channels span 9.5x: one scale would cost more than a bit.
  assert.ok(weights[0].spread > 9 && weights[0].flagged);
});

test('kws: optimize --report uses the quantizer\'s tensor map, writes JSON and HTML, and its --exclude-nodes suggestions keep exactly that layer float', async (t) => {
  if (!need(t, KWS, CALIBRATION)) return;
  const dir = tmpDir(t);
  const out = path.join(dir, 'kws_int8.tflite');
  const json = path.join(dir, 'report.json');
  const html = path.join(dir, 'report.html');
  const r = await optimize(KWS, {
    output: out,
    quantize: { mode: 'int8', representative: CALIBRATION },
    // A threshold no int8 layer reaches: every layer gets a suggestion.
    report: { files: [json, html], sqnrThreshold: 60 },
  });
  const rep = r.report as QuantReport;
  assert.ok(rep);
  const direct = await compareModels(exportGraphs(convertToGraphs(KWS).graphs).bytes, new Uint8Array(fs.readFileSync(out)), rows(readTensorFile(CALIBRATION).get('') as TensorValue, [1, 49, 10, 1]));
  assert.equal(rep.outputs[0].sqnr, direct.sqnr);
  assertFinite(rep);
  assert.ok(rep.layers.filter((l) => l.op !== 'QUANTIZE').every((l) => l.match === 'map'));
  assert.equal(rep.layers[0].op, 'QUANTIZE');
  assert.equal(JSON.parse(fs.readFileSync(json, 'utf8')).kind, 'tfconv-quantization-report');
  assert.equal(fs.readFileSync(json, 'utf8'), reportJson(rep));
  assert.match(fs.readFileSync(html, 'utf8'), /^<!DOCTYPE html>/);
  // TF provenance of the fused conv: Conv2D, BiasAdd, FusedBatchNorm, Relu of four Keras layers.
  const conv3 = rep.layers.find((l) => l.kerasLayers[0] === 'conv2d_3') as LayerReport;
  assert.deepEqual(conv3.kerasLayers, ['conv2d_3', 'batch_normalization_6', 'activation_6']);
  assert.equal(conv3.excludeNodes, 'functional_1/conv2d_3/');
  // The softmax shares its Keras layer with the dense op: its own node name, anchored.
  assert.equal(rep.layers.find((l) => l.op === 'SOFTMAX')?.excludeNodes, '^StatefulPartitionedCall/StatefulPartitionedCall/functional_1/dense/Softmax$');
  assert.equal(rep.layers.find((l) => l.op === 'FULLY_CONNECTED')?.excludeNodes, '^StatefulPartitionedCall/StatefulPartitionedCall/functional_1/dense/MatMul$');

  // The suggestion, given back to the quantizer, keeps that one layer in float.
  const q = await quantizeGraphs(
    convertToGraphs(KWS),
    { mode: 'int8', representative: CALIBRATION, calibrationSamples: 20, excludeNodes: conv3.excludeNodes },
    { log: () => {}, progress: false },
  );
  assert.ok(q.notes.some((n) => /kept in float \(between DEQUANTIZE\/QUANTIZE\): CONV_2D x1 \(--exclude-nodes functional_1\\?\/conv2d_3\\?\/\)$/.test(n)), q.notes.join('\n'));
});

/** The int8 KWS with one layer's output scale multiplied by `k`; `consistent` also rescales the biases that depend on it. */
function corruptScale(bytes: Uint8Array, op: number, k: number, consistent: boolean): Uint8Array {
  const m = readTflite(new Uint8Array(bytes), 'int8');
  const sg = m.subgraphs[0];
  const ti = sg.operators[op].outputs[0];
  const q = sg.tensors[ti].quantization;
  assert.ok(q && q.scale.length === 1);
  q.scale[0] *= k;
  if (consistent) {
    // What a quantizer that had picked this range would have written for the consumers' biases
    // (bias scale = input scale x weight scale).
    for (const o of sg.operators) {
      if (!o.inputs.includes(ti) || (o.inputs[2] ?? -1) < 0) continue;
      const b = sg.tensors[o.inputs[2]];
      const bq = b.quantization as NonNullable<typeof b.quantization>;
      bq.scale = bq.scale.map((s) => s * k);
      const buf = m.buffers[b.buffer];
      const v = new Int32Array(buf.data.slice().buffer);
      for (let i = 0; i < v.length; i++) v[i] = Math.round(v[i] / k);
      m.buffers[b.buffer] = { ...buf, data: new Uint8Array(v.buffer) };
    }
  }
  return writeTflite(m);
}

test('kws: a layer whose scale is deliberately broken comes out worst in the report', async (t) => {
  if (!need(t, KWS, CALIBRATION, EVALUATION)) return;
  const q = await quantizeGraphs(convertToGraphs(KWS), { mode: 'int8', representative: CALIBRATION }, { log: () => {}, progress: false });
  const int8 = exportGraphs(q.graphs).bytes;
  const samples = evaluation().slice(0, 50);
  const clean = await buildReport({ bytes: kwsFloatBytes(), file: 'float' }, { bytes: int8, file: 'int8' }, { samples });
  const cases: { op: number; k: number; consistent: boolean; what: string }[] = [
    // conv2d_2 (a conv read by a depthwise conv): its range 8x too narrow, clipping most values.
    { op: 5, k: 1 / 8, consistent: true, what: 'conv2d_2 scale / 8' },
    // depthwise_conv2d_3: 8x too coarse (three bits lost).
    { op: 8, k: 8, consistent: true, what: 'depthwise_conv2d_3 scale x 8' },
    // dense (read by SOFTMAX, which takes any input scale): the file's scale alone, 8x too narrow.
    { op: 12, k: 1 / 8, consistent: false, what: 'dense scale / 8' },
  ];
  for (const c of cases) {
    const r = await buildReport({ bytes: kwsFloatBytes(), file: 'float' }, { bytes: corruptScale(int8, c.op, c.k, c.consistent), file: 'corrupt' }, { samples });
    const worst = worstFirst(r.layers);
    const before = ownSqnr(clean.layers.find((l) => l.index === c.op) as LayerReport) as number;
    const after = ownSqnr(worst[0]) as number;
    t.diagnostic(`${c.what}: worst #${worst[0].index} ${worst[0].op} ${after.toFixed(2)} dB (was ${before.toFixed(2)}), next #${worst[1].index} ${ownSqnr(worst[1])?.toFixed(2)} dB; output ${r.outputs[0].sqnr?.toFixed(2)} dB (was ${clean.outputs[0].sqnr?.toFixed(2)})`);
    assert.equal(worst[0].index, c.op, c.what);
    assert.ok(after < before - 10, `${c.what}: ${after} vs ${before}`);
    assert.ok(worst[0].belowThreshold || after >= r.sqnrThreshold);
  }
});

/** Seeded micro_speech features in the model's input range [0, 26) as an .npy of 60 samples. */
function slData(dir: string): string {
  const n = 60;
  const data = new Float32Array(n * 1960);
  for (let s = 0; s < n; s++) data.set(seededFloats(1960, 500 + s, 0, 26), s * 1960);
  const file = path.join(dir, 'features.npy');
  fs.writeFileSync(file, encodeNpy({ dtype: 'float32', shape: [n, 1, 49, 40, 1], data }));
  return file;
}

test('siliconlabs QAT: optimize --report and the official uint8 file: output SQNR as computed from the final outputs, finite layers', async (t) => {
  if (!need(t, SL, SL_TFLITE)) return;
  const dir = tmpDir(t);
  const data = slData(dir);
  const samples = rows(readTensorFile(data).get('') as TensorValue, SL_SHAPE);
  const out = path.join(dir, 'sl_int8.tflite');
  const r = await optimize(SL, {
    ...SL_CUT,
    output: out,
    quantize: { mode: 'int8', inputRanges: { Reshape_2: [0, 26] }, representative: data },
    report: {},
  });
  const rep = r.report as QuantReport;
  const floatBytes = exportGraphs(convertToGraphs(SL, SL_CUT).graphs).bytes;
  const direct = await compareModels(floatBytes, new Uint8Array(fs.readFileSync(out)), samples);
  assert.equal(rep.outputs[0].sqnr, direct.sqnr);
  assert.equal(rep.outputs[0].top1, direct.top1);
  assertFinite(rep);
  // Every layer matched through the quantizer's map; each FakeQuant belongs to the layer before it.
  assert.deepEqual(
    rep.layers.map((l) => `${l.op}:${l.floatTensor}:${l.match}`),
    [
      'QUANTIZE:Reshape_2:propagated',
      'CONV_2D:act_quant/FakeQuantWithMinMaxVars:map',
      'RESHAPE:Reshape_3:map',
      'FULLY_CONNECTED:act_quant_1/FakeQuantWithMinMaxVars:map',
      'SOFTMAX:labels_softmax:map',
    ],
  );
  assert.deepEqual(rep.layers[1].tfNodes, ['Conv2D', 'add', 'Relu']);
  assert.deepEqual(rep.unmatched, { quantized: [], float: [] });
  assert.ok(!r.notes.some((n) => n.includes('--representative not used')), r.notes.join('\n'));
  t.diagnostic(`ours: output ${rep.outputs[0].sqnr?.toFixed(2)} dB; layers ${rep.layers.map((l) => `${l.op} ${l.sqnr?.toFixed(1)} (alone ${l.alone?.identical ? 'exact' : (l.alone?.sqnr?.toFixed(1) ?? '-')})`).join(', ')}`);

  // The official uint8 file against the same float model, matched by name and order.
  const off = await report(floatBytes, new Uint8Array(fs.readFileSync(SL_TFLITE)), { representative: data });
  const offDirect = await compareModels(floatBytes, new Uint8Array(fs.readFileSync(SL_TFLITE)), samples);
  assert.equal(off.outputs[0].sqnr, offDirect.sqnr);
  assertFinite(off);
  // TOCO wrote the one-channel Conv2D as DEPTHWISE_CONV_2D and dropped the RESHAPE.
  assert.deepEqual(
    off.layers.map((l) => `${l.op}:${l.tfNodes[0]}`),
    ['DEPTHWISE_CONV_2D:Conv2D', 'FULLY_CONNECTED:MatMul', 'SOFTMAX:labels_softmax'],
  );
  assert.deepEqual(off.unmatched.float.map((u) => u.op), ['RESHAPE']);
  assert.equal(off.inputs[0].dtype, 'uint8');
  t.diagnostic(`official: output ${off.outputs[0].sqnr?.toFixed(2)} dB; layers ${off.layers.map((l) => `${l.op} ${l.sqnr?.toFixed(1)}`).join(', ')}`);

  // Same input, same bytes.
  const again = await report(floatBytes, new Uint8Array(fs.readFileSync(SL_TFLITE)), { representative: data });
  assert.equal(reportJson(again), reportJson(off));
});

test('report: no data, a file of another format, --report without quantization: one-line errors', async (t) => {
  if (!need(t, KWS, OFFICIAL)) return;
  const dir = tmpDir(t);
  const floatPath = path.join(dir, 'kws.tflite');
  fs.writeFileSync(floatPath, kwsFloatBytes());
  await assert.rejects(report(floatPath, OFFICIAL, {}), (e: unknown) => e instanceof TfconvError && e.code === ErrorCode.NO_REPRESENTATIVE_DATA && /representative/.test(e.message));
  await assert.rejects(report(path.join(dir, 'missing.tflite'), OFFICIAL, { representative: 'random' }), (e: unknown) => e instanceof TfconvError && e.code === ErrorCode.FILE_NOT_FOUND);
  await assert.rejects(
    optimize(KWS, { output: path.join(dir, 'x.tflite'), report: { files: [path.join(dir, 'r.html')] } }),
    (e: unknown) => e instanceof TfconvError && e.code === ErrorCode.BAD_OPTION && /needs --quantize/.test(e.message),
  );
  await assert.rejects(
    optimize(KWS, { output: path.join(dir, 'x.tflite'), quantize: { mode: 'int8', representative: 'random' }, report: { files: [path.join(dir, 'r.txt')] } }),
    (e: unknown) => e instanceof TfconvError && e.code === ErrorCode.BAD_OPTION && /\.json or \.html/.test(e.message),
  );
  // Samples that do not fit the model.
  await assert.rejects(
    report(floatPath, OFFICIAL, { samples: [[{ dtype: 'float32', shape: [1, 49, 10, 1], data: new Float32Array(490) }, { dtype: 'float32', shape: [1], data: new Float32Array(1) }]] }),
    (e: unknown) => e instanceof TfconvError && e.code === ErrorCode.BAD_INPUT_DATA,
  );
});
