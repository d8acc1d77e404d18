// Data movement shared by the op families: every op that only rearranges elements (transpose,
// slices, concat, pad, tile, gather, reverse) copies the source elements themselves, so int64
// bits, strings and NaN payloads survive folding exactly. Index maps are typed arrays built with
// an odometer, so a 1e6-element transpose takes milliseconds.

import { type TypedArray, allocTyped } from '../../core/dtype.js';
import { type TensorValue, numElements } from '../../core/tensor.js';
import type { Shape } from '../ir.js';
import { strides } from './util.js';

/** Typed-array slots per element: complex types hold (re, im) pairs. */
export function lanes(dtype: string): number {
  return dtype === 'complex64' || dtype === 'complex128' ? 2 : 1;
}

type Slots = { [i: number]: unknown; length: number };

/**
 * Source flat index of every output element, when each output dimension maps to the source on
 * its own: src = sum over d of tables[d][i_d]. An entry of -Infinity in a table marks positions
 * that take a fill value (padding), which the sum keeps at -Infinity.
 */
export function dimGather(outShape: readonly number[], tables: readonly ArrayLike<number>[]): Float64Array {
  const n = numElements(outShape);
  const out = new Float64Array(n);
  const r = outShape.length;
  if (n === 0) return out;
  if (r === 0) {
    out[0] = 0;
    return out;
  }
  const idx = new Int32Array(r);
  const partial = new Float64Array(r);
  for (let d = 1; d < r; d++) partial[d] = partial[d - 1] + tables[d - 1][0];
  const last = r - 1;
  const lastTable = tables[last];
  const lastLen = outShape[last];
  let k = 0;
  for (;;) {
    const base = partial[last];
    for (let i = 0; i < lastLen; i++) out[k++] = base + lastTable[i];
    let d = last - 1;
    while (d >= 0) {
      if (++idx[d] < outShape[d]) break;
      idx[d] = 0;
      d--;
    }
    if (d < 0) break;
    for (let e = d; e < last; e++) partial[e + 1] = partial[e] + tables[e][idx[e]];
  }
  return out;
}

/** tables[d][i] = i * stride + offset, the common affine case (slices, broadcasts, reversal). */
export function affineTable(len: number, stride: number, offset = 0): Float64Array {
  const t = new Float64Array(len);
  for (let i = 0; i < len; i++) t[i] = offset + i * stride;
  return t;
}

/**
 * A new tensor of v's dtype and the given shape whose element k is v's element src[k]; where
 * src[k] is not finite the element is `fill`'s (a scalar of the same dtype) or zero / empty.
 */
export function takeElements(v: TensorValue, shape: Shape, src: ArrayLike<number>, fill?: TensorValue | null): TensorValue {
  const n = src.length;
  if (Array.isArray(v.data)) {
    const data = v.data as Uint8Array[];
    const f = fill && Array.isArray(fill.data) ? (fill.data as Uint8Array[])[0] : new Uint8Array(0);
    const out: Uint8Array[] = new Array<Uint8Array>(n);
    for (let k = 0; k < n; k++) out[k] = Number.isFinite(src[k]) ? data[src[k]] : f;
    return { dtype: v.dtype, shape, data: out };
  }
  const w = lanes(v.dtype);
  const data = v.data as unknown as Slots;
  const out = allocTyped(v.dtype, n) as unknown as Slots;
  const fd = fill && !Array.isArray(fill.data) ? (fill.data as unknown as Slots) : null;
  if (w === 1) {
    for (let k = 0; k < n; k++) {
      const s = src[k];
      if (Number.isFinite(s)) out[k] = data[s];
      else if (fd) out[k] = fd[0];
    }
  } else {
    for (let k = 0; k < n; k++) {
      const s = src[k];
      for (let l = 0; l < w; l++) {
        if (Number.isFinite(s)) out[k * w + l] = data[s * w + l];
        else if (fd) out[k * w + l] = fd[l];
      }
    }
  }
  return { dtype: v.dtype, shape, data: out as unknown as TypedArray };
}

/** The same elements under another shape (no copy: values are never mutated in place). */
export function reshapeValue(v: TensorValue, shape: Shape): TensorValue {
  return { dtype: v.dtype, shape, data: v.data };
}

/** Permute dimensions: output dim d is input dim perm[d]. */
export function transposeValue(v: TensorValue, perm: readonly number[]): TensorValue {
  const inStrides = strides(v.shape);
  const outShape = perm.map((p) => v.shape[p]);
  if (perm.every((p, i) => p === i)) return reshapeValue(v, outShape);
  const tables = perm.map((p, d) => affineTable(outShape[d], inStrides[p]));
  return takeElements(v, outShape, dimGather(outShape, tables));
}

/** Concatenate along `axis` (all other dimensions equal), by block copies. */
export function concatValues(values: readonly TensorValue[], axis: number, outShape: Shape): TensorValue {
  const first = values[0];
  const outer = numElements(outShape.slice(0, axis));
  const inner = numElements(outShape.slice(axis + 1));
  const n = numElements(outShape);
  const w = lanes(first.dtype);
  if (Array.isArray(first.data)) {
    const out: Uint8Array[] = [];
    for (let o = 0; o < outer; o++) {
      for (const v of values) {
        const block = v.shape[axis] * inner;
        const data = v.data as Uint8Array[];
        for (let i = o * block; i < (o + 1) * block; i++) out.push(data[i]);
      }
    }
    return { dtype: first.dtype, shape: outShape, data: out };
  }
  const out = allocTyped(first.dtype, n);
  let k = 0;
  for (let o = 0; o < outer; o++) {
    for (const v of values) {
      const block = v.shape[axis] * inner * w;
      const src = v.data as TypedArray;
      (out as { set(a: ArrayLike<unknown>, offset: number): void }).set(src.subarray(o * block, (o + 1) * block), k);
      k += block;
    }
  }
  return { dtype: first.dtype, shape: outShape, data: out };
}

/** The element at flat index i as a scalar tensor of the same dtype. */
export function scalarAt(v: TensorValue, i: number): TensorValue {
  return takeElements(v, [], [i]);
}
