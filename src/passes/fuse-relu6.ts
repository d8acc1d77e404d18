// fuse-relu6: a clamp to [0, 6] written as RELU and MINIMUM (or MAXIMUM and MINIMUM) becomes
// RELU6, which fuse-activation can then fold into the op before it.
//
// Before: y = MINIMUM(RELU(x), 6)   or   y = MINIMUM(MAXIMUM(x, 0), 6)   or   y = MAXIMUM(MINIMUM(x, 6), 0)
// After:  y = RELU6(x)
//
// Same conditions as fuse-relu-n1-to-1: float32, constant bounds holding one value, no
// broadcasting to a bigger shape, the inner op read by the outer op alone.

import { tflNode } from '../graph/build.js';
import type { Graph, Node, Tensor } from '../graph/ir.js';
import { matchClamp, splatValue } from './fuse-relu-n1-to-1.js';
import { otherInput, sameStaticShape, soleReader } from './match.js';
import type { Pass } from './pass.js';

export const fuseRelu6: Pass = {
  name: 'fuse-relu6',
  kind: 'fuse',
  idempotent: true,
  summary: 'turn MINIMUM(RELU(x), 6) and clamps of x to [0, 6] into RELU6',
  apply(g: Graph) {
    const readers = g.consumerMap();
    const dead = new Set<Node>();
    const out: Node[] = [];
    for (const n of g.nodes) {
      let match: { inner: Node; x: Tensor } | null = null;
      // MINIMUM(RELU(x), 6)
      if (n.op === 'tfl.MINIMUM' && n.inputs.length === 2) {
        for (const y of n.inputs) {
          const relu = y?.producer;
          if (!y || relu?.op !== 'tfl.RELU' || soleReader(g, readers, y) !== n || dead.has(relu)) continue;
          const x = relu.input(0);
          if (x.dtype === 'float32' && splatValue(otherInput(n, y)) === 6 && sameStaticShape(x, n.output(0))) match = { inner: relu, x };
        }
      }
      const m = match ? null : (matchClamp(g, readers, n, 'tfl.MINIMUM', 'tfl.MAXIMUM') ?? matchClamp(g, readers, n, 'tfl.MAXIMUM', 'tfl.MINIMUM'));
      if (m && !dead.has(m.inner)) {
        const lo = m.outer.op === 'tfl.MINIMUM' ? m.innerBound : m.outerBound;
        const hi = m.outer.op === 'tfl.MINIMUM' ? m.outerBound : m.innerBound;
        if (lo === 0 && hi === 6) match = { inner: m.inner, x: m.x };
      }
      if (!match) {
        out.push(n);
        continue;
      }
      dead.add(match.inner);
      out.push(tflNode(g, n.name, 'RELU6', [match.x], n.outputs));
    }
    g.nodes = out.filter((n) => !dead.has(n));
    return { graph: g, rewrites: dead.size };
  },
};
