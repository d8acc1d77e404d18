// The quantization report: per layer and per output, how far the quantized model's values are
// from the float model's on representative data, measured in the real TFLite runtime; the
// weights' per-channel spread; sizes, op histograms and the ops that stayed float. One plain
// object (docs/report.md is its schema) that the terminal, JSON and HTML renderers share.

import type { TensorValue } from '../core/tensor.js';
import { err } from '../errors/index.js';
import type { RepresentativeOptions } from '../quantize/representative.js';
import { type MatchKind, type Matching, kerasLayerOf, kerasLayersOf, matchLayers, tfNodesOfName } from './match.js';
import { measure } from './measure.js';
import { type ModelBytes, type ModelTensor, readReportModel } from './model.js';
import { type WeightReport, analyseWeights } from './weights.js';

/** Layers whose SQNR is below this many dB get an --exclude-nodes suggestion (docs/report.md). */
export const DEFAULT_SQNR_THRESHOLD = 15;

export const REPORT_KIND = 'tfconv-quantization-report';
export const REPORT_VERSION = 1;

export interface ReportOptions extends RepresentativeOptions {
  /** In-memory samples instead of `representative`: per sample, one real-valued tensor per float model input. */
  samples?: readonly (readonly TensorValue[])[];
  /** dB; layers below get an --exclude-nodes suggestion. Default DEFAULT_SQNR_THRESHOLD. */
  sqnrThreshold?: number;
  /** Draw a progress bar on stderr. */
  progress?: boolean;
}

/** What only the quantizer knows (tfconv optimize --report): exact pairs and TF provenance. */
export interface ReportHints {
  /** Quantized model tensor index -> float model tensor index. */
  pairs?: ReadonlyMap<number, number>;
  /** Quantized model tensor index -> the TF nodes its operator came from. */
  tfNodes?: ReadonlyMap<number, readonly string[]>;
  /** The TF nodes of every operator of the quantized graph (to check a suggested --exclude-nodes matches only its layer). */
  nodes?: readonly (readonly string[])[];
}

export interface ModelSummary {
  /** File path, or what the caller called the model. */
  file: string;
  size: ModelBytes;
  /** Operator histogram, keys sorted. */
  ops: Record<string, number>;
}

export interface LayerQuantization {
  /** The first (or only) scale and zero point. */
  scale: number;
  zeroPoint: number;
  /** 1 for per-tensor parameters. */
  channels: number;
  scaleMin: number;
  scaleMax: number;
  /** Quantized dimension of per-channel parameters, else null. */
  axis: number | null;
}

export interface ErrorSummary {
  sqnr: number | null;
  mse: number;
  maxAbs: number;
  cosine: number | null;
  identical: boolean;
}

export interface LayerReport {
  /** Operator index in the quantized model (graph order). */
  index: number;
  op: string;
  /** Output tensor name in the quantized model. */
  tensor: string;
  /** The float model tensor compared with, or null when no float tensor matched. */
  floatTensor: string | null;
  /** The TF nodes the layer came from. */
  tfNodes: string[];
  /** Their Keras layers ('conv2d'), when the names follow Keras' model/layer/op layout. */
  kerasLayers: string[];
  shape: number[];
  dtype: string;
  quantization: LayerQuantization | null;
  /** 'quantized' (integer output), 'hybrid' (float output from quantized weights), 'float'. */
  kind: 'quantized' | 'hybrid' | 'float';
  match: MatchKind | null;
  floatRange: [number, number] | null;
  sqnr: number | null;
  mse: number | null;
  maxAbs: number | null;
  cosine: number | null;
  /** Every value equal to the float model's. */
  identical: boolean;
  /**
   * The error the layer adds itself: its values against its float operator run alone (a one-op
   * model in the runtime) on the same, quantized, inputs (./local.ts). Null for layers without a
   * float operator to run so (QUANTIZE/DEQUANTIZE, control flow, unmatched).
   */
  alone: ErrorSummary | null;
  /** The lowest SQNR among the layers (or model inputs) feeding this one; null when all are exact. */
  inputSqnr: number | null;
  /** Its own SQNR (alone, else in the model) is below the threshold. */
  belowThreshold: boolean;
  /** A --exclude-nodes value that keeps this layer in float (layers below the threshold). */
  excludeNodes?: string;
  weights?: WeightReport;
}

