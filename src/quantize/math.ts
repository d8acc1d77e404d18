// Scale / zero-point arithmetic and the quantize-a-tensor helpers, shared by every quantization
// mode (int8 full integer, dynamic range, QAT import). The formulas are TFLite's MLIR quantizer's
// (FakeQuantSupport.cpp: fakeQuantAttrsToType and getNudgedScaleAndZeroPoint; quantization_utils
// for weights): ranges always include 0, computed in double, the zero point nudged to an integer
// from whichever end of the range adds the smaller rounding error; scales are stored as float32,
// so everything here quantizes with the float32 value the file will hold.

import type { TensorValue } from '../core/tensor.js';
import { err } from '../errors/index.js';
import type { QuantParams } from '../graph/ir.js';
import { numbers } from '../graph/ops/util.js';

/** Integer range of a quantized type. */
export interface QRange {
  qmin: number;
  qmax: number;
}

/** int8 activations: [-128, 127]. */
export const INT8: QRange = { qmin: -128, qmax: 127 };
/** int8 weights (symmetric, "narrow range"): [-127, 127], zero point 0. */
export const INT8_NARROW: QRange = { qmin: -127, qmax: 127 };
export const UINT8: QRange = { qmin: 0, qmax: 255 };

/** std::round: halves away from zero (Math.round rounds them up). */
export function roundHalfAwayFromZero(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** One (scale, zero point) pair; the scale as the float32 the file stores. */
export interface ScaleZp {
  scale: number;
  zeroPoint: number;
}

/**
 * Asymmetric parameters for the real range [rmin, rmax] (widened to include 0), as MLIR's
 * fakeQuantAttrsToType computes them. A range of width ~0 (an all-zero tensor) gets scale 1 and
 * zero point qmin, exactly as TFLite does, so 0 is still exact.
 */
export function asymmetricParams(rmin: number, rmax: number, range: QRange = INT8): ScaleZp {
  if (!Number.isFinite(rmin) || !Number.isFinite(rmax)) throw err.quantization(`range [${rmin}, ${rmax}] is not finite`);
  const lo = Math.min(rmin, 0);
  const hi = Math.max(rmax, 0);
  const { qmin, qmax } = range;
  if (Math.abs(hi - lo) < Number.EPSILON) return { scale: 1, zeroPoint: qmin };
  const scale = (hi - lo) / (qmax - qmin);
  return { scale: Math.fround(scale), zeroPoint: nudgedZeroPoint(lo, hi, scale, range) };
}

/** The zero point MLIR picks: from rmin or rmax (smaller error), rounded and clamped to [qmin, qmax]. */
function nudgedZeroPoint(rmin: number, rmax: number, scale: number, { qmin, qmax }: QRange): number {
  const fromMin = qmin - rmin / scale;
  const fromMinError = Math.abs(qmin) + Math.abs(rmin / scale);
  const fromMax = qmax - rmax / scale;
  const fromMaxError = Math.abs(qmax) + Math.abs(rmax / scale);
  const zp = fromMinError < fromMaxError ? fromMin : fromMax;
  if (zp < qmin) return qmin;
  if (zp > qmax) return qmax;
  return roundHalfAwayFromZero(zp);
}

/**
 * Symmetric parameters for values whose largest magnitude is `maxAbs` (zero point 0, narrow
 * range [-127, 127] for int8 weights). An all-zero slice gets scale 1: any scale represents it.
 */
export function symmetricParams(maxAbs: number, range: QRange = INT8_NARROW): ScaleZp {
  if (!Number.isFinite(maxAbs)) throw err.quantization(`weights contain a non-finite value (${maxAbs})`);
  if (maxAbs < Number.EPSILON) return { scale: 1, zeroPoint: 0 };
  // (rmax - rmin) / (qmax - qmin) with rmin = -rmax, as MLIR computes it (same rounding).
  return { scale: Math.fround((2 * maxAbs) / (range.qmax - range.qmin)), zeroPoint: 0 };
}

/** QuantParams (the graph's form) for one per-tensor pair. */
export function perTensor(p: ScaleZp): QuantParams {
  return { scale: [p.scale], zeroPoint: [p.zeroPoint] };
}

/** Same scale and zero point (per-tensor parameters). */
export function sameParams(a: QuantParams | null, b: QuantParams | null): boolean {
  if (!a || !b) return false;
  return (
    a.scale.length === b.scale.length &&
    a.scale.every((s, i) => s === b.scale[i]) &&
    a.zeroPoint.every((z, i) => z === b.zeroPoint[i]) &&
    (a.axis ?? 0) === (b.axis ?? 0)
  );
}

/** q = clamp(round(x / scale) + zp, qmin, qmax). */
export function quantizeValue(x: number, scale: number, zeroPoint: number, { qmin, qmax }: QRange): number {
  const q = roundHalfAwayFromZero(x / scale) + zeroPoint;
  return q < qmin ? qmin : q > qmax ? qmax : q;
}

/** A float constant quantized to int8 per tensor with the given parameters (values clamp). */
export function quantizeTensorInt8(v: TensorValue, p: ScaleZp, range: QRange = INT8): TensorValue {
  const x = numbers(v);
  const out = new Int8Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = quantizeValue(x[i], p.scale, p.zeroPoint, range);
  return { dtype: 'int8', shape: v.shape.slice(), data: out };
}

/** Smallest and largest value of a numeric constant (both 0 for an empty tensor). */
export function valueRange(v: TensorValue): { min: number; max: number } {
  const x = numbers(v);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const a = x[i];
    if (a < min) min = a;
    if (a > max) max = a;
  }
  return x.length === 0 ? { min: 0, max: 0 } : { min, max };
}

