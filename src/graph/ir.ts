// The in-memory graph every pass takes and returns. One representation from import to export,
// as in TFLite's MLIR converter: TF ops (op = 'Conv2D') and TFLite ops (op = 'tfl.CONV_2D') live
// in the same graph; lowering replaces the first by the second.
//
// Tensors are the edges: a tensor is produced by at most one node (none for graph inputs and
// constants) and read by any number of nodes. Constants are tensors with a value, not nodes, so
// passes see weights directly as node inputs.

import type { DType } from '../core/dtype.js';
import type { TensorValue } from '../core/tensor.js';
import { err } from '../errors/index.js';
import type { AttrValue } from '../proto/types.js';

/** Dimensions; -1 marks a dimension unknown before shapes are fixed. */
export type Shape = number[];

/**
 * Quantization of a tensor. Two states share this record:
 * - quantized (int8/int32/... tensors): `scale` and `zeroPoint` are set (one each, or one per
 *   channel of `axis`), as TFLite stores them;
 * - a learned range only (float tensors of QAT graphs, from FakeQuant/QuantizeAndDequantize):
 *   `scale`/`zeroPoint` are empty and `min`/`max` (per tensor, or per channel of `axis`) with
 *   `numBits`/`narrowRange` say how training quantized it (src/quantize/learned-range.ts).
 * Export writes TFLite quantization parameters only in the first state.
 */
export interface QuantParams {
  scale: number[];
  zeroPoint: number[];
  /** Quantized dimension, for per-channel parameters. */
  axis?: number;
  min?: number[];
  max?: number[];
  /** Learned ranges: bits of the training-time quantization (FakeQuant num_bits). */
  numBits?: number;
  /** Learned ranges: the lowest quantized level is unused (FakeQuant narrow_range). */
  narrowRange?: boolean;
}

export class Tensor {
  /** TF tensor name ("node:0") on import; the TFLite tensor name on export. */
  name: string;
  dtype: DType;
  /** Static shape (after shape inference every dimension is known); null = unknown rank. */
  shape: Shape | null;
  /** TFLite's shape_signature: -1 where the dimension follows an unknown input dimension. */
  signature: Shape | null = null;
  /** Set for constants (weights, folded values). */
  value: TensorValue | null;
  producer: Node | null = null;
  /** Which output of the producer this is. */
  outputIndex = 0;
  quant: QuantParams | null = null;
  /** Free-form provenance for reports: the TF node or Keras layer this tensor came from. */
  origin?: string;

  constructor(name: string, dtype: DType, shape: Shape | null, value: TensorValue | null = null) {
    this.name = name;
    this.dtype = dtype;
    this.shape = shape;
    this.value = value;
  }

  get isConstant(): boolean {
    return this.value !== null;
  }

  /** Rank, or -1 when unknown. */
  get rank(): number {
    return this.shape === null ? -1 : this.shape.length;
  }
}

/** Options of a lowered TFLite operator: the builtin options table's fields, by schema name. */
export type TfliteOptions = Record<string, number | boolean | string | number[] | null>;

export class Node {
  name: string;
  /** TF op type ('Conv2D') or TFLite builtin/custom op ('tfl.CONV_2D', 'tfl.custom:MyOp'). */
  op: string;
  inputs: (Tensor | null)[];
  outputs: Tensor[];
  /** TF attributes (for TF ops), as decoded from the NodeDef. */
  attrs: Record<string, AttrValue>;
  /** For TFLite ops: builtin options and the chosen version. */
  options: TfliteOptions = {};
  version = 1;
  /** Custom op payload (flexbuffer bytes) when op is 'tfl.custom:*'. */
  customOptions?: Uint8Array;
  /**
   * The TF nodes this node stands for once lowering and fusions have merged them (a conv with its
   * BiasAdd, batch norm and Relu); empty means just `name`. Read through provenance().
   */
  origins: string[] = [];

  constructor(name: string, op: string, inputs: (Tensor | null)[], outputs: Tensor[], attrs: Record<string, AttrValue> = {}) {
    this.name = name;
    this.op = op;
    this.inputs = inputs;
    this.outputs = outputs;
    this.attrs = attrs;
    outputs.forEach((t, i) => {
      t.producer = this;
      t.outputIndex = i;
    });
  }

  get isTflite(): boolean {
    return this.op.startsWith('tfl.');
  }

  input(i: number): Tensor {
    const t = this.inputs[i];
    if (!t) throw err.badGraph(this.name, `input ${i} is missing`, this.op);
    return t;
  }

