// `tfconv qat`: fake quantization inserted into a model's inference graph where the int8
// quantizer quantizes, so TensorFlow can fine-tune it quantization-aware and `optimize --quantize
// int8` then converts it from the learned ranges.
//
// The points come from the same plan as the int8 converter's (./int8-rewrite.ts): planInt8 on
// the converted float graph, and
// - activations: every tensor tensorsNeedingRanges names (for float32 and for int8/uint8 model
//   I/O, so either converts without calibration), mapped back to the TF tensor it stands for
//   through node provenance: the tensor of the fused group's last TF node that the next group
//   reads (or that the signature returns), or the input Placeholder. A
//   FakeQuantWithMinMaxVars(x, min, max) {num_bits 8} follows it and every reader reads that
//   instead. min/max come from calibration on the float graph (the same ranges
//   post-training quantization would use) or, without data, the default [-6, 6] of
//   FakeQuantWithMinMaxArgs and tfmot's activation quantizers;
// - weights of ops with an int8 weight rule (Conv2D, DepthwiseConv2dNative, MatMul), on the
//   kernel the op reads: symmetric narrow-range ranges min = -max from the kernel's values, per
//   output channel where the rule quantizes per channel (Conv2D: FakeQuantWithMinMaxVarsPerChannel
//   on the last axis; depthwise [H, W, C, M]: through a Reshape to [H, W, 1, C*M] and back, since
//   TensorFlow's per-channel op only takes the last axis and TFLite's channels are C*M), per
//   tensor where it takes one scale (MatMul: FakeQuantWithMinMaxVars). A batch norm after the
//   conv stays as it is: its per-channel scale maps the kernel's symmetric per-channel grid onto
//   the folded kernel's, so the converter's folded weights land on the grid post-training
//   quantization would choose.
// Every min and max is a variable (src/builder/graph-model.ts writes the graph with them), so
// ranges can be trained or assigned like any weight.

import type { ConvertedGraphs } from '../convert/convert.js';
import type { TensorValue } from '../core/tensor.js';
import { err } from '../errors/index.js';
import { cloneGraph } from '../graph/clone.js';
import { parseTensorRef } from '../graph/from-graphdef.js';
import { type Graph, type Tensor, provenance } from '../graph/ir.js';
import { globalAvgPoolToMean } from '../passes/global-avg-pool-to-mean.js';
import { constNode } from '../prepare/freeze-variables.js';
import type { PreparedGraph } from '../prepare/index.js';
import { tensorFromProto } from '../proto/tensor-proto.js';
import type { AttrValue, GraphDef, NodeDef, TensorShapeProto } from '../proto/types.js';
import type { TensorRange } from './calibrate.js';
import { collectRanges } from './collect-ranges.js';
import { type Int8Rule, int8RuleFor } from './rules.js';
import { planInt8, tensorsNeedingRanges } from './int8-rewrite.js';
import { FAKE_QUANT_OPS } from './learned-range.js';
import { maxAbsPerChannel } from './math.js';
import type { CalibrationMethod } from './options.js';
import { type RepresentativeOptions, loadRepresentative } from './representative.js';

/** The activation range without calibration data: FakeQuantWithMinMaxArgs's and tfmot's default. */
export const DEFAULT_ACTIVATION_RANGE: readonly [number, number] = [-6, 6];

export interface QatPlanOptions extends RepresentativeOptions {
  calibration?: CalibrationMethod;
  percentile?: number;
  /** Draw a progress bar while calibrating. */
  progress?: boolean;
}

/** An activation to fake-quantize: the TF tensor ("node" or "node:k") and its range. */
export interface ActivationPoint {
  tensor: string;
  min: number;
  max: number;
}

/** How a weight is fake-quantized: per output channel (and how to reach it), or per tensor. */
export type WeightKind = 'last-axis' | 'depthwise' | 'per-tensor';

/** A weight to fake-quantize: input `input` of TF node `op`, with its symmetric range(s). */
export interface WeightPoint {
  op: string;
  input: number;
  kind: WeightKind;
  /** One value per channel (of the last axis, or of C*M for depthwise), or one. */
  max: number[];
  /** The kernel's shape (the depthwise reshape needs it). */
  shape: number[];
}

