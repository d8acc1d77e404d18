// The int8 rewrite: a float graph (TFLite ops) and activation ranges in, a full-integer graph out.
// One quantizer for calibrated and QAT graphs: a range is either calibrated or learned (a
// FakeQuant's, see ./qat.ts), and weights carrying a learned range keep their trained grid.
//
// planInt8 decides, from the rules table (./rules.ts) and the user's exclusions, which nodes run
// in int8; tensorsNeedingRanges says exactly which activations then need a range;
// quantizeGraphInt8 then
//   - gives every activation tensor of those nodes its int8 parameters (own range, the input's,
//     or the kernel's fixed ones),
//   - replaces their weights by int8: on their learned grid when they have one and the kernel can
//     run it (./qat.ts quantizeLearnedWeights), else symmetric (per channel where the rule says),
//     and biases by int32 at input_scale x weight_scale,
//   - inserts QUANTIZE (float -> int8) where a quantized node reads a float tensor, DEQUANTIZE
//     where a float node reads an int8 one, and QUANTIZE int8 -> int8 (requantize) where a kernel
//     needs all inputs at the output's scale (CONCATENATION, ...),
//   - sets the model's input/output types: float32 (QUANTIZE/DEQUANTIZE at the edges), int8, or
//     uint8 (a QUANTIZE uint8 <-> int8 with the zero point shifted by 128, as TFLite does).
// Tensors keep their identity where they can: an int8 output of a quantized node is the same
// Tensor object, retyped, so provenance and names survive.

import { err } from '../errors/index.js';
import { tflNode } from '../graph/build.js';
import { type Graph, type Node, type QuantParams, Tensor, provenance } from '../graph/ir.js';
import { LOWERINGS } from '../lower/table.js';
import { BuiltinOperator } from '../tflite/index.js';
import type { TensorRange } from './calibrate.js';
import { learnedRange } from './learned-range.js';
import {
  type Affine,
  INT8,
  type QuantizedConstant,
  asymmetricParams,
  perTensor,
  quantizeBias,
  quantizeTensorInt8,
  quantizeWeightsSymmetric,
  sameParams,
  stored,
  valueRange,
} from './math.js';
import type { InferenceType } from './options.js';
import { type WeightRequantization, learnedParams, quantizeLearnedWeights } from './qat.js';
import { type Int8Rule, PER_CHANNEL_FC, int8RuleFor } from './rules.js';

// ------------------------------------------------------------------------------------------------
// Planning: which nodes are quantized

export interface Int8Selection {
  /** Op types kept in float: TFLite names ('SOFTMAX', 'tfl.SOFTMAX') or TF names ('Softmax'). */
  excludeOps?: readonly string[];
  /** Nodes kept in float: matched against the node's name and the TF nodes it came from. */
  excludeNodes?: RegExp;
}

export type FloatReason = 'no-int8-kernel' | 'excluded';

export interface FloatNode {
  node: Node;
  reason: FloatReason;
  /** Why, in words (e.g. "EXP has no int8 kernel", "input 1 (weights) is not a constant"). */
  detail: string;
}

export interface Int8Plan {
  /** Nodes that run in int8, in graph order. */
  quantized: Set<Node>;
  /** Nodes with real-valued (float32) tensors that stay float. */
  float: FloatNode[];
  /** Exclusion entries that matched no node (worth a note). */
  unmatchedExclusions: string[];
}

/** The activation input indices a rule names for node `n`. */
export function activationInputs(rule: Int8Rule, n: Node): number[] {
  return rule.activations === 'all' ? n.inputs.map((_, i) => i) : rule.activations.filter((i) => i < n.inputs.length);
}

const isFloat = (t: Tensor | null): boolean => t !== null && t.dtype === 'float32';

/** The TFLite op names (without 'tfl.') an --exclude-ops entry stands for; throws for unknown names. */
export function excludedOpNames(entry: string): string[] {
  const e = entry.startsWith('tfl.') ? entry.slice(4) : entry;
  if ((BuiltinOperator as unknown as Record<string, number>)[e] !== undefined && /^[A-Z0-9_]+$/.test(e)) return [e];
  const lowering = LOWERINGS[e];
  if (lowering) return lowering.tfl.slice();
  throw err.badOption('exclude-ops', `'${entry}' is neither a TFLite builtin op (e.g. SOFTMAX) nor a TF op tfconv lowers (e.g. Softmax)`);
}

