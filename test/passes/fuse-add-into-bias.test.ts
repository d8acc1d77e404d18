// fuse-add-into-bias: ADD of a scalar or per-output-channel constant (and SUB of one, as y - c)
// after CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED joins the bias. Positive cases run the
// model before and after the pass in the TFLite runtime; negative ones (c - y, a second reader,
// a fused activation on the layer, a constant that is not per channel or widens the output, a
// run-time operand) leave the graph exactly as it was.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { numElements } from '../../src/core/tensor.js';
import type { Tensor } from '../../src/graph/ir.js';
import { makeValue, numbers } from '../../src/graph/ops/util.js';
import { ACTIVATION } from '../../src/lower/helpers.js';
import { fuseAddIntoBias } from '../../src/passes/fuse-add-into-bias.js';
import { GraphDefBuilder, T } from '../lower/harness.js';
import { type Layer, assertUnchanged, beforeAfter, ctx, graphBefore, layer, ops } from './helpers.js';

const TFL: Record<Layer, string> = { conv: 'CONV_2D', depthwise: 'DEPTHWISE_CONV_2D', fc: 'FULLY_CONNECTED' };

/** Float32 rounding of b + c against the unfused model (outputs up to ~20). */
const RTOL = 2e-6;

function values(t: Tensor): Float64Array {
  assert.ok(t.value, `${t.name} is a constant`);
  return numbers(t.value);
}

/** 0.5, 1.25, 2, ... per channel (or -1.5) in the given shape. */
function offsets(shape: number[]) {
  const n = numElements(shape);
  return makeValue('float32', shape, Array.from({ length: n }, (_, i) => (n === 1 ? -1.5 : 0.5 + 0.75 * i)));
}

function addAfter(kind: Layer, op: 'AddV2' | 'Sub', cShape: number[] | null, o: { bias?: boolean; constFirst?: boolean; secondReader?: boolean; runTime?: boolean } = {}) {
  const b = new GraphDefBuilder();
  const { y, channels } = layer(b, kind, o.bias);
  const c = o.runTime ? b.placeholder('c', 'float32', []) : b.const('c', offsets(cShape ?? [channels]));
  b.op('out', op, o.constFirst ? [c, y] : [y, c], T());
  const outputs = ['out'];
  if (o.secondReader) {
    b.op('out2', 'Neg', [y], T());
    outputs.push('out2');
  }
  return graphBefore(b.build(), outputs, fuseAddIntoBias);
}

test('CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED absorb y + c and y - c into the bias; same outputs in the runtime', async () => {
  for (const kind of ['conv', 'depthwise', 'fc'] as const) {
    for (const op of ['AddV2', 'Sub'] as const) {
      const g = addAfter(kind, op, null);
      assert.deepEqual(ops(g), [TFL[kind], op === 'Sub' ? 'SUB' : 'ADD']);
      const bias = values(g.nodes[0].input(2));
      const r = await beforeAfter(fuseAddIntoBias, g);
      assert.equal(r.rewrites, 1, `${kind} ${op}`);
      assert.deepEqual(ops(g), [TFL[kind]]);
      assert.equal(g.outputs[0].name, 'out', `${kind}: the graph output keeps its name`);
      const sign = op === 'Sub' ? -1 : 1;
      assert.deepEqual(Array.from(values(g.nodes[0].input(2))), Array.from(bias, (v, ch) => Math.fround(v + sign * (0.5 + 0.75 * ch))), `${kind} ${op} bias`);
      assert.ok(r.diff <= RTOL * r.max, `${kind} ${op}: max |before - after| ${r.diff} (outputs up to ${r.max})`);
    }
  }
});

test('BiasAdd then Add: both join the bias (the pipeline runs the pass to a fixed point)', async () => {
  const b = new GraphDefBuilder();
  const { y } = layer(b, 'conv', true);
  b.op('out', 'AddV2', [b.const('c', offsets([3])), y], T());
  const g = graphBefore(b.build(), ['out'], fuseAddIntoBias);
  assert.deepEqual(ops(g), ['CONV_2D', 'ADD', 'ADD']);
  const r = await beforeAfter(fuseAddIntoBias, g);
  assert.equal(r.rewrites, 2);
  assert.deepEqual(ops(g), ['CONV_2D']);
  assert.ok(r.diff <= RTOL * r.max, `max |before - after| ${r.diff}`);
});

