// Graph-level damage to a GraphDef or a SavedModel's MetaGraph, through our own codecs: the file
// is decoded, one thing is made wrong the way a broken exporter or a hostile author would make it
// (a cycle, an input naming no node, a called function removed, a shape or dtype that lies, an
// attribute missing or of the wrong kind, duplicate names, hostile names, function calls that
// nest deep or fan out exponentially), and the file is encoded again. What reaches prepare and
// the passes is then a well-formed protobuf describing a broken graph.

import { GraphDefCodec, SavedModelCodec } from '../../proto/index.js';
import type { AttrValue, FunctionDef, GraphDef, NodeDef, SavedModel, TensorShapeProto } from '../../proto/types.js';
import type { Rng } from '../rng.js';
import type { Mutated } from './bytes.js';

interface Scope {
  nodes: NodeDef[];
  /** Top level or a function body (inputs "node:out:i" and argument names). */
  fn: FunctionDef | null;
  where: string;
}

type GraphMutator = (g: GraphDef, scope: Scope, rng: Rng, extra: Extra) => string | null;

interface Extra {
  /** Adds a tensor to the outputs (a signature output for SavedModels); false when impossible. */
  addOutput(name: string): boolean;
}

const TYPE_ATTRS = ['T', 'dtype', 'DstT', 'SrcT', 'out_type', 'Tidx', 'Tshape', 'Tpaddings', 'Index', 'Tindices', 'Taxis', 'output_type'];
const KNOWN_OPS = ['Conv2D', 'MatMul', 'Reshape', 'AddV2', 'Identity', 'NoOp', 'Placeholder', 'Const', 'While', 'If', 'StatefulPartitionedCall', 'ConcatV2', 'Pack', 'Fill', 'Shape', 'StridedSlice', 'Transpose', 'Softmax', 'Relu', 'BiasAdd', 'Mean', 'Tile', 'Range', 'FusedBatchNormV3', 'NotAnOp'];
const HOSTILE_NAMES = ['', ':', '^', 'a:b:c', 'x:99', 'a\nb', 'tab\there', '..', '../x', '/', 'é', '\u0000', 'n'.repeat(5000)];

function dataInputs(n: NodeDef): number[] {
  const out: number[] = [];
  n.input.forEach((s, i) => {
    if (!s.startsWith('^')) out.push(i);
  });
  return out;
}

function baseName(input: string): string {
  const s = input.startsWith('^') ? input.slice(1) : input;
  const c = s.indexOf(':');
  return c < 0 ? s : s.slice(0, c);
}

const cycle: GraphMutator = (_g, scope, rng) => {
  const withInputs = scope.nodes.filter((n) => dataInputs(n).length > 0);
  if (withInputs.length === 0) return null;
  const a = rng.pick(withInputs);
  const byName = new Map(scope.nodes.map((n) => [n.name, n]));
  // Walk up a few producers; the last one found is made to read a's output.
  let x: NodeDef = a;
  const steps = rng.range(0, 6);
  for (let i = 0; i < steps; i++) {
    const ins = dataInputs(x);
    if (ins.length === 0) break;
    const up = byName.get(baseName(x.input[rng.pick(ins)]));
    if (!up) break;
    x = up;
  }
  const ins = dataInputs(x);
  if (ins.length > 0 && rng.chance(0.7)) x.input[rng.pick(ins)] = a.name;
  else x.input.unshift(a.name);
  return `${scope.where}: cycle: '${x.name}' (${x.op}) reads '${a.name}' (${a.op})`;
};

const danglingInput: GraphMutator = (_g, scope, rng) => {
  const withInputs = scope.nodes.filter((n) => n.input.length > 0);
  if (withInputs.length === 0) return null;
  const a = rng.pick(withInputs);
  const i = rng.int(a.input.length);
  const other = rng.pick(scope.nodes).name;
  const v = rng.pick(['no_such_node', `${other}:999`, `^ghost`, '', ':', `${other}:-1`, `${other}:1e3`, `${other}:0:0`, `${other}:out:7`, 'missing_arg']);
  a.input[i] = v;
  return `${scope.where}: input ${i} of '${a.name}' (${a.op}) -> '${v}'`;
};

const missingFunction: GraphMutator = (g, scope, rng) => {
  const lib = g.library?.function ?? [];
  const calls = scope.nodes.filter((n) => n.attr.f?.func?.name || lib.some((f) => f.signature?.name === n.op));
  if (calls.length > 0 && rng.chance(0.5)) {
    const c = rng.pick(calls);
    if (c.attr.f?.func) c.attr.f.func.name = 'no_such_function';
    else c.op = 'no_such_function';
    return `${scope.where}: '${c.name}' calls 'no_such_function'`;
  }
  if (lib.length === 0 || !g.library) return null;
  const i = rng.int(lib.length);
  const name = lib[i].signature?.name;
  g.library.function.splice(i, 1);
  return `library: function '${name}' removed`;
};