export interface QatPlan {
  activations: ActivationPoint[];
  weights: WeightPoint[];
  /** Quantization points with no TF tensor (made by lowering inside one TF op): named for a note. */
  unmapped: string[];
  /** Weights left without fake quantization, and why. */
  unmappedWeights: string[];
  /** How the activation ranges were chosen, for notes: the data's description, or null for the defaults. */
  calibratedOn: string | null;
  /** Calibration used --representative random. */
  random: boolean;
}

/** The TF ops whose weights get fake quantization, and which input holds them. */
const WEIGHT_INPUT: Readonly<Record<string, number>> = { Conv2D: 1, DepthwiseConv2dNative: 1, MatMul: 1 };

/** The TF tensor ref "node:k" in canonical form. */
function canon(ref: string): string {
  const r = parseTensorRef(ref);
  return r ? `${r.node}:${r.index}` : ref;
}

function display(ref: string): string {
  return ref.endsWith(':0') ? ref.slice(0, -2) : ref;
}

/** Readers of each TF tensor, and where identities forward it. */
class TfGraphIndex {
  readonly byName: Map<string, NodeDef>;
  private readonly readers = new Map<string, NodeDef[]>();
  /** Node -> the indices of its outputs that some node reads. */
  readonly readOutputs = new Map<string, Set<number>>();

  constructor(gd: GraphDef) {
    this.byName = new Map(gd.node.map((n) => [n.name, n]));
    for (const n of gd.node) {
      for (const s of n.input) {
        const r = parseTensorRef(s);
        if (!r) continue;
        const key = `${r.node}:${r.index}`;
        const l = this.readers.get(key);
        if (l) l.push(n);
        else this.readers.set(key, [n]);
        const outs = this.readOutputs.get(r.node);
        if (outs) outs.add(r.index);
        else this.readOutputs.set(r.node, new Set([r.index]));
      }
    }
  }

  /** The nodes that read `ref`, looking through Identity and IdentityN. */
  effectiveReaders(ref: string, seen = new Set<string>()): NodeDef[] {
    const key = canon(ref);
    if (seen.has(key)) return [];
    seen.add(key);
    const out: NodeDef[] = [];
    for (const n of this.readers.get(key) ?? []) {
      if (n.op === 'Identity') out.push(...this.effectiveReaders(`${n.name}:0`, seen));
      else if (n.op === 'IdentityN') {
        n.input.filter((s) => !s.startsWith('^')).forEach((s, k) => {
          if (canon(s) === key) out.push(...this.effectiveReaders(`${n.name}:${k}`, seen));
        });
      } else out.push(n);
    }
    return out;
  }

  /** Back through Identity/IdentityN from `ref` to the first tensor produced by another op. */
  source(ref: string): string {
    let r = parseTensorRef(ref) ?? { node: ref, index: 0 };
    for (let hops = 0; hops <= this.byName.size; hops++) {
      const n = this.byName.get(r.node);
      if (!n || (n.op !== 'Identity' && n.op !== 'IdentityN')) break;
      const data = n.input.filter((s) => !s.startsWith('^'));
      const next = n.op === 'Identity' ? data[0] : data[r.index];
      if (next === undefined) break;
      r = parseTensorRef(next) ?? { node: next, index: 0 };
    }
    return `${r.node}:${r.index}`;
  }

  /** The constant value behind `ref` (through identities), or null. */
  constant(ref: string): TensorValue | null {
    const r = parseTensorRef(this.source(ref));
    const n = r ? this.byName.get(r.node) : undefined;
    const tp = n?.op === 'Const' ? n.attr.value?.tensor : undefined;
    return tp ? tensorFromProto(tp, n?.name ?? ref) : null;
  }
}

/**
 * The TF tensor a converted tensor stands for: an input's Placeholder, an output's source, or the
 * output of its producer's TF nodes that the consumers' TF nodes read. Null when there is none
 * (a tensor inside one lowered TF op).
 */
