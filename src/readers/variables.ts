// Which checkpoint value each of a SavedModel graph's variables takes.
//
// The graph's variables are top-level VarHandleOp (resource) or VariableV2 (TF1 ref) nodes. Their
// values live in the TensorBundle under checkpoint keys, which are the variable names for TF1
// savers and object paths ("layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE") for TF2.
// Two independent descriptions of the correspondence exist, and both are read:
//
//  1. The restore op (saver_def.restore_op_name), what TensorFlow's C++ loader runs: TF1 graphs
//     reach save/Assign (or AssignVariableOp) nodes fed by RestoreV2 outputs; TF2 graphs call a
//     restore function with the variable handles as arguments, whose body RestoreV2's the keys
//     and AssignVariableOp's them onto those arguments.
//  2. The object graph (TF2), what the Python loader uses: the checkpoint's TrackableObjectGraph
//     and the MetaGraph's SavedObjectGraph are matched from their roots by child local_name
//     (bundle_v2.cc RecurseObjectsToRestore); a variable object's VARIABLE_VALUE attribute is its
//     checkpoint key; and the signature functions' calls in the graph pass the VarHandleOps as
//     their trailing inputs, in the order of the concrete function's bound_inputs (object ids).
//
// Where both name a key for a variable they must agree. A TF1 graph without a saver falls back to
// the variable's name as its key.

import fs from 'node:fs';
import path from 'node:path';
import { type DType, dtypeFromTf } from '../core/dtype.js';
import type { TensorValue } from '../core/tensor.js';
import { err } from '../errors/index.js';
import { TrackableObjectGraphCodec } from '../proto/index.js';
import type { FunctionDef, MetaGraphDef, NodeDef, SavedObjectGraph, TrackableObjectGraph } from '../proto/index.js';
import { TensorBundle, indexFilename, savedModelVariablesPrefix } from './tensor-bundle/index.js';

/** The checkpoint key of the serialized TrackableObjectGraph (TF2 checkpoints). */
export const OBJECT_GRAPH_KEY = '_CHECKPOINTABLE_OBJECT_GRAPH';

const VARIABLE_OPS: ReadonlySet<string> = new Set(['VarHandleOp', 'VariableV2', 'Variable']);
const CALL_OPS: ReadonlySet<string> = new Set(['StatefulPartitionedCall', 'PartitionedCall']);
const ASSIGN_OPS: ReadonlySet<string> = new Set(['Assign', 'AssignVariableOp']);
const PASS_THROUGH_OPS: ReadonlySet<string> = new Set(['Identity', 'Snapshot']);
/** Nested function calls followed from the restore op; TensorFlow's are one level deep. */
const MAX_CALL_DEPTH = 8;

export type VariableSource = 'restore-op' | 'object-graph' | 'name';

export interface VariableBinding {
  /** The graph's variable node (top level of graph_def). */
  node: string;
  /** VarHandleOp, VariableV2 or Variable. */
  op: string;
  checkpointKey: string;
  /** As stored in the checkpoint (and checked against the node's dtype and shape attrs). */
  dtype: DType;
  shape: number[];
  /** Stored size in bytes. */
  bytes: number;
  /** The SavedObjectGraph node id of the variable, when the object graph names it (TF2). */
  objectId?: number;
  /** How the key was found: the restore op first, else the object graph, else the node name. */
  source: VariableSource;
}

export interface VariableMapping {
  /** The TensorBundle prefix, `<dir>/variables/variables`; null when the SavedModel has none. */
  prefix: string | null;
  /** Sorted by node name. */
  bindings: VariableBinding[];
  byNode: ReadonlyMap<string, VariableBinding>;
  /** Graph variable nodes that no checkpoint key restores (init ops set them, e.g. asset paths). */
  unrestored: string[];
  /** Checkpoint keys that no graph variable takes (the object graph itself excluded). */
  unusedKeys: string[];
}

