// The arithmetic of quantization, one module for every mode (dynamic, float16, int8 from
// calibration or from learned QAT ranges). It follows TFLite's MLIR converter, which is what
// TFLiteConverter runs today:
// - scale and zero point from a real range: ExpandVerySmallRange, then
//   quantfork::fakeQuantAttrsToType (quantization_utils.cc, FakeQuantSupport.cpp), in double
//   precision: the zero point is nudged to an integer from whichever end of the range adds the
//   smaller rounding error, the scale is not;
// - calibrated activation ranges are widened to include 0 first (so 0, e.g. padding, is exact);
//   learned FakeQuant ranges are taken as training used them (TensorFlow's FakeQuant nudges a
//   range that misses 0 the same way: the zero point clamps to the end of the levels);
// - symmetric weights: [-max|w|, max|w|] per tensor or per channel of one axis, narrow range
//   [-127, 127], zero point 0 (GetUniformQuantized[PerAxis]TypeForWeight);
// - values: q = clamp(round(x / scale + zero_point)) with halves rounded away from zero
//   (UniformQuantizedValueConverter, std::round). Calibrated parameters are used with their scale
//   as the file stores it (float32, TFLite's legacy_float_scale), learned ones as computed;
// - biases: int32 with scale input_scale x weight_scale (per channel) and zero point 0
//   (GetUniformQuantizedTypeForBias);
// - float16: each value clamped to +-65504, then rounded to nearest even (Eigen::half).

import { type TensorValue, floatToHalf, numElements, toFloat64 } from '../core/tensor.js';
import { err } from '../errors/index.js';
import type { QuantParams } from '../graph/ir.js';

/** The integer levels a quantized tensor may use. */
export interface IntRange {
  qmin: number;
  qmax: number;
}

/**
 * The levels of an integer type of `numBits` bits (TFLite's fake-quant storage parameters);
 * narrow range drops the lowest level (int8 weights: [-127, 127]).
 */
export function intRange(numBits: number, signed: boolean, narrowRange: boolean): IntRange {
  const qmin = signed ? -(2 ** (numBits - 1)) : 0;
  const qmax = signed ? 2 ** (numBits - 1) - 1 : 2 ** numBits - 1;
  return { qmin: narrowRange ? qmin + 1 : qmin, qmax };
}

/** int8 activations: [-128, 127]. */
export const INT8: IntRange = intRange(8, true, false);
/** int8 weights (symmetric, "narrow range"): [-127, 127], zero point 0. */
export const INT8_NARROW: IntRange = intRange(8, true, true);
export const UINT8: IntRange = intRange(8, false, false);
const INT32: IntRange = intRange(32, true, false);

/** std::round: halves away from zero (Math.round rounds them up). */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** One scale and zero point. */
export interface Affine {
  scale: number;
  zeroPoint: number;
}

/** Ranges narrower than this are widened to it around 0 (kNearZeroTolerance). */
const NEAR_ZERO = 1e-6;

/**
 * Scale and zero point that map [rmin, rmax] onto the levels `r`: TFLite's
 * ExpandVerySmallRange + fakeQuantAttrsToType, in double precision (the scale unrounded).
 */
export function affineFromRange(rmin: number, rmax: number, r: IntRange): Affine {
  if (!Number.isFinite(rmin) || !Number.isFinite(rmax)) throw err.quantization(`range [${rmin}, ${rmax}] is not finite`);
  let lo = rmin;
  let hi = rmax;
  if (!(hi - lo > NEAR_ZERO)) {
    lo = Math.min(lo, -NEAR_ZERO / 2);
    hi = Math.max(hi, NEAR_ZERO / 2);
  }
  const scale = (hi - lo) / (r.qmax - r.qmin);
  const fromMin = r.qmin - lo / scale;
  const fromMinError = Math.abs(r.qmin) + Math.abs(lo / scale);
  const fromMax = r.qmax - hi / scale;
  const fromMaxError = Math.abs(r.qmax) + Math.abs(hi / scale);
  const zp = fromMinError < fromMaxError ? fromMin : fromMax;
  const zeroPoint = zp < r.qmin ? r.qmin : zp > r.qmax ? r.qmax : roundHalfAway(zp);
  return { scale, zeroPoint: zeroPoint === 0 ? 0 : zeroPoint };
}

/**
 * The parameters with the scale as the file stores it (float32): what the int8 path computes
 * with (biases at input x weight scale, levels), so learned and calibrated ranges that give the
 * same file also give the same integers.
 */
