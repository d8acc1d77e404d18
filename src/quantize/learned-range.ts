// Learned quantization ranges of QAT graphs: what a FakeQuantWithMinMax{Args,Vars,VarsPerChannel}
// or QuantizeAndDequantize{V2,V3,V4} node quantizes to, as one FakeQuant-style record
// (min, max, num_bits, narrow_range, per tensor or per channel). The record lives in Tensor.quant
// (scale/zeroPoint empty) of the node's output; src/passes/record-learned-ranges.ts sets it before
// folding, the lowering keeps it on weights, and the int8 quantizer turns it into scales and zero
// points (src/quantize/qat.ts) instead of calibrating.
//
// QuantizeAndDequantize is not a FakeQuant: TensorFlow scales the range so that one end maps
// exactly onto the signed (or unsigned) integer levels and moves the other end
// (quantize_and_dequantize_op.h, ComputeQuantizationRange). The grid it produces is
// { k * inv_scale : k in [min_q, max_q] }; the record describes exactly that grid, which is also
// what TFLite's kernels can represent (signed grids get zero point 0).

import type { TensorValue } from '../core/tensor.js';
import { toFloat64 } from '../core/tensor.js';
import type { Node, QuantParams, Tensor } from '../graph/ir.js';

export const FAKE_QUANT_OPS: ReadonlySet<string> = new Set([
  'FakeQuantWithMinMaxArgs',
  'FakeQuantWithMinMaxVars',
  'FakeQuantWithMinMaxVarsPerChannel',
  'QuantizeAndDequantizeV2',
  'QuantizeAndDequantizeV3',
  'QuantizeAndDequantizeV4',
]);

export interface LearnedRange {
  /** One value per channel of `axis`, or one. */
  min: number[];
  max: number[];
  /** Channel axis of the tensor, or null for one range. */
  axis: number | null;
  numBits: number;
  narrowRange: boolean;
}

/** The learned range of a fake-quant node, or why there is none (a one-line reason). */
export function learnedRangeOf(n: Node, valueOf: (t: Tensor | null) => TensorValue | null): LearnedRange | string {
  switch (n.op) {
    case 'FakeQuantWithMinMaxArgs':
      return fakeQuant(n, [n.attrFloat('min', -6)], [n.attrFloat('max', 6)], null);
    case 'FakeQuantWithMinMaxVars':
    case 'FakeQuantWithMinMaxVarsPerChannel': {
      const mn = valueOf(n.inputs[1] ?? null);
      const mx = valueOf(n.inputs[2] ?? null);
      if (!mn || !mx) return 'its min and max are not constants';
      const perChannel = n.op === 'FakeQuantWithMinMaxVarsPerChannel';
      const rank = n.inputs[0]?.rank ?? -1;
      if (perChannel && rank < 1) return 'the rank of its input is unknown';
      return fakeQuant(n, Array.from(toFloat64(mn)), Array.from(toFloat64(mx)), perChannel ? rank - 1 : null);
    }
    case 'QuantizeAndDequantizeV2':
    case 'QuantizeAndDequantizeV3':
    case 'QuantizeAndDequantizeV4':
      return quantizeAndDequantize(n, valueOf);
    default:
      return `${n.op} is not a fake-quant op`;
  }
}

function fakeQuant(n: Node, min: number[], max: number[], axis: number | null): LearnedRange | string {
  const numBits = n.attrInt('num_bits', 8);
  if (numBits < 2 || numBits > 16) return `num_bits ${numBits} is outside [2, 16]`;
  if (min.length !== max.length || min.length === 0) return 'its min and max differ in length';
  return { min, max, axis, numBits, narrowRange: n.attrBool('narrow_range', false) };
}

