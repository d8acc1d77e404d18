// fold-pad-into-conv: a zero PAD of height and width that pads exactly as SAME would, in front of a
// VALID CONV_2D or DEPTHWISE_CONV_2D, is dropped and the conv becomes SAME. Positive cases (stride
// 1 and 2, odd and even sizes, even kernels, dilation, explicit conv padding) run before and after
// in the TFLite runtime; pads that are not SAME's, touch batch or channels, pad with a non-zero
// value or feed a pool stay.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toFloat64 } from '../../src/core/tensor.js';
import { makeValue } from '../../src/graph/ops/util.js';
import { PADDING } from '../../src/lower/helpers.js';
import { foldPadIntoConv, samePadding } from '../../src/passes/fold-pad-into-conv.js';
import { runTfReference } from '../../src/runtime/tf-reference.js';
import { GraphDefBuilder, T, a, i32, randomValue } from '../lower/harness.js';
import { assertUnchanged, beforeAfter, ctx, graphBefore, importGraphDef, ops } from './helpers.js';

interface Padded {
  x: number[];
  /** [[batch], [h], [w], [channels]] before/after pairs, flattened. */
  pads: number[];
  k: number;
  stride?: number;
  dilation?: number;
  op?: 'Conv2D' | 'DepthwiseConv2dNative' | 'MaxPool';
  padValue?: number;
  padding?: 'VALID' | 'SAME';
  secondReader?: boolean;
}

function padThenConv(o: Padded) {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', o.x);
  const paddings = b.const('paddings', i32([4, 2], o.pads));
  const p =
    o.padValue === undefined
      ? b.op('pad', 'Pad', [x, paddings], { ...T(), Tpaddings: a.type('int32') })
      : b.op('pad', 'PadV2', [x, paddings, b.const('value', makeValue('float32', [], [o.padValue]))], { ...T(), Tpaddings: a.type('int32') });
  const s = o.stride ?? 1;
  const d = o.dilation ?? 1;
  const op = o.op ?? 'Conv2D';
  const cin = o.x[3] + o.pads[6] + o.pads[7];
  const common = { ...T(), padding: a.s(o.padding ?? 'VALID'), strides: a.ints([1, s, s, 1]), data_format: a.s('NHWC') };
  if (op === 'MaxPool') b.op('y', 'MaxPool', [p], { ...common, ksize: a.ints([1, o.k, o.k, 1]) });
  else b.op('y', op, [p, b.weights('w', [o.k, o.k, cin, op === 'Conv2D' ? 3 : 1], 3)], { ...common, dilations: a.ints([1, d, d, 1]) });
  const outputs = ['y'];
  if (o.secondReader) {
    b.op('y2', 'Neg', [p], T());
    outputs.push('y2');
  }
  return graphBefore(b.build(), outputs, foldPadIntoConv);
}

/** SAME's [before, after] for H and W of `x`, as the pads of a 4-D PAD. */
function samePads(x: number[], k: number, s: number, d: number): number[] {
  return [0, 0, ...samePadding(x[1], k, s, d), ...samePadding(x[2], k, s, d), 0, 0];
}

test('samePadding is TF\'s SAME: total = max((ceil(in/s) - 1) * s + (k - 1) * d + 1 - in, 0), the extra one after', () => {
  assert.deepEqual(samePadding(6, 3, 1, 1), [1, 1]);
  assert.deepEqual(samePadding(8, 3, 2, 1), [0, 1]);
  assert.deepEqual(samePadding(7, 3, 2, 1), [1, 1]);
  assert.deepEqual(samePadding(6, 4, 1, 1), [1, 2]);
  assert.deepEqual(samePadding(6, 3, 1, 2), [2, 2]);
  assert.deepEqual(samePadding(5, 1, 2, 1), [0, 0]);
  assert.deepEqual(samePadding(4, 7, 3, 1), [3, 3]);
});

