// fold-dilated-conv: SpaceToBatchND -> conv -> BatchToSpaceND (how tf.nn.atrous_conv2d and TF1
// Keras write dilated convolutions) becomes one dilated CONV_2D / DEPTHWISE_CONV_2D, checked
// against the TF reference running the original three ops; chains it cannot fold stay.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { graphFromGraphDef } from '../../src/graph/from-graphdef.js';
import { foldDilatedConv } from '../../src/passes/fold-dilated-conv.js';
import { runPasses } from '../../src/passes/manager.js';
import { FLOAT_PIPELINE } from '../../src/passes/pipeline.js';
import { prepareGraphDef } from '../../src/prepare/index.js';
import { GraphDefBuilder, T, a, checkOp, convert, i32, opsOf } from '../lower/harness.js';

interface Atrous {
  op?: 'Conv2D' | 'DepthwiseConv2dNative';
  x: number[];
  k: number;
  rate: [number, number];
  pads: number[];
  crops: number[];
  bias?: boolean;
  convPadding?: string;
}

/** The graph tf.nn.atrous_conv2d builds (paddings and crops as TF computes them for SAME/VALID). */
function atrous(o: Atrous) {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', o.x);
  const s2b = b.op('s2b', 'SpaceToBatchND', [x, b.const('block', i32([2], o.rate)), b.const('pads', i32([2, 2], o.pads))], { ...T(), Tblock_shape: a.type('int32'), Tpaddings: a.type('int32') });
  const op = o.op ?? 'Conv2D';
  const w = b.weights('w', op === 'Conv2D' ? [o.k, o.k, o.x[3], 4] : [o.k, o.k, o.x[3], 2], 7);
  let y = b.op('conv', op, [s2b, w], { ...T(), padding: a.s(o.convPadding ?? 'VALID'), strides: a.ints([1, 1, 1, 1]), dilations: a.ints([1, 1, 1, 1]), data_format: a.s('NHWC') });
  if (o.bias) y = b.op('bias', 'BiasAdd', [y, b.weights('b', [op === 'Conv2D' ? 4 : o.x[3] * 2], 8)], { ...T(), data_format: a.s('NHWC') });
  b.op('y', 'BatchToSpaceND', [y, b.const('block2', i32([2], o.rate)), b.const('crops', i32([2, 2], o.crops))], { ...T(), Tblock_shape: a.type('int32'), Tcrops: a.type('int32') });
  return b.build();
}

const ATOL = 1e-4;

test('atrous SAME, rate 2 (TF pads 2+2, no crops) -> one CONV_2D SAME with dilation 2', async (t) => {
  const c = await checkOp(t, atrous({ x: [1, 8, 8, 3], k: 3, rate: [2, 2], pads: [2, 2, 2, 2], crops: [0, 0, 0, 0] }), ['y'], { ops: ['CONV_2D@1'], atol: ATOL });
  const o = c.graph.nodes[0].options;
  assert.deepEqual([o.padding, o.dilation_h_factor, o.dilation_w_factor], [0, 2, 2]);
});

test('atrous SAME on an odd size (extra padding cropped again), + BiasAdd -> CONV_2D SAME with bias', async (t) => {
  // H = 7, rate 2: SAME needs 2 + 2; TF pads 2 + 3 for divisibility and crops the extra 1.
  await checkOp(t, atrous({ x: [1, 7, 9, 2], k: 3, rate: [2, 2], pads: [2, 3, 2, 3], crops: [0, 1, 0, 1], bias: true }), ['y'], { ops: ['CONV_2D@1'], atol: ATOL });
});

test('atrous VALID (no padding) -> CONV_2D VALID, rates 2 x 3', async (t) => {
  const c = await checkOp(t, atrous({ x: [2, 9, 10, 2], k: 3, rate: [2, 3], pads: [0, 1, 0, 2], crops: [0, 1, 0, 2] }), ['y'], { ops: ['CONV_2D@1'], atol: ATOL });
  assert.equal(c.graph.nodes[0].options.padding, 1);
});

test('atrous with uneven padding -> PAD + dilated CONV_2D VALID', async (t) => {
  await checkOp(t, atrous({ x: [1, 8, 8, 2], k: 3, rate: [2, 2], pads: [1, 3, 2, 2], crops: [0, 0, 0, 0] }), ['y'], { ops: ['PAD@1', 'CONV_2D@1'], atol: ATOL });
});

test('atrous depthwise -> one DEPTHWISE_CONV_2D with dilation (version 2)', async (t) => {
  await checkOp(t, atrous({ op: 'DepthwiseConv2dNative', x: [1, 8, 8, 3], k: 3, rate: [2, 2], pads: [2, 2, 2, 2], crops: [0, 0, 0, 0] }), ['y'], { ops: ['DEPTHWISE_CONV_2D@2'], atol: ATOL });
});

test('crops larger than the paddings, or a SAME conv inside: unchanged (and still right)', async (t) => {
  await checkOp(t, atrous({ x: [1, 8, 8, 2], k: 3, rate: [2, 2], pads: [0, 0, 0, 0], crops: [0, 2, 0, 2] }), ['y'], {
    ops: ['SPACE_TO_BATCH_ND@1', 'CONV_2D@1', 'BATCH_TO_SPACE_ND@1'],
    atol: ATOL,
  });
  assert.deepEqual(opsOf(convert(atrous({ x: [1, 8, 8, 2], k: 3, rate: [2, 2], pads: [0, 0, 0, 0], crops: [0, 0, 0, 0], convPadding: 'SAME' }), ['y'])), [
    'SPACE_TO_BATCH_ND@1',
    'CONV_2D@1',
    'BATCH_TO_SPACE_ND@1',
  ]);
});

test('a second run changes nothing', () => {
  const gd = atrous({ x: [1, 8, 8, 3], k: 3, rate: [2, 2], pads: [2, 2, 2, 2], crops: [0, 0, 0, 0] });
  const p = prepareGraphDef(gd, { outputArrays: ['y'], source: 't' });
  const g = graphFromGraphDef(p.graphDef, { outputs: p.outputs, inputs: p.inputs.map((i) => ({ key: i.key, name: i.name })), source: 't' });
  const ctx = { allowCustomOps: false, log: () => {} };
  const upTo = FLOAT_PIPELINE.slice(0, FLOAT_PIPELINE.indexOf(foldDilatedConv) + 1);
  const r = runPasses(g, upTo, ctx);
  assert.equal(r.runs.find((x) => x.name === 'fold-dilated-conv')?.rewrites, 1);
  assert.equal(foldDilatedConv.apply(r.graph, ctx).rewrites, 0);
});
