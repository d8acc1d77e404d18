// The arithmetic of quantizing constants, shared by every quantization mode (dynamic, float16,
// int8 from calibration or from QAT ranges). It follows TFLite's MLIR converter, which is what
// TFLiteConverter runs today:
// - scale and zero point from a real range: quantfork::fakeQuantAttrsToType (the zero point is
//   nudged to an integer, the scale is not), after ExpandVerySmallRange (quantization_utils.cc),
//   all in double precision;
// - weight ranges: ExtractMinMaxFromAttr (ranges always include 0; symmetric ranges are
//   [-max|w|, max|w|]), per tensor or per channel of one axis;
// - values: UniformQuantizedValueConverter, q = clamp(round(x / scale + zero_point)) with halves
//   rounded away from zero, the double scale (the file stores it rounded to float32);
// - biases: int32 with scale input_scale * weight_scale (per channel) and zero point 0
//   (GetUniformQuantizedTypeForBias);
// - float16: each value clamped to +-65504, then rounded to nearest even (Eigen::half).

import { type TensorValue, floatToHalf, numElements, toFloat64 } from '../core/tensor.js';
import { err } from '../errors/index.js';

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

/** int8 weights as TFLite writes them: signed, narrow range. */
export const INT8_WEIGHTS: IntRange = intRange(8, true, true);
/** int8 activations: signed, full range. */
export const INT8_ACTIVATIONS: IntRange = intRange(8, true, false);

export interface Affine {
  scale: number;
  zeroPoint: number;
}

/** Ranges narrower than this are widened to it around 0 (kNearZeroTolerance). */
const NEAR_ZERO = 1e-6;

/**
 * Scale and zero point that map [rmin, rmax] onto the levels `r`: TFLite's
 * ExpandVerySmallRange + fakeQuantAttrsToType, in double precision.
 */
export function affineFromRange(rmin: number, rmax: number, r: IntRange): Affine {
  let lo = rmin;
  let hi = rmax;
  if (!(hi - lo > NEAR_ZERO)) {
    lo = Math.min(lo, -NEAR_ZERO / 2);
    hi = Math.max(hi, NEAR_ZERO / 2);
  }
  if (Math.abs(hi - lo) < Number.EPSILON) return { scale: 1, zeroPoint: r.qmin };
  const scale = (hi - lo) / (r.qmax - r.qmin);
  // The zero point from whichever end adds the smaller rounding error.
  const fromMin = r.qmin - lo / scale;
  const fromMinError = Math.abs(r.qmin) + Math.abs(lo / scale);
  const fromMax = r.qmax - hi / scale;
  const fromMaxError = Math.abs(r.qmax) + Math.abs(hi / scale);
  const zp = fromMinError < fromMaxError ? fromMin : fromMax;
  const zeroPoint = zp < r.qmin ? r.qmin : zp > r.qmax ? r.qmax : roundHalfAway(zp);
  return { scale, zeroPoint: zeroPoint === 0 ? 0 : zeroPoint };
}

/** std::round: halves away from zero. */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
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
function channelOf(i: number, l: ChannelLayout): number {
  return l.channels === 1 ? 0 : Math.floor(i / l.inner) % l.channels;
}

/**
 * Per-channel (or per-tensor) min/max of float values, always including 0; symmetric ranges
 * are [-m, m] with m the largest magnitude (ExtractMinMaxFromAttr).
 */
export function valueRanges(values: ArrayLike<number>, shape: readonly number[], axis: number | null, symmetric: boolean): { min: number[]; max: number[] } {
  const l = channelLayout(shape, axis);
  const min = new Array<number>(l.channels).fill(0);
  const max = new Array<number>(l.channels).fill(0);
  for (let i = 0; i < values.length; i++) {
    const c = channelOf(i, l);
    const v = values[i];
    if (v < min[c]) min[c] = v;
    if (v > max[c]) max[c] = v;
  }
  if (symmetric) {
    for (let c = 0; c < l.channels; c++) {
      const m = Math.max(Math.abs(min[c]), Math.abs(max[c]));
      min[c] = -m;
      max[c] = m;
    }
  }
  return { min, max };
}

/** A quantized constant: its integer value and parameters (axis set for per-channel ones). */
export interface QuantizedConstant {
  value: TensorValue;
  scale: number[];
  zeroPoint: number[];
  axis?: number;
}

/**
 * Quantize float values with given parameters (one per channel of `axis`, or one): levels
 * clamp(round(x / scale + zp)) stored as int8 (levels within int8) or int32.
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

/** Parameters from per-channel ranges. */
export function affinesFromRanges(min: readonly number[], max: readonly number[], r: IntRange): Affine[] {
  return min.map((lo, c) => affineFromRange(lo, max[c], r));
}

/**
 * int8 weights, symmetric, narrow range [-127, 127], zero point 0: per channel of `axis`, or per
 * tensor when axis is null (TFLite's GetUniformQuantized[PerAxis]TypeForWeight).
 */
export function quantizeSymmetricWeights(v: TensorValue, axis: number | null): QuantizedConstant {
  const { min, max } = valueRanges(toFloat64(v), v.shape, axis, true);
  const params = affinesFromRanges(min, max, INT8_WEIGHTS);
  return {
    value: quantizeWith(v, params, axis, INT8_WEIGHTS),
    scale: params.map((p) => p.scale),
    zeroPoint: params.map((p) => p.zeroPoint),
    ...(axis !== null ? { axis } : {}),
  };
}

const INT32_FULL: IntRange = intRange(32, true, false);

/** An int32 bias with scale[c] = input_scale * weight_scale[c] and zero point 0. */
export function quantizeBias(v: TensorValue, inputScale: number, weightScales: readonly number[]): QuantizedConstant {
  const perChannel = weightScales.length > 1;
  const scales = weightScales.map((s) => inputScale * s);
  const n = numElements(v.shape);
  if (perChannel && (v.shape.length !== 1 || n !== scales.length)) {
    throw err.internal(`bias of shape [${v.shape.join(', ')}] for ${scales.length} weight channels`);
  }
  const params = scales.map((scale) => ({ scale, zeroPoint: 0 }));
  return {
    value: quantizeWith(v, params, perChannel ? 0 : null, INT32_FULL, 'int32'),
    scale: scales,
    zeroPoint: scales.map(() => 0),
    ...(perChannel ? { axis: 0 } : {}),
  };
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

/** The float value a quantized level stands for, with the scale as stored (float32). */
export function dequantizeLevel(q: number, p: Affine): number {
  return (q - p.zeroPoint) * Math.fround(p.scale);
}
