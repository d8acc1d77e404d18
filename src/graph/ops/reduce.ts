// Reductions (Sum, Mean, Max, ... over `reduction_indices`, keep_dims) and ArgMax/ArgMin, as
// TensorFlow's ReductionHelper: axes may repeat and be negative, an empty axis list reduces
// nothing, integer Mean truncates like C++ division, Max/Min propagate NaN.

import { type DType, isFloat } from '../../core/dtype.js';
import { type TensorValue, numElements } from '../../core/tensor.js';
import type { Node, Shape } from '../ir.js';
import { fail, fmt, knownInts } from './check.js';
import type { OpTable, TfOpSemantics } from './types.js';
import { makeValue, numbers, strides, typeAttrOr } from './util.js';

/** Reduced dimensions as a bitmap over the input rank, with TF's range check. */
function reducedAxes(n: Node, rank: number, axes: number[]): boolean[] {
  const mask = new Array<boolean>(rank).fill(false);
  for (const a of axes) {
    if (a < -rank || a >= rank) throw fail(n, `invalid reduction dimension ${a} for input of rank ${rank}`);
    mask[(a + rank) % rank] = true;
  }
  return mask;
}

function reduceShape(n: Node, x: Shape | null, axes: number[] | null, axesLen: number): Shape | null {
  const keep = n.attrBool('keep_dims', false);
  if (x === null) return null;
  if (axes === null) {
    if (keep) return new Array<number>(x.length).fill(-1);
    // Without the axes only a single-axis reduction has a known rank.
    return axesLen === 1 || axesLen === 0 ? new Array<number>(x.length - axesLen).fill(-1) : null;
  }
  const mask = reducedAxes(n, x.length, axes);
  const out: Shape = [];
  x.forEach((d, i) => {
    if (!mask[i]) out.push(d);
    else if (keep) out.push(1);
  });
  return out;
}

type Kind = 'Sum' | 'Mean' | 'Prod' | 'Max' | 'Min' | 'All' | 'Any' | 'EuclideanNorm';

/** Lowest and highest values of a dtype, the identities of Max and Min. */
function extremes(dtype: DType): [number, number] {
  switch (dtype) {
    case 'int8':
      return [-128, 127];
    case 'uint8':
      return [0, 255];
    case 'int16':
      return [-32768, 32767];
    case 'uint16':
      return [0, 65535];
    case 'int32':
      return [-2147483648, 2147483647];
    case 'uint32':
      return [0, 4294967295];
    case 'int64':
      return [-(2 ** 63), 2 ** 63 - 1];
    case 'uint64':
      return [0, 2 ** 64 - 1];
    default:
      return [-Infinity, Infinity];
  }
}

export function reduceValue(n: Node, kind: Kind, x: TensorValue, axes: number[]): TensorValue {
  const shape = reduceShape(n, x.shape, axes, axes.length) as Shape;
  const mask = reducedAxes(n, x.shape.length, axes);
  const xv = numbers(x);
  const outCount = numElements(shape);
  // Output flat index of every input element: reduced dimensions contribute nothing.
  const kept = x.shape.map((d, i) => (mask[i] ? 1 : d));
  const keptStrides = strides(kept).map((s, i) => (mask[i] ? 0 : s));
  const inStrides = strides(x.shape);
  const count = outCount === 0 ? 0 : xv.length / outCount;
  const [lo, hi] = extremes(x.dtype);
  const init = kind === 'Prod' || kind === 'All' ? 1 : kind === 'Max' ? lo : kind === 'Min' ? hi : 0;
  const acc = new Float64Array(outCount).fill(init);
  for (let k = 0; k < xv.length; k++) {
    let rem = k;
    let o = 0;
    for (let d = 0; d < inStrides.length; d++) {
      const q = Math.floor(rem / inStrides[d]);
      rem -= q * inStrides[d];
      o += q * keptStrides[d];
    }
    const v = xv[k];
    switch (kind) {
      case 'Sum':
      case 'Mean':
        acc[o] += v;
        break;
      case 'EuclideanNorm':
        acc[o] += v * v;
        break;
      case 'Prod':
        acc[o] *= v;
        break;
      case 'Max':
        if (v > acc[o] || Number.isNaN(v)) acc[o] = Number.isNaN(acc[o]) ? acc[o] : v;
        break;
      case 'Min':
        if (v < acc[o] || Number.isNaN(v)) acc[o] = Number.isNaN(acc[o]) ? acc[o] : v;
        break;
      case 'All':
        acc[o] = acc[o] && v ? 1 : 0;
        break;
      case 'Any':
        acc[o] = acc[o] || v ? 1 : 0;
        break;
    }
  }
  if (kind === 'Mean') {
    const float = isFloat(x.dtype);
    for (let i = 0; i < outCount; i++) acc[i] = float ? acc[i] / count : count === 0 ? 0 : Math.trunc(acc[i] / count);
  } else if (kind === 'EuclideanNorm') {
    for (let i = 0; i < outCount; i++) acc[i] = Math.sqrt(acc[i]);
  }
  return makeValue(kind === 'All' || kind === 'Any' ? 'bool' : x.dtype, shape, acc);
}