export function stored(p: Affine): Affine {
  return { scale: Math.fround(p.scale), zeroPoint: p.zeroPoint };
}

/**
 * Parameters of a calibrated activation range: widened to include 0, then affineFromRange, the
 * scale as stored (float32).
 */
export function asymmetricParams(rmin: number, rmax: number, range: IntRange = INT8): Affine {
  if (!Number.isFinite(rmin) || !Number.isFinite(rmax)) throw err.quantization(`range [${rmin}, ${rmax}] is not finite`);
  return stored(affineFromRange(Math.min(rmin, 0), Math.max(rmax, 0), range));
}

/**
 * Symmetric parameters for values whose largest magnitude is `maxAbs` (zero point 0, narrow
 * range [-127, 127] for int8 weights), the scale as stored. An all-zero slice gets scale 1: any
 * scale represents it, and 1 keeps the bias scale (input x weight scale) usable.
 */
export function symmetricParams(maxAbs: number, range: IntRange = INT8_NARROW): Affine {
  if (!Number.isFinite(maxAbs)) throw err.quantization(`weights contain a non-finite value (${maxAbs})`);
  if (maxAbs < Number.EPSILON) return { scale: 1, zeroPoint: 0 };
  // (rmax - rmin) / (qmax - qmin) with rmin = -rmax, as affineFromRange computes it.
  return { scale: Math.fround((2 * maxAbs) / (range.qmax - range.qmin)), zeroPoint: 0 };
}

/** QuantParams (the graph's form) for one per-tensor pair. */
export function perTensor(p: Affine): QuantParams {
  return { scale: [p.scale], zeroPoint: [p.zeroPoint] };
}

/** QuantParams for one pair per channel of `axis` (or one pair, axis null). */
export function quantParams(ps: readonly Affine[], axis: number | null): QuantParams {
  return { scale: ps.map((p) => p.scale), zeroPoint: ps.map((p) => p.zeroPoint), ...(axis !== null ? { axis } : {}) };
}

/** Same scales, zero points and axis. */
export function sameParams(a: QuantParams | null, b: QuantParams | null): boolean {
  if (!a || !b) return false;
  return (
    a.scale.length === b.scale.length &&
    a.scale.every((s, i) => s === b.scale[i]) &&
    a.zeroPoint.every((z, i) => z === b.zeroPoint[i]) &&
    (a.axis ?? 0) === (b.axis ?? 0)
  );
}

/** How the elements of a tensor split into channels of `axis` (null: one channel). */
export interface ChannelLayout {
  channels: number;
  /** Elements in one step of the axis (product of the dimensions after it). */
  inner: number;
}

export function channelLayout(shape: readonly number[], axis: number | null): ChannelLayout {
  if (axis === null) return { channels: 1, inner: Math.max(1, numElements(shape)) };
  if (!(axis >= 0 && axis < shape.length)) throw err.internal(`quantization axis ${axis} is outside shape [${shape.join(', ')}]`);
  return { channels: shape[axis], inner: numElements(shape.slice(axis + 1)) };
}

/** Channel of flat element i. */
export function channelOf(i: number, l: ChannelLayout): number {
  return l.channels === 1 ? 0 : Math.floor(i / l.inner) % l.channels;
}

/** Smallest and largest value of a numeric constant (both 0 for an empty tensor). */
export function valueRange(v: TensorValue): { min: number; max: number } {
  const x = toFloat64(v);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const a = x[i];
    if (a < min) min = a;
    if (a > max) max = a;
  }
  return x.length === 0 ? { min: 0, max: 0 } : { min, max };
}

/** The largest magnitude per channel of `axis` (or of the whole tensor); NaN propagates. */
export function maxAbsPerChannel(values: ArrayLike<number>, shape: readonly number[], axis: number | null): Float64Array {
  const l = channelLayout(shape, axis);
  const maxAbs = new Float64Array(l.channels);
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]);
    const c = channelOf(i, l);
    if (a > maxAbs[c] || Number.isNaN(a)) maxAbs[c] = a;
  }
  return maxAbs;
}

/** A quantized constant: its integer value and parameters (axis set for per-channel ones). */
export interface QuantizedConstant {
  value: TensorValue;
  params: QuantParams;
}

/**
 * Quantize float values with given parameters (one per channel of `axis`, or one):
 * clamp(round(x / scale + zero_point)) into the levels `r`, stored as int8 or int32.
 */
