// remove-unused: nodes no graph output depends on go (the Shape -> StridedSlice -> Pack chain a
// dynamic Reshape leaves once lowering gave RESHAPE a constant target), and the rest stays in
// topological order. The outputs are the same in the TFLite runtime before and after.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeValue } from '../../src/graph/ops/util.js';
import { removeUnused } from '../../src/passes/remove-unused.js';
import { GraphDefBuilder, T, a, i32 } from '../lower/harness.js';
import { assertUnchanged, beforeAfter, ctx, graphBefore, ops } from './helpers.js';

const slice = { T: a.type('int32'), Index: a.type('int32'), begin_mask: a.i(0), end_mask: a.i(0), ellipsis_mask: a.i(0), new_axis_mask: a.i(0), shrink_axis_mask: a.i(1) };

/** y = Reshape(Relu(x), Pack(Shape(x)[0], 3, 1)) with x [-1, 3]; `split` also takes one of two outputs. */
function dynamicReshape(o: { split?: boolean } = {}) {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', [-1, 3]);
  const shape = b.op('shape', 'Shape', [x], { ...T(), out_type: a.type('int32') });
  const batch = b.op('batch', 'StridedSlice', [shape, b.const('b0', i32([1], [0])), b.const('e0', i32([1], [1])), b.const('s0', i32([1], [1]))], slice);
  const target = b.op('target', 'Pack', [batch, b.const('three', i32([], [3])), b.const('one', i32([], [1]))], { T: a.type('int32'), N: a.i(3), axis: a.i(0) });
  const r = b.op('relu', 'Relu', [x], T());
  const outputs = [b.op('y', 'Reshape', [r, target], { ...T(), Tshape: a.type('int32') })];
  if (o.split) {
    b.op('halves', 'Split', [b.const('axis', i32([], [0])), b.op('wide', 'Tile', [r, b.const('reps', i32([2], [2, 1]))], { ...T(), Tmultiples: a.type('int32') })], { ...T(), num_split: a.i(2) });
    outputs.push(b.op('z', 'Mul', ['halves:1', b.const('k', makeValue('float32', [], [2]))], T()));
  }
  return { gd: b.build(), outputs };
}

test('the shape chain a lowered dynamic Reshape no longer reads goes; the outputs are the same in the runtime', async () => {
  const { gd, outputs } = dynamicReshape();
  const g = graphBefore(gd, outputs, removeUnused);
  assert.deepEqual(ops(g).sort(), ['PACK', 'RELU', 'RESHAPE', 'SHAPE', 'STRIDED_SLICE']);
  const r = await beforeAfter(removeUnused, g);
  assert.equal(r.rewrites, 3);
  assert.deepEqual(ops(g), ['RELU', 'RESHAPE']);
  assert.equal(r.diff, 0);
});

test('a node with one output read and another not stays; the order stays topological', () => {
  // Structure only: the TFLite WASM runtime's XNNPACK delegate fails to invoke a SPLIT whose
  // output nobody reads (the file is well-formed; so is a model with both halves read), before
  // and after this pass alike.
  const { gd, outputs } = dynamicReshape({ split: true });
  const g = graphBefore(gd, outputs, removeUnused);
  assert.equal(removeUnused.apply(g, ctx).rewrites, 3);
  assert.deepEqual(ops(g), ['RELU', 'RESHAPE', 'TILE', 'SPLIT', 'MUL']);
  const seen = new Set(g.inputs);
  for (const n of g.nodes) {
    for (const t of n.inputs) if (t && !t.isConstant) assert.ok(seen.has(t), `${n.name} reads ${t.name} before it is computed`);
    for (const t of n.outputs) seen.add(t);
  }
});

test('every node needed: unchanged; a second run changes nothing', () => {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', [2, 3]);
  b.op('y', 'Relu', [b.op('n', 'Neg', [x], T())], T());
  assertUnchanged(removeUnused, graphBefore(b.build(), ['y'], removeUnused), 'everything is needed');
  const { gd, outputs } = dynamicReshape();
  const g = graphBefore(gd, outputs, removeUnused);
  assert.equal(removeUnused.apply(g, ctx).rewrites, 3);
  assertUnchanged(removeUnused, g, 'idempotent');
});
