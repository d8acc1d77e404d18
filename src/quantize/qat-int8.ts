// --quantize int8 for QAT graphs whose activations all have learned ranges: a full-integer model
// from the ranges training learned, without calibration data. (Graphs with activations that have
// no range need calibration: the general int8 quantizer.)
//
// What it writes, as TFLite's converter does for QAT graphs:
// - activations: int8 with the FakeQuant range's scale and zero point (src/quantize/qat.ts);
//   graph inputs without a FakeQuant take --input-range (TFLiteConverter's quantized_input_stats,
//   as a real range);
// - ops whose int8 kernels need their output on the input's scale (RESHAPE, pooling) share one
//   range, forwards and backwards; SOFTMAX and LOGISTIC outputs are 1/256 with zero point -128,
//   TANH 1/128 with 0, as the int8 kernels require;
// - weights of CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED: int8 on their learned grid (same
//   scale and zero point, so the integers are exactly the trained levels). TFLite's int8 conv and
//   depthwise kernels only take zero points 0 (conv.cc checks it, depthwise ignores it), so a
//   conv whose learned weight range is asymmetric is requantized symmetric per output channel
//   from the fake-quantized values (at most half a new step of difference per weight); weights
//   without a learned range get the same symmetric quantization;
// - biases: int32, scale input_scale * weight_scale, zero point 0;
// - float32 model inputs/outputs (the default) get QUANTIZE/DEQUANTIZE at the edges; int8 or
//   uint8 ones (--inference-input-type/--inference-output-type) are the quantized tensors
//   themselves (uint8 through a QUANTIZE that shifts the zero point by 128).
//
// Interface for the general int8 quantizer (calibration): run `importQatRanges` first; a tensor
// whose Tensor.quant holds a learned range (learnedRange(t) !== null) takes `learnedParams` and
// needs no calibration; only the others are calibrated. When none is left, calibration is
// skipped. The weight and bias rules here (`quantizeAffineWeights`) are the ones to share.

import { type TensorValue, toFloat64 } from '../core/tensor.js';
import type { ConvertedGraphs } from '../convert/convert.js';
import { err } from '../errors/index.js';
import { tflNode } from '../graph/build.js';
import { cloneGraph } from '../graph/clone.js';
import { type Graph, type Node, Tensor } from '../graph/ir.js';
import type { QuantizeContext, QuantizeResult } from './index.js';
import { type LearnedRange, learnedRange, rangeAsQuant } from './learned-range.js';
import type { InferenceType, QuantizeOptions } from './options.js';
import { importQatRanges, learnedLevels, learnedParams } from './qat.js';
import { quantizedTensor, refreshOpVersions } from './rewrite.js';
import {
  type Affine,
  INT8_ACTIVATIONS,
  INT8_WEIGHTS,
  type QuantizedConstant,
  affineFromRange,
  quantizeBias,
  quantizeSymmetricWeights,
  quantizeWith,
} from './weights.js';

/**
 * - affine: input 0 activation, input 1 weights (per-channel axis), input 2 bias;
 * - same: the output must be on the input's grid (the kernel copies or compares integers);
 * - fixed: the int8 kernel requires these output parameters;
 * - own: the output has its own range (the kernel rescales); for RELU/RELU6 without one, the
 *   input's grid is used.
 */
type OpRule =
  | { kind: 'affine'; weightAxis: number }
  | { kind: 'same' }
  | { kind: 'fixed'; scale: number; zeroPoint: number }
  | { kind: 'own'; orSame?: boolean };

