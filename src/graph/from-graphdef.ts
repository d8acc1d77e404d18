// Import a frozen TF GraphDef (functions inlined, variables frozen) into the in-memory graph:
// only what the requested outputs need, cut at the requested inputs (which may be inner tensors,
// as TFLite's from_frozen_graph allows). Const nodes become constant tensors; control edges are
// dropped (inference does not need them).

import { type DType, dtypeFromTf } from '../core/dtype.js';
import { err } from '../errors/index.js';
import { shapeFromProto, tensorFromProto } from '../proto/tensor-proto.js';
import type { GraphDef, NodeDef } from '../proto/types.js';
import { Graph, Node, type Shape, Tensor } from './ir.js';
import { tfOps } from './ops/index.js';

export interface TensorRef {
  node: string;
  index: number;
}

/** "name", "name:2" -> {node, index}; control inputs ("^name") return null. */
export function parseTensorRef(s: string): TensorRef | null {
  if (s.startsWith('^')) return null;
  const m = /^(.*):(\d+)$/.exec(s);
  return m ? { node: m[1], index: Number(m[2]) } : { node: s, index: 0 };
}

export function tensorName(ref: TensorRef): string {
  return ref.index === 0 ? ref.node : `${ref.node}:${ref.index}`;
}

export interface ImportSpec {
  /** Graph outputs as tensor names ("y", "y:0", "split:1"), with their signature keys. */
  outputs: { key: string; name: string }[];
  /**
   * Graph inputs as tensor names with their signature keys. Default: the Placeholders the
   * outputs depend on, keyed by node name.
   */
  inputs?: { key: string; name: string }[];
  /** Fixed shapes for inputs, by signature key or tensor name. */
  inputShapes?: Record<string, number[]>;
  signatureKey?: string;
  /** Names the file in errors. */
  source: string;
}

const PLACEHOLDERS = new Set(['Placeholder', 'PlaceholderV2']);

