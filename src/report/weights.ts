// Weights per layer: how unevenly the output channels of a weight tensor use their range, and what
// that costs. A tensor whose channels span very different ranges loses precision with one scale
// (per-tensor quantization): the small channels get few of the 255 levels. The what-if numbers
// quantize the float weights symmetric int8 ([-127, 127], as TFLite's weights) with one scale and
// with one per channel; `stored` compares them with the weights the quantized file really holds.

import { INT8_NARROW, quantizeValue, symmetricParams } from '../quantize/math.js';
import { type ReportModel, constantValues } from './model.js';
import { sqnrOf } from './stats.js';

export interface WeightReport {
  /** Which input of the operator holds the weights. */
  input: number;
  /** Tensor name in the quantized model. */
  tensor: string;
  shape: number[];
  /** dtype in the quantized model. */
  dtype: string;
  /** The output-channel axis the spread is measured along. */
  axis: number;
  channels: number;
  /** Per channel max |w| of the float weights: the smallest (over non-zero channels) and largest. */
  channelMaxAbs: { min: number; max: number };
  /** largest / smallest non-zero channel max |w|; 1 for one channel. */
  spread: number;
  /** Channels whose weights are all zero (left out of the spread). */
  zeroChannels: number;
  /** SQNR (dB) of the float weights quantized int8 with one scale for the tensor. */
  perTensorSqnr: number | null;
  /** Same with one scale per output channel. */
  perChannelSqnr: number | null;
  /** SQNR of the weights the quantized file holds (dequantized) against the float weights. */
  storedSqnr: number | null;
  /** How the quantized file stores them: 'per-channel' (n scales), 'per-tensor', or 'float'. */
  stored: 'per-channel' | 'per-tensor' | 'float';
  /** One scale would lose at least a bit: per-tensor SQNR more than 6.02 dB below per-channel. */
  flagged: boolean;
}

/** Weight input and output-channel axis of the ops that have weights. */
const WEIGHTS: Readonly<Record<string, { input: number; axis: number }>> = {
  CONV_2D: { input: 1, axis: 0 },
  DEPTHWISE_CONV_2D: { input: 1, axis: 3 },
  FULLY_CONNECTED: { input: 1, axis: 0 },
  TRANSPOSE_CONV: { input: 1, axis: 0 },
  CONV_3D: { input: 1, axis: 4 },
  BATCH_MATMUL: { input: 1, axis: -1 },
  EMBEDDING_LOOKUP: { input: 1, axis: 0 },
};

/** One bit of precision, in dB. */
const ONE_BIT_DB = 20 * Math.log10(2);

export function analyseWeights(fm: ReportModel, qm: ReportModel, qOp: number, fOp: number | null): WeightReport | null {
  const op = qm.ops[qOp];
  const rule = WEIGHTS[op.op];
  if (!rule) return null;
  const qt = qm.tensors[op.inputs[rule.input]];
  if (!qt?.constant) return null;
  const stored = constantValues(qm, qt.index);
  // The float weights: the float model's operator, else (no partner) what the quantized file holds.
  const fOperator = fOp === null ? null : fm.ops[fOp];
  const fIndex = fOperator && WEIGHTS[fOperator.op] ? fOperator.inputs[WEIGHTS[fOperator.op].input] : -1;
  // Only the same op with the same weight shape lays its weights out the same way (TOCO writes a
  // one-input-channel CONV_2D as DEPTHWISE_CONV_2D, with the weights transposed).
  const sameLayout =
    fIndex >= 0 &&
    fOperator?.op === op.op &&
    fm.tensors[fIndex]?.constant === true &&
    fm.tensors[fIndex].shape.length === qt.shape.length &&
    fm.tensors[fIndex].shape.every((d, k) => d === qt.shape[k]);
  const floatValues = sameLayout ? constantValues(fm, fIndex) : null;
  const w = floatValues && stored && floatValues.length === stored.length ? floatValues : stored;
  if (!w || w.length === 0) return null;
  const shape = qt.shape;
  const axis = rule.axis < 0 ? shape.length + rule.axis : rule.axis;
  if (axis < 0 || axis >= shape.length) return null;
  const channels = shape[axis];
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < w.length; i++) {
    const c = Math.floor(i / inner) % channels;
    const a = Math.abs(w[i]);
    if (a > maxAbs[c]) maxAbs[c] = a;
  }
  let lo = Infinity;
  let hi = 0;
  for (const m of maxAbs) {
    if (m > 0 && m < lo) lo = m;
    if (m > hi) hi = m;
  }
  if (!Number.isFinite(lo)) lo = 0;
  const quantizeWith = (scaleOf: (c: number) => number): Float64Array => {
    const out = new Float64Array(w.length);
    for (let i = 0; i < w.length; i++) {
      const s = scaleOf(Math.floor(i / inner) % channels);
      out[i] = quantizeValue(w[i], s, 0, INT8_NARROW) * s;
    }
    return out;
  };
  const one = symmetricParams(hi).scale;
  const per = Array.from(maxAbs, (m) => symmetricParams(m).scale);
  const perTensorSqnr = sqnrOf(w, quantizeWith(() => one));
  const perChannelSqnr = sqnrOf(w, quantizeWith((c) => per[c]));
  const quantized = qt.quant !== null && qt.dtype !== 'float32' && qt.dtype !== 'float16';
  return {
    input: rule.input,
    tensor: qt.name,
    shape: shape.slice(),
    dtype: qt.dtype ?? 'unknown',
    axis,
    channels,
    channelMaxAbs: { min: lo, max: hi },
    spread: lo > 0 ? hi / lo : 1,
    zeroChannels: maxAbs.reduce((n, m) => n + (m === 0 ? 1 : 0), 0),
    perTensorSqnr,
    perChannelSqnr,
    storedSqnr: quantized && stored && floatValues && w === floatValues ? sqnrOf(floatValues, stored) : null,
    stored: !quantized ? 'float' : (qt.quant?.scale.length ?? 0) > 1 ? 'per-channel' : 'per-tensor',
    flagged: perTensorSqnr !== null && perChannelSqnr !== null && perChannelSqnr - perTensorSqnr > ONE_BIT_DB,
  };
}
