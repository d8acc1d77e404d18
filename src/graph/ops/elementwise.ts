// Elementwise ops: one line per op, stamped over families (unary, binary with broadcasting,
// comparison, logical). Each entry gives the scalar function used when folding constants.

import { dtypeFromTf } from '../../core/dtype.js';
import type { TensorValue } from '../../core/tensor.js';
import { numElements } from '../../core/tensor.js';
import { err } from '../../errors/index.js';
import type { Node } from '../ir.js';
import type { InferInput, OpTable, TfOpSemantics } from './types.js';
import { broadcastIndexer, broadcastShapes, makeValue, numbers, sameShape } from './util.js';

type Unary = (x: number) => number;
type Binary = (a: number, b: number) => number;

const f32 = Math.fround;

const UNARY: Record<string, Unary> = {
  Neg: (x) => -x,
  Abs: Math.abs,
  Square: (x) => x * x,
  Sqrt: Math.sqrt,
  Rsqrt: (x) => 1 / Math.sqrt(x),
  Exp: Math.exp,
  Log: Math.log,
  Log1p: Math.log1p,
  Sin: Math.sin,
  Cos: Math.cos,
  Tanh: Math.tanh,
  Sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  Relu: (x) => (x > 0 ? x : 0),
  Relu6: (x) => Math.min(Math.max(x, 0), 6),
  Elu: (x) => (x > 0 ? x : Math.expm1(x)),
  Selu: (x) => 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * Math.expm1(x)),
  Softplus: (x) => Math.log1p(Math.exp(x)),
  Floor: Math.floor,
  Ceil: Math.ceil,
  Round: (x) => {
    // Banker's rounding, as TF's Round.
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  },
  Sign: Math.sign,
  Reciprocal: (x) => 1 / x,
  Inv: (x) => 1 / x,
  Erf: erf,
  LogicalNot: (x) => (x ? 0 : 1),
  // Identity-like ops live in shape.ts: they pass values through untouched (int64, strings).
};

const BINARY: Record<string, Binary> = {
  Add: (a, b) => a + b,
  AddV2: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  RealDiv: (a, b) => a / b,
  Div: (a, b) => a / b,
  DivNoNan: (a, b) => (b === 0 ? 0 : a / b),
  FloorDiv: (a, b) => Math.floor(a / b),
  FloorMod: (a, b) => a - Math.floor(a / b) * b,
  TruncateDiv: (a, b) => Math.trunc(a / b),
  Maximum: Math.max,
  Minimum: Math.min,
  Pow: Math.pow,
  SquaredDifference: (a, b) => (a - b) * (a - b),
  // BiasAdd lives in nn.ts: it checks data_format and the bias length.
};

const COMPARE: Record<string, Binary> = {
  Equal: (a, b) => +(a === b),
  NotEqual: (a, b) => +(a !== b),
  Less: (a, b) => +(a < b),
  LessEqual: (a, b) => +(a <= b),
  Greater: (a, b) => +(a > b),
  GreaterEqual: (a, b) => +(a >= b),
  LogicalAnd: (a, b) => +(a !== 0 && b !== 0),
  LogicalOr: (a, b) => +(a !== 0 || b !== 0),
};

/** Integer division in TF truncates (Div) or floors (FloorDiv); keep integers integral. */
function integralDivision(op: string, fn: Binary): Binary {
  if (op === 'Div' || op === 'RealDiv') return (a, b) => Math.trunc(a / b);
  return fn;
}

/**
 * Elementwise ops take `count` inputs (any number for AddN) of one dtype, which their T attribute
 * names when it is set: a graph that says otherwise is refused here, naming the node, rather than
 * exported as an op TFLite would reject or miscompute.
 */
function checkInputs(n: Node, xs: readonly InferInput[], count: number | null): void {
  if (count !== null ? xs.length !== count : xs.length === 0) {
    throw err.badGraph(n.name, `${n.op} takes ${count ?? 'at least 1'} input${count === 1 ? '' : 's'} but the node has ${xs.length}`, n.op);
  }
  // Dtypes guessed behind an op tfconv cannot interpret prove nothing; that op is reported anyway.
  if (xs.some((x) => x.guessed)) return;
  for (let i = 1; i < xs.length; i++) {
    if (xs[i].dtype !== xs[0].dtype) {
      throw err.badGraph(n.name, `input ${i} is ${xs[i].dtype} but input 0 is ${xs[0].dtype}; ${n.op} takes inputs of one dtype`, n.op);
    }
  }
  if (n.hasAttr('T')) {
    const t = n.attrs.T;
    const declared = t?.value === 'type' && t.type !== undefined ? dtypeFromTf(t.type) : undefined;
    if (declared !== undefined && declared !== xs[0].dtype) {
      throw err.badGraph(n.name, `attribute T is ${declared} but the node's inputs are ${xs[0].dtype}`, n.op);
    }
  }
}

