// --quantize int8 behaviour on real SavedModels: where QUANTIZE / DEQUANTIZE go for each
// inference type, requantization in front of CONCATENATION, exclusions (by op and by TF node,
// through fused layers), --full-integer, notes, and byte-for-byte determinism.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { optimize } from '../../src/api/optimize.js';
import { type ConvertedGraphs, convertToGraphs, exportGraphs } from '../../src/convert/convert.js';
import { ErrorCode, TfconvError } from '../../src/errors/index.js';
import type { Graph, Node } from '../../src/graph/ir.js';
import { quantizeGraphs } from '../../src/quantize/index.js';
import type { QuantizeOptions } from '../../src/quantize/options.js';
import { TfliteRuntime } from '../../src/runtime/tflite.js';
import { minRuntimeVersion, readTflite } from '../../src/tflite/index.js';
import { makeRandomInputs } from '../../src/verify/inputs.js';
import { compareModels } from '../helpers/quant-compare.js';
import { fixture, need, sharedData } from '../helpers/shared.js';
import { tmpDir } from '../helpers/tmp.js';
import { rejectsOneLine } from '../helpers/errors.js';

const KWS = fixture('mlcommons-tiny-kws/kws_ref_model');
const CALIBRATION = sharedData('kws-mfcc/calibration.npy');
const MULTI = fixture('tf-rust-keras/keras_multiple_inputs_saved_model');

const ctx = { log: () => {}, progress: false };
const cache = new Map<string, ConvertedGraphs>();
const converted = (model: string): ConvertedGraphs => {
  let c = cache.get(model);
  if (!c) cache.set(model, (c = convertToGraphs(model)));
  return c;
};

async function quantize(model: string, o: Partial<QuantizeOptions>): Promise<{ graph: Graph; notes: string[]; bytes: Uint8Array }> {
  const q = await quantizeGraphs(converted(model), { mode: 'int8', calibrationSamples: 40, ...o }, ctx);
  return { graph: q.graphs[0], notes: q.notes, bytes: exportGraphs(q.graphs).bytes };
}

const ops = (g: Graph) => g.nodes.map((n) => n.op.slice(4));
const isQuantize = (n: Node) => n.op === 'tfl.QUANTIZE';

test('float32 I/O (default): one QUANTIZE after the input, one DEQUANTIZE before the output, int8 in between', async (t) => {
  if (!need(t, KWS, CALIBRATION)) return;
  const { graph: g, notes } = await quantize(KWS, { representative: CALIBRATION });
  const list = ops(g);
  assert.equal(list[0], 'QUANTIZE');
  assert.equal(list[list.length - 1], 'DEQUANTIZE');
  assert.equal(list.filter((o) => o === 'QUANTIZE' || o === 'DEQUANTIZE').length, 2);
  assert.equal(g.nodes[0].inputs[0], g.inputs[0]);
  assert.equal(g.inputs[0].dtype, 'float32');
  assert.equal(g.outputs[0].dtype, 'float32');
  assert.equal(g.outputs[0].producer?.op, 'tfl.DEQUANTIZE');
  // The signature still maps its keys to the model's float input and output.
  assert.equal(g.signature?.inputs[0].tensor, g.inputs[0]);
  assert.equal(g.signature?.outputs[0].tensor, g.outputs[0]);
  assert.equal(g.outputs[0].name, 'StatefulPartitionedCall');
  for (const n of g.nodes.slice(1, -1)) {
    for (const x of [...n.inputs, ...n.outputs]) if (x && !x.isConstant && x.dtype !== 'int32') assert.equal(x.dtype, 'int8', `${n.op} ${x.name}`);
  }
  // Softmax output: TFLite's fixed 1/256, -128; the ReLU conv outputs have zero point -128 (range [0, max]).
  const softmax = g.nodes.find((n) => n.op === 'tfl.SOFTMAX') as Node;
  assert.deepEqual(softmax.output(0).quant, { scale: [1 / 256], zeroPoint: [-128] });
  for (const n of g.nodes.filter((x) => x.op === 'tfl.CONV_2D')) assert.equal(n.output(0).quant?.zeroPoint[0], -128);
  assert.match(notes.join('\n'), /int8: calibrated \(minmax\) on calibration\.npy \(40 of 200 samples\)/);
});

