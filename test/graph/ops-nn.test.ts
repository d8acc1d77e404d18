import assert from 'node:assert/strict';
import { test } from 'node:test';
import { a, assertShapeError, close, evaluate, f32, i32, infer, nums, run, shapes } from './ops-harness.js';

const iota = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const ones = (n: number): number[] => new Array<number>(n).fill(1);
const conv = (padding: string, s: number, extra: Record<string, ReturnType<typeof a.i>> = {}) => ({
  strides: a.ints([1, s, s, 1]),
  padding: a.s(padding),
  data_format: a.s('NHWC'),
  ...extra,
});

// 5x5 single-channel image x[i][j] = 5i + j, 3x3 filter of ones: each output is a window sum.
const img5 = f32([1, 5, 5, 1], iota(25));
const ones3 = f32([3, 3, 1, 1], ones(9));

test('Conv2D SAME, stride 2, odd size: pad 1 on each side, window sums', () => {
  const [y] = run('Conv2D', [img5, ones3], conv('SAME', 2));
  assert.deepEqual(y.shape, [1, 3, 3, 1]);
  assert.deepEqual(nums(y), [12, 27, 24, 63, 108, 81, 72, 117, 84]);
});

test('Conv2D SAME, stride 2, even size: the extra padding goes after (bottom/right)', () => {
  const [y] = run('Conv2D', [f32([1, 4, 4, 1], iota(16)), ones3], conv('SAME', 2));
  assert.deepEqual(y.shape, [1, 2, 2, 1]);
  assert.deepEqual(nums(y), [45, 39, 66, 50]);
});

test('Conv2D VALID, EXPLICIT paddings and dilations', () => {
  const [v] = run('Conv2D', [img5, ones3], conv('VALID', 2));
  assert.deepEqual(v.shape, [1, 2, 2, 1]);
  assert.deepEqual(nums(v), [54, 72, 144, 162]);
  // Two rows of padding on top, one column on the right.
  const [e] = run('Conv2D', [img5, ones3], conv('EXPLICIT', 2, { explicit_paddings: a.ints([0, 0, 2, 0, 0, 1, 0, 0]) }));
  assert.deepEqual(e.shape, [1, 3, 2, 1]);
  assert.deepEqual(nums(e), [3, 9, 54, 72, 144, 162]);
  // 2x2 ones dilated by 2: x[i][j] + x[i][j+2] + x[i+2][j] + x[i+2][j+2] = 20i + 4j + 24.
  const [d] = run('Conv2D', [img5, f32([2, 2, 1, 1], ones(4))], conv('VALID', 1, { dilations: a.ints([1, 2, 2, 1]) }));
  assert.deepEqual(d.shape, [1, 3, 3, 1]);
  assert.deepEqual(nums(d), [24, 28, 32, 44, 48, 52, 64, 68, 72]);
  // Channels: out[oc] = sum_ic x[ic] * w[ic][oc].
  assert.deepEqual(nums(run('Conv2D', [f32([1, 1, 1, 2], [1, 2]), f32([1, 1, 2, 2], [1, 2, 3, 4])], conv('VALID', 1))[0]), [7, 10]);
});

test('Conv2D shape errors and unknown batch', () => {
  assert.deepEqual(shapes('Conv2D', [{ dtype: 'float32', shape: [-1, 49, 40, 1] }, { dtype: 'float32', shape: [10, 8, 1, 8] }], conv('SAME', 2)), [[-1, 25, 20, 8]]);
  assertShapeError(() => infer('Conv2D', [{ dtype: 'float32', shape: [1, 5, 5, 3] }, { dtype: 'float32', shape: [3, 3, 2, 4] }], conv('SAME', 1)), /input depth 3 must be evenly divisible/);
  assertShapeError(() => infer('Conv2D', [img5, ones3], { ...conv('SAME', 1), data_format: a.s('NCHW') }), /data_format NCHW is not supported/);
  assertShapeError(() => infer('Conv2D', [img5, ones3], { ...conv('SAME', 1), strides: a.ints([2, 1, 1, 1]) }), /batch and depth/);
  assertShapeError(() => infer('Conv2D', [f32([1, 2, 2, 1], ones(4)), f32([4, 4, 1, 1], ones(16))], conv('VALID', 1)), /output size would be negative/);
});