/** What the int8 kernels of each op need (the part of the quantization rules QAT graphs use). */
export const QAT_OP_RULES: Readonly<Record<string, OpRule>> = {
  'tfl.CONV_2D': { kind: 'affine', weightAxis: 0 },
  'tfl.DEPTHWISE_CONV_2D': { kind: 'affine', weightAxis: 3 },
  'tfl.FULLY_CONNECTED': { kind: 'affine', weightAxis: 0 },
  'tfl.RESHAPE': { kind: 'same' },
  'tfl.MAX_POOL_2D': { kind: 'same' },
  'tfl.AVERAGE_POOL_2D': { kind: 'same' },
  'tfl.RELU': { kind: 'own', orSame: true },
  'tfl.RELU6': { kind: 'own', orSame: true },
  'tfl.SOFTMAX': { kind: 'fixed', scale: 1 / 256, zeroPoint: -128 },
  'tfl.LOGISTIC': { kind: 'fixed', scale: 1 / 256, zeroPoint: -128 },
  'tfl.TANH': { kind: 'fixed', scale: 1 / 128, zeroPoint: 0 },
  'tfl.ADD': { kind: 'own' },
};

/** A real range [min, max] of an input as a learned record (8 bits, full range). */
function inputRecord(min: number, max: number): LearnedRange {
  return { min: [min], max: [max], axis: null, numBits: 8, narrowRange: false };
}

export interface QatInt8Options {
  inferenceInputType: InferenceType;
  inferenceOutputType: InferenceType;
  /** Real ranges of graph inputs without a FakeQuant, by signature key or tensor name. */
  inputRanges: Readonly<Record<string, readonly [number, number]>>;
}

export interface QatInt8Report {
  /** FAKE_QUANT nodes whose ranges became parameters. */
  ranges: number;
  /**
   * Conv/depthwise weights with an asymmetric learned range: moved to zero point 0, `inexact` of
   * `channels` output channels requantized (the others keep their trained levels exactly).
   */
  requantized: { name: string; inexact: number; channels: number }[];
  /** Weights without a learned range (quantized symmetric from their values). */
  derived: string[];
  conflicts: string[];
}

