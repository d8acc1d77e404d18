// Reductions, reshapes, slicing, padding, gathering, resizing and the other shape ops: one-op
// GraphDefs converted with the real pipeline, run in the TFLite WASM runtime and compared with the
// TF reference (tfjs) on seeded inputs. These ops move or reduce values: exact, except sums and
// means (1e-6 absolute) and bilinear resizing (1e-6).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DType } from '../../src/core/dtype.js';
import type { TensorValue } from '../../src/core/tensor.js';
import { makeValue } from '../../src/graph/ops/util.js';
import type { AttrValue } from '../../src/proto/types.js';
import { type Converted, GraphDefBuilder, T, a, checkOp, convert, i32, i64, opsOf, randomValue, runTflite } from './harness.js';

/** The op applied to placeholder x with constant operands (name -> value). */
function withConsts(op: string, xShape: number[], consts: TensorValue[], attrs: Record<string, AttrValue>, xType: DType = 'float32') {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', xType, xShape);
  const cs = consts.map((v, i) => b.const(`c${i}`, v));
  b.op('y', op, [x, ...cs], { ...T(xType), ...attrs });
  return b.build();
}

/** No int64 tensor is left in the converted model (axes, shapes and paddings became int32). */
function assertNoInt64(c: Converted): void {
  const bad = c.graph.nodes.flatMap((n) => n.inputs.filter((t) => t?.dtype === 'int64').map((t) => `${n.op} ${t?.name}`));
  assert.deepEqual(bad, []);
}

const SUM_ATOL = 1e-6;

for (const [op, tfl] of [
  ['Mean', 'MEAN'],
  ['Sum', 'SUM'],
  ['Max', 'REDUCE_MAX'],
] as const) {
  test(`${op} over axes [1, -1] with keep_dims -> ${tfl}`, async (t) => {
    const gd = withConsts(op, [2, 3, 4], [i32([2], [1, -1])], { keep_dims: a.b(true), Tidx: a.type('int32') });
    await checkOp(t, gd, ['y'], { ops: [`${tfl}@1`], atol: SUM_ATOL });
  });
  test(`${op} over int64 axis 1 without keep_dims -> ${tfl} with int32 axes`, async (t) => {
    const gd = withConsts(op, [2, 3, 4], [i64([1], [1])], { keep_dims: a.b(false), Tidx: a.type('int64') });
    assertNoInt64(await checkOp(t, gd, ['y'], { ops: [`${tfl}@1`], atol: SUM_ATOL }));
  });
}

test('Mean over the spatial axes with keep_dims of NHWC -> MEAN', async (t) => {
  const gd = withConsts('Mean', [1, 5, 6, 3], [i32([2], [1, 2])], { keep_dims: a.b(true), Tidx: a.type('int32') });
  await checkOp(t, gd, ['y'], { ops: ['MEAN@1'], atol: SUM_ATOL });
});

test('Reshape with -1 and an int64 shape -> RESHAPE with an int32 shape', async (t) => {
  const gd = withConsts('Reshape', [2, 3, 4], [i64([2], [-1, 6])], { Tshape: a.type('int64') });
  assertNoInt64(await checkOp(t, gd, ['y'], { ops: ['RESHAPE@1'], atol: 0 }));
});

test('Squeeze of given dims -> RESHAPE', async (t) => {
  const b = new GraphDefBuilder();
  b.op('y', 'Squeeze', [b.placeholder('x', 'float32', [1, 3, 1, 4])], { ...T(), squeeze_dims: a.ints([0, 2]) });
  await checkOp(t, b.build(), ['y'], { ops: ['RESHAPE@1'], atol: 0 });
});

test('ExpandDims at -1 (int64 axis) -> RESHAPE', async (t) => {
  const gd = withConsts('ExpandDims', [3, 4], [i64([], [-1])], { Tdim: a.type('int64') });
  await checkOp(t, gd, ['y'], { ops: ['RESHAPE@1'], atol: 0 });
});

