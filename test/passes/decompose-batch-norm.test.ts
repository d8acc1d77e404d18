// decompose-batch-norm: an inference FusedBatchNorm{,V2,V3} with constant float32 parameters, NHWC
// and only y read becomes Mul(x, m) + b with m = rsqrt(var + eps) * gamma, b = beta - mean * m in
// float32 steps. The decomposition agrees with the op's own semantics (evaluate) and, converted,
// with the TF reference; training, NCHW, run-time parameters and a read batch statistic leave
// the node alone.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TensorValue } from '../../src/core/tensor.js';
import { graphFromGraphDef } from '../../src/graph/from-graphdef.js';
import type { Graph, Node } from '../../src/graph/ir.js';
import { tfOps } from '../../src/graph/ops/index.js';
import { makeValue, numbers } from '../../src/graph/ops/util.js';
import { decomposeBatchNorm } from '../../src/passes/decompose-batch-norm.js';
import type { AttrValue } from '../../src/proto/types.js';
import { GraphDefBuilder, T, a, checkOp, randomValue } from '../lower/harness.js';
import { assertUnchanged, ctx, graphBefore, importGraphDef, ops } from './helpers.js';

// Chosen so that the float32 steps and a float64 computation rounded once differ (channels 0, 1).
const GAMMA = [2.9, 0.31, -2.1];
const BETA = [0.1, -0.2, 0.3];
const MEAN = [0.5, -1.1, 2.3];
const VAR = [0.013, 5.5, 0.0007];
const EPS = 0.001;

interface Bn {
  op?: 'FusedBatchNorm' | 'FusedBatchNormV2' | 'FusedBatchNormV3';
  training?: boolean;
  nchw?: boolean;
  gammaPlaceholder?: boolean;
  epsilon?: number | null;
  readMean?: 'node' | 'output';
}

function batchNorm(o: Bn = {}) {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', o.nchw ? [1, 3, 4, 4] : [1, 4, 4, 3]);
  const c = (name: string, v: number[]) => b.const(name, makeValue('float32', [3], v));
  const gamma = o.gammaPlaceholder ? b.placeholder('gamma', 'float32', [3]) : c('gamma', GAMMA);
  const op = o.op ?? 'FusedBatchNormV3';
  const attrs: Record<string, AttrValue> = { ...T(), is_training: a.b(o.training ?? false), data_format: a.s(o.nchw ? 'NCHW' : 'NHWC') };
  if (op !== 'FusedBatchNorm') attrs.U = a.type('float32');
  if (o.epsilon !== null) attrs.epsilon = a.f(o.epsilon ?? EPS);
  b.op('bn', op, [x, gamma, c('beta', BETA), c('mean', MEAN), c('var', VAR)], attrs);
  const outputs = ['bn'];
  if (o.readMean === 'node') {
    b.op('m', 'Neg', ['bn:1'], T());
    outputs.push('m');
  }
  if (o.readMean === 'output') outputs.push('bn:1');
  return { gd: b.build(), outputs };
}

/** TF's float32 steps, written out independently of the pass: m = rsqrt(var + eps) * gamma, b = beta - mean * m. */
function expected(eps: number): { m: number[]; b: number[] } {
  const f = Float32Array;
  const v = f.from(VAR);
  const e = Math.fround(eps);
  const m = GAMMA.map((g, i) => {
    const sum = f.of(v[i] + e)[0];
    const rs = f.of(1 / Math.sqrt(sum))[0];
    return f.of(rs * f.of(g)[0])[0];
  });
  const b = BETA.map((beta, i) => f.of(f.of(beta)[0] - f.of(f.of(MEAN[i])[0] * m[i])[0])[0]);
  return { m, b };
}

function constantsOf(g: Graph): { m: number[]; b: number[] } {
  const [mul, add] = g.nodes;
  return { m: Array.from(numbers(mul.input(1).value as TensorValue)), b: Array.from(numbers(add.input(1).value as TensorValue)) };
}