/** Quantize one QAT graph to int8 in place. */
export function quantizeGraphQatInt8(g: Graph, o: QatInt8Options): QatInt8Report {
  const unsupported = new Map<string, string[]>();
  for (const n of g.nodes) {
    if (QAT_OP_RULES[n.op] || n.op === 'tfl.FAKE_QUANT') continue;
    const l = unsupported.get(n.op) ?? [];
    l.push(n.name);
    unsupported.set(n.op, l);
  }
  if (unsupported.size > 0) {
    const list = [...unsupported].map(([op, names]) => `${op.slice(4)} x${names.length} (e.g. '${names[0]}')`).join(', ');
    throw err.quantization(`int8 from learned ranges does not cover ${list} yet; these need the calibrating int8 quantizer`);
  }

  const imported = importQatRanges(g);
  applyInputRanges(g, o.inputRanges);

  // Activation parameters: learned, fixed by the op, or shared through same-scale ops.
  const params = new Map<Tensor, Affine>();
  const setFromRange = (t: Tensor): boolean => {
    if (params.has(t)) return false;
    const r = learnedRange(t);
    if (!r || r.axis !== null) return false;
    if (r.numBits > 8) throw err.quantization(`tensor '${t.name}' was trained with ${r.numBits}-bit fake quantization; int8 holds at most 8 bits`);
    params.set(t, learnedParams(r)[0]);
    return true;
  };
  for (const t of g.tensors()) if (!t.isConstant && t.dtype === 'float32') setFromRange(t);
  for (const n of g.nodes) {
    const rule = QAT_OP_RULES[n.op];
    if (rule?.kind === 'fixed') params.set(n.output(0), { scale: rule.scale, zeroPoint: rule.zeroPoint });
  }
  // Same-scale ops share one grid: forwards, then backwards, until nothing changes.
  for (let changed = true, round = 0; changed && round <= g.nodes.length; round++) {
    changed = false;
    for (const n of g.nodes) {
      const rule = QAT_OP_RULES[n.op];
      const same = rule?.kind === 'same';
      if (!same && !(rule?.kind === 'own' && rule.orSame)) continue;
      const x = n.input(0);
      const y = n.output(0);
      const px = params.get(x);
      const py = params.get(y);
      if (px && py === undefined) {
        params.set(y, px);
        changed = true;
      } else if (same && px && py && py !== px) {
        // The kernel copies or compares integers: the output must be on the input's grid.
        if (py.scale !== px.scale || py.zeroPoint !== px.zeroPoint) imported.conflicts.push(y.name);
        params.set(y, px);
        changed = true;
      } else if (same && !px && py) {
        params.set(x, py);
        changed = true;
      }
    }
  }

  // Every activation needs parameters now.
  const activations = g.tensors().filter((t) => !t.isConstant && t.dtype === 'float32');
  const missing = activations.filter((t) => !params.has(t));
  if (missing.length > 0) {
    const names = missing.slice(0, 4).map((t) => `'${t.name}'`).join(', ');
    const inputs = missing.filter((t) => g.inputs.includes(t));
    const hint = inputs.length
      ? `; give graph inputs a range with --input-range ${inputs[0].name}=MIN,MAX`
      : '; only a calibrated int8 quantization can cover them';
    throw err.quantization(`${missing.length} tensor${missing.length === 1 ? ' has' : 's have'} no learned quantization range (${names}${missing.length > 4 ? ', ...' : ''})${hint}`);
  }

  const report: QatInt8Report = { ranges: imported.removed, requantized: [], derived: [], conflicts: imported.conflicts };
  // Weights and biases.
  for (const n of g.nodes) {
    const rule = QAT_OP_RULES[n.op];
    if (rule?.kind !== 'affine') continue;
    const w = n.input(1);
    if (!w.value || w.dtype !== 'float32') throw err.quantization(`the weights of ${n.op.slice(4)} must be float32 constants`, n.name);
    const inScale = (params.get(n.input(0)) as Affine).scale;
    const qw = quantizeAffineWeights(n.op, w, rule.weightAxis, report);
    n.inputs[1] = quantizedTensor(g, w.name, qw);
    const b = n.inputs[2];
    if (b) {
      if (!b.value || b.dtype !== 'float32') throw err.quantization(`the bias of ${n.op.slice(4)} must be a float32 constant`, n.name);
      n.inputs[2] = quantizedTensor(g, b.name, quantizeBias(b.value, inScale, qw.scale));
    }
  }
  // Other float constants (an ADD's operand): int8 on their own range, as TFLite does.
  for (const n of g.nodes) {
    if (QAT_OP_RULES[n.op]?.kind === 'affine') continue;
    n.inputs.forEach((c, k) => {
      if (!c?.value || c.dtype !== 'float32') return;
      const x = toFloat64(c.value);
      const p = affineFromRange(x.reduce((a, v) => Math.min(a, v), 0), x.reduce((a, v) => Math.max(a, v), 0), INT8_ACTIVATIONS);
      n.inputs[k] = quantizedTensor(g, c.name, { value: quantizeWith(c.value, [p], null, INT8_ACTIVATIONS), scale: [p.scale], zeroPoint: [p.zeroPoint] });
    });
  }
  // Activations become int8.
  for (const t of activations) {
    const p = params.get(t) as Affine;
    t.dtype = 'int8';
    t.quant = { scale: [p.scale], zeroPoint: [p.zeroPoint] };
  }
  const left = g.tensors().filter((t) => t.dtype === 'float32');
  if (left.length > 0) throw err.internal(`int8 from learned ranges left float32 tensors: ${left.map((t) => t.name).slice(0, 3).join(', ')}`);
  convertEdges(g, o);
  refreshOpVersions(g);
  return report;
}

/**
 * int8 weights of an affine op: the learned grid when its kernel can run it, else symmetric per
 * output channel. FULLY_CONNECTED's int8 kernel applies a weight zero point per tensor, so a
 * per-tensor asymmetric learned range is kept as is.
 */
