// `tfconv inspect` for SavedModels: the text of `saved_model_cli show` (same characters, so scripts
// and eyes used to it keep working), a JSON report, and the ops the serving signatures need.
//
// The saved_model_cli formatters mirror tensorflow/python/tools/saved_model_cli.py
// (_show_tag_sets, _show_signature_def_map_keys, _show_inputs_outputs_mgd, _print_tensor_info,
// _show_all) and work on the protos directly, so they print what that script prints for the same
// message, including its quirks: an absent tensor_shape prints as "()", a sparse or composite
// tensor's name prints empty, an empty method name leaves a trailing space. The parts of
// `--all` that need Python (the op set, printed in hash order, and "Concrete Functions") are not
// reproduced.

import type { DType } from '../core/dtype.js';
import type { FunctionDef, TensorInfo } from '../proto/index.js';
import {
  type LoadedMetaGraph,
  type LoadedSavedModel,
  getSignature,
  selectMetaGraph,
  servingSignatureKeys,
  signatureKeys,
} from '../readers/savedmodel.js';
import { countOps } from '../readers/graphdef.js';
import { byCodePoint, byCodePointList } from '../util/compare.js';
import { dtypeName, formatDims, makeTable, shapeDims, sortedCounts, sumCounts, tfDtypeName } from './common.js';
import { reachableOps } from './ops.js';

// ---------------------------------------------------------------------------------------------
// saved_model_cli text
// ---------------------------------------------------------------------------------------------

/** `saved_model_cli show --dir DIR`: the tag-sets, each sorted and printed as a Python repr. */
export function formatTagSets(model: LoadedSavedModel): string {
  const tagSets = model.metaGraphs.map((mg) => mg.tags).sort(byCodePointList);
  let out = 'The given SavedModel contains the following tag-sets:\n';
  for (const tags of tagSets) out += `${pyRepr([...tags].sort(byCodePoint).join(', '))}\n`;
  return out;
}

/** `saved_model_cli show --dir DIR --tag_set T`: the SignatureDef keys, sorted. */
export function formatSignatureKeys(mg: LoadedMetaGraph): string {
  let out = 'The given SavedModel MetaGraphDef contains SignatureDefs with the following keys:\n';
  for (const key of signatureKeys(mg)) out += `SignatureDef key: "${key}"\n`;
  return out;
}

/** `saved_model_cli show --dir DIR --tag_set T --signature_def KEY` (indent 0), or its part of --all (indent 1). */
export function formatSignature(mg: LoadedMetaGraph, key: string, indent = 0): string {
  const sig = getSignature(mg, key);
  const pad = '  '.repeat(indent);
  let out = `${pad}The given SavedModel SignatureDef contains the following input(s):\n`;
  for (const k of Object.keys(sig.inputs).sort(byCodePoint)) {
    out += `${pad}  inputs['${k}'] tensor_info:\n`;
    out += formatTensorInfo(sig.inputs[k] as TensorInfo, indent + 1);
  }
  out += `${pad}The given SavedModel SignatureDef contains the following output(s):\n`;
  for (const k of Object.keys(sig.outputs).sort(byCodePoint)) {
    out += `${pad}  outputs['${k}'] tensor_info:\n`;
    out += formatTensorInfo(sig.outputs[k] as TensorInfo, indent + 1);
  }
  out += `${pad}Method name is: ${sig.method_name}\n`;
  return out;
}

function formatTensorInfo(t: TensorInfo, indent: number): string {
  const pad = '  '.repeat(indent);
  // An unset tensor_shape reads as the default TensorShapeProto in Python: known rank 0, "()".
  const shape = t.tensor_shape?.unknown_rank ? 'unknown_rank' : `(${(t.tensor_shape?.dim ?? []).map((d) => d.size).join(', ')})`;
  const name = t.encoding === 'name' ? (t.name ?? '') : '';
  return `${pad}    dtype: ${tfDtypeName(t.dtype)}\n${pad}    shape: ${shape}\n${pad}    name: ${name}\n`;
}

/** The signature part of `saved_model_cli show --dir DIR --all`: every MetaGraph, every signature. */
export function formatShowAll(model: LoadedSavedModel): string {
  const mgs = [...model.metaGraphs].sort((a, b) => byCodePointList(a.tags, b.tags));
  let out = '';
  for (const mg of mgs) {
    out += `\nMetaGraphDef with tag-set: '${mg.tags.join(', ')}' contains the following SignatureDefs:\n`;
    for (const key of signatureKeys(mg)) {
      out += `\nsignature_def['${key}']:\n`;
      out += formatSignature(mg, key, 1);
    }
  }
  return out;
}