test('Transpose with an int64 permutation -> TRANSPOSE with int32', async (t) => {
  const gd = withConsts('Transpose', [2, 3, 4], [i64([3], [2, 0, 1])], { Tperm: a.type('int64') });
  assertNoInt64(await checkOp(t, gd, ['y'], { ops: ['TRANSPOSE@1'], atol: 0 }));
});

test('ConcatV2 along -1 -> CONCATENATION axis 2', async (t) => {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', [2, 3, 4]);
  const z = b.placeholder('z', 'float32', [2, 3, 2]);
  b.op('y', 'ConcatV2', [x, z, b.weights('w', [2, 3, 1], 3), b.const('axis', i32([], [-1]))], { ...T(), N: a.i(3), Tidx: a.type('int32') });
  const c = await checkOp(t, b.build(), ['y'], { ops: ['CONCATENATION@1'], atol: 0 });
  assert.equal(c.graph.nodes[0].options.axis, 2);
});

test('Pack along axis 1 -> PACK', async (t) => {
  const b = new GraphDefBuilder();
  const xs = ['x0', 'x1', 'x2'].map((n) => b.placeholder(n, 'float32', [2, 3]));
  b.op('y', 'Pack', xs, { ...T(), N: a.i(3), axis: a.i(-2) });
  await checkOp(t, b.build(), ['y'], { ops: ['PACK@1'], atol: 0 });
});

test('Unpack along axis 1 -> UNPACK with every output', async (t) => {
  const b = new GraphDefBuilder();
  b.op('y', 'Unpack', [b.placeholder('x', 'float32', [2, 3, 4])], { ...T(), num: a.i(3), axis: a.i(1) });
  await checkOp(t, b.build(), ['y', 'y:1', 'y:2'], { ops: ['UNPACK@1'], atol: 0 });
});

test('Split: the axis comes first, as in TFLite -> SPLIT', async (t) => {
  const b = new GraphDefBuilder();
  b.op('y', 'Split', [b.const('axis', i32([], [2])), b.placeholder('x', 'float32', [2, 3, 6])], { ...T(), num_split: a.i(3) });
  await checkOp(t, b.build(), ['y', 'y:1', 'y:2'], { ops: ['SPLIT@1'], atol: 0 });
});

test('SplitV with a -1 size and int64 sizes -> SPLIT_V', async (t) => {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', [7, 3]);
  b.op('y', 'SplitV', [x, b.const('sizes', i64([3], [2, -1, 1])), b.const('axis', i32([], [0]))], { ...T(), num_split: a.i(3), Tlen: a.type('int64') });
  assertNoInt64(await checkOp(t, b.build(), ['y', 'y:1', 'y:2'], { ops: ['SPLIT_V@1'], atol: 0 }));
});

test('Slice with a -1 size -> SLICE', async (t) => {
  const gd = withConsts('Slice', [4, 5, 6], [i32([3], [1, 0, 2]), i32([3], [2, -1, 3])], { Index: a.type('int32') });
  await checkOp(t, gd, ['y'], { ops: ['SLICE@1'], atol: 0 });
});

function stridedSlice(x: number[], begin: number[], end: number[], strides: number[], masks: Record<string, number>, type: 'int32' | 'int64' = 'int32') {
  const mk = type === 'int32' ? i32 : i64;
  return withConsts('StridedSlice', x, [mk([begin.length], begin), mk([end.length], end), mk([strides.length], strides)], {
    Index: a.type(type),
    begin_mask: a.i(masks.begin ?? 0),
    end_mask: a.i(masks.end ?? 0),
    ellipsis_mask: a.i(masks.ellipsis ?? 0),
    new_axis_mask: a.i(masks.newAxis ?? 0),
    shrink_axis_mask: a.i(masks.shrink ?? 0),
  });
}

test('StridedSlice with begin/end masks and negative strides -> STRIDED_SLICE', async (t) => {
  await checkOp(t, stridedSlice([4, 6, 3], [1, -1, 0], [3, 0, 3], [1, -2, 1], { begin: 0b100, end: 0b010 }), ['y'], { ops: ['STRIDED_SLICE@1'], atol: 0 });
});