export function quantizeAffineWeights(op: string, w: Tensor, axis: number, report: Pick<QatInt8Report, 'requantized' | 'derived'>): QuantizedConstant {
  const value = w.value as TensorValue;
  const r = learnedRange(w);
  if (r && r.numBits <= 8) {
    const perTensor = r.axis === null;
    const params = learnedParams(r);
    const symmetric = params.every((p) => p.zeroPoint === 0);
    const usable = (perTensor || r.axis === axis) && (symmetric || (op === 'tfl.FULLY_CONNECTED' && perTensor));
    if (usable) {
      return {
        value: quantizeWith(value, params, perTensor ? null : axis, learnedLevels(r)),
        scale: params.map((p) => p.scale),
        zeroPoint: params.map((p) => p.zeroPoint),
        ...(perTensor ? {} : { axis }),
      };
    }
    if (perTensor || r.axis === axis) {
      const centred = recentre(value, params, perTensor, axis);
      report.requantized.push({ name: w.name, inexact: centred.inexact, channels: value.shape[axis] });
      return centred.q;
    }
    report.requantized.push({ name: w.name, inexact: value.shape[axis], channels: value.shape[axis] });
  } else {
    report.derived.push(w.name);
  }
  // Per output channel, as TFLite's converter does for int8 (FULLY_CONNECTED included: its int8
  // kernel takes per-channel scales at version 4, unlike the hybrid one).
  return quantizeSymmetricWeights(value, axis);
}

/**
 * Weights on an asymmetric learned grid w = (q - zp) * s, moved to zero point 0 per output
 * channel: with the same step s the levels are k = q - zp, exact whenever every k of the channel
 * fits [-127, 127] (the trained values exactly); a channel that uses levels beyond (the extreme
 * of the range, after the shift) is requantized symmetric from its values instead.
 */
function recentre(value: TensorValue, params: readonly Affine[], perTensor: boolean, axis: number): { q: QuantizedConstant; inexact: number } {
  const x = toFloat64(value);
  const channels = value.shape[axis];
  const inner = value.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const scales: number[] = [];
  let inexact = 0;
  for (let c = 0; c < channels; c++) {
    const s = params[perTensor ? 0 : c].scale;
    let fits = true;
    let maxAbs = 0;
    for (let i = 0; i < x.length; i++) {
      if (Math.floor(i / inner) % channels !== c) continue;
      const k = Math.round(x[i] / s);
      if (k < INT8_WEIGHTS.qmin || k > INT8_WEIGHTS.qmax || Math.abs(x[i] - k * s) > 1e-3 * s) fits = false;
      maxAbs = Math.max(maxAbs, Math.abs(x[i]));
    }
    if (fits) scales.push(s);
    else {
      inexact++;
      scales.push(affineFromRange(-maxAbs, maxAbs, INT8_WEIGHTS).scale);
    }
  }
  const p = scales.map((scale) => ({ scale, zeroPoint: 0 }));
  return {
    q: { value: quantizeWith(value, p, axis, INT8_WEIGHTS), scale: scales, zeroPoint: scales.map(() => 0), axis },
    inexact,
  };
}

function applyInputRanges(g: Graph, ranges: Readonly<Record<string, readonly [number, number]>>): void {
  const keys = Object.keys(ranges);
  const used = new Set<string>();
  for (const t of g.inputs) {
    const key = g.signature?.inputs.find((i) => i.tensor === t)?.key;
    const hit = keys.find((k) => k === key || k === t.name || `${k}:0` === t.name || k === t.name.replace(/:0$/, ''));
    if (hit === undefined) continue;
    used.add(hit);
    const [min, max] = ranges[hit];
    t.quant = rangeAsQuant(inputRecord(min, max));
  }
  const unknown = keys.filter((k) => !used.has(k));
  if (unknown.length > 0) {
    const names = g.inputs.map((t) => `'${g.signature?.inputs.find((i) => i.tensor === t)?.key ?? t.name}'`).join(', ');
    throw err.badOption('input-range', `no model input '${unknown[0]}'; inputs: ${names}`);
  }
}

