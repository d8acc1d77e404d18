// fuse-relu-n1-to-1: clamps to [-1, 1] become RELU_N1_TO_1 (and then a fused activation), checked
// against the TF reference; other bounds, broadcasting bounds and shared intermediates stay.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeValue } from '../../src/graph/ops/util.js';
import { fuseReluN1To1 } from '../../src/passes/fuse-relu-n1-to-1.js';
import { GraphDefBuilder, T, a, checkOp, convert, opsOf, randomValue } from '../lower/harness.js';

const wide = (seed: number) => ({ x: makeValue('float32', [2, 3, 4], Array.from(randomValue('float32', [2, 3, 4], seed).data as Float32Array, (v) => 2 * v)) });

function clamp(order: 'minmax' | 'maxmin', lo: number, hi: number, opts: { boundShape?: number[]; extraReader?: boolean } = {}) {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', [2, 3, 4]);
  const shape = opts.boundShape ?? [];
  const n = shape.reduce((p, d) => p * d, 1);
  const loC = b.const('lo', makeValue('float32', shape, new Array<number>(n).fill(lo)));
  const hiC = b.const('hi', makeValue('float32', shape, new Array<number>(n).fill(hi)));
  const inner = order === 'minmax' ? b.op('inner', 'Maximum', [x, loC], T()) : b.op('inner', 'Minimum', [hiC, x], T());
  b.op('y', order === 'minmax' ? 'Minimum' : 'Maximum', order === 'minmax' ? [inner, hiC] : [loC, inner], T());
  if (opts.extraReader) b.op('y2', 'Neg', [inner], T());
  return b.build();
}

test('Minimum(Maximum(x, -1), 1) -> RELU_N1_TO_1', async (t) => {
  await checkOp(t, clamp('minmax', -1, 1), ['y'], { ops: ['RELU_N1_TO_1@1'], atol: 0, makeInputs: wide });
});

test('Maximum(-1, Minimum(1, x)) (bounds first) -> RELU_N1_TO_1', async (t) => {
  await checkOp(t, clamp('maxmin', -1, 1), ['y'], { ops: ['RELU_N1_TO_1@1'], atol: 0, makeInputs: wide });
});

test('a [-1, 1] clamp after a conv becomes its fused activation', async (t) => {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', [1, 5, 5, 2]);
  const conv = b.op('conv', 'Conv2D', [x, b.weights('w', [3, 3, 2, 3], 1)], { ...T(), padding: a.s('SAME'), strides: a.ints([1, 1, 1, 1]), data_format: a.s('NHWC') });
  const mx = b.op('mx', 'Maximum', [conv, b.const('lo', makeValue('float32', [], [-1]))], T());
  b.op('y', 'Minimum', [mx, b.const('hi', makeValue('float32', [], [1]))], T());
  const c = await checkOp(t, b.build(), ['y'], { ops: ['CONV_2D@1'], atol: 1e-5 });
  assert.equal(c.graph.nodes[0].options.fused_activation_function, 2);
});

test('other bounds, a bound that broadcasts x bigger, or a shared intermediate: unchanged', () => {
  assert.deepEqual(opsOf(convert(clamp('minmax', -1, 2), ['y'])), ['MAXIMUM@1', 'MINIMUM@1']);
  assert.deepEqual(opsOf(convert(clamp('minmax', -1, 1, { boundShape: [3, 2, 3, 4] }), ['y'])), ['MAXIMUM@1', 'MINIMUM@1']);
  assert.deepEqual(opsOf(convert(clamp('minmax', -1, 1, { extraReader: true }), ['y', 'y2'])), ['MAXIMUM@1', 'MINIMUM@1', 'NEG@1']);
});

test('a per-element bound of one value everywhere is a splat', () => {
  assert.deepEqual(opsOf(convert(clamp('minmax', -1, 1, { boundShape: [3, 4] }), ['y'])), ['RELU_N1_TO_1@1']);
});

test('a second run changes nothing', () => {
  const c = convert(clamp('minmax', -1, 1), ['y']);
  assert.equal(fuseReluN1To1.apply(c.graph, { allowCustomOps: false, log: () => {} }).rewrites, 0);
});
