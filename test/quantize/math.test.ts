// The quantization arithmetic (src/quantize/math.ts) as TFLite computes it: hand cases, the
// parameters TFLite's converter stored in the official KWS int8 file and micro_speech's FakeQuant
// ranges, per-channel weights on the kws filters, biases and float16.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { convertToGraphs } from '../../src/convert/convert.js';
import { halfToFloat, toFloat64 } from '../../src/core/tensor.js';
import type { TensorValue } from '../../src/core/tensor.js';
import {
  INT8,
  INT8_NARROW,
  UINT8,
  affineFromRange,
  asymmetricParams,
  dequantize,
  intRange,
  maxAbsPerChannel,
  quantizeBias,
  quantizeTensorInt8,
  quantizeWeightsSymmetric,
  roundHalfAway,
  symmetricParams,
  toFloat16,
} from '../../src/quantize/math.js';
import { readTflite } from '../../src/tflite/index.js';
import { fixture, need } from '../helpers/shared.js';

test('rounding is std::round: halves away from zero', () => {
  assert.deepEqual([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.4, -2.6].map(roundHalfAway), [-3, -2, -1, 1, 2, 3, 2, -3]);
});

test('asymmetric parameters: ranges include 0, zero points nudged from the nearer end', () => {
  assert.deepEqual(asymmetricParams(0, 6), { scale: Math.fround(6 / 255), zeroPoint: -128 });
  // [-1, 1]: zero point -0.5 from either end, rounded away from zero.
  assert.deepEqual(asymmetricParams(-1, 1), { scale: Math.fround(2 / 255), zeroPoint: -1 });
  // A range that excludes 0 is widened to include it.
  assert.deepEqual(asymmetricParams(2, 5), asymmetricParams(0, 5));
  assert.deepEqual(asymmetricParams(-5, -2), { scale: Math.fround(5 / 255), zeroPoint: 127 });
  // All zeros: widened to 1e-6 around 0 first (ExpandVerySmallRange), as TFLite does; 0 stays exact.
  const zero = asymmetricParams(0, 0);
  assert.equal(zero.scale, Math.fround(1e-6 / 255));
  assert.equal(dequantize([zero.zeroPoint], zero)[0], 0);
  assert.deepEqual(asymmetricParams(0, 1, UINT8), { scale: Math.fround(1 / 255), zeroPoint: 0 });
  // 0 is exactly representable: dequantize(zeroPoint) = 0 for any range.
  for (const [lo, hi] of [
    [-3.3, 7.1],
    [-0.001, 100],
    [-123.6, 21.2],
  ]) {
    const p = asymmetricParams(lo, hi);
    assert.equal(dequantize([p.zeroPoint], p)[0], 0);
    assert.ok(p.zeroPoint >= -128 && p.zeroPoint <= 127);
  }
  assert.throws(() => asymmetricParams(0, Infinity), /not finite/);
});

test('the official KWS int8 file: TFLite\'s activation parameters are fixed points of our formula', (t) => {
  const file = fixture('mlcommons-tiny-kws/kws_ref_model_int8_matching.tflite');
  if (!need(t, file)) return;
  const m = readTflite(new Uint8Array(fs.readFileSync(file)), file);
  let checked = 0;
  for (const tensor of m.subgraphs[0].tensors) {
    const q = tensor.quantization;
    if (tensor.type !== 9 || !q || q.scale.length !== 1 || tensor.buffer && m.buffers[tensor.buffer].data.length) continue;
    const s = q.scale[0];
    const zp = Number(q.zeroPoint[0]);
    // The range TFLite's parameters stand for gives back exactly those parameters.
    const again = asymmetricParams((INT8.qmin - zp) * s, (INT8.qmax - zp) * s);
    assert.equal(again.zeroPoint, zp, tensor.name);
    assert.ok(Math.abs(again.scale - s) / s < 1e-6, `${tensor.name}: ${again.scale} vs ${s}`);
    checked++;
  }
  assert.equal(checked, 14);
});

test('symmetric weights: per channel along the given axis, zero point 0, values in [-127, 127]', () => {
  assert.deepEqual(symmetricParams(1.27), { scale: Math.fround(0.01), zeroPoint: 0 });
  assert.deepEqual(symmetricParams(0), { scale: 1, zeroPoint: 0 });
  // Shape [2, 3] along axis 0: rows [1, -2, 0.5] and [0.1, 0.2, -0.3].
  const w = { dtype: 'float32' as const, shape: [2, 3], data: Float32Array.from([1, -2, 0.5, 0.1, 0.2, -0.3]) };
  const q0 = quantizeWeightsSymmetric(w, 0);
  assert.deepEqual(q0.params, { scale: [Math.fround(2 / 127), Math.fround(0.3 / 127)], zeroPoint: [0, 0], axis: 0 });
  assert.deepEqual(Array.from(q0.value.data as Int8Array), [64, -127, 32, 42, 85, -127]);
  // Along the last axis (depthwise): columns [1, 0.1], [-2, 0.2], [0.5, -0.3].
  const q1 = quantizeWeightsSymmetric(w, 1);
  assert.deepEqual(q1.params.scale, [1 / 127, 2 / 127, 0.5 / 127].map(Math.fround));
  assert.deepEqual(Array.from(q1.value.data as Int8Array), [127, -127, 127, 13, 13, -76]);
  // Per tensor.
  const qt = quantizeWeightsSymmetric(w, null);
  assert.deepEqual(qt.params, { scale: [Math.fround(2 / 127)], zeroPoint: [0] });
  assert.equal(qt.params.axis, undefined);
});