export interface OutputReport {
  /** SignatureDef key (or tensor name) in the quantized model. */
  key: string;
  tensor: string;
  floatTensor: string | null;
  shape: number[];
  dtype: string;
  sqnr: number | null;
  mse: number | null;
  maxAbs: number | null;
  cosine: number | null;
  /** Fraction of rows whose arg-max agrees, for classifier-shaped outputs ([K] or [N, K], K >= 2). */
  top1: number | null;
  /** Up to 600 (float, quantized) value pairs, for the scatter plot. */
  points: [number, number][];
}

export interface InputReport {
  /** SignatureDef key (or tensor name) in the quantized model. */
  key: string;
  tensor: string;
  shape: number[];
  dtype: string;
  quantization: LayerQuantization | null;
  /** The samples' real values against what the quantized model was fed (int8/uint8 inputs: rounded). */
  sqnr: number | null;
  maxAbs: number | null;
  floatRange: [number, number] | null;
  identical: boolean;
}

export interface FloatOp {
  index: number;
  op: string;
  tensor: string;
  /** 'hybrid': float output computed from quantized weights (dynamic range). */
  kind: 'float' | 'hybrid';
}

export interface QuantReport {
  kind: typeof REPORT_KIND;
  version: typeof REPORT_VERSION;
  float: ModelSummary;
  quantized: ModelSummary;
  /** quantized size / float size. */
  sizeRatio: number;
  data: { description: string; samples: number; random: boolean };
  sqnrThreshold: number;
  inputs: InputReport[];
  outputs: OutputReport[];
  /** Every layer of the quantized model in graph order (DEQUANTIZE left out: its values are its input's). */
  layers: LayerReport[];
  /** Operators of the quantized model that do not compute in integers (QUANTIZE/DEQUANTIZE aside). */
  floatOps: FloatOp[];
  unmatched: { quantized: { index: number; op: string; tensor: string }[]; float: { index: number; op: string; tensor: string }[] };
  /** One --exclude-nodes value for every layer below the threshold (by its own error) that can be excluded, or null. */
  excludeNodes: string | null;
  notes: string[];
  /** Wall time of the runs; not part of the JSON or HTML (it differs run to run). */
  timing?: { ms: number; perSampleMs: number };
}

export interface ReportInput {
  bytes: Uint8Array;
  /** File path or a label, shown in the report. */
  file: string;
}

const INTEGER = new Set(['int8', 'uint8', 'int16', 'int32']);

