// fold-constants: compute every tensor whose inputs are all constants (Shape of a static shape,
// arithmetic on weights, transposes of constants, ...) and make it a constant; the nodes that
// computed them go. Values come from the op semantics table (src/graph/ops), computed in float64
// and rounded once into the tensor's dtype, so folding is deterministic.
//
// Folding that would blow a small constant up into a huge one (Tile, Fill, BroadcastTo of a
// splat) is skipped: TFLite computes those at run time more cheaply than it stores them.
//
// A value that depends on an unknown (batch) dimension folds at batch 1; a second inference with
// another batch size tells which ones do, and the graph is then marked fixedBatch so that no
// shape_signature claims a dynamic batch the constants would not honour.

import { type TensorValue, numElements, tensorBytes } from '../core/tensor.js';
import type { Graph, Node } from '../graph/ir.js';
import { inferGraph } from '../graph/infer.js';
import type { Pass } from './pass.js';

const GROWTH_LIMIT_ELEMENTS = 1 << 20;
const GROWTH_FACTOR = 8;

export const foldConstants: Pass = {
  name: 'fold-constants',
  kind: 'fold',
  idempotent: true,
  summary: 'replace subgraphs of constants by their computed values',
  apply(g: Graph, ctx) {
    const { tensors } = inferGraph(g, { unknownDim: 1, maxValueElements: Number.POSITIVE_INFINITY });
    const other = inferGraph(g, { unknownDim: 2 });
    const dead = new Set<Node>();
    let batchDependent: string | null = null;
    for (const n of g.nodes) {
      if (n.outputs.length === 0) continue;
      const values = n.outputs.map((t) => tensors.get(t)?.value ?? null);
      if (values.some((v) => v === null)) continue;
      const inElements = n.inputs.reduce((s, t) => s + (t?.value ? numElements(t.value.shape) : 0), 0);
      const outElements = values.reduce((s, v) => s + numElements((v as NonNullable<typeof v>).shape), 0);
      if (outElements > GROWTH_LIMIT_ELEMENTS && outElements > GROWTH_FACTOR * inElements) continue;
      n.outputs.forEach((t, i) => {
        const v = values[i] as NonNullable<(typeof values)[number]>;
        const w = other.tensors.get(t)?.value;
        if (w && !sameValue(v, w)) batchDependent ??= n.name;
        t.value = v;
        t.dtype = v.dtype;
        t.shape = v.shape.slice();
        t.signature = v.shape.slice();
        t.producer = null;
      });
      dead.add(n);
    }
    g.removeNodes(dead);
    if (batchDependent !== null && !g.fixedBatch) {
      g.fixedBatch = true;
      ctx.log(`note: '${batchDependent}' computes a value from the batch size; the model is written for batch 1 (no dynamic batch in shape_signature)`);
    }
    return { graph: g, rewrites: dead.size };
  },
};

function sameValue(a: TensorValue, b: TensorValue): boolean {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return false;
  if (Array.isArray(a.data) || Array.isArray(b.data)) return true;
  return Buffer.compare(tensorBytes(a), tensorBytes(b)) === 0;
}
