// Seeded random inputs of the right shape and dtype: the same seed gives the same bytes on every
// machine (mulberry32 + Box-Muller), so verification and calibration runs are reproducible.

import type { DType } from '../core/dtype.js';
import { type TensorValue, numElements } from '../core/tensor.js';
import { makeValue } from '../graph/ops/util.js';

/** A small, fast, well-mixed 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples from a uniform source. */
export function normals(rand: () => number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = Math.max(rand(), Number.MIN_VALUE);
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** Value ranges for integer inputs: small non-negative numbers suit indices and counts. */
const INT_RANGE: Partial<Record<DType, [number, number]>> = {
  uint8: [0, 256],
  int8: [-128, 128],
  int16: [0, 100],
  int32: [0, 10],
  int64: [0, 10],
  uint16: [0, 100],
  uint32: [0, 10],
  bool: [0, 2],
};

export interface InputSpec {
  key: string;
  dtype: DType;
  shape: number[];
}

export function randomTensor(spec: InputSpec, rand: () => number): TensorValue {
  const n = numElements(spec.shape);
  const range = INT_RANGE[spec.dtype];
  if (range) {
    const [lo, hi] = range;
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = lo + Math.floor(rand() * (hi - lo));
    return makeValue(spec.dtype, spec.shape.slice(), v);
  }
  return makeValue(spec.dtype, spec.shape.slice(), normals(rand, n));
}

/** One seeded input set, keyed by input key. */
export function makeRandomInputs(specs: readonly InputSpec[], seed: number): Record<string, TensorValue> {
  const rand = mulberry32(seed);
  const out: Record<string, TensorValue> = {};
  for (const s of specs) out[s.key] = randomTensor(s, rand);
  return out;
}
