// Elementwise, activation, comparison, cast and arg-max ops: one-op GraphDefs converted with the
// real pipeline, run in the TFLite WASM runtime and compared with the TF reference (tfjs) on
// seeded inputs. Tolerances: arithmetic is exact or one rounding (1e-6 absolute on O(1) values);
// transcendental functions are separate implementations on both sides (1e-6 absolute + 1e-5
// relative unless stated).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DType } from '../../src/core/dtype.js';
import type { TensorValue } from '../../src/core/tensor.js';
import { makeValue } from '../../src/graph/ops/util.js';
import { GraphDefBuilder, T, a, checkOp, convert, opsOf, randomValue, runTflite, uniformValue } from './harness.js';

function unary(op: string, shape: number[], attrs = {}) {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', shape);
  b.op('y', op, [x], { ...T(), ...attrs });
  return b.build();
}

function binary(op: string, xs: number[], ys: number[], dtype: DType = 'float32', attrs = {}) {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', dtype, xs);
  const y = b.placeholder('z', dtype, ys);
  b.op('y', op, [x, y], { ...T(dtype), ...attrs });
  return b.build();
}

/** Seeded normals times `k`, for one or more inputs. */
const scaled =
  (shapes: Record<string, number[]>, k: number) =>
  (seed: number): Record<string, TensorValue> =>
    Object.fromEntries(
      Object.entries(shapes).map(([name, shape], i) => {
        const v = randomValue('float32', shape, seed + i);
        return [name, makeValue('float32', shape, Array.from(v.data as Float32Array, (x) => x * k))];
      }),
    );

const positive =
  (shapes: Record<string, number[]>, lo = 0.05, hi = 4) =>
  (seed: number): Record<string, TensorValue> =>
    Object.fromEntries(Object.entries(shapes).map(([name, shape], i) => [name, uniformValue(shape, lo, hi, seed + i)]));

const EXACT = 1e-6;

for (const [op, tfl] of [
  ['Add', 'ADD'],
  ['AddV2', 'ADD'],
  ['Sub', 'SUB'],
  ['Mul', 'MUL'],
  ['Maximum', 'MAXIMUM'],
  ['Minimum', 'MINIMUM'],
  ['SquaredDifference', 'SQUARED_DIFFERENCE'],
] as const) {
  test(`${op} with broadcasting [2,3,4] x [3,1] -> ${tfl}`, async (t) => {
    await checkOp(t, binary(op, [2, 3, 4], [3, 1]), ['y'], { ops: [`${tfl}@1`], atol: EXACT });
  });
}

test('RealDiv with broadcasting -> DIV', async (t) => {
  await checkOp(t, binary('RealDiv', [2, 3, 4], [4]), ['y'], { ops: ['DIV@1'], atol: EXACT, rtol: 1e-6, makeInputs: positive({ x: [2, 3, 4], z: [4] }, 0.5, 3) });
});

test('Add of int32 -> ADD', async (t) => {
  await checkOp(t, binary('AddV2', [2, 3], [2, 3], 'int32'), ['y'], { ops: ['ADD@1'], atol: 0 });
});

test('BiasAdd not after a conv -> ADD', async (t) => {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', [2, 3, 4]);
  b.op('y', 'BiasAdd', [x, b.weights('b', [4], 3)], { ...T(), data_format: a.s('NHWC') });
  await checkOp(t, b.build(), ['y'], { ops: ['ADD@1'], atol: EXACT });
});

test('AddN of three -> ADD_N', async (t) => {
  const b = new GraphDefBuilder();
  const xs = ['x0', 'x1', 'x2'].map((n) => b.placeholder(n, 'float32', [2, 5]));
  b.op('y', 'AddN', xs, { ...T(), N: a.i(3) });
  await checkOp(t, b.build(), ['y'], { ops: ['ADD_N@1'], atol: EXACT });
});

test('Relu -> RELU', async (t) => {
  await checkOp(t, unary('Relu', [2, 3, 4]), ['y'], { ops: ['RELU@1'], atol: 0 });
});

test('Relu6 (inputs beyond 6) -> RELU6', async (t) => {
  await checkOp(t, unary('Relu6', [2, 3, 4]), ['y'], { ops: ['RELU6@1'], atol: 0, makeInputs: scaled({ x: [2, 3, 4] }, 5) });
});

test('LeakyRelu alpha 0.3 -> LEAKY_RELU', async (t) => {
  await checkOp(t, unary('LeakyRelu', [2, 3, 4], { alpha: a.f(0.3) }), ['y'], { ops: ['LEAKY_RELU@1'], atol: EXACT });
});