export function graphFromGraphDef(gd: GraphDef, spec: ImportSpec): Graph {
  const byName = new Map<string, NodeDef>();
  for (const n of gd.node) {
    if (byName.has(n.name)) throw err.badGraph(n.name, 'two nodes have this name');
    byName.set(n.name, n);
  }
  const ref = (s: string, what: string): TensorRef => {
    const r = parseTensorRef(s.replace(/:0$/, ''));
    if (!r || !byName.has(r.node)) throw err.badGraph(s, `${what} '${s}' is not a tensor of ${spec.source}`);
    return r;
  };

  const g = new Graph();
  const outputsOf = new Map<string, Tensor[]>();
  const cut = new Map<string, Tensor>(); // tensor name -> graph input tensor

  const shapeFor = (key: string, name: string, fallback: Shape | null): Shape | null =>
    spec.inputShapes?.[key] ?? spec.inputShapes?.[name] ?? spec.inputShapes?.[name.replace(/:0$/, '')] ?? fallback;

  // Explicit inputs (possibly inner tensors) become graph inputs first.
  for (const inp of spec.inputs ?? []) {
    const r = ref(inp.name, 'input');
    const nd = byName.get(r.node) as NodeDef;
    const t = new Tensor(tensorName(r), guessDtype(nd, r.index), shapeFor(inp.key, inp.name, declaredShape(nd, r.index)));
    cut.set(tensorName(r), t);
    g.inputs.push(t);
  }

  // Which nodes the outputs need, stopping at cut tensors; also the highest output index used.
  const outRefs = spec.outputs.map((o) => ref(o.name, 'output'));
  const needed = new Set<string>();
  const maxIndex = new Map<string, number>();
  const noteIndex = (r: TensorRef): void => {
    maxIndex.set(r.node, Math.max(maxIndex.get(r.node) ?? 0, r.index));
  };
  const stack: string[] = [];
  for (const r of outRefs) {
    noteIndex(r);
    if (!cut.has(tensorName(r))) stack.push(r.node);
  }
  while (stack.length) {
    const name = stack.pop() as string;
    if (needed.has(name)) continue;
    needed.add(name);
    const nd = byName.get(name) as NodeDef;
    for (const s of nd.input) {
      const r = parseTensorRef(s);
      if (!r) continue;
      if (!byName.has(r.node)) throw err.badGraph(name, `input '${s}' refers to a node that does not exist`, nd.op);
      noteIndex(r);
      if (!cut.has(tensorName(r)) && !needed.has(r.node)) stack.push(r.node);
    }
  }

  // Create tensors for every needed node's outputs, then the nodes.
  const implicitInputs: { key: string; tensor: Tensor }[] = [];
  for (const nd of gd.node) {
    if (!needed.has(nd.name)) continue;
    if (nd.op === 'Const') {
      const v = nd.attr.value?.tensor;
      if (!v) throw err.badGraph(nd.name, "Const has no 'value' attribute", 'Const');
      const value = tensorFromProto(v, nd.name);
      const t = new Tensor(nd.name, value.dtype, value.shape.slice(), value);
      t.signature = value.shape.slice();
      outputsOf.set(nd.name, [t]);
    } else if (PLACEHOLDERS.has(nd.op)) {
      const key = nd.name;
      const t = new Tensor(nd.name, guessDtype(nd, 0), shapeFor(key, nd.name, declaredShape(nd, 0)));
      outputsOf.set(nd.name, [t]);
      implicitInputs.push({ key, tensor: t });
    } else {
      const sem = tfOps[nd.op];
      const count = Math.max((maxIndex.get(nd.name) ?? 0) + 1, sem?.numOutputs ? sem.numOutputs(nodeShell(nd)) : 1);
      const outs: Tensor[] = [];
      for (let i = 0; i < count; i++) {
        outs.push(new Tensor(i === 0 ? nd.name : `${nd.name}:${i}`, guessDtype(nd, i), declaredShape(nd, i)));
      }
      outputsOf.set(nd.name, outs);
    }
  }
  const tensorFor = (s: string, from: string): Tensor => {
    const r = parseTensorRef(s) as TensorRef;
    const c = cut.get(tensorName(r));
    if (c) return c;
    const t = outputsOf.get(r.node)?.[r.index];
    if (!t) throw err.badGraph(from, `input '${s}' names output ${r.index}, which node '${r.node}' does not have`);
    return t;
  };
  for (const nd of gd.node) {
    if (!needed.has(nd.name) || nd.op === 'Const' || PLACEHOLDERS.has(nd.op)) continue;
    const inputs = nd.input.filter((s) => !s.startsWith('^')).map((s) => tensorFor(s, nd.name));
    g.addNode(new Node(nd.name, nd.op, inputs, outputsOf.get(nd.name) as Tensor[], nd.attr));
  }

  if (!spec.inputs) g.inputs.push(...implicitInputs.map((i) => i.tensor));
  g.outputs = spec.outputs.map((o) => tensorFor(o.name.replace(/:0$/, ''), o.name));
  g.signature = {
    key: spec.signatureKey ?? 'serving_default',
    inputs: spec.inputs
      ? spec.inputs.map((i) => ({ key: i.key, tensor: cut.get(tensorName(ref(i.name, 'input'))) as Tensor }))
      : implicitInputs,
    outputs: spec.outputs.map((o, i) => ({ key: o.key, tensor: g.outputs[i] })),
  };
  g.sortAndPrune();
  return g;
}

function nodeShell(nd: NodeDef): Node {
  return new Node(nd.name, nd.op, [], [], nd.attr);
}

/** The dtype a node's output probably has, from its attributes; inference refines it. */
function guessDtype(nd: NodeDef, index: number): DType {
  for (const key of ['dtype', 'T', 'DstT', 'out_type', 'output_type', 'Tout', 'type']) {
    const a = nd.attr[key];
    if (a?.value === 'type' && a.type !== undefined) return dtypeFromTf(a.type) ?? 'float32';
    if (a?.value === 'list' && a.list?.type.length) return dtypeFromTf(a.list.type[index] ?? a.list.type[0]) ?? 'float32';
  }
  return 'float32';
}

/** The shape a node declares for an output: Placeholder 'shape', or '_output_shapes'. */
function declaredShape(nd: NodeDef, index: number): Shape | null {
  const s = nd.attr.shape;
  if (index === 0 && s?.value === 'shape' && s.shape) return shapeFromProto(s.shape);
  const os = nd.attr._output_shapes;
  if (os?.value === 'list' && os.list?.shape[index]) return shapeFromProto(os.list.shape[index]);
  return null;
}