test('DepthwiseConv2dNative: out channel c*M + m', () => {
  // Channel 0 = [1,2,3,4], channel 1 = [10,20,30,40] over the 2x2 image.
  const x = f32([1, 2, 2, 2], [1, 10, 2, 20, 3, 30, 4, 40]);
  // w[p][c][m] at window position p: c0m0 = 1, c0m1 = p, c1m0 = 1, c1m1 = -1.
  const w = f32([2, 2, 2, 2], [1, 0, 1, -1, 1, 1, 1, -1, 1, 2, 1, -1, 1, 3, 1, -1]);
  const [y] = run('DepthwiseConv2dNative', [x, w], conv('VALID', 1));
  assert.deepEqual(y.shape, [1, 1, 1, 4]);
  assert.deepEqual(nums(y), [10, 20, 100, -100]);
  assertShapeError(() => infer('DepthwiseConv2dNative', [x, f32([2, 2, 3, 1], ones(12))], conv('VALID', 1)), /must equal the filter's input depth/);
});

test('Conv2DBackpropInput: shape from input_sizes, values of the transposed convolution', () => {
  const [y] = run('Conv2DBackpropInput', [i32([4], [1, 4, 4, 1]), f32([2, 2, 1, 1], ones(4)), f32([1, 2, 2, 1], [1, 2, 3, 4])], conv('VALID', 2));
  assert.deepEqual(y.shape, [1, 4, 4, 1]);
  assert.deepEqual(nums(y), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  // SAME, stride 2, 3x3 filter w = 0..8: a one-hot gradient at (1,1) lands at rows/cols 1..3.
  const dy = f32([1, 3, 3, 1], [0, 0, 0, 0, 1, 0, 0, 0, 0]);
  const [z] = run('Conv2DBackpropInput', [i32([4], [1, 5, 5, 1]), f32([3, 3, 1, 1], iota(9)), dy], conv('SAME', 2));
  assert.deepEqual(nums(z), [0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 5, 0, 0, 6, 7, 8, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(shapes('Conv2DBackpropInput', [i32([2], [5, 5]), { dtype: 'float32', shape: [3, 3, 4, 8] }, { dtype: 'float32', shape: [-1, 3, 3, 8] }], conv('SAME', 2)), [[-1, 5, 5, 4]]);
  assertShapeError(() => infer('Conv2DBackpropInput', [i32([4], [1, 6, 6, 1]), f32([3, 3, 1, 1], iota(9)), dy], conv('SAME', 1)), /out_backprop height 3 does not match the forward output height 6/);
});

test('MatMul with transpose_a/transpose_b', () => {
  const A = f32([2, 3], [1, 2, 3, 4, 5, 6]);
  const B = f32([3, 2], [7, 8, 9, 10, 11, 12]);
  assert.deepEqual(nums(run('MatMul', [A, B])[0]), [58, 64, 139, 154]);
  assert.deepEqual(nums(run('MatMul', [f32([3, 2], [1, 4, 2, 5, 3, 6]), B], { transpose_a: a.b(true) })[0]), [58, 64, 139, 154]);
  assert.deepEqual(nums(run('MatMul', [A, f32([2, 3], [7, 9, 11, 8, 10, 12])], { transpose_b: a.b(true) })[0]), [58, 64, 139, 154]);
  assertShapeError(() => infer('MatMul', [A, A]), /size-incompatible/);
  assert.deepEqual(shapes('MatMul', [{ dtype: 'float32', shape: [-1, 784] }, { dtype: 'float32', shape: [784, 10] }]), [[-1, 10]]);
});

test('BatchMatMulV2 broadcasts batch dims; BatchMatMul requires equal ones; adj_y', () => {
  // a_i = (1+i) * I, b_j = [[j,1],[0,j]] -> out[i][j] = (1+i) * b_j.
  const A = f32([2, 1, 2, 2], [1, 0, 0, 1, 2, 0, 0, 2]);
  const B = f32([3, 2, 2], [0, 1, 0, 0, 1, 1, 0, 1, 2, 1, 0, 2]);
  const [y] = run('BatchMatMulV2', [A, B]);
  assert.deepEqual(y.shape, [2, 3, 2, 2]);
  assert.deepEqual(nums(y), [0, 1, 0, 0, 1, 1, 0, 1, 2, 1, 0, 2, 0, 2, 0, 0, 2, 2, 0, 2, 4, 2, 0, 4]);
  const [t] = run('BatchMatMulV2', [A, B], { adj_y: a.b(true) });
  assert.deepEqual(nums(t).slice(0, 8), [0, 0, 1, 0, 1, 0, 1, 1]);
  assertShapeError(() => infer('BatchMatMulV2', [f32([2, 2, 2], ones(8)), f32([3, 2, 2], ones(12))]), /cannot broadcast shapes \[2\] and \[3\]/);
  assertShapeError(() => infer('BatchMatMul', [A, B]), /same rank/);
  const [v3] = infer('BatchMatMulV3', [{ dtype: 'int8', shape: [4, 2, 3] }, { dtype: 'int8', shape: [3, 5] }], { Tout: a.type('int32') });
  assert.deepEqual([v3.dtype, v3.shape], ['int32', [4, 2, 5]]);
});

test('BiasAdd: last dimension, NCHW is a clear error', () => {
  assert.deepEqual(nums(run('BiasAdd', [f32([2, 3], [1, 2, 3, 4, 5, 6]), f32([3], [10, 20, 30])])[0]), [11, 22, 33, 14, 25, 36]);
  assertShapeError(() => infer('BiasAdd', [f32([2, 3], ones(6)), f32([3], ones(3))], { data_format: a.s('NCHW') }), /data_format NCHW is not supported/);
  assertShapeError(() => infer('BiasAdd', [f32([2, 3], ones(6)), f32([2], ones(2))]), /bias \[2\] must match the last dimension/);
  assertShapeError(() => infer('BiasAdd', [f32([3], ones(3)), f32([3], ones(3))]), /at least 2-D/);
});

test('FusedBatchNormV3 inference: y = (x - mean) * scale / sqrt(var + eps) + offset, 6 outputs', () => {
  // Channel 0 sees 1, 3; channel 1 sees 2, 4.
  const x = f32([1, 1, 2, 2], [1, 2, 3, 4]);
  const inputs = [x, f32([2], [2, 0.5]), f32([2], [1, -1]), f32([2], [2, 3]), f32([2], [3.75, 0.75])];
  const outs = run('FusedBatchNormV3', inputs, { epsilon: a.f(0.25), is_training: a.b(false), U: a.type('float32') });
  assert.equal(outs.length, 6);
  assert.deepEqual(nums(outs[0]), [0, -1.5, 2, -0.5]);
  assert.deepEqual(nums(outs[1]), [2, 3]);
  assert.deepEqual(nums(outs[2]), [3.75, 0.75]);
  assert.deepEqual(outs[5].shape, []);
  assert.equal(infer('FusedBatchNorm', inputs, { is_training: a.b(false) }).length, 5);
  assertShapeError(() => infer('FusedBatchNormV3', [x, f32([3], ones(3)), ...inputs.slice(2)], { is_training: a.b(false) }), /scale \[3\] must match the depth/);
});

test('FusedBatchNorm training: batch statistics, Bessel-corrected running variance', () => {
  const x = f32([1, 1, 2, 2], [1, 2, 3, 4]);
  const empty = f32([0], []);
  const outs = run('FusedBatchNormV2', [x, f32([2], [2, 0.5]), f32([2], [1, -1]), empty, empty], { epsilon: a.f(0), is_training: a.b(true) });
  // Means 2 and 3, biased variances 1 and 1; running variance 1 * 2/1.
  assert.deepEqual(nums(outs[0]), [-1, -1.5, 3, -0.5]);
  assert.deepEqual(nums(outs[1]), [2, 3]);
  assert.deepEqual(nums(outs[2]), [2, 2]);
  assert.deepEqual(nums(outs[3]), [2, 3]);
  assert.deepEqual(nums(outs[4]), [1, 1]);
});

test('AvgPool SAME counts only real elements; MaxPool; VALID shapes', () => {
  const pool = (padding: string) => ({ ksize: a.ints([1, 3, 3, 1]), strides: a.ints([1, 2, 2, 1]), padding: a.s(padding) });
  const [avg] = run('AvgPool', [img5], pool('SAME'));
  assert.deepEqual(avg.shape, [1, 3, 3, 1]);
  assert.deepEqual(nums(avg), [3, 4.5, 6, 10.5, 12, 13.5, 18, 19.5, 21]);
  const [max] = run('MaxPool', [img5], pool('SAME'));
  assert.deepEqual(nums(max), [6, 8, 9, 16, 18, 19, 21, 23, 24]);
  assert.deepEqual(shapes('MaxPool', [{ dtype: 'float32', shape: [-1, 7, 7, 8] }], pool('VALID')), [[-1, 3, 3, 8]]);
  assertShapeError(() => infer('AvgPool', [img5], { ...pool('SAME'), ksize: a.ints([1, 3, 3, 2]) }), /depth dimension/);
  assert.deepEqual(nums(run('MaxPoolV2', [img5, i32([4], [1, 3, 3, 1]), i32([4], [1, 2, 2, 1])], { padding: a.s('VALID') })[0]), [12, 14, 22, 24]);
});

test('Softmax and LogSoftmax over the last dimension', () => {
  const [s] = run('Softmax', [f32([2, 3], [1, 2, 3, 0, 0, 0])]);
  close(nums(s), [0.09003057317038046, 0.24472847105479764, 0.6652409557748218, 1 / 3, 1 / 3, 1 / 3], 1e-7);
  const [l] = run('LogSoftmax', [f32([3], [1, 2, 3])]);
  close(nums(l), [-2.4076059644443806, -1.4076059644443806, -0.4076059644443804], 1e-7);
  assertShapeError(() => infer('Softmax', [f32([], [1])]), />= 1 dimension/);
});

test('Folding a float32 MatMul stores the correctly rounded float64 sum, not a float32 running sum', () => {
  // Row of 1000 values 0.1f times a column of ones: the float64 sum of the float32 inputs, rounded once.
  const k = 1000;
  const A = f32([1, k], new Array<number>(k).fill(0.1));
  const B = f32([k, 1], ones(k));
  const [y] = evaluate('MatMul', [A, B]);
  assert.equal(nums(y)[0], Math.fround(k * Math.fround(0.1)));
});
