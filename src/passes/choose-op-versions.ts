// choose-op-versions: every TFLite node gets the lowest op version its features need
// (src/lower/op-versions.ts). Runs last: fusions and quantization change the features.

import type { Graph } from '../graph/ir.js';
import { opVersion } from '../lower/op-versions.js';
import type { Pass } from './pass.js';

export const chooseOpVersions: Pass = {
  name: 'choose-op-versions',
  kind: 'finalize',
  idempotent: true,
  summary: 'set each TFLite op to the lowest version its features need',
  apply(g: Graph) {
    let rewrites = 0;
    for (const n of g.nodes) {
      if (!n.isTflite) continue;
      const v = opVersion(n);
      if (v !== n.version) {
        n.version = v;
        rewrites++;
      }
    }
    return { graph: g, rewrites };
  },
};