test('a PAD equal to SAME folds: strides 1 and 2, odd and even sizes, even kernels, dilation, depthwise', async () => {
  const cases: Padded[] = [
    { x: [1, 6, 6, 2], k: 3, pads: [] },
    { x: [1, 8, 8, 2], k: 3, stride: 2, pads: [] },
    { x: [1, 7, 9, 2], k: 3, stride: 2, pads: [] },
    { x: [1, 6, 7, 2], k: 4, pads: [] },
    { x: [2, 8, 6, 3], k: 5, stride: 2, pads: [] },
    { x: [1, 7, 7, 2], k: 3, dilation: 2, pads: [] },
    { x: [1, 9, 8, 3], k: 3, stride: 2, op: 'DepthwiseConv2dNative', pads: [] },
    { x: [1, 6, 6, 2], k: 3, dilation: 3, op: 'DepthwiseConv2dNative', pads: [] },
  ];
  for (const c of cases) {
    const what = JSON.stringify(c);
    c.pads = samePads(c.x, c.k, c.stride ?? 1, c.dilation ?? 1);
    const g = padThenConv(c);
    const conv = c.op === 'DepthwiseConv2dNative' ? 'DEPTHWISE_CONV_2D' : 'CONV_2D';
    assert.deepEqual(ops(g), ['PAD', conv], what);
    const r = await beforeAfter(foldPadIntoConv, g);
    assert.equal(r.rewrites, 1, what);
    assert.deepEqual(ops(g), [conv], what);
    assert.equal(g.nodes[0].options.padding, PADDING.SAME, what);
    assert.equal(g.nodes[0].inputs[0], g.inputs[0], `${what}: the conv reads x`);
    // Zeros added by PAD or by SAME: the same products; the kernels may sum in another order.
    assert.ok(r.diff <= 2e-6 * r.max, `${what}: max |before - after| ${r.diff} (outputs up to ${r.max})`);
  }
});

test('a Conv2D with EXPLICIT padding equal to SAME becomes one SAME CONV_2D', async () => {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', [1, 8, 8, 2]);
  b.op('y', 'Conv2D', [x, b.weights('w', [3, 3, 2, 4], 3)], {
    ...T(),
    padding: a.s('EXPLICIT'),
    explicit_paddings: a.ints([0, 0, 0, 1, 0, 1, 0, 0]),
    strides: a.ints([1, 2, 2, 1]),
    data_format: a.s('NHWC'),
  });
  const g = graphBefore(b.build(), ['y'], foldPadIntoConv);
  assert.deepEqual(ops(g), ['PAD', 'CONV_2D']);
  const r = await beforeAfter(foldPadIntoConv, g);
  assert.deepEqual([r.rewrites, ops(g), g.nodes[0].options.padding], [1, ['CONV_2D'], PADDING.SAME]);
  assert.ok(r.diff <= 2e-6 * r.max, `max |before - after| ${r.diff}`);
});

test('pads that are not SAME\'s: Keras ZeroPadding2D(1) before a stride-2 conv on an even size, asymmetric, too much', () => {
  for (const c of [
    // SAME would pad 0 before and 1 after: MobileNet's explicit padding is not SAME.
    { x: [1, 8, 8, 2], k: 3, stride: 2, pads: [0, 0, 1, 1, 1, 1, 0, 0] },
    { x: [1, 6, 6, 2], k: 3, pads: [0, 0, 0, 2, 1, 1, 0, 0] },
    { x: [1, 6, 6, 2], k: 3, pads: [0, 0, 1, 1, 2, 2, 0, 0] },
    { x: [1, 6, 6, 2], k: 3, pads: [0, 0, 1, 1, 0, 0, 0, 0] },
  ]) {
    const g = padThenConv(c);
    assert.deepEqual(ops(g), ['PAD', 'CONV_2D']);
    assertUnchanged(foldPadIntoConv, g, JSON.stringify(c.pads));
  }
});

