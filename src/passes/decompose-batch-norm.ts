// decompose-batch-norm: an inference FusedBatchNorm becomes a per-channel multiply and add with
// folded constants, which fuse-mul-into-conv / fuse-add-into-bias then fold into the preceding
// conv, depthwise or fully-connected weights (TFLite's converter does the same in two steps).
//
// Before: y = FusedBatchNormV3(x, gamma, beta, mean, var){epsilon, is_training=false}
// After:  y = Add(Mul(x, m), b)   with m = gamma / sqrt(var + epsilon), b = beta - mean * m
//
// Applies only to NHWC, is_training=false, constant parameters, and when only y is read.

import { f32Const } from '../graph/build.js';
import { type Graph, Node, Tensor, provenance } from '../graph/ir.js';
import { batchNormScaleOffset } from '../graph/ops/nn.js';
import type { Pass } from './pass.js';

const BATCH_NORMS = new Set(['FusedBatchNorm', 'FusedBatchNormV2', 'FusedBatchNormV3']);

export const decomposeBatchNorm: Pass = {
  name: 'decompose-batch-norm',
  kind: 'fold',
  idempotent: true,
  summary: 'turn inference FusedBatchNorm into a per-channel Mul and Add of folded constants',
  handles: [...BATCH_NORMS],
  apply(g: Graph) {
    const readers = g.consumerMap();
    let rewrites = 0;
    const out: Node[] = [];
    for (const n of g.nodes) {
      const params = n.inputs.slice(1, 5);
      const applies =
        BATCH_NORMS.has(n.op) &&
        !n.attrBool('is_training', true) &&
        n.attrString('data_format', 'NHWC') === 'NHWC' &&
        params.every((t) => t?.value && t.dtype === 'float32') &&
        n.outputs.slice(1).every((t) => !readers.has(t) && !g.isGraphOutput(t));
      if (!applies) {
        out.push(n);
        continue;
      }
      const { scale: m, offset: b } = batchNormScaleOffset(n);
      const c = m.length;
      const x = n.input(0);
      const mulOut = new Tensor(`${n.name}/mul`, 'float32', x.shape?.slice() ?? null);
      mulOut.signature = x.signature?.slice() ?? null;
      const mul = new Node(g.uniqueName(`${n.name}/mul`), 'Mul', [x, f32Const(g, `${n.name}/scale`, [c], m)], [mulOut], {
        T: { value: 'type', type: 1 },
      });
      const add = new Node(g.uniqueName(`${n.name}/add`), 'AddV2', [mulOut, f32Const(g, `${n.name}/offset`, [c], b)], [n.output(0)], {
        T: { value: 'type', type: 1 },
      });
      mul.origins = provenance(n).slice();
      add.origins = provenance(n).slice();
      out.push(mul, add);
      rewrites++;
    }
    g.nodes = out;
    return { graph: g, rewrites };
  },
};