test('StridedSlice with shrink_axis_mask (x[:, 2]) -> STRIDED_SLICE', async (t) => {
  await checkOp(t, stridedSlice([4, 6, 3], [0, 2], [0, 3], [1, 1], { begin: 1, end: 1, shrink: 2 }), ['y'], { ops: ['STRIDED_SLICE@1'], atol: 0 });
});

test('StridedSlice with ellipsis and new axis (x[..., None, 1:]) -> STRIDED_SLICE version 6', async (t) => {
  await checkOp(t, stridedSlice([2, 3, 4], [0, 0, 1], [0, 0, 0], [1, 1, 1], { ellipsis: 1, newAxis: 2, end: 4 }), ['y'], { ops: ['STRIDED_SLICE@6'], atol: 0 });
});

// tfjs computes int64 as int32 and refuses the 2^40 bound: checked by hand.
test('StridedSlice with int64 bounds beyond int32 (to the end) -> int32 clamped bounds (hand-checked)', async () => {
  const c = convert(stridedSlice([4, 3], [1, 0], [2 ** 40, 2], [1, 1], {}, 'int64'), ['y']);
  assert.deepEqual(opsOf(c), ['STRIDED_SLICE@1']);
  assertNoInt64(c);
  const [got] = await runTflite(c, [makeValue('float32', [4, 3], Array.from({ length: 12 }, (_, i) => i))]);
  assert.deepEqual(got.shape, [3, 2]);
  assert.deepEqual(Array.from(got.data as Float32Array), [3, 4, 6, 7, 9, 10]);
});

test('Pad with int64 paddings -> PAD', async (t) => {
  const gd = withConsts('Pad', [1, 3, 4, 2], [i64([4, 2], [0, 0, 1, 2, 0, 1, 0, 0])], { Tpaddings: a.type('int64') });
  assertNoInt64(await checkOp(t, gd, ['y'], { ops: ['PAD@1'], atol: 0 }));
});

test('PadV2 with a constant value -> PADV2', async (t) => {
  const gd = withConsts('PadV2', [3, 4], [i32([2, 2], [1, 0, 2, 1]), makeValue('float32', [], [-3.5])], { Tpaddings: a.type('int32') });
  await checkOp(t, gd, ['y'], { ops: ['PADV2@1'], atol: 0 });
});

for (const mode of ['REFLECT', 'SYMMETRIC']) {
  test(`MirrorPad ${mode} -> MIRROR_PAD`, async (t) => {
    const gd = withConsts('MirrorPad', [1, 4, 5, 2], [i32([4, 2], [0, 0, 2, 1, 1, 2, 0, 0])], { Tpaddings: a.type('int32'), mode: a.s(mode) });
    await checkOp(t, gd, ['y'], { ops: ['MIRROR_PAD@1'], atol: 0 });
  });
}

test('Tile with int64 multiples -> TILE', async (t) => {
  const gd = withConsts('Tile', [2, 3], [i64([2], [2, 3])], { Tmultiples: a.type('int64') });
  assertNoInt64(await checkOp(t, gd, ['y'], { ops: ['TILE@1'], atol: 0 }));
});

function gather(params: number[], indices: number[], axis: number, batchDims: number) {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', params);
  const idx = b.placeholder('i', 'int32', indices);
  b.op('y', 'GatherV2', [x, idx, b.const('axis', i64([], [axis]))], { Tparams: a.type('float32'), Tindices: a.type('int32'), Taxis: a.type('int64'), batch_dims: a.i(batchDims) });
  return b.build();
}

// Random int32 inputs are in [0, 10): indices within the smallest gathered dimension below.
const indices = (shape: number[], k: number) => (seed: number) => ({
  x: randomValue('float32', [0], seed),
  i: makeValue('int32', shape, Array.from(randomValue('int32', shape, seed).data as Int32Array, (v) => v % k)),
});

test('GatherV2 along axis 1 -> GATHER', async (t) => {
  await checkOp(t, gather([3, 5, 2], [2, 4], 1, 0), ['y'], {
    ops: ['GATHER@1'],
    atol: 0,
    makeInputs: (s) => ({ ...indices([2, 4], 5)(s), x: randomValue('float32', [3, 5, 2], s) }),
  });
});

