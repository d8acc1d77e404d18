// Value-checked dtype conversion for tensors given by users (an .npy of float64 for a float32
// input, a JSON literal for an int32 input, int64 for a runtime that has only int32). Nothing
// is clamped or truncated silently: a value that does not fit the target type is an error.

import { type DType, allocTyped } from '../core/dtype.js';
import { type TensorValue, floatToHalf, halfToFloat, numElements } from '../core/tensor.js';
import { err } from '../errors/index.js';

const INT_RANGE: Partial<Record<DType, readonly [bigint, bigint]>> = {
  int8: [-128n, 127n],
  uint8: [0n, 255n],
  int16: [-32768n, 32767n],
  uint16: [0n, 65535n],
  int32: [-2147483648n, 2147483647n],
  uint32: [0n, 4294967295n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

const FLOATS: ReadonlySet<DType> = new Set<DType>(['float16', 'bfloat16', 'float32', 'float64']);

/** True for the dtypes castTensor converts between (real numbers and bool). */
export function isCastable(d: DType): boolean {
  return d === 'bool' || FLOATS.has(d) || INT_RANGE[d] !== undefined;
}

/**
 * `v` as dtype `to`. Integers must fit (and floats be whole numbers) to become integers; only 0
 * and 1 become bools; floats round to the nearest representable value. `what` names the tensor
 * in errors, e.g. "input 'x'".
 */
export function castTensor(v: TensorValue, to: DType, what: string): TensorValue {
  if (v.dtype === to) return v;
  if (!isCastable(v.dtype) || !isCastable(to) || Array.isArray(v.data)) {
    throw err.badInputData(what, `cannot convert ${v.dtype} to ${to}`);
  }
  const n = numElements(v.shape);
  const get = reader(v);
  const out = allocTyped(to, n);
  if (to === 'bool') {
    for (let i = 0; i < n; i++) {
      const x = get(i);
      if (x !== 0 && x !== 1 && x !== 0n && x !== 1n) throw valueError(what, x, i, to, 'only 0 and 1 convert to bool');
      (out as Uint8Array)[i] = x === 1 || x === 1n ? 1 : 0;
    }
  } else if (FLOATS.has(to)) {
    for (let i = 0; i < n; i++) {
      const x = Number(get(i));
      if (to === 'float16') (out as Uint16Array)[i] = floatToHalf(x);
      else if (to === 'bfloat16') (out as Uint16Array)[i] = floatToBfloat16(x);
      else (out as Float32Array | Float64Array)[i] = x;
    }
  } else {
    const [lo, hi] = INT_RANGE[to] as readonly [bigint, bigint];
    const big = out instanceof BigInt64Array || out instanceof BigUint64Array;
    for (let i = 0; i < n; i++) {
      const x = get(i);
      if (typeof x === 'number' && !Number.isInteger(x)) throw valueError(what, x, i, to, 'not a whole number');
      const b = BigInt(x);
      if (b < lo || b > hi) throw valueError(what, x, i, to, `outside [${lo}, ${hi}]`);
      if (big) (out as BigInt64Array | BigUint64Array)[i] = b as never;
      else (out as Int32Array)[i] = Number(b);
    }
  }
  return { dtype: to, shape: [...v.shape], data: out };
}

function reader(v: TensorValue): (i: number) => number | bigint {
  const d = v.data as Exclude<TensorValue['data'], Uint8Array[]>;
  if (v.dtype === 'float16') return (i) => halfToFloat(d[i] as number);
  if (v.dtype === 'bfloat16') {
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    return (i) => {
      u[0] = (d[i] as number) << 16;
      return f[0];
    };
  }
  return (i) => d[i];
}

/** Round-to-nearest-even float32 -> bfloat16 bits. */
export function floatToBfloat16(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0];
  if (Number.isNaN(x)) return 0x7fc0;
  // Round to nearest, ties to even, on the 16 bits that are dropped.
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

function valueError(what: string, x: number | bigint, i: number, to: DType, why: string) {
  return err.badInputData(what, `value ${x} at flat index ${i} cannot become ${to} (${why})`);
}

