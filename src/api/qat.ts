// qat(): a SavedModel with fake quantization inserted for quantization-aware fine-tuning
// (`tfconv qat MODEL -o OUT_DIR`). The model is converted as for `optimize`, the int8 plan of the
// converted graph says where fake quantization goes (src/quantize/qat-insert.ts), and the prepared
// inference graph (functions inlined, variables read as values) is written back as a TF2
// SavedModel (src/builder/graph-model.ts) whose weights and ranges are variables: the model's
// variables keep their names, trainability and values; every FakeQuant min and max is a new
// trainable variable. The directory is written atomically; the same model, data and options give
// the same bytes.

import { type ConvertedGraphs, type ConvertOptions, convertToGraphs } from '../convert/convert.js';
import type { DType } from '../core/dtype.js';
import { CUSTOM_OPS_ADVICE, ErrorCode, TfconvError, err } from '../errors/index.js';
import { parseTensorRef } from '../graph/from-graphdef.js';
import { type GraphModel, type GraphModelVariable, graphSavedModel, graphVariable } from '../builder/graph-model.js';
import type { PreparedGraph } from '../prepare/index.js';
import { tensorFromProto } from '../proto/tensor-proto.js';
import type { GraphDef, NodeDef, OpDef } from '../proto/types.js';
import { type CalibrationMethod, checkQuantizeOptions } from '../quantize/options.js';
import {
  DEFAULT_ACTIVATION_RANGE,
  type InsertedGraph,
  type QatPlan,
  insertFakeQuant,
  planQat,
  renameNodes,
  renameRef,
  shortNodeNames,
} from '../quantize/qat-insert.js';
import { detectModel } from '../readers/detect.js';
import { readSavedModel, selectMetaGraph } from '../readers/savedmodel.js';
import { mapVariables } from '../readers/variables.js';
import { writeSavedModel } from '../writers/savedmodel.js';
import { checkOutputDir } from './output-path.js';

export interface QatOptions extends Pick<ConvertOptions, 'tagSet' | 'inputArrays' | 'outputArrays' | 'inputShapes'> {
  /** The SavedModel directory to write (required). */
  output: string;
  /** Replace `output` if it is a non-empty directory. */
  overwrite?: boolean;
  /** The signature to take (default serving_default, or the only serving signature). */
  signature?: string;
  /** Calibration data for the activation ranges, as for optimize --quantize int8; without it, [-6, 6]. */
  representative?: string;
  calibrationSamples?: number;
  calibration?: CalibrationMethod;
  percentile?: number;
  imageMean?: number[];
  imageStd?: number[];
  /** Seed for representative 'random'. */
  seed?: number;
  log?: (message: string) => void;
  progress?: boolean;
}

export interface QatResult {
  /** The SavedModel directory written. */
  output: string;
  /** Files written, relative to `output`. */
  files: string[];
  /** FakeQuant nodes inserted on activations and on weights. */
  fakeQuant: { activations: number; weights: number };
  /** Variables of the written model: all, trainable, and the min/max ones among them. */
  variables: { count: number; trainable: number; ranges: number };
  /** What the activation ranges came from: the calibration data, or null for the [-6, 6] default. */
  calibratedOn: string | null;
  signature: string;
  notes: string[];
  /** Wall time (ms). */
  ms: number;
}

export async function qat(model: string, options: QatOptions): Promise<QatResult> {
  if (typeof options.output !== 'string' || options.output === '') throw err.badOption('output', 'tfconv qat needs the SavedModel directory to write (-o OUT_DIR)');
  checkOutputDir(options.output, model, options.overwrite === true);
  checkQuantizeOptions({
    mode: 'int8',
    ...(options.representative !== undefined ? { representative: options.representative } : {}),
    ...(options.calibration !== undefined ? { calibration: options.calibration } : {}),
    ...(options.percentile !== undefined ? { percentile: options.percentile } : {}),
    ...(options.calibrationSamples !== undefined ? { calibrationSamples: options.calibrationSamples } : {}),
  });
  const t0 = performance.now();
  const log = options.log ?? (() => {});
  let converted: ConvertedGraphs;
  try {
    converted = convertToGraphs(model, {
      ...(options.tagSet !== undefined ? { tagSet: options.tagSet } : {}),
      ...(options.signature !== undefined ? { signatures: [options.signature] } : {}),
      ...(options.inputArrays ? { inputArrays: options.inputArrays } : {}),
      ...(options.outputArrays ? { outputArrays: options.outputArrays } : {}),
      ...(options.inputShapes ? { inputShapes: options.inputShapes } : {}),
      log,
    });
  } catch (e) {
    // Custom ops are no way out here: fake quantization needs a model that converts to builtins.
    if (e instanceof TfconvError && e.code === ErrorCode.UNSUPPORTED_OPS) {
      throw err.unsupportedForQat(model, 'the model does not convert to TFLite builtins', e.message.replace(CUSTOM_OPS_ADVICE, ''));
    }
    throw e;
  }
  const plan = await planQat(converted, { ...options, progress: options.progress === true });
  const p = converted.prepared[0] as PreparedGraph;
  const inserted = insertFakeQuant(p, plan);
  const graphModel = describeGraphModel(model, options, converted, inserted);
  const layout = graphSavedModel(graphModel);
  const written = writeSavedModel(options.output, { savedModel: layout.savedModel, variables: layout.checkpoint, keepOrder: true, overwrite: options.overwrite === true });

  const notes = [...converted.notes, ...planNotes(plan)];
  return {
    output: written.dir,
    files: written.files,
    fakeQuant: { activations: plan.activations.length, weights: plan.weights.length },
    variables: {
      count: graphModel.variables.length,
      trainable: graphModel.variables.filter((v) => v.trainable).length,
      ranges: inserted.ranges.length,
    },
    calibratedOn: plan.calibratedOn,
    signature: p.signatureKey,
    notes,
    ms: performance.now() - t0,
  };
}

