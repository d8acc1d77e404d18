// Full-integer (int8) quantization rules, per TFLite builtin op: DATA, one place. The int8 pass
// (./int8-rewrite.ts), the --full-integer check and the docs (docs/supported-ops.md's int8
// column) all read this table.
//
// Sources: TFLite's 8-bit quantization spec (g3doc/performance/quantization_spec.md), the old
// quantizer's operator_property.cc and the MLIR quantizer's op traits (SameOperandsAndResultScale,
// FixedOutputRangeInterface, AffineQuantizedOpInterface). Only ops whose int8 kernels exist in
// the TFLite runtimes we target (~TF 2.11) are listed; anything else stays float between
// DEQUANTIZE and QUANTIZE.

import type { Node } from '../graph/ir.js';

/** How an op's output gets its scale and zero point. */
export type Int8Output =
  /** Its own, from calibration (or QAT ranges). */
  | { kind: 'own' }
  /** Exactly those of activation input `input` (the kernel does not rescale: reshape, pooling, ...). */
  | { kind: 'same'; input: number }
  /** Fixed by the kernel (softmax, logistic, tanh, ...). */
  | { kind: 'fixed'; scale: number; zeroPoint: number }
  /** Not real-valued (bool, int32 indices): left as it is. */
  | { kind: 'none' };

/** A constant input quantized symmetrically (zero point 0, values in [-127, 127]). */
export interface Int8Weight {
  input: number;
  /** Per-channel along this dimension, or null for one scale for the whole tensor. */
  axis: number | null;
  /**
   * The int8 kernel applies a per-tensor weight zero point, so learned (QAT) asymmetric weights
   * may keep their trained grid. No op sets it: TFLite's reference FULLY_CONNECTED kernel reads
   * one, but the optimized path the runtime takes ignores it (a QAT dense layer kept at zero point
   * -2 came out 5.9 dB against float, 29 dB re-centred), so every int8 weight has zero point 0.
   */
  zeroPoint?: boolean;
}

/** An int32 bias: scale = scale(input `input`) x scale(weights at input `weights`)[c], zero point 0. */
export interface Int8Bias {
  bias: number;
  input: number;
  weights: number;
}

export interface Int8Rule {
  /**
   * Real-valued inputs quantized as int8 activations (asymmetric, per tensor); 'all' for ops with
   * any number of them (CONCATENATION, PACK). A constant here is quantized with its own range
   * (or the output's, under sameScaleInputs). Other inputs (shapes, axes, indices) are left alone.
   */
  activations: number[] | 'all';
  weights?: Int8Weight[];
  bias?: Int8Bias;
  output: Int8Output;
  /**
   * The kernel needs every activation input at the output's scale and zero point; an input with
   * other parameters gets a requantizing QUANTIZE (int8 -> int8) in front of it.
   */
  sameScaleInputs?: boolean;
  /** Why this particular node cannot be quantized (null when it can). */
  check?: (n: Node) => string | null;
}

const own: Int8Output = { kind: 'own' };
const same0: Int8Output = { kind: 'same', input: 0 };
const none: Int8Output = { kind: 'none' };

/** Unary ops whose output shares the input's parameters (the data moves, its values do not). */
const sameScaleUnary = (input = 0): Int8Rule => ({ activations: [input], output: { kind: 'same', input } });

const constWeights =
  (...indices: number[]) =>
  (n: Node): string | null => {
    for (const i of indices) if (!n.inputs[i]?.value) return `input ${i} (weights) is not a constant`;
    return null;
  };

/**
 * Per TFLite op (the name without 'tfl.'): how it is quantized to int8. FULLY_CONNECTED weights
 * are per-tensor, as TFLite's spec and every runtime we target require (see PER_CHANNEL_FC).
 */