export async function buildReport(float: ReportInput, quant: ReportInput, options: ReportOptions, hints: ReportHints = {}): Promise<QuantReport> {
  const threshold = options.sqnrThreshold ?? DEFAULT_SQNR_THRESHOLD;
  if (!Number.isFinite(threshold)) throw err.badOption('sqnr-threshold', `must be a number of dB, got ${threshold}`);
  if (!options.samples && (options.representative === undefined || options.representative === '')) throw err.reportNeedsData();
  const fm = readReportModel(float.bytes, float.file);
  const qm = readReportModel(quant.bytes, quant.file);
  const matching = matchLayers(fm, qm, hints.pairs);
  const measured = await measure(fm, qm, matching, options);
  const notes: string[] = [];
  if (measured.random) notes.push('the samples are seeded RANDOM inputs, not real data: errors on real inputs will differ; pass --representative PATH');
  for (const m of [fm, qm]) {
    if (m.extraSubgraphs > 0) notes.push(`${m.label}: only subgraph 0 (the one the runtime runs) is reported; ${m.extraSubgraphs} more not covered`);
  }

  const producer = new Map<number, number>();
  for (const o of qm.ops) for (const t of o.outputs) producer.set(t, o.index);
  const fProducer = new Map<number, number>();
  for (const o of fm.ops) for (const t of o.outputs) fProducer.set(t, o.index);

  const layers: LayerReport[] = [];
  const byTensor = new Map<number, LayerReport>();
  for (const l of matching.layers) {
    const op = qm.ops[l.op];
    if (op.op === 'DEQUANTIZE') continue;
    const t = qm.tensors[l.tensor];
    const stats = measured.layers.get(l.tensor)?.result();
    const local = measured.local.get(l.tensor)?.result();
    const alone: ErrorSummary | null = local ? { sqnr: local.sqnr, mse: local.mse, maxAbs: local.maxAbs, cosine: local.cosine, identical: local.identical } : null;
    const own = ownSqnr({ alone, sqnr: stats ? stats.sqnr : null, identical: stats?.identical ?? false });
    const fName = l.floatTensor === null ? null : fm.tensors[l.floatTensor].name;
    // The float model's name where there is one: it is the TF graph's own (the quantized file may
    // come from a converter that joins names of fused nodes).
    const source = l.floatSource === null ? null : fm.tensors[l.floatSource].name;
    // A QUANTIZE stands for the tensor it rounds (a model input, a float island's output), not for
    // the node the quantizer named it after.
    const tfNodes = (op.op === 'QUANTIZE' ? undefined : hints.tfNodes?.get(l.tensor)?.slice()) ?? tfNodesOfName(source ?? t.name);
    const kind: LayerReport['kind'] =
      t.dtype !== null && INTEGER.has(t.dtype) && t.quant ? 'quantized' : op.inputs.some((i) => i >= 0 && qm.tensors[i]?.constant && qm.tensors[i]?.quant && qm.tensors[i]?.dtype === 'int8') ? 'hybrid' : 'float';
    const weights = analyseWeights(fm, qm, l.op, l.floatSource === null ? null : (fProducer.get(l.floatSource) ?? null));
    const report: LayerReport = {
      index: l.op,
      op: op.op,
      tensor: t.name,
      floatTensor: fName,
      tfNodes,
      kerasLayers: kerasLayersOf(tfNodes),
      shape: t.shape.slice(),
      dtype: t.dtype ?? 'unknown',
      quantization: quantizationOf(t),
      kind,
      match: l.match,
      floatRange: stats ? stats.floatRange : null,
      sqnr: stats ? stats.sqnr : null,
      mse: stats ? stats.mse : null,
      maxAbs: stats ? stats.maxAbs : null,
      cosine: stats ? stats.cosine : null,
      identical: stats?.identical ?? false,
      alone,
      inputSqnr: null,
      belowThreshold: own !== null && own < threshold,
      ...(weights ? { weights } : {}),
    };
    layers.push(report);
    byTensor.set(l.tensor, report);
  }
  const inputs: InputReport[] = qm.inputs.map((io, i) => {
    const t = qm.tensors[io.tensor];
    const r = measured.inputs[i].result();
    return {
      key: io.key,
      tensor: t.name,
      shape: t.shape.slice(),
      dtype: t.dtype ?? 'unknown',
      quantization: quantizationOf(t),
      sqnr: r.sqnr,
      maxAbs: r.maxAbs,
      floatRange: r.floatRange,
      identical: r.identical,
    };
  });
  const inputByTensor = new Map(qm.inputs.map((io, i) => [io.tensor, inputs[i]]));

  // The error a layer inherits: the worst SQNR among the layers (or model inputs) that feed it.
  const sqnrOfTensor = (t: number): number | null => {
    const r = byTensor.get(t) ?? inputByTensor.get(t);
    if (r) return r.sqnr;
    const p = producer.get(t);
    // Through a DEQUANTIZE: its input's layer.
    if (p !== undefined && qm.ops[p].op === 'DEQUANTIZE') return sqnrOfTensor(qm.ops[p].inputs[0]);
    return null;
  };
  for (const r of layers) {
    let worst: number | null = null;
    for (const i of qm.ops[r.index].inputs) {
      if (i < 0 || qm.tensors[i]?.constant) continue;
      const s = sqnrOfTensor(i);
      if (s !== null && (worst === null || s < worst)) worst = s;
    }
    r.inputSqnr = worst;
  }

  // --exclude-nodes suggestions: one per layer whose own error puts it below the threshold.
  const universe: readonly (readonly string[])[] = hints.nodes ?? fm.ops.map((o) => tfNodesOfName(fm.tensors[o.outputs[0]]?.name ?? ''));
  const suggestions: string[] = [];
  // Without the quantizer's provenance, a model output's tensor is named after the output, not
  // after a node: no name to exclude by.
  const fOutputs = new Set(fm.outputs.map((o) => fm.tensors[o.tensor].name));
  for (const r of layers) {
    if (!r.belowThreshold || r.op === 'QUANTIZE' || r.tfNodes.length === 0 || r.kind === 'float') continue;
    if (!hints.tfNodes && r.floatTensor !== null && fOutputs.has(r.floatTensor)) continue;
    const s = excludeNodesFor(r.tfNodes, universe);
    r.excludeNodes = s;
    if (!suggestions.includes(s)) suggestions.push(s);
  }
  if (layers.some((r) => r.belowThreshold && r.op === 'QUANTIZE')) {
    notes.push('a QUANTIZE layer is below the threshold: its error is the input (or a float island) rounded to int8; exclusions cannot remove it (check the input range, or --inference-input-type)');
  }

  const outputs: OutputReport[] = qm.outputs.map((io, i) => {
    const m = measured.outputs[i];
    const r = m?.stats.result();
    const k = matching.outputs[i];
    const t = qm.tensors[io.tensor];
    return {
      key: io.key,
      tensor: t.name,
      floatTensor: k >= 0 ? fm.tensors[fm.outputs[k].tensor].name : null,
      shape: t.shape.slice(),
      dtype: t.dtype ?? 'unknown',
      sqnr: r ? r.sqnr : null,
      mse: r ? r.mse : null,
      maxAbs: r ? r.maxAbs : null,
      cosine: r ? r.cosine : null,
      top1: m?.top1 && m.top1.rows > 0 ? m.top1.agree / m.top1.rows : null,
      points: m?.points ?? [],
    };
  });

  const floatOps: FloatOp[] = [];
  for (const o of qm.ops) {
    if (o.op === 'QUANTIZE' || o.op === 'DEQUANTIZE') continue;
    const t = qm.tensors[o.outputs[0]];
    if (!t || (t.dtype !== 'float32' && t.dtype !== 'float16')) continue;
    const hybrid = o.inputs.some((i) => i >= 0 && qm.tensors[i]?.constant && qm.tensors[i]?.dtype === 'int8');
    floatOps.push({ index: o.index, op: o.op, tensor: t.name, kind: hybrid ? 'hybrid' : 'float' });
  }

  const unmatched = {
    quantized: layers.filter((r) => r.floatTensor === null).map((r) => ({ index: r.index, op: r.op, tensor: r.tensor })),
    float: matching.unmatchedFloat.map((i) => ({ index: i, op: fm.ops[i].op, tensor: fm.tensors[fm.ops[i].outputs[0]]?.name ?? '' })),
  };
  if (unmatched.quantized.length) notes.push(`${unmatched.quantized.length} layer(s) of the quantized model matched no float tensor and have no error figures`);

  return {
    kind: REPORT_KIND,
    version: REPORT_VERSION,
    float: { file: float.file, size: fm.size, ops: fm.opCounts },
    quantized: { file: quant.file, size: qm.size, ops: qm.opCounts },
    sizeRatio: qm.size.total / fm.size.total,
    data: { description: measured.description, samples: measured.samples, random: measured.random },
    sqnrThreshold: threshold,
    inputs,
    outputs,
    layers,
    floatOps,
    unmatched,
    excludeNodes: suggestions.length ? suggestions.join('|') : null,
    notes,
    timing: { ms: measured.ms, perSampleMs: measured.ms / measured.samples },
  };
}