test('int8 and uint8 I/O: int8 tensors at the edges, uint8 through QUANTIZE with the zero point shifted by 128', async (t) => {
  if (!need(t, KWS, CALIBRATION)) return;
  const i8 = await quantize(KWS, { representative: CALIBRATION, inferenceInputType: 'int8', inferenceOutputType: 'int8' });
  assert.ok(!ops(i8.graph).includes('QUANTIZE') && !ops(i8.graph).includes('DEQUANTIZE'), ops(i8.graph).join(' '));
  assert.equal(i8.graph.inputs[0].dtype, 'int8');
  assert.equal(i8.graph.outputs[0].dtype, 'int8');
  assert.deepEqual(i8.graph.outputs[0].quant, { scale: [1 / 256], zeroPoint: [-128] });

  const u8 = await quantize(KWS, { representative: CALIBRATION, inferenceInputType: 'uint8', inferenceOutputType: 'uint8' });
  const g = u8.graph;
  const list = ops(g);
  assert.equal(list.filter((o) => o === 'QUANTIZE').length, 2);
  assert.ok(!list.includes('DEQUANTIZE'));
  const [first, last] = [g.nodes[0], g.nodes[g.nodes.length - 1]];
  assert.ok(isQuantize(first) && isQuantize(last));
  assert.equal(first.input(0), g.inputs[0]);
  assert.equal(first.input(0).dtype, 'uint8');
  assert.equal(first.output(0).dtype, 'int8');
  assert.equal(first.input(0).quant?.scale[0], first.output(0).quant?.scale[0]);
  assert.equal(first.input(0).quant?.zeroPoint[0], (first.output(0).quant?.zeroPoint[0] as number) + 128);
  assert.equal(last.output(0), g.outputs[0]);
  assert.equal(last.output(0).dtype, 'uint8');
  assert.deepEqual(last.output(0).quant, { scale: [1 / 256], zeroPoint: [0] });
  // The uint8 input is the same quantization as the int8 one (same scale, zero point + 128).
  assert.equal(g.inputs[0].quant?.scale[0], i8.graph.inputs[0].quant?.scale[0]);
  assert.equal(g.inputs[0].quant?.zeroPoint[0], (i8.graph.inputs[0].quant?.zeroPoint[0] as number) + 128);

  // The runtime takes and gives int8 / uint8.
  const rt = await TfliteRuntime.load();
  for (const [bytes, type] of [
    [i8.bytes, 'int8'],
    [u8.bytes, 'uint8'],
  ] as const) {
    const m = rt.loadModel(bytes);
    t.after(() => m.dispose());
    assert.equal(m.inputs[0].dtype, type);
    const out = m.run([{ dtype: type, shape: [1, 49, 10, 1], data: type === 'int8' ? new Int8Array(490) : new Uint8Array(490).fill(128) }])[0];
    assert.equal(out.dtype, type);
  }
});

test('CONCATENATION inputs with other scales get a requantizing QUANTIZE (int8 -> int8); shared weights are stored once', async (t) => {
  if (!need(t, MULTI)) return;
  const float = converted(MULTI);
  const q = await quantize(MULTI, { representative: 'random' });
  const g = q.graph;
  const concat = g.nodes.find((n) => n.op === 'tfl.CONCATENATION') as Node;
  const outQ = concat.output(0).quant;
  for (const x of concat.inputs) assert.deepEqual(x?.quant, outQ, 'every concat input has the output parameters');
  const requant = concat.inputs.filter((x) => x?.producer && isQuantize(x.producer) && x.producer.input(0).dtype === 'int8');
  assert.ok(requant.length >= 1, 'at least one input is requantized');
  for (const x of requant) assert.notDeepEqual(x?.producer?.input(0).quant, outQ);
  // The shared Dense is applied to both inputs with the same weights: one int8 weight tensor.
  const fcs = g.nodes.filter((n) => n.op === 'tfl.FULLY_CONNECTED');
  const floatFcs = float.graphs[0].nodes.filter((n) => n.op === 'tfl.FULLY_CONNECTED');
  assert.equal(fcs.length, floatFcs.length);
  if (floatFcs[0].inputs[1] === floatFcs[1].inputs[1]) assert.equal(fcs[0].inputs[1], fcs[1].inputs[1]);
  // Two inputs, two QUANTIZE at the edge; the model runs and stays close to the float one.
  assert.equal(g.nodes.filter((n) => isQuantize(n) && n.input(0).dtype === 'float32').length, 2);
  const samples = Array.from({ length: 16 }, (_, s) => {
    const v = makeRandomInputs(float.graphs[0].inputs.map((x, i) => ({ key: String(i), dtype: 'float32' as const, shape: x.shape as number[] })), 500 + s);
    return float.graphs[0].inputs.map((_, i) => v[String(i)]);
  });
  const a = await compareModels(exportGraphs(float.graphs).bytes, q.bytes, samples);
  assert.ok(a.sqnr > 25, `SQNR ${a.sqnr}`);
  assert.match(q.notes.join('\n'), /seeded RANDOM inputs, not real data/);
});

