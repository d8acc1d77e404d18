// A structural copy of a graph: new Node and Tensor objects (constant values are shared: nothing
// mutates a TensorValue in place), and the map from each old tensor to its copy. Quantization
// rewrites the copy, so the float graph stays available to compare with (reports, tests).

import { Graph, Node, Tensor } from './ir.js';

export interface GraphClone {
  graph: Graph;
  /** Old tensor -> its copy. */
  tensors: Map<Tensor, Tensor>;
  /** Old node -> its copy. */
  nodes: Map<Node, Node>;
}

export function cloneGraph(g: Graph): GraphClone {
  const tensors = new Map<Tensor, Tensor>();
  const nodes = new Map<Node, Node>();
  const copy = (t: Tensor): Tensor => {
    const known = tensors.get(t);
    if (known) return known;
    const c = new Tensor(t.name, t.dtype, t.shape?.slice() ?? null, t.value);
    c.signature = t.signature?.slice() ?? null;
    c.outputIndex = t.outputIndex;
    c.quant = t.quant ? { ...t.quant, scale: t.quant.scale.slice(), zeroPoint: t.quant.zeroPoint.slice() } : null;
    if (t.origin !== undefined) c.origin = t.origin;
    tensors.set(t, c);
    return c;
  };
  const out = new Graph();
  out.name = g.name;
  out.inputs = g.inputs.map(copy);
  for (const n of g.nodes) {
    const m = new Node(n.name, n.op, n.inputs.map((t) => (t ? copy(t) : null)), n.outputs.map(copy), n.attrs);
    m.options = { ...n.options };
    m.version = n.version;
    if (n.customOptions) m.customOptions = n.customOptions;
    m.origins = n.origins.slice();
    nodes.set(n, m);
    out.addNode(m);
  }
  out.outputs = g.outputs.map(copy);
  if (g.signature) {
    out.signature = {
      key: g.signature.key,
      inputs: g.signature.inputs.map((e) => ({ key: e.key, tensor: copy(e.tensor) })),
      outputs: g.signature.outputs.map((e) => ({ key: e.key, tensor: copy(e.tensor) })),
    };
  }
  return { graph: out, tensors, nodes };
}