function planNotes(plan: QatPlan): string[] {
  const notes: string[] = [];
  if (plan.calibratedOn === null) {
    notes.push(
      `no --representative: every activation range starts at the default [${DEFAULT_ACTIVATION_RANGE.join(', ')}] (FakeQuantWithMinMaxArgs's and tfmot's); ` +
        'fine-tune the min/max variables or pass --representative PATH to start from calibrated ranges',
    );
  } else {
    notes.push(`activation ranges calibrated on ${plan.calibratedOn}`);
    if (plan.random) notes.push('calibration used seeded RANDOM inputs, not real data: the starting activation ranges will not match real inputs');
  }
  if (plan.unmapped.length) {
    notes.push(
      `${plan.unmapped.length} int8 quantization point${plan.unmapped.length === 1 ? ' has' : 's have'} no TensorFlow tensor (inside one lowered op) and no fake quantization: ` +
        `${plan.unmapped.slice(0, 3).map((n) => `'${n}'`).join(', ')}${plan.unmapped.length > 3 ? ', ...' : ''}; optimize --quantize int8 needs --representative for them`,
    );
  }
  for (const w of plan.unmappedWeights) notes.push(`no fake quantization on the weights of ${w}`);
  return notes;
}

/** The source model's OpDefs and variable facts (SavedModels; a GraphDef has neither). */
interface SourceFacts {
  opDefs: OpDef[];
  variable: (node: string) => { name: string; trainable: boolean; synchronization: number; aggregation: number } | undefined;
}

function sourceFacts(model: string, tagSet: string | undefined): SourceFacts {
  const detected = detectModel(model);
  if (detected.kind !== 'savedmodel') return { opDefs: [], variable: () => undefined };
  const sm = readSavedModel(detected.path);
  const mg = selectMetaGraph(sm, tagSet);
  const graphNodes = new Map(mg.graph.node.map((n) => [n.name, n]));
  let mapping: ReturnType<typeof mapVariables> | null = null;
  return {
    opDefs: mg.def.meta_info_def?.stripped_op_list?.op ?? [],
    variable: (node) => {
      const n = graphNodes.get(node);
      const shared = n?.attr.shared_name?.s ? Buffer.from(n.attr.shared_name.s).toString('utf8') : '';
      mapping ??= mapVariables(sm.dir, mg.def);
      const id = mapping.byNode.get(node)?.objectId;
      const saved = id !== undefined ? mg.objectGraph?.nodes[id]?.variable : undefined;
      return {
        name: shared || node,
        trainable: saved?.trainable ?? true,
        synchronization: saved?.synchronization ?? 0,
        aggregation: saved?.aggregation ?? 0,
      };
    },
  };
}

