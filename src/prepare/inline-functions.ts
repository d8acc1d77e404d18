// inline-functions: replace every function call (StatefulPartitionedCall, PartitionedCall, or a
// node whose op is a library function) by the function's body, recursively, so the graph is
// flat as TFLite's converter and the tfjs executor need it.
//
// Before:  y = StatefulPartitionedCall(x, var){f=F}        F: out = MatMul(x, ReadVariableOp(v))
// After:   C/ReadVariableOp = ReadVariableOp(var)
//          C/MatMul = MatMul(x, C/ReadVariableOp)
//          C = IdentityN(C/MatMul)                          (keeps "C:k" references valid)
//
// Body nodes are renamed "<call>/<node>"; references "node:out_arg:i" become flat output indices
// using each op's output argument layout; function attr placeholders are substituted from the
// call's attrs. Control edges into and out of the call are dropped (inference needs none).

import { err } from '../errors/index.js';
import type { AttrValue, FunctionDef, GraphDef, NodeDef } from '../proto/types.js';
import { BUILTIN_OUTPUT_ARGS, type OutputArg, argSize } from './op-output-args.js';

const CALL_OPS = new Set(['StatefulPartitionedCall', 'PartitionedCall']);
/** Nesting deeper than this is taken for recursion (TF functions cannot recurse). */
const MAX_DEPTH = 64;
/**
 * Inlining may grow the graph at most this many times over the nodes it was given (graph and
 * function bodies), and never past MIN_NODE_LIMIT otherwise: a few functions that each call the
 * next twice inline into 2^depth nodes, which must end in an error, not in exhausted memory.
 */
const GROWTH_LIMIT = 16;
const MIN_NODE_LIMIT = 50_000;

export interface InlineOptions {
  /** Extra output layouts, e.g. from the MetaGraph's stripped_op_list. */
  outputArgs?: Record<string, OutputArg[]>;
}

export function inlineFunctions(gd: GraphDef, options: InlineOptions = {}): GraphDef {
  const lib = new Map<string, FunctionDef>();
  for (const f of gd.library?.function ?? []) lib.set(f.signature.name, f);
  const layouts: Record<string, OutputArg[]> = { ...BUILTIN_OUTPUT_ARGS, ...(options.outputArgs ?? {}) };
  for (const f of lib.values()) {
    // A node calling a function directly by name has the function's outputs.
    layouts[f.signature.name] = f.signature.output_arg.map((a) =>
      a.number_attr ? { name: a.name, count: { numberAttr: a.number_attr } } : a.type_list_attr ? { name: a.name, count: { typeListAttr: a.type_list_attr } } : { name: a.name },
    );
  }

  const given = gd.node.length + [...lib.values()].reduce((n, f) => n + f.node_def.length, 0);
  const limit = Math.max(MIN_NODE_LIMIT, GROWTH_LIMIT * given);
  // Counted before anything is built, so a call bomb costs a walk of the call graph, not memory.
  const sizes = new Map<string, number>();
  let total = 0;
  let biggest: { node: NodeDef; size: number } | null = null;
  for (const n of gd.node) {
    const size = inlinedSize([n], lib, sizes, [], 0);
    total += size;
    if (biggest === null || size > biggest.size) biggest = { node: n, size };
  }
  if (total > limit && biggest) {
    throw err.badGraph(
      biggest.node.name,
      `inlining function calls would make the graph ${formatCount(total)} nodes, more than the ${limit} allowed for ${given} given: calls that fan out at every level?`,
      biggest.node.op,
    );
  }
  let nodes = gd.node;
  for (let depth = 0; ; depth++) {
    const calls = nodes.filter((n) => calledFunction(n, lib) !== null);
    if (calls.length === 0) break;
    if (depth >= MAX_DEPTH) {
      throw err.badGraph(calls[0].name, `function calls nest more than ${MAX_DEPTH} deep (recursive functions?)`, calls[0].op);
    }
    const out: NodeDef[] = [];
    for (const n of nodes) {
      const fname = calledFunction(n, lib);
      if (fname === null) out.push(n);
      else out.push(...inlineCall(n, lib.get(fname) as FunctionDef, layouts));
      if (out.length > limit) {
        throw err.badGraph(
          n.name,
          `inlining its function calls would make the graph larger than ${limit} nodes (${given} given): calls that fan out at every level?`,
          n.op,
        );
      }
    }
    nodes = out;
  }
  return { ...gd, node: nodes, library: null };
}

/**
 * Nodes `nodes` become once every call in them is inlined. A function reached again while it is
 * being counted calls itself: an error, since TensorFlow functions cannot recurse.
 */
function inlinedSize(nodes: readonly NodeDef[], lib: Map<string, FunctionDef>, memo: Map<string, number>, active: string[], depth: number): number {
  let total = 0;
  for (const n of nodes) {
    const fname = CALL_OPS.has(n.op) ? n.attr.f?.func?.name : n.op;
    const fn = fname === undefined ? undefined : lib.get(fname);
    if (fname === undefined || fn === undefined) {
      total += 1;
      continue;
    }
    if (active.includes(fname)) {
      const cycle = [...active.slice(active.indexOf(fname)), fname].map((f) => `'${f}'`).join(' -> ');
      throw err.badGraph(n.name, `function calls recurse (${cycle}); TensorFlow functions cannot call themselves`, n.op);
    }
    if (depth > MAX_DEPTH) continue;
    let size = memo.get(fname);
    if (size === undefined) {
      active.push(fname);
      size = 1 + inlinedSize(fn.node_def, lib, memo, active, depth + 1);
      active.pop();
      memo.set(fname, size);
    }
    total += size;
  }
  return total;
}

