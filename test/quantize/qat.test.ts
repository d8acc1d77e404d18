// QAT import on the real QAT fixture (SiliconLabs / TensorFlow micro_speech tiny_conv, TF1
// contrib.quantize: FakeQuantWithMinMaxVars on weights and activations) against the official
// uint8 model.tflite beside it, plus variants of the same graph rewritten to the other fake-quant
// ops (Args, VarsPerChannel, QuantizeAndDequantizeV2/V3/V4).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { BufferIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { type TensorValue, toFloat64 } from '../../src/core/tensor.js';
import { TfconvError } from '../../src/errors/index.js';
import type { Graph, Tensor } from '../../src/graph/ir.js';
import { GraphDefCodec } from '../../src/proto/index.js';
import { tensorFromProto, tensorToProto } from '../../src/proto/tensor-proto.js';
import type { AttrValue, GraphDef, NodeDef } from '../../src/proto/types.js';
import { learnedRange } from '../../src/quantize/learned-range.js';
import { readTflite } from '../../src/tflite/index.js';
import { argmax, convertQuantized, loadTflite, seededFloats, tfSemantics } from '../helpers/quant.js';
import { fixture, need } from '../helpers/shared.js';
import { tmpDir } from '../helpers/tmp.js';

const SL = fixture('siliconlabs-micro-speech-tf1/model.pb');
const SL_TFLITE = fixture('siliconlabs-micro-speech-tf1/model.tflite');
const KWS = fixture('mlcommons-tiny-kws/kws_ref_model');
const CUT = { inputArrays: ['Reshape_2'], outputArrays: ['labels_softmax'], inputShapes: { Reshape_2: [1, 49, 40, 1] } };
const SHAPE = [1, 49, 40, 1];
/** TOCO's quantized_input_stats for the official file: mean 0, std 9.8077 (uint8 range [0, 255/std]). */
const INPUT_RANGE: [number, number] = [0, 255 / 9.8077];
const INT8_IO = { mode: 'int8', inferenceInputType: 'int8', inferenceOutputType: 'int8', inputRanges: { Reshape_2: INPUT_RANGE } } as const;

function tensorNamed(g: Graph, name: string): Tensor {
  const t = g.tensors().find((x) => x.name === name);
  assert.ok(t, `no tensor ${name}`);
  return t;
}

test('record-learned-ranges keeps the four FakeQuant ranges; folded weights and FAKE_QUANT outputs carry them', async (t) => {
  if (!need(t, SL)) return;
  const f = await convertQuantized(SL, null, CUT);
  const g = f.graphs[0];
  const conv = g.nodes.find((n) => n.op === 'tfl.CONV_2D');
  const fc = g.nodes.find((n) => n.op === 'tfl.FULLY_CONNECTED');
  assert.deepEqual(learnedRange(conv?.input(1) as Tensor), {
    min: [Math.fround(-0.09333581477403641)],
    max: [Math.fround(0.08791348338127136)],
    axis: null,
    numBits: 8,
    narrowRange: true,
  });
  assert.equal(learnedRange(fc?.input(1) as Tensor)?.narrowRange, true);
  const fq = g.nodes.filter((n) => n.op === 'tfl.FAKE_QUANT');
  assert.equal(fq.length, 2);
  assert.deepEqual(
    fq.map((n) => [n.options.min, n.options.max, n.options.num_bits, n.options.narrow_range, n.version]),
    fq.map((n) => {
      const r = learnedRange(n.output(0));
      return [r?.min[0], r?.max[0], 8, false, 1];
    }),
  );
  assert.equal(fq[0].options.min, 0);
  // The float model writes no quantization parameters for learned ranges.
  const model = readTflite(f.bytes, 'float');
  assert.ok(model.subgraphs[0].tensors.every((x) => x.quantization === undefined || x.quantization.scale.length === 0));
  // Without FakeQuant ops nothing is recorded.
  if (!need(t, KWS)) return;
  const kws = await convertQuantized(KWS, null);
  assert.ok(kws.graphs[0].tensors().every((x) => x.quant === null));
  assert.equal(kws.graphs[0].nodes.filter((n) => n.op === 'tfl.FAKE_QUANT').length, 0);
});

test('float conversion of the QAT graph computes what TensorFlow computes (FAKE_QUANT for activations)', async (t) => {
  if (!need(t, SL)) return;
  const opts = { ...CUT, outputArrays: ['labels_softmax', 'act_quant/FakeQuantWithMinMaxVars'] };
  const f = await convertQuantized(SL, null, opts);
  const m = await loadTflite(t, f.bytes);
  for (let k = 0; k < 5; k++) {
    const x = seededFloats(1960, k + 1, 0, 26);
    const got = m.run([{ dtype: 'float32', shape: SHAPE, data: x }]);
    const ref = tfSemantics(f.prepared[0], { Reshape_2: { dtype: 'float32', shape: SHAPE, data: x } });
    // The fake-quantized activations are the same levels; the softmax within float rounding.
    assert.deepEqual(got[1].data, ref[1].data);
    const a = got[0].data as Float32Array;
    const b = ref[0].data as Float32Array;
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-6, `${a[i]} vs ${b[i]}`);
  }
});