/**
 * The SQNR that ranks a layer: its own (run alone) when measured, else its SQNR in the model;
 * null when exact or not measured.
 */
export function ownSqnr(l: Pick<LayerReport, 'alone' | 'sqnr' | 'identical'>): number | null {
  if (l.alone) return l.alone.identical ? null : l.alone.sqnr;
  return l.identical ? null : l.sqnr;
}

function quantizationOf(t: ModelTensor): LayerQuantization | null {
  if (!t.quant) return null;
  return {
    scale: t.quant.scale[0],
    zeroPoint: t.quant.zeroPoint[0] ?? 0,
    channels: t.quant.scale.length,
    scaleMin: t.quant.scale.reduce((a, b) => Math.min(a, b), Infinity),
    scaleMax: t.quant.scale.reduce((a, b) => Math.max(a, b), -Infinity),
    axis: t.quant.axis ?? null,
  };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A --exclude-nodes regular expression that matches this layer's TF nodes and no other
 * operator's: its Keras layer scope ('functional_1/conv2d/') when that is unique, else the first
 * node's exact name.
 */
export function excludeNodesFor(tfNodes: readonly string[], universe: readonly (readonly string[])[]): string {
  const matchesOnlyThis = (re: RegExp): boolean => {
    let hits = 0;
    for (const names of universe) if (names.some((n) => re.test(n))) hits++;
    return hits <= 1;
  };
  for (const n of tfNodes) {
    const l = kerasLayerOf(n);
    if (!l) continue;
    const candidate = escapeRegExp(`${l.model}/${l.layer}/`);
    if (matchesOnlyThis(new RegExp(candidate))) return candidate;
  }
  return `^${escapeRegExp(tfNodes[0])}$`;
}