test('--exclude-ops keeps an op type in float (TF or TFLite names), between DEQUANTIZE and QUANTIZE', async (t) => {
  if (!need(t, KWS, CALIBRATION)) return;
  for (const name of ['Softmax', 'SOFTMAX', 'tfl.SOFTMAX']) {
    const { graph: g, notes } = await quantize(KWS, { representative: CALIBRATION, excludeOps: [name] });
    const softmax = g.nodes.find((n) => n.op === 'tfl.SOFTMAX') as Node;
    assert.equal(softmax.input(0).dtype, 'float32');
    assert.equal(softmax.input(0).producer?.op, 'tfl.DEQUANTIZE');
    assert.equal(softmax.output(0), g.outputs[0]);
    assert.equal(g.outputs[0].dtype, 'float32');
    assert.equal(ops(g).filter((o) => o === 'DEQUANTIZE').length, 1);
    assert.match(notes.join('\n'), new RegExp(`kept in float \\(between DEQUANTIZE/QUANTIZE\\): SOFTMAX x1 \\(--exclude-ops ${name.replace('.', '\\.')}\\)`));
  }
  // Conv2D (TF name) covers all five CONV_2D; the depthwise ones stay int8.
  const { graph: g } = await quantize(KWS, { representative: CALIBRATION, excludeOps: ['Conv2D'] });
  for (const n of g.nodes.filter((x) => x.op === 'tfl.CONV_2D')) {
    assert.equal(n.input(0).dtype, 'float32');
    assert.equal(n.input(1).dtype, 'float32');
  }
  for (const n of g.nodes.filter((x) => x.op === 'tfl.DEPTHWISE_CONV_2D')) assert.equal(n.input(0).dtype, 'int8');
  await rejectsOneLine(quantize(KWS, { representative: CALIBRATION, excludeOps: ['NoSuchOp'] }), ErrorCode.BAD_OPTION, /--exclude-ops: 'NoSuchOp' is neither a TFLite builtin op/);
});