export function planInt8(g: Graph, sel: Int8Selection = {}): Int8Plan {
  const excludedOps = new Map<string, string>(); // TFLite op -> the entry that named it
  for (const e of sel.excludeOps ?? []) for (const op of excludedOpNames(e)) excludedOps.set(op, e);
  const usedEntries = new Set<string>();
  let regexUsed = false;
  const quantized = new Set<Node>();
  const float: FloatNode[] = [];
  for (const n of g.nodes) {
    const realValued = n.inputs.some((t) => isFloat(t) && !t?.isConstant) || n.outputs.some(isFloat);
    if (!realValued) continue;
    const op = n.op.startsWith('tfl.') ? n.op.slice(4) : n.op;
    const byOp = excludedOps.get(op);
    if (byOp !== undefined) {
      usedEntries.add(byOp);
      float.push({ node: n, reason: 'excluded', detail: `--exclude-ops ${byOp}` });
      continue;
    }
    if (sel.excludeNodes && provenance(n).concat(n.name).some((s) => (sel.excludeNodes as RegExp).test(s))) {
      regexUsed = true;
      float.push({ node: n, reason: 'excluded', detail: `--exclude-nodes ${sel.excludeNodes.source}` });
      continue;
    }
    const rule = int8RuleFor(n.op);
    const why = rule ? whyNot(rule, n) : `${op} has no int8 kernel`;
    if (why === null) quantized.add(n);
    else float.push({ node: n, reason: 'no-int8-kernel', detail: why });
  }
  const unmatchedExclusions = (sel.excludeOps ?? []).filter((e) => !usedEntries.has(e));
  if (sel.excludeNodes && !regexUsed) unmatchedExclusions.push(`--exclude-nodes ${sel.excludeNodes.source}`);
  return { quantized, float, unmatchedExclusions };
}

/** Why a node with a rule still cannot run in int8, or null. */
function whyNot(rule: Int8Rule, n: Node): string | null {
  const op = n.op.slice(4);
  for (const i of activationInputs(rule, n)) {
    const t = n.inputs[i];
    if (t !== null && t !== undefined && t.dtype !== 'float32') return `${op} input ${i} is ${t.dtype}, not float32`;
  }
  for (const w of rule.weights ?? []) {
    const t = n.inputs[w.input];
    if (!t?.value) return `${op} input ${w.input} (weights) is not a constant`;
    if (t.dtype !== 'float32') return `${op} weights are ${t.dtype}, not float32`;
  }
  if (rule.bias) {
    const b = n.inputs[rule.bias.bias];
    if (b && (!b.value || b.dtype !== 'float32')) return `${op} bias is not a float32 constant`;
  }
  if (rule.output.kind !== 'none') {
    for (const o of n.outputs) if (o.dtype !== 'float32') return `${op} output is ${o.dtype}, not float32`;
  }
  return rule.check?.(n) ?? null;
}

// ------------------------------------------------------------------------------------------------
// Rewriting

export interface Int8RewriteOptions {
  inferenceInputType?: InferenceType;
  inferenceOutputType?: InferenceType;
}

export interface Int8RewriteReport {
  /** QUANTIZE / DEQUANTIZE / requantize nodes inserted. */
  quantizeOps: number;
  dequantizeOps: number;
  requantizeOps: number;
  /** Bias values that did not fit int32 and were clamped. */
  clampedBias: number;
  /** Weight tensors quantized on their learned (QAT) grid, exactly or as close as the kernel allows. */
  learnedWeights: number;
  /** Learned weights the kernel cannot run on their trained grid, and what was done instead. */
  requantizedWeights: ({ name: string } & WeightRequantization)[];
  /** Weights without a usable learned range, quantized from their values (only counted when others have one). */
  derivedWeights: string[];
}

/**
 * An activation's range: calibrated (widened to include 0, TFLite's calibration arithmetic) or
 * learned (a FakeQuant's: quantized exactly as training's fake quantization, see ./qat.ts).
 */
export interface ActivationRange extends TensorRange {
  learned?: { numBits: number; narrowRange: boolean };
}

/** The activation ranges, by tensor. */
export type RangeMap = ReadonlyMap<Tensor, ActivationRange>;

