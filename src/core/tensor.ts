// A tensor's value in memory: what readers produce (constants, variables, .npy files) and what
// passes and writers consume. Numeric data is a typed array (often a view into the file's bytes);
// strings are byte strings.

import { type DType, type TypedArray, DTYPES, allocTyped } from './dtype.js';

export interface TensorValue {
  dtype: DType;
  /** Fully known dimensions; [] for a scalar. */
  shape: number[];
  /** Typed array for fixed-size types (float16/bfloat16 as uint16 bits, bool as uint8); byte strings for 'string'. */
  data: TypedArray | Uint8Array[];
}

export function numElements(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function isStringTensor(v: TensorValue): v is TensorValue & { data: Uint8Array[] } {
  return v.dtype === 'string';
}

/** The raw little-endian bytes of a fixed-size tensor (a view, no copy). */
export function tensorBytes(v: TensorValue): Uint8Array {
  if (Array.isArray(v.data)) throw new Error(`tensorBytes: ${v.dtype} tensors have no fixed-size bytes`);
  const d = v.data as TypedArray;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** Number values of a numeric tensor as float64 (int64 via Number(), float16 decoded). */
export function toFloat64(v: TensorValue): Float64Array {
  if (Array.isArray(v.data)) throw new Error(`toFloat64: ${v.dtype} tensor is not numeric`);
  const src = v.data;
  const out = new Float64Array(src.length);
  if (v.dtype === 'float16') {
    for (let i = 0; i < src.length; i++) out[i] = halfToFloat(src[i] as number);
  } else if (v.dtype === 'bfloat16') {
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    for (let i = 0; i < src.length; i++) {
      u[0] = (src[i] as number) << 16;
      out[i] = f[0];
    }
  } else if (src instanceof BigInt64Array || src instanceof BigUint64Array) {
    for (let i = 0; i < src.length; i++) out[i] = Number(src[i]);
  } else {
    for (let i = 0; i < src.length; i++) out[i] = src[i] as number;
  }
  return out;
}

/** A zero tensor of the given dtype and shape. */
export function zeros(dtype: DType, shape: number[]): TensorValue {
  const n = numElements(shape);
  if (dtype === 'string') return { dtype, shape, data: Array.from({ length: n }, () => new Uint8Array(0)) };
  return { dtype, shape, data: allocTyped(dtype, n) };
}

export function bytesPerElement(dtype: DType): number {
  return DTYPES[dtype].size;
}

// IEEE 754 binary16 <-> binary32, for float16 weights.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function halfToFloat(h: number): number {
  const s = (h & 0x8000) >> 15;
  const e = (h & 0x7c00) >> 10;
  const f = h & 0x03ff;
  if (e === 0) return (s ? -1 : 1) * 2 ** -14 * (f / 1024);
  if (e === 0x1f) return f ? NaN : (s ? -1 : 1) * Infinity;
  return (s ? -1 : 1) * 2 ** (e - 15) * (1 + f / 1024);
}

/** Round-to-nearest-even conversion, as numpy's astype(float16). */
export function floatToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++;
  return sign | half;
}