export function quantizeWith(v: TensorValue, params: readonly Affine[], axis: number | null, r: IntRange, dtype: 'int8' | 'int32' = 'int8'): TensorValue {
  const x = toFloat64(v);
  const l = channelLayout(v.shape, axis);
  if (params.length !== l.channels) throw err.internal(`${params.length} quantization parameters for ${l.channels} channels`);
  const out = dtype === 'int8' ? new Int8Array(x.length) : new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const p = params[channelOf(i, l)];
    const q = roundHalfAway(x[i] / p.scale + p.zeroPoint);
    out[i] = q < r.qmin ? r.qmin : q > r.qmax ? r.qmax : q;
  }
  return { dtype, shape: v.shape.slice(), data: out };
}

/**
 * One value as TFLite's QUANTIZE kernel computes it at run time (what an application feeding an
 * int8 input does): round(x / scale) + zero_point, clamped. Differs from quantizeWith only at
 * ties across zero.
 */
export function quantizeValue(x: number, scale: number, zeroPoint: number, { qmin, qmax }: IntRange): number {
  const q = roundHalfAway(x / scale) + zeroPoint;
  return q < qmin ? qmin : q > qmax ? qmax : q;
}

/** A float constant quantized to int8 per tensor with the given parameters (values clamp). */
export function quantizeTensorInt8(v: TensorValue, p: Affine, range: IntRange = INT8): TensorValue {
  return quantizeWith(v, [p], null, range);
}

/**
 * Symmetric int8 weights, one scale per slice along `axis` (TFLite: CONV_2D axis 0,
 * DEPTHWISE_CONV_2D axis 3) or one for the whole tensor (axis null). Zero points are 0.
 */
export function quantizeWeightsSymmetric(v: TensorValue, axis: number | null, range: IntRange = INT8_NARROW): QuantizedConstant {
  const ps = Array.from(maxAbsPerChannel(toFloat64(v), v.shape, axis), (m) => symmetricParams(m, range));
  return { value: quantizeWith(v, ps, axis, range), params: quantParams(ps, axis) };
}

/**
 * An int32 bias for an op whose input has scale `inputScale` and whose weights have
 * `weightScales` (one per output channel, or one): scale[c] = inputScale * weightScales[c],
 * zero point 0, quantized along axis 0. Values beyond int32 clamp (counted in `clamped`).
 */
export function quantizeBias(v: TensorValue, inputScale: number, weightScales: readonly number[]): QuantizedConstant & { clamped: number } {
  const x = toFloat64(v);
  const perChannel = weightScales.length > 1;
  if (perChannel && weightScales.length !== x.length) {
    throw err.internal(`bias has ${x.length} values but the weights have ${weightScales.length} channel scales`);
  }
  const ps = weightScales.map((w) => ({ scale: Math.fround(inputScale * w), zeroPoint: 0 }));
  let clamped = 0;
  for (let i = 0; i < x.length; i++) {
    const s = ps[perChannel ? i : 0].scale;
    const q = s > 0 ? roundHalfAway(x[i] / s) : 0;
    if (q < INT32.qmin || q > INT32.qmax) clamped++;
  }
  // A zero scale (an all-zero weight slice times a zero input scale) quantizes to 0.
  const safe = ps.map((p) => (p.scale > 0 ? p : { scale: Number.POSITIVE_INFINITY, zeroPoint: 0 }));
  const value = quantizeWith(v, safe, perChannel ? 0 : null, INT32, 'int32');
  return { value, params: quantParams(ps, perChannel ? 0 : null), clamped };
}

/** The float values an int8/uint8/int32 tensor with these per-tensor parameters stands for. */
export function dequantize(q: ArrayLike<number>, p: Affine): Float64Array {
  const out = new Float64Array(q.length);
  for (let i = 0; i < q.length; i++) out[i] = (q[i] - p.zeroPoint) * p.scale;
  return out;
}

const HALF_MAX = 65504;

/** float32 values as float16 (clamped to the float16 range, then rounded to nearest even). */
export function toFloat16(v: TensorValue): TensorValue {
  const x = toFloat64(v);
  const out = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = x[i] > HALF_MAX ? HALF_MAX : x[i] < -HALF_MAX ? -HALF_MAX : x[i];
    out[i] = floatToHalf(c);
  }
  return { dtype: 'float16', shape: v.shape.slice(), data: out };
}
