// Full-integer quantization of the MLPerf Tiny KWS SavedModel, calibrated on real speech features
// (shared/data/kws-mfcc/calibration.npy), measured on the held-out evaluation.npy against the same
// float reference as the official int8 file committed beside the SavedModel.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import type { TensorValue } from '../../src/core/tensor.js';
import { type ConvertedGraphs, convertToGraphs, exportGraphs } from '../../src/convert/convert.js';
import { readTensorFile } from '../../src/io/index.js';
import { quantizeGraphs } from '../../src/quantize/index.js';
import type { QuantizeOptions } from '../../src/quantize/options.js';
import { TfliteRuntime } from '../../src/runtime/tflite.js';
import { operatorName, readTflite } from '../../src/tflite/index.js';
import { type Agreement, compareModels, layerSqnr, rows } from '../helpers/quant-compare.js';
import { fixture, need, sharedData } from '../helpers/shared.js';

const KWS = fixture('mlcommons-tiny-kws/kws_ref_model');
const OFFICIAL = fixture('mlcommons-tiny-kws/kws_ref_model_int8_matching.tflite');
const CALIBRATION = sharedData('kws-mfcc/calibration.npy');
const EVALUATION = sharedData('kws-mfcc/evaluation.npy');
const SHAPE = [1, 49, 10, 1];

let converted: ConvertedGraphs | undefined;
const floatModel = (): ConvertedGraphs => (converted ??= convertToGraphs(KWS));

async function int8(extra: Partial<QuantizeOptions> = {}): Promise<Uint8Array> {
  const q = await quantizeGraphs(floatModel(), { mode: 'int8', representative: CALIBRATION, ...extra }, { log: () => {}, progress: false });
  return exportGraphs(q.graphs).bytes;
}

const fmt = (a: Agreement) => `top-1 ${(100 * a.top1).toFixed(1)}%, SQNR ${a.sqnr.toFixed(2)} dB`;

test('kws int8: runs in TFLite; per-layer fidelity, size and weight scales against the official int8 file', async (t) => {
  if (!need(t, KWS, OFFICIAL, CALIBRATION, EVALUATION)) return;
  const floatBytes = exportGraphs(floatModel().graphs).bytes;
  const official = new Uint8Array(fs.readFileSync(OFFICIAL));
  const ours = await int8();
  const evaluation = rows(readTensorFile(EVALUATION).get('') as TensorValue, SHAPE);

  const a = await compareModels(floatBytes, official, evaluation);
  const b = await compareModels(floatBytes, ours, evaluation);
  t.diagnostic(`official: ${fmt(a)}, ${official.length} bytes; ours (minmax): ${fmt(b)}, ${ours.length} bytes`);
  // The official file measured the way the issue did (95.0 %, 19.0 dB).
  assert.ok(Math.abs(a.top1 - 0.95) < 1e-9 && Math.abs(a.sqnr - 19.0) < 0.05, fmt(a));

  // Size: at most 1.05 x the official file.
  assert.ok(ours.length <= 1.05 * official.length, `${ours.length} bytes > 1.05 x ${official.length}`);

  // Layer by layer (conv, depthwise, ..., pooling, reshape, logits), ours is at least as close to
  // the float model as the official file; the final softmax is compared in the next test.
  const la = await layerSqnr(floatBytes, official, evaluation);
  const lb = await layerSqnr(floatBytes, ours, evaluation);
  t.diagnostic(`per-layer SQNR dB official: ${la.map((l) => l.sqnr.toFixed(1)).join(' ')}`);
  t.diagnostic(`per-layer SQNR dB ours:     ${lb.map((l) => l.sqnr.toFixed(1)).join(' ')}`);
  assert.deepEqual(
    lb.map((l) => l.op),
    la.map((l) => (l.op === 'AVERAGE_POOL_2D' ? 'MEAN' : l.op)),
  );
  for (let L = 0; L < la.length - 1; L++) assert.ok(lb[L].sqnr >= la[L].sqnr, `layer ${L} ${lb[L].op}: ${lb[L].sqnr} < ${la[L].sqnr}`);

  // Weights: the same per-channel scales as TFLite's quantizer (bit for bit where our batch-norm
  // folding gives bit-identical float weights; otherwise within a float32 rounding), and the same
  // int8 values.
  const om = readTflite(official, 'official');
  const qm = readTflite(ours, 'ours');
  const weights = (m: typeof om) => {
    const sg = m.subgraphs[0];
    return sg.operators
      .filter((op) => ['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED'].includes(operatorName(m.operatorCodes[op.opcodeIndex])))
      .map((op) => {
        const w = sg.tensors[op.inputs[1]];
        const b = sg.tensors[op.inputs[2]];
        return { scales: w.quantization?.scale ?? [], data: new Int8Array(m.buffers[w.buffer].data.buffer, m.buffers[w.buffer].data.byteOffset, m.buffers[w.buffer].data.byteLength), biasScales: b.quantization?.scale ?? [] };
      });
  };
  const ow = weights(om);
  const qw = weights(qm);
  assert.equal(qw.length, 10);
  let same = 0;
  let total = 0;
  let exactScales = 0;
  let scales = 0;
  qw.forEach((w, i) => {
    assert.equal(w.scales.length, ow[i].scales.length, `layer ${i} weight scales`);
    w.scales.forEach((s, c) => {
      const rel = Math.abs(s - ow[i].scales[c]) / ow[i].scales[c];
      assert.ok(rel < 3e-7, `layer ${i} channel ${c}: scale ${s} vs official ${ow[i].scales[c]}`);
      if (rel === 0) exactScales++;
      scales++;
    });
    for (let k = 0; k < w.data.length; k++) if (w.data[k] === ow[i].data[k]) same++;
    total += w.data.length;
  });
  t.diagnostic(`weight scales bit-identical to the official file: ${exactScales} of ${scales}; int8 weights identical: ${same} of ${total}`);
  assert.ok(same / total > 0.999, `${same} of ${total}`);

  // Activation scales (they come from different calibration data): reported, and the fixed ones equal.
  const acts = (m: typeof om) => {
    const sg = m.subgraphs[0];
    return sg.operators
      .filter((op) => !['QUANTIZE', 'DEQUANTIZE'].includes(operatorName(m.operatorCodes[op.opcodeIndex])))
      .map((op) => sg.tensors[op.outputs[0]].quantization?.scale[0] ?? 0);
  };
  const oa = acts(om);
  const qa = acts(qm);
  t.diagnostic(`activation scale ours/official: ${qa.map((s, i) => (s / oa[i]).toFixed(3)).join(' ')}`);
  assert.equal(qa[qa.length - 1], 1 / 256);
  assert.equal(oa[oa.length - 1], 1 / 256);
  for (const r of qa.slice(0, 9).map((s, i) => s / oa[i])) assert.ok(r > 0.5 && r < 1.5, `scale ratio ${r}`);
});

