// Small constructors passes use to add nodes and constants, so each pass states its rewrite in
// terms of ops and values rather than bookkeeping.

import type { DType } from '../core/dtype.js';
import type { TensorValue } from '../core/tensor.js';
import { type Graph, Node, type Shape, Tensor, type TfliteOptions } from './ir.js';

/** A float32 constant of the given shape. */
export function f32Const(g: Graph, name: string, shape: Shape, data: Float32Array): Tensor {
  return g.constant(name, { dtype: 'float32', shape, data });
}

export function i32Const(g: Graph, name: string, values: number[], shape: Shape = [values.length]): Tensor {
  return g.constant(name, { dtype: 'int32', shape, data: Int32Array.from(values) });
}

export function constantOf(g: Graph, name: string, value: TensorValue): Tensor {
  return g.constant(name, value);
}

/** A new TFLite node with fresh output tensors of the given dtypes and shapes. */
export function tflNode(
  g: Graph,
  name: string,
  op: string,
  inputs: (Tensor | null)[],
  outputs: { dtype: DType; shape: Shape; signature?: Shape | null; name?: string }[] | Tensor[],
  options: TfliteOptions = {},
): Node {
  const outs = outputs.map((o) => {
    if (o instanceof Tensor) return o;
    const t = new Tensor(o.name ?? name, o.dtype, o.shape.slice());
    t.signature = o.signature?.slice() ?? o.shape.slice();
    return t;
  });
  // TFLite operators have no names; the node name is for diagnostics and may repeat.
  const n = new Node(name, `tfl.${op}`, inputs, outs);
  n.options = options;
  return n;
}

/** Insert `node` into the graph right before `before` (keeps topological order). */
export function insertBefore(g: Graph, before: Node, ...nodes: Node[]): void {
  const i = g.nodes.indexOf(before);
  g.nodes.splice(i < 0 ? g.nodes.length : i, 0, ...nodes);
}

/** Replace node `old` in place by `replacements` (in order). */
export function replaceNode(g: Graph, old: Node, ...replacements: Node[]): void {
  const i = g.nodes.indexOf(old);
  if (i < 0) g.nodes.push(...replacements);
  else g.nodes.splice(i, 1, ...replacements);
}
