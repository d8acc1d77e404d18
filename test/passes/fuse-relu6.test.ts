// fuse-relu6: Minimum(Relu(x), 6) and clamps to [0, 6] become RELU6 (and then a fused activation),
// checked against the TF reference; other bounds and shared intermediates stay.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeValue } from '../../src/graph/ops/util.js';
import { fuseRelu6 } from '../../src/passes/fuse-relu6.js';
import { GraphDefBuilder, T, a, checkOp, convert, opsOf, randomValue } from '../lower/harness.js';

const wide = (seed: number) => ({ x: makeValue('float32', [2, 3, 4], Array.from(randomValue('float32', [2, 3, 4], seed).data as Float32Array, (v) => 5 * v)) });

function minRelu(bound: number, extraReader = false) {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', [2, 3, 4]);
  const r = b.op('r', 'Relu', [x], T());
  b.op('y', 'Minimum', [r, b.const('six', makeValue('float32', [], [bound]))], T());
  if (extraReader) b.op('y2', 'Neg', [r], T());
  return b.build();
}

function clamp06(order: 'minmax' | 'maxmin') {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', [2, 3, 4]);
  const lo = b.const('lo', makeValue('float32', [], [0]));
  const hi = b.const('hi', makeValue('float32', [], [6]));
  const inner = order === 'minmax' ? b.op('inner', 'Maximum', [x, lo], T()) : b.op('inner', 'Minimum', [x, hi], T());
  b.op('y', order === 'minmax' ? 'Minimum' : 'Maximum', [inner, order === 'minmax' ? hi : lo], T());
  return b.build();
}

test('Minimum(Relu(x), 6) -> RELU6', async (t) => {
  await checkOp(t, minRelu(6), ['y'], { ops: ['RELU6@1'], atol: 0, makeInputs: wide });
});

test('Minimum(Maximum(x, 0), 6) and Maximum(Minimum(x, 6), 0) -> RELU6', async (t) => {
  await checkOp(t, clamp06('minmax'), ['y'], { ops: ['RELU6@1'], atol: 0, makeInputs: wide });
  await checkOp(t, clamp06('maxmin'), ['y'], { ops: ['RELU6@1'], atol: 0, makeInputs: wide });
});

test('Minimum(Relu(FC), 6) becomes the FULLY_CONNECTED fused activation', async (t) => {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', [2, 5]);
  const mm = b.op('mm', 'MatMul', [x, b.weights('w', [5, 3], 2)], { ...T(), transpose_a: a.b(false), transpose_b: a.b(false) });
  const r = b.op('r', 'Relu', [mm], T());
  b.op('y', 'Minimum', [r, b.const('six', makeValue('float32', [], [6]))], T());
  const c = await checkOp(t, b.build(), ['y'], { ops: ['FULLY_CONNECTED@1'], atol: 1e-5, makeInputs: (s) => ({ x: makeValue('float32', [2, 5], Array.from(randomValue('float32', [2, 5], s).data as Float32Array, (v) => 4 * v)) }) });
  assert.equal(c.graph.nodes[0].options.fused_activation_function, 3);
});

test('another bound or a RELU read elsewhere: unchanged', () => {
  assert.deepEqual(opsOf(convert(minRelu(5), ['y'])), ['RELU@1', 'MINIMUM@1']);
  assert.deepEqual(opsOf(convert(minRelu(6, true), ['y', 'y2'])), ['RELU@1', 'MINIMUM@1', 'NEG@1']);
});

test('a second run changes nothing', () => {
  const c = convert(minRelu(6), ['y']);
  assert.equal(fuseRelu6.apply(c.graph, { allowCustomOps: false, log: () => {} }).rewrites, 0);
});