function unary(op: string, fn: Unary): TfOpSemantics {
  return {
    infer: (n, xs) => {
      checkInputs(n, xs, 1);
      const x = xs[0] as InferInput;
      return [{ dtype: x.dtype, shape: sameShape(x.shape) }];
    },
    evaluate: (_n, [x]) => {
      const v = numbers(x);
      const out = new Float64Array(v.length);
      const isF32 = x.dtype === 'float32';
      for (let i = 0; i < v.length; i++) out[i] = isF32 ? f32(fn(v[i])) : fn(v[i]);
      return [makeValue(x.dtype, x.shape.slice(), out)];
    },
  };
}

function binary(op: string, fn: Binary, resultBool: boolean): TfOpSemantics {
  return {
    infer: (n, xs) => {
      checkInputs(n, xs, 2);
      const [a, b] = xs as [InferInput, InferInput];
      return [{ dtype: resultBool ? 'bool' : a.dtype, shape: broadcastShapes(n, a.shape, b.shape) }];
    },
    evaluate: (n, [a, b]) => {
      const shape = broadcastShapes(n, a.shape, b.shape) as number[];
      const f = !resultBool && !isFloatValue(a) ? integralDivision(op, fn) : fn;
      return [makeValue(resultBool ? 'bool' : a.dtype, shape, broadcastApply(a, b, shape, f))];
    },
  };
}

function isFloatValue(v: TensorValue): boolean {
  return v.dtype === 'float32' || v.dtype === 'float64' || v.dtype === 'float16' || v.dtype === 'bfloat16';
}

export function broadcastApply(a: TensorValue, b: TensorValue, shape: number[], fn: Binary): Float64Array {
  const va = numbers(a);
  const vb = numbers(b);
  const n = numElements(shape);
  const ia = broadcastIndexer(a.shape, shape);
  const ib = broadcastIndexer(b.shape, shape);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = fn(va[ia(i)], vb[ib(i)]);
  return out;
}

// Abramowitz-Stegun 7.1.26 is too coarse for folding; use a series/continued fraction split.
function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let sum = ax;
    let term = ax;
    for (let k = 1; k < 60; k++) {
      term *= (-ax * ax) / k;
      sum += term / (2 * k + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = 0;
  for (let k = 60; k >= 1; k--) f = (k / 2) / (ax + f);
  return Math.sign(x) * (1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f));
}

function addNOp(): TfOpSemantics {
  return {
    infer: (n, xs) => {
      checkInputs(n, xs, null);
      return [{ dtype: xs[0].dtype, shape: xs.reduce((s, x) => broadcastShapes(n, s, x.shape), xs[0].shape) }];
    },
    evaluate: (_n, xs) => {
      const acc = new Float64Array(numbers(xs[0]));
      for (const x of xs.slice(1)) {
        const v = numbers(x);
        for (let i = 0; i < acc.length; i++) acc[i] += v[i];
      }
      return [makeValue(xs[0].dtype, xs[0].shape.slice(), acc)];
    },
  };
}

export const elementwiseOps: OpTable = {
  ...Object.fromEntries(Object.entries(UNARY).map(([op, fn]) => [op, unary(op, fn)])),
  ...Object.fromEntries(Object.entries(BINARY).map(([op, fn]) => [op, binary(op, fn, false)])),
  ...Object.fromEntries(Object.entries(COMPARE).map(([op, fn]) => [op, binary(op, fn, true)])),
  AddN: addNOp(),
  LeakyRelu: {
    infer: (n, xs) => {
      checkInputs(n, xs, 1);
      const x = xs[0] as InferInput;
      return [{ dtype: x.dtype, shape: sameShape(x.shape) }];
    },
    evaluate: (n: Node, [x]) => {
      const alpha = n.attrFloat('alpha', 0.2);
      const v = numbers(x);
      return [makeValue(x.dtype, x.shape.slice(), v.map((e) => (e > 0 ? e : f32(alpha) * e)))];
    },
  },
};
