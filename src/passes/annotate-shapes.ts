// annotate-shapes: give every tensor its dtype, static shape (unknown batch as 1) and TFLite
// shape signature (-1 where the dimension follows an unknown input dimension). Lowering and
// fusion passes rely on static shapes, so this runs right before them and again after folding.

import type { Graph } from '../graph/ir.js';
import { annotateShapes } from '../graph/infer.js';
import type { Pass } from './pass.js';

export const annotateShapesPass: Pass = {
  name: 'annotate-shapes',
  kind: 'prepare',
  idempotent: true,
  summary: 'infer static shapes, dtypes and TFLite shape signatures for every tensor',
  apply(g: Graph) {
    annotateShapes(g);
    return { graph: g, rewrites: 0 };
  },
};