/** Python's repr() of a str, as saved_model_cli's '%r' prints a tag-set. */
export function pyRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || (c >= 0x7f && c <= 0xa0)) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

// ---------------------------------------------------------------------------------------------
// The report (what --json prints; the tables are drawn from it)
// ---------------------------------------------------------------------------------------------

export interface TensorReport {
  /** Graph tensor name ("serving_default_x:0"); '' for sparse and composite tensors. */
  name: string;
  /** tfconv's dtype name ('float32'; reference types as their base type), null when none (DT_INVALID). */
  dtype: DType | null;
  /** TensorFlow's DataType name ('DT_FLOAT', 'DT_FLOAT_REF', 'DT_INVALID'). */
  tfDtype: string;
  /** Dimensions, -1 where unknown; null when the rank is unknown or no shape is recorded. */
  shape: number[] | null;
  encoding: 'name' | 'coo_sparse' | 'composite_tensor';
  /** For encoding 'coo_sparse': the three dense tensors that make up the SparseTensor. */
  sparse?: { values: string; indices: string; denseShape: string };
  /** For encoding 'composite_tensor' (RaggedTensor, ...): its type-spec class and component tensors. */
  composite?: { typeSpecClass: number; typeSpecClassName: string; components: TensorReport[] };
}

export interface TensorInfoReport extends TensorReport {
  /** The key in the SignatureDef's inputs or outputs map. */
  key: string;
}

export interface SignatureReport {
  key: string;
  methodName: string;
  /** Sorted by key. */
  inputs: TensorInfoReport[];
  /** Sorted by key. */
  outputs: TensorInfoReport[];
}

export interface OpsReport {
  /** The signatures walked from: the one asked for, or every one but __saved_model_init_op. */
  signatures: string[];
  reachable: {
    /**
     * Op type -> distinct nodes that run for those signatures (graph and called functions); the
     * walk stops at the signatures' input tensors, which are fed.
     */
    counts: Record<string, number>;
    nodes: number;
    graphNodes: number;
    functionNodes: number;
    /** Library functions the signatures call, directly or not. */
    functions: string[];
    /** Signature tensor names that name no graph node (a broken SavedModel). */
    unresolved: string[];
    /** Functions called but missing from the library (a broken SavedModel). */
    missingFunctions: string[];
  };
  /** Op type -> nodes in the MetaGraph's graph. */
  graph: Record<string, number>;
  /** Op type -> nodes in all library function bodies. */
  library: Record<string, number>;
}

/** One variable of the graph, with its checkpoint key and size in the TensorBundle. */
export interface VariableReport {
  name: string;
  checkpointKey: string;
  dtype: DType | null;
  tfDtype: string;
  shape: number[] | null;
  bytes: number;
}

/** The variables section: every variable the graph restores, and totals. */
export interface VariablesReport {
  variables: VariableReport[];
  totals: { count: number; bytes: number; elements: number };
}

/** Supplies the variables section (src/readers/variables.ts through the CLI). */
export type VariablesHook = (model: LoadedSavedModel, mg: LoadedMetaGraph) => VariablesReport;

export interface MetaGraphReport {
  /** Position in saved_model.pb. */
  index: number;
  /** Tags in stored order. */
  tags: string[];
  /** Canonical tag-set as --tag-set takes it: sorted, comma-joined ('' when there are no tags). */
  tagSet: string;
  tensorflowVersion: string;
  tensorflowGitVersion: string;
  graph: { nodes: number; functions: number };
  /** True for TF2 SavedModels (a SavedObjectGraph is present). */
  objectGraph: boolean;
  /** Sorted by key. */
  signatures: SignatureReport[];
  /** Asset files (relative to the SavedModel directory) and the tensors fed their paths. */
  assets: { name: string; path: string; tensorName: string }[];
  /** Present with --ops. */
  ops?: OpsReport;
  /** Present when a variables hook is given. */
  variables?: VariablesReport;
}

export interface SavedModelReport {
  kind: 'savedmodel';
  /** The SavedModel directory used (the version folder for a TF Serving base directory). */
  path: string;
  /** Why `path` differs from what was asked, e.g. the TF Serving version chosen. */
  note?: string;
  schemaVersion: number;
  metaGraphs: MetaGraphReport[];
}

export interface InspectSavedModelOptions {
  /** Only this MetaGraph (saved_model_cli's --tag_set syntax). */
  tagSet?: string;
  /** Only this signature (of the MetaGraph `tagSet` or the default one picks). */
  signatureDef?: string;
  /** Add the op analysis. */
  ops?: boolean;
  variables?: VariablesHook;
}

