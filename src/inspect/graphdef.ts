// `tfconv inspect` for frozen GraphDefs: a GraphDef has no signatures, so the report says what
// would be needed to pick them: the inputs (placeholders with dtype and shape), the candidate
// outputs (nodes nothing consumes, leaving out bookkeeping sinks), and the op histogram.

import type { DType } from '../core/dtype.js';
import type { AttrValue, GraphDef, NodeDef } from '../proto/index.js';
import { countOps, functionLibrary, parseTensorName } from '../readers/graphdef.js';
import { dtypeName, formatDims, makeTable, shapeDims, sortedCounts, tfDtypeName } from './common.js';

export interface GraphInputReport {
  name: string;
  /** 'Placeholder', or 'PlaceholderWithDefault' (an input that may be left unfed). */
  op: string;
  dtype: DType | null;
  tfDtype: string;
  /** Dimensions, -1 where unknown; null when the rank is unknown or no shape attr is set. */
  shape: number[] | null;
}

export interface GraphOutputReport {
  name: string;
  op: string;
}

export interface GraphDefReport {
  kind: 'graphdef';
  path: string;
  /** versions.producer (the GraphDef version of the TensorFlow that wrote it), null when absent. */
  producer: number | null;
  nodes: number;
  functions: number;
  /** In graph order. */
  inputs: GraphInputReport[];
  /** Nodes no other node consumes (by data or control edge), sinks left out; in graph order. */
  outputs: GraphOutputReport[];
  /** Op type -> graph nodes. */
  ops: Record<string, number>;
  /** Op type -> nodes in library function bodies (empty for most frozen graphs). */
  libraryOps: Record<string, number>;
}

const INPUT_OPS = new Set(['Placeholder', 'PlaceholderWithDefault', 'PlaceholderV2']);

/**
 * Ops that end a graph without being a model output: training, checkpointing, summaries,
 * assertions and initialisation. An unconsumed constant or placeholder is no output either.
 */
const SINK_OPS = new Set([
  'NoOp',
  'Const',
  'Assert',
  'Print',
  'PrintV2',
  'Placeholder',
  'PlaceholderV2',
  'PlaceholderWithDefault',
  'Variable',
  'VariableV2',
  'VarHandleOp',
  'VarIsInitializedOp',
  'IsVariableInitialized',
  'Assign',
  'AssignAdd',
  'AssignSub',
  'AssignVariableOp',
  'AssignAddVariableOp',
  'AssignSubVariableOp',
  'Save',
  'SaveV2',
  'SaveSlices',
  'Restore',
  'RestoreV2',
  'RestoreSlice',
  'MergeV2Checkpoints',
  'ShardedFilename',
  'ShardedFilespec',
  'WriteFile',
  'ScalarSummary',
  'HistogramSummary',
  'ImageSummary',
  'AudioSummary',
  'AudioSummaryV2',
  'TensorSummary',
  'TensorSummaryV2',
  'MergeSummary',
  'InitializeTable',
  'InitializeTableV2',
  'InitializeTableFromTextFile',
  'InitializeTableFromTextFileV2',
]);
/** Optimizer updates: ApplyGradientDescent, ResourceApplyAdam, ResourceSparseApplyAdagrad, ... */
const APPLY_OP = /^(Resource)?(Sparse)?Apply[A-Z]/;

export function isSinkOp(op: string): boolean {
  return SINK_OPS.has(op) || APPLY_OP.test(op);
}

export function inspectGraphDef(graph: GraphDef, path: string): GraphDefReport {
  const consumed = new Set<string>();
  for (const n of graph.node) for (const i of n.input) consumed.add(parseTensorName(i).node);
  const library = functionLibrary(graph);
  const libNodes: NodeDef[] = [];
  for (const f of library.values()) libNodes.push(...f.node_def);
  return {
    kind: 'graphdef',
    path,
    producer: graph.versions ? graph.versions.producer : null,
    nodes: graph.node.length,
    functions: library.size,
    inputs: graph.node.filter((n) => INPUT_OPS.has(n.op)).map(inputReport),
    outputs: graph.node
      .filter((n) => !consumed.has(n.name) && !isSinkOp(n.op))
      .map((n) => ({ name: n.name, op: n.op })),
    ops: sortedCounts(countOps(graph.node)),
    libraryOps: sortedCounts(countOps(libNodes)),
  };
}

function inputReport(n: NodeDef): GraphInputReport {
  const dtypeAttr: AttrValue | undefined = n.attr.dtype;
  const shapeAttr: AttrValue | undefined = n.attr.shape;
  const t = dtypeAttr?.value === 'type' ? (dtypeAttr.type ?? 0) : 0;
  return {
    name: n.name,
    op: n.op,
    dtype: dtypeName(t),
    tfDtype: tfDtypeName(t),
    shape: shapeAttr?.value === 'shape' ? shapeDims(shapeAttr.shape) : null,
  };
}

export function graphDefText(r: GraphDefReport, color = false): string {
  const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;
  let out = `GraphDef ${r.path}: ${plural(r.nodes, 'node')}, ${plural(r.functions, 'function')}`;
  out += r.producer === null ? '\n' : `, producer ${r.producer}\n`;

  out += `\nInputs (${r.inputs.length}):\n`;
  if (r.inputs.length > 0) {
    const t = makeTable(['Name', 'Dtype', 'Shape', 'Op'], color);
    for (const i of r.inputs) t.push([i.name, i.tfDtype, formatDims(i.shape), i.op]);
    out += `${t.toString()}\n`;
  }

  out += `\nCandidate outputs (${r.outputs.length}, nodes nothing consumes):\n`;
  if (r.outputs.length > 0) {
    const t = makeTable(['Name', 'Op'], color);
    for (const o of r.outputs) t.push([o.name, o.op]);
    out += `${t.toString()}\n`;
  }

  out += `\nOps (${Object.keys(r.ops).length} types):\n`;
  out += `${countsTable(r.ops, color)}\n`;
  if (Object.keys(r.libraryOps).length > 0) {
    out += `\nOps in library functions (${Object.keys(r.libraryOps).length} types):\n`;
    out += `${countsTable(r.libraryOps, color)}\n`;
  }
  return out;
}

function countsTable(counts: Record<string, number>, color: boolean): string {
  const t = makeTable(['Op', 'Count'], color, ['left', 'right']);
  for (const [op, n] of Object.entries(counts)) t.push([op, n]);
  return t.toString();
}