function formatCount(n: number): string {
  return n < 1e15 ? String(Math.round(n)) : n.toExponential(2);
}

function calledFunction(n: NodeDef, lib: Map<string, FunctionDef>): string | null {
  if (CALL_OPS.has(n.op)) {
    const name = n.attr.f?.func?.name;
    if (!name) throw err.badGraph(n.name, "call has no function attribute 'f'", n.op);
    if (!lib.has(name)) throw err.badGraph(n.name, `calls function '${name}', which the library does not have`, n.op);
    return name;
  }
  return lib.has(n.op) ? n.op : null;
}

function inlineCall(call: NodeDef, fn: FunctionDef, layouts: Record<string, OutputArg[]>): NodeDef[] {
  const prefix = `${call.name}/`;
  const callAttrs: Record<string, AttrValue> = CALL_OPS.has(call.op) ? (call.attr.f?.func?.attr ?? {}) : call.attr;
  const dataInputs = call.input.filter((s) => !s.startsWith('^'));
  const sig = fn.signature;
  if (sig.input_arg.some((a) => a.number_attr || a.type_list_attr)) {
    throw err.badGraph(call.name, `function '${sig.name}' has list-valued arguments, which inlining does not support`, call.op);
  }
  if (dataInputs.length !== sig.input_arg.length) {
    throw err.badGraph(call.name, `function '${sig.name}' takes ${sig.input_arg.length} inputs but the call gives ${dataInputs.length}`, call.op);
  }
  const argValue = new Map<string, string>();
  sig.input_arg.forEach((a, i) => argValue.set(a.name, dataInputs[i]));

  const body = new Map<string, NodeDef>();
  for (const n of fn.node_def) {
    if (body.has(n.name)) throw err.badGraph(call.name, `function '${sig.name}' has two nodes named '${n.name}'`, call.op);
    body.set(n.name, n);
  }

  const substituted = new Map<string, NodeDef>();
  for (const n of fn.node_def) substituted.set(n.name, { ...n, attr: substituteAttrs(n.attr, callAttrs, call, sig.name) });

  const mapRef = (ref: string, where: string): string | null => {
    if (ref.startsWith('^')) {
      const target = ref.slice(1);
      return body.has(target) ? `^${prefix}${target}` : null;
    }
    const parts = ref.split(':');
    if (parts.length === 1 || (parts.length === 2 && !body.has(parts[0]))) {
      const arg = argValue.get(parts[0]);
      if (arg !== undefined) return parts.length === 1 || parts[1] === '0' ? arg : null;
      if (body.has(parts[0])) return `${prefix}${parts[0]}`;
      throw err.badGraph(where, `function '${sig.name}' refers to '${ref}', which is neither an argument nor a node`, call.op);
    }
    const [nodeName, argName, idxText] = parts.length === 3 ? parts : [parts[0], '', parts[1]];
    const target = substituted.get(nodeName);
    if (!target) throw err.badGraph(where, `function '${sig.name}' refers to '${ref}', which is not a node of it`, call.op);
    const idx = Number(idxText);
    const flat = argName ? flatOutputIndex(target, argName, idx, layouts, where) : idx;
    return flat === 0 ? `${prefix}${nodeName}` : `${prefix}${nodeName}:${flat}`;
  };

  const out: NodeDef[] = [];
  for (const n of substituted.values()) {
    const input: string[] = [];
    for (const s of n.input) {
      const m = mapRef(s, `${prefix}${n.name}`);
      if (m !== null) input.push(m);
    }
    out.push({ ...n, name: `${prefix}${n.name}`, input });
  }

  const rets = sig.output_arg.map((a) => {
    const r = fn.ret[a.name];
    if (r === undefined) throw err.badGraph(call.name, `function '${sig.name}' does not return its output '${a.name}'`, call.op);
    return mapRef(r, call.name) as string;
  });
  const types = sig.output_arg.map((a) => (a.type_attr ? callAttrs[a.type_attr]?.type ?? a.type : a.type));
  out.push({
    name: call.name,
    op: 'IdentityN',
    input: rets,
    device: '',
    attr: { T: { value: 'list', list: { s: [], i: [], f: [], b: [], type: types, shape: [], tensor: [], func: [] } } },
    experimental_debug_info: null,
  });
  return out;
}

function substituteAttrs(
  attrs: Record<string, AttrValue>,
  callAttrs: Record<string, AttrValue>,
  call: NodeDef,
  fname: string,
): Record<string, AttrValue> {
  let changed = false;
  const out: Record<string, AttrValue> = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (v.value === 'placeholder' && v.placeholder !== undefined) {
      const sub = callAttrs[v.placeholder];
      if (!sub) throw err.badGraph(call.name, `function '${fname}' needs attribute '${v.placeholder}', which the call does not set`, call.op);
      out[k] = sub;
      changed = true;
    } else out[k] = v;
  }
  return changed ? out : attrs;
}

function flatOutputIndex(node: NodeDef, argName: string, idx: number, layouts: Record<string, OutputArg[]>, where: string): number {
  const layout = layouts[node.op];
  if (!layout) return idx; // one output argument
  let base = 0;
  for (const a of layout) {
    if (a.name === argName) return base + idx;
    base += argSize(a, node);
  }
  // Ops whose single output argument is named differently in older TF versions.
  if (layout.length === 1) return idx;
  throw err.badGraph(where, `op ${node.op} has no output argument '${argName}'`, node.op);
}