export function inspectSavedModel(model: LoadedSavedModel, opts: InspectSavedModelOptions = {}): SavedModelReport {
  const narrowed = opts.tagSet !== undefined || opts.signatureDef !== undefined;
  const mgs = narrowed ? [selectMetaGraph(model, opts.tagSet)] : model.metaGraphs;
  const report: SavedModelReport = {
    kind: 'savedmodel',
    path: model.dir,
    schemaVersion: model.proto.saved_model_schema_version,
    metaGraphs: mgs.map((mg) => metaGraphReport(model, mg, opts)),
  };
  if (model.note !== undefined) report.note = model.note;
  return report;
}

function metaGraphReport(model: LoadedSavedModel, mg: LoadedMetaGraph, opts: InspectSavedModelOptions): MetaGraphReport {
  const keys = opts.signatureDef !== undefined ? [opts.signatureDef] : signatureKeys(mg);
  const info = mg.def.meta_info_def;
  const r: MetaGraphReport = {
    index: mg.index,
    tags: mg.tags,
    tagSet: mg.tagSet,
    tensorflowVersion: info?.tensorflow_version ?? '',
    tensorflowGitVersion: info?.tensorflow_git_version ?? '',
    graph: { nodes: mg.graph.node.length, functions: mg.functions.size },
    objectGraph: mg.objectGraph !== null,
    signatures: keys.map((key) => {
      const sig = getSignature(mg, key);
      return {
        key,
        methodName: sig.method_name,
        inputs: tensorInfos(sig.inputs),
        outputs: tensorInfos(sig.outputs),
      };
    }),
    assets: mg.assets.map((a) => ({ name: a.name, path: `assets/${a.name}`, tensorName: a.tensorName })),
  };
  if (opts.ops) r.ops = opsReport(mg, opts.signatureDef !== undefined ? keys : servingSignatureKeys(mg));
  if (opts.variables) r.variables = opts.variables(model, mg);
  return r;
}

function tensorInfos(map: Record<string, TensorInfo>): TensorInfoReport[] {
  return Object.keys(map)
    .sort(byCodePoint)
    .map((key) => ({ key, ...tensorReport(map[key] as TensorInfo) }));
}

function tensorReport(t: TensorInfo): TensorReport {
  const r: TensorReport = {
    name: t.encoding === 'name' ? (t.name ?? '') : '',
    dtype: dtypeName(t.dtype),
    tfDtype: tfDtypeName(t.dtype),
    shape: shapeDims(t.tensor_shape),
    encoding: t.encoding ?? 'name',
  };
  if (t.encoding === 'coo_sparse' && t.coo_sparse) {
    r.sparse = {
      values: t.coo_sparse.values_tensor_name,
      indices: t.coo_sparse.indices_tensor_name,
      denseShape: t.coo_sparse.dense_shape_tensor_name,
    };
  } else if (t.encoding === 'composite_tensor' && t.composite_tensor) {
    const spec = t.composite_tensor.type_spec;
    r.composite = {
      typeSpecClass: spec?.type_spec_class ?? 0,
      typeSpecClassName: spec?.type_spec_class_name ?? '',
      components: t.composite_tensor.components.map(tensorReport),
    };
  }
  return r;
}

/** Every graph tensor a TensorInfo stands for (the components of sparse and composite ones). */
export function tensorInfoNames(t: TensorInfo): string[] {
  if (t.encoding === 'coo_sparse' && t.coo_sparse) {
    return [t.coo_sparse.values_tensor_name, t.coo_sparse.indices_tensor_name, t.coo_sparse.dense_shape_tensor_name];
  }
  if (t.encoding === 'composite_tensor' && t.composite_tensor) return t.composite_tensor.components.flatMap(tensorInfoNames);
  return t.name ? [t.name] : [];
}

export function opsReport(mg: LoadedMetaGraph, signatures: string[]): OpsReport {
  const fetches = signatures.map((k) => {
    const sig = getSignature(mg, k);
    const names = (m: Record<string, TensorInfo>): string[] =>
      Object.keys(m)
        .sort(byCodePoint)
        .flatMap((key) => tensorInfoNames(m[key] as TensorInfo));
    return { outputs: names(sig.outputs), feeds: names(sig.inputs) };
  });
  const r = reachableOps(mg.graph, mg.functions, fetches);
  const libNodes = function* (fns: Iterable<FunctionDef>) {
    for (const f of fns) yield* f.node_def;
  };
  return {
    signatures,
    reachable: {
      counts: sortedCounts(r.counts),
      nodes: r.graphNodes + r.functionNodes,
      graphNodes: r.graphNodes,
      functionNodes: r.functionNodes,
      functions: r.functions,
      unresolved: r.unresolved,
      missingFunctions: r.missingFunctions,
    },
    graph: sortedCounts(countOps(mg.graph.node)),
    library: sortedCounts(countOps(libNodes(mg.functions.values()))),
  };
}

