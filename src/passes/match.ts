// Matching helpers shared by fusion passes: the single reader of a tensor, constants that
// broadcast per channel, and the ops whose outputs can absorb scales, biases and activations.

import { numElements } from '../core/tensor.js';
import type { Graph, Node, Tensor } from '../graph/ir.js';
import { numbers } from '../graph/ops/util.js';

export type Readers = Map<Tensor, { node: Node; index: number }[]>;

/** The one node reading `t`, when `t` has exactly one reader and is not a graph output. */
export function soleReader(g: Graph, readers: Readers, t: Tensor): Node | null {
  const r = readers.get(t);
  if (!r || r.length !== 1 || g.isGraphOutput(t)) return null;
  return r[0].node;
}

/** Ops with a bias input (index 2) and weights whose first dimension (or last, depthwise) is the output channel. */
export const BIASED_OPS = new Set(['tfl.CONV_2D', 'tfl.DEPTHWISE_CONV_2D', 'tfl.FULLY_CONNECTED']);

/**
 * The per-output-channel values of a float constant that broadcasts along the last dimension
 * only (a scalar or shape [..., 1, C]), expanded to `channels`; null otherwise.
 */
export function perChannel(t: Tensor | null, channels: number): Float64Array | null {
  if (!t?.value || t.dtype !== 'float32') return null;
  const shape = t.value.shape;
  const n = numElements(shape);
  const v = numbers(t.value);
  if (n === 1) return new Float64Array(channels).fill(v[0]);
  if (n !== channels || shape[shape.length - 1] !== channels) return null;
  return v;
}

/** The other operand of a binary node, given one of its inputs. */
export function otherInput(n: Node, t: Tensor): Tensor | null {
  if (n.inputs.length !== 2) return null;
  return n.inputs[0] === t ? n.inputs[1] : n.inputs[1] === t ? n.inputs[0] : null;
}

/** Both shapes known and equal. */
export function sameStaticShape(a: Tensor, b: Tensor): boolean {
  return a.shape !== null && b.shape !== null && a.shape.length === b.shape.length && a.shape.every((d, i) => d === (b.shape as number[])[i]);
}

/**
 * A conv, depthwise conv or fully-connected layer with no fused activation whose output's one
 * reader is a live node of one of `ops`: the start of every fold into its weights or bias.
 */
export function biasedLayerThen(
  g: Graph,
  readers: Readers,
  layer: Node,
  ops: ReadonlySet<string>,
  dead: ReadonlySet<Node>,
): { y: Tensor; next: Node } | null {
  if (!BIASED_OPS.has(layer.op) || dead.has(layer) || layer.options.fused_activation_function) return null;
  const y = layer.output(0);
  const next = soleReader(g, readers, y);
  if (!next || !ops.has(next.op) || dead.has(next)) return null;
  return { y, next };
}