test('a pad of the batch or channels, a non-zero PADV2, a MAX_POOL, a SAME conv or a second reader: unchanged', () => {
  const same = samePads([1, 6, 6, 2], 3, 1, 1);
  const withBatch = same.slice();
  withBatch[1] = 1;
  const withChannels = same.slice();
  withChannels[7] = 2;
  for (const [what, c, expected] of [
    ['batch padded', { x: [1, 6, 6, 2], k: 3, pads: withBatch }, ['PAD', 'CONV_2D']],
    ['channels padded', { x: [1, 6, 6, 2], k: 3, pads: withChannels }, ['PAD', 'CONV_2D']],
    ['PADV2 with 1', { x: [1, 6, 6, 2], k: 3, pads: same, padValue: 1 }, ['PADV2', 'CONV_2D']],
    ['MAX_POOL (SAME pooling ignores padding, zeros do not)', { x: [1, 6, 6, 2], k: 3, pads: same, op: 'MaxPool' }, ['PAD', 'MAX_POOL_2D']],
    ['already SAME', { x: [1, 6, 6, 2], k: 3, pads: same, padding: 'SAME' }, ['PAD', 'CONV_2D']],
    ['second reader', { x: [1, 6, 6, 2], k: 3, pads: same, secondReader: true }, ['PAD', 'CONV_2D', 'NEG']],
  ] as [string, Padded, string[]][]) {
    const g = padThenConv(c);
    assert.deepEqual(ops(g), expected, what);
    assertUnchanged(foldPadIntoConv, g, what);
  }
});

test('a second run changes nothing', () => {
  const g = padThenConv({ x: [1, 8, 8, 2], k: 3, stride: 2, pads: samePads([1, 8, 8, 2], 3, 2, 1) });
  assert.equal(foldPadIntoConv.apply(g, ctx).rewrites, 1);
  assertUnchanged(foldPadIntoConv, g, 'idempotent');
});

test('height and width known only at run time: stride 1 folds (SAME pads k - 1 at every size), stride 2 does not', async () => {
  // Annotated at size 1, a stride-2 3x3 conv's SAME padding is [1, 1]; at size 8 it is [0, 1].
  const dynamic = (stride: number) => padThenConv({ x: [1, -1, -1, 2], k: 3, stride, pads: [0, 0, 1, 1, 1, 1, 0, 0] });
  const g1 = dynamic(1);
  assert.deepEqual(g1.inputs[0].signature, [1, -1, -1, 2]);
  assert.equal(foldPadIntoConv.apply(g1, ctx).rewrites, 1);
  const g2 = dynamic(2);
  assert.deepEqual(ops(g2), ['PAD', 'CONV_2D']);
  assertUnchanged(foldPadIntoConv, g2, 'SAME padding of a stride-2 conv depends on the run-time size');
  // The TF reference at 8 x 8: PAD [1, 1] + VALID is not SAME.
  const run = async (padding: 'VALID' | 'SAME', pads: number[]) => {
    const b = new GraphDefBuilder();
    const x = b.placeholder('x', 'float32', [1, -1, -1, 2]);
    const p = b.op('pad', 'Pad', [x, b.const('paddings', i32([4, 2], pads))], { ...T(), Tpaddings: a.type('int32') });
    b.op('y', 'Conv2D', [p, b.weights('w', [3, 3, 2, 3], 3)], { ...T(), padding: a.s(padding), strides: a.ints([1, 2, 2, 1]), data_format: a.s('NHWC') });
    const [y] = await runTfReference(importGraphDef(b.build(), ['y']).prepared.graphDef, { x: randomValue('float32', [1, 8, 8, 2], 4) }, ['y'], { backend: 'cpu' });
    return toFloat64(y);
  };
  const padded = await run('VALID', [0, 0, 1, 1, 1, 1, 0, 0]);
  const same = await run('SAME', [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(padded.length, same.length);
  assert.ok(padded.some((v, i) => Math.abs(v - same[i]) > 0.1), 'the two differ at 8 x 8');
});
