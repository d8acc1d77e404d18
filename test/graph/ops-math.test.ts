import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, TfconvError } from '../../src/errors/index.js';
import { tfOps } from '../../src/graph/ops/index.js';
import { GraphBuilder, a, assertShapeError, f32, i32, infer, nums, run } from './ops-harness.js';

test('IsNan, IsInf, IsFinite give bool tensors', () => {
  const x = f32([4], [1, NaN, Infinity, -Infinity]);
  const [n] = run('IsNan', [x]);
  assert.equal(n.dtype, 'bool');
  assert.deepEqual(nums(n), [0, 1, 0, 0]);
  assert.deepEqual(nums(run('IsInf', [x])[0]), [0, 0, 1, 1]);
  assert.deepEqual(nums(run('IsFinite', [x])[0]), [1, 0, 0, 0]);
});

test('ClipByValue, Cumsum (exclusive, reverse), Cumprod, truncating Mod', () => {
  assert.deepEqual(nums(run('ClipByValue', [f32([3], [-2, 0.5, 3]), f32([], [0]), f32([], [1])])[0]), [0, 0.5, 1]);
  assertShapeError(() => infer('ClipByValue', [f32([3], [1, 2, 3]), f32([2], [0, 0]), f32([], [1])]), /must be a scalar or have the shape of t/);
  const x = f32([3], [1, 2, 3]);
  const axis = i32([], [0]);
  assert.deepEqual(nums(run('Cumsum', [x, axis])[0]), [1, 3, 6]);
  assert.deepEqual(nums(run('Cumsum', [x, axis], { exclusive: a.b(true) })[0]), [0, 1, 3]);
  assert.deepEqual(nums(run('Cumsum', [x, axis], { reverse: a.b(true) })[0]), [6, 5, 3]);
  assert.deepEqual(nums(run('Cumsum', [x, axis], { reverse: a.b(true), exclusive: a.b(true) })[0]), [5, 3, 0]);
  assert.deepEqual(nums(run('Cumprod', [f32([2, 2], [1, 2, 3, 4]), i32([], [1])])[0]), [1, 2, 3, 12]);
  assert.deepEqual(nums(run('Mod', [i32([2], [-7, 7]), i32([], [3])])[0]), [-1, 1]);
  assert.deepEqual(nums(run('FloorMod', [i32([2], [-7, 7]), i32([], [3])])[0]), [2, 1]);
});

test('Random ops get their shape from the shape input and are never folded', () => {
  const b = new GraphBuilder();
  const [r] = b.add('RandomUniform', [b.constant(i32([2], [2, 3]))], { dtype: a.type('float32'), seed: a.i(0) });
  const [y] = b.add('Floor', [r]);
  const res = b.infer();
  assert.deepEqual(res.tensors.get(y)?.shape, [2, 3]);
  assert.equal(res.tensors.get(r)?.value, null);
  assert.equal(res.tensors.get(y)?.value, null);
  assert.equal(tfOps.RandomUniform.stateful, true);
});

test('Variables: declared shape and dtype; Assign and ApplyGradientDescent return the variable', () => {
  const [v] = infer('VariableV2', [], { dtype: a.type('float32'), shape: a.shape([3, 4]) });
  assert.deepEqual([v.dtype, v.shape], ['float32', [3, 4]]);
  const [g] = infer('ApplyGradientDescent', [{ dtype: 'float32', shape: [3, 4] }, f32([], [0.1]), { dtype: 'float32', shape: [3, 4] }]);
  assert.deepEqual(g.shape, [3, 4]);
});

test('Broadcasting errors through the driver are SHAPE_ERRORs naming the node', () => {
  const b = new GraphBuilder();
  b.add('AddV2', [b.input('x', 'float32', [-1, 3]), b.input('y', 'float32', [4])]);
  assert.throws(
    () => b.infer(),
    (e: unknown) => e instanceof TfconvError && e.code === ErrorCode.SHAPE_ERROR && /^node 'addv2_0' \(AddV2\): cannot broadcast shapes \[1,3\] and \[4\]$/.test(e.message),
  );
});
