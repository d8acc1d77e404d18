import assert from 'node:assert/strict';
import { test } from 'node:test';
import { a, assertShapeError, evaluate, f32, i32, infer, nums, run, shapes, tv } from './ops-harness.js';

const iota = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => i + from);

test('Shape, Size, Rank: values from static input shapes, none from unknown dims', () => {
  const x = { dtype: 'float32' as const, shape: [2, 3] };
  const [s] = infer('Shape', [x]);
  assert.deepEqual(s.shape, [2]);
  assert.equal(s.dtype, 'int32');
  assert.deepEqual(nums(s.value!), [2, 3]);
  const [s64] = infer('Shape', [x], { out_type: a.type('int64') });
  assert.ok(s64.value!.data instanceof BigInt64Array);
  assert.deepEqual(nums(s64.value!), [2, 3]);
  const [unknown] = infer('Shape', [{ dtype: 'float32', shape: [-1, 3] }]);
  assert.deepEqual(unknown.shape, [2]);
  assert.equal(unknown.value, null);
  assert.deepEqual(nums(infer('Size', [x])[0].value!), [6]);
  assert.deepEqual(nums(infer('Rank', [{ dtype: 'float32', shape: [-1, 3, 5] }])[0].value!), [3]);
  const outs = infer('ShapeN', [x, { dtype: 'int8', shape: [] }], { N: a.i(2) });
  assert.deepEqual(nums(outs[0].value!), [2, 3]);
  assert.deepEqual(outs[1].shape, [0]);
});

test('Reshape: one -1 is inferred, element counts are checked', () => {
  const x = f32([2, 3], iota(6));
  const [r] = run('Reshape', [x, i32([2], [-1, 2])]);
  assert.deepEqual(r.shape, [3, 2]);
  assert.deepEqual(nums(r), iota(6));
  assert.deepEqual(shapes('Reshape', [{ dtype: 'float32', shape: [0, 3] }, i32([2], [-1, 3])]), [[0, 3]]);
  assertShapeError(() => infer('Reshape', [x, i32([2], [4, -1])]), /cannot reshape a tensor with 6 elements to shape \[4,-1\]/);
  assertShapeError(() => infer('Reshape', [x, i32([2], [-1, -1])]), /only one input size may be -1/);
  assertShapeError(() => infer('Reshape', [x, i32([2], [5, 1])]), /6 elements to shape \[5,1\]/);
  assertShapeError(() => infer('Reshape', [{ dtype: 'float32', shape: [0, 3] }, i32([2], [-1, 0])]), /empty tensor/);
  // Unknown input dimension: the -1 stays unknown, the rest is taken from the target.
  assert.deepEqual(shapes('Reshape', [{ dtype: 'float32', shape: [-1, 6] }, i32([3], [-1, 2, 3])]), [[-1, 2, 3]]);
  // Unknown target values but known length: rank only.
  assert.deepEqual(shapes('Reshape', [x, { dtype: 'int32', shape: [3] }]), [[-1, -1, -1]]);
});

test('Squeeze: all size-1 dims when squeeze_dims is empty, negative axes, errors', () => {
  const x = { dtype: 'float32' as const, shape: [1, 3, 1, 2] };
  assert.deepEqual(shapes('Squeeze', [x]), [[3, 2]]);
  assert.deepEqual(shapes('Squeeze', [x], { squeeze_dims: a.ints([-2]) }), [[1, 3, 2]]);
  assert.deepEqual(shapes('Squeeze', [x], { squeeze_dims: a.ints([0, 2]) }), [[3, 2]]);
  assertShapeError(() => shapes('Squeeze', [x], { squeeze_dims: a.ints([1]) }), /cannot squeeze dim\[1\].*got 3/);
  assertShapeError(() => shapes('Squeeze', [x], { squeeze_dims: a.ints([4]) }), /out of range \[-4, 4\)/);
  // TF gives up (unknown shape) when squeezing all 1s past an unknown dimension; explicit dims assume 1.
  assert.deepEqual(shapes('Squeeze', [{ dtype: 'float32', shape: [-1, 3, 1] }]), [null]);
  assert.deepEqual(shapes('Squeeze', [{ dtype: 'float32', shape: [-1, 3, 1] }], { squeeze_dims: a.ints([0]) }), [[3, 1]]);
  const [v] = run('Squeeze', [f32([1, 2, 1], [7, 8])]);
  assert.deepEqual(v.shape, [2]);
  assert.deepEqual(nums(v), [7, 8]);
});

