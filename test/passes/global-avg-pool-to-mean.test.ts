// global-avg-pool-to-mean (run by --quantize int8): an AVERAGE_POOL_2D whose VALID window is the
// whole static height and width becomes MEAN over axes 1 and 2 with keep_dims. In float the two
// agree (checked in the TFLite runtime); smaller windows, SAME padding, a fused activation and a
// height or width known only at run time stay pools.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseOpVersions } from '../../src/passes/choose-op-versions.js';
import { globalAvgPoolToMean, isGlobalAvgPool } from '../../src/passes/global-avg-pool-to-mean.js';
import { GraphDefBuilder, T, a } from '../lower/harness.js';
import { assertUnchanged, beforeAfter, ctx, graphBefore, ops } from './helpers.js';

/** The converted float graph (every pass but op versions) of x -> AvgPool [-> Relu]. */
function avgPool(x: number[], k: [number, number], o: { padding?: 'VALID' | 'SAME'; stride?: number; relu?: boolean } = {}) {
  const b = new GraphDefBuilder();
  const s = o.stride ?? 1;
  const p = b.op('pool', 'AvgPool', [b.placeholder('x', 'float32', x)], {
    ...T(),
    ksize: a.ints([1, k[0], k[1], 1]),
    strides: a.ints([1, s, s, 1]),
    padding: a.s(o.padding ?? 'VALID'),
    data_format: a.s('NHWC'),
  });
  if (o.relu) b.op('y', 'Relu', [p], T());
  return graphBefore(b.build(), [o.relu ? 'y' : p], chooseOpVersions);
}

test('a VALID window over the whole height and width becomes MEAN(x, [1, 2], keep_dims); same values in the runtime', async () => {
  for (const x of [
    [1, 5, 7, 3],
    [2, 4, 4, 8],
    [-1, 3, 3, 2],
  ]) {
    const g = avgPool(x, [x[1], x[2]]);
    assert.deepEqual(ops(g), ['AVERAGE_POOL_2D']);
    assert.ok(isGlobalAvgPool(g.nodes[0]));
    const r = await beforeAfter(globalAvgPoolToMean, g);
    assert.equal(r.rewrites, 1);
    assert.deepEqual(ops(g), ['MEAN']);
    const mean = g.nodes[0];
    assert.deepEqual(Array.from(mean.input(1).value?.data as Int32Array), [1, 2]);
    assert.equal(mean.options.keep_dims, true);
    assert.equal(g.outputs[0].name, 'pool');
    // A different summation order (the pool's running sum vs MEAN's reduction): float32 rounding.
    assert.ok(r.diff <= 1e-6 * Math.max(1, r.max), `${JSON.stringify(x)}: max |before - after| ${r.diff}`);
  }
});

test('a smaller window, SAME padding, a fused activation: unchanged', () => {
  for (const [what, g] of [
    ['2x2 window of 4x4', avgPool([1, 4, 4, 3], [2, 2], { stride: 2 })],
    ['whole height, not width', avgPool([1, 4, 6, 3], [4, 3], { stride: 3 })],
    ['SAME padding', avgPool([1, 4, 4, 3], [4, 4], { padding: 'SAME', stride: 4 })],
    ['fused RELU', avgPool([1, 4, 4, 3], [4, 4], { relu: true })],
  ] as const) {
    assert.deepEqual(ops(g), ['AVERAGE_POOL_2D'], what);
    assert.equal(isGlobalAvgPool(g.nodes[0]), false, what);
    assertUnchanged(globalAvgPoolToMean, g, what);
  }
});

test('height and width known only at run time: a window that covers them at size 1 is not global', () => {
  // Annotated at size 1 the 1x1 window covers the whole [1, 1] input, but at run time (say
  // 8 x 8) this pool is the identity, [1, 8, 8, 3], while MEAN would give [1, 1, 1, 3].
  const g = avgPool([1, -1, -1, 3], [1, 1]);
  assert.deepEqual([g.inputs[0].shape, g.inputs[0].signature], [[1, 1, 1, 3], [1, -1, -1, 3]]);
  assert.deepEqual(g.outputs[0].signature, [1, -1, -1, 3]);
  assert.equal(isGlobalAvgPool(g.nodes[0]), false);
  assertUnchanged(globalAvgPoolToMean, g, 'the window is the whole input only at size 1');
});

test('a second run changes nothing', () => {
  const g = avgPool([1, 5, 5, 2], [5, 5]);
  assert.equal(globalAvgPoolToMean.apply(g, ctx).rewrites, 1);
  assertUnchanged(globalAvgPoolToMean, g, 'no pool left');
});
