// fold-constants: tensors computed from constants only become constants and the nodes that
// computed them go. Values that follow a dynamic batch are not folded (QA's rule: a value is
// folded only when it is the same at another batch size), values that would blow up (a Fill of a
// huge size) are neither folded nor computed, and random/stateful ops stay. Folded graphs run in
// TFLite and match the TF reference, which computes the original ops.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TensorValue } from '../../src/core/tensor.js';
import { OTHER_SIZE, inferAtOtherSize, inferGraph } from '../../src/graph/infer.js';
import type { Graph, Tensor } from '../../src/graph/ir.js';
import { tfOps } from '../../src/graph/ops/index.js';
import { makeValue, numbers } from '../../src/graph/ops/util.js';
import { foldConstants } from '../../src/passes/fold-constants.js';
import { removeUnused } from '../../src/passes/remove-unused.js';
import { GraphDefBuilder, T, a, checkOp, i32 } from '../lower/harness.js';
import { assertUnchanged, ctx, graphBefore, ops } from './helpers.js';

const slice = { T: a.type('int32'), Index: a.type('int32'), begin_mask: a.i(0), end_mask: a.i(0), ellipsis_mask: a.i(0), new_axis_mask: a.i(0), shrink_axis_mask: a.i(1) };

/** y = Reshape(x * 2, Pack(Shape(x)[0], Shape(x)[1], 1)), as Keras and TF1 graphs compute targets. */
function shapeChain(x: number[]) {
  const b = new GraphDefBuilder();
  const xs = b.placeholder('x', 'float32', x);
  const shape = b.op('shape', 'Shape', [xs], { ...T(), out_type: a.type('int32') });
  const dim = (i: number) => b.op(`dim${i}`, 'StridedSlice', [shape, b.const(`b${i}`, i32([1], [i])), b.const(`e${i}`, i32([1], [i + 1])), b.const(`s${i}`, i32([1], [1]))], slice);
  const target = b.op('target', 'Pack', [dim(0), dim(1), b.const('one', i32([], [1]))], { T: a.type('int32'), N: a.i(3), axis: a.i(0) });
  const scaled = b.op('scaled', 'Mul', [xs, b.const('two', makeValue('float32', [], [2]))], T());
  b.op('y', 'Reshape', [scaled, target], { ...T(), Tshape: a.type('int32') });
  return b.build();
}

function tensor(g: Graph, name: string): Tensor {
  const t = g.tensors().find((x) => x.name === name);
  assert.ok(t, `no tensor ${name}`);
  return t;
}

const ints = (v: TensorValue | null | undefined) => (v ? Array.from(numbers(v)) : null);

test('Shape -> StridedSlice -> Pack of a static shape folds into the Reshape target; matches the TF reference', async (t) => {
  const g = graphBefore(shapeChain([2, 3]), ['y'], foldConstants);
  assert.deepEqual(ops(g).sort(), ['Mul', 'Pack', 'Reshape', 'Shape', 'StridedSlice', 'StridedSlice']);
  const r = foldConstants.apply(g, ctx);
  assert.equal(r.rewrites, 4);
  assert.deepEqual(ops(g), ['Mul', 'Reshape']);
  const target = g.nodes[1].input(1);
  assert.equal(target.producer, null);
  assert.deepEqual(ints(target.value), [2, 3, 1]);
  assert.deepEqual(target.signature, [3]);
  await checkOp(t, shapeChain([2, 3]), ['y'], { ops: ['MUL@1', 'RESHAPE@1'], atol: 0 });
});

test('a dynamic batch: values that follow it are not folded (they differ at another batch), those that do not are', () => {
  const g = graphBefore(shapeChain([-1, 3]), ['y'], foldConstants);
  // The rule, as the pass applies it: infer at batch 1 and at OTHER_SIZE and compare.
  const one = inferGraph(g, { unknownDim: 1 });
  const two = inferAtOtherSize(g);
  assert.ok(two);
  for (const [name, at1, at2] of [
    ['shape', [1, 3], [OTHER_SIZE, 3]],
    ['dim0', [1], [OTHER_SIZE]],
    ['dim1', [3], [3]],
    ['target', [1, 3, 1], [OTHER_SIZE, 3, 1]],
  ] as const) {
    assert.deepEqual(ints(one.tensors.get(tensor(g, name))?.value), at1, `${name} at batch 1`);
    assert.deepEqual(ints(two.tensors.get(tensor(g, name))?.value), at2, `${name} at batch ${OTHER_SIZE}`);
  }
  const r = foldConstants.apply(g, ctx);
  assert.equal(r.rewrites, 1, 'only Shape(x)[1] is the same at every batch');
  assert.deepEqual(ints(tensor(g, 'dim1').value), [3]);
  for (const name of ['shape', 'dim0', 'target']) assert.equal(tensor(g, name).value, null, `${name} is not pinned to batch 1`);
  assert.deepEqual(g.outputs[0].signature, [-1, 3, 1]);
});

