// What TensorFlow's loaders check of a written SavedModel's MetaGraph, checked here without
// TensorFlow: every function body reference resolves (an argument, or "node:output_arg:index"
// within the output argument's size by the op's OpDef), names are unique, every OpDef attribute
// without a default is set, every op is listed in stripped_op_list or is a library function, and
// the object graph's concrete functions bind exactly their trailing resource arguments
// (tf.saved_model.load replaces those by the restored variables).

import type { FunctionDef, MetaGraphDef, NodeDef, OpDef, StructuredValue } from '../../src/proto/types.js';

function argSize(op: OpDef, arg: OpDef['output_arg'][number], n: NodeDef): number {
  if (arg.number_attr) return n.attr[arg.number_attr]?.i ?? 0;
  if (arg.type_list_attr) return n.attr[arg.type_list_attr]?.list?.type.length ?? 0;
  void op;
  return 1;
}

/** Problems found, as lines (empty when the MetaGraph is consistent). */
export function checkMetaGraph(mg: MetaGraphDef): string[] {
  const problems: string[] = [];
  const opDefs = new Map((mg.meta_info_def?.stripped_op_list?.op ?? []).map((o) => [o.name, o]));
  const lib = mg.graph_def?.library?.function ?? [];
  const fns = new Map(lib.map((f) => [f.signature.name, f]));
  const checkNode = (where: string, n: NodeDef): void => {
    if (fns.has(n.op)) return;
    const d = opDefs.get(n.op);
    if (!d) {
      problems.push(`${where}: ${n.name}: op ${n.op} is not in stripped_op_list`);
      return;
    }
    for (const a of d.attr) if (!a.default_value && n.attr[a.name] === undefined) problems.push(`${where}: ${n.name} (${n.op}) lacks attribute ${a.name}`);
  };
  for (const f of lib) checkFunction(f, opDefs, fns, problems, checkNode);
  const top = mg.graph_def?.node ?? [];
  const topNames = new Set<string>();
  for (const n of top) {
    if (topNames.has(n.name)) problems.push(`graph: duplicate node ${n.name}`);
    topNames.add(n.name);
  }
  for (const n of top) {
    checkNode('graph', n);
    for (const s of n.input) {
      const name = s.replace(/^\^/, '').replace(/:\d+$/, '');
      if (!topNames.has(name)) problems.push(`graph: ${n.name} reads missing node ${name}`);
    }
  }
  // Concrete functions: the bound inputs are the function's trailing resource arguments.
  const og = mg.object_graph_def;
  for (const [name, cf] of Object.entries(og?.concrete_functions ?? {})) {
    const f = fns.get(name);
    if (!f) {
      problems.push(`object graph: concrete function ${name} is not in the library`);
      continue;
    }
    const args = f.signature.input_arg;
    const trailing = args.slice(args.length - cf.bound_inputs.length);
    if (trailing.some((a) => a.type !== 20)) problems.push(`${name}: its last ${cf.bound_inputs.length} arguments are not all resources`);
    for (const id of cf.bound_inputs) if (og?.nodes[id]?.kind !== 'variable') problems.push(`${name}: bound input ${id} is not a variable object`);
    const declared = countSpecs(cf.canonicalized_input_signature);
    if (declared + cf.bound_inputs.length !== args.length) {
      problems.push(`${name}: ${declared} tensor specs + ${cf.bound_inputs.length} bound inputs != ${args.length} arguments`);
    }
    const outs = countSpecs(cf.output_signature);
    if (outs !== f.signature.output_arg.length) problems.push(`${name}: output signature has ${outs} specs, the function ${f.signature.output_arg.length} results`);
  }
  return problems;
}

function countSpecs(v: StructuredValue | null | undefined): number {
  if (!v) return 0;
  switch (v.kind) {
    case 'tensor_spec_value':
      return 1;
    case 'list_value':
      return v.list_value?.values.reduce((s, x) => s + countSpecs(x), 0) ?? 0;
    case 'tuple_value':
      return v.tuple_value?.values.reduce((s, x) => s + countSpecs(x), 0) ?? 0;
    case 'dict_value':
      return Object.values(v.dict_value?.fields ?? {}).reduce((s, x) => s + countSpecs(x), 0);
    default:
      return 0;
  }
}

function checkFunction(
  f: FunctionDef,
  opDefs: Map<string, OpDef>,
  fns: Map<string, FunctionDef>,
  problems: string[],
  checkNode: (where: string, n: NodeDef) => void,
): void {
  const where = f.signature.name;
  const args = new Set<string>();
  for (const a of f.signature.input_arg) {
    if (args.has(a.name)) problems.push(`${where}: duplicate argument ${a.name}`);
    args.add(a.name);
  }
  const nodes = new Map<string, NodeDef>();
  for (const n of f.node_def) {
    if (nodes.has(n.name) || args.has(n.name)) problems.push(`${where}: duplicate name ${n.name}`);
    nodes.set(n.name, n);
  }
  const resolves = (ref: string): string | null => {
    if (args.has(ref)) return null;
    const m = /^(.*):([^:]+):(\d+)$/.exec(ref);
    if (!m) return `reference '${ref}' is neither an argument nor node:output:index`;
    const [, node, out, idx] = m as unknown as [string, string, string, string];
    const n = nodes.get(node);
    if (!n) return `reference '${ref}' names no node`;
    const callee = fns.get(n.op);
    const outputs = callee ? callee.signature.output_arg : opDefs.get(n.op)?.output_arg;
    if (!outputs) return `reference '${ref}': op ${n.op} has no OpDef`;
    const arg = outputs.find((a) => a.name === out);
    if (!arg) return `reference '${ref}': ${n.op} has no output argument ${out}`;
    const size = callee ? 1 : argSize(opDefs.get(n.op) as OpDef, arg, n);
    if (Number(idx) >= size) return `reference '${ref}': ${out} of ${n.name} has ${size} tensors`;
    return null;
  };
  for (const n of f.node_def) {
    checkNode(where, n);
    for (const s of n.input) {
      if (s.startsWith('^')) {
        if (!nodes.has(s.slice(1))) problems.push(`${where}: ${n.name}: control input ${s} names no node`);
        continue;
      }
      const p = resolves(s);
      if (p) problems.push(`${where}: ${n.name}: ${p}`);
    }
  }
  for (const [name, ref] of Object.entries(f.ret)) {
    const p = resolves(ref);
    if (p) problems.push(`${where}: result ${name}: ${p}`);
  }
  for (const name of f.signature.output_arg.map((a) => a.name)) if (f.ret[name] === undefined) problems.push(`${where}: result ${name} is not returned`);
  for (const c of Object.values(f.control_ret)) if (!nodes.has(c)) problems.push(`${where}: control result ${c} names no node`);
}