  output(i = 0): Tensor {
    const t = this.outputs[i];
    if (!t) throw err.badGraph(this.name, `output ${i} is missing`, this.op);
    return t;
  }

  // --- typed attribute access (TF attrs) ---

  hasAttr(name: string): boolean {
    return this.attrs[name] !== undefined && this.attrs[name].value !== undefined;
  }

  attrInt(name: string, dflt?: number): number {
    const a = this.attrs[name];
    if (a?.value === 'i' && a.i !== undefined) return a.i;
    if (dflt !== undefined) return dflt;
    throw err.badGraph(this.name, `attribute '${name}' (int) is missing`, this.op);
  }

  attrFloat(name: string, dflt?: number): number {
    const a = this.attrs[name];
    if (a?.value === 'f' && a.f !== undefined) return a.f;
    if (dflt !== undefined) return dflt;
    throw err.badGraph(this.name, `attribute '${name}' (float) is missing`, this.op);
  }

  attrBool(name: string, dflt?: boolean): boolean {
    const a = this.attrs[name];
    if (a?.value === 'b' && a.b !== undefined) return a.b;
    if (dflt !== undefined) return dflt;
    throw err.badGraph(this.name, `attribute '${name}' (bool) is missing`, this.op);
  }

  attrString(name: string, dflt?: string): string {
    const a = this.attrs[name];
    if (a?.value === 's' && a.s !== undefined) return Buffer.from(a.s).toString('utf8');
    if (dflt !== undefined) return dflt;
    throw err.badGraph(this.name, `attribute '${name}' (string) is missing`, this.op);
  }

  attrInts(name: string, dflt?: number[]): number[] {
    const a = this.attrs[name];
    if (a?.value === 'list' && a.list) return a.list.i;
    if (dflt !== undefined) return dflt;
    throw err.badGraph(this.name, `attribute '${name}' (list of int) is missing`, this.op);
  }

  attrFloats(name: string, dflt?: number[]): number[] {
    const a = this.attrs[name];
    if (a?.value === 'list' && a.list) return a.list.f;
    if (dflt !== undefined) return dflt;
    throw err.badGraph(this.name, `attribute '${name}' (list of float) is missing`, this.op);
  }

  /** DataType number of a type attr, e.g. 'T'. */
  attrType(name: string, dflt?: number): number {
    const a = this.attrs[name];
    if (a?.value === 'type' && a.type !== undefined) return a.type;
    if (dflt !== undefined) return dflt;
    throw err.badGraph(this.name, `attribute '${name}' (type) is missing`, this.op);
  }

  attrTypes(name: string): number[] {
    const a = this.attrs[name];
    return a?.value === 'list' && a.list ? a.list.type : [];
  }
}

/** The TF node names a node stands for: its origins, or its own name. */
export function provenance(n: Node): string[] {
  return n.origins.length ? n.origins : [n.name];
}

/** `into` absorbed `from` (a fusion): it now also stands for `from`'s TF nodes. */
export function mergeProvenance(into: Node, from: Node): void {
  const merged = provenance(into).slice();
  for (const o of provenance(from)) if (!merged.includes(o)) merged.push(o);
  into.origins = merged;
}

/** A named entry point of the graph: a SignatureDef's key and its input/output tensors by key. */
export interface SignatureIO {
  key: string;
  inputs: { key: string; tensor: Tensor }[];
  outputs: { key: string; tensor: Tensor }[];
}

export class Graph {
  /** Topologically ordered after `sort()`; passes keep it ordered or call sort(). */
  nodes: Node[] = [];
  inputs: Tensor[] = [];
  outputs: Tensor[] = [];
  /** SignatureDef of this graph (one graph = one TFLite subgraph = one signature). */
  signature: SignatureIO | null = null;
  name = 'main';

  /** Node names in use; filled on first use, then kept current by addNode and uniqueName. */
  private usedNames: Set<string> | null = null;

  /** A name not used by any node yet, derived from `base` (base, base_1, base_2, ...). */
  uniqueName(base: string): string {
    const used = (this.usedNames ??= new Set(this.nodes.map((n) => n.name)));
    let candidate = base;
    for (let k = 1; used.has(candidate); k++) candidate = `${base}_${k}`;
    used.add(candidate);
    return candidate;
  }

  addNode(node: Node): Node {
    this.nodes.push(node);
    this.usedNames?.add(node.name);
    return node;
  }