test('a dynamic batch: the RESHAPE still gets a constant target, with -1, and the shape chain is then unused', async (t) => {
  const c = await checkOp(t, shapeChain([-1, 3]), ['y'], { ops: ['MUL@1', 'RESHAPE@1'], atol: 0 });
  const reshape = c.graph.nodes[1];
  assert.deepEqual(reshape.options.new_shape, [-1, 3, 1]);
  assert.deepEqual(ints(reshape.input(1).value), [-1, 3, 1]);
  // Right after lowering the chain is still there; remove-unused drops it.
  const lowered = graphBefore(shapeChain([-1, 3]), ['y'], removeUnused);
  assert.deepEqual(ops(lowered).sort(), ['MUL', 'PACK', 'RESHAPE', 'SHAPE', 'STRIDED_SLICE']);
});

test('growth limit: a Fill of a huge size is neither folded nor computed; up to 2^20 elements it is', () => {
  const fill = (dims: number[]) => {
    const b = new GraphDefBuilder();
    const x = b.placeholder('x', 'float32', [1]);
    const f = b.op('f', 'Fill', [b.const('dims', i32([dims.length], dims)), b.const('v', makeValue('float32', [], [1.5]))], { ...T(), index_type: a.type('int32') });
    b.op('y', 'AddV2', [f, x], T());
    return graphBefore(b.build(), ['y'], foldConstants);
  };
  const sem = tfOps.Fill;
  const evaluate = sem.evaluate;
  assert.ok(evaluate);
  let computed = 0;
  sem.evaluate = (n, inputs) => {
    computed++;
    return evaluate(n, inputs);
  };
  try {
    for (const dims of [
      [1 << 20, 1 << 20],
      [4096, 4096],
      [1024, 1025],
    ]) {
      const g = fill(dims);
      assert.equal(computed, 0, `${JSON.stringify(dims)}: not computed while shapes were annotated`);
      assertUnchanged(foldConstants, g, `Fill ${JSON.stringify(dims)}`);
      assert.equal(computed, 0, `${JSON.stringify(dims)}: never computed`);
      assert.equal(tensor(g, 'f').value, null);
    }
    const g = fill([1024, 1024]);
    assert.equal(foldConstants.apply(g, ctx).rewrites, 1);
    assert.equal(computed, 1);
    const v = tensor(g, 'f').value;
    assert.deepEqual(v?.shape, [1024, 1024]);
    assert.ok(v && numbers(v).every((x) => x === 1.5));
  } finally {
    sem.evaluate = evaluate;
  }
});

test('random ops with constant inputs are not folded, nor anything computed from them', () => {
  for (const op of ['RandomUniform', 'RandomStandardNormal']) {
    const b = new GraphDefBuilder();
    const x = b.placeholder('x', 'float32', [2, 3]);
    const r = b.op('r', op, [b.const('shape', i32([2], [2, 3]))], { T: a.type('int32'), dtype: a.type('float32'), seed: a.i(1), seed2: a.i(2) });
    const scaled = b.op('scaled', 'Mul', [r, b.const('k', makeValue('float32', [], [3]))], T());
    b.op('y', 'AddV2', [x, scaled], T());
    // (TFLite has no RandomStandardNormal: the support check would stop the pipeline first.)
    const g = graphBefore(b.build(), ['y'], foldConstants, ['check-supported']);
    assert.deepEqual(ops(g), [op, 'Mul', 'AddV2']);
    assertUnchanged(foldConstants, g, `${op} is random`);
  }
});

test('weights computed from constants (Mul, Transpose) fold to the float32 values; matches the TF reference', async (t) => {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', [2, 5]);
  const w0 = b.weights('w0', [3, 5], 9);
  const half = b.op('half', 'Mul', [w0, b.const('k', makeValue('float32', [], [0.3]))], T());
  const w = b.op('w', 'Transpose', [half, b.const('perm', i32([2], [1, 0]))], { ...T(), Tperm: a.type('int32') });
  b.op('y', 'MatMul', [x, w], { ...T(), transpose_a: a.b(false), transpose_b: a.b(false) });
  const gd = b.build();
  const g = graphBefore(gd, ['y'], foldConstants);
  const raw = numbers(tensor(g, 'w0').value as TensorValue);
  assert.equal(foldConstants.apply(g, ctx).rewrites, 2);
  assert.deepEqual(ops(g), ['MatMul']);
  const folded = tensor(g, 'w');
  assert.deepEqual(folded.shape, [5, 3]);
  // Element [i][j] of the transpose is w0[j][i] * 0.3, rounded once to float32.
  const expected = Array.from({ length: 15 }, (_, k) => Math.fround(raw[(k % 3) * 5 + Math.floor(k / 3)] * Math.fround(0.3)));
  assert.deepEqual(Array.from(numbers(folded.value as TensorValue)), expected);
  await checkOp(t, gd, ['y'], { ops: ['FULLY_CONNECTED@1'], atol: 1e-5 });
});

test('a second run changes nothing', () => {
  const g = graphBefore(shapeChain([2, 3]), ['y'], foldConstants);
  foldConstants.apply(g, ctx);
  assertUnchanged(foldConstants, g, 'idempotent');
});