function tfTensorOf(t: Tensor, g: Graph, p: PreparedGraph, tf: TfGraphIndex, readers: Map<Tensor, { node: Graph['nodes'][number] }[]>): string | null {
  const inputIndex = g.inputs.indexOf(t);
  if (inputIndex >= 0) {
    const key = g.signature?.inputs.find((e) => e.tensor === t)?.key;
    const input = p.inputs.find((i) => i.key === key) ?? p.inputs[inputIndex];
    return input ? canon(input.name) : null;
  }
  const producer = t.producer;
  if (!producer) return null;
  const group = new Set(provenance(producer));
  const outKey = g.signature?.outputs.find((e) => e.tensor === t)?.key;
  if (outKey !== undefined || g.outputs.includes(t)) {
    const out = p.outputs.find((o) => o.key === outKey) ?? p.outputs[g.outputs.indexOf(t)];
    if (out) {
      const src = tf.source(out.name);
      const r = parseTensorRef(src);
      if (r && group.has(r.node)) return src;
    }
  }
  const next = new Set<string>();
  for (const r of readers.get(t) ?? []) for (const o of provenance(r.node)) next.add(o);
  const found = new Set<string>();
  for (const name of group) {
    for (const k of tf.readOutputs.get(name) ?? []) {
      if (tf.effectiveReaders(`${name}:${k}`).some((m) => next.has(m.name))) found.add(`${name}:${k}`);
    }
  }
  return found.size === 1 ? ([...found][0] as string) : null;
}

/** Decide the fake-quantization points of a converted model (one graph) and calibrate them. */
export async function planQat(c: ConvertedGraphs, o: QatPlanOptions): Promise<QatPlan> {
  const float = c.graphs[0] as Graph;
  const p = c.prepared[0] as PreparedGraph;
  const fq = p.graphDef.node.filter((n) => FAKE_QUANT_OPS.has(n.op));
  if (fq.length > 0) {
    throw err.unsupportedForQat(p.source, `${fq.length} ${fq[0]?.op} node${fq.length === 1 ? '' : 's'} (e.g. '${fq[0]?.name}')`, 'the model is quantization-aware already; convert it with optimize --quantize int8');
  }
  const { graph: g, tensors: copyOf } = cloneGraph(float);
  globalAvgPoolToMean.apply(g, { allowCustomOps: true, log: () => {} });
  const plan = planInt8(g);
  if (plan.quantized.size === 0) {
    throw err.unsupportedForQat(p.source, 'the model', 'none of its ops has an int8 kernel, so int8 conversion would quantize nothing');
  }
  const need = new Set<Tensor>([
    ...tensorsNeedingRanges(g, plan, { inferenceInputType: 'float32', inferenceOutputType: 'float32' }),
    ...tensorsNeedingRanges(g, plan, { inferenceInputType: 'int8', inferenceOutputType: 'int8' }),
  ]);
  const tf = new TfGraphIndex(p.graphDef);
  const readers = new Map<Tensor, { node: Graph['nodes'][number] }[]>();
  for (const n of g.nodes) {
    for (const t of n.inputs) {
      if (!t) continue;
      const l = readers.get(t);
      if (l) l.push({ node: n });
      else readers.set(t, [{ node: n }]);
    }
  }

  // Activation points in graph order (inputs first), each TF tensor once.
  const ordered = [...g.inputs.filter((t) => need.has(t)), ...g.nodes.flatMap((n) => n.outputs.filter((t) => need.has(t)))];
  for (const t of need) if (!ordered.includes(t)) ordered.push(t);
  const mapped: { t: Tensor; tensor: string }[] = [];
  const seen = new Set<string>();
  const unmapped: string[] = [];
  for (const t of ordered) {
    const tensor = tfTensorOf(t, g, p, tf, readers);
    if (!tensor) {
      unmapped.push(t.name);
      continue;
    }
    if (seen.has(tensor)) continue;
    seen.add(tensor);
    mapped.push({ t, tensor });
  }

  // Ranges: calibrated on the float graph (the clone's tensors map back to it), or the default.
  let ranges: Map<Tensor, TensorRange> | null = null;
  let calibratedOn: string | null = null;
  let random = false;
  if (o.representative !== undefined) {
    const data = loadRepresentative(o, float);
    const back = new Map<Tensor, Tensor>();
    for (const [f, q] of copyOf) if (!back.has(q)) back.set(q, f);
    const collected = await collectRanges(float, new Set(mapped.map((m) => back.get(m.t) ?? m.t)), data, {
      method: o.calibration ?? 'minmax',
      ...(o.percentile !== undefined ? { percentile: o.percentile } : {}),
      progress: o.progress === true,
    });
    ranges = new Map(mapped.map((m) => [m.t, collected.ranges.get(back.get(m.t) ?? m.t) as TensorRange]));
    calibratedOn = data.description;
    random = data.random;
  }
  const activations = mapped.map((m): ActivationPoint => {
    const r = ranges?.get(m.t);
    // The variables hold float32; the int8 converter reads them back as they are stored.
    return r ? { tensor: m.tensor, min: Math.fround(r.min), max: Math.fround(r.max) } : { tensor: m.tensor, min: DEFAULT_ACTIVATION_RANGE[0], max: DEFAULT_ACTIVATION_RANGE[1] };
  });

  // Weight points: the kernel each int8 weight rule quantizes, on the TF op that reads it.
  const weights: WeightPoint[] = [];
  const unmappedWeights: string[] = [];
  const weightSeen = new Set<string>();
  for (const n of g.nodes) {
    if (!plan.quantized.has(n)) continue;
    const rule = int8RuleFor(n.op) as Int8Rule;
    for (const w of rule.weights ?? []) {
      const ops = provenance(n).map((name) => tf.byName.get(name)).filter((x): x is NodeDef => x !== undefined && WEIGHT_INPUT[x.op] !== undefined);
      const tfOp = ops.length === 1 ? ops[0] : undefined;
      if (!tfOp) {
        unmappedWeights.push(`${n.op.slice(4)} '${n.name}' (${ops.length ? 'several weighted TF ops' : 'no Conv2D, DepthwiseConv2dNative or MatMul'} behind it)`);
        continue;
      }
      const input = WEIGHT_INPUT[tfOp.op] as number;
      const key = `${tfOp.name}:${input}`;
      if (weightSeen.has(key)) continue;
      weightSeen.add(key);
      const ref = tfOp.input[input] ?? '';
      const value = tf.constant(ref);
      if (!value || value.dtype !== 'float32') {
        unmappedWeights.push(`${tfOp.op} '${tfOp.name}' (its weights are not a float32 constant)`);
        continue;
      }
      const kind = weightKind(tfOp, w.axis);
      if (!kind) {
        unmappedWeights.push(`${tfOp.op} '${tfOp.name}' (TFLite's channel axis is not one TensorFlow's per-channel fake quantization can reach)`);
        continue;
      }
      weights.push({ op: tfOp.name, input, kind, max: weightMax(value, kind), shape: value.shape.slice() });
    }
  }
  return { activations, weights, unmapped, unmappedWeights, calibratedOn, random };
}