test('int8 from learned ranges matches the official uint8 micro_speech: scales equal, zero points -128, same argmax', async (t) => {
  if (!need(t, SL, SL_TFLITE)) return;
  const q = await convertQuantized(SL, INT8_IO, CUT);
  const official = readTflite(fs.readFileSync(SL_TFLITE), SL_TFLITE).subgraphs[0].tensors;
  const off = (name: string) => {
    const x = official.find((e) => e.name === name)?.quantization;
    assert.ok(x, name);
    return { scale: x.scale, zeroPoint: x.zeroPoint };
  };
  const ours = readTflite(q.bytes, 'ours').subgraphs[0].tensors;
  const our = (name: string) => {
    const x = ours.find((e) => e.name === name);
    assert.ok(x?.quantization, name);
    return { type: x.type, scale: x.quantization.scale, zeroPoint: x.quantization.zeroPoint };
  };
  // [our tensor, official tensor]: activations and the dense layer are TOCO's parameters, shifted.
  const same: [string, string][] = [
    ['Reshape_2', 'Reshape_2'],
    ['Conv2D', 'Relu'],
    ['Reshape_3', 'Relu'],
    ['MatMul', 'add_1'],
    ['labels_softmax', 'labels_softmax'],
  ];
  for (const [mine, theirs] of same) {
    const a = our(mine);
    const b = off(theirs);
    assert.equal(a.scale.length, 1, mine);
    assert.ok(Math.abs(a.scale[0] - b.scale[0]) <= 1e-6 * b.scale[0], `${mine}: scale ${a.scale[0]} vs ${b.scale[0]}`);
    assert.equal(a.zeroPoint[0], b.zeroPoint[0] - 128, mine);
  }
  // The dense weights: TFLite's int8 fully-connected kernels (the optimized path the runtime takes)
  // ignore a weight zero point, so the official asymmetric grid (uint8 zero point 126) moves to
  // zero point 0 with the same step: every weight keeps its official level shifted by 126, but the
  // one whose level (129) overflows int8 and is clamped to 127.
  const offW = readTflite(fs.readFileSync(SL_TFLITE), SL_TFLITE);
  const wt = offW.subgraphs[0].tensors.find((e) => e.name === 'weights_quant_1/FakeQuantWithMinMaxVars/transpose');
  const offLevels = offW.buffers[wt?.buffer ?? 0].data as Uint8Array;
  const offQ = wt?.quantization as { scale: number[]; zeroPoint: number[] };
  const fcW = q.graphs[0].nodes.find((n) => n.op === 'tfl.FULLY_CONNECTED')?.input(1);
  const mineW = fcW?.value?.data as Int8Array;
  assert.deepEqual(fcW?.quant?.zeroPoint, [0]);
  assert.ok(Math.abs((fcW?.quant?.scale[0] ?? 0) - offQ.scale[0]) <= 1e-6 * offQ.scale[0]);
  assert.equal(mineW.length, offLevels.length);
  let exact = 0;
  for (let i = 0; i < mineW.length; i++) {
    const level = offLevels[i] - Number(offQ.zeroPoint[0]);
    if (mineW[i] === level) exact++;
    else assert.deepEqual([level, mineW[i]], [129, 127], `weight ${i}`);
  }
  assert.equal(exact, mineW.length - 1);
  const fcBias = our('MatMul/bias/biased');
  assert.ok(Math.abs(fcBias.scale[0] - off('MatMul_bias').scale[0]) <= 1e-6 * fcBias.scale[0]);
  assert.ok(q.notes.some((n) => n.includes("'MatMul/weights'") && n.includes('1 of 1 channel keeps its trained levels (1 extreme weight clamped to the int8 range)')), q.notes.join('\n'));
  // The conv weights: the official zero point 132 (int8: 4) is refused by int8 conv kernels; at
  // zero point 0, 6 of 8 channels keep the trained levels and the official scale exactly.
  const conv = our('Conv2D/filter');
  assert.equal(conv.scale.length, 8);
  assert.ok(conv.zeroPoint.every((z) => z === 0));
  const convScale = off('weights_quant/FakeQuantWithMinMaxVars').scale[0];
  assert.equal(conv.scale.filter((s) => Math.abs(s - convScale) <= 1e-6 * convScale).length, 6);
  assert.ok(q.notes.some((n) => n.includes('6 of 8 channels keep their trained levels exactly, 2 requantized symmetric')), q.notes.join('\n'));

  // Same quantized inputs through both files: the same keyword, outputs within a few levels.
  const a = await loadTflite(t, fs.readFileSync(SL_TFLITE), 'official');
  const b = await loadTflite(t, q.bytes, 'ours');
  let agree = 0;
  let worst = 0;
  const N = 200;
  for (let k = 0; k < N; k++) {
    const x = seededFloats(1960, k + 1, 0, 256);
    const u8 = Uint8Array.from(x, (v) => Math.floor(v));
    const i8 = Int8Array.from(u8, (v) => v - 128);
    const ya = a.run([{ dtype: 'uint8', shape: SHAPE, data: u8 }])[0].data as Uint8Array;
    const yb = b.run([{ dtype: 'int8', shape: SHAPE, data: i8 }])[0].data as Int8Array;
    for (let i = 0; i < 4; i++) worst = Math.max(worst, Math.abs(ya[i] - (yb[i] + 128)));
    if (argmax(ya) === argmax(yb)) agree++;
  }
  // Measured: 200/200 agree, at most 6 levels (of 1/256) apart (the 2 requantized conv channels).
  assert.ok(agree >= 198, `argmax agreement ${agree}/${N}`);
  assert.ok(worst <= 8, `largest difference ${worst} levels`);
});

