// fold-constants: compute every tensor whose inputs are all constants (Shape of a static shape,
// arithmetic on weights, transposes of constants, ...) and make it a constant; the nodes that
// computed them go. Values come from the op semantics table (src/graph/ops), computed in float64
// and rounded once into the tensor's dtype, so folding is deterministic.
//
// Folding that would blow a small constant up into a huge one (Tile, Fill, BroadcastTo of a
// splat) is skipped: TFLite computes those at run time more cheaply than it stores them.

import { numElements } from '../core/tensor.js';
import type { Graph, Node } from '../graph/ir.js';
import { inferAtOtherSize, inferGraph } from '../graph/infer.js';
import type { TensorValue } from '../core/tensor.js';
import type { Pass } from './pass.js';

const GROWTH_LIMIT_ELEMENTS = 1 << 20;
const GROWTH_FACTOR = 8;

export const foldConstants: Pass = {
  name: 'fold-constants',
  kind: 'fold',
  idempotent: true,
  summary: 'replace subgraphs of constants by their computed values',
  apply(g: Graph) {
    // The growth rule is applied inside inference too, so a huge value is never computed.
    const { tensors } = inferGraph(g, {
      unknownDim: 1,
      maxValueElements: Number.POSITIVE_INFINITY,
      growth: { elements: GROWTH_LIMIT_ELEMENTS, factor: GROWTH_FACTOR },
    });
    // Values computed from shapes (Shape(x) -> StridedSlice -> Pack) may follow an unknown batch
    // dimension: folded at batch 1 they would pin the batch (a RESHAPE to [1, 28, 28]). Such a
    // value is only folded when it is the same at another size; the reshape lowering turns the
    // dynamic ones into a constant shape with -1 anyway, and what computed them is then unused.
    const dynamic = g.inputs.some((t) => (t.signature ?? t.shape)?.some((d) => d < 0));
    const other = dynamic ? inferAtOtherSize(g) : null;
    const dead = new Set<Node>();
    for (const n of g.nodes) {
      if (n.outputs.length === 0) continue;
      const values = n.outputs.map((t) => tensors.get(t)?.value ?? null);
      if (values.some((v) => v === null)) continue;
      const fromShapes = n.inputs.some((t) => t !== null && !t.isConstant);
      if (other && fromShapes && !n.outputs.every((t, i) => sameValue(other.tensors.get(t)?.value ?? null, values[i]))) continue;
      const inElements = n.inputs.reduce((s, t) => s + (t?.value ? numElements(t.value.shape) : 0), 0);
      const outElements = values.reduce((s, v) => s + numElements((v as NonNullable<typeof v>).shape), 0);
      if (outElements > GROWTH_LIMIT_ELEMENTS && outElements > GROWTH_FACTOR * inElements) continue;
      n.outputs.forEach((t, i) => {
        const v = values[i] as NonNullable<(typeof values)[number]>;
        t.value = v;
        t.dtype = v.dtype;
        t.shape = v.shape.slice();
        t.signature = v.shape.slice();
        t.producer = null;
      });
      dead.add(n);
    }
    g.removeNodes(dead);
    return { graph: g, rewrites: dead.size };
  },
};

function sameValue(a: TensorValue | null, b: TensorValue | null): boolean {
  if (!a || !b || a.dtype !== b.dtype || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return false;
  if (Array.isArray(a.data) || Array.isArray(b.data)) return false;
  if (a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}
