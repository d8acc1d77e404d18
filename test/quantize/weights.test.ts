import assert from 'node:assert/strict';
import { test } from 'node:test';
import { convertToGraphs } from '../../src/convert/convert.js';
import { halfToFloat, toFloat64 } from '../../src/core/tensor.js';
import type { TensorValue } from '../../src/core/tensor.js';
import {
  INT8_WEIGHTS,
  affineFromRange,
  intRange,
  quantizeBias,
  quantizeSymmetricWeights,
  toFloat16,
  valueRanges,
} from '../../src/quantize/weights.js';
import { fixture, need } from '../helpers/shared.js';

const KWS = fixture('mlcommons-tiny-kws/kws_ref_model');

test('levels: int8 weights are [-127, 127], activations [-128, 127], uint8 [0, 255]', () => {
  assert.deepEqual(INT8_WEIGHTS, { qmin: -127, qmax: 127 });
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
    const q = quantizeSymmetricWeights(w, 0);
    const channels = w.shape[0];
    const inner = w.shape.slice(1).reduce((a, b) => a * b, 1);
    assert.equal(q.axis, 0);
    assert.equal(q.scale.length, channels);
    assert.ok(q.zeroPoint.every((z) => z === 0));
    const x = toFloat64(w);
    const levels = q.value.data as Int8Array;
    const { max } = valueRanges(x, w.shape, 0, true);
    for (let c = 0; c < channels; c++) {
      assert.ok(Math.abs(q.scale[c] - max[c] / 127) <= 1e-12 * max[c]);
      let extreme = 0;
      for (let i = c * inner; i < (c + 1) * inner; i++) {
        assert.ok(levels[i] >= -127 && levels[i] <= 127);
        assert.ok(Math.abs(x[i] - levels[i] * q.scale[c]) <= q.scale[c] / 2 + 1e-12);
        extreme = Math.max(extreme, Math.abs(levels[i]));
      }
      // The largest weight of each channel lands on +-127.
      assert.equal(extreme, 127);
    }
  }
  // Per tensor: one scale for all.
  const fc = g.nodes.find((n) => n.op === 'tfl.FULLY_CONNECTED');
  const pt = quantizeSymmetricWeights(fc?.input(1).value as TensorValue, null);
  assert.equal(pt.scale.length, 1);
  assert.equal(pt.axis, undefined);
});

test('bias: int32 at input_scale * weight_scale, per channel', () => {
  const bias: TensorValue = { dtype: 'float32', shape: [3], data: Float32Array.of(0.5, -0.25, 1e-3) };
  const q = quantizeBias(bias, 0.1, [0.01, 0.02, 0.5]);
  assert.deepEqual(Array.from(q.value.data as Int32Array), [500, -125, 0]);
  assert.equal(q.value.dtype, 'int32');
  assert.deepEqual(q.zeroPoint, [0, 0, 0]);
  assert.equal(q.axis, 0);
  assert.ok(Math.abs(q.scale[1] - 0.002) < 1e-15);
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