function randomDims(rng: Rng, old: number[]): number[] {
  switch (rng.int(7)) {
    case 0:
      return [...old, rng.pick([1, 2, 3])];
    case 1:
      return old.slice(0, -1);
    case 2:
      return old.map((d) => (rng.chance(0.5) ? d + rng.pick([-1, 1]) : d));
    case 3:
      return old.length ? old.map((d, i) => (i === 0 ? rng.pick([0, -1, -2, 2 ** 31, 2 ** 40, 2 ** 53]) : d)) : [rng.pick([0, -1, 2 ** 31])];
    case 4:
      return [rng.pick([16384, 65536, 1 << 20]), rng.pick([16384, 65536, 1 << 20])];
    case 5:
      return Array.from({ length: rng.pick([5, 9, 33, 200]) }, () => rng.pick([1, 2]));
    default:
      return [];
  }
}

function shapeProto(dims: number[]): TensorShapeProto {
  return { dim: dims.map((size) => ({ size, name: '' })), unknown_rank: false };
}

const shapeLie: GraphMutator = (_g, scope, rng) => {
  const cands = scope.nodes.filter((n) => n.attr.value?.tensor || n.attr.shape?.shape || n.attr._output_shapes?.list);
  if (cands.length === 0) return null;
  const n = rng.pick(cands);
  const t = n.attr.value?.tensor;
  if (t && (rng.chance(0.6) || !n.attr.shape)) {
    const old = t.tensor_shape?.dim.map((d) => d.size) ?? [];
    const dims = randomDims(rng, old);
    t.tensor_shape = shapeProto(dims);
    return `${scope.where}: constant '${n.name}' (${n.op}) shape [${old}] -> [${dims}]`;
  }
  if (n.attr.shape?.shape) {
    const old = n.attr.shape.shape.dim.map((d) => d.size);
    const dims = randomDims(rng, old);
    n.attr.shape = { value: 'shape', shape: rng.chance(0.1) ? { dim: [], unknown_rank: true } : shapeProto(dims) };
    return `${scope.where}: shape attr of '${n.name}' (${n.op}) [${old}] -> [${dims}]`;
  }
  const shapes = n.attr._output_shapes?.list?.shape ?? [];
  if (shapes.length > 0) shapes[0] = shapeProto(randomDims(rng, shapes[0].dim.map((d) => d.size)));
  else shapes.push(shapeProto(randomDims(rng, [])));
  return `${scope.where}: _output_shapes of '${n.name}' (${n.op}) changed`;
};

const dtypeLie: GraphMutator = (_g, scope, rng) => {
  const cands: [NodeDef, string][] = [];
  for (const n of scope.nodes) for (const k of Object.keys(n.attr)) if (n.attr[k]?.value === 'type' || TYPE_ATTRS.includes(k)) cands.push([n, k]);
  const consts = scope.nodes.filter((n) => n.attr.value?.tensor);
  if (cands.length === 0 && consts.length === 0) return null;
  const t = rng.pick([1, 2, 3, 4, 5, 6, 7, 9, 10, 14, 17, 19, 20, 21, 101, 0, 999, 30]);
  if (consts.length > 0 && (cands.length === 0 || rng.chance(0.3))) {
    const n = rng.pick(consts);
    (n.attr.value.tensor as NonNullable<AttrValue['tensor']>).dtype = t;
    return `${scope.where}: tensor dtype of constant '${n.name}' -> ${t}`;
  }
  const [n, k] = rng.pick(cands);
  n.attr[k] = { value: 'type', type: t };
  return `${scope.where}: attr ${k} of '${n.name}' (${n.op}) -> type ${t}`;
};

const dropAttr: GraphMutator = (_g, scope, rng) => {
  const cands = scope.nodes.filter((n) => Object.keys(n.attr).length > 0);
  if (cands.length === 0) return null;
  const n = rng.pick(cands);
  const k = rng.pick(Object.keys(n.attr).sort());
  delete n.attr[k];
  return `${scope.where}: attr ${k} of '${n.name}' (${n.op}) removed`;
};

