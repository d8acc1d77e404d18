// fuse-bias-into-transpose-conv: a per-channel constant added to a TRANSPOSE_CONV's output (the
// BiasAdd of Keras' Conv2DTranspose) becomes its optional fourth input, the bias.
//
// Before: y = ADD(TRANSPOSE_CONV(output_shape, W, x), c)     (c scalar or [O]; SUB: y - c)
// After:  y = TRANSPOSE_CONV(output_shape, W, x, c)          (version 3, TFLite 2.3)
//
// Applies to float32 transpose convs without a bias yet, when the ADD has no fused activation
// (TRANSPOSE_CONV cannot take one below version 4) and does not broadcast the output bigger.

import type { Graph, Node } from '../graph/ir.js';
import { otherInput, perChannel, sameStaticShape, soleReader } from './match.js';
import type { Pass } from './pass.js';

export const fuseBiasIntoTransposeConv: Pass = {
  name: 'fuse-bias-into-transpose-conv',
  kind: 'fuse',
  idempotent: true,
  summary: 'fold a per-channel constant ADD/SUB after a TRANSPOSE_CONV into its bias input',
  apply(g: Graph) {
    const readers = g.consumerMap();
    const dead = new Set<Node>();
    for (const tc of g.nodes) {
      if (tc.op !== 'tfl.TRANSPOSE_CONV' || (tc.inputs.length > 3 && tc.inputs[3] !== null)) continue;
      const y = tc.output(0);
      const w = tc.inputs[1];
      const add = soleReader(g, readers, y);
      if (!add || (add.op !== 'tfl.ADD' && add.op !== 'tfl.SUB') || add.options.fused_activation_function) continue;
      if (add.op === 'tfl.SUB' && add.inputs[0] !== y) continue;
      if (y.dtype !== 'float32' || !w?.value || !sameStaticShape(add.output(0), y)) continue;
      const channels = w.value.shape[0];
      const c = perChannel(otherInput(add, y), channels);
      if (!c) continue;
      const sign = add.op === 'tfl.SUB' ? -1 : 1;
      tc.inputs = [tc.inputs[0], tc.inputs[1], tc.inputs[2], g.constant(`${tc.name}/bias`, {
        dtype: 'float32',
        shape: [channels],
        data: Float32Array.from(c, (v) => sign * v),
      })];
      g.replaceAllUses(add.output(0), y);
      dead.add(add);
    }
    g.removeNodes(dead);
    return { graph: g, rewrites: dead.size };
  },
};