/** How the TF op's kernel is fake-quantized for the TFLite rule's axis (null: per tensor). */
function weightKind(n: NodeDef, axis: number | null): WeightKind | null {
  if (axis === null) return 'per-tensor';
  if (n.op === 'Conv2D') return 'last-axis';
  if (n.op === 'DepthwiseConv2dNative') return 'depthwise';
  // MatMul per output channel (a rules change): the output axis is the last unless transpose_b.
  if (n.op === 'MatMul' && n.attr.transpose_b?.b !== true) return 'last-axis';
  return null;
}

/** max|w| per channel (of the last axis, or of C*M), or of the whole kernel; float32 as stored. */
function weightMax(v: TensorValue, kind: WeightKind): number[] {
  const x = v.data as Float32Array;
  const last = v.shape.length - 1;
  // Depthwise [H, W, C, M]: channel c*M + m is the flat index modulo C*M, as for the last axis of [H, W, 1, C*M].
  const shape = kind === 'depthwise' ? [...v.shape.slice(0, 2), 1, (v.shape[2] ?? 1) * (v.shape[3] ?? 1)] : v.shape;
  const m = maxAbsPerChannel(x, shape, kind === 'per-tensor' ? null : last);
  return Array.from(m, (a) => Math.fround(a));
}

// ------------------------------------------------------------------------------------------------
// Inserting the nodes

export interface RangeVariable {
  /** The variable's name. */
  name: string;
  /** The Const node standing for its read in the graph. */
  node: string;
  value: TensorValue;
}

export interface InsertedGraph {
  graphDef: GraphDef;
  /** The model's outputs, re-pointed where a fake quantization now follows them. */
  outputs: { key: string; tensor: string }[];
  /** min/max variables, in insertion order. */
  ranges: RangeVariable[];
  fakeQuantNodes: number;
}

const T_FLOAT: AttrValue = { value: 'type', type: 1 };
const T_INT32: AttrValue = { value: 'type', type: 3 };