test('int8 with float32 and uint8 model inputs/outputs: QUANTIZE/DEQUANTIZE at the edges; uint8 IO is the official file\'s', async (t) => {
  if (!need(t, SL, SL_TFLITE)) return;
  const f32 = await convertQuantized(SL, { mode: 'int8', inputRanges: { Reshape_2: INPUT_RANGE } }, CUT);
  const g = f32.graphs[0];
  assert.deepEqual(g.nodes.map((n) => n.op.slice(4)), ['QUANTIZE', 'CONV_2D', 'RESHAPE', 'FULLY_CONNECTED', 'SOFTMAX', 'DEQUANTIZE']);
  // int8 kernels: CONV_2D v3, FULLY_CONNECTED v4, SOFTMAX v2, DEQUANTIZE of int8 v2.
  assert.deepEqual(g.nodes.map((n) => n.version), [1, 3, 1, 4, 2, 2]);
  assert.equal(g.inputs[0].dtype, 'float32');
  assert.equal(g.inputs[0].name, 'Reshape_2');
  assert.equal(g.outputs[0].dtype, 'float32');
  assert.equal(g.outputs[0].name, 'labels_softmax');
  const u8 = await convertQuantized(SL, { mode: 'int8', inferenceInputType: 'uint8', inferenceOutputType: 'uint8', inputRanges: { Reshape_2: INPUT_RANGE } }, CUT);
  const official = readTflite(fs.readFileSync(SL_TFLITE), SL_TFLITE).subgraphs[0].tensors;
  for (const [i, name] of [[0, 'Reshape_2'], [0, 'labels_softmax']] as const) {
    const mine = (name === 'Reshape_2' ? u8.graphs[0].inputs : u8.graphs[0].outputs)[i];
    const theirs = official.find((e) => e.name === name)?.quantization;
    assert.equal(mine.dtype, 'uint8');
    assert.equal(mine.quant?.zeroPoint[0], theirs?.zeroPoint[0]);
    assert.ok(Math.abs((mine.quant?.scale[0] ?? 0) - (theirs?.scale[0] ?? 1)) <= 1e-6 * (theirs?.scale[0] ?? 1));
  }
  // float in, float out: the dequantized official answer within 3 levels.
  const a = await loadTflite(t, fs.readFileSync(SL_TFLITE), 'official');
  const b = await loadTflite(t, f32.bytes, 'float io');
  const c = await loadTflite(t, u8.bytes, 'uint8 io');
  const scale = official.find((e) => e.name === 'Reshape_2')?.quantization?.scale[0] as number;
  for (let k = 0; k < 20; k++) {
    const q = Uint8Array.from(seededFloats(1960, 100 + k, 0, 256), (v) => Math.floor(v));
    const ya = a.run([{ dtype: 'uint8', shape: SHAPE, data: q }])[0].data as Uint8Array;
    const yb = b.run([{ dtype: 'float32', shape: SHAPE, data: Float32Array.from(q, (v) => v * scale) }])[0].data as Float32Array;
    const yc = c.run([{ dtype: 'uint8', shape: SHAPE, data: q }])[0].data as Uint8Array;
    for (let i = 0; i < 4; i++) {
      assert.ok(Math.abs(ya[i] / 256 - yb[i]) <= 3 / 256 + 1e-6, `${ya[i] / 256} vs ${yb[i]}`);
      assert.ok(Math.abs(ya[i] - yc[i]) <= 3);
    }
  }
});

test('int8 from learned ranges is deterministic', async (t) => {
  if (!need(t, SL)) return;
  const a = await convertQuantized(SL, INT8_IO, CUT);
  const b = await convertQuantized(SL, INT8_IO, CUT);
  assert.deepEqual(a.bytes, b.bytes);
});