// tfjs returns garbage for batch_dims 1 with axis 2 (values out of the params): checked by hand,
// result[b, j, k] = params[b, j, indices[b, k]].
test('GatherV2 with batch_dims 1 and axis -1 -> GATHER version 5 (hand-checked)', async (t) => {
  const c = convert(gather([3, 4, 6], [3, 2], -1, 1), ['y']);
  assert.deepEqual(opsOf(c), ['GATHER@5']);
  assert.equal(c.graph.nodes[0].options.axis, 2);
  assert.equal(c.graph.nodes[0].options.batch_dims, 1);
  const idx = [5, 0, 1, 2, 3, 3];
  const [got] = await runTflite(c, [makeValue('float32', [3, 4, 6], Array.from({ length: 72 }, (_, i) => i)), makeValue('int32', [3, 2], idx)]);
  assert.deepEqual(got.shape, [3, 4, 2]);
  const want: number[] = [];
  for (let b = 0; b < 3; b++) for (let j = 0; j < 4; j++) for (let k = 0; k < 2; k++) want.push(b * 24 + j * 6 + idx[b * 2 + k]);
  assert.deepEqual(Array.from(got.data as Float32Array), want);
  t.diagnostic('max abs error 0 (hand-checked) [GATHER@5]');
});

function resize(op: string, opts: { alignCorners?: boolean; halfPixel?: boolean }) {
  return withConsts(op, [1, 4, 5, 2], [i32([2], [7, 9])], {
    align_corners: a.b(opts.alignCorners ?? false),
    half_pixel_centers: a.b(opts.halfPixel ?? false),
  });
}

for (const [op, tfl] of [
  ['ResizeBilinear', 'RESIZE_BILINEAR'],
  ['ResizeNearestNeighbor', 'RESIZE_NEAREST_NEIGHBOR'],
] as const) {
  const atol = op === 'ResizeBilinear' ? 1e-6 : 0;
  test(`${op} (asymmetric, the default) -> ${tfl} version 1`, async (t) => {
    await checkOp(t, resize(op, {}), ['y'], { ops: [`${tfl}@1`], atol });
  });
  test(`${op} half_pixel_centers -> ${tfl} version 3`, async (t) => {
    await checkOp(t, resize(op, { halfPixel: true }), ['y'], { ops: [`${tfl}@3`], atol });
  });
  test(`${op} align_corners -> ${tfl} version ${op === 'ResizeBilinear' ? 1 : 3}`, async (t) => {
    await checkOp(t, resize(op, { alignCorners: true }), ['y'], { ops: [`${tfl}@${op === 'ResizeBilinear' ? 1 : 3}`], atol });
  });
}

test('Fill with a scalar input -> FILL', async (t) => {
  const b = new GraphDefBuilder();
  b.op('y', 'Fill', [b.const('dims', i64([2], [2, 3])), b.placeholder('v', 'float32', [])], { ...T(), index_type: a.type('int64') });
  assertNoInt64(await checkOp(t, b.build(), ['y'], { ops: ['FILL@1'], atol: 0 }));
});

test('Range (not folded) -> RANGE', async (t) => {
  const b = new GraphDefBuilder();
  const r = b.op('r', 'Range', [b.const('start', makeValue('float32', [], [1])), b.const('limit', makeValue('float32', [], [3])), b.const('delta', makeValue('float32', [], [0.5]))], { Tidx: a.type('float32') });
  b.op('y', 'AddV2', [b.placeholder('x', 'float32', [4]), r], T());
  await checkOp(t, b.build(), ['y'], { ops: ['RANGE@1', 'ADD@1'], atol: 0, skipPasses: ['fold-constants'] });
});

test('Shape (not folded) -> SHAPE with out_type int32', async (t) => {
  const b = new GraphDefBuilder();
  b.op('y', 'Shape', [b.placeholder('x', 'float32', [2, 3, 4])], { ...T(), out_type: a.type('int32') });
  await checkOp(t, b.build(), ['y'], { ops: ['SHAPE@1'], atol: 0, skipPasses: ['fold-constants'] });
});