test('kws int8: final top-1 agreement and SQNR on evaluation.npy for each calibration method (mse at least the official file on both)', async (t) => {
  if (!need(t, KWS, OFFICIAL, CALIBRATION, EVALUATION)) return;
  const floatBytes = exportGraphs(floatModel().graphs).bytes;
  const evaluation = rows(readTensorFile(EVALUATION).get('') as TensorValue, SHAPE);
  const official = await compareModels(floatBytes, new Uint8Array(fs.readFileSync(OFFICIAL)), evaluation);
  const got: Record<string, Agreement> = {};
  for (const calibration of ['mse', 'minmax', 'percentile', 'entropy'] as const) {
    got[calibration] = await compareModels(floatBytes, await int8({ calibration }), evaluation);
    t.diagnostic(`${calibration}: ${fmt(got[calibration])} (official ${fmt(official)})`);
  }
  // The bar: calibrated on calibration.npy, top-1 agreement AND output SQNR at least the
  // official file's (95.0 %, 19.0 dB). MSE calibration meets both (measured 96.0 %, 19.96 dB):
  // it clips the long tail of the MFCC input only as far as it pays.
  assert.ok(got.mse.top1 >= official.top1 && got.mse.sqnr >= official.sqnr, `mse: ${fmt(got.mse)} vs official ${fmt(official)}`);
  // Percentile calibration beats the official file's output SQNR; entropy its top-1 agreement.
  assert.ok(got.percentile.sqnr >= official.sqnr, fmt(got.percentile));
  assert.ok(got.entropy.top1 >= official.top1, fmt(got.entropy));
  // minmax (TFLite's own method) lands within the noise of 200 samples (2.5 points = 5 rows, 1 dB).
  assert.ok(got.minmax.top1 >= official.top1 - 0.025 && got.minmax.sqnr >= official.sqnr - 1, fmt(got.minmax));
  // Every method is a usable model.
  for (const a of Object.values(got)) assert.ok(a.top1 >= 0.9 && a.sqnr >= 15, fmt(a));
});

test('kws int8: every int8 file loads and runs in the TFLite runtime, with int8 and uint8 I/O', async (t) => {
  if (!need(t, KWS, CALIBRATION, EVALUATION)) return;
  const rt = await TfliteRuntime.load();
  const floatBytes = exportGraphs(floatModel().graphs).bytes;
  const evaluation = rows(readTensorFile(EVALUATION).get('') as TensorValue, SHAPE).slice(0, 40);
  for (const io of ['int8', 'uint8'] as const) {
    const bytes = await int8({ inferenceInputType: io, inferenceOutputType: io });
    const m = rt.loadModel(bytes, { name: `kws ${io} I/O` });
    assert.equal(m.inputs[0].dtype, io);
    assert.equal(m.outputs[0].dtype, io);
    m.dispose();
    const a = await compareModels(floatBytes, bytes, evaluation);
    t.diagnostic(`${io} I/O: ${fmt(a)}`);
    assert.ok(a.top1 >= 0.9 && a.sqnr >= 15, fmt(a));
  }
});