test('inference FusedBatchNorm, V2 and V3 become Mul + AddV2 with TF\'s float32 constants', () => {
  const want = expected(EPS);
  // The float32 steps matter: computed in float64 and rounded once, some channel differs.
  const f64 = GAMMA.map((g, i) => Math.fround(Math.fround(g) / Math.sqrt(Math.fround(VAR[i]) + Math.fround(EPS))));
  assert.notDeepEqual(f64, want.m);
  for (const op of ['FusedBatchNorm', 'FusedBatchNormV2', 'FusedBatchNormV3'] as const) {
    const { gd, outputs } = batchNorm({ op });
    const g = graphBefore(gd, outputs, decomposeBatchNorm);
    assert.deepEqual(ops(g), [op]);
    const x = g.nodes[0].input(0);
    assert.equal(decomposeBatchNorm.apply(g, ctx).rewrites, 1);
    assert.deepEqual(ops(g), ['Mul', 'AddV2']);
    assert.equal(g.nodes[0].input(0), x);
    assert.equal(g.nodes[1].input(0), g.nodes[0].output(0));
    assert.equal(g.outputs[0], g.nodes[1].output(0));
    assert.equal(g.outputs[0].name, 'bn');
    assert.deepEqual(constantsOf(g), want, op);
    assert.deepEqual(g.nodes.map((n) => n.origins), [['bn'], ['bn']], 'both stand for the batch norm');
  }
});

test('a node without epsilon: the op\'s default 0.0001, as TF and the op semantics use', () => {
  const { gd, outputs } = batchNorm({ epsilon: null });
  const g = graphBefore(gd, outputs, decomposeBatchNorm);
  decomposeBatchNorm.apply(g, ctx);
  assert.deepEqual(constantsOf(g), expected(0.0001));
  // Also on a graph imported without the prepare step that writes default attributes.
  const raw = graphFromGraphDef(gd, { outputs: [{ key: 'bn', name: 'bn' }], source: 'test.pb' });
  decomposeBatchNorm.apply(raw, ctx);
  assert.deepEqual(constantsOf(raw), expected(0.0001));
});

test('numeric: Mul + AddV2 agree with the op semantics of FusedBatchNormV3 (float64 (x - mean) * gamma / sqrt(var + eps) + beta)', () => {
  const { gd, outputs } = batchNorm();
  const g = graphBefore(gd, outputs, decomposeBatchNorm);
  const bn = g.nodes[0];
  const params = bn.inputs.slice(1, 5).map((t) => t?.value as TensorValue);
  const x = makeValue('float32', [1, 4, 4, 3], Array.from(randomValue('float32', [1, 4, 4, 3], 3).data as Float32Array, (v) => 3 * v));
  const evaluate = (n: Node, inputs: TensorValue[]) => {
    const e = tfOps[n.op]?.evaluate;
    assert.ok(e, n.op);
    return e(n, inputs);
  };
  const [want] = evaluate(bn, [x, ...params]);
  decomposeBatchNorm.apply(g, ctx);
  const [mul, add] = g.nodes;
  const [scaled] = evaluate(mul, [x, mul.input(1).value as TensorValue]);
  const [got] = evaluate(add, [scaled, add.input(1).value as TensorValue]);
  const w = numbers(want);
  const y = numbers(got);
  for (let i = 0; i < w.length; i++) assert.ok(Math.abs(y[i] - w[i]) <= 2e-6 * (1 + Math.abs(w[i])), `[${i}] ${y[i]} vs ${w[i]}`);
});

test('numeric: converted (Mul and Add folded into one MUL + ADD) it matches the TF reference', async (t) => {
  const { gd, outputs } = batchNorm();
  await checkOp(t, gd, outputs, { ops: ['MUL@1', 'ADD@1'], atol: 2e-5, makeInputs: (seed) => ({ x: randomValue('float32', [1, 4, 4, 3], seed) }) });
});

test('training, NCHW, a run-time gamma, a read batch_mean: unchanged', () => {
  for (const [what, o] of [
    ['is_training=true', { training: true }],
    ['gamma is a placeholder', { gammaPlaceholder: true }],
    ['batch_mean read by a node', { readMean: 'node' }],
    ['batch_mean a graph output', { readMean: 'output' }],
  ] as [string, Bn][]) {
    const { gd, outputs } = batchNorm(o);
    const g = graphBefore(gd, outputs, decomposeBatchNorm);
    assert.ok(ops(g).includes('FusedBatchNormV3'), what);
    assertUnchanged(decomposeBatchNorm, g, what);
  }
  // NCHW stops shape inference (channels-last only), so the pass sees it straight after import.
  const { gd, outputs } = batchNorm({ nchw: true });
  assertUnchanged(decomposeBatchNorm, importGraphDef(gd, outputs).graph, 'NCHW');
});

test('a second run changes nothing', () => {
  const { gd, outputs } = batchNorm();
  const g = graphBefore(gd, outputs, decomposeBatchNorm);
  decomposeBatchNorm.apply(g, ctx);
  assertUnchanged(decomposeBatchNorm, g, 'idempotent');
});