/** Variable names without the inlining prefixes of signature calls ("StatefulPartitionedCall/..."). */
function variableBase(node: string): string {
  return node.replace(/^(?:(?:Stateful)?PartitionedCall(?:_\d+)?\/)+/, '') || node;
}

export function insertFakeQuant(p: PreparedGraph, plan: QatPlan): InsertedGraph {
  const nodes = p.graphDef.node.map((n) => ({ ...n, input: n.input.slice() }));
  const original = new Map(p.graphDef.node.map((n) => [n.name, n]));
  /** The recorded shape of a tensor (its producer's `_output_shapes`), as TF writes it on every node. */
  const shapeOf = (ref: string): TensorShapeProto | null => {
    const r = parseTensorRef(ref);
    return (r && original.get(r.node)?.attr._output_shapes?.list?.shape[r.index]) ?? null;
  };
  const withShape = (n: NodeDef, shape: TensorShapeProto | null): NodeDef =>
    shape ? { ...n, attr: { ...n.attr, _output_shapes: { value: 'list', list: { ...EMPTY_LIST, shape: [shape] } } } } : n;
  const names = new Set(nodes.map((n) => n.name));
  const unique = (base: string): string => {
    let name = base;
    for (let k = 1; names.has(name); k++) name = `${base}_${k}`;
    names.add(name);
    return name;
  };
  const variableNames = new Set<string>();
  const uniqueVariable = (base: string): string => {
    let name = base;
    for (let k = 1; variableNames.has(name); k++) name = `${base}_${k}`;
    variableNames.add(name);
    return name;
  };
  const ranges: RangeVariable[] = [];
  const added: NodeDef[] = [];
  const rangeRead = (base: string, varBase: string, which: 'min' | 'max', values: number[], scalar: boolean): string => {
    const node = unique(`${base}/${which}`);
    const value: TensorValue = { dtype: 'float32', shape: scalar ? [] : [values.length], data: Float32Array.from(values) };
    added.push(constNode(node, value));
    ranges.push({ name: uniqueVariable(`${varBase}/${which}`), node, value });
    return node;
  };
  const fakeQuant = (name: string, op: 'FakeQuantWithMinMaxVars' | 'FakeQuantWithMinMaxVarsPerChannel', x: string, min: string, max: string, narrow: boolean): NodeDef => ({
    name,
    op,
    input: [x, min, max],
    device: '',
    attr: { narrow_range: { value: 'b', b: narrow }, num_bits: { value: 'i', i: 8 } },
    experimental_debug_info: null,
  });
  let fakeQuantNodes = 0;

  // Activations: a FakeQuant after the tensor; every reader (and the signature) reads it instead.
  const outputs = p.outputs.map((o) => ({ key: o.key, tensor: o.name }));
  for (const a of plan.activations) {
    const r = parseTensorRef(a.tensor) as { node: string; index: number };
    const suffix = r.index === 0 ? '' : `_${r.index}`;
    // A model input's fake quantization is named by its signature key.
    const key = p.inputs.find((i) => canon(i.name) === a.tensor)?.key;
    const stem = key ?? `${r.node}${suffix}`;
    const base = unique(`${stem}/act_quant`);
    const varBase = `${key ?? `${variableBase(r.node)}${suffix}`}/act_quant`;
    const min = rangeRead(base, varBase, 'min', [a.min], true);
    const max = rangeRead(base, varBase, 'max', [a.max], true);
    const fq = withShape(fakeQuant(unique(`${base}/FakeQuantWithMinMaxVars`), 'FakeQuantWithMinMaxVars', display(a.tensor), min, max, false), shapeOf(a.tensor));
    for (const n of nodes) n.input = n.input.map((s) => (!s.startsWith('^') && canon(s) === a.tensor ? fq.name : s));
    for (const o of outputs) if (canon(o.tensor) === a.tensor) o.tensor = fq.name;
    added.push(fq);
    fakeQuantNodes++;
  }

  // Weights: a FakeQuant between the kernel and the op that reads it.
  const byName = new Map(nodes.map((n) => [n.name, n]));
  for (const w of plan.weights) {
    const op = byName.get(w.op);
    if (!op) throw err.internal(`qat: weighted op ${w.op} is not in the graph`);
    const kernel = op.input[w.input] as string;
    const base = unique(`${w.op}/weights_quant`);
    const varBase = `${variableBase(w.op)}/weights_quant`;
    const perTensor = w.kind === 'per-tensor';
    const min = rangeRead(base, varBase, 'min', w.max.map((m) => -m), perTensor);
    const max = rangeRead(base, varBase, 'max', w.max, perTensor);
    if (w.kind === 'depthwise') {
      const [h, wd, c, m] = w.shape as [number, number, number, number];
      const flatDims = [h, wd, 1, c * m];
      const flatShape = withShape(constNode(unique(`${base}/flat_shape`), { dtype: 'int32', shape: [4], data: Int32Array.from(flatDims) }), dims([4]));
      const shape = withShape(constNode(unique(`${base}/shape`), { dtype: 'int32', shape: [4], data: Int32Array.of(h, wd, c, m) }), dims([4]));
      const flat = withShape(reshape(unique(`${base}/flatten`), kernel, flatShape.name), dims(flatDims));
      const fq = withShape(fakeQuant(unique(`${base}/FakeQuantWithMinMaxVarsPerChannel`), 'FakeQuantWithMinMaxVarsPerChannel', flat.name, min, max, true), dims(flatDims));
      const back = withShape(reshape(unique(`${base}/restore`), fq.name, shape.name), dims(w.shape));
      added.push(flatShape, shape, flat, fq, back);
      op.input[w.input] = back.name;
    } else {
      const fq = withShape(
        fakeQuant(
          unique(`${base}/${perTensor ? 'FakeQuantWithMinMaxVars' : 'FakeQuantWithMinMaxVarsPerChannel'}`),
          perTensor ? 'FakeQuantWithMinMaxVars' : 'FakeQuantWithMinMaxVarsPerChannel',
          kernel,
          min,
          max,
          true,
        ),
        dims(w.shape),
      );
      added.push(fq);
      op.input[w.input] = fq.name;
    }
    fakeQuantNodes++;
  }
  return { graphDef: { ...p.graphDef, node: [...nodes, ...added] }, outputs, ranges, fakeQuantNodes };
}

