// collapse-reshapes: RESHAPE(RESHAPE(x)) reads x directly when the inner one has no other reader,
// and a RESHAPE that changes neither the shape nor the shape signature disappears, except where
// it is all that stands between a graph input and a graph output. Positive cases run before and
// after in the TFLite runtime (equal bit for bit: reshapes move no values).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collapseReshapes } from '../../src/passes/collapse-reshapes.js';
import { GraphDefBuilder, T, a, i32 } from '../lower/harness.js';
import { assertUnchanged, beforeAfter, ctx, graphBefore, ops } from './helpers.js';

const R = { ...T(), Tshape: a.type('int32') };

/** x -> [Neg] -> Reshape(targets[0]) -> Reshape(targets[1]) ... -> [Neg]. */
function chain(x: number[], targets: number[][], o: { negBefore?: boolean; negAfter?: boolean; readMiddle?: boolean } = {}) {
  const b = new GraphDefBuilder();
  let t = b.placeholder('x', 'float32', x);
  if (o.negBefore) t = b.op('pre', 'Neg', [t], T());
  const reshapes: string[] = [];
  targets.forEach((s, i) => {
    t = b.op(`r${i}`, 'Reshape', [t, b.const(`s${i}`, i32([s.length], s))], R);
    reshapes.push(t);
  });
  const outputs: string[] = [];
  if (o.negAfter) t = b.op('y', 'Neg', [t], T());
  outputs.push(t);
  if (o.readMiddle) {
    b.op('y2', 'Abs', [reshapes[0]], T());
    outputs.push('y2');
  }
  return graphBefore(b.build(), outputs, collapseReshapes);
}

test('a chain of reshapes becomes one, keeping the last target (with -1 for the batch)', async () => {
  const g = chain([-1, 12], [[-1, 2, 6], [-1, 3, 4], [-1, 4, 3]], { negAfter: true });
  assert.deepEqual(ops(g), ['RESHAPE', 'RESHAPE', 'RESHAPE', 'NEG']);
  const r = await beforeAfter(collapseReshapes, g);
  assert.equal(r.rewrites, 2);
  assert.deepEqual(ops(g), ['RESHAPE', 'NEG']);
  const [reshape] = g.nodes;
  assert.equal(reshape.inputs[0], g.inputs[0]);
  assert.deepEqual(reshape.options.new_shape, [-1, 4, 3]);
  assert.deepEqual(Array.from(reshape.input(1).value?.data as Int32Array), [-1, 4, 3]);
  assert.deepEqual(reshape.output(0).signature, [-1, 4, 3]);
  assert.equal(r.diff, 0);
});

test('a reshape to the same shape and signature disappears, the graph output keeping its name', async () => {
  for (const x of [
    [2, 3],
    [-1, 6],
  ]) {
    const g = chain(x, [[x[0] < 0 ? -1 : 2, x[1]]], { negBefore: true, negAfter: true });
    assert.deepEqual(ops(g), ['NEG', 'RESHAPE', 'NEG']);
    const r = await beforeAfter(collapseReshapes, g);
    assert.equal(r.rewrites, 1, JSON.stringify(x));
    assert.deepEqual(ops(g), ['NEG', 'NEG']);
    assert.equal(r.diff, 0);
  }
  // Last before the output: the NEG's output takes the graph output's name.
  const g = chain([2, 3], [[2, 3]], { negBefore: true });
  assert.equal(collapseReshapes.apply(g, ctx).rewrites, 1);
  assert.deepEqual(ops(g), ['NEG']);
  assert.equal(g.outputs[0].name, 'r0');
  assert.equal(g.signature?.outputs[0].tensor, g.outputs[0]);
});

test('an identity reshape between a graph input and a graph output stays (the model would have no op)', () => {
  const g = chain([2, 3], [[2, 3]]);
  assert.deepEqual(ops(g), ['RESHAPE']);
  assertUnchanged(collapseReshapes, g, 'input -> RESHAPE -> output');
  // Also when a chain collapses into that.
  const g2 = chain([2, 3], [[3, 2], [2, 3]]);
  const { rewrites } = collapseReshapes.apply(g2, ctx);
  assert.equal(rewrites, 1);
  assert.deepEqual(ops(g2), ['RESHAPE']);
  assert.equal(g2.nodes[0].inputs[0], g2.inputs[0]);
  assertUnchanged(collapseReshapes, g2, 'input -> RESHAPE -> output');
});

test('same static shape, other signature: [-1, 1] -> [1, -1] is [1, 1] -> [1, 1] at batch 1 but not a no-op', () => {
  const g = chain([-1, 1], [[1, -1]], { negBefore: true, negAfter: true });
  const reshape = g.nodes[1];
  assert.deepEqual([reshape.input(0).shape, reshape.input(0).signature], [[1, 1], [-1, 1]]);
  assert.deepEqual([reshape.output(0).shape, reshape.output(0).signature], [[1, 1], [1, -1]]);
  assertUnchanged(collapseReshapes, g, 'the signatures differ');
});

test('an inner reshape read by another op: unchanged', () => {
  const g = chain([2, 12], [[2, 3, 4], [6, 4]], { readMiddle: true });
  assert.deepEqual(ops(g), ['RESHAPE', 'RESHAPE', 'ABS']);
  assertUnchanged(collapseReshapes, g, 'ABS reads the inner reshape');
});

test('run to its fixed point, a second run changes nothing', async () => {
  const g = chain([-1, 12], [[-1, 2, 6], [-1, 12]], { negBefore: true, negAfter: true });
  const r = await beforeAfter(collapseReshapes, g);
  // The chain merges into one reshape back to [-1, 12], which then disappears.
  assert.equal(r.rewrites, 2);
  assert.deepEqual(ops(g), ['NEG', 'NEG']);
  assertUnchanged(collapseReshapes, g, 'nothing left');
});