/** QUANTIZE/DEQUANTIZE (or uint8 requantization) where the model meets its caller. */
function convertEdges(g: Graph, o: QatInt8Options): void {
  const head: Node[] = [];
  g.inputs = g.inputs.map((q) => {
    if (o.inferenceInputType === 'int8') return q;
    const outer = new Tensor(q.name, o.inferenceInputType === 'uint8' ? 'uint8' : 'float32', (q.shape ?? []).slice());
    outer.signature = q.signature?.slice() ?? null;
    if (o.inferenceInputType === 'uint8') outer.quant = shifted(q, 128);
    q.name = `${q.name}/int8`;
    head.push(tflNode(g, `${outer.name}/quantize`, 'QUANTIZE', [outer], [q]));
    swapSignature(g, q, outer, 'inputs');
    return outer;
  });
  g.nodes.unshift(...head);
  g.outputs = g.outputs.map((q) => {
    if (o.inferenceOutputType === 'int8') return q;
    const outer = new Tensor(q.name, o.inferenceOutputType === 'uint8' ? 'uint8' : 'float32', (q.shape ?? []).slice());
    outer.signature = q.signature?.slice() ?? null;
    if (o.inferenceOutputType === 'uint8') outer.quant = shifted(q, 128);
    q.name = `${q.name}/int8`;
    g.addNode(tflNode(g, `${outer.name}/${o.inferenceOutputType === 'uint8' ? 'quantize' : 'dequantize'}`, o.inferenceOutputType === 'uint8' ? 'QUANTIZE' : 'DEQUANTIZE', [q], [outer]));
    swapSignature(g, q, outer, 'outputs');
    return outer;
  });
}

function shifted(t: Tensor, by: number): Tensor['quant'] {
  const q = t.quant as NonNullable<Tensor['quant']>;
  return { scale: q.scale.slice(), zeroPoint: q.zeroPoint.map((z) => z + by) };
}

function swapSignature(g: Graph, from: Tensor, to: Tensor, side: 'inputs' | 'outputs'): void {
  for (const e of g.signature?.[side] ?? []) if (e.tensor === from) e.tensor = to;
}

function inferenceType(v: InferenceType | undefined): InferenceType {
  return v ?? 'float32';
}

/** The note when representative data was given for a QAT model (calibration needs none). */
export const QAT_REPRESENTATIVE_UNUSED = '--representative not used: every activation has a learned range';

export async function quantizeQatInt8(c: ConvertedGraphs, options: QuantizeOptions, _ctx: QuantizeContext): Promise<QuantizeResult> {
  if (options.excludeOps?.length || options.excludeNodes) {
    throw err.badOption(options.excludeOps?.length ? 'exclude-ops' : 'exclude-nodes', 'is not supported with learned (QAT) ranges yet: every op is quantized');
  }
  const o: QatInt8Options = {
    inferenceInputType: inferenceType(options.inferenceInputType),
    inferenceOutputType: inferenceType(options.inferenceOutputType),
    inputRanges: options.inputRanges ?? {},
  };
  const notes: string[] = [];
  let ranges = 0;
  const graphs: Graph[] = [];
  const tensorMaps: Map<Tensor, Tensor>[] = [];
  for (const float of c.graphs) {
    // A copy, so the float graph stays available to compare with (reports).
    const { graph: g, tensors } = cloneGraph(float);
    const r = quantizeGraphQatInt8(g, o);
    graphs.push(g);
    tensorMaps.push(tensors);
    ranges += r.ranges;
    for (const q of r.requantized) {
      notes.push(
        `'${q.name}' was trained with an asymmetric range, which TFLite's int8 convolution kernels refuse: moved to zero point 0 per channel, ` +
          `${q.channels - q.inexact} of ${q.channels} channels keep their trained levels exactly, ${q.inexact} requantized symmetric`,
      );
    }
    if (r.derived.length) notes.push(`${r.derived.length} weight tensor${r.derived.length === 1 ? ' has' : 's have'} no learned range; quantized symmetric from its values (e.g. '${r.derived[0]}')`);
    if (r.conflicts.length) notes.push(`tensors with two different learned ranges keep the first: ${r.conflicts.slice(0, 3).map((n) => `'${n}'`).join(', ')}`);
  }
  notes.unshift(`int8 from learned ranges: ${ranges} FakeQuant range${ranges === 1 ? '' : 's'} used, no calibration`);
  if (options.representative !== undefined) notes.push(QAT_REPRESENTATIVE_UNUSED);
  return { graphs, notes, tensorMaps };
}