test('bias: int32 at input scale x weight scale per channel, zero point 0', () => {
  const b = { dtype: 'float32' as const, shape: [2], data: Float32Array.from([0.5, -0.25]) };
  const q = quantizeBias(b, 0.1, [0.01, 0.02]);
  assert.deepEqual(q.params, { scale: [Math.fround(0.001), Math.fround(0.002)], zeroPoint: [0, 0], axis: 0 });
  assert.deepEqual(Array.from(q.value.data as Int32Array), [500, -125]);
  const t = quantizeBias(b, 0.1, [0.01]);
  assert.deepEqual(Array.from(t.value.data as Int32Array), [500, -250]);
  assert.equal(t.params.axis, undefined);
  const huge = quantizeBias({ dtype: 'float32', shape: [1], data: Float32Array.from([1e9]) }, 1e-3, [1e-3]);
  assert.equal(huge.clamped, 1);
  assert.equal((huge.value.data as Int32Array)[0], 2147483647);
});

test('activation constants: asymmetric, clamped to the range', () => {
  const v = { dtype: 'float32' as const, shape: [4], data: Float32Array.from([-1, 0, 0.5, 3]) };
  const p = asymmetricParams(-1, 1);
  assert.deepEqual(Array.from(quantizeTensorInt8(v, p).data as Int8Array), [-128, -1, 63, 127]);
});

const KWS = fixture('mlcommons-tiny-kws/kws_ref_model');

test('levels: int8 weights are [-127, 127], activations [-128, 127], uint8 [0, 255]', () => {
  assert.deepEqual(INT8_NARROW, { qmin: -127, qmax: 127 });
  assert.deepEqual(intRange(8, true, false), { qmin: -128, qmax: 127 });
  assert.deepEqual(intRange(8, false, false), { qmin: 0, qmax: 255 });
  assert.deepEqual(intRange(8, false, true), { qmin: 1, qmax: 255 });
  assert.deepEqual(intRange(4, true, false), { qmin: -8, qmax: 7 });
});

test('affineFromRange: TFLite scale and nudged zero point (the official micro_speech activations)', () => {
  // The Relu FakeQuant range of siliconlabs micro_speech: TOCO wrote scale 0.0644322 zp 0.
  const relu = affineFromRange(0, 16.430213928222656, intRange(8, false, false));
  assert.equal(relu.zeroPoint, 0);
  assert.equal(Math.fround(relu.scale), Math.fround(16.430213928222656 / 255));
  // A zero point of exactly .5 rounds away from zero (std::round), as fakeQuantAttrsToType does.
  assert.deepEqual(affineFromRange(-0.5, 254.5, intRange(8, false, false)), { scale: 1, zeroPoint: 1 });
  // Ranges that do not contain 0 clamp the zero point to the end of the levels.
  assert.equal(affineFromRange(2, 4, intRange(8, false, false)).zeroPoint, 0);
  assert.equal(affineFromRange(-4, -2, intRange(8, true, false)).zeroPoint, 127);
  // A range narrower than 1e-6 is widened around 0 first (ExpandVerySmallRange).
  const tiny = affineFromRange(0, 0, intRange(8, true, true));
  assert.equal(tiny.zeroPoint, 0);
  assert.ok(Math.abs(tiny.scale - 1e-6 / 254) < 1e-18);
});

test('symmetric per-channel weights on the kws conv filters: scale max|w|/127, zero point 0, within half a step', (t) => {
  if (!need(t, KWS)) return;
  const g = convertToGraphs(KWS).graphs[0];
  const convs = g.nodes.filter((n) => n.op === 'tfl.CONV_2D');
  assert.equal(convs.length, 5);
  for (const conv of convs) {
    const w = conv.input(1).value as TensorValue;
    const q = quantizeWeightsSymmetric(w, 0);
    const channels = w.shape[0];
    const inner = w.shape.slice(1).reduce((a, b) => a * b, 1);
    const { scale, zeroPoint, axis } = q.params;
    assert.equal(axis, 0);
    assert.equal(scale.length, channels);
    assert.ok(zeroPoint.every((z) => z === 0));
    const x = toFloat64(w);
    const levels = q.value.data as Int8Array;
    const max = maxAbsPerChannel(x, w.shape, 0);
    for (let c = 0; c < channels; c++) {
      // max|w| / 127 as the file stores it (float32).
      assert.equal(scale[c], Math.fround((2 * max[c]) / 254));
      let extreme = 0;
      for (let i = c * inner; i < (c + 1) * inner; i++) {
        assert.ok(levels[i] >= -127 && levels[i] <= 127);
        assert.ok(Math.abs(x[i] - levels[i] * scale[c]) <= scale[c] / 2 + 1e-7 * max[c]);
        extreme = Math.max(extreme, Math.abs(levels[i]));
      }
      // The largest weight of each channel lands on +-127.
      assert.equal(extreme, 127);
    }
  }
  // Per tensor: one scale for all.
  const fc = g.nodes.find((n) => n.op === 'tfl.FULLY_CONNECTED');
  const pt = quantizeWeightsSymmetric(fc?.input(1).value as TensorValue, null);
  assert.equal(pt.params.scale.length, 1);
  assert.equal(pt.params.axis, undefined);
});

test('float16: round to nearest even, clamped to +-65504', () => {
  const v: TensorValue = { dtype: 'float32', shape: [5], data: Float32Array.of(1 / 3, 1e5, -1e9, 65519, 2 ** -25) };
  const h = toFloat16(v);
  assert.equal(h.dtype, 'float16');
  const bits = Array.from(h.data as Uint16Array);
  assert.equal(bits[0], 0x3555);
  assert.equal(halfToFloat(bits[1]), 65504);
  assert.equal(halfToFloat(bits[2]), -65504);
  assert.equal(halfToFloat(bits[3]), 65504);
  // 2^-25 is the tie between 0 and the smallest subnormal: even is 0.
  assert.equal(bits[4], 0);
});
