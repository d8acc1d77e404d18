// remove-unused: drop nodes no graph output depends on. Lowering can leave some behind: a
// RESHAPE takes its target as a constant (with -1 for the batch), so the Shape -> StridedSlice
// -> Pack chain that computed the dynamic target in TF is read by nothing any more.
//
// Before: s = PACK(STRIDED_SLICE(SHAPE(x)), 64); y = RESHAPE(x, [-1, 64])   After: y = RESHAPE(x, [-1, 64])

import type { Graph } from '../graph/ir.js';
import type { Pass } from './pass.js';

export const removeUnused: Pass = {
  name: 'remove-unused',
  kind: 'cleanup',
  idempotent: true,
  summary: 'drop nodes that no output depends on',
  apply(g: Graph) {
    const before = g.nodes.length;
    g.sortAndPrune();
    return { graph: g, rewrites: before - g.nodes.length };
  },
};