/** The written model: the inserted graph, its variables (the model's, then the ranges) and I/O. */
function describeGraphModel(model: string, options: QatOptions, converted: ConvertedGraphs, inserted: InsertedGraph): GraphModel {
  const p = converted.prepared[0] as PreparedGraph;
  const g = converted.graphs[0];
  if (!g) throw err.internal('qat: no converted graph');
  const facts = sourceFacts(model, options.tagSet);
  // Names without inlining's call prefixes: what TensorFlow shows, and what a second conversion starts from.
  const renames = shortNodeNames(inserted.graphDef);
  const rn = (ref: string): string => renameRef(ref, renames);
  const gd = renameNodes(inserted.graphDef, renames);
  const byName = new Map(gd.node.map((n) => [n.name, n]));
  // Variable names must not take the names of the top-level nodes the layout writes.
  const names = new Set<string>(['NoOp', 'Const', 'saver_filename', 'StatefulPartitionedCall', 'StatefulPartitionedCall_1', 'StatefulPartitionedCall_2']);
  const uniqueName = (base: string): string => {
    let name = base;
    for (let k = 1; names.has(name); k++) name = `${base}_${k}`;
    names.add(name);
    return name;
  };

  const variables: GraphModelVariable[] = [];
  const reads: { node: string; variable: string }[] = [];
  const byVariable = new Map<string, GraphModelVariable>();
  const addRead = (original: string, variableNode: string, trainable: boolean): void => {
    const node = rn(original);
    const n = byName.get(node);
    const tp = n?.op === 'Const' ? n.attr.value?.tensor : undefined;
    if (!n || !tp) return;
    const value = tensorFromProto(tp, node);
    // Only float32 values become variables (the model's integer tables stay constants).
    if (value.dtype !== 'float32') return;
    let v = byVariable.get(variableNode);
    if (!v) {
      const f = facts.variable(variableNode);
      v = graphVariable(uniqueName(f?.name ?? variableNode), value, f?.trainable ?? trainable, f?.synchronization, f?.aggregation);
      byVariable.set(variableNode, v);
      variables.push(v);
    }
    reads.push({ node, variable: v.name });
  };
  if (p.frozenReads.length > 0) {
    for (const r of p.frozenReads) addRead(r.node, r.variable, true);
  } else {
    // Before insertion: a kernel is read by its op directly there.
    for (const w of frozenGraphWeights(p.graphDef)) addRead(w.node, w.node, w.trainable);
  }
  for (const r of inserted.ranges) {
    const v = graphVariable(uniqueName(r.name), r.value, true);
    variables.push(v);
    reads.push({ node: rn(r.node), variable: v.name });
  }

  const inputs = p.inputs.map((i, k) => {
    const t = g.signature?.inputs.find((e) => e.key === i.key)?.tensor ?? g.inputs[k];
    const shape = i.shape ?? t?.signature ?? t?.shape;
    if (!shape) throw err.inputShapeNeeded(i.key, '', 'has an unknown rank (the model does not declare its shape)');
    return { key: i.key, node: rn((parseTensorRef(i.name) as { node: string }).node), dtype: i.dtype, shape: shape.slice() };
  });
  const outputs = inserted.outputs.map((o, k) => {
    const t = g.signature?.outputs.find((e) => e.key === o.key)?.tensor ?? g.outputs[k];
    if (!t) throw err.internal(`qat: output '${o.key}' has no converted tensor`);
    const dtype: DType = t.dtype;
    return { key: o.key, tensor: rn(o.tensor), dtype, shape: (t.signature ?? t.shape ?? []).slice() };
  });
  return { graphDef: gd, inputs, outputs, reads, variables, opDefs: facts.opDefs, source: p.source };
}

/** Frozen GraphDefs: the float32 constants layers read as weights (batch norm statistics are not trained). */
function frozenGraphWeights(gd: GraphDef): { node: string; trainable: boolean }[] {
  const byName = new Map(gd.node.map((n) => [n.name, n]));
  const constOf = (ref: string): NodeDef | undefined => {
    let r = parseTensorRef(ref);
    for (let hops = 0; r && hops < gd.node.length; hops++) {
      const n = byName.get(r.node);
      if (!n) return undefined;
      if (n.op === 'Const') return n;
      if (n.op !== 'Identity') return undefined;
      r = parseTensorRef(n.input[0] ?? '');
    }
    return undefined;
  };
  const WEIGHTS: Record<string, number[]> = {
    Conv2D: [1],
    DepthwiseConv2dNative: [1],
    MatMul: [1],
    Conv2DBackpropInput: [1],
    BiasAdd: [1],
    FusedBatchNorm: [1, 2, 3, 4],
    FusedBatchNormV2: [1, 2, 3, 4],
    FusedBatchNormV3: [1, 2, 3, 4],
  };
  const out: { node: string; trainable: boolean }[] = [];
  const seen = new Set<string>();
  for (const n of gd.node) {
    for (const i of WEIGHTS[n.op] ?? []) {
      const c = constOf(n.input[i] ?? '');
      if (!c || seen.has(c.name) || c.attr.dtype?.type !== 1) continue;
      seen.add(c.name);
      out.push({ node: c.name, trainable: !(n.op.startsWith('FusedBatchNorm') && i >= 3) });
    }
  }
  return out;
}