// ---------------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------------

export interface SavedModelTextOptions extends InspectSavedModelOptions {
  /** Only list the tag-sets (`saved_model_cli show --dir`). */
  tagSets?: boolean;
  /** ANSI colour in tables. */
  color?: boolean;
}

/**
 * What `tfconv inspect` prints for a SavedModel: saved_model_cli's text for the narrowing asked for
 * (tag-sets; signature keys of --tag-set; one --signature-def; by default the signature part of
 * --all), then the ops and variables sections when asked for.
 */
export function savedModelText(model: LoadedSavedModel, opts: SavedModelTextOptions = {}): string {
  let out: string;
  if (opts.tagSets) out = formatTagSets(model);
  else if (opts.signatureDef !== undefined) out = formatSignature(selectMetaGraph(model, opts.tagSet), opts.signatureDef);
  else if (opts.tagSet !== undefined) out = formatSignatureKeys(selectMetaGraph(model, opts.tagSet));
  else out = formatShowAll(model);

  if (opts.ops || opts.variables) {
    const report = inspectSavedModel(model, opts);
    for (const mg of report.metaGraphs) {
      if (mg.ops) out += opsText(mg, mg.ops, opts.color === true);
      if (mg.variables) out += variablesText(mg, mg.variables, opts.color === true);
    }
  }
  return out;
}

function opsText(mg: MetaGraphReport, ops: OpsReport, color: boolean): string {
  const sigs = ops.signatures.map((s) => `'${s}'`).join(', ') || 'none';
  const fnCount = ops.reachable.functions.length;
  let out = `\nOps reachable from signature${ops.signatures.length === 1 ? '' : 's'} ${sigs} of tag-set '${mg.tagSet}': `;
  out += `${ops.reachable.nodes} node${ops.reachable.nodes === 1 ? '' : 's'} (${ops.reachable.graphNodes} in the graph, `;
  out += `${ops.reachable.functionNodes} in ${fnCount} function${fnCount === 1 ? '' : 's'})\n`;
  if (Object.keys(ops.reachable.counts).length > 0) {
    const t = makeTable(['Op', 'Count'], color, ['left', 'right']);
    for (const [op, n] of Object.entries(ops.reachable.counts)) t.push([op, n]);
    out += `${t.toString()}\n`;
  }
  if (ops.reachable.unresolved.length > 0) {
    out += `Warning: signature tensors with no graph node: ${ops.reachable.unresolved.join(', ')}\n`;
  }
  if (ops.reachable.missingFunctions.length > 0) {
    out += `Warning: called functions missing from the library: ${ops.reachable.missingFunctions.join(', ')}\n`;
  }
  const graphTotal = sumCounts(ops.graph);
  const libTotal = sumCounts(ops.library);
  out += `\nAll ops of tag-set '${mg.tagSet}': ${graphTotal} graph node${graphTotal === 1 ? '' : 's'}, `;
  out += `${libTotal} node${libTotal === 1 ? '' : 's'} in ${mg.graph.functions} library function${mg.graph.functions === 1 ? '' : 's'}\n`;
  const all = [...new Set([...Object.keys(ops.graph), ...Object.keys(ops.library)])].sort(byCodePoint);
  if (all.length > 0) {
    const t = makeTable(['Op', 'Graph', 'Library'], color, ['left', 'right', 'right']);
    for (const op of all) t.push([op, ops.graph[op] ?? 0, ops.library[op] ?? 0]);
    out += `${t.toString()}\n`;
  }
  return out;
}

function variablesText(mg: MetaGraphReport, report: VariablesReport, color: boolean): string {
  const vars = report.variables;
  let out = `\nVariables of tag-set '${mg.tagSet}': ${vars.length}\n`;
  if (vars.length > 0) {
    const t = makeTable(['Name', 'Dtype', 'Shape', 'Bytes'], color, ['left', 'left', 'left', 'right']);
    for (const v of vars) t.push([v.name, v.tfDtype, formatDims(v.shape), v.bytes]);
    t.push(['Total', '', `${report.totals.elements} elements`, report.totals.bytes]);
    out += `${t.toString()}\n`;
  }
  return out;
}