const attrKind: GraphMutator = (_g, scope, rng) => {
  const cands = scope.nodes.filter((n) => Object.keys(n.attr).length > 0);
  if (cands.length === 0) return null;
  const n = rng.pick(cands);
  const k = rng.pick(Object.keys(n.attr).sort());
  const v = rng.pick<AttrValue>([
    { value: 'i', i: rng.pick([-1, 0, 2 ** 31, 2 ** 53]) },
    { value: 's', s: new TextEncoder().encode(rng.pick(['', 'SAME', 'NHWC', 'bogus'])) },
    { value: 'f', f: rng.pick([NaN, Infinity, -1, 0.5]) },
    { value: 'b', b: true },
    { value: 'shape', shape: shapeProto([rng.pick([-1, 0, 3])]) },
    { value: 'list', list: { s: [], i: [1, 2, 2 ** 40, -1], f: [], b: [], type: [], shape: [], tensor: [], func: [] } },
    { value: 'func', func: { name: 'no_such_function', attr: {} } },
    { value: 'placeholder', placeholder: 'T' },
    {},
  ]);
  n.attr[k] = v;
  return `${scope.where}: attr ${k} of '${n.name}' (${n.op}) -> ${v.value ?? 'empty'}`;
};

const opSwap: GraphMutator = (_g, scope, rng) => {
  if (scope.nodes.length === 0) return null;
  const n = rng.pick(scope.nodes);
  const old = n.op;
  n.op = rng.chance(0.5) ? rng.pick(scope.nodes).op : rng.pick(KNOWN_OPS);
  return `${scope.where}: op of '${n.name}' ${old} -> ${n.op}`;
};

const duplicateName: GraphMutator = (_g, scope, rng) => {
  if (scope.nodes.length < 2) return null;
  const a = rng.pick(scope.nodes);
  const b = rng.pick(scope.nodes.filter((x) => x !== a));
  const old = b.name;
  b.name = a.name;
  return `${scope.where}: '${old}' (${b.op}) renamed to '${a.name}' (a name ${a.op} has)`;
};

const dropNode: GraphMutator = (_g, scope, rng) => {
  if (scope.nodes.length === 0) return null;
  const i = rng.int(scope.nodes.length);
  const [n] = scope.nodes.splice(i, 1);
  return `${scope.where}: node '${n.name}' (${n.op}) removed`;
};

const hostileName: GraphMutator = (_g, scope, rng) => {
  if (scope.nodes.length === 0) return null;
  const n = rng.pick(scope.nodes);
  const old = n.name;
  const name = rng.pick(HOSTILE_NAMES);
  n.name = name;
  // Readers of the node follow the rename, so the graph stays connected through the odd name.
  for (const m of scope.nodes) m.input = m.input.map((s) => (baseName(s) === old ? s.replace(old, name) : s));
  return `${scope.where}: '${old.slice(0, 40)}' renamed to ${JSON.stringify(name.slice(0, 40))}${name.length > 40 ? `... (${name.length} chars)` : ''}`;
};

const inputArity: GraphMutator = (_g, scope, rng) => {
  if (scope.nodes.length === 0) return null;
  const n = rng.pick(scope.nodes);
  if (n.input.length > 0 && rng.chance(0.5)) {
    n.input.pop();
    return `${scope.where}: last input of '${n.name}' (${n.op}) removed`;
  }
  const extra = rng.pick(scope.nodes).name;
  const times = rng.chance(0.1) ? 1000 : 1;
  for (let i = 0; i < times; i++) n.input.push(extra);
  return `${scope.where}: '${n.name}' (${n.op}) gets ${times} extra input(s) '${extra}'`;
};

/**
 * Function calls that fan out: F0 calls F1 twice, F1 calls F2 twice, ... (2^depth inlined nodes),
 * or one function that calls itself. A few hundred bytes that inline into billions of nodes.
 */