// --- the other fake-quant ops, on the same graph --------------------------------------------

function readGraph(): GraphDef {
  return GraphDefCodec.decode(fs.readFileSync(SL), SL);
}

function node(gd: GraphDef, name: string): NodeDef {
  const n = gd.node.find((x) => x.name === name);
  assert.ok(n, name);
  return n;
}

function constValue(gd: GraphDef, name: string): TensorValue {
  const n = node(gd, name);
  return tensorFromProto(n.attr.value.tensor as NonNullable<AttrValue['tensor']>, name);
}

function constNode(name: string, v: TensorValue): NodeDef {
  return { name, op: 'Const', input: [], device: '', attr: { dtype: { value: 'type', type: 1 }, value: { value: 'tensor', tensor: tensorToProto(v) } } };
}

const f = (x: number): AttrValue => ({ value: 'f', f: x });
const i = (x: number): AttrValue => ({ value: 'i', i: x });
const b = (x: boolean): AttrValue => ({ value: 'b', b: x });
const T_FLOAT: AttrValue = { value: 'type', type: 1 };

function write(dir: string, name: string, gd: GraphDef): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, GraphDefCodec.encode(gd));
  return file;
}

test('FakeQuantWithMinMaxArgs gives the same float and int8 models as FakeQuantWithMinMaxVars', async (t) => {
  if (!need(t, SL)) return;
  const gd = readGraph();
  for (const q of ['act_quant', 'act_quant_1']) {
    const n = node(gd, `${q}/FakeQuantWithMinMaxVars`);
    const min = toFloat64(constValue(gd, `${q}/min`))[0];
    const max = toFloat64(constValue(gd, `${q}/max`))[0];
    n.op = 'FakeQuantWithMinMaxArgs';
    n.input = n.input.slice(0, 1);
    n.attr = { ...n.attr, min: f(min), max: f(max) };
  }
  const file = write(tmpDir(t), 'args.pb', gd);
  assert.deepEqual((await convertQuantized(file, null, CUT)).bytes, (await convertQuantized(SL, null, CUT)).bytes);
  assert.deepEqual((await convertQuantized(file, INT8_IO, CUT)).bytes, (await convertQuantized(SL, INT8_IO, CUT)).bytes);
});

test('FakeQuantWithMinMaxVarsPerChannel weights (symmetric per channel, as tfmot trains them): conv keeps its levels exactly, the one-scale FC kernel gets per-tensor weights', async (t) => {
  if (!need(t, SL)) return;
  const gd = readGraph();
  // Conv2D kernel [10, 8, 1, 8] and dense kernel [4000, 4]: channels are the last dimension.
  for (const [q, w] of [['weights_quant', 'first_weights'], ['weights_quant_1', 'final_fc_weights']]) {
    const v = constValue(gd, w);
    const channels = v.shape[v.shape.length - 1];
    const x = toFloat64(v);
    const m = new Float32Array(channels);
    x.forEach((val, k) => (m[k % channels] = Math.max(m[k % channels], Math.abs(val))));
    const n = node(gd, `${q}/FakeQuantWithMinMaxVars`);
    n.op = 'FakeQuantWithMinMaxVarsPerChannel';
    n.input = [n.input[0], `${q}/pc_min`, `${q}/pc_max`];
    gd.node.push(constNode(`${q}/pc_min`, { dtype: 'float32', shape: [channels], data: m.map((v2) => -v2) }));
    gd.node.push(constNode(`${q}/pc_max`, { dtype: 'float32', shape: [channels], data: m }));
  }
  const file = write(tmpDir(t), 'per_channel.pb', gd);
  const float = await convertQuantized(file, null, CUT);
  const q = await convertQuantized(file, INT8_IO, CUT);
  assert.ok(!q.notes.some((n) => n.includes("'Conv2D/filter'")), q.notes.join('\n'));
  for (const op of ['tfl.CONV_2D', 'tfl.FULLY_CONNECTED']) {
    const fw = float.graphs[0].nodes.find((n) => n.op === op)?.input(1) as Tensor;
    const qw = q.graphs[0].nodes.find((n) => n.op === op)?.input(1) as Tensor;
    assert.equal(learnedRange(fw)?.axis, 0);
    assert.ok(qw.quant?.zeroPoint.every((z) => z === 0));
    const x = toFloat64(fw.value as TensorValue);
    const levels = qw.value?.data as Int8Array;
    if (op === 'tfl.CONV_2D') {
      // Every int8 level times its channel's scale is the fake-quantized float weight.
      assert.equal(qw.quant?.axis, 0);
      const inner = x.length / (qw.shape?.[0] ?? 1);
      for (let k = 0; k < x.length; k++) {
        const s = qw.quant?.scale[Math.floor(k / inner)] as number;
        assert.ok(Math.abs(levels[k] * s - x[k]) <= 1e-5 * s, `${op} weight ${k}: ${levels[k] * s} vs ${x[k]}`);
      }
    } else {
      // TFLite's int8 FULLY_CONNECTED reads one weight scale (rules.ts PER_CHANNEL_FC): symmetric
      // per tensor from the fake-quantized values, within half a step of each.
      assert.equal(qw.quant?.axis, undefined);
      assert.equal(qw.quant?.scale.length, 1);
      const s = qw.quant?.scale[0] as number;
      for (let k = 0; k < x.length; k++) assert.ok(Math.abs(levels[k] * s - x[k]) <= s / 2 + 1e-6 * s);
      assert.ok(q.notes.some((n) => n.includes("'MatMul/weights' was trained with per-channel ranges, but the int8 kernel takes one weight scale")), q.notes.join('\n'));
    }
  }
  // And the float model computes TensorFlow's per-channel fake quantization.
  const m = await loadTflite(t, float.bytes);
  const x = seededFloats(1960, 3, 0, 26);
  const got = m.run([{ dtype: 'float32', shape: SHAPE, data: x }])[0].data as Float32Array;
  const ref = tfSemantics(float.prepared[0], { Reshape_2: { dtype: 'float32', shape: SHAPE, data: x } })[0].data as Float32Array;
  got.forEach((v, k) => assert.ok(Math.abs(v - ref[k]) <= 1e-6));
});

