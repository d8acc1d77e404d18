// fuse-relu-n1-to-1: a clamp to [-1, 1] written as MINIMUM and MAXIMUM becomes RELU_N1_TO_1,
// which fuse-activation can then fold into the op before it.
//
// Before: y = MINIMUM(MAXIMUM(x, -1), 1)   or   y = MAXIMUM(MINIMUM(x, 1), -1)
// After:  y = RELU_N1_TO_1(x)
//
// Applies to float32 only, when both bounds are constants holding one value everywhere, neither
// broadcasts x to a bigger shape, and the inner op's output is read by the outer op alone.
// (RELU_N1_TO_1 computes min(max(x, -1), 1), the same comparisons in the same order.)

import { numElements } from '../core/tensor.js';
import { tflNode } from '../graph/build.js';
import type { Graph, Node, Tensor } from '../graph/ir.js';
import { numbers } from '../graph/ops/util.js';
import { type Readers, otherInput, sameStaticShape, soleReader } from './match.js';
import type { Pass } from './pass.js';

/** The single value of a float32 constant that holds one value everywhere, else null. */
export function splatValue(t: Tensor | null): number | null {
  if (!t?.value || t.dtype !== 'float32' || numElements(t.value.shape) === 0) return null;
  const v = numbers(t.value);
  return v.every((x) => x === v[0]) ? v[0] : null;
}

/** `outer` = clampOp(inner(x, innerBound), outerBound) with inner read only by outer. */
export interface Clamp {
  inner: Node;
  outer: Node;
  x: Tensor;
  /** The constant bound of the inner and the outer op. */
  innerBound: number;
  outerBound: number;
}

/** Match `outer(inner(x, a), b)` for the given op pair (e.g. MINIMUM over MAXIMUM). */
export function matchClamp(g: Graph, readers: Readers, outer: Node, outerOp: string, innerOp: string): Clamp | null {
  if (outer.op !== outerOp || outer.inputs.length !== 2) return null;
  for (const y of outer.inputs) {
    const inner = y?.producer;
    if (!y || !inner || inner.op !== innerOp || inner.inputs.length !== 2 || soleReader(g, readers, y) !== outer) continue;
    const outerBound = splatValue(otherInput(outer, y));
    if (outerBound === null) continue;
    for (const x of inner.inputs) {
      if (!x || x.value || x.dtype !== 'float32') continue;
      const innerBound = splatValue(otherInput(inner, x));
      if (innerBound === null || !sameStaticShape(x, y) || !sameStaticShape(y, outer.output(0))) continue;
      return { inner, outer, x, innerBound, outerBound };
    }
  }
  return null;
}

export const fuseReluN1To1: Pass = {
  name: 'fuse-relu-n1-to-1',
  kind: 'fuse',
  idempotent: true,
  summary: 'turn MINIMUM(MAXIMUM(x, -1), 1) (either order) into RELU_N1_TO_1',
  apply(g: Graph) {
    const readers = g.consumerMap();
    const dead = new Set<Node>();
    const out: Node[] = [];
    for (const n of g.nodes) {
      const m =
        matchClamp(g, readers, n, 'tfl.MINIMUM', 'tfl.MAXIMUM') ?? matchClamp(g, readers, n, 'tfl.MAXIMUM', 'tfl.MINIMUM');
      const lo = m && (m.outer.op === 'tfl.MINIMUM' ? m.innerBound : m.outerBound);
      const hi = m && (m.outer.op === 'tfl.MINIMUM' ? m.outerBound : m.innerBound);
      if (!m || dead.has(m.inner) || lo !== -1 || hi !== 1) {
        out.push(n);
        continue;
      }
      dead.add(m.inner);
      out.push(tflNode(g, n.name, 'RELU_N1_TO_1', [m.x], n.outputs));
    }
    g.nodes = out.filter((n) => !dead.has(n));
    return { graph: g, rewrites: dead.size };
  },
};