test('--exclude-nodes matches the TF nodes a fused layer came from (its batch norm, its ReLU)', async (t) => {
  if (!need(t, KWS, CALIBRATION)) return;
  // batch_normalization_3 was folded into the second depthwise conv; activation_3 is its fused ReLU.
  for (const re of ['batch_normalization_3/', 'activation_3/Relu$', 'depthwise_conv2d_1/depthwise$']) {
    const q = await quantize(KWS, { representative: CALIBRATION, excludeNodes: re });
    const g = q.graph;
    const float = g.nodes.filter((n) => n.op !== 'tfl.QUANTIZE' && n.op !== 'tfl.DEQUANTIZE' && n.outputs.some((o) => o.dtype === 'float32'));
    assert.deepEqual(
      float.map((n) => n.name),
      ['StatefulPartitionedCall/StatefulPartitionedCall/functional_1/depthwise_conv2d_1/depthwise'],
      re,
    );
    // Read through a DEQUANTIZE, written back through a QUANTIZE.
    assert.equal(float[0].input(0).producer?.op, 'tfl.DEQUANTIZE');
    const readers = g.nodes.filter((n) => n.inputs.includes(float[0].output(0)));
    assert.deepEqual(readers.map((n) => n.op), ['tfl.QUANTIZE']);
    assert.match(q.notes.join('\n'), /DEPTHWISE_CONV_2D x1 \(--exclude-nodes /);
    // Still runs.
    const rt = await TfliteRuntime.load();
    rt.loadModel(q.bytes).dispose();
  }
  const none = await quantize(KWS, { representative: CALIBRATION, excludeNodes: 'nothing_matches_this' });
  assert.match(none.notes.join('\n'), /--exclude-nodes nothing_matches_this matched no node/);
});

test('--full-integer: fine when everything is int8; conflicts with exclusions; lists float ops in one line', async (t) => {
  if (!need(t, KWS, CALIBRATION)) return;
  const ok = await quantize(KWS, { representative: CALIBRATION, fullInteger: true });
  assert.ok(ok.graph.nodes.every((n) => n.op === 'tfl.QUANTIZE' || n.op === 'tfl.DEQUANTIZE' || n.outputs.every((o) => o.dtype !== 'float32')));
  await rejectsOneLine(
    quantize(KWS, { representative: CALIBRATION, fullInteger: true, excludeOps: ['SOFTMAX'] }),
    ErrorCode.BAD_OPTION,
    /--full-integer: conflicts with the exclusions, which keep 1 node\(s\) in float/,
  );
});

test('representative data is required: a clear error without it; random says so in the notes', async (t) => {
  if (!need(t, KWS)) return;
  await rejectsOneLine(quantize(KWS, {}), ErrorCode.NO_REPRESENTATIVE_DATA, /--representative PATH .* or --representative random/);
  const q = await quantize(KWS, { representative: 'random', calibrationSamples: 5 });
  assert.match(q.notes.join('\n'), /5 seeded random normal samples \(seed 1\)/);
});

test('same model, data and options: identical bytes (each calibration method); a different seed changes them', async (t) => {
  if (!need(t, KWS, CALIBRATION)) return;
  for (const calibration of ['minmax', 'percentile', 'entropy'] as const) {
    const a = await quantize(KWS, { representative: CALIBRATION, calibration });
    const b = await quantize(KWS, { representative: CALIBRATION, calibration });
    assert.ok(Buffer.from(a.bytes).equals(Buffer.from(b.bytes)), calibration);
  }
  const r1 = await quantize(KWS, { representative: 'random', calibrationSamples: 8, seed: 3 });
  const r2 = await quantize(KWS, { representative: 'random', calibrationSamples: 8, seed: 3 });
  const r3 = await quantize(KWS, { representative: 'random', calibrationSamples: 8, seed: 4 });
  assert.ok(Buffer.from(r1.bytes).equals(Buffer.from(r2.bytes)));
  assert.ok(!Buffer.from(r1.bytes).equals(Buffer.from(r3.bytes)));
});

test('optimize --quantize int8 writes the file, twice the same bytes, and leaves the float graphs alone', async (t) => {
  if (!need(t, KWS, CALIBRATION)) return;
  const dir = tmpDir(t);
  const a = await optimize(KWS, { output: path.join(dir, 'a.tflite'), quantize: { mode: 'int8', representative: CALIBRATION } });
  const b = await optimize(KWS, { output: path.join(dir, 'b.tflite'), quantize: { mode: 'int8', representative: CALIBRATION } });
  assert.ok(fs.readFileSync(a.output).equals(fs.readFileSync(b.output)));
  assert.equal(a.ops.QUANTIZE, 1);
  assert.equal(a.ops.DEQUANTIZE, 1);
  assert.equal(a.ops.MEAN, 1);
  assert.equal(a.conversion.model.subgraphs[0].operators.length, 15);
  // The float graphs given to quantization are not modified (the int8 ones are copies).
  const c = converted(KWS);
  const before = exportGraphs(c.graphs).bytes;
  const q = await quantizeGraphs(c, { mode: 'int8', representative: CALIBRATION, calibrationSamples: 4 }, ctx);
  assert.ok(Buffer.from(exportGraphs(c.graphs).bytes).equals(Buffer.from(before)));
  // Each float tensor maps to its stand-in in the int8 graph.
  const map = q.tensorMaps?.[0] as Map<unknown, Graph['inputs'][number]>;
  const conv = c.graphs[0].nodes[0].output(0);
  assert.equal(map.get(conv)?.dtype, 'int8');
  assert.ok(q.graphs[0].nodes.some((n) => n.outputs.includes(map.get(conv) as Graph['inputs'][number])));
  assert.equal(map.get(c.graphs[0].inputs[0]), q.graphs[0].inputs[0]);
});

test('op versions are the int8 kernels\' (as in the official file) and min_runtime_version follows', async (t) => {
  if (!need(t, KWS, CALIBRATION)) return;
  const { graph: g, bytes } = await quantize(KWS, { representative: CALIBRATION });
  const versions = Object.fromEntries(g.nodes.map((n) => [n.op.slice(4), n.version]));
  // CONV_2D 3, DEPTHWISE_CONV_2D 3, FULLY_CONNECTED 4, SOFTMAX 2, RESHAPE 1 are the official file's;
  // MEAN 2 (int8), QUANTIZE 1 (float -> int8), DEQUANTIZE 2 (int8 -> float) per op_version.cc.
  assert.deepEqual(versions, { QUANTIZE: 1, CONV_2D: 3, DEPTHWISE_CONV_2D: 3, MEAN: 2, RESHAPE: 1, FULLY_CONNECTED: 4, SOFTMAX: 2, DEQUANTIZE: 2 });
  assert.equal(minRuntimeVersion(readTflite(bytes, 'kws')), '1.14.0');
});