test('QuantizeAndDequantizeV2/V3/V4: TensorFlow\'s grids become the ranges (signed grids: zero point 0)', async (t) => {
  if (!need(t, SL)) return;
  const gd = readGraph();
  const relu = node(gd, 'act_quant/FakeQuantWithMinMaxVars');
  relu.op = 'QuantizeAndDequantizeV2';
  relu.attr = { T: T_FLOAT, signed_input: b(false), num_bits: i(8), range_given: b(true), round_mode: { value: 's', s: Buffer.from('HALF_TO_EVEN') }, narrow_range: b(false), axis: i(-1) };
  const logits = node(gd, 'act_quant_1/FakeQuantWithMinMaxVars');
  logits.op = 'QuantizeAndDequantizeV4';
  logits.attr = { T: T_FLOAT, signed_input: b(true), num_bits: i(8), range_given: b(true), round_mode: { value: 's', s: Buffer.from('HALF_TO_EVEN') }, narrow_range: b(false), axis: i(-1) };
  const w = node(gd, 'weights_quant/FakeQuantWithMinMaxVars');
  w.op = 'QuantizeAndDequantizeV3';
  w.input = [...w.input, 'qdq_bits'];
  w.attr = { T: T_FLOAT, signed_input: b(true), range_given: b(true), narrow_range: b(true), axis: i(-1) };
  gd.node.push({ name: 'qdq_bits', op: 'Const', input: [], device: '', attr: { dtype: { value: 'type', type: 3 }, value: { value: 'tensor', tensor: tensorToProto({ dtype: 'int32', shape: [], data: Int32Array.of(8) }) } } });
  const file = write(tmpDir(t), 'qdq.pb', gd);

  const float = await convertQuantized(file, null, { ...CUT, outputArrays: ['labels_softmax', 'act_quant/FakeQuantWithMinMaxVars', 'act_quant_1/FakeQuantWithMinMaxVars'] });
  const m = await loadTflite(t, float.bytes);
  for (let k = 0; k < 3; k++) {
    const x = seededFloats(1960, 10 + k, 0, 26);
    const got = m.run([{ dtype: 'float32', shape: SHAPE, data: x }]);
    const ref = tfSemantics(float.prepared[0], { Reshape_2: { dtype: 'float32', shape: SHAPE, data: x } });
    // Same grids; only exact ties may round differently (FAKE_QUANT rounds half up, QDQ to even).
    for (let o = 1; o < 3; o++) {
      const a = got[o].data as Float32Array;
      const r = ref[o].data as Float32Array;
      const step = (learnedRange(float.graphs[0].outputs[o])?.max[0] ?? 0) / 127;
      a.forEach((v, idx) => assert.ok(Math.abs(v - r[idx]) <= 1e-5 * Math.max(1, Math.abs(r[idx])), `${o}/${idx}: ${v} vs ${r[idx]} (step ${step})`));
    }
  }

  const q = await convertQuantized(file, INT8_IO, CUT);
  const g = q.graphs[0];
  const fc = tensorNamed(g, 'MatMul').quant;
  const conv = tensorNamed(g, 'Conv2D').quant;
  const cw = tensorNamed(g, 'Conv2D/filter');
  // Unsigned V2 on [0, max]: TOCO's uint8 grid, zero point 0 -> -128.
  assert.equal(conv?.zeroPoint[0], -128);
  // Signed V4 on [min, max]: symmetric grid k * max(min/-128, max/127), zero point 0.
  const min1 = toFloat64(constValue(gd, 'act_quant_1/min'))[0];
  const max1 = toFloat64(constValue(gd, 'act_quant_1/max'))[0];
  const inv = Math.fround(-128 / min1) < Math.fround(127 / max1) ? Math.fround(min1 / -128) : Math.fround(max1 / 127);
  assert.equal(fc?.zeroPoint[0], 0);
  assert.ok(Math.abs((fc?.scale[0] ?? 0) - inv) <= 1e-6 * inv);
  // Signed narrow V3 on the conv weights: already symmetric, so the levels are kept (no requantization).
  assert.ok(cw.quant?.zeroPoint.every((z) => z === 0));
  assert.ok(!q.notes.some((n) => n.includes("'Conv2D/filter'")), q.notes.join('\n'));
  const model = await loadTflite(t, q.bytes, 'qdq int8');
  const y = model.run([{ dtype: 'int8', shape: SHAPE, data: new Int8Array(1960).fill(-100) }])[0].data as Int8Array;
  assert.equal(y.length, 4);
});