/**
 * Shorter node names: without the prefixes inlining gave them ("StatefulPartitionedCall/
 * StatefulPartitionedCall/model/conv2d/Conv2D" -> "model/conv2d/Conv2D"), wherever the short
 * name is still unique; returns old -> new for the renamed nodes.
 */
export function shortNodeNames(gd: GraphDef): Map<string, string> {
  const final = new Map<string, string>();
  for (const n of gd.node) final.set(n.name, variableBase(n.name));
  for (let round = 0; round <= gd.node.length; round++) {
    const count = new Map<string, number>();
    for (const f of final.values()) count.set(f, (count.get(f) ?? 0) + 1);
    let reverted = false;
    for (const [name, f] of final) {
      if (f !== name && (count.get(f) ?? 0) > 1) {
        final.set(name, name);
        reverted = true;
      }
    }
    if (!reverted) break;
  }
  const renames = new Map<string, string>();
  for (const [name, f] of final) if (f !== name) renames.set(name, f);
  return renames;
}

/** The graph with nodes renamed (references and control edges follow). */
export function renameNodes(gd: GraphDef, renames: ReadonlyMap<string, string>): GraphDef {
  if (renames.size === 0) return gd;
  return { ...gd, node: gd.node.map((n) => ({ ...n, name: renameRef(n.name, renames), input: n.input.map((s) => renameRef(s, renames)) })) };
}

/** A node name, tensor reference ("node:k") or control input ("^node") after renaming. */
export function renameRef(ref: string, renames: ReadonlyMap<string, string>): string {
  if (ref.startsWith('^')) return `^${renames.get(ref.slice(1)) ?? ref.slice(1)}`;
  const r = parseTensorRef(ref);
  if (!r) return ref;
  const to = renames.get(r.node);
  if (to === undefined) return ref;
  return ref === r.node ? to : `${to}:${r.index}`;
}

const EMPTY_LIST = { s: [], i: [], f: [], b: [], type: [], shape: [], tensor: [], func: [] };

function dims(shape: readonly number[]): TensorShapeProto {
  return { dim: shape.map((size) => ({ size, name: '' })), unknown_rank: false };
}

function reshape(name: string, x: string, shape: string): NodeDef {
  return { name, op: 'Reshape', input: [x, shape], device: '', attr: { T: T_FLOAT, Tshape: T_INT32 }, experimental_debug_info: null };
}