export const INT8_RULES: Readonly<Record<string, Int8Rule>> = {
  // --- weighted layers: symmetric weights, int32 bias ---
  CONV_2D: {
    activations: [0],
    weights: [{ input: 1, axis: 0 }],
    bias: { bias: 2, input: 0, weights: 1 },
    output: own,
    check: constWeights(1),
  },
  DEPTHWISE_CONV_2D: {
    activations: [0],
    weights: [{ input: 1, axis: 3 }],
    bias: { bias: 2, input: 0, weights: 1 },
    output: own,
    check: constWeights(1),
  },
  FULLY_CONNECTED: {
    activations: [0],
    weights: [{ input: 1, axis: null }],
    bias: { bias: 2, input: 0, weights: 1 },
    output: own,
    check: constWeights(1),
  },
  TRANSPOSE_CONV: {
    activations: [2],
    weights: [{ input: 1, axis: 0 }],
    bias: { bias: 3, input: 2, weights: 1 },
    output: own,
    check: constWeights(1),
  },
  BATCH_MATMUL: { activations: [0, 1], output: own },

  // --- elementwise with their own output scale ---
  ADD: { activations: [0, 1], output: own },
  SUB: { activations: [0, 1], output: own },
  MUL: { activations: [0, 1], output: own },
  SQUARED_DIFFERENCE: { activations: [0, 1], output: own },
  RELU: { activations: [0], output: own },
  RELU6: { activations: [0], output: own },
  RELU_N1_TO_1: { activations: [0], output: own },
  LEAKY_RELU: { activations: [0], output: own },
  PRELU: { activations: [0, 1], output: own },
  HARD_SWISH: { activations: [0], output: own },
  ABS: { activations: [0], output: own },
  RSQRT: { activations: [0], output: own },
  MEAN: { activations: [0], output: own },
  SUM: { activations: [0], output: own },

  // --- fixed output ranges (the kernels' lookup tables assume them) ---
  SOFTMAX: { activations: [0], output: { kind: 'fixed', scale: 1 / 256, zeroPoint: -128 } },
  LOGISTIC: { activations: [0], output: { kind: 'fixed', scale: 1 / 256, zeroPoint: -128 } },
  TANH: { activations: [0], output: { kind: 'fixed', scale: 1 / 128, zeroPoint: 0 } },
  LOG_SOFTMAX: { activations: [0], output: { kind: 'fixed', scale: 16 / 256, zeroPoint: 127 } },
  L2_NORMALIZATION: { activations: [0], output: { kind: 'fixed', scale: 1 / 128, zeroPoint: 0 } },

  // --- the output shares the input's parameters ---
  AVERAGE_POOL_2D: same(),
  MAX_POOL_2D: same(),
  RESHAPE: same(),
  SQUEEZE: same(),
  EXPAND_DIMS: same(),
  TRANSPOSE: same(),
  STRIDED_SLICE: same(),
  SLICE: same(),
  GATHER: same(),
  TILE: same(),
  PAD: same(),
  MIRROR_PAD: same(),
  RESIZE_BILINEAR: same(),
  RESIZE_NEAREST_NEIGHBOR: same(),
  SPACE_TO_DEPTH: same(),
  DEPTH_TO_SPACE: same(),
  SPACE_TO_BATCH_ND: same(),
  BATCH_TO_SPACE_ND: same(),
  REDUCE_MAX: same(),
  REDUCE_MIN: same(),
  SPLIT: sameScaleUnary(1),
  SPLIT_V: same(),
  UNPACK: same(),
  // The pad value (input 2) must be representable at the output's parameters.
  PADV2: { activations: [0, 2], output: same0, sameScaleInputs: true },

  // --- several inputs, one scale: inputs are requantized to the output's ---
  CONCATENATION: { activations: 'all', output: own, sameScaleInputs: true },
  PACK: { activations: 'all', output: own, sameScaleInputs: true },
  MAXIMUM: { activations: [0, 1], output: own, sameScaleInputs: true },
  MINIMUM: { activations: [0, 1], output: own, sameScaleInputs: true },
  SELECT: { activations: [1, 2], output: own, sameScaleInputs: true },
  SELECT_V2: { activations: [1, 2], output: own, sameScaleInputs: true },

  // --- int8 in, non-real out ---
  ARG_MAX: { activations: [0], output: none },
  ARG_MIN: { activations: [0], output: none },
  EQUAL: { activations: [0, 1], output: none },
  NOT_EQUAL: { activations: [0, 1], output: none },
  LESS: { activations: [0, 1], output: none },
  LESS_EQUAL: { activations: [0, 1], output: none },
  GREATER: { activations: [0, 1], output: none },
  GREATER_EQUAL: { activations: [0, 1], output: none },
  SHAPE: { activations: [0], output: none },
};

function same(): Int8Rule {
  return sameScaleUnary(0);
}

/**
 * Whether FULLY_CONNECTED may take per-channel weights. TFLite's int8 FC kernel reads one filter
 * scale until TF 2.15 (FULLY_CONNECTED v12), and Arm NN 20.08 likewise: the runtimes we verify
 * against would silently compute garbage. Kept as a switch so it is one change when they move.
 */
export const PER_CHANNEL_FC = false;

/** The rule for a graph node ('tfl.CONV_2D'), or undefined when the op has no int8 kernel. */
export function int8RuleFor(op: string): Int8Rule | undefined {
  if (!op.startsWith('tfl.')) return undefined;
  return INT8_RULES[op.slice(4)];
}

/** One line for docs and messages: how the op is quantized, e.g. "per-channel weights (axis 0)". */
export function describeInt8Rule(rule: Int8Rule | undefined): string {
  if (!rule) return 'float only';
  const parts: string[] = [];
  for (const w of rule.weights ?? []) parts.push(w.axis === null ? 'per-tensor weights' : `per-channel weights (axis ${w.axis})`);
  if (rule.bias) parts.push('int32 bias');
  const o = rule.output;
  if (o.kind === 'same') parts.push("output shares the input's scale");
  else if (o.kind === 'fixed') parts.push(`output scale ${formatScale(o.scale)}, zero point ${o.zeroPoint}`);
  else if (o.kind === 'none') parts.push('non-real output');
  if (rule.sameScaleInputs) parts.push('inputs requantized to the output scale');
  return parts.length ? `int8 (${parts.join('; ')})` : 'int8';
}

function formatScale(s: number): string {
  for (const d of [128, 256]) {
    const n = s * d;
    if (Number.isInteger(n)) return `${n}/${d}`;
  }
  return String(s);
}