function quantizeAndDequantize(n: Node, valueOf: (t: Tensor | null) => TensorValue | null): LearnedRange | string {
  const v3 = n.op === 'QuantizeAndDequantizeV3';
  const signed = n.attrBool('signed_input', true);
  let bits: number;
  if (v3) {
    const b = valueOf(n.inputs[3] ?? null);
    if (!b) return 'its num_bits input is not a constant';
    bits = toFloat64(b)[0];
  } else {
    bits = n.attrInt('num_bits', 8);
  }
  if (!(Number.isInteger(bits) && bits >= 2 && bits <= 16)) return `num_bits ${bits} is outside [2, 16]`;
  const narrow = n.attrBool('narrow_range', false);
  const axisAttr = n.attrInt('axis', -1);
  const rangeGiven = n.attrBool('range_given', v3);
  const x = n.inputs[0] ?? null;
  // float32 inputs are computed in float32 by TensorFlow; double inputs in double.
  const r = x?.dtype === 'float64' ? (v: number) => v : Math.fround;
  let mins: number[];
  let maxs: number[];
  if (rangeGiven) {
    const mn = valueOf(n.inputs[1] ?? null);
    const mx = valueOf(n.inputs[2] ?? null);
    if (!mn || !mx) return 'its input_min and input_max are not constants';
    mins = Array.from(toFloat64(mn), r);
    maxs = Array.from(toFloat64(mx), r);
  } else {
    // The range is the data's own: only constants (weights) have one before run time.
    const xv = valueOf(x);
    if (!xv) return 'range_given is false, so the range is computed at run time from the data';
    const data = toFloat64(xv);
    const depth = axisAttr === -1 ? 1 : xv.shape[axisAttr];
    const inner = axisAttr === -1 ? Math.max(1, data.length) : xv.shape.slice(axisAttr + 1).reduce((a, b) => a * b, 1);
    mins = new Array<number>(depth).fill(Infinity);
    maxs = new Array<number>(depth).fill(-Infinity);
    for (let i = 0; i < data.length; i++) {
      const c = axisAttr === -1 ? 0 : Math.floor(i / inner) % depth;
      const v = r(data[i]);
      if (v < mins[c]) mins[c] = v;
      if (v > maxs[c]) maxs[c] = v;
    }
  }
  if (mins.length !== maxs.length || mins.length === 0) return 'its input_min and input_max differ in length';
  const half = 2 ** (bits - 1);
  const minQ = signed ? (narrow ? -half + 1 : -half) : 0;
  const maxQ = signed ? half - 1 : 2 ** bits - 1;
  const min: number[] = [];
  const max: number[] = [];
  for (let c = 0; c < mins.length; c++) {
    const inv = qdqInvScale(mins[c], maxs[c], minQ, maxQ, r);
    min.push(r(minQ * inv));
    max.push(r(maxQ * inv));
  }
  return { min, max, axis: axisAttr === -1 ? null : axisAttr, numBits: bits, narrowRange: signed && narrow };
}

/** The step of TensorFlow's QuantizeAndDequantize grid (ComputeQuantizationRange). */
function qdqInvScale(minRange: number, maxRange: number, minQ: number, maxQ: number, r: (x: number) => number): number {
  const limit = Number.POSITIVE_INFINITY;
  const fromMin = r(minQ * minRange) > 0 ? r(minQ / minRange) : limit;
  const fromMax = r(maxQ * maxRange) > 0 ? r(maxQ / maxRange) : limit;
  return fromMin < fromMax ? r(minRange / minQ) : r(maxRange / maxQ);
}

/** The record as Tensor.quant (a learned range: no scale yet). */
export function rangeAsQuant(range: LearnedRange): QuantParams {
  return {
    scale: [],
    zeroPoint: [],
    min: range.min.slice(),
    max: range.max.slice(),
    ...(range.axis !== null ? { axis: range.axis } : {}),
    numBits: range.numBits,
    narrowRange: range.narrowRange,
  };
}

/** The learned range a tensor carries (float tensors of QAT graphs), or null. */
export function learnedRange(t: Tensor): LearnedRange | null {
  const q = t.quant;
  if (!q || q.scale.length > 0 || !q.min || !q.max || q.min.length === 0 || q.numBits === undefined) return null;
  return { min: q.min.slice(), max: q.max.slice(), axis: q.axis ?? null, numBits: q.numBits, narrowRange: q.narrowRange === true };
}

/**
 * The FakeQuant range TFLite's FAKE_QUANT kernel can run for a per-tensor record: the kernel
 * refuses narrow_range, so a narrow range [min, max] (levels 1..2^b-1) becomes the full range
 * with one more level below min; only inputs below min - step/2 come out differently.
 */
export function fakeQuantKernelRange(range: LearnedRange): { min: number; max: number; numBits: number } {
  const min = range.min[0];
  const max = range.max[0];
  if (!range.narrowRange) return { min, max, numBits: range.numBits };
  const step = (max - min) / (2 ** range.numBits - 2);
  return { min: Math.fround(min - step), max, numBits: range.numBits };
}

/**
 * The learned range of a constant derived from a weight by transposing its dimensions with
 * `perm` (output dimension i is input dimension perm[i]): the channel axis moves along.
 */
export function transposedQuant(q: QuantParams | null, perm: readonly number[]): QuantParams | null {
  if (!q) return null;
  if (q.axis === undefined) return { ...q, scale: q.scale.slice(), zeroPoint: q.zeroPoint.slice() };
  return { ...q, axis: perm.indexOf(q.axis) };
}

/**
 * The learned range of a depthwise filter reshaped from TensorFlow's [H, W, C, M] to TFLite's
 * [1, H, W, C*M]: channel c*M + m takes the range of m (axis 3) or of c (axis 2); ranges along
 * H or W have no TFLite form and are dropped (the quantizer then derives ranges from values).
 */
export function depthwiseQuant(q: QuantParams | null, c: number, m: number): QuantParams | null {
  if (!q || q.axis === undefined) return q ? { ...q } : null;
  if ((q.axis !== 2 && q.axis !== 3) || !q.min || !q.max) return null;
  const pick = (j: number): number => (q.axis === 3 ? j % m : Math.floor(j / m));
  const idx = Array.from({ length: c * m }, (_, j) => pick(j));
  return { ...q, axis: 3, min: idx.map((i) => (q.min as number[])[i]), max: idx.map((i) => (q.max as number[])[i]) };
}
