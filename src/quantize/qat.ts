// QAT import: the learned ranges of a converted float graph become quantization parameters of the
// one int8 quantizer (./int8.ts, ./int8-rewrite.ts).
//
// After the float pipeline a QAT graph carries its ranges in two places (both written by
// src/passes/record-learned-ranges.ts and the lowering):
// - weights: the folded, fake-quantized constants keep the range in Tensor.quant (learned range:
//   min/max per tensor or per channel, numBits, narrowRange, no scale yet);
// - activations: FAKE_QUANT nodes, whose output tensor holds the record.
// `importQatRanges` removes the FAKE_QUANT nodes and moves each record onto the tensor it
// quantized, so every tensor with a learned range says so in Tensor.quant; the int8 quantizer
// then takes those ranges instead of calibrating them. The parameter functions below turn a
// record into TFLite int8 scales and zero points the way TFLite's converter does for FakeQuant
// (fakeQuantAttrsToType on the unsigned levels, then shifted to signed: ConvertUnsignedToSigned),
// honouring num_bits (levels centred in int8) and narrow_range.

import { type TensorValue, toFloat64 } from '../core/tensor.js';
import { err } from '../errors/index.js';
import type { Graph, Tensor } from '../graph/ir.js';
import { type LearnedRange, learnedRange, rangeAsQuant } from './learned-range.js';
import {
  type Affine,
  type IntRange,
  INT8_NARROW,
  type QuantizedConstant,
  affineFromRange,
  channelLayout,
  channelOf,
  intRange,
  maxAbsPerChannel,
  quantParams,
  quantizeWeightsSymmetric,
  quantizeWith,
  stored,
  symmetricParams,
} from './math.js';

export interface QatImport {
  /** FAKE_QUANT nodes removed. */
  removed: number;
  /** Tensors that were fake-quantized twice with different ranges (the first range is kept). */
  conflicts: string[];
  /** Each removed FAKE_QUANT's output -> the tensor now standing for it (its input). */
  replaced: Map<Tensor, Tensor>;
}

/** True when the graph has learned ranges (QAT): FAKE_QUANT nodes or recorded weight ranges. */
export function hasLearnedRanges(g: Graph): boolean {
  return g.nodes.some((n) => n.op === 'tfl.FAKE_QUANT' || n.inputs.some((t) => t !== null && learnedRange(t) !== null));
}

/** The record of a FAKE_QUANT node: its output's learned range, or its options. */
function fakeQuantRecord(n: Graph['nodes'][number]): LearnedRange {
  const out = n.outputs[0] ? learnedRange(n.outputs[0]) : null;
  if (out) return out;
  return {
    min: [Number(n.options.min ?? 0)],
    max: [Number(n.options.max ?? 0)],
    axis: null,
    numBits: Number(n.options.num_bits ?? 8),
    narrowRange: n.options.narrow_range === true,
  };
}

function sameRange(a: LearnedRange, b: LearnedRange): boolean {
  return (
    a.numBits === b.numBits &&
    a.narrowRange === b.narrowRange &&
    a.axis === b.axis &&
    a.min.length === b.min.length &&
    a.min.every((v, i) => v === b.min[i] && a.max[i] === b.max[i])
  );
}

/** Remove FAKE_QUANT nodes; the tensor each one quantized carries its range. */
export function importQatRanges(g: Graph): QatImport {
  const dead = new Set<Graph['nodes'][number]>();
  const conflicts: string[] = [];
  const replaced = new Map<Tensor, Tensor>();
  for (const n of g.nodes) {
    if (n.op !== 'tfl.FAKE_QUANT') continue;
    const x = n.inputs[0];
    const y = n.outputs[0];
    if (!x || !y) continue;
    const range = fakeQuantRecord(n);
    const existing = learnedRange(x);
    if (!existing) x.quant = rangeAsQuant(range);
    else if (!sameRange(existing, range)) conflicts.push(x.name);
    g.replaceAllUses(y, x);
    for (const [from, to] of replaced) if (to === y) replaced.set(from, x);
    replaced.set(y, x);
    dead.add(n);
  }
  g.removeNodes(dead);
  return { removed: dead.size, conflicts, replaced };
}

