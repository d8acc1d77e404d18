// collapse-reshapes: a RESHAPE whose input comes from another RESHAPE read by nothing else reads
// the first one's input instead; a RESHAPE that does not change the shape disappears.
//
// Before: y = RESHAPE(RESHAPE(x, s1), s2)   After: y = RESHAPE(x, s2)
// Before: y = RESHAPE(x, shape(x))          After: y = x     (unless x is a graph input and y an output)

import { type Graph, type Node, mergeProvenance } from '../graph/ir.js';
import { sameStaticShape, soleReader } from './match.js';
import type { Pass } from './pass.js';

export const collapseReshapes: Pass = {
  name: 'collapse-reshapes',
  kind: 'cleanup',
  idempotent: false,
  summary: 'merge chains of RESHAPE and drop reshapes that change nothing',
  apply(g: Graph) {
    const readers = g.consumerMap();
    const dead = new Set<Node>();
    for (const n of g.nodes) {
      if (n.op !== 'tfl.RESHAPE' || dead.has(n)) continue;
      const x = n.input(0);
      const y = n.output(0);
      const inner = x.producer;
      if (inner && inner.op === 'tfl.RESHAPE' && !dead.has(inner) && soleReader(g, readers, x) === n) {
        n.inputs[0] = inner.input(0);
        mergeProvenance(n, inner);
        dead.add(inner);
        continue;
      }
      const sigEqual = JSON.stringify(x.signature) === JSON.stringify(y.signature);
      const keepsBoundary = g.inputs.includes(x) || x.isConstant || g.isGraphOutput(x);
      if (sameStaticShape(x, y) && sigEqual && !(keepsBoundary && g.isGraphOutput(y))) {
        g.replaceAllUses(y, x);
        dead.add(n);
      }
    }
    g.removeNodes(dead);
    return { graph: g, rewrites: dead.size };
  },
};