const callBomb: GraphMutator = (g, scope, rng, extra) => {
  if (scope.fn) return null;
  const source = scope.nodes.find((n) => n.op === 'Placeholder') ?? scope.nodes[0];
  if (!source) return null;
  const recursive = rng.chance(0.3);
  const depth = recursive ? 1 : rng.pick([10, 20, 40, 64]);
  const arg = (name: string) => ({ name, description: '', type: 1, type_attr: '', number_attr: '', type_list_attr: '', is_ref: false });
  const fns: FunctionDef[] = [];
  for (let i = 0; i < depth; i++) {
    const callee = recursive ? 'fuzz_bomb_0' : i + 1 < depth ? `fuzz_bomb_${i + 1}` : null;
    const node = (name: string, op: string, input: string[]): NodeDef => ({ name, op, input, device: '', attr: { T: { value: 'type', type: 1 } } });
    const body: NodeDef[] = callee
      ? [node('a', callee, ['x']), node('b', callee, ['x']), node('s', 'AddV2', ['a:y:0', 'b:y:0'])]
      : [node('s', 'Identity', ['x'])];
    fns.push({
      signature: { name: `fuzz_bomb_${i}`, input_arg: [arg('x')], output_arg: [arg('y')], control_output: [], attr: [], summary: '', description: '', is_commutative: false, is_aggregate: false, is_stateful: false, allows_uninitialized_input: false },
      attr: {},
      arg_attr: {},
      resource_arg_unique_id: {},
      node_def: body,
      ret: { y: callee ? 's:z:0' : 's:output:0' },
      control_ret: {},
    });
  }
  g.library ??= { function: [], gradient: [] };
  g.library.function.push(...fns);
  scope.nodes.push({ name: 'fuzz_bomb_call', op: 'fuzz_bomb_0', input: [source.name], device: '', attr: { T: { value: 'type', type: 1 } } });
  extra.addOutput('fuzz_bomb_call');
  return recursive ? 'library: a function that calls itself' : `library: call bomb ${depth} functions deep (2^${depth} inlined nodes)`;
};

const MUTATORS: readonly (readonly [GraphMutator, number])[] = [
  [cycle, 4],
  [danglingInput, 4],
  [missingFunction, 3],
  [shapeLie, 5],
  [dtypeLie, 4],
  [dropAttr, 3],
  [attrKind, 3],
  [opSwap, 3],
  [duplicateName, 2],
  [dropNode, 2],
  [hostileName, 2],
  [inputArity, 2],
  [callBomb, 0.7],
];

function scopes(g: GraphDef): Scope[] {
  const out: Scope[] = [{ nodes: g.node, fn: null, where: 'graph' }];
  for (const f of g.library?.function ?? []) out.push({ nodes: f.node_def, fn: f, where: `function '${f.signature?.name}'` });
  return out;
}

function mutateGraph(g: GraphDef, rng: Rng, extra: Extra): string | null {
  const all = scopes(g).filter((s) => s.nodes.length > 0);
  if (all.length === 0) return null;
  for (let attempt = 0; attempt < 4; attempt++) {
    // The top level is where prepare starts; function bodies matter as much once inlined.
    const scope = rng.chance(0.5) ? all[0] : rng.pick(all);
    const m = rng.weighted(MUTATORS);
    const d = m(g, scope, rng, extra);
    if (d !== null) return d;
  }
  return null;
}

/** A graph-level mutation of a GraphDef file; null when the file does not decode. */
export function graphDefMutation(b: Uint8Array, rng: Rng): Mutated | null {
  let g: GraphDef;
  try {
    g = GraphDefCodec.decode(b, 'fuzz');
  } catch {
    return null;
  }
  const desc = mutateGraph(g, rng, { addOutput: () => true });
  if (desc === null) return null;
  return { bytes: GraphDefCodec.encode(g), desc };
}

/** A graph-level mutation of saved_model.pb (the MetaGraph's graph and its signatures). */
export function savedModelGraphMutation(b: Uint8Array, rng: Rng): Mutated | null {
  let sm: SavedModel;
  try {
    sm = SavedModelCodec.decode(b, 'fuzz');
  } catch {
    return null;
  }
  const mgs = sm.meta_graphs.filter((m) => m.graph_def);
  if (mgs.length === 0) return null;
  const mg = rng.pick(mgs);
  const g = mg.graph_def as GraphDef;
  const sigKeys = Object.keys(mg.signature_def).sort();
  if (sigKeys.length > 0 && rng.chance(0.15)) {
    // The signature itself lies: a tensor name that is not in the graph, or an empty one.
    const key = rng.pick(sigKeys);
    const sig = mg.signature_def[key];
    const side = rng.chance(0.5) ? sig.inputs : sig.outputs;
    const names = Object.keys(side).sort();
    if (names.length > 0) {
      const k = rng.pick(names);
      const v = rng.pick(['no_such_tensor:0', '', 'x:99', ':0']);
      side[k].name = v;
      return { bytes: SavedModelCodec.encode(sm), desc: `signature '${key}': tensor '${k}' named '${v}'` };
    }
  }
  const extra: Extra = {
    addOutput(name) {
      const key = sigKeys.includes('serving_default') ? 'serving_default' : sigKeys[0];
      if (key === undefined) return false;
      mg.signature_def[key].outputs.fuzz_output = { name: `${name}:0`, dtype: 1, tensor_shape: null } as never;
      return true;
    },
  };
  const desc = mutateGraph(g, rng, extra);
  if (desc === null) return null;
  return { bytes: SavedModelCodec.encode(sm), desc };
}