test('ExpandDims: dim in [-rank-1, rank]', () => {
  const x = { dtype: 'float32' as const, shape: [2, 3] };
  assert.deepEqual(shapes('ExpandDims', [x, i32([], [-1])]), [[2, 3, 1]]);
  assert.deepEqual(shapes('ExpandDims', [x, i32([], [0])]), [[1, 2, 3]]);
  assert.deepEqual(shapes('ExpandDims', [x, i32([], [-3])]), [[1, 2, 3]]);
  assert.deepEqual(shapes('ExpandDims', [x, i32([1], [1])]), [[2, 1, 3]]);
  assertShapeError(() => shapes('ExpandDims', [x, i32([], [3])]), /dim 3 is out of range \[-3, 2\]/);
  assertShapeError(() => shapes('ExpandDims', [x, i32([], [-4])]), /out of range/);
});

test('Transpose: shape and values for 2-D and 3-D permutations', () => {
  const [t] = run('Transpose', [f32([2, 3], [1, 2, 3, 4, 5, 6]), i32([2], [1, 0])]);
  assert.deepEqual(t.shape, [3, 2]);
  assert.deepEqual(nums(t), [1, 4, 2, 5, 3, 6]);
  // out[k][i][j] = x[i][j][k] with x[i][j][k] = 12i + 4j + k.
  const [u] = run('Transpose', [f32([2, 3, 4], iota(24)), i32([3], [2, 0, 1])]);
  assert.deepEqual(u.shape, [4, 2, 3]);
  const expected: number[] = [];
  for (let k = 0; k < 4; k++) for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) expected.push(12 * i + 4 * j + k);
  assert.deepEqual(nums(u), expected);
  assertShapeError(() => infer('Transpose', [f32([2, 3], iota(6)), i32([2], [0, 0])]), /appears more than once/);
  assertShapeError(() => infer('Transpose', [f32([2, 3], iota(6)), i32([3], [0, 1, 2])]), /one entry per input dimension/);
  assert.deepEqual(shapes('Transpose', [{ dtype: 'float32', shape: [2, 3] }, { dtype: 'int32', shape: [2] }]), [[-1, -1]]);
});