test('num_bits and narrow_range are respected: 4-bit levels centred in int8; narrow activations run in FAKE_QUANT', async (t) => {
  if (!need(t, SL)) return;
  const gd = readGraph();
  node(gd, 'act_quant/FakeQuantWithMinMaxVars').attr.num_bits = i(4);
  node(gd, 'act_quant_1/FakeQuantWithMinMaxVars').attr.narrow_range = b(true);
  const file = write(tmpDir(t), 'bits.pb', gd);
  const outputs = ['labels_softmax', 'act_quant/FakeQuantWithMinMaxVars', 'act_quant_1/FakeQuantWithMinMaxVars'];
  const float = await convertQuantized(file, null, { ...CUT, outputArrays: outputs });
  const fq = float.graphs[0].nodes.filter((n) => n.op === 'tfl.FAKE_QUANT');
  assert.deepEqual(fq.map((n) => [n.options.num_bits, n.options.narrow_range]), [[4, false], [8, false]]);
  // TFLite's FAKE_QUANT refuses narrow_range: the narrow range [min, max] runs as the full range
  // one step wider below; the record keeps narrow_range for int8.
  const r = learnedRange(fq[1].output(0));
  assert.equal(r?.narrowRange, true);
  const step = ((r?.max[0] ?? 0) - (r?.min[0] ?? 0)) / 254;
  assert.ok(Math.abs((fq[1].options.min as number) - ((r?.min[0] ?? 0) - step)) <= 1e-6);
  const m = await loadTflite(t, float.bytes);
  for (let k = 0; k < 3; k++) {
    const x = seededFloats(1960, 20 + k, 0, 26);
    const got = m.run([{ dtype: 'float32', shape: SHAPE, data: x }]);
    const ref = tfSemantics(float.prepared[0], { Reshape_2: { dtype: 'float32', shape: SHAPE, data: x } });
    // 4 bits: 16 levels, exactly TensorFlow's.
    assert.deepEqual(got[1].data, ref[1].data);
    assert.ok(new Set(got[1].data as Float32Array).size <= 16);
    // Logits above the lowest level: TensorFlow's values.
    (ref[2].data as Float32Array).forEach((v, idx) => {
      if (v > (r?.min[0] ?? 0) + step / 2) assert.ok(Math.abs((got[2].data as Float32Array)[idx] - v) <= 1e-5 * Math.max(1, Math.abs(v)));
    });
  }
  const q = await convertQuantized(file, INT8_IO, CUT);
  const relu = tensorNamed(q.graphs[0], 'Conv2D').quant;
  const relumax = toFloat64(constValue(gd, 'act_quant/max'))[0];
  // [0, max] on levels 0..15: scale max/15, zero point 0 - 8.
  assert.equal(relu?.zeroPoint[0], -8);
  assert.ok(Math.abs((relu?.scale[0] ?? 0) - relumax / 15) <= 1e-6 * relumax);
  await loadTflite(t, q.bytes, '4-bit int8');
});