export interface LoadedVariables {
  mapping: VariableMapping;
  /** Graph variable node name -> value (CRC verified). */
  values: Map<string, TensorValue>;
}

export interface VariableListing {
  variables: { name: string; checkpointKey: string; dtype: DType; shape: number[]; bytes: number }[];
  unrestored: string[];
  unusedKeys: string[];
  totals: { count: number; bytes: number; elements: number };
}

/**
 * Map the graph's variables of `metaGraph` (from the SavedModel in `dir`) to checkpoint keys.
 * Throws MISSING_VARIABLE when the graph restores a key the checkpoint lacks, and
 * VARIABLE_MISMATCH when the two descriptions disagree or dtype/shape differ.
 */
export function mapVariables(dir: string, metaGraph: MetaGraphDef, bundle?: TensorBundle): VariableMapping {
  const prefix = savedModelVariablesPrefix(dir);
  const indexFile = indexFilename(prefix);
  const pbFile = path.join(dir, 'saved_model.pb');
  if (!bundle && fs.existsSync(indexFile)) bundle = TensorBundle.open(prefix);
  if (!bundle) rejectV1Checkpoint(prefix);

  const graph = new GraphView(metaGraph);
  const fromRestore = keysFromRestoreOp(graph, metaGraph, indexFile);
  const fromObjects = bundle ? keysFromObjectGraph(graph, metaGraph.object_graph_def, bundle, pbFile) : new Map();

  // Cross-check: where both descriptions name a key for a node, they must agree.
  for (const [node, o] of fromObjects) {
    const r = fromRestore.get(node);
    if (r !== undefined && o.key !== undefined && r !== o.key) {
      throw err.variableMismatch(
        indexFile,
        node,
        `the restore op gives it checkpoint key '${r}' but the object graph gives '${o.key}'`,
      );
    }
  }

  const wanted = new Map<string, { key: string; source: VariableSource; objectId?: number }>();
  const missing: string[] = [];
  for (const [node, key] of fromRestore) wanted.set(node, { key, source: 'restore-op' });
  for (const [node, o] of fromObjects) {
    const w = wanted.get(node);
    if (w) w.objectId = o.objectId;
    else if (o.key !== undefined) wanted.set(node, { key: o.key, source: 'object-graph', objectId: o.objectId });
    else missing.push(`${node} (object ${o.objectId} has no checkpoint value)`);
  }
  if (fromRestore.size === 0 && fromObjects.size === 0 && bundle) {
    // A TF1 graph without a saver: the key is the variable's name.
    for (const n of graph.variableNodes()) if (bundle.has(n.name)) wanted.set(n.name, { key: n.name, source: 'name' });
  }

  const bindings: VariableBinding[] = [];
  for (const [node, w] of [...wanted].sort((a, b) => compareStrings(a[0], b[0]))) {
    if (!bundle || !bundle.has(w.key)) {
      missing.push(node === w.key ? node : `${node} (key '${w.key}')`);
      continue;
    }
    const e = bundle.entry(w.key);
    const n = graph.nodes.get(node) as NodeDef;
    checkAgainstNode(indexFile, n, w.key, e.dtype, e.shape);
    bindings.push({
      node,
      op: n.op,
      checkpointKey: w.key,
      dtype: e.dtype,
      shape: e.shape,
      bytes: e.size,
      ...(w.objectId !== undefined ? { objectId: w.objectId } : {}),
      source: w.source,
    });
  }
  if (missing.length > 0) {
    if (!bundle) {
      throw err.missingVariables(indexFile, missing, 'are restored by the graph but the SavedModel has no variables checkpoint');
    }
    if (missing.length === 1) throw err.missingVariable(indexFile, missing[0]);
    throw err.missingVariables(indexFile, missing, 'needed by the graph have no value in the checkpoint');
  }

  const byNode = new Map(bindings.map((b) => [b.node, b]));
  const usedKeys = new Set(bindings.map((b) => b.checkpointKey));
  return {
    prefix: bundle ? prefix : null,
    bindings,
    byNode,
    unrestored: graph
      .variableNodes()
      .map((n) => n.name)
      .filter((n) => !byNode.has(n))
      .sort(compareStrings),
    unusedKeys: bundle ? bundle.keys().filter((k) => !usedKeys.has(k) && k !== OBJECT_GRAPH_KEY) : [],
  };
}

