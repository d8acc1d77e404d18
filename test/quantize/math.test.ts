// Scale / zero-point arithmetic as TFLite computes it, checked on hand cases and against the
// parameters TFLite's converter stored in the official KWS int8 file.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import {
  INT8,
  UINT8,
  asymmetricParams,
  dequantize,
  quantizeBias,
  quantizeTensorInt8,
  quantizeWeightsSymmetric,
  roundHalfAwayFromZero,
  symmetricParams,
} from '../../src/quantize/math.js';
import { readTflite } from '../../src/tflite/index.js';
import { fixture, need } from '../helpers/shared.js';

test('rounding is std::round: halves away from zero', () => {
  assert.deepEqual([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.4, -2.6].map(roundHalfAwayFromZero), [-3, -2, -1, 1, 2, 3, 2, -3]);
});

test('asymmetric parameters: ranges include 0, zero points nudged from the nearer end', () => {
  assert.deepEqual(asymmetricParams(0, 6), { scale: Math.fround(6 / 255), zeroPoint: -128 });
  // [-1, 1]: zero point -0.5 from either end, rounded away from zero.
  assert.deepEqual(asymmetricParams(-1, 1), { scale: Math.fround(2 / 255), zeroPoint: -1 });
  // A range that excludes 0 is widened to include it.
  assert.deepEqual(asymmetricParams(2, 5), asymmetricParams(0, 5));
  assert.deepEqual(asymmetricParams(-5, -2), { scale: Math.fround(5 / 255), zeroPoint: 127 });
  // All zeros: scale 1 and zero point qmin, as TFLite does (0 is still exact).
  assert.deepEqual(asymmetricParams(0, 0), { scale: 1, zeroPoint: -128 });
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