test('SpaceToBatchND and BatchToSpaceND (4-D) -> SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND', async (t) => {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', [1, 5, 6, 2]);
  const s2b = b.op('s2b', 'SpaceToBatchND', [x, b.const('block', i32([2], [2, 3])), b.const('pads', i32([2, 2], [1, 0, 0, 0]))], { ...T(), Tblock_shape: a.type('int32'), Tpaddings: a.type('int32') });
  const r = b.op('r', 'Relu', [s2b], T());
  b.op('y', 'BatchToSpaceND', [r, b.const('block2', i32([2], [2, 3])), b.const('crops', i32([2, 2], [1, 0, 0, 0]))], { ...T(), Tblock_shape: a.type('int32'), Tcrops: a.type('int32') });
  await checkOp(t, b.build(), ['y'], { ops: ['SPACE_TO_BATCH_ND@1', 'RELU@1', 'BATCH_TO_SPACE_ND@1'], atol: 0 });
});

test('SpaceToBatchND of rank 3 -> SPACE_TO_BATCH_ND version 3', async (t) => {
  const gd = withConsts('SpaceToBatchND', [2, 6, 3], [i32([1], [2]), i32([1, 2], [1, 1])], { Tblock_shape: a.type('int32'), Tpaddings: a.type('int32') });
  await checkOp(t, gd, ['y'], { ops: ['SPACE_TO_BATCH_ND@3'], atol: 0 });
});

test('DepthToSpace -> DEPTH_TO_SPACE', async (t) => {
  const b = new GraphDefBuilder();
  b.op('y', 'DepthToSpace', [b.placeholder('x', 'float32', [1, 3, 2, 8])], { ...T(), block_size: a.i(2), data_format: a.s('NHWC') });
  await checkOp(t, b.build(), ['y'], { ops: ['DEPTH_TO_SPACE@1'], atol: 0 });
});

// tfjs has no SpaceToDepth: checked as the inverse of DepthToSpace, which was checked above.
test('SpaceToDepth -> SPACE_TO_DEPTH (hand-checked: it undoes DepthToSpace)', async () => {
  const b = new GraphDefBuilder();
  const d = b.op('d', 'DepthToSpace', [b.placeholder('x', 'float32', [1, 3, 2, 8])], { ...T(), block_size: a.i(2), data_format: a.s('NHWC') });
  b.op('y', 'SpaceToDepth', [d], { ...T(), block_size: a.i(2), data_format: a.s('NHWC') });
  const c = convert(b.build(), ['y']);
  assert.deepEqual(opsOf(c), ['DEPTH_TO_SPACE@1', 'SPACE_TO_DEPTH@1']);
  const x = randomValue('float32', [1, 3, 2, 8], 5);
  const [got] = await runTflite(c, [x]);
  assert.deepEqual(got.shape, [1, 3, 2, 8]);
  assert.deepEqual(Array.from(got.data as Float32Array), Array.from(x.data as Float32Array));
});

test('Concat (axis first) -> CONCATENATION', async (t) => {
  const b = new GraphDefBuilder();
  b.op('y', 'Concat', [b.const('axis', i32([], [0])), b.placeholder('x', 'float32', [2, 3]), b.placeholder('z', 'float32', [1, 3])], { ...T(), N: a.i(2) });
  await checkOp(t, b.build(), ['y'], { ops: ['CONCATENATION@1'], atol: 0 });
});

// Gather indices that TF would reject are not in these tests: TFLite and TF differ there by design.
test('GatherV2 reads the right rows (hand-checked)', async () => {
  const c = convert(gather([4, 2], [3], 0, 0), ['y']);
  assert.deepEqual(opsOf(c), ['GATHER@1']);
  const [got] = await runTflite(c, [makeValue('float32', [4, 2], [0, 1, 10, 11, 20, 21, 30, 31]), makeValue('int32', [3], [3, 0, 2])]);
  assert.deepEqual(Array.from(got.data as Float32Array), [30, 31, 0, 1, 20, 21]);
});