function reduceOp(kind: Kind): TfOpSemantics {
  const dtypeOf = (x: { dtype: DType }): DType => (kind === 'All' || kind === 'Any' ? 'bool' : x.dtype);
  return {
    infer: (n, [x, a]) => {
      const axesLen = a.shape === null ? -1 : a.shape.length === 0 ? 1 : a.shape[0];
      return [{ dtype: dtypeOf(x), shape: reduceShape(n, x.shape, knownInts(a), axesLen) }];
    },
    evaluate: (n, [x, a]) => [reduceValue(n, kind, x, Array.from(numbers(a)))],
  };
}

function argShape(n: Node, x: Shape | null, axis: number | null): Shape | null {
  if (x === null) return null;
  if (axis === null) return new Array<number>(Math.max(x.length - 1, 0)).fill(-1);
  if (axis < -x.length || axis >= x.length) throw fail(n, `expected dimension in the range [${-x.length}, ${x.length}), but got ${axis}`);
  const a = axis < 0 ? axis + x.length : axis;
  return [...x.slice(0, a), ...x.slice(a + 1)];
}

function argOp(max: boolean): TfOpSemantics {
  return {
    infer: (n, [x, d]) => {
      const v = knownInts(d);
      if (v && v.length !== 1) throw fail(n, `dimension must be a scalar, got ${fmt(d.value?.shape ?? null)}`);
      return [{ dtype: typeAttrOr(n, 'output_type', 'int64'), shape: argShape(n, x.shape, v ? v[0] : null) }];
    },
    evaluate: (n, [x, d]) => {
      const axis0 = numbers(d)[0];
      const shape = argShape(n, x.shape, axis0) as Shape;
      const axis = axis0 < 0 ? axis0 + x.shape.length : axis0;
      const len = x.shape[axis];
      if (len === 0) throw fail(n, `reduction axis ${axis} is empty in shape ${fmt(x.shape)}`);
      const outer = numElements(x.shape.slice(0, axis));
      const inner = numElements(x.shape.slice(axis + 1));
      const xv = numbers(x);
      const out = new Float64Array(outer * inner);
      for (let o = 0; o < outer; o++) {
        for (let t = 0; t < inner; t++) {
          let best = 0;
          let bv = xv[o * len * inner + t];
          for (let j = 1; j < len; j++) {
            const v = xv[(o * len + j) * inner + t];
            // The first extreme wins ties, as Eigen's argmax/argmin.
            if (max ? v > bv : v < bv) {
              best = j;
              bv = v;
            }
          }
          out[o * inner + t] = best;
        }
      }
      return [makeValue(typeAttrOr(n, 'output_type', 'int64'), shape, out)];
    },
  };
}

export const reduceOps: OpTable = {
  Sum: reduceOp('Sum'),
  Mean: reduceOp('Mean'),
  Prod: reduceOp('Prod'),
  Max: reduceOp('Max'),
  Min: reduceOp('Min'),
  All: reduceOp('All'),
  Any: reduceOp('Any'),
  EuclideanNorm: reduceOp('EuclideanNorm'),
  ArgMax: argOp(true),
  ArgMin: argOp(false),
};
