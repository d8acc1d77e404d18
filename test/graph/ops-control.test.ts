import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphBuilder, f32, nums, tv } from './ops-harness.js';

test('Switch with a constant predicate: one live output, deadness flows, Merge takes the live input', () => {
  const b = new GraphBuilder();
  const data = b.constant(f32([2], [1, 2]));
  const [whenFalse, whenTrue] = b.add('Switch', [data, b.constant(tv('bool', [], [1]))]);
  const [deadPath] = b.add('Neg', [whenFalse]);
  const [livePath] = b.add('Add', [whenTrue, b.constant(f32([], [10]))]);
  const [merged, index] = b.add('Merge', [deadPath, livePath], {});
  const r = b.infer();
  assert.equal(r.tensors.get(whenFalse)?.dead, true);
  assert.equal(r.tensors.get(whenFalse)?.shape, null);
  assert.equal(r.tensors.get(deadPath)?.dead, true);
  assert.equal(r.tensors.get(whenTrue)?.dead, undefined);
  assert.deepEqual(nums(r.tensors.get(whenTrue)?.value!), [1, 2]);
  assert.deepEqual(nums(r.tensors.get(livePath)?.value!), [11, 12]);
  const m = r.tensors.get(merged);
  assert.deepEqual([m?.dead, m?.shape], [undefined, [2]]);
  assert.deepEqual(nums(m?.value!), [11, 12]);
  assert.deepEqual(nums(r.tensors.get(index)?.value!), [1]);
});

test('Switch with an unknown predicate: both outputs live; Merge merges shapes without a value', () => {
  const b = new GraphBuilder();
  const x = b.input('x', 'float32', [-1, 3]);
  const pred = b.input('p', 'bool', []);
  const [f, t] = b.add('Switch', [x, pred]);
  const [sq] = b.add('Square', [f]);
  const [merged, index] = b.add('Merge', [sq, t]);
  const r = b.infer(2);
  assert.deepEqual(r.tensors.get(f)?.shape, [2, 3]);
  assert.deepEqual(r.tensors.get(t)?.shape, [2, 3]);
  assert.deepEqual(r.tensors.get(merged)?.shape, [2, 3]);
  assert.equal(r.tensors.get(merged)?.value, null);
  assert.deepEqual(r.tensors.get(index)?.shape, []);
  assert.equal(r.tensors.get(index)?.value ?? null, null);
});

test('A Merge whose inputs are all dead is dead; NoOp and Assert have no data outputs', () => {
  const b = new GraphBuilder();
  const [f] = b.add('Switch', [b.constant(f32([1], [1])), b.constant(tv('bool', [], [1]))]);
  const [m] = b.add('Merge', [f, f]);
  const [after] = b.add('Identity', [m]);
  b.add('NoOp', [], {}, 0);
  const r = b.infer();
  assert.equal(r.tensors.get(m)?.dead, true);
  assert.equal(r.tensors.get(after)?.dead, true);
  assert.deepEqual(r.unknownOps, []);
});
