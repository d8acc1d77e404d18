// fuse-mul-into-conv: MUL by a scalar or per-output-channel constant after CONV_2D,
// DEPTHWISE_CONV_2D (channels on the last weight axis) or FULLY_CONNECTED is folded into weights
// and bias. Positive cases run the model before and after the pass in the TFLite runtime; the
// negative ones (a second reader, a fused activation on either op, a constant that is not per
// channel or widens the output, a run-time operand) leave the graph exactly as it was.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { numElements } from '../../src/core/tensor.js';
import type { Tensor } from '../../src/graph/ir.js';
import { makeValue, numbers } from '../../src/graph/ops/util.js';
import { ACTIVATION } from '../../src/lower/helpers.js';
import { fuseMulIntoConv } from '../../src/passes/fuse-mul-into-conv.js';
import { GraphDefBuilder, T } from '../lower/harness.js';
import { type Layer, assertUnchanged, beforeAfter, graphBefore, layer, ops } from './helpers.js';

const TFL: Record<Layer, string> = { conv: 'CONV_2D', depthwise: 'DEPTHWISE_CONV_2D', fc: 'FULLY_CONNECTED' };

/** Float32 rounding of W*s and b*s against the unfused model (outputs up to ~20). */
const RTOL = 2e-6;

/** The per-channel constant 0.5, 0.75, 1, ... (or one value) in the given shape. */
function scales(shape: number[]) {
  const n = numElements(shape);
  return makeValue('float32', shape, Array.from({ length: n }, (_, i) => (n === 1 ? -1.5 : 0.5 + 0.25 * i)));
}

function values(t: Tensor): Float64Array {
  assert.ok(t.value, `${t.name} is a constant`);
  return numbers(t.value);
}

function mulAfter(kind: Layer, cShape: number[] | null, o: { bias?: boolean; constFirst?: boolean; secondReader?: boolean; runTime?: boolean } = {}) {
  const b = new GraphDefBuilder();
  const { y, channels } = layer(b, kind, o.bias);
  const c = o.runTime ? b.placeholder('s', 'float32', []) : b.const('s', scales(cShape ?? [channels]));
  b.op('out', 'Mul', o.constFirst ? [c, y] : [y, c], T());
  const outputs = ['out'];
  if (o.secondReader) {
    b.op('out2', 'Neg', [y], T());
    outputs.push('out2');
  }
  return graphBefore(b.build(), outputs, fuseMulIntoConv);
}

test('CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED absorb a per-channel MUL; same outputs in the runtime', async () => {
  for (const kind of ['conv', 'depthwise', 'fc'] as const) {
    const g = mulAfter(kind, null, { bias: true });
    assert.deepEqual(ops(g), [TFL[kind], 'MUL']);
    const layerNode = g.nodes[0];
    const w = values(layerNode.input(1));
    const bias = values(layerNode.input(2));
    const r = await beforeAfter(fuseMulIntoConv, g);
    assert.equal(r.rewrites, 1, kind);
    assert.deepEqual(ops(g), [TFL[kind]], kind);
    assert.equal(g.outputs[0].name, 'out', `${kind}: the graph output keeps its name`);
    assert.ok(r.diff <= RTOL * r.max, `${kind}: max |before - after| ${r.diff} (outputs up to ${r.max})`);
    // The weights are scaled along the output channel: dim 0 ([O, H, W, I], [O, I]), or the last
    // dim for depthwise ([1, H, W, C*M]); each product rounded once to float32.
    const w2 = values(layerNode.input(1));
    const channels = bias.length;
    const inner = w.length / channels;
    for (let i = 0; i < w.length; i++) {
      const ch = kind === 'depthwise' ? i % channels : Math.floor(i / inner);
      assert.equal(w2[i], Math.fround(w[i] * (0.5 + 0.25 * ch)), `${kind} weight ${i}`);
    }
    const b2 = values(layerNode.input(2));
    assert.deepEqual(Array.from(b2), Array.from(bias, (v, ch) => Math.fround(v * (0.5 + 0.25 * ch))), `${kind} bias`);
  }
});

test('a scalar, a [1, 1, C] constant and the constant as the first operand all fold', async () => {
  for (const [kind, shape, constFirst] of [
    ['conv', [], false],
    ['conv', [1, 1, 3], true],
    ['depthwise', [1, 1, 1, 4], false],
    ['fc', [1, 3], true],
    ['fc', [], true],
  ] as [Layer, number[], boolean][]) {
    const g = mulAfter(kind, shape, { constFirst });
    const r = await beforeAfter(fuseMulIntoConv, g);
    assert.equal(r.rewrites, 1, `${kind} ${JSON.stringify(shape)}`);
    assert.deepEqual(ops(g), [TFL[kind]]);
    assert.ok(r.diff <= RTOL * r.max, `${kind} ${JSON.stringify(shape)}: max |before - after| ${r.diff}`);
  }
});

test('a second reader of the layer output, or the layer output being a graph output: unchanged', () => {
  for (const kind of ['conv', 'depthwise', 'fc'] as const) {
    const g = mulAfter(kind, null, { secondReader: true });
    assert.deepEqual(ops(g), [TFL[kind], 'MUL', 'NEG']);
    assertUnchanged(fuseMulIntoConv, g, `${kind}: NEG reads the unscaled output`);
  }
  const b = new GraphDefBuilder();
  const { y } = layer(b, 'conv');
  b.op('out', 'Mul', [y, b.const('s', scales([3]))], T());
  const g = graphBefore(b.build(), ['out', y], fuseMulIntoConv);
  assertUnchanged(fuseMulIntoConv, g, 'the unscaled output is a graph output');
});

test('a fused activation on the layer or on the MUL: unchanged', () => {
  const g = mulAfter('conv', null);
  g.nodes[0].options = { ...g.nodes[0].options, fused_activation_function: ACTIVATION.RELU };
  assertUnchanged(fuseMulIntoConv, g, 'relu(conv) * s is not conv with scaled weights for negative s');
  const g2 = mulAfter('fc', null);
  g2.nodes[1].options = { ...g2.nodes[1].options, fused_activation_function: ACTIVATION.RELU6 };
  assertUnchanged(fuseMulIntoConv, g2, 'the MUL\'s own activation would be lost');
});

test('a constant that is not per channel, that widens the output, or a run-time operand: unchanged', () => {
  // [6, 1, 3]: varies along H. [2, 1, 1, 3]: broadcasts the batch to 2. [1, 1, 3] after FC [2, 3]:
  // C values on the last axis, but the product is [1, 2, 3].
  for (const [kind, shape] of [
    ['conv', [6, 1, 3]],
    ['conv', [2, 1, 1, 3]],
    ['conv', [1, 1, 1, 1, 3]],
    ['fc', [1, 1, 3]],
    ['fc', [2, 3]],
  ] as [Layer, number[]][]) {
    const g = mulAfter(kind, shape);
    assert.deepEqual(ops(g), [TFL[kind], 'MUL']);
    assertUnchanged(fuseMulIntoConv, g, `${kind} * ${JSON.stringify(shape)}`);
  }
  const g = mulAfter('conv', null, { runTime: true });
  assertUnchanged(fuseMulIntoConv, g, 'the scale is a placeholder');
});

test('a second run changes nothing', async () => {
  const g = mulAfter('depthwise', null, { bias: true });
  assert.equal((await beforeAfter(fuseMulIntoConv, g)).rewrites, 1);
  assertUnchanged(fuseMulIntoConv, g, 'nothing left to fold');
});
