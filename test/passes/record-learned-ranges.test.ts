// record-learned-ranges: the range of every FakeQuantWithMinMax{Args,Vars,VarsPerChannel} and
// QuantizeAndDequantize{V2,V3,V4} known without running the graph (attributes, constants, small
// computations of constants, or the constant data itself) becomes a learned-range record on its
// output, which folding and lowering then carry to the weights. The float conversion is unchanged
// and matches the TF reference; ranges known only at run time and existing records stay as they are.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Graph, Tensor } from '../../src/graph/ir.js';
import { makeValue } from '../../src/graph/ops/util.js';
import { recordLearnedRanges } from '../../src/passes/record-learned-ranges.js';
import { learnedRange } from '../../src/quantize/learned-range.js';
import { GraphDefBuilder, T, a, checkOp, convert } from '../lower/harness.js';
import { assertUnchanged, ctx, graphBefore, structure } from './helpers.js';

const f32 = (shape: number[], v: number[]) => makeValue('float32', shape, v);

/**
 * y = FakeQuantArgs(x, [-2, 3]) @ W', W' = FakeQuantVars(w, -(0.4), 0.6, narrow) (min computed by a
 * Neg of a constant), plus z = QuantizeAndDequantizeV2(w2) of constant data (range from the data).
 */
function qat(o: { runTimeMin?: boolean; qdq?: boolean } = {}) {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', [2, 4]);
  const xq = b.op('xq', 'FakeQuantWithMinMaxArgs', [x], { min: a.f(-2), max: a.f(3), num_bits: a.i(8), narrow_range: a.b(false) });
  const min = o.runTimeMin ? b.placeholder('wmin', 'float32', []) : b.op('wmin', 'Neg', [b.const('minus_min', f32([], [0.4]))], T());
  const wq = b.op('wq', 'FakeQuantWithMinMaxVars', [b.weights('w', [4, 3], 5), min, b.const('wmax', f32([], [0.6]))], { num_bits: a.i(8), narrow_range: a.b(true) });
  b.op('y', 'MatMul', [xq, wq], { ...T(), transpose_a: a.b(false), transpose_b: a.b(false) });
  if (o.qdq === false) return b.build();
  // [2, 1]: a per-row factor, so the MUL is not folded into the FULLY_CONNECTED.
  const w2 = b.const('w2', f32([2, 1], [-0.5, 1]));
  const w2q = b.op('w2q', 'QuantizeAndDequantizeV2', [w2, b.const('in_min', f32([], [0])), b.const('in_max', f32([], [0]))], {
    ...T(),
    signed_input: a.b(true),
    num_bits: a.i(8),
    range_given: a.b(false),
    round_mode: a.s('HALF_TO_EVEN'),
    narrow_range: a.b(false),
    axis: a.i(-1),
  });
  b.op('z', 'Mul', ['y', w2q], T());
  return b.build();
}

function byName(g: Graph, name: string): Tensor {
  const t = g.tensors().find((x) => x.name === name);
  assert.ok(t, name);
  return t;
}

test('ranges from attributes, from a small computation of constants and from constant data become records', () => {
  const g = graphBefore(qat(), ['z'], recordLearnedRanges);
  assert.ok(g.tensors().every((t) => t.quant === null), 'no record before');
  assert.equal(recordLearnedRanges.apply(g, ctx).rewrites, 3);
  assert.deepEqual(byName(g, 'xq').quant, { scale: [], zeroPoint: [], min: [-2], max: [3], numBits: 8, narrowRange: false });
  assert.deepEqual(byName(g, 'wq').quant, { scale: [], zeroPoint: [], min: [-Math.fround(0.4)], max: [Math.fround(0.6)], numBits: 8, narrowRange: true });
  // QuantizeAndDequantize of data in [-0.5, 1]: the step is 1/127 (max 1 maps to level 127), so
  // the grid is [-128, 127] / 127 in float32, as TensorFlow computes it.
  const step = Math.fround(1 / 127);
  assert.deepEqual(byName(g, 'w2q').quant, { scale: [], zeroPoint: [], min: [Math.fround(-128 * step)], max: [Math.fround(127 * step)], numBits: 8, narrowRange: false });
});

test('the float conversion is unchanged by the records and matches the TF reference; weights keep their range through folding and lowering', async (t) => {
  // (tfjs cannot run QuantizeAndDequantizeV2: the reference checks the graph without it.)
  const c = await checkOp(t, qat({ qdq: false }), ['y'], { ops: ['FAKE_QUANT@1', 'FULLY_CONNECTED@1'], atol: 1e-6 });
  const fc = c.graph.nodes[1];
  assert.deepEqual(learnedRange(fc.input(1)), { min: [-Math.fround(0.4)], max: [Math.fround(0.6)], axis: null, numBits: 8, narrowRange: true });
  assert.equal(learnedRange(c.graph.nodes[0].output(0))?.max[0], 3);
  // With and without the pass: the same ops and the same bytes (a float model writes no records).
  const withRecords = convert(qat(), ['z']);
  const without = convert(qat(), ['z'], { skipPasses: ['record-learned-ranges'] });
  assert.ok(Buffer.from(without.bytes).equals(Buffer.from(withRecords.bytes)));
  assert.deepEqual(learnedRange(withRecords.graph.nodes[1].input(1))?.max, [Math.fround(0.6)]);
  assert.equal(learnedRange(without.graph.nodes[1].input(1)), null);
});

test('a range known only at run time, or a tensor that already has a record: unchanged', () => {
  const g = graphBefore(qat({ runTimeMin: true }), ['z'], recordLearnedRanges, ['check-supported']);
  const before = structure(g);
  // Only the two ranges known now are recorded; the weights' min is a placeholder.
  assert.equal(recordLearnedRanges.apply(g, ctx).rewrites, 2);
  assert.equal(byName(g, 'wq').quant, null);
  assert.deepEqual(structure(g), before, 'records only: no node changes');
  const g2 = graphBefore(qat(), ['z'], recordLearnedRanges);
  const mine = { scale: [0.5], zeroPoint: [3] };
  for (const name of ['xq', 'wq', 'w2q']) byName(g2, name).quant = mine;
  assertUnchanged(recordLearnedRanges, g2, 'existing records are kept');
  assert.equal(byName(g2, 'xq').quant, mine);
});

test('a graph without fake quantization: unchanged, and a second run changes nothing', () => {
  const b = new GraphDefBuilder();
  b.op('y', 'Relu', [b.placeholder('x', 'float32', [3])], T());
  const plain = graphBefore(b.build(), ['y'], recordLearnedRanges);
  assertUnchanged(recordLearnedRanges, plain, 'no fake-quant op');
  assert.ok(plain.tensors().every((x) => x.quant === null));
  const g = graphBefore(qat(), ['z'], recordLearnedRanges);
  recordLearnedRanges.apply(g, ctx);
  assertUnchanged(recordLearnedRanges, g, 'idempotent');
});
