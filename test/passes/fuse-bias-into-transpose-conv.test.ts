// fuse-bias-into-transpose-conv: a per-channel constant added after a TRANSPOSE_CONV becomes its
// bias input (version 3), checked against the TF reference; other cases stay as they are.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuseBiasIntoTransposeConv } from '../../src/passes/fuse-bias-into-transpose-conv.js';
import { GraphDefBuilder, T, a, checkOp, convert, i32, opsOf } from '../lower/harness.js';

function deconv(after: { op: 'BiasAdd' | 'AddV2' | 'Sub'; shape: number[]; swap?: boolean; relu?: boolean; extraReader?: boolean }) {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', [1, 3, 4, 2]);
  const tc = b.op('tc', 'Conv2DBackpropInput', [b.const('sizes', i32([4], [1, 6, 8, 3])), b.weights('w', [3, 3, 3, 2], 4), x], {
    ...T(),
    padding: a.s('SAME'),
    strides: a.ints([1, 2, 2, 1]),
    data_format: a.s('NHWC'),
  });
  const c = b.weights('c', after.shape, 5);
  const ins = after.swap ? [c, tc] : [tc, c];
  const y = b.op(after.relu ? 'add' : 'y', after.op, ins, after.op === 'BiasAdd' ? { ...T(), data_format: a.s('NHWC') } : T());
  if (after.relu) b.op('y', 'Relu', [y], T());
  if (after.extraReader) b.op('y2', 'Neg', [tc], T());
  return b.build();
}

const ATOL = 1e-5;

test('TRANSPOSE_CONV + BiasAdd -> TRANSPOSE_CONV with bias', async (t) => {
  await checkOp(t, deconv({ op: 'BiasAdd', shape: [3] }), ['y'], { ops: ['TRANSPOSE_CONV@3'], atol: ATOL });
});

test('c + TRANSPOSE_CONV (constant first), then Relu -> TRANSPOSE_CONV with bias, RELU kept', async (t) => {
  await checkOp(t, deconv({ op: 'AddV2', shape: [3], swap: true, relu: true }), ['y'], { ops: ['TRANSPOSE_CONV@3', 'RELU@1'], atol: ATOL });
});

test('TRANSPOSE_CONV - c -> TRANSPOSE_CONV with bias -c', async (t) => {
  await checkOp(t, deconv({ op: 'Sub', shape: [1, 1, 3] }), ['y'], { ops: ['TRANSPOSE_CONV@3'], atol: ATOL });
});

test('c - TRANSPOSE_CONV, a non-per-channel constant, or a shared output: unchanged', () => {
  assert.deepEqual(opsOf(convert(deconv({ op: 'Sub', shape: [3], swap: true }), ['y'])), ['TRANSPOSE_CONV@1', 'SUB@1']);
  assert.deepEqual(opsOf(convert(deconv({ op: 'AddV2', shape: [8, 3] }), ['y'])), ['TRANSPOSE_CONV@1', 'ADD@1']);
  assert.deepEqual(opsOf(convert(deconv({ op: 'BiasAdd', shape: [3], extraReader: true }), ['y', 'y2'])), ['TRANSPOSE_CONV@1', 'ADD@1', 'NEG@1']);
});

test('a second run changes nothing', () => {
  const c = convert(deconv({ op: 'BiasAdd', shape: [3] }), ['y']);
  assert.equal(fuseBiasIntoTransposeConv.apply(c.graph, { allowCustomOps: false, log: () => {} }).rewrites, 0);
});