test('a scalar, a [1, 1, C] constant and c + y all fold', async () => {
  for (const [kind, shape, constFirst] of [
    ['conv', [], false],
    ['conv', [1, 1, 3], true],
    ['depthwise', [1, 1, 1, 4], true],
    ['fc', [1, 3], false],
    ['fc', [], true],
  ] as [Layer, number[], boolean][]) {
    const g = addAfter(kind, 'AddV2', shape, { constFirst });
    const r = await beforeAfter(fuseAddIntoBias, g);
    assert.equal(r.rewrites, 1, `${kind} ${JSON.stringify(shape)}`);
    assert.deepEqual(ops(g), [TFL[kind]]);
    assert.ok(r.diff <= RTOL * r.max, `${kind} ${JSON.stringify(shape)}: max |before - after| ${r.diff}`);
  }
});

test('an ADD with a fused activation hands it to the layer', async () => {
  const g = addAfter('conv', 'AddV2', null);
  g.nodes[1].options = { ...g.nodes[1].options, fused_activation_function: ACTIVATION.RELU6 };
  const r = await beforeAfter(fuseAddIntoBias, g, { scale: 3 });
  assert.equal(r.rewrites, 1);
  assert.equal(g.nodes[0].options.fused_activation_function, ACTIVATION.RELU6);
  assert.ok(r.diff <= RTOL * r.max, `max |before - after| ${r.diff}`);
});

test('c - y: unchanged (it is -(y - c), not a bias)', () => {
  for (const kind of ['conv', 'fc'] as const) {
    const g = addAfter(kind, 'Sub', null, { constFirst: true });
    assert.deepEqual(ops(g), [TFL[kind], 'SUB']);
    assertUnchanged(fuseAddIntoBias, g, `${kind}: c - y`);
  }
});

test('a second reader of the layer output, or the layer output being a graph output: unchanged', () => {
  for (const kind of ['conv', 'depthwise', 'fc'] as const) {
    const g = addAfter(kind, 'AddV2', null, { secondReader: true });
    assert.deepEqual(ops(g), [TFL[kind], 'ADD', 'NEG']);
    assertUnchanged(fuseAddIntoBias, g, `${kind}: NEG reads the output without c`);
  }
  const b = new GraphDefBuilder();
  const { y } = layer(b, 'fc');
  b.op('out', 'AddV2', [y, b.const('c', offsets([3]))], T());
  assertUnchanged(fuseAddIntoBias, graphBefore(b.build(), ['out', y], fuseAddIntoBias), 'the output without c is a graph output');
});

test('a fused activation on the layer: unchanged', () => {
  const g = addAfter('depthwise', 'AddV2', null);
  g.nodes[0].options = { ...g.nodes[0].options, fused_activation_function: ACTIVATION.RELU };
  assertUnchanged(fuseAddIntoBias, g, 'relu(conv) + c is not relu(conv + c)');
});

test('a constant that is not per channel, that widens the output, or a run-time operand: unchanged', () => {
  for (const [kind, shape] of [
    ['conv', [6, 1, 3]],
    ['conv', [2, 1, 1, 3]],
    ['conv', [1, 1, 1, 1, 3]],
    ['fc', [1, 1, 3]],
    ['fc', [2, 3]],
  ] as [Layer, number[]][]) {
    const g = addAfter(kind, 'AddV2', shape);
    assert.deepEqual(ops(g), [TFL[kind], 'ADD']);
    assertUnchanged(fuseAddIntoBias, g, `${kind} + ${JSON.stringify(shape)}`);
  }
  assertUnchanged(fuseAddIntoBias, addAfter('conv', 'Sub', null, { runTime: true }), 'c is a placeholder');
});

test('a second run changes nothing', () => {
  const g = addAfter('fc', 'Sub', null);
  assert.equal(fuseAddIntoBias.apply(g, ctx).rewrites, 1);
  assertUnchanged(fuseAddIntoBias, g, 'nothing left to fold');
});
