// QAT import: the learned ranges of a converted float graph become quantization parameters.
//
// After the float pipeline a QAT graph carries its ranges in two places (both written by
// src/passes/record-learned-ranges.ts and the lowering):
// - weights: the folded, fake-quantized constants keep the range in Tensor.quant (learned range:
//   min/max per tensor or per channel, numBits, narrowRange, no scale yet);
// - activations: FAKE_QUANT nodes, whose output tensor holds the record.
// `importQatRanges` removes the FAKE_QUANT nodes and moves each record onto the tensor it
// quantized, so every tensor with a learned range says so in Tensor.quant. The parameter
// functions below turn a record into TFLite int8 scales and zero points the way TFLite's
// converter does for FakeQuant (fakeQuantAttrsToType on the unsigned levels, then shifted to
// signed: ConvertUnsignedToSigned), honouring num_bits (levels centred in int8) and narrow_range.
//
// The int8 quantizer uses these parameters instead of calibrating: a tensor with a learned range
// needs no representative data (see src/quantize/qat-int8.ts and the interface note there).

import type { Graph } from '../graph/ir.js';
import { type LearnedRange, learnedRange, rangeAsQuant } from './learned-range.js';
import { type Affine, type IntRange, affineFromRange, intRange } from './weights.js';

export interface QatImport {
  /** FAKE_QUANT nodes removed. */
  removed: number;
  /** Tensors that were fake-quantized twice with different ranges (the first range is kept). */
  conflicts: string[];
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
    dead.add(n);
  }
  g.removeNodes(dead);
  return { removed: dead.size, conflicts };
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
