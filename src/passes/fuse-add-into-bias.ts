// fuse-add-into-bias: a per-channel constant added to (or subtracted from) the output of a conv,
// depthwise conv or fully-connected layer joins its bias (BiasAdd and batch norm's offset).
//
// Before: y = ADD(CONV_2D(x, W, b), c)   (c scalar or [C]; no fused activation on the conv)
// After:  y = CONV_2D(x, W, b + c)       (SUB: b - c)

import { type Graph, type Node, mergeProvenance } from '../graph/ir.js';
import { numbers } from '../graph/ops/util.js';
import { biasedLayerThen, otherInput, perChannel, sameStaticShape } from './match.js';
import type { Pass } from './pass.js';

const ADD_OR_SUB: ReadonlySet<string> = new Set(['tfl.ADD', 'tfl.SUB']);

export const fuseAddIntoBias: Pass = {
  name: 'fuse-add-into-bias',
  kind: 'fuse',
  idempotent: false,
  summary: 'fold a per-channel constant ADD/SUB into the preceding conv/depthwise/fully-connected bias',
  apply(g: Graph) {
    const readers = g.consumerMap();
    const dead = new Set<Node>();
    for (const conv of g.nodes) {
      const m = biasedLayerThen(g, readers, conv, ADD_OR_SUB, dead);
      if (!m) continue;
      const { y, next: add } = m;
      // SUB only folds as y - c, not c - y.
      if (add.op === 'tfl.SUB' && add.inputs[0] !== y) continue;
      const b = conv.inputs[2];
      if (!b?.value || b.dtype !== 'float32') continue;
      const channels = b.value.shape[0];
      const c = perChannel(otherInput(add, y), channels);
      if (!c || !sameStaticShape(add.output(0), y)) continue;
      const sign = add.op === 'tfl.SUB' ? -1 : 1;
      conv.inputs[2] = g.constant(`${b.name}/biased`, {
        dtype: 'float32',
        shape: [channels],
        data: Float32Array.from(numbers(b.value), (v, i) => v + sign * c[i]),
      });
      conv.options = { ...conv.options, fused_activation_function: add.options.fused_activation_function ?? 0 };
      g.replaceAllUses(add.output(0), y);
      mergeProvenance(conv, add);
      dead.add(add);
    }
    g.removeNodes(dead);
    return { graph: g, rewrites: dead.size };
  },
};