test('an ADD of a constant between fake-quantized tensors: int8 ADD, the constant on its own range', async (t) => {
  if (!need(t, SL)) return;
  const gd = readGraph();
  // labels_softmax = Softmax(FakeQuant(act_quant_1 + c, -8, 8)), c = [0.5, -0.25, 1, 0]
  gd.node.push(constNode('extra/c', { dtype: 'float32', shape: [4], data: Float32Array.of(0.5, -0.25, 1, 0) }));
  gd.node.push({ name: 'extra/add', op: 'AddV2', input: ['act_quant_1/FakeQuantWithMinMaxVars', 'extra/c'], device: '', attr: { T: T_FLOAT } });
  gd.node.push({ name: 'extra/fq', op: 'FakeQuantWithMinMaxArgs', input: ['extra/add'], device: '', attr: { T: T_FLOAT, min: f(-8), max: f(8), num_bits: i(8), narrow_range: b(false) } });
  node(gd, 'labels_softmax').input = ['extra/fq'];
  const file = write(tmpDir(t), 'add.pb', gd);
  const float = await convertQuantized(file, null, CUT);
  const q = await convertQuantized(file, INT8_IO, CUT);
  const add = q.graphs[0].nodes.find((n) => n.op === 'tfl.ADD');
  assert.ok(add);
  assert.equal(add.version, 2);
  const c = add.inputs.find((x) => x?.isConstant);
  assert.equal(c?.dtype, 'int8');
  // Range [-0.25, 1] (with 0): scale 1.25/255 (as stored, float32), zero point -128 + 0.25/scale = -77.
  assert.equal(c?.quant?.zeroPoint[0], -77);
  assert.equal(c?.quant?.scale[0], Math.fround(1.25 / 255));
  assert.deepEqual(Array.from(c?.value?.data as Int8Array), [25, -128, 127, -77]);
  assert.equal(add.output(0).quant?.zeroPoint[0], 0);
  const fm = await loadTflite(t, float.bytes, 'float');
  const qm = await loadTflite(t, q.bytes, 'int8');
  let agree = 0;
  for (let k = 0; k < 50; k++) {
    const u = Uint8Array.from(seededFloats(1960, 300 + k, 0, 256), (v) => Math.floor(v));
    const scale = q.graphs[0].inputs[0].quant?.scale[0] ?? 0;
    const yf = fm.run([{ dtype: 'float32', shape: SHAPE, data: Float32Array.from(u, (v) => v * scale) }])[0].data as Float32Array;
    const yq = qm.run([{ dtype: 'int8', shape: SHAPE, data: Int8Array.from(u, (v) => v - 128) }])[0].data as Int8Array;
    if (argmax(yf) === argmax(yq)) agree++;
  }
  // Measured 50/50 against the float QAT model on the same (quantized) inputs.
  assert.ok(agree >= 48, `agreement ${agree}/50`);
});

test('fake quantization TFLite cannot run is refused in one line: per-channel or run-time ranges on activations', async (t) => {
  if (!need(t, SL)) return;
  const dir = tmpDir(t);
  const gd = readGraph();
  const n = node(gd, 'act_quant/FakeQuantWithMinMaxVars');
  n.op = 'QuantizeAndDequantizeV2';
  n.attr = { T: T_FLOAT, signed_input: b(true), num_bits: i(8), range_given: b(false), narrow_range: b(false), axis: i(-1) };
  const file = write(dir, 'runtime_range.pb', gd);
  await assert.rejects(convertQuantized(file, null, CUT), (e: unknown) => {
    assert.ok(e instanceof TfconvError);
    assert.equal(e.code, 'UNSUPPORTED_OPS');
    assert.match(e.message, /QuantizeAndDequantizeV2 \(range_given is false, so the range is computed at run time from the data\) x1/);
    assert.ok(!e.message.includes('\n'));
    return true;
  });
  const pc = readGraph();
  const a = node(pc, 'act_quant_1/FakeQuantWithMinMaxVars');
  a.op = 'FakeQuantWithMinMaxVarsPerChannel';
  a.input = [a.input[0], 'pc_min', 'pc_max'];
  pc.node.push(constNode('pc_min', { dtype: 'float32', shape: [4], data: new Float32Array(4).fill(-10) }));
  pc.node.push(constNode('pc_max', { dtype: 'float32', shape: [4], data: new Float32Array(4).fill(10) }));
  await assert.rejects(convertQuantized(write(dir, 'per_channel_act.pb', pc), null, CUT), (e: unknown) => {
    assert.ok(e instanceof TfconvError);
    assert.match(e.message, /FakeQuantWithMinMaxVarsPerChannel \(per-channel fake quantization of an activation \(TFLite has it for weights only\)\) x1/);
    return true;
  });
});

test('int8 without a range for an input, or for a model without learned ranges, fails in one line', async (t) => {
  if (!need(t, SL, KWS)) return;
  await assert.rejects(convertQuantized(SL, { mode: 'int8' }, CUT), (e: unknown) => {
    assert.ok(e instanceof TfconvError);
    assert.equal(e.code, 'QUANTIZATION');
    assert.equal(e.message, "1 tensor has no learned quantization range ('Reshape_2'); give graph inputs a range with --input-range Reshape_2=MIN,MAX");
    return true;
  });
  await assert.rejects(convertQuantized(SL, { mode: 'int8', inputRanges: { nope: [0, 1] } }, CUT), (e: unknown) => {
    assert.ok(e instanceof TfconvError);
    assert.equal(e.message, "--input-range: no model input 'nope'; inputs: 'Reshape_2'");
    return true;
  });
  await assert.rejects(convertQuantized(SL, { mode: 'int8', inputRanges: { Reshape_2: [3, 1] } }, CUT), /--input-range: 'Reshape_2' needs MIN,MAX with MIN < MAX/);
  await assert.rejects(convertQuantized(KWS, { mode: 'int8' }), (e: unknown) => e instanceof TfconvError && e.code === 'NO_REPRESENTATIVE_DATA');
});