/**
 * Exactly the tensors whose range the rewrite of `plan` asks for, with these model input/output
 * types: inputs of int8 nodes that no int8 node produces (graph inputs, outputs of float nodes),
 * outputs of ops with their own output range, and the model's edges where they are int8/uint8.
 * Tensors an int8 node produces with a fixed or inherited range need none.
 */
export function tensorsNeedingRanges(g: Graph, plan: Int8Plan, options: Int8RewriteOptions = {}): Set<Tensor> {
  const inType = options.inferenceInputType ?? 'float32';
  const outType = options.inferenceOutputType ?? 'float32';
  const need = new Set<Tensor>();
  // Tensors that are int8 without a QUANTIZE in front of their readers.
  const int8 = new Set<Tensor>();
  const realInput = (t: Tensor): boolean => t.dtype === 'float32' && !t.isConstant;
  if (inType !== 'float32') {
    for (const t of g.inputs) {
      if (!realInput(t)) continue;
      need.add(t);
      int8.add(t);
    }
  }
  for (const n of g.nodes) {
    if (!plan.quantized.has(n)) continue;
    const rule = int8RuleFor(n.op) as Int8Rule;
    for (const i of activationInputs(rule, n)) {
      const t = n.inputs[i];
      if (t && !t.isConstant && !int8.has(t)) need.add(t);
    }
    if (rule.output.kind === 'own') for (const o of n.outputs) need.add(o);
    if (rule.output.kind !== 'none') for (const o of n.outputs) if (o.dtype === 'float32') int8.add(o);
  }
  if (outType !== 'float32') for (const t of g.outputs) if (realInput(t) && !int8.has(t)) need.add(t);
  return need;
}