/**
 * Give graph inputs the real ranges the user states (--input-range NAME=MIN,MAX, TFLiteConverter's
 * quantized_input_stats as a range): an 8-bit learned record on the input, used like a FakeQuant's.
 * Names are signature keys or tensor names; an unknown name is a one-line error listing the inputs.
 */
export function applyInputRanges(g: Graph, ranges: Readonly<Record<string, readonly [number, number]>>): number {
  const keys = Object.keys(ranges);
  const used = new Set<string>();
  for (const t of g.inputs) {
    const key = g.signature?.inputs.find((i) => i.tensor === t)?.key;
    const hit = keys.find((k) => k === key || k === t.name || `${k}:0` === t.name || k === t.name.replace(/:0$/, ''));
    if (hit === undefined) continue;
    used.add(hit);
    const [min, max] = ranges[hit];
    t.quant = rangeAsQuant({ min: [min], max: [max], axis: null, numBits: 8, narrowRange: false });
  }
  const unknown = keys.filter((k) => !used.has(k));
  if (unknown.length > 0) {
    const names = g.inputs.map((t) => `'${g.signature?.inputs.find((i) => i.tensor === t)?.key ?? t.name}'`).join(', ');
    throw err.badOption('input-range', `no model input '${unknown[0]}'; inputs: ${names}`);
  }
  return used.size;
}

/**
 * The learned per-tensor range of an activation, or null. Ranges of more than 8 bits cannot be
 * held by int8: a one-line error naming the tensor.
 */
export function learnedActivationRange(t: Tensor): LearnedRange | null {
  const r = learnedRange(t);
  if (!r || r.axis !== null) return null;
  if (r.numBits > 8) throw err.quantization(`tensor '${t.name}' was trained with ${r.numBits}-bit fake quantization; int8 holds at most 8 bits`);
  return r;
}

/**
 * The signed levels a learned range maps to: num_bits levels centred in the signed type
 * (8 bits: [-128, 127], narrow [-127, 127]).
 */
export function learnedLevels(r: LearnedRange): IntRange {
  return intRange(r.numBits, true, r.narrowRange);
}

/**
 * int8 parameters of a learned range, one per channel (or one): the unsigned FakeQuant levels
 * [0 (1 if narrow), 2^b - 1] give scale and zero point, which then shift by 2^(b-1).
 */
export function learnedParams(r: LearnedRange): Affine[] {
  const unsigned = intRange(r.numBits, false, r.narrowRange);
  const offset = 2 ** (r.numBits - 1);
  return r.min.map((lo, c) => {
    const p = affineFromRange(lo, r.max[c], unsigned);
    return { scale: p.scale, zeroPoint: p.zeroPoint - offset };
  });
}

/** How learned weights were turned into int8, when not exactly on their trained grid. */
export interface WeightRequantization {
  /** What happened, in words, for the note. */
  why: 'asymmetric' | 'per-channel' | 'axis';
  /** Channels (of the kernel's axis) requantized from their values; the others keep their levels. */
  inexact: number;
  channels: number;
  /** Weights of the kept channels clamped to [-127, 127] (their level overflowed after the shift). */
  clamped?: number;
}

export interface LearnedWeights {
  q: QuantizedConstant;
  requantized: WeightRequantization | null;
}

/**
 * int8 weights of a weighted op from their learned range: the trained grid (same scale, zero point
 * and levels) when the op's int8 kernel can run it, else the closest grid it can.
 * - `axis`: the kernel's per-channel axis, or null for one scale (FULLY_CONNECTED);
 * - `zeroPoint`: the kernel applies a per-tensor weight zero point (FULLY_CONNECTED does; TFLite's
 *   int8 conv kernels only take zero point 0: conv.cc checks it, depthwise ignores it).
 * Asymmetric conv weights move to zero point 0 per channel with the same step (./recentre);
 * per-channel ranges where the kernel takes one scale are requantized symmetric per tensor.
 * Returns null for ranges of more than 8 bits (the caller quantizes from the values).
 */
