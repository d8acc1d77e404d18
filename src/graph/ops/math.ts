// Math ops beyond the elementwise table: predicates with bool results (IsNan...), more unary
// functions, truncating Mod, ClipByValue and cumulative sums/products.

import type { DType } from '../../core/dtype.js';
import { isFloat } from '../../core/dtype.js';
import { numElements } from '../../core/tensor.js';
import type { Node, Shape } from '../ir.js';
import { axisIn, fail, fmt } from './check.js';
import { broadcastValue } from './shape.js';
import type { OpTable, TfOpSemantics } from './types.js';
import { broadcastIndexer, broadcastShapes, makeValue, numbers, sameShape } from './util.js';

function unaryOp(fn: (x: number) => number, resultBool = false): TfOpSemantics {
  const dtypeOf = (d: DType): DType => (resultBool ? 'bool' : d);
  return {
    infer: (_n, [x]) => [{ dtype: dtypeOf(x.dtype), shape: sameShape(x.shape) }],
    evaluate: (_n, [x]) => {
      const v = numbers(x);
      const out = new Float64Array(v.length);
      for (let i = 0; i < v.length; i++) out[i] = fn(v[i]);
      return [makeValue(dtypeOf(x.dtype), x.shape.slice(), out)];
    },
  };
}

function binaryOp(fn: (a: number, b: number, float: boolean) => number): TfOpSemantics {
  return {
    infer: (n, [a, b]) => [{ dtype: a.dtype, shape: broadcastShapes(n, a.shape, b.shape) }],
    evaluate: (n, [a, b]) => {
      const shape = broadcastShapes(n, a.shape, b.shape) as Shape;
      const count = numElements(shape);
      const ia = broadcastIndexer(a.shape, shape);
      const ib = broadcastIndexer(b.shape, shape);
      const va = numbers(a);
      const vb = numbers(b);
      const float = isFloat(a.dtype);
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = fn(va[ia(i)], vb[ib(i)], float);
      return [makeValue(a.dtype, shape, out)];
    },
  };
}

/** C's fmod / integer %: the result has the sign of the dividend. */
function truncMod(a: number, b: number, float: boolean): number {
  if (!float && b === 0) return 0;
  return a % b;
}

const clipByValue: TfOpSemantics = {
  infer: (n, [t, lo, hi]) => {
    for (const [v, what] of [
      [lo, 'clip_value_min'],
      [hi, 'clip_value_max'],
    ] as const) {
      if (t.shape && v.shape && v.shape.length !== 0 && (v.shape.length !== t.shape.length || v.shape.some((d, i) => d !== (t.shape as Shape)[i]))) {
        throw fail(n, `${what} ${fmt(v.shape)} must be a scalar or have the shape of t ${fmt(t.shape)}`);
      }
    }
    return [{ dtype: t.dtype, shape: sameShape(t.shape) }];
  },
  evaluate: (_n, [t, lo, hi]) => {
    const tv = numbers(t);
    const lv = numbers(broadcastValue(lo, t.shape));
    const hv = numbers(broadcastValue(hi, t.shape));
    const out = new Float64Array(tv.length);
    for (let i = 0; i < tv.length; i++) out[i] = Math.max(Math.min(tv[i], hv[i]), lv[i]);
    return [makeValue(t.dtype, t.shape.slice(), out)];
  },
};

function cumulative(product: boolean): TfOpSemantics {
  return {
    infer: (n, [x, a]) => {
      if (a.shape && a.shape.length !== 0) throw fail(n, `axis must be a scalar, got ${fmt(a.shape)}`);
      return [{ dtype: x.dtype, shape: sameShape(x.shape) }];
    },
    evaluate: (n: Node, [x, a]) => {
      const axis = axisIn(n, numbers(a)[0], x.shape.length);
      const exclusive = n.attrBool('exclusive', false);
      const reverse = n.attrBool('reverse', false);
      const len = x.shape[axis];
      const inner = numElements(x.shape.slice(axis + 1));
      const outer = numElements(x.shape.slice(0, axis));
      const xv = numbers(x);
      const out = new Float64Array(xv.length);
      for (let o = 0; o < outer; o++) {
        for (let t = 0; t < inner; t++) {
          let acc = product ? 1 : 0;
          for (let s = 0; s < len; s++) {
            const j = reverse ? len - 1 - s : s;
            const at = (o * len + j) * inner + t;
            if (exclusive) {
              out[at] = acc;
              acc = product ? acc * xv[at] : acc + xv[at];
            } else {
              acc = product ? acc * xv[at] : acc + xv[at];
              out[at] = acc;
            }
          }
        }
      }
      return [makeValue(x.dtype, x.shape.slice(), out)];
    },
  };
}

export const mathOps: OpTable = {
  IsNan: unaryOp((x) => +Number.isNaN(x), true),
  IsInf: unaryOp((x) => +(x === Infinity || x === -Infinity), true),
  IsFinite: unaryOp((x) => +Number.isFinite(x), true),
  Expm1: unaryOp(Math.expm1),
  Softsign: unaryOp((x) => x / (1 + Math.abs(x))),
  Tan: unaryOp(Math.tan),
  Atan: unaryOp(Math.atan),
  Asin: unaryOp(Math.asin),
  Acos: unaryOp(Math.acos),
  Sinh: unaryOp(Math.sinh),
  Cosh: unaryOp(Math.cosh),
  Asinh: unaryOp(Math.asinh),
  Acosh: unaryOp(Math.acosh),
  Atanh: unaryOp(Math.atanh),
  Atan2: binaryOp((a, b) => Math.atan2(a, b)),
  Mod: binaryOp(truncMod),
  TruncateMod: binaryOp(truncMod),
  ClipByValue: clipByValue,
  Cumsum: cumulative(false),
  Cumprod: cumulative(true),
};