export function quantizeGraphInt8(g: Graph, plan: Int8Plan, ranges: RangeMap, options: Int8RewriteOptions = {}): Int8RewriteReport {
  const report: Int8RewriteReport = {
    quantizeOps: 0,
    dequantizeOps: 0,
    requantizeOps: 0,
    clampedBias: 0,
    learnedWeights: 0,
    requantizedWeights: [],
    derivedWeights: [],
  };
  const inType = options.inferenceInputType ?? 'float32';
  const outType = options.inferenceOutputType ?? 'float32';

  const rangeParams = (t: Tensor): QuantParams => {
    const r = ranges.get(t);
    if (!r) throw err.internal(`no range for tensor '${t.name}'`);
    if (r.learned) return perTensor(stored(learnedParams({ min: [r.min], max: [r.max], axis: null, ...r.learned })[0] as Affine));
    return perTensor(asymmetricParams(r.min, r.max, INT8));
  };
  const anyLearnedWeights = [...plan.quantized].some((n) => (int8RuleFor(n.op)?.weights ?? []).some((w) => {
    const t = n.inputs[w.input];
    return t !== null && t !== undefined && learnedRange(t) !== null;
  }));

  // Tensors that were float32 and now hold int8 (same object, retyped): float readers need a
  // DEQUANTIZE. `int8Of` maps a float tensor to the int8 tensor standing for it.
  const int8Of = new Map<Tensor, Tensor>();
  const floatOf = new Map<Tensor, Tensor>();
  const requantized = new Map<Tensor, Map<string, Tensor>>();
  const retyped = new Set<Tensor>();
  const weightCache = new Map<Tensor, Map<string, Tensor>>();
  const out: Node[] = [];
  const prologue: Node[] = [];

  const retype = (t: Tensor, q: QuantParams): void => {
    t.dtype = 'int8';
    t.quant = q;
    retyped.add(t);
    int8Of.set(t, t);
  };

  /** A new activation tensor like `t` with another dtype. */
  const like = (t: Tensor, name: string, dtype: Tensor['dtype'], quant: QuantParams | null): Tensor => {
    const x = new Tensor(name, dtype, t.shape?.slice() ?? null);
    x.signature = t.signature?.slice() ?? null;
    x.quant = quant;
    x.origin = t.origin;
    return x;
  };

  /** The int8 tensor standing for activation `t` (float or already int8), quantizing when needed. */
  const asInt8 = (t: Tensor, where: Node[], at: string): Tensor => {
    const known = int8Of.get(t);
    if (known) return known;
    const q = like(t, `${t.name}_int8`, 'int8', rangeParams(t));
    where.push(tflNode(g, g.uniqueName(`${at}/quantize`), 'QUANTIZE', [t], [q]));
    report.quantizeOps++;
    int8Of.set(t, q);
    return q;
  };

  /** The float tensor standing for a retyped (int8) tensor. */
  const asFloat = (t: Tensor, where: Node[], at: string): Tensor => {
    const known = floatOf.get(t);
    if (known) return known;
    const f = like(t, `${t.name}_float`, 'float32', null);
    where.push(tflNode(g, g.uniqueName(`${at}/dequantize`), 'DEQUANTIZE', [t], [f]));
    report.dequantizeOps++;
    floatOf.set(t, f);
    return f;
  };

  /** `t` (int8) at parameters `p`: itself, or a requantizing QUANTIZE int8 -> int8. */
  const requantize = (t: Tensor, p: QuantParams, where: Node[], at: string): Tensor => {
    if (sameParams(t.quant, p)) return t;
    const key = `${p.scale[0]}/${p.zeroPoint[0]}`;
    let byParams = requantized.get(t);
    if (!byParams) requantized.set(t, (byParams = new Map()));
    const known = byParams.get(key);
    if (known) return known;
    const r = like(t, `${t.name}_requantized`, 'int8', p);
    where.push(tflNode(g, g.uniqueName(`${at}/requantize`), 'QUANTIZE', [t], [r]));
    report.requantizeOps++;
    byParams.set(key, r);
    return r;
  };

  // --- graph inputs ---
  g.inputs.forEach((t, i) => {
    if (t.dtype !== 'float32' || inType === 'float32') return;
    const p = rangeParams(t);
    if (inType === 'int8') {
      retype(t, p);
      return;
    }
    // uint8: a new uint8 graph input (same scale, zero point + 128) -> QUANTIZE -> t as int8.
    const u = like(t, t.name, 'uint8', { scale: p.scale.slice(), zeroPoint: [p.zeroPoint[0] + 128] });
    t.name = `${t.name}_int8`;
    retype(t, p);
    const node = tflNode(g, g.uniqueName(`${t.name}/quantize`), 'QUANTIZE', [u], [t]);
    prologue.push(node);
    report.quantizeOps++;
    g.inputs[i] = u;
    if (g.signature) for (const e of g.signature.inputs) if (e.tensor === t) e.tensor = u;
  });

  // --- nodes, in order ---
  for (const n of g.nodes) {
    const before: Node[] = [];
    const rule = plan.quantized.has(n) ? (int8RuleFor(n.op) as Int8Rule) : undefined;
    if (!rule) {
      // A float node: every input that became int8 is read through a DEQUANTIZE.
      n.inputs = n.inputs.map((t) => (t && retyped.has(t) ? asFloat(t, before, n.name) : t));
      out.push(...before, n);
      continue;
    }
    const acts = activationInputs(rule, n);
    // Output parameters first: sameScaleInputs requantizes the inputs to them.
    const outParams = outputParams(rule, n, (t) => int8Of.get(t)?.quant ?? rangeParams(t), rangeParams);
    for (const i of acts) {
      const t = n.inputs[i];
      if (!t) continue;
      if (t.isConstant) {
        const p = rule.sameScaleInputs && outParams ? outParams : constParams(t);
        n.inputs[i] = constantInt8(g, t, p);
        continue;
      }
      let q = asInt8(t, before, n.name);
      if (rule.sameScaleInputs && outParams) q = requantize(q, outParams, before, n.name);
      n.inputs[i] = q;
    }
    for (const w of rule.weights ?? []) {
      const t = n.input(w.input);
      const axis = n.op === 'tfl.FULLY_CONNECTED' && PER_CHANNEL_FC ? 0 : w.axis;
      // Weights shared by several layers are quantized once (one buffer in the file).
      const key = `${axis}`;
      let byAxis = weightCache.get(t);
      if (!byAxis) weightCache.set(t, (byAxis = new Map()));
      let wt = byAxis.get(key);
      if (!wt) {
        const qw = quantizeWeights(t, axis, w.zeroPoint === true, report, anyLearnedWeights);
        wt = g.constant(t.name, qw.value);
        wt.quant = qw.params;
        wt.origin = t.origin;
        byAxis.set(key, wt);
      }
      n.inputs[w.input] = wt;
    }
    if (rule.bias) {
      const b = n.inputs[rule.bias.bias];
      if (b?.value) {
        const inScale = (n.input(rule.bias.input).quant as QuantParams).scale[0];
        const wScales = (n.input(rule.bias.weights).quant as QuantParams).scale;
        const qb = quantizeBias(b.value, inScale, wScales);
        report.clampedBias += qb.clamped;
        const bt = g.constant(b.name, qb.value);
        bt.quant = qb.params;
        bt.origin = b.origin;
        n.inputs[rule.bias.bias] = bt;
      }
    }
    if (outParams) for (const o of n.outputs) if (o.dtype === 'float32') retype(o, outParams);
    out.push(...before, n);
  }

  // --- graph outputs ---
  const epilogue: Node[] = [];
  g.outputs.forEach((t, i) => {
    let result = t;
    if (outType === 'float32') {
      if (!retyped.has(t)) return;
      result = asFloat(t, epilogue, t.name);
    } else if (t.dtype === 'float32' || retyped.has(t)) {
      const q = retyped.has(t) ? t : asInt8(t, epilogue, t.name);
      if (outType === 'int8') result = q;
      else {
        const p = q.quant as QuantParams;
        result = like(q, `${q.name}_uint8`, 'uint8', { scale: p.scale.slice(), zeroPoint: [p.zeroPoint[0] + 128] });
        epilogue.push(tflNode(g, g.uniqueName(`${t.name}/quantize_uint8`), 'QUANTIZE', [q], [result]));
        report.quantizeOps++;
      }
    }
    if (result === t) return;
    // The model's output keeps the user-visible name; the inner tensor gets a suffix.
    const name = t.name;
    t.name = `${name}_${t.dtype === 'int8' ? 'int8' : 'float'}`;
    result.name = name;
    g.outputs[i] = result;
    if (g.signature) for (const e of g.signature.outputs) if (e.tensor === t) e.tensor = result;
  });

  g.nodes = [...prologue, ...out, ...epilogue];
  g.sortAndPrune();
  return report;
}

