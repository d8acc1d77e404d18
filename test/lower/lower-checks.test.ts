// What the lowering refuses, and why: inputs TFLite needs as constants (axes, shapes, paddings,
// filters), features newer than the runtime tfconv targets, layouts TFLite lacks. Each is one
// UNSUPPORTED_OPS error naming the op, the reason (the table's constraint) and the node.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DType } from '../../src/core/dtype.js';
import { LOWERINGS } from '../../src/lower/table.js';
import type { AttrValue } from '../../src/proto/types.js';
import { GraphDefBuilder, T, a, assertTfconvError, convert, i32 } from './harness.js';

type Build = (b: GraphDefBuilder) => void;

const p = (b: GraphDefBuilder, name: string, shape: number[], dtype: DType = 'float32'): string => b.placeholder(name, dtype, shape);

function refused(build: Build, reason: string): void {
  const b = new GraphDefBuilder();
  build(b);
  const escaped = reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  assertTfconvError(() => convert(b.build(), ['y']), 'UNSUPPORTED_OPS', new RegExp(`\\(${escaped}\\) x1 \\(e\\.g\\. 'y'\\)`));
}

const CASES: [string, Build, string][] = [
  ['Mean', (b) => b.op('y', 'Mean', [p(b, 'x', [2, 3]), p(b, 'ax', [1], 'int32')], { ...T(), keep_dims: a.b(false), Tidx: a.type('int32') }), 'the axes (input 1) must be a constant'],
  ['Sum', (b) => b.op('y', 'Sum', [p(b, 'x', [2, 3]), p(b, 'ax', [1], 'int32')], { ...T(), keep_dims: a.b(true), Tidx: a.type('int32') }), 'the axes (input 1) must be a constant'],
  ['Transpose', (b) => b.op('y', 'Transpose', [p(b, 'x', [2, 3]), p(b, 'perm', [2], 'int32')], { ...T(), Tperm: a.type('int32') }), 'the permutation (input 1) must be a constant'],
  ['Pad', (b) => b.op('y', 'Pad', [p(b, 'x', [2, 3]), p(b, 'pads', [2, 2], 'int32')], { ...T(), Tpaddings: a.type('int32') }), 'the paddings (input 1) must be a constant'],
  ['MirrorPad', (b) => b.op('y', 'MirrorPad', [p(b, 'x', [2, 3]), p(b, 'pads', [2, 2], 'int32')], { ...T(), Tpaddings: a.type('int32'), mode: a.s('REFLECT') }), 'the paddings (input 1) must be a constant'],
  ['Tile', (b) => b.op('y', 'Tile', [p(b, 'x', [2, 3]), p(b, 'm', [2], 'int32')], { ...T(), Tmultiples: a.type('int32') }), 'the multiples (input 1) must be a constant'],
  ['ResizeBilinear', (b) => b.op('y', 'ResizeBilinear', [p(b, 'x', [1, 2, 3, 1]), p(b, 's', [2], 'int32')], T()), 'the size (input 1) must be a constant'],
  ['ConcatV2', (b) => b.op('y', 'ConcatV2', [p(b, 'x', [2, 3]), p(b, 'z', [2, 3]), p(b, 'ax', [], 'int32')], { ...T(), N: a.i(2), Tidx: a.type('int32') }), 'the axis (last input) must be a constant'],
  ['GatherV2', (b) => b.op('y', 'GatherV2', [p(b, 'x', [2, 3]), p(b, 'i', [2], 'int32'), p(b, 'ax', [], 'int32')], { Tparams: a.type('float32'), Tindices: a.type('int32'), Taxis: a.type('int32'), batch_dims: a.i(0) }), 'the axis (input 2) must be a constant'],
  ['Split', (b) => b.op('y', 'Split', [p(b, 'ax', [], 'int32'), p(b, 'x', [2, 4])], { ...T(), num_split: a.i(2) }), 'the axis (input 0) must be a constant'],
  ['SplitV', (b) => b.op('y', 'SplitV', [p(b, 'x', [2, 4]), p(b, 's', [2], 'int32'), b.const('ax', i32([], [1]))], { ...T(), num_split: a.i(2), Tlen: a.type('int32') }), 'the sizes (input 1) must be a constant'],
  ['Slice', (b) => b.op('y', 'Slice', [p(b, 'x', [2, 4]), p(b, 'begin', [2], 'int32'), b.const('s', i32([2], [1, 2]))], { ...T(), Index: a.type('int32') }), 'begin (input 1) must be a constant'],
  ['StridedSlice', (b) => b.op('y', 'StridedSlice', [p(b, 'x', [2, 4]), b.const('bg', i32([2], [0, 0])), p(b, 'end', [2], 'int32'), b.const('st', i32([2], [1, 1]))], { ...T(), Index: a.type('int32'), ...masks() }), 'end (input 2) must be a constant'],
  ['ArgMax', (b) => b.op('y', 'ArgMax', [p(b, 'x', [2, 4]), p(b, 'ax', [], 'int32')], { ...T(), Tidx: a.type('int32'), output_type: a.type('int32') }), 'the axis (input 1) must be a constant'],
  ['Reshape to a shape computed at run time', (b) => b.op('y', 'Reshape', [p(b, 'x', [2, 4]), p(b, 's', [2], 'int32')], { ...T(), Tshape: a.type('int32') }), 'the output shape must be known when converting (a shape computed at run time is not supported)'],
  ['SpaceToBatchND', (b) => b.op('y', 'SpaceToBatchND', [p(b, 'x', [1, 4, 4, 1]), p(b, 'bs', [2], 'int32'), b.const('pd', i32([2, 2], [0, 0, 0, 0]))], { ...T(), Tblock_shape: a.type('int32'), Tpaddings: a.type('int32') }), 'block_shape (input 1) must be a constant'],
  ['Conv2D with a non-constant filter', (b) => b.op('y', 'Conv2D', [p(b, 'x', [1, 4, 4, 2]), p(b, 'w', [3, 3, 2, 2])], { ...T(), padding: a.s('SAME'), strides: a.ints([1, 1, 1, 1]), data_format: a.s('NHWC') }), 'the filter (input 1) must be a constant'],
  ['DepthwiseConv2dNative with a non-constant filter', (b) => b.op('y', 'DepthwiseConv2dNative', [p(b, 'x', [1, 4, 4, 2]), p(b, 'w', [3, 3, 2, 1])], { ...T(), padding: a.s('SAME'), strides: a.ints([1, 1, 1, 1]), data_format: a.s('NHWC') }), 'the filter (input 1) must be a constant'],
  ['Conv2DBackpropInput with a non-constant output shape', (b) => b.op('y', 'Conv2DBackpropInput', [p(b, 'sz', [4], 'int32'), b.weights('w', [3, 3, 2, 2], 1), p(b, 'x', [1, 4, 4, 2])], { ...T(), padding: a.s('SAME'), strides: a.ints([1, 1, 1, 1]), data_format: a.s('NHWC') }), 'the output shape (input 0) must be a constant'],
  ['Conv2DBackpropInput with dilations', (b) => b.op('y', 'Conv2DBackpropInput', [b.const('sz', i32([4], [1, 4, 4, 2])), b.weights('w', [3, 3, 2, 2], 1), p(b, 'x', [1, 4, 4, 2])], { ...T(), padding: a.s('SAME'), strides: a.ints([1, 1, 1, 1]), dilations: a.ints([1, 2, 2, 1]), data_format: a.s('NHWC') }), 'dilations must be 1 (TRANSPOSE_CONV has none)'],
  ['Cast to float64', (b) => b.op('y', 'Cast', [p(b, 'x', [2])], { SrcT: a.type('float32'), DstT: a.type('float64') }), 'casts from or to float16, float64 or bfloat16 need CAST version 5 or more (TFLite 2.12), newer than tfconv writes'],
  ['FusedBatchNormV3 in training mode', (b) => b.op('y', 'FusedBatchNormV3', [p(b, 'x', [1, 2, 2, 3]), ...['g', 'bt', 'm', 'v'].map((n) => b.weights(n, [3], 1))], { ...T(), U: a.type('float32'), epsilon: a.f(0.001), is_training: a.b(true), data_format: a.s('NHWC') }), 'is_training must be false (training batch norm has no TFLite op)'],
  ['FusedBatchNormV3 with a non-constant scale', (b) => b.op('y', 'FusedBatchNormV3', [p(b, 'x', [1, 2, 2, 3]), p(b, 'g', [3]), ...['bt', 'm', 'v'].map((n) => b.weights(n, [3], 1))], { ...T(), U: a.type('float32'), epsilon: a.f(0.001), is_training: a.b(false), data_format: a.s('NHWC') }), 'scale, offset, mean and variance (inputs 1-4) must be float32 constants'],
];