export function quantizeLearnedWeights(w: TensorValue, r: LearnedRange, axis: number | null, zeroPoint: boolean): LearnedWeights | null {
  if (r.numBits > 8) return null;
  const params = learnedParams(r).map(stored);
  const perTensor = r.axis === null;
  const symmetric = params.every((p) => p.zeroPoint === 0);
  const compatible = perTensor || r.axis === axis;
  if (compatible && (symmetric || (perTensor && axis === null && zeroPoint))) {
    const a = perTensor ? null : axis;
    return { q: { value: quantizeWith(w, params, a, learnedLevels(r)), params: quantParams(params, a) }, requantized: null };
  }
  if (compatible && (axis !== null || perTensor)) return recentre(w, params, perTensor, axis);
  // Per-channel ranges along another axis than the kernel's, per-channel ranges for a kernel with
  // one scale, or an asymmetric range for a kernel without a weight zero point.
  const q = quantizeWeightsSymmetric(w, axis);
  const channels = axis === null ? 1 : w.shape[axis];
  const why = compatible ? 'asymmetric' : axis === null ? 'per-channel' : 'axis';
  return { q, requantized: { why, inexact: channels, channels } };
}

/**
 * Weights on an asymmetric learned grid w = (q - zp) * s, moved to zero point 0 per output
 * channel (or for the whole tensor): with the same step s the levels are k = q - zp, the trained
 * values exactly whenever every k of the channel fits [-127, 127]. After the shift the extreme of
 * the range may overflow by a few levels; when only a few weights do (MAX_CLAMPED_SHARE of the
 * channel, by at most MAX_OVERFLOW levels) they are clamped and every other weight keeps its
 * trained value, which costs far less than requantizing the whole channel onto a new grid.
 * Otherwise the channel is requantized symmetric from its values.
 */
const MAX_OVERFLOW = 4;
const MAX_CLAMPED_SHARE = 0.01;

function recentre(value: TensorValue, params: readonly Affine[], perTensor: boolean, axis: number | null): LearnedWeights {
  const x = toFloat64(value);
  const l = channelLayout(value.shape, axis);
  const maxAbs = maxAbsPerChannel(x, value.shape, axis);
  const onGrid = new Array<boolean>(l.channels).fill(true);
  const clamped = new Array<number>(l.channels).fill(0);
  const size = new Array<number>(l.channels).fill(0);
  for (let i = 0; i < x.length; i++) {
    const c = channelOf(i, l);
    const s = params[perTensor ? 0 : c].scale;
    const k = Math.round(x[i] / s);
    size[c]++;
    if (Math.abs(x[i] - k * s) > 1e-3 * s) onGrid[c] = false;
    const over = k < INT8_NARROW.qmin ? INT8_NARROW.qmin - k : k > INT8_NARROW.qmax ? k - INT8_NARROW.qmax : 0;
    if (over > MAX_OVERFLOW) onGrid[c] = false;
    else if (over > 0) clamped[c]++;
  }
  const fits = onGrid.map((ok, c) => ok && clamped[c] <= MAX_CLAMPED_SHARE * size[c]);
  const ps = fits.map((ok, c) => (ok ? { scale: params[perTensor ? 0 : c].scale, zeroPoint: 0 } : symmetricParams(maxAbs[c])));
  const inexact = fits.filter((ok) => !ok).length;
  const clampedWeights = fits.reduce((n, ok, c) => n + (ok ? clamped[c] : 0), 0);
  return {
    q: { value: quantizeWith(value, ps, axis, INT8_NARROW), params: quantParams(ps, axis) },
    requantized: { why: 'asymmetric', inexact, channels: l.channels, clamped: clampedWeights },
  };
}

