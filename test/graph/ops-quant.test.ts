// Expected values are worked out by hand in float32 with ranges chosen so that scale, nudged
// min/max and inv_scale are exact binary fractions (see each comment).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nudge } from '../../src/graph/ops/quant.js';
import { a, assertShapeError, f32, i32, infer, nums, run } from './ops-harness.js';

test('FakeQuantWithMinMaxArgs: [-2, 127/64], 8 bits: scale 1/64, zero point 128, halves round up', () => {
  // 0.3: (2.3f * 64 - 128 + 0.5) = 19.7 -> 19 -> 19/64; 19.5/64 and -19.5/64 sit on half steps.
  const x = f32([6], [0.3, 0.3046875, -0.3046875, 5, -3, 0]);
  const [y] = run('FakeQuantWithMinMaxArgs', [x], { min: a.f(-2), max: a.f(1.984375), num_bits: a.i(8) });
  assert.deepEqual(nums(y), [0.296875, 0.3125, -0.296875, 1.984375, -2, 0]);
  assertShapeError(() => infer('FakeQuantWithMinMaxArgs', [x], { min: a.f(1), max: a.f(1) }), /has to be smaller than max/);
});

test('FakeQuantWithMinMaxVars: the range is nudged so that zero is exactly representable', () => {
  // [-1/128, 509/128]: scale 1/64, zero_point_from_min 0.5 rounds (away from zero) to 1,
  // so the nudged range is [-1/64, 254/64]: the top moves down by half a step.
  const q = nudge(-0.0078125, 3.9765625, 0, 255);
  assert.deepEqual(q, { min: -0.015625, max: 3.96875, scale: 0.015625, invScale: 64 });
  const x = f32([4], [-0.0078125, 3.9765625, 0, -1]);
  const [y] = run('FakeQuantWithMinMaxVars', [x, f32([], [-0.0078125]), f32([], [3.9765625])]);
  assert.deepEqual(nums(y), [0, 3.96875, 0, -0.015625]);
  // Both bounds zero: zeros.
  assert.deepEqual(nums(run('FakeQuantWithMinMaxVars', [x, f32([], [0]), f32([], [0])])[0]), [0, 0, 0, 0]);
  assertShapeError(() => infer('FakeQuantWithMinMaxVars', [x, f32([1], [0]), f32([], [1])]), /min must be a scalar/);
  assertShapeError(() => infer('FakeQuantWithMinMaxVars', [x, f32([], [0]), f32([], [1])], { num_bits: a.i(17) }), /between 2 and 16/);
});

test('narrow_range and num_bits', () => {
  // narrow [1,255] over [-127/64, 127/64]: scale 1/64, zero point 128, quant_zero 127.
  const x = f32([3], [-5, 1, 0]);
  const [n] = run('FakeQuantWithMinMaxVars', [x, f32([], [-1.984375]), f32([], [1.984375])], { narrow_range: a.b(true) });
  assert.deepEqual(nums(n), [-1.984375, 1, 0]);
  // 4 bits over [-1, 0.875]: scale 1/8. 0.3 -> 2.4 -> 2 steps; 0.32 -> 2.56 -> 3 steps.
  const [b4] = run('FakeQuantWithMinMaxVars', [f32([2], [0.3, 0.32]), f32([], [-1]), f32([], [0.875])], { num_bits: a.i(4) });
  assert.deepEqual(nums(b4), [0.25, 0.375]);
});

test('FakeQuantWithMinMaxVarsPerChannel: one range per last-dimension channel', () => {
  // Channel 0 over [-2, 127/64] (scale 1/64), channel 1 over [-1, 127/128] (scale 1/128).
  const x = f32([2, 2], [0.3, 0.3, -5, 5]);
  const [y] = run('FakeQuantWithMinMaxVarsPerChannel', [x, f32([2], [-2, -1]), f32([2], [1.984375, 0.9921875])]);
  assert.deepEqual(nums(y), [0.296875, 0.296875, -2, 0.9921875]);
  assertShapeError(() => infer('FakeQuantWithMinMaxVarsPerChannel', [x, f32([3], [0, 0, 0]), f32([2], [1, 1])]), /must match the last dimension/);
});

test('QuantizeAndDequantizeV2: range from the data, HALF_TO_EVEN vs HALF_UP', () => {
  // Signed 8 bits, data range [-1, 1.5/128]: scale 128 (from the min side), inverse 1/128.
  const x = f32([4], [-1, 0.00390625, 0.01171875, -0.00390625]);
  const [even] = run('QuantizeAndDequantizeV2', [x, f32([], [0]), f32([], [0])]);
  assert.deepEqual(nums(even), [-1, 0, 0.015625, -0]);
  const [up] = run('QuantizeAndDequantizeV2', [x, f32([], [0]), f32([], [0])], { round_mode: a.s('HALF_UP') });
  assert.deepEqual(nums(up), [-1, 0.0078125, 0.015625, 0]);
});

test('QuantizeAndDequantizeV2 range_given clamps; unsigned; per-axis ranges', () => {
  // Unsigned 8 bits over [0, 255/128]: scale 128, inverse 1/128.
  const x = f32([4], [-1, 3, 0.5, 0.00390625]);
  const [y] = run('QuantizeAndDequantizeV2', [x, f32([], [0]), f32([], [1.9921875])], { signed_input: a.b(false), range_given: a.b(true) });
  assert.deepEqual(nums(y), [0, 1.9921875, 0.5, 0]);
  assertShapeError(
    () => run('QuantizeAndDequantizeV2', [x, f32([], [1]), f32([], [0])], { range_given: a.b(true) }),
    /invalid range: input_min 1 > input_max 0/,
  );
  // axis 1: channel 0 range [-1, 0.5] -> scale 128; channel 1 range [-4, 2] -> scale 32.
  const z = f32([3, 2], [-1, 2, 0.5, -4, 0.3, 0.1]);
  const [pc] = run('QuantizeAndDequantizeV2', [z, f32([2], [0, 0]), f32([2], [0, 0])], { axis: a.i(1) });
  assert.deepEqual(nums(pc), [-1, 2, 0.5, -4, 0.296875, 0.09375]);
});

test('QuantizeAndDequantizeV3 takes num_bits as an input; V4 matches V2', () => {
  // 4 bits signed over [-1, 7/8]: scale 8 from both sides (the max side is taken), min stays -1.
  const x = f32([3], [0.3, -2, 2]);
  const [y] = run('QuantizeAndDequantizeV3', [x, f32([], [-1]), f32([], [0.875]), i32([], [4])]);
  assert.deepEqual(nums(y), [0.25, -1, 0.875]);
  const [v4] = run('QuantizeAndDequantizeV4', [x, f32([], [-1]), f32([], [0.875])], { num_bits: a.i(4), range_given: a.b(true) });
  assert.deepEqual(nums(v4), [0.25, -1, 0.875]);
});
