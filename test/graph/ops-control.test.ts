import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphBuilder, a, f32, i32, infer, nums, tv } from './ops-harness.js';

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

test('While/If shapes come from output_shapes (or the loop inputs); TensorList handles are scalar variants', () => {
  const shapesAttr = (list: (number[] | null)[]) => ({
    value: 'list' as const,
    list: {
      s: [],
      i: [],
      f: [],
      b: [],
      type: [],
      shape: list.map((d) => ({ dim: (d ?? []).map((size) => ({ size, name: '' })), unknown_rank: d === null })),
      tensor: [],
      func: [],
    },
  });
  const x = { dtype: 'float32' as const, shape: [2, 3] };
  const i = { dtype: 'int32' as const, shape: [] };
  assert.deepEqual(
    infer('StatelessWhile', [i, x], { T: a.types(['int32', 'float32']) }).map((o) => [o.dtype, o.shape]),
    [
      ['int32', []],
      ['float32', [2, 3]],
    ],
  );
  assert.deepEqual(
    infer('While', [i, x], { T: a.types(['int32', 'float32']), output_shapes: shapesAttr([[], [-1, 3]]) }).map((o) => o.shape),
    [[], [-1, 3]],
  );
  assert.deepEqual(
    infer('StatelessIf', [tv('bool', [], [1]), x], { Tout: a.types(['float32']), output_shapes: shapesAttr([null]) }).map((o) => o.shape),
    [null],
  );
  const [h] = infer('TensorListReserve', [i32([2], [-1, 32]), i32([], [5])], { element_dtype: a.type('float32') });
  assert.deepEqual([h.dtype, h.shape], ['variant', []]);
  const [item] = infer('TensorListGetItem', [h, i32([], [0]), i32([2], [-1, 32])], { element_dtype: a.type('float32') });
  assert.deepEqual(item.shape, [-1, 32]);
  const [stacked] = infer('TensorListStack', [h, i32([2], [1, 32])], { element_dtype: a.type('float32'), num_elements: a.i(5) });
  assert.deepEqual(stacked.shape, [5, 1, 32]);
  const [unknownRank] = infer('TensorListStack', [h, i32([], [-1])], { element_dtype: a.type('float32') });
  assert.equal(unknownRank.shape, null);
  const offsets = infer('ConcatOffset', [i32([], [1]), i32([3], [2, 2, 7]), i32([3], [2, 3, 7])], { N: a.i(2) });
  assert.deepEqual(
    offsets.map((o) => nums(o.value!)),
    [
      [0, 0, 0],
      [0, 2, 0],
    ],
  );
});