export interface PerChannelWeights {
  value: TensorValue;
  params: QuantParams;
}

/**
 * Symmetric int8 weights, one scale per slice along `axis` (TFLite: CONV_2D axis 0,
 * DEPTHWISE_CONV_2D axis 3) or one for the whole tensor (axis null). Zero points are 0.
 */
export function quantizeWeightsSymmetric(v: TensorValue, axis: number | null, range: QRange = INT8_NARROW): PerChannelWeights {
  const x = numbers(v);
  const shape = v.shape;
  if (axis !== null && (axis < 0 || axis >= shape.length)) throw err.internal(`per-channel axis ${axis} out of range for shape [${shape}]`);
  const channels = axis === null ? 1 : shape[axis];
  // Element i belongs to channel floor(i / inner) % channels.
  const inner = axis === null ? x.length || 1 : shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number): number => (axis === null ? 0 : Math.floor(i / inner) % channels);
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]);
    const c = channelOf(i);
    if (a > maxAbs[c] || Number.isNaN(a)) maxAbs[c] = a;
  }
  const ps = Array.from(maxAbs, (m) => symmetricParams(m, range));
  const out = new Int8Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = quantizeValue(x[i], ps[channelOf(i)].scale, 0, range);
  const params: QuantParams = { scale: ps.map((p) => p.scale), zeroPoint: ps.map(() => 0) };
  if (axis !== null) params.axis = axis;
  return { value: { dtype: 'int8', shape: shape.slice(), data: out }, params };
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * An int32 bias for an op whose input has scale `inputScale` and whose weights have
 * `weightScales` (one per output channel, or one): scale[c] = inputScale * weightScales[c],
 * zero point 0, quantized along axis 0. Values beyond int32 clamp (reported via `clamped`).
 */
export function quantizeBias(v: TensorValue, inputScale: number, weightScales: readonly number[]): { value: TensorValue; params: QuantParams; clamped: number } {
  const x = numbers(v);
  const perChannel = weightScales.length > 1;
  if (perChannel && weightScales.length !== x.length) {
    throw err.internal(`bias has ${x.length} values but the weights have ${weightScales.length} channel scales`);
  }
  const scales = weightScales.map((w) => Math.fround(inputScale * w));
  const out = new Int32Array(x.length);
  let clamped = 0;
  for (let i = 0; i < x.length; i++) {
    const s = scales[perChannel ? i : 0];
    let q = s > 0 ? roundHalfAwayFromZero(x[i] / s) : 0;
    if (q < INT32_MIN || q > INT32_MAX) {
      q = q < INT32_MIN ? INT32_MIN : INT32_MAX;
      clamped++;
    }
    out[i] = q;
  }
  const params: QuantParams = { scale: scales, zeroPoint: scales.map(() => 0) };
  if (perChannel) params.axis = 0;
  return { value: { dtype: 'int32', shape: v.shape.slice(), data: out }, params, clamped };
}

/** The float values an int8/uint8/int32 tensor with these per-tensor parameters stands for. */
export function dequantize(q: ArrayLike<number>, p: ScaleZp): Float64Array {
  const out = new Float64Array(q.length);
  for (let i = 0; i < q.length; i++) out[i] = (q[i] - p.zeroPoint) * p.scale;
  return out;
}
