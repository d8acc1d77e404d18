import assert from 'node:assert/strict';
import { test } from 'node:test';
import { a, assertShapeError, f32, i32, infer, nums, run, shapes, tv } from './ops-harness.js';

test('Mean on integers truncates toward zero (C++ division), per row', () => {
  const [m] = run('Mean', [i32([2, 3], [1, 2, 2, -1, -2, -2]), i32([], [1])]);
  assert.deepEqual(m.shape, [2]);
  assert.deepEqual(nums(m), [1, -1]);
  assert.deepEqual(nums(run('Mean', [f32([2, 3], [1, 2, 2, -1, -2, -2]), i32([], [1])])[0]), [Math.fround(5 / 3), Math.fround(-5 / 3)]);
});

test('keep_dims, negative and repeated axes, empty axis list', () => {
  const x = f32([2, 3], [1, 2, 3, 4, 5, 6]);
  const [s] = run('Sum', [x, i32([1], [-1])], { keep_dims: a.b(true) });
  assert.deepEqual(s.shape, [2, 1]);
  assert.deepEqual(nums(s), [6, 15]);
  assert.deepEqual(nums(run('Sum', [x, i32([2], [0, -2])])[0]), [5, 7, 9]);
  const [all] = run('Sum', [x, i32([2], [1, 0])], { keep_dims: a.b(true) });
  assert.deepEqual([all.shape, nums(all)], [[1, 1], [21]]);
  const [none] = run('Prod', [x, i32([0], [])]);
  assert.deepEqual([none.shape, nums(none)], [[2, 3], [1, 2, 3, 4, 5, 6]]);
  assertShapeError(() => infer('Sum', [x, i32([], [2])]), /invalid reduction dimension 2 for input of rank 2/);
  assert.deepEqual(shapes('Max', [{ dtype: 'float32', shape: [-1, 5, 7] }, i32([], [1])]), [[-1, 7]]);
  assert.deepEqual(shapes('Max', [{ dtype: 'float32', shape: [4, 5] }, { dtype: 'int32', shape: [] }], { keep_dims: a.b(true) }), [[-1, -1]]);
});

test('Max/Min propagate NaN; Prod, All, Any; EuclideanNorm', () => {
  assert.ok(Number.isNaN(nums(run('Max', [f32([3], [1, NaN, 3]), i32([], [0])])[0])[0]));
  assert.deepEqual(nums(run('Min', [f32([2, 2], [4, -1, 2, 7]), i32([], [0])])[0]), [2, -1]);
  assert.deepEqual(nums(run('Max', [i32([0], []), i32([], [0])])[0]), [-2147483648]);
  assert.deepEqual(nums(run('Prod', [i32([3], [2, 3, 4]), i32([], [0])])[0]), [24]);
  const b = tv('bool', [2, 2], [1, 0, 1, 1]);
  const [all] = run('All', [b, i32([], [1])]);
  assert.equal(all.dtype, 'bool');
  assert.deepEqual(nums(all), [0, 1]);
  assert.deepEqual(nums(run('Any', [b, i32([], [0])])[0]), [1, 1]);
  assert.deepEqual(nums(run('EuclideanNorm', [f32([2], [3, 4]), i32([], [0])])[0]), [5]);
});

test('ArgMax/ArgMin: first extreme wins, output_type, dimension checks', () => {
  const x = f32([2, 3], [1, 3, 3, 4, 0, 4]);
  const [am] = run('ArgMax', [x, i32([], [1])]);
  assert.equal(am.dtype, 'int64');
  assert.deepEqual(nums(am), [1, 0]);
  const [an] = run('ArgMin', [x, i32([], [0])], { output_type: a.type('int32') });
  assert.equal(an.dtype, 'int32');
  assert.deepEqual(nums(an), [0, 1, 0]);
  assert.deepEqual(nums(run('ArgMax', [x, i32([], [-1])])[0]), [1, 0]);
  assertShapeError(() => infer('ArgMax', [x, i32([], [2])]), /\[-2, 2\), but got 2/);
});
