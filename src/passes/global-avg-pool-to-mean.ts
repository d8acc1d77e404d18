// global-avg-pool-to-mean: an AVERAGE_POOL_2D whose window covers the whole (static) input
// height and width with VALID padding is a MEAN over axes 1 and 2 (keep_dims). Same values in
// float; what changes is quantization: TFLite's int8 AVERAGE_POOL_2D must keep its input's scale,
// so the averaged values (much smaller than the largest input activation) land on a handful of
// levels, while int8 MEAN has its own output scale. TFLite's converter lowers Keras
// GlobalAveragePooling2D to MEAN for the same reason. Run by --quantize int8 only.
//
// Before: y = AVERAGE_POOL_2D(x){filter = HxW of x, VALID, no activation}
// After:  y = MEAN(x, [1, 2]){keep_dims}

import { i32Const, tflNode } from '../graph/build.js';
import { type Graph, type Node, mergeProvenance } from '../graph/ir.js';
import { ACTIVATION, PADDING } from '../lower/helpers.js';
import type { Pass } from './pass.js';

export function isGlobalAvgPool(n: Node): boolean {
  if (n.op !== 'tfl.AVERAGE_POOL_2D') return false;
  const s = n.inputs[0]?.shape;
  const o = n.outputs[0]?.shape;
  if (!s || s.length !== 4 || !o || o.length !== 4 || s.some((d) => d < 0)) return false;
  // A height or width known only at run time (-1 in the signature) has its batch-1 size here: the
  // window covers it at that size only.
  const sig = n.inputs[0]?.signature;
  if (sig && sig.length === 4 && (sig[1] < 0 || sig[2] < 0)) return false;
  return (
    n.options.filter_height === s[1] &&
    n.options.filter_width === s[2] &&
    n.options.padding === PADDING.VALID &&
    (n.options.fused_activation_function ?? ACTIVATION.NONE) === ACTIVATION.NONE &&
    o[1] === 1 &&
    o[2] === 1
  );
}

export const globalAvgPoolToMean: Pass = {
  name: 'global-avg-pool-to-mean',
  kind: 'lower',
  idempotent: true,
  summary: 'turn an AVERAGE_POOL_2D over the whole input into MEAN over height and width (int8: own output scale)',
  apply(g: Graph) {
    let rewrites = 0;
    g.nodes = g.nodes.map((n) => {
      if (!isGlobalAvgPool(n)) return n;
      const mean = tflNode(g, n.name, 'MEAN', [n.input(0), i32Const(g, `${n.name}/axes`, [1, 2])], n.outputs, { keep_dims: true });
      mergeProvenance(mean, n);
      rewrites++;
      return mean;
    });
    return { graph: g, rewrites };
  },
};