test('ConcatV2 (axis last) and Concat (axis first): values, negative axis, unknown dims, errors', () => {
  const x = f32([2, 2], [1, 2, 3, 4]);
  const y = f32([2, 1], [5, 6]);
  const [c] = run('ConcatV2', [x, y, i32([], [-1])], { N: a.i(2) });
  assert.deepEqual(c.shape, [2, 3]);
  assert.deepEqual(nums(c), [1, 2, 5, 3, 4, 6]);
  const [d] = run('Concat', [i32([], [0]), f32([2], [1, 2]), f32([1], [3])], { N: a.i(2) });
  assert.deepEqual(nums(d), [1, 2, 3]);
  assertShapeError(() => infer('ConcatV2', [x, f32([3, 1], [1, 2, 3]), i32([], [1])]), /dimension 0 of the inputs must match/);
  assertShapeError(() => infer('ConcatV2', [x, y, i32([], [2])]), /concat axis 2 is out of range/);
  assertShapeError(() => infer('ConcatV2', [f32([], [1]), f32([], [2]), i32([], [0])]), /can't concatenate scalars/);
  const u = { dtype: 'float32' as const, shape: [-1, 2] };
  assert.deepEqual(shapes('ConcatV2', [u, { dtype: 'float32', shape: [-1, 3] }, i32([], [1])]), [[-1, 5]]);
  assert.deepEqual(shapes('ConcatV2', [u, { dtype: 'float32', shape: [4, 2] }, i32([], [0])]), [[-1, 2]]);
  assert.deepEqual(shapes('ConcatV2', [u, { dtype: 'float32', shape: [4, 2] }, i32([], [1])]), [[4, 4]]);
});

test('Pack and Unpack: axis placement, values and one output per slice', () => {
  const xs = [f32([2], [1, 2]), f32([2], [3, 4]), f32([2], [5, 6])];
  const [p1] = run('Pack', xs, { axis: a.i(1), N: a.i(3) });
  assert.deepEqual(p1.shape, [2, 3]);
  assert.deepEqual(nums(p1), [1, 3, 5, 2, 4, 6]);
  const [p0] = run('Pack', xs, { N: a.i(3) });
  assert.deepEqual(nums(p0), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(shapes('Pack', xs, { axis: a.i(-1) }), [[2, 3]]);
  assertShapeError(() => infer('Pack', [f32([2], [1, 2]), f32([3], [1, 2, 3])]), /same shape/);
  const outs = run('Unpack', [f32([2, 3], [1, 2, 3, 4, 5, 6])], { num: a.i(3), axis: a.i(1) });
  assert.equal(outs.length, 3);
  assert.deepEqual(outs.map((o) => o.shape), [[2], [2], [2]]);
  assert.deepEqual(outs.map(nums), [
    [1, 4],
    [2, 5],
    [3, 6],
  ]);
  assertShapeError(() => infer('Unpack', [f32([2, 3], iota(6))], { num: a.i(2), axis: a.i(1) }), /must be num=2/);
});

test('Split and SplitV: num_split outputs, one -1 size, errors', () => {
  const x = f32([2, 4], [1, 2, 3, 4, 5, 6, 7, 8]);
  const halves = run('Split', [i32([], [-1]), x], { num_split: a.i(2) });
  assert.deepEqual(halves.map((h) => h.shape), [
    [2, 2],
    [2, 2],
  ]);
  assert.deepEqual(halves.map(nums), [
    [1, 2, 5, 6],
    [3, 4, 7, 8],
  ]);
  assertShapeError(() => infer('Split', [i32([], [1]), f32([2, 5], iota(10))], { num_split: a.i(2) }), /evenly divide.*size 5 and num_split 2/);
  const parts = run('SplitV', [f32([5], [1, 2, 3, 4, 5]), i32([2], [2, -1]), i32([], [0])], { num_split: a.i(2) });
  assert.deepEqual(parts.map(nums), [
    [1, 2],
    [3, 4, 5],
  ]);
  assertShapeError(() => infer('SplitV', [f32([5], iota(5)), i32([2], [-1, -1]), i32([], [0])], { num_split: a.i(2) }), /only be one -1/);
  assertShapeError(() => infer('SplitV', [f32([5], iota(5)), i32([2], [2, 2]), i32([], [0])], { num_split: a.i(2) }), /must add up to/);
  assert.deepEqual(shapes('Split', [i32([], [0]), { dtype: 'float32', shape: [-1, 4] }], { num_split: a.i(2) }), [
    [-1, 4],
    [-1, 4],
  ]);
});

test('Slice: size -1 means to the end, bounds are checked', () => {
  const x = f32([3, 4], iota(12));
  const [s] = run('Slice', [x, i32([2], [1, 1]), i32([2], [-1, 2])]);
  assert.deepEqual(s.shape, [2, 2]);
  assert.deepEqual(nums(s), [5, 6, 9, 10]);
  assertShapeError(() => infer('Slice', [x, i32([2], [2, 0]), i32([2], [2, 1])]), /begin\[0\] \+ size\[0\] \(2 \+ 2\) <= input dimension 3/);
  assert.deepEqual(shapes('Slice', [{ dtype: 'float32', shape: [-1, 4] }, i32([2], [0, 1]), i32([2], [-1, -1])]), [[-1, 3]]);
});

test('StridedSlice: the masks matrix, as numpy indexing on x[i,j,k] = 12i + 4j + k', () => {
  const x = f32([2, 3, 4], iota(24));
  const ss = (begin: number[], end: number[], strides: number[], masks: Record<string, number>) =>
    run(
      'StridedSlice',
      [x, i32([begin.length], begin), i32([end.length], end), i32([strides.length], strides)],
      Object.fromEntries(Object.entries(masks).map(([k, v]) => [k, a.i(v)])),
    )[0];
  // x[1]
  let r = ss([1], [2], [1], { shrink_axis_mask: 1 });
  assert.deepEqual(r.shape, [3, 4]);
  assert.deepEqual(nums(r), iota(12, 12));
  // x[:, 1:3]
  r = ss([0, 1], [0, 3], [1, 1], { begin_mask: 1, end_mask: 1 });
  assert.deepEqual(r.shape, [2, 2, 4]);
  assert.deepEqual(nums(r), [...iota(8, 4), ...iota(8, 16)]);
  // x[..., 1]
  r = ss([0, 1], [0, 2], [1, 1], { ellipsis_mask: 1, shrink_axis_mask: 2 });
  assert.deepEqual(r.shape, [2, 3]);
  assert.deepEqual(nums(r), [1, 5, 9, 13, 17, 21]);
  // x[::-1, :, -1]
  r = ss([0, 0, -1], [0, 0, 0], [-1, 1, 1], { begin_mask: 3, end_mask: 3, shrink_axis_mask: 4 });
  assert.deepEqual(r.shape, [2, 3]);
  assert.deepEqual(nums(r), [15, 19, 23, 3, 7, 11]);
  // x[tf.newaxis, 0, ..., 2:]
  r = ss([0, 0, 0, 2], [0, 1, 0, 0], [1, 1, 1, 1], { new_axis_mask: 1, shrink_axis_mask: 2, ellipsis_mask: 4, end_mask: 8 });
  assert.deepEqual(r.shape, [1, 3, 2]);
  assert.deepEqual(nums(r), [2, 3, 6, 7, 10, 11]);
  // x[1, 3:0:-2]: begin clamps to 2, one element.
  r = ss([1, 3], [2, 0], [1, -2], { shrink_axis_mask: 1 });
  assert.deepEqual(r.shape, [1, 4]);
  assert.deepEqual(nums(r), [20, 21, 22, 23]);
  // x[:, 2:1]: empty.
  r = ss([0, 2], [0, 1], [1, 1], { begin_mask: 1, end_mask: 1 });
  assert.deepEqual(r.shape, [2, 0, 4]);
  // x[-1, 1::2, ::3]
  r = ss([-1, 1, 0], [0, 0, 0], [1, 2, 3], { shrink_axis_mask: 1, end_mask: 6, begin_mask: 4 });
  assert.deepEqual(r.shape, [1, 2]);
  assert.deepEqual(nums(r), [16, 19]);
  assertShapeError(() => ss([2], [3], [1], { shrink_axis_mask: 1 }), /slice index 2 of dimension 0 is out of bounds/);
  assertShapeError(() => ss([0], [1], [0], {}), /strides\[0\] must be non-zero/);
  assertShapeError(() => ss([0, 0, 0, 0], [1, 1, 1, 1], [1, 1, 1, 1], {}), /index out of range using input dim 3/);
});

test('StridedSlice on unknown dimensions and on a Shape value (the Keras batch-size pattern)', () => {
  const u = { dtype: 'float32' as const, shape: [-1, 3, 4] };
  const spec = (b: number[], e: number[], s: number[]) => [u, i32([b.length], b), i32([e.length], e), i32([s.length], s)];
  assert.deepEqual(shapes('StridedSlice', spec([0], [1], [1]), { shrink_axis_mask: a.i(1) }), [[3, 4]]);
  assert.deepEqual(shapes('StridedSlice', spec([0, 0], [0, 1], [1, 1]), { begin_mask: a.i(1), end_mask: a.i(1), shrink_axis_mask: a.i(2) }), [[-1, 4]]);
  assert.deepEqual(shapes('StridedSlice', spec([1], [0], [1]), { end_mask: a.i(1) }), [[-1, 3, 4]]);
  // begin/end unknown, strides known: masked-out dims keep their size.
  assert.deepEqual(
    shapes('StridedSlice', [{ dtype: 'float32', shape: [5, 6] }, { dtype: 'int32', shape: [2] }, { dtype: 'int32', shape: [2] }, i32([2], [1, 1])], {
      begin_mask: a.i(2),
      end_mask: a.i(2),
    }),
    [[-1, 6]],
  );
  const [batch] = run('StridedSlice', [i32([2], [5, 7]), i32([1], [0]), i32([1], [1]), i32([1], [1])], { shrink_axis_mask: a.i(1) });
  assert.deepEqual(batch.shape, []);
  assert.deepEqual(nums(batch), [5]);
});

test('Pad, PadV2, MirrorPad: [rank,2] paddings, constant values and both mirror modes', () => {
  const x = f32([2, 2], [1, 2, 3, 4]);
  const p = i32([2, 2], [1, 0, 0, 2]);
  const [z] = run('Pad', [x, p]);
  assert.deepEqual(z.shape, [3, 4]);
  assert.deepEqual(nums(z), [0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0]);
  const [nine] = run('PadV2', [x, p, f32([], [9])]);
  assert.deepEqual(nums(nine), [9, 9, 9, 9, 1, 2, 9, 9, 3, 4, 9, 9]);
  const v = f32([3], [1, 2, 3]);
  const pp = i32([1, 2], [2, 2]);
  assert.deepEqual(nums(run('MirrorPad', [v, pp], { mode: a.s('REFLECT') })[0]), [3, 2, 1, 2, 3, 2, 1]);
  assert.deepEqual(nums(run('MirrorPad', [v, pp], { mode: a.s('SYMMETRIC') })[0]), [2, 1, 1, 2, 3, 3, 2]);
  assertShapeError(() => infer('MirrorPad', [v, i32([1, 2], [3, 0])], { mode: a.s('REFLECT') }), /no greater than 2/);
  assertShapeError(() => infer('Pad', [x, i32([1, 2], [1, 1])]), /paddings must be a matrix of shape \[2,2\]/);
  assertShapeError(() => infer('Pad', [x, i32([2, 2], [-1, 0, 0, 0])]), /non-negative/);
  const [s8] = run('Pad', [tv('int64', [1], [2 ** 53 + 2]), i32([1, 2], [1, 0])]);
  assert.deepEqual(Array.from(s8.data as BigInt64Array), [0n, 9007199254740994n]);
});

test('Tile and ReverseV2', () => {
  assert.deepEqual(nums(run('Tile', [f32([2], [1, 2]), i32([1], [3])])[0]), [1, 2, 1, 2, 1, 2]);
  const [t] = run('Tile', [f32([2, 1], [1, 2]), i32([2], [1, 2])]);
  assert.deepEqual(t.shape, [2, 2]);
  assert.deepEqual(nums(t), [1, 1, 2, 2]);
  assertShapeError(() => infer('Tile', [f32([2], [1, 2]), i32([2], [1, 1])]), /one entry per input dimension/);
  const x = f32([2, 3], [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(nums(run('ReverseV2', [x, i32([1], [1])])[0]), [3, 2, 1, 6, 5, 4]);
  assert.deepEqual(nums(run('ReverseV2', [x, i32([1], [-2])])[0]), [4, 5, 6, 1, 2, 3]);
});

test('GatherV2 (axis, batch_dims), Gather, GatherNd', () => {
  const p = f32([3, 2], [1, 2, 3, 4, 5, 6]);
  const [g0] = run('GatherV2', [p, i32([2], [2, 0]), i32([], [0])]);
  assert.deepEqual(g0.shape, [2, 2]);
  assert.deepEqual(nums(g0), [5, 6, 1, 2]);
  const [g1] = run('GatherV2', [p, i32([1], [1]), i32([], [-1])]);
  assert.deepEqual(g1.shape, [3, 1]);
  assert.deepEqual(nums(g1), [2, 4, 6]);
  const [gb] = run('GatherV2', [f32([2, 3], [1, 2, 3, 4, 5, 6]), i32([2, 2], [2, 0, 1, 1]), i32([], [1])], { batch_dims: a.i(1) });
  assert.deepEqual(gb.shape, [2, 2]);
  assert.deepEqual(nums(gb), [3, 1, 5, 5]);
  assertShapeError(() => evaluate('GatherV2', [p, i32([1], [3]), i32([], [0])]), /indices\[0\] = 3 is not in \[0, 3\)/);
  assertShapeError(() => infer('GatherV2', [p, i32([2, 2], [0, 0, 0, 0]), i32([], [0])], { batch_dims: a.i(1) }), /batch_dims \(1\) must be less than or equal to axis \(0\)/);
  assert.deepEqual(shapes('GatherV2', [{ dtype: 'float32', shape: [10, 4] }, { dtype: 'int32', shape: [-1, 7] }, i32([], [0])]), [[-1, 7, 4]]);
  assert.deepEqual(nums(run('Gather', [p, i32([], [1])])[0]), [3, 4]);
  const q = f32([2, 2], [1, 2, 3, 4]);
  assert.deepEqual(nums(run('GatherNd', [q, i32([2, 2], [1, 0, 0, 1])])[0]), [3, 2]);
  const [row] = run('GatherNd', [q, i32([1, 1], [1])]);
  assert.deepEqual(row.shape, [1, 2]);
  assert.deepEqual(nums(row), [3, 4]);
});

test('Fill, Range, LinSpace, ZerosLike, OnesLike, OneHot', () => {
  const [f] = run('Fill', [i32([2], [2, 3]), f32([], [7])]);
  assert.deepEqual(f.shape, [2, 3]);
  assert.deepEqual(nums(f), [7, 7, 7, 7, 7, 7]);
  assertShapeError(() => infer('Fill', [i32([1], [-1]), f32([], [0])]), /dims\[0\] = -1 must be non-negative/);
  assert.deepEqual(nums(run('Range', [i32([], [0]), i32([], [10]), i32([], [3])], { Tidx: a.type('int32') })[0]), [0, 3, 6, 9]);
  assert.deepEqual(nums(run('Range', [i32([], [5]), i32([], [1]), i32([], [-2])], { Tidx: a.type('int32') })[0]), [5, 3]);
  assert.deepEqual(nums(run('Range', [f32([], [0]), f32([], [0.5]), f32([], [0.125])], { Tidx: a.type('float32') })[0]), [0, 0.125, 0.25, 0.375]);
  assertShapeError(() => infer('Range', [i32([], [0]), i32([], [1]), i32([], [0])]), /delta != 0/);
  assertShapeError(() => infer('Range', [i32([], [3]), i32([], [1]), i32([], [1])]), /start <= limit/);
  assert.deepEqual(nums(run('LinSpace', [f32([], [0]), f32([], [1]), i32([], [5])])[0]), [0, 0.25, 0.5, 0.75, 1]);
  assert.deepEqual(nums(run('ZerosLike', [i32([2], [4, 5])])[0]), [0, 0]);
  assert.deepEqual(nums(run('OnesLike', [f32([3], [4, 5, 6])])[0]), [1, 1, 1]);
  const [oh] = run('OneHot', [i32([3], [0, 2, -1]), i32([], [3]), f32([], [1]), f32([], [0])]);
  assert.deepEqual(oh.shape, [3, 3]);
  assert.deepEqual(nums(oh), [1, 0, 0, 0, 0, 1, 0, 0, 0]);
  const [oh0] = run('OneHot', [i32([3], [0, 2, -1]), i32([], [3]), f32([], [5]), f32([], [-1])], { axis: a.i(0) });
  assert.deepEqual(nums(oh0), [5, -1, -1, -1, -1, -1, -1, 5, -1]);
});

test('BroadcastTo, BroadcastArgs, BroadcastGradientArgs', () => {
  const [b] = run('BroadcastTo', [f32([2, 1], [1, 2]), i32([2], [2, 3])]);
  assert.deepEqual(nums(b), [1, 1, 1, 2, 2, 2]);
  assert.deepEqual(nums(run('BroadcastTo', [f32([3], [1, 2, 3]), i32([2], [2, 3])])[0]), [1, 2, 3, 1, 2, 3]);
  assertShapeError(() => infer('BroadcastTo', [f32([2], [1, 2]), i32([2], [2, 3])]), /cannot broadcast \[2\] to \[2,3\]/);
  assertShapeError(() => infer('BroadcastTo', [f32([1, 2], [1, 2]), i32([1], [2])]), /lower rank/);
  assert.deepEqual(nums(infer('BroadcastArgs', [i32([2], [2, 1]), i32([1], [3])])[0].value!), [2, 3]);
  const bga = (x: number[], y: number[]) => infer('BroadcastGradientArgs', [i32([x.length], x), i32([y.length], y)]).map((o) => nums(o.value!));
  assert.deepEqual(bga([2, 3], [3]), [[], [0]]);
  assert.deepEqual(bga([2, 1], [1, 3]), [[1], [0]]);
  // Identical shapes: nothing to reduce, even size-1 dims; otherwise 1-vs-1 dims reduce on both sides.
  assert.deepEqual(bga([1], [1]), [[], []]);
  assert.deepEqual(bga([1, 1], [1]), [
    [0, 1],
    [0, 1],
  ]);
  assertShapeError(() => bga([2], [3]), /incompatible shapes/);
});

test('Cast: truncation, x86 out-of-range results, exact int64, bfloat16 Truncate, bool', () => {
  const x = f32([5], [1.7, -1.7, NaN, 3e9, -0.5]);
  const [c] = run('Cast', [x], { DstT: a.type('int32') });
  assert.deepEqual(nums(c), [1, -1, -2147483648, -2147483648, 0]);
  assert.deepEqual(nums(run('Cast', [f32([2], [300.5, -1.5])], { DstT: a.type('uint8') })[0]), [44, 255]);
  const big = tv('int64', [2], [0, 0]);
  (big.data as BigInt64Array).set([(1n << 60n) + 1n, -5n]);
  assert.deepEqual(nums(run('Cast', [big], { DstT: a.type('int32') })[0]), [1, -5]);
  const [u64] = run('Cast', [big], { DstT: a.type('uint64') });
  assert.deepEqual(Array.from(u64.data as BigUint64Array), [(1n << 60n) + 1n, (1n << 64n) - 5n]);
  // 1.005859375 is float32 0x3F80C000: bfloat16 rounds to 0x3F81, truncates to 0x3F80.
  const h = f32([1], [1.005859375]);
  assert.deepEqual(nums(run('Cast', [h], { DstT: a.type('bfloat16') })[0]), [0x3f81]);
  assert.deepEqual(nums(run('Cast', [h], { DstT: a.type('bfloat16'), Truncate: a.b(true) })[0]), [0x3f80]);
  // Truncate clears the mantissa bits the target lacks before rounding: float32 -> float16
  // keeps 11 bits, so 1 + 2^-11 + 2^-12 (which rounds up to 1 + 2^-10) becomes 1.
  const hx = f32([1], [1 + 2 ** -11 + 2 ** -12]);
  assert.deepEqual(nums(run('Cast', [hx], { DstT: a.type('float16') })[0]), [0x3c01]);
  assert.deepEqual(nums(run('Cast', [hx], { DstT: a.type('float16'), Truncate: a.b(true) })[0]), [0x3c00]);
  const dx = tv('float64', [1], [1 + 2 ** -24 + 2 ** -30]);
  assert.deepEqual(nums(run('Cast', [dx], { DstT: a.type('float32') })[0]), [1 + 2 ** -23]);
  assert.deepEqual(nums(run('Cast', [dx], { DstT: a.type('float32'), Truncate: a.b(true) })[0]), [1]);
  assert.deepEqual(nums(run('Cast', [f32([3], [0, 0.5, NaN])], { DstT: a.type('bool') })[0]), [0, 1, 1]);
  assert.deepEqual(nums(run('Cast', [tv('float64', [1], [0.1])], { DstT: a.type('float32') })[0]), [Math.fround(0.1)]);
  assert.deepEqual(nums(run('Cast', [i32([1], [16777217])], { DstT: a.type('float32') })[0]), [16777216]);
});

test('Identity-like ops keep int64 bits and strings; IdentityN has one output per input', () => {
  const big = tv('int64', [1], [0]);
  (big.data as BigInt64Array)[0] = (1n << 62n) + 1n;
  const [id] = run('Identity', [big]);
  assert.equal((id.data as BigInt64Array)[0], (1n << 62n) + 1n);
  const s = { dtype: 'string' as const, shape: [1], data: [new TextEncoder().encode('abc')] };
  assert.equal(run('PlaceholderWithDefault', [s])[0], s);
  const outs = run('IdentityN', [f32([1], [1]), i32([2], [2, 3])], { T: a.types(['float32', 'int32']) });
  assert.deepEqual(outs.map(nums), [[1], [2, 3]]);
  assertShapeError(() => infer('EnsureShape', [{ dtype: 'float32', shape: [2, 3] }], { shape: a.shape([2, 4]) }), /not compatible/);
  assert.deepEqual(shapes('EnsureShape', [{ dtype: 'float32', shape: [-1, 3] }], { shape: a.shape([5, -1]) }), [[5, 3]]);
});

test('Select (vector condition picks rows), SelectV2 (broadcasting), Where', () => {
  const t = f32([2, 2], [1, 2, 3, 4]);
  const e = f32([2, 2], [5, 6, 7, 8]);
  const cond = tv('bool', [2], [1, 0]);
  assert.deepEqual(nums(run('Select', [cond, t, e])[0]), [1, 2, 7, 8]);
  assert.deepEqual(nums(run('Select', [tv('bool', [2, 2], [1, 0, 0, 1]), t, e])[0]), [1, 6, 7, 4]);
  assertShapeError(() => infer('Select', [tv('bool', [3], [1, 0, 1]), t, e]), /first dimension/);
  const [s2] = run('SelectV2', [tv('bool', [2, 1], [1, 0]), f32([], [1]), f32([1, 3], [7, 8, 9])]);
  assert.deepEqual(s2.shape, [2, 3]);
  assert.deepEqual(nums(s2), [1, 1, 1, 7, 8, 9]);
  assertShapeError(() => infer('SelectV2', [tv('bool', [2], [1, 0]), f32([3], [1, 2, 3]), f32([], [0])]), /cannot broadcast/);
  const [w] = run('Where', [tv('bool', [2, 2], [1, 0, 0, 1])]);
  assert.equal(w.dtype, 'int64');
  assert.deepEqual(w.shape, [2, 2]);
  assert.deepEqual(nums(w), [0, 0, 1, 1]);
  assert.deepEqual(shapes('Where', [{ dtype: 'bool', shape: [4, 3] }]), [[-1, 2]]);
});

test('Resize, SpaceToBatchND, BatchToSpaceND, SpaceToDepth, DepthToSpace shapes', () => {
  const img = { dtype: 'uint8' as const, shape: [1, 4, 4, 3] };
  const [bl] = infer('ResizeBilinear', [img, i32([2], [8, 6])], { align_corners: a.b(true) });
  assert.deepEqual([bl.dtype, bl.shape], ['float32', [1, 8, 6, 3]]);
  const [nn] = infer('ResizeNearestNeighbor', [img, i32([2], [2, 2])], { half_pixel_centers: a.b(true) });
  assert.deepEqual([nn.dtype, nn.shape], ['uint8', [1, 2, 2, 3]]);
  assertShapeError(() => infer('ResizeBilinear', [{ dtype: 'float32', shape: [4, 4, 3] }, i32([2], [2, 2])]), /4-D/);
  const x = { dtype: 'float32' as const, shape: [1, 4, 4, 1] };
  assert.deepEqual(shapes('SpaceToBatchND', [x, i32([2], [2, 2]), i32([2, 2], [0, 0, 0, 0])]), [[4, 2, 2, 1]]);
  assert.deepEqual(shapes('SpaceToBatchND', [{ dtype: 'float32', shape: [1, 3, 3, 1] }, i32([2], [2, 2]), i32([2, 2], [1, 0, 0, 1])]), [[4, 2, 2, 1]]);
  assertShapeError(() => infer('SpaceToBatchND', [{ dtype: 'float32', shape: [1, 3, 3, 1] }, i32([2], [2, 2]), i32([2, 2], [0, 0, 0, 0])]), /divisible by block size 2/);
  assert.deepEqual(shapes('BatchToSpaceND', [{ dtype: 'float32', shape: [4, 2, 2, 1] }, i32([2], [2, 2]), i32([2, 2], [0, 0, 1, 1])]), [[1, 4, 2, 1]]);
  assert.deepEqual(shapes('SpaceToDepth', [x], { block_size: a.i(2) }), [[1, 2, 2, 4]]);
  assert.deepEqual(shapes('DepthToSpace', [{ dtype: 'float32', shape: [1, 2, 2, 4] }], { block_size: a.i(2) }), [[1, 4, 4, 1]]);
});

test('DynamicStitch (the TF documentation example) and InvertPermutation', () => {
  const [m] = run(
    'DynamicStitch',
    [
      i32([], [6]),
      i32([2], [4, 1]),
      i32([2, 2], [5, 2, 0, 3]),
      f32([2], [61, 62]),
      f32([2, 2], [41, 42, 11, 12]),
      f32([2, 2, 2], [51, 52, 21, 22, 1, 2, 31, 32]),
    ],
    { N: a.i(3) },
  );
  assert.deepEqual(m.shape, [7, 2]);
  assert.deepEqual(nums(m), [1, 2, 11, 12, 21, 22, 31, 32, 41, 42, 51, 52, 61, 62]);
  assert.deepEqual(nums(run('InvertPermutation', [i32([5], [3, 4, 0, 2, 1])])[0]), [2, 4, 3, 0, 1]);
});

test('Unique: first-occurrence order and indices', () => {
  const [y, idx] = run('Unique', [tv('int64', [6], [4, 1, 4, 2, 1, 4])], { out_idx: a.type('int32') });
  assert.deepEqual(nums(y), [4, 1, 2]);
  assert.deepEqual(nums(idx), [0, 1, 0, 2, 1, 0]);
  assert.deepEqual(shapes('Unique', [{ dtype: 'float32', shape: [7] }]), [[-1], [7]]);
});
