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
    }
    nodes = out;
  }
  return { ...gd, node: nodes, library: null };
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
  for (const n of fn.node_def) body.set(n.name, n);

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