  /** A new constant tensor. */
  constant(name: string, value: TensorValue): Tensor {
    const t = new Tensor(name, value.dtype, value.shape.slice(), value);
    t.signature = value.shape.slice();
    return t;
  }

  /** Every (node, input index) that reads `t`. */
  consumers(t: Tensor): { node: Node; index: number }[] {
    const out: { node: Node; index: number }[] = [];
    for (const n of this.nodes) {
      n.inputs.forEach((x, i) => {
        if (x === t) out.push({ node: n, index: i });
      });
    }
    return out;
  }

  /** A map from tensor to its readers, for passes that ask many times. */
  consumerMap(): Map<Tensor, { node: Node; index: number }[]> {
    const m = new Map<Tensor, { node: Node; index: number }[]>();
    for (const n of this.nodes) {
      n.inputs.forEach((x, i) => {
        if (!x) return;
        let l = m.get(x);
        if (!l) m.set(x, (l = []));
        l.push({ node: n, index: i });
      });
    }
    return m;
  }

  isGraphOutput(t: Tensor): boolean {
    return this.outputs.includes(t);
  }

  /** Make every reader of `from` (and the graph outputs/signature) read `to` instead. */
  replaceAllUses(from: Tensor, to: Tensor): void {
    if (from === to) return;
    for (const n of this.nodes) {
      for (let i = 0; i < n.inputs.length; i++) if (n.inputs[i] === from) n.inputs[i] = to;
    }
    // A tensor that already is a graph output keeps its own name: it is user-visible too.
    const toIsOutput = this.outputs.includes(to);
    for (let i = 0; i < this.outputs.length; i++) {
      if (this.outputs[i] === from) {
        // The graph output keeps its user-visible name.
        if (!to.isConstant && to.producer && !toIsOutput) to.name = from.name;
        this.outputs[i] = to;
      }
    }
    if (this.signature) {
      for (const o of this.signature.outputs) if (o.tensor === from) o.tensor = to;
      for (const o of this.signature.inputs) if (o.tensor === from) o.tensor = to;
    }
  }

  removeNodes(dead: ReadonlySet<Node>): void {
    if (dead.size) this.nodes = this.nodes.filter((n) => !dead.has(n));
  }

  /** Every tensor reachable as a node input or output, graph input or output, in a stable order. */
  tensors(): Tensor[] {
    const seen = new Set<Tensor>();
    const out: Tensor[] = [];
    const add = (t: Tensor | null): void => {
      if (t && !seen.has(t)) {
        seen.add(t);
        out.push(t);
      }
    };
    this.inputs.forEach(add);
    for (const n of this.nodes) {
      n.inputs.forEach(add);
      n.outputs.forEach(add);
    }
    this.outputs.forEach(add);
    return out;
  }

  /**
   * Sort nodes topologically (stable: ties keep their current order) and drop nodes that no graph
   * output depends on. A cycle is a broken graph and is reported with a node on it.
   */
  sortAndPrune(): void {
    const needed = new Set<Node>();
    const stack: Node[] = [];
    for (const t of this.outputs) if (t.producer) stack.push(t.producer);
    while (stack.length) {
      const n = stack.pop() as Node;
      if (needed.has(n)) continue;
      needed.add(n);
      for (const t of n.inputs) if (t?.producer && !needed.has(t.producer)) stack.push(t.producer);
    }
    const order = new Map<Node, number>();
    this.nodes.forEach((n, i) => order.set(n, i));
    const state = new Map<Node, 1 | 2>();
    const sorted: Node[] = [];
    const visit = (root: Node): void => {
      // Iterative DFS: graphs with long chains (unrolled RNNs) would overflow recursion.
      const work: { node: Node; next: number }[] = [{ node: root, next: 0 }];
      state.set(root, 1);
      while (work.length) {
        const top = work[work.length - 1];
        const preds = top.node.inputs;
        if (top.next < preds.length) {
          const p = preds[top.next++]?.producer;
          if (!p || !needed.has(p)) continue;
          const s = state.get(p);
          if (s === 1) throw err.badGraph(p.name, 'the graph has a cycle through this node', p.op);
          if (s === undefined) {
            state.set(p, 1);
            work.push({ node: p, next: 0 });
          }
        } else {
          state.set(top.node, 2);
          sorted.push(top.node);
          work.pop();
        }
      }
    };
    for (const n of [...needed].sort((a, b) => (order.get(a) as number) - (order.get(b) as number))) {
      if (!state.has(n)) visit(n);
    }
    this.nodes = sorted;
  }
}