/** int8 weights: on their learned grid when they have one (as close as the kernel allows), else symmetric. */
function quantizeWeights(t: Tensor, axis: number | null, zeroPoint: boolean, report: Int8RewriteReport, qat: boolean): QuantizedConstant {
  const value = t.value as NonNullable<Tensor['value']>;
  const r = learnedRange(t);
  const learned = r ? quantizeLearnedWeights(value, r, axis, zeroPoint) : null;
  if (learned) {
    report.learnedWeights++;
    if (learned.requantized) report.requantizedWeights.push({ name: t.name, ...learned.requantized });
    return learned.q;
  }
  if (qat) report.derivedWeights.push(t.name);
  return quantizeWeightsSymmetric(value, axis);
}

/** The int8 parameters of a quantized node's (float) outputs, or null for non-real outputs. */
function outputParams(rule: Int8Rule, n: Node, paramsOfInput: (t: Tensor) => QuantParams, ownRange: (t: Tensor) => QuantParams): QuantParams | null {
  const o = rule.output;
  if (o.kind === 'none') return null;
  if (o.kind === 'fixed') return { scale: [Math.fround(o.scale)], zeroPoint: [o.zeroPoint] };
  if (o.kind === 'same') {
    const t = n.input(o.input);
    return t.isConstant ? constParams(t) : paramsOfInput(t);
  }
  // Every output of an 'own' op shares one range: ops with several outputs all use 'same'.
  return ownRange(n.output(0));
}

/** Asymmetric per-tensor parameters of a constant activation operand, from its own values. */
function constParams(t: Tensor): QuantParams {
  const r = valueRange(t.value as NonNullable<Tensor['value']>);
  return perTensor(asymmetricParams(r.min, r.max, INT8));
}

function constantInt8(g: Graph, t: Tensor, p: QuantParams): Tensor {
  const q = g.constant(t.name, quantizeTensorInt8(t.value as NonNullable<Tensor['value']>, { scale: p.scale[0], zeroPoint: p.zeroPoint[0] }));
  q.quant = { scale: p.scale.slice(), zeroPoint: p.zeroPoint.slice() };
  q.origin = t.origin;
  return q;
}