test('one quantizer: a QAT graph calibrates only what has no learned range when data is given, and takes exclusions', async (t) => {
  if (!need(t, SL, SL_TFLITE)) return;
  const io = { mode: 'int8', inferenceInputType: 'int8', inferenceOutputType: 'int8' } as const;
  const q = await convertQuantized(SL, { ...io, representative: 'random', calibrationSamples: 10 }, CUT);
  assert.ok(q.notes.includes('int8 from learned ranges: 2 FakeQuant ranges used, 1 calibrated'), q.notes.join('\n'));
  assert.ok(q.notes.some((n) => n.startsWith('int8: calibrated (minmax) on 10 seeded random normal samples')), q.notes.join('\n'));
  // The input's range is calibrated; everything else is as learned (the official file's parameters).
  const learned = await convertQuantized(SL, INT8_IO, CUT);
  const params = (g: Graph, name: string) => tensorNamed(g, name).quant;
  assert.notDeepEqual(params(q.graphs[0], 'Reshape_2'), params(learned.graphs[0], 'Reshape_2'));
  for (const name of ['Conv2D', 'Reshape_3', 'MatMul', 'labels_softmax']) assert.deepEqual(params(q.graphs[0], name), params(learned.graphs[0], name), name);
  // Exclusions work as for calibrated graphs: the softmax runs in float after a DEQUANTIZE.
  const ex = await convertQuantized(SL, { ...INT8_IO, inferenceOutputType: 'float32', excludeOps: ['Softmax'] }, CUT);
  assert.deepEqual(ex.graphs[0].nodes.map((n) => n.op.slice(4)), ['CONV_2D', 'RESHAPE', 'FULLY_CONNECTED', 'DEQUANTIZE', 'SOFTMAX']);
  assert.ok(ex.notes.some((n) => n.includes('kept in float (between DEQUANTIZE/QUANTIZE): SOFTMAX x1 (--exclude-ops Softmax)')), ex.notes.join('\n'));
  const m = await loadTflite(t, ex.bytes, 'excluded softmax');
  const y = m.run([{ dtype: 'int8', shape: SHAPE, data: new Int8Array(1960).fill(-100) }])[0].data as Float32Array;
  assert.ok(Math.abs(y.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  // An int8 output after the float softmax would need its range, which training did not learn.
  await assert.rejects(
    convertQuantized(SL, { ...INT8_IO, excludeOps: ['Softmax'] }, CUT),
    (e: unknown) => e instanceof TfconvError && e.message === "1 tensor has no learned quantization range ('labels_softmax'); pass --representative PATH to calibrate them",
  );
  // --full-integer refuses the exclusion, in one line.
  await assert.rejects(convertQuantized(SL, { ...INT8_IO, excludeOps: ['Softmax'], fullInteger: true }, CUT), /--full-integer: conflicts with the exclusions/);
});

test('CLI: optimize --quantize int8 with --input-range, the size ratio, and one-line option errors', async (t) => {
  if (!need(t, SL)) return;
  const dir = tmpDir(t);
  const out = path.join(dir, 'sl_int8.tflite');
  const run = async (...argv: string[]) => {
    const io = new BufferIO();
    const code = await main(['optimize', ...argv], io);
    return { code, out: io.out, err: io.errText };
  };
  const base = [SL, '--input-arrays', 'Reshape_2', '--output-arrays', 'labels_softmax', '--input-shape', 'Reshape_2=1,49,40,1'];
  const ok = await run(...base, '-o', out, '--quantize', 'int8', '--input-range', `Reshape_2=0,${INPUT_RANGE[1]}`);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /sl_int8\.tflite \(18\.\d KiB, 0\.2\dx of float 66\.8 KiB, 6 ops, \d+ ms\)/);
  assert.match(ok.err, /note: int8 from learned ranges: 2 FakeQuant ranges used, no calibration/);
  const bad = await run(...base, '-o', out, '--quantize', 'int8', '--input-range', 'Reshape_2=0');
  assert.equal(bad.code, 2);
  assert.equal(bad.err.split('\n')[0], "tfconv: error: --input-range: 'Reshape_2=0' is not NAME=MIN,MAX");
  const wrongMode = await run(...base, '-o', out, '--quantize', 'dynamic', '--input-range', 'Reshape_2=0,26');
  assert.equal(wrongMode.code, 2);
  assert.equal(wrongMode.err.split('\n')[0], 'tfconv: error: --input-range: applies to --quantize int8 only');
});
