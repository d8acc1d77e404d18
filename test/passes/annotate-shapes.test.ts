// annotate-shapes: every tensor gets its dtype, a static shape (an unknown batch as 1) and a TFLite
// shape signature with -1 exactly where the dimension follows the unknown input dimension. A
// second run (the pipeline annotates again after folding) keeps the -1s. Checked against the TF
// reference run at batch 1 and batch 3: the static shapes are batch 1's, and the dimensions marked
// -1 are exactly those that change.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Graph, Tensor } from '../../src/graph/ir.js';
import { annotateShapesPass } from '../../src/passes/annotate-shapes.js';
import { runTfReference } from '../../src/runtime/tf-reference.js';
import { GraphDefBuilder, T, a, i32, randomValue } from '../lower/harness.js';
import { ctx, graphBefore, importGraphDef } from './helpers.js';

const OUTPUTS = ['sum', 'flat', 'transposed', 'mean', 'count'];

/**
 * x [-1, 4] and z [3]: a = x @ w + z; a sum over the batch, a flattening, a transpose, a mean
 * over the features and the batch size as a value.
 */
function graph(pinned = false) {
  const b = new GraphDefBuilder();
  let x = b.placeholder('x', 'float32', [-1, 4]);
  if (pinned) x = b.op('pin', 'Reshape', [x, b.const('one_by_4', i32([2], [1, 4]))], { ...T(), Tshape: a.type('int32') });
  const z = b.placeholder('z', 'float32', [3]);
  const mm = b.op('mm', 'MatMul', [x, b.weights('w', [4, 3], 1)], { ...T(), transpose_a: a.b(false), transpose_b: a.b(false) });
  const y = b.op('y', 'AddV2', [mm, z], T());
  b.op('sum', 'Sum', [y, b.const('ax0', i32([1], [0]))], { ...T(), Tidx: a.type('int32'), keep_dims: a.b(false) });
  b.op('flat', 'Reshape', [y, b.const('minus1', i32([1], [-1]))], { ...T(), Tshape: a.type('int32') });
  b.op('transposed', 'Transpose', [y, b.const('perm', i32([2], [1, 0]))], { ...T(), Tperm: a.type('int32') });
  b.op('mean', 'Mean', [y, b.const('ax1', i32([1], [1]))], { ...T(), Tidx: a.type('int32'), keep_dims: a.b(true) });
  b.op('count', 'Size', [y], { ...T(), out_type: a.type('int32') });
  return b.build();
}

function byName(g: Graph, name: string): Tensor {
  const t = g.tensors().find((x) => x.name === name);
  assert.ok(t, name);
  return t;
}

const io = (t: Tensor) => [t.dtype, t.shape, t.signature];

test('static shapes at batch 1, -1 exactly where a dimension follows the batch', () => {
  const g = graphBefore(graph(), OUTPUTS, annotateShapesPass);
  const r = annotateShapesPass.apply(g, ctx);
  assert.equal(r.rewrites, 0, 'annotating is not a rewrite');
  const want: Record<string, [string, number[], number[]]> = {
    x: ['float32', [1, 4], [-1, 4]],
    z: ['float32', [3], [3]],
    mm: ['float32', [1, 3], [-1, 3]],
    y: ['float32', [1, 3], [-1, 3]],
    sum: ['float32', [3], [3]],
    flat: ['float32', [3], [-1]],
    transposed: ['float32', [3, 1], [3, -1]],
    mean: ['float32', [1, 1], [-1, 1]],
    count: ['int32', [], []],
  };
  for (const [name, expected] of Object.entries(want)) assert.deepEqual(io(byName(g, name)), expected, name);
});

test('a second run keeps the signatures (the input is seen as unknown again)', () => {
  const g = graphBefore(graph(), OUTPUTS, annotateShapesPass);
  annotateShapesPass.apply(g, ctx);
  const first = g.tensors().map((t) => [t.name, ...io(t)]);
  annotateShapesPass.apply(g, ctx);
  assert.deepEqual(
    g.tensors().map((t) => [t.name, ...io(t)]),
    first,
  );
  assert.deepEqual(g.inputs[0].signature, [-1, 4]);
});

test('a graph that pins its batch (Reshape to [1, 4]) gets no -1 anywhere: it cannot run at another batch', () => {
  const g = graphBefore(graph(true), OUTPUTS, annotateShapesPass);
  annotateShapesPass.apply(g, ctx);
  for (const t of g.tensors()) assert.ok(!t.signature?.includes(-1), `${t.name}: ${JSON.stringify(t.signature)}`);
  assert.deepEqual(io(byName(g, 'flat')), ['float32', [3], [3]]);
});

test('numeric: the TF reference at batch 1 gives the static shapes, at batch 3 changes exactly the -1 dimensions', async () => {
  const gd = graph();
  const g = graphBefore(gd, OUTPUTS, annotateShapesPass);
  annotateShapesPass.apply(g, ctx);
  const prepared = importGraphDef(gd, OUTPUTS).prepared;
  const z = randomValue('float32', [3], 2);
  const run = (batch: number) => runTfReference(prepared.graphDef, { x: randomValue('float32', [batch, 4], batch), z }, OUTPUTS, { backend: 'cpu' });
  const [one, three] = [await run(1), await run(3)];
  OUTPUTS.forEach((name, k) => {
    const t = byName(g, name);
    assert.deepEqual(one[k].shape, t.shape, `${name} at batch 1`);
    const sig = t.signature as number[];
    sig.forEach((d, i) => {
      if (d >= 0) assert.equal(three[k].shape[i], d, `${name} dim ${i} at batch 3`);
      else assert.notEqual(three[k].shape[i], one[k].shape[i], `${name} dim ${i} changes with the batch`);
    });
  });
  // The batch-dependent value (Size) is not a shape: its signature says nothing, its value changes.
  assert.deepEqual([Array.from(one[4].data as Int32Array), Array.from(three[4].data as Int32Array)], [[3], [9]]);
});

test('unknown height and width through a stride-2 SAME conv stay -1 (sizes 1 and 2 alone would both give 1)', () => {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', [1, -1, -1, 2]);
  b.op('conv', 'Conv2D', [x, b.weights('w', [3, 3, 2, 3], 1)], {
    ...T(),
    strides: a.ints([1, 2, 2, 1]),
    padding: a.s('SAME'),
    data_format: a.s('NHWC'),
    dilations: a.ints([1, 1, 1, 1]),
  });
  const g = graphBefore(b.build(), ['conv'], annotateShapesPass);
  annotateShapesPass.apply(g, ctx);
  assert.deepEqual(io(byName(g, 'conv')), ['float32', [1, 1, 1, 3], [1, -1, -1, 3]]);
});