for (const [op, tfl] of [
  ['Elu', 'ELU'],
  ['Sigmoid', 'LOGISTIC'],
  ['Tanh', 'TANH'],
  ['Exp', 'EXP'],
] as const) {
  test(`${op} -> ${tfl}`, async (t) => {
    await checkOp(t, unary(op, [3, 7]), ['y'], { ops: [`${tfl}@1`], atol: EXACT, rtol: 1e-5, makeInputs: scaled({ x: [3, 7] }, 2) });
  });
}

test('Softmax of rank 3 (last axis) -> SOFTMAX', async (t) => {
  await checkOp(t, unary('Softmax', [2, 3, 5]), ['y'], { ops: ['SOFTMAX@1'], atol: EXACT, rtol: 1e-5, makeInputs: scaled({ x: [2, 3, 5] }, 3) });
});

test('LogSoftmax of rank 3 (last axis) -> LOG_SOFTMAX', async (t) => {
  await checkOp(t, unary('LogSoftmax', [2, 4, 6]), ['y'], { ops: ['LOG_SOFTMAX@1'], atol: 1e-5, rtol: 1e-5, makeInputs: scaled({ x: [2, 4, 6] }, 3) });
});

test('Softmax of rank 2 -> SOFTMAX', async (t) => {
  await checkOp(t, unary('Softmax', [3, 10]), ['y'], { ops: ['SOFTMAX@1'], atol: EXACT, rtol: 1e-5, makeInputs: scaled({ x: [3, 10] }, 3) });
});

for (const [op, tfl] of [
  ['Rsqrt', 'RSQRT'],
  ['Sqrt', 'SQRT'],
  ['Log', 'LOG'],
] as const) {
  test(`${op} of positive inputs -> ${tfl}`, async (t) => {
    await checkOp(t, unary(op, [3, 7]), ['y'], { ops: [`${tfl}@1`], atol: EXACT, rtol: 1e-5, makeInputs: positive({ x: [3, 7] }) });
  });
}

for (const [op, tfl] of [
  ['Square', 'SQUARE'],
  ['Abs', 'ABS'],
  ['Neg', 'NEG'],
  ['Floor', 'FLOOR'],
] as const) {
  test(`${op} -> ${tfl}`, async (t) => {
    await checkOp(t, unary(op, [3, 7]), ['y'], { ops: [`${tfl}@1`], atol: EXACT, makeInputs: scaled({ x: [3, 7] }, 3) });
  });
}

test('Cast float32 -> int32 (truncation) -> CAST', async (t) => {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', [3, 5]);
  b.op('y', 'Cast', [x], { SrcT: a.type('float32'), DstT: a.type('int32'), Truncate: a.b(false) });
  await checkOp(t, b.build(), ['y'], { ops: ['CAST@1'], atol: 0, makeInputs: scaled({ x: [3, 5] }, 4) });
});

test('Cast int32 -> float32 -> CAST', async (t) => {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'int32', [3, 5]);
  b.op('y', 'Cast', [x], { SrcT: a.type('int32'), DstT: a.type('float32'), Truncate: a.b(false) });
  await checkOp(t, b.build(), ['y'], { ops: ['CAST@1'], atol: 0 });
});

test('Cast bool -> float32 -> CAST', async (t) => {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'bool', [6]);
  b.op('y', 'Cast', [x], { SrcT: a.type('bool'), DstT: a.type('float32'), Truncate: a.b(false) });
  await checkOp(t, b.build(), ['y'], { ops: ['CAST@1'], atol: 0 });
});

test('ArgMax with output_type int32 -> ARG_MAX', async (t) => {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', [3, 4, 5]);
  b.op('y', 'ArgMax', [x, b.const('axis', makeValue('int32', [], [-2]))], { ...T(), Tidx: a.type('int32'), output_type: a.type('int32') });
  await checkOp(t, b.build(), ['y'], { ops: ['ARG_MAX@1'], atol: 0 });
});

test('ArgMax with int64 output (the default) and int64 axis, read through a CAST to int32', async (t) => {
  // The WASM runtime cannot read int64 outputs; the int64 ARG_MAX output stays inside the graph.
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', [3, 6]);
  const am = b.op('am', 'ArgMax', [x, b.const('axis', makeValue('int64', [], [1]))], { ...T(), Tidx: a.type('int64'), output_type: a.type('int64') });
  b.op('y', 'Cast', [am], { SrcT: a.type('int64'), DstT: a.type('int32'), Truncate: a.b(false) });
  const c = await checkOp(t, b.build(), ['y'], { ops: ['ARG_MAX@1', 'CAST@1'], atol: 0 });
  const axis = c.graph.nodes[0].inputs[1];
  if (axis?.dtype !== 'int32') throw new Error(`axis is ${axis?.dtype}, expected int32`);
});

