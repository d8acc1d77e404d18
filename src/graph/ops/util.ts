// Shared pieces of op semantics: broadcasting, reading and making tensor values, attribute
// conventions. Values are computed in float64 and stored once into the output's dtype, so a
// float32 add/mul/div/sqrt folds to the same bits TensorFlow computes.

import { type DType, allocTyped, dtypeFromTf, isFloat } from '../../core/dtype.js';
import { type TensorValue, floatToHalf, numElements, toFloat64 } from '../../core/tensor.js';
import { err } from '../../errors/index.js';
import type { Node, Shape } from '../ir.js';
import type { InferInput } from './types.js';

/** The output dtype from a type attribute ('T', 'dtype', 'DstT', ...). */
export function typeAttr(node: Node, name: string): DType {
  const n = node.attrType(name);
  const d = dtypeFromTf(n);
  if (!d) throw err.badGraph(node.name, `attribute '${name}' has unknown dtype ${n}`, node.op);
  return d;
}

/** Same as typeAttr, but falls back to the given dtype when the attribute is absent. */
export function typeAttrOr(node: Node, name: string, fallback: DType): DType {
  return node.hasAttr(name) ? typeAttr(node, name) : fallback;
}

/** numpy/TF broadcasting of two shapes; -1 dims stay unknown. */
export function broadcastShapes(node: Node, a: Shape | null, b: Shape | null): Shape | null {
  if (a === null || b === null) return null;
  const rank = Math.max(a.length, b.length);
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
    if (da === db) out.push(da);
    else if (da === 1) out.push(db);
    else if (db === 1) out.push(da);
    else if (da === -1 || db === -1) out.push(da === -1 ? db : da);
    else throw err.shapeError(node.name, node.op, `cannot broadcast shapes [${a.join(',')}] and [${b.join(',')}]`);
  }
  return out;
}

/** Row-major strides of a shape. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/**
 * For each element of `outShape`, the flat index into a tensor of shape `inShape` broadcast to it.
 * Returned lazily as a function to avoid materialising index arrays for scalars.
 */
export function broadcastIndexer(inShape: readonly number[], outShape: readonly number[]): (flat: number) => number {
  const n = numElements(inShape);
  if (n === 1) return () => 0;
  if (inShape.length === outShape.length && inShape.every((d, i) => d === outShape[i])) return (f) => f;
  const rank = outShape.length;
  const padded = [...new Array<number>(rank - inShape.length).fill(1), ...inShape];
  const inStrides = strides(padded).map((s, i) => (padded[i] === 1 ? 0 : s));
  const outStrides = strides(outShape);
  return (flat: number) => {
    let idx = 0;
    let rem = flat;
    for (let d = 0; d < rank; d++) {
      const q = Math.floor(rem / outStrides[d]);
      rem -= q * outStrides[d];
      idx += q * inStrides[d];
    }
    return idx;
  };
}

/** Numbers of a numeric tensor (int64 as Number; float16 decoded). */
export function numbers(v: TensorValue): Float64Array {
  return toFloat64(v);
}

/** A tensor of `dtype` holding `vals`, converted as TensorFlow's Cast would (truncating to integers). */
export function makeValue(dtype: DType, shape: Shape, vals: ArrayLike<number>): TensorValue {
  const n = numElements(shape);
  if (vals.length !== n) throw err.internal(`makeValue: ${vals.length} values for shape [${shape.join(',')}]`);
  if (dtype === 'string') throw err.internal('makeValue: string tensors have no numbers');
  const out = allocTyped(dtype, n);
  if (out instanceof BigInt64Array || out instanceof BigUint64Array) {
    for (let i = 0; i < n; i++) out[i] = BigInt(Math.trunc(vals[i]));
  } else if (dtype === 'float16') {
    for (let i = 0; i < n; i++) out[i] = floatToHalf(vals[i]);
  } else if (dtype === 'bfloat16') {
    for (let i = 0; i < n; i++) out[i] = floatToBfloat16(vals[i]);
  } else if (dtype === 'bool') {
    for (let i = 0; i < n; i++) out[i] = vals[i] ? 1 : 0;
  } else if (isFloat(dtype)) {
    for (let i = 0; i < n; i++) out[i] = vals[i];
  } else {
    // Integer typed arrays wrap modulo 2^bits on store, as a C cast does.
    for (let i = 0; i < n; i++) out[i] = Math.trunc(vals[i]);
  }
  return { dtype, shape, data: out };
}

const bf32 = new Float32Array(1);
const bu32 = new Uint32Array(bf32.buffer);

/**
 * bfloat16 bits of a number: rounded to float32 first, then to nearest-even bfloat16 (TF's
 * float -> bfloat16 Cast); `truncate` drops the low 16 bits instead (Cast with Truncate=true).
 */
export function floatToBfloat16(v: number, truncate = false): number {
  bf32[0] = v;
  const x = bu32[0];
  if (Number.isNaN(bf32[0])) return ((x >>> 16) & 0x8000) | 0x7fc0;
  if (truncate) return x >>> 16;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** A constant input's value, or a shape error naming the input. */
export function constInput(node: Node, inputs: InferInput[], i: number, what: string): TensorValue {
  const v = inputs[i]?.value;
  if (!v) throw err.shapeError(node.name, node.op, `${what} (input ${i}) must be a constant`);
  return v;
}

/** A constant integer vector (or scalar) input as numbers. */
export function constInts(node: Node, inputs: InferInput[], i: number, what: string): number[] {
  return Array.from(numbers(constInput(node, inputs, i, what)));
}

/** Normalise a possibly negative axis against a rank. */
export function normAxis(node: Node, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw err.shapeError(node.name, node.op, `axis ${axis} is out of range for rank ${rank}`);
  return a;
}

export function requireRank(node: Node, shape: Shape | null, rank: number, what = 'input'): Shape {
  if (shape === null) throw err.shapeError(node.name, node.op, `${what} has unknown rank; give --input-shape`);
  if (shape.length !== rank) throw err.shapeError(node.name, node.op, `${what} must have rank ${rank}, got [${shape.join(',')}]`);
  return shape;
}

export function sameShape(a: Shape | null): Shape | null {
  return a === null ? null : a.slice();
}