function masks(): Record<string, AttrValue> {
  return { begin_mask: a.i(0), end_mask: a.i(0), ellipsis_mask: a.i(0), new_axis_mask: a.i(0), shrink_axis_mask: a.i(0) };
}

for (const [what, build, reason] of CASES) {
  test(`${what}: refused with "${reason}"`, () => refused(build, reason));
}

test('every constraint reason is one line that says what must hold', () => {
  for (const [op, l] of Object.entries(LOWERINGS)) {
    for (const c of l.constraints) {
      assert.ok(/\b(must|need)\b/.test(c.reason) && !c.reason.includes('\n'), `${op}: "${c.reason}"`);
    }
  }
});

test('all unsupported nodes are reported in one error', () => {
  const b = new GraphDefBuilder();
  const x = p(b, 'x', [2, 3]);
  const m = b.op('m', 'Mean', [x, p(b, 'ax', [1], 'int32')], { ...T(), keep_dims: a.b(true), Tidx: a.type('int32') });
  b.op('y', 'Tile', [m, p(b, 'mul', [2], 'int32')], { ...T(), Tmultiples: a.type('int32') });
  assertTfconvError(() => convert(b.build(), ['y']), 'UNSUPPORTED_OPS', /^2 unsupported op types \(2 nodes\): .*Mean \(the axes .*Tile \(the multiples /);
});