/**
 * Read the value of every variable of the graph (or only of `nodes`), CRC verified. A requested
 * node that the checkpoint does not restore is a MISSING_VARIABLE error.
 */
export function loadVariables(dir: string, metaGraph: MetaGraphDef, options: { nodes?: readonly string[] } = {}): LoadedVariables {
  const prefix = savedModelVariablesPrefix(dir);
  const bundle = fs.existsSync(indexFilename(prefix)) ? TensorBundle.open(prefix) : undefined;
  if (!bundle) rejectV1Checkpoint(prefix);
  const mapping = mapVariables(dir, metaGraph, bundle);
  const nodes = options.nodes ?? mapping.bindings.map((b) => b.node);
  const absent = nodes.filter((n) => !mapping.byNode.has(n));
  if (absent.length === 1) throw err.missingVariable(indexFilename(prefix), absent[0]);
  if (absent.length > 1) throw err.missingVariables(indexFilename(prefix), absent, 'have no value in the checkpoint');
  const values = new Map<string, TensorValue>();
  for (const n of nodes) {
    const b = mapping.byNode.get(n);
    if (b && bundle) values.set(n, bundle.read(b.checkpointKey));
  }
  return { mapping, values };
}

/** What `inspect --variables` shows: every graph variable with its key, dtype, shape and size. */
export function listVariables(dir: string, metaGraph: MetaGraphDef): VariableListing {
  const m = mapVariables(dir, metaGraph);
  const variables = m.bindings.map((b) => ({
    name: b.node,
    checkpointKey: b.checkpointKey,
    dtype: b.dtype,
    shape: b.shape,
    bytes: b.bytes,
  }));
  return {
    variables,
    unrestored: m.unrestored,
    unusedKeys: m.unusedKeys,
    totals: {
      count: variables.length,
      bytes: variables.reduce((s, v) => s + v.bytes, 0),
      elements: variables.reduce((s, v) => s + v.shape.reduce((p, d) => p * d, 1), 0),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Graph and function bodies, resolved symbolically
// ---------------------------------------------------------------------------------------------

type Value =
  | { kind: 'variable'; node: string }
  | { kind: 'restored'; key: string; slice: string }
  | { kind: 'other' };

const OTHER: Value = { kind: 'other' };

class GraphView {
  readonly nodes: Map<string, NodeDef>;
  readonly functions: Map<string, FunctionDef>;

  constructor(readonly metaGraph: MetaGraphDef) {
    const g = metaGraph.graph_def;
    this.nodes = new Map((g?.node ?? []).map((n) => [n.name, n]));
    this.functions = new Map((g?.library?.function ?? []).map((f) => [f.signature?.name ?? '', f]));
  }

  variableNodes(): NodeDef[] {
    return [...this.nodes.values()].filter((n) => VARIABLE_OPS.has(n.op));
  }

  /** The function a call node runs: attr `f` of (Stateful)PartitionedCall, or an op named after one. */
  calledFunction(n: NodeDef): FunctionDef | undefined {
    if (CALL_OPS.has(n.op)) {
      const name = n.attr.f?.func?.name;
      return name === undefined ? undefined : this.functions.get(name);
    }
    return this.functions.get(n.op);
  }
}

/** A graph (top level, inputs "node:idx") or a function body (inputs "node:out_arg:idx" or "arg"). */
interface Scope {
  graph: GraphView;
  nodes: Map<string, NodeDef>;
  /** Function arguments by name; undefined at top level. */
  args?: Map<string, Value>;
  depth: number;
}

function dataInputs(n: NodeDef): string[] {
  return n.input.filter((i) => !i.startsWith('^'));
}

/** Node name and output index of an input reference, or the argument name in a function body. */
function parseRef(scope: Scope, ref: string): { node: string; index: number } | { arg: string } {
  const parts = ref.split(':');
  if (!scope.args) {
    const last = parts[parts.length - 1];
    if (parts.length > 1 && /^\d+$/.test(last)) return { node: parts.slice(0, -1).join(':'), index: Number(last) };
    return { node: ref, index: 0 };
  }
  if (parts.length === 1) return { arg: ref };
  const idx = parts.length >= 3 ? Number(parts[parts.length - 1]) : 0;
  return { node: parts[0], index: Number.isInteger(idx) ? idx : 0 };
}

function resolve(scope: Scope, ref: string, seen = 0): Value {
  if (seen > 64) return OTHER;
  const r = parseRef(scope, ref);
  if ('arg' in r) return scope.args?.get(r.arg) ?? OTHER;
  const n = scope.nodes.get(r.node);
  if (!n) return OTHER;
  if (!scope.args && VARIABLE_OPS.has(n.op)) return { kind: 'variable', node: n.name };
  if (PASS_THROUGH_OPS.has(n.op)) {
    const first = dataInputs(n)[0];
    return first === undefined ? OTHER : resolve(scope, first, seen + 1);
  }
  if (n.op === 'RestoreV2') {
    const [, namesRef, slicesRef] = dataInputs(n);
    const names = namesRef === undefined ? undefined : constStrings(scope, namesRef);
    const slices = slicesRef === undefined ? undefined : constStrings(scope, slicesRef);
    const key = names?.[r.index];
    if (key === undefined) return OTHER;
    return { kind: 'restored', key, slice: slices?.[r.index] ?? '' };
  }
  return OTHER;
}

function constStrings(scope: Scope, ref: string, seen = 0): string[] | undefined {
  if (seen > 64) return undefined;
  const r = parseRef(scope, ref);
  if ('arg' in r) return undefined;
  const n = scope.nodes.get(r.node);
  if (!n) return undefined;
  if (PASS_THROUGH_OPS.has(n.op)) {
    const first = dataInputs(n)[0];
    return first === undefined ? undefined : constStrings(scope, first, seen + 1);
  }
  if (n.op !== 'Const') return undefined;
  const vals = n.attr.value?.tensor?.string_val;
  return vals ? vals.map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8')) : undefined;
}

/** The function's body as a scope, its arguments bound to what the call node passes. */
function enterCall(scope: Scope, call: NodeDef, f: FunctionDef): Scope | undefined {
  if (scope.depth >= MAX_CALL_DEPTH || !f.signature) return undefined;
  const inputs = dataInputs(call);
  const argDefs = f.signature.input_arg;
  // Argument lists (number_attr / type_list_attr) would shift positions; restore functions have none.
  if (argDefs.some((a) => a.number_attr || a.type_list_attr) || argDefs.length !== inputs.length) return undefined;
  const args = new Map<string, Value>();
  argDefs.forEach((a, i) => args.set(a.name, resolve(scope, inputs[i])));
  return { graph: scope.graph, nodes: new Map(f.node_def.map((n) => [n.name, n])), args, depth: scope.depth + 1 };
}

/** Every (variable <- restored key) assignment made in `nodes` of `scope`, following calls. */
function collectAssignments(scope: Scope, nodes: Iterable<NodeDef>, out: Map<string, { key: string; slice: string }>, indexFile: string): void {
  for (const n of nodes) {
    if (ASSIGN_OPS.has(n.op)) {
      const [targetRef, valueRef] = dataInputs(n);
      if (targetRef === undefined || valueRef === undefined) continue;
      const target = resolve(scope, targetRef);
      const value = resolve(scope, valueRef);
      if (target.kind !== 'variable' || value.kind !== 'restored') continue;
      if (value.slice !== '') {
        throw err.bundleUnsupported(
          indexFile,
          `variable '${target.node}'`,
          `restored from a slice ('${value.slice}') of '${value.key}': partitioned variables are not supported`,
        );
      }
      const prev = out.get(target.node);
      if (prev && prev.key !== value.key) {
        throw err.variableMismatch(indexFile, target.node, `the restore op assigns it both '${prev.key}' and '${value.key}'`);
      }
      out.set(target.node, value);
      continue;
    }
    const f = scope.graph.calledFunction(n);
    if (f) {
      const inner = enterCall(scope, n, f);
      if (inner) collectAssignments(inner, inner.nodes.values(), out, indexFile);
    }
  }
}

/** Variable node -> checkpoint key, from what the restore op assigns. */
function keysFromRestoreOp(graph: GraphView, mg: MetaGraphDef, indexFile: string): Map<string, string> {
  const out = new Map<string, { key: string; slice: string }>();
  const restoreName = mg.saver_def?.restore_op_name?.replace(/^\^/, '').replace(/:0$/, '');
  const restore = restoreName ? graph.nodes.get(restoreName) : undefined;
  if (restore) {
    // Everything the restore op depends on (data and control inputs) at top level.
    const reached = new Map<string, NodeDef>();
    const stack = [restore];
    while (stack.length > 0) {
      const n = stack.pop() as NodeDef;
      if (reached.has(n.name)) continue;
      reached.set(n.name, n);
      for (const i of n.input) {
        const name = i.replace(/^\^/, '').replace(/:\d+$/, '');
        const m = graph.nodes.get(name);
        if (m && !reached.has(name)) stack.push(m);
      }
    }
    collectAssignments({ graph, nodes: graph.nodes, depth: 0 }, reached.values(), out, indexFile);
  }
  return new Map([...out].map(([node, v]) => [node, v.key]));
}

/**
 * Variable node -> { SavedObject id, checkpoint key (undefined if the object has no value) }, for
 * the variables that the graph's function calls capture.
 */
function keysFromObjectGraph(
  graph: GraphView,
  sog: SavedObjectGraph | null,
  bundle: TensorBundle,
  pbFile: string,
): Map<string, { objectId: number; key: string | undefined }> {
  const out = new Map<string, { objectId: number; key: string | undefined }>();
  if (!sog || sog.nodes.length === 0) return out;

  // Variable objects captured by the top-level calls: trailing inputs <-> bound_inputs.
  const top: Scope = { graph, nodes: graph.nodes, depth: 0 };
  const nodeOfObject = new Map<number, string>();
  for (const call of graph.nodes.values()) {
    if (!CALL_OPS.has(call.op)) continue;
    const fname = call.attr.f?.func?.name;
    const cf = fname === undefined ? undefined : sog.concrete_functions[fname];
    if (!cf || cf.bound_inputs.length === 0) continue;
    const inputs = dataInputs(call);
    if (cf.bound_inputs.length > inputs.length) {
      throw err.badGraph(call.name, `calls ${fname} with ${inputs.length} inputs but it captures ${cf.bound_inputs.length} objects`, call.op);
    }
    const captured = inputs.slice(inputs.length - cf.bound_inputs.length);
    cf.bound_inputs.forEach((id, i) => {
      const obj = sog.nodes[id];
      if (!obj) throw err.badProtobuf(pbFile, 'SavedObjectGraph', `function ${fname} captures object ${id}, which does not exist`);
      if (obj.kind !== 'variable') return;
      const v = resolve(top, captured[i]);
      if (v.kind !== 'variable') return;
      const prevNode = nodeOfObject.get(id);
      if (prevNode !== undefined && prevNode !== v.node) {
        throw err.variableMismatch(pbFile, v.node, `object ${id} is captured as both '${prevNode}' and '${v.node}'`);
      }
      const prevObj = out.get(v.node);
      if (prevObj && prevObj.objectId !== id) {
        throw err.variableMismatch(pbFile, v.node, `captured as both object ${prevObj.objectId} and object ${id}`);
      }
      nodeOfObject.set(id, v.node);
      out.set(v.node, { objectId: id, key: undefined });
    });
  }
  if (out.size === 0) return out;

  const keys = objectKeys(sog, readObjectGraph(bundle));
  for (const v of out.values()) v.key = keys.get(v.objectId);
  return out;
}

function readObjectGraph(bundle: TensorBundle): TrackableObjectGraph | undefined {
  if (!bundle.has(OBJECT_GRAPH_KEY)) return undefined;
  const t = bundle.read(OBJECT_GRAPH_KEY);
  if (t.dtype !== 'string' || t.shape.length !== 0 || !Array.isArray(t.data) || t.data.length !== 1) {
    throw err.badBundle(bundle.indexFile, `${OBJECT_GRAPH_KEY} is not a string scalar`);
  }
  return TrackableObjectGraphCodec.decode(t.data[0], `${bundle.indexFile} (${OBJECT_GRAPH_KEY})`);
}

/**
 * SavedObject id -> checkpoint key of its VARIABLE_VALUE, matching the two object graphs from
 * their roots by child local_name (as bundle_v2.cc does; node ids need not coincide).
 */
function objectKeys(sog: SavedObjectGraph, tog: TrackableObjectGraph | undefined): Map<number, string> {
  const out = new Map<number, string>();
  if (!tog || tog.nodes.length === 0) return out;
  const seen = new Set<number>([0]);
  const stack: [number, number][] = [[0, 0]];
  while (stack.length > 0) {
    const [sid, tid] = stack.pop() as [number, number];
    const t = tog.nodes[tid];
    const s = sog.nodes[sid];
    if (!t || !s) continue;
    const value = t.attributes.find((a) => a.name === 'VARIABLE_VALUE');
    if (value && sid !== 0) out.set(sid, value.checkpoint_key);
    for (const child of t.children) {
      if (seen.has(child.node_id)) continue;
      seen.add(child.node_id);
      const sc = s.children.find((c) => c.local_name === child.local_name);
      if (sc) stack.push([sc.node_id, child.node_id]);
    }
  }
  return out;
}

/**
 * SavedModels from before TensorFlow 1.0 hold a V1 checkpoint (a single `variables` file, or
 * `variables-NNNNN-of-NNNNN`), a different format from the TensorBundle: say so rather than
 * reporting every variable missing.
 */
function rejectV1Checkpoint(prefix: string): void {
  const dir = path.dirname(prefix);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  const base = path.basename(prefix);
  const v1 = names.find((n) => n === base || new RegExp(`^${base}-\\d{5}-of-\\d{5}$`).test(n));
  if (v1 !== undefined) {
    throw err.bundleUnsupported(
      path.join(dir, v1),
      'checkpoint',
      'TensorFlow V1 checkpoints (SavedModels written before TensorFlow 1.0) are not supported; re-save the model with a newer TensorFlow',
    );
  }
}

/** The checkpoint's dtype and shape must be what the variable node declares. */
function checkAgainstNode(indexFile: string, n: NodeDef, key: string, dtype: DType, shape: number[]): void {
  const declared = n.attr.dtype?.type;
  if (declared !== undefined && declared !== 0) {
    const d = dtypeFromTf(declared);
    if (d !== dtype) {
      throw err.variableMismatch(indexFile, n.name, `the graph declares ${d ?? declared} but checkpoint key '${key}' holds ${dtype}`);
    }
  }
  const s = n.attr.shape?.shape;
  if (s && !s.unknown_rank && s.dim.every((d) => d.size >= 0)) {
    const dims = s.dim.map((d) => d.size);
    if (dims.length !== shape.length || dims.some((d, i) => d !== shape[i])) {
      throw err.variableMismatch(
        indexFile,
        n.name,
        `the graph declares shape [${dims.join(',')}] but checkpoint key '${key}' holds [${shape.join(',')}]`,
      );
    }
  }
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