test('ArgMin -> ARG_MIN', async (t) => {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', [4, 5]);
  b.op('y', 'ArgMin', [x, b.const('axis', makeValue('int32', [], [0]))], { ...T(), Tidx: a.type('int32'), output_type: a.type('int32') });
  await checkOp(t, b.build(), ['y'], { ops: ['ARG_MIN@1'], atol: 0 });
});

for (const [op, tfl] of [
  ['Equal', 'EQUAL'],
  ['NotEqual', 'NOT_EQUAL'],
  ['Less', 'LESS'],
  ['LessEqual', 'LESS_EQUAL'],
  ['Greater', 'GREATER'],
  ['GreaterEqual', 'GREATER_EQUAL'],
] as const) {
  test(`${op} of int32 with broadcasting -> ${tfl}`, async (t) => {
    await checkOp(t, binary(op, [4, 5], [5], 'int32', { incompatible_shape_error: a.b(true) }), ['y'], { ops: [`${tfl}@1`], atol: 0 });
  });
}

test('Greater of float32 -> GREATER', async (t) => {
  await checkOp(t, binary('Greater', [4, 5], [4, 5]), ['y'], { ops: ['GREATER@1'], atol: 0 });
});

test('Select of same shapes -> SELECT', async (t) => {
  const b = new GraphDefBuilder();
  const cnd = b.placeholder('c', 'bool', [4, 3]);
  const x = b.placeholder('x', 'float32', [4, 3]);
  const z = b.placeholder('z', 'float32', [4, 3]);
  b.op('y', 'Select', [cnd, x, z], T());
  await checkOp(t, b.build(), ['y'], { ops: ['SELECT@1'], atol: 0 });
});

// tfjs's Select broadcasts like SelectV2 and rejects TF1's row-picking form: checked by hand.
test('Select with a rank-1 condition picks rows -> SELECT (hand-checked)', async (t) => {
  const b = new GraphDefBuilder();
  const cnd = b.placeholder('c', 'bool', [4]);
  const x = b.placeholder('x', 'float32', [4, 3]);
  const z = b.placeholder('z', 'float32', [4, 3]);
  b.op('y', 'Select', [cnd, x, z], T());
  const c = convert(b.build(), ['y']);
  assert.deepEqual(opsOf(c), ['SELECT@1']);
  const xv = randomValue('float32', [4, 3], 1);
  const zv = randomValue('float32', [4, 3], 2);
  const rows = [1, 0, 0, 1];
  const [got] = await runTflite(c, [makeValue('bool', [4], rows), xv, zv]);
  const want = Array.from({ length: 12 }, (_, i) => (rows[Math.floor(i / 3)] ? (xv.data as Float32Array)[i] : (zv.data as Float32Array)[i]));
  assert.deepEqual(Array.from(got.data as Float32Array), want);
  t.diagnostic('max abs error 0 (hand-checked) [SELECT@1]');
});

test('SelectV2 with broadcasting -> SELECT_V2', async (t) => {
  const b = new GraphDefBuilder();
  const cnd = b.placeholder('c', 'bool', [1, 3]);
  const x = b.placeholder('x', 'float32', [2, 3]);
  const z = b.placeholder('z', 'float32', [2, 1]);
  b.op('y', 'SelectV2', [cnd, x, z], T());
  await checkOp(t, b.build(), ['y'], { ops: ['SELECT_V2@1'], atol: 0 });
});

test('ZerosLike of an input -> ZEROS_LIKE', async (t) => {
  await checkOp(t, unary('ZerosLike', [2, 3]), ['y'], { ops: ['ZEROS_LIKE@1'], atol: 0 });
});

test('Sigmoid(x) * x (swish) stays LOGISTIC + MUL', async (t) => {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', [2, 8]);
  const s = b.op('s', 'Sigmoid', [x], T());
  b.op('y', 'Mul', [s, x], T());
  await checkOp(t, b.build(), ['y'], { ops: ['LOGISTIC@1', 'MUL@1'], atol: EXACT, rtol: 1e-5, makeInputs: scaled({ x: [2, 8] }, 3) });
});

test('IsNan -> NOT_EQUAL(x, x)', async (t) => {
  await checkOp(t, unary('IsNan', [2, 4]), ['y'], {
    ops: ['NOT_EQUAL@1'],
    atol: 0,
    makeInputs: () => ({ x: makeValue('float32', [2, 4], [0, Number.NaN, 1, Number.POSITIVE_INFINITY, Number.NaN, -2, -0, Number.NEGATIVE_INFINITY]) }),
  });
});
