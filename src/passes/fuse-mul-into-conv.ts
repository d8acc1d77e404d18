// fuse-mul-into-conv: a per-channel multiply by a constant after a conv, depthwise conv or
// fully-connected layer is folded into its weights and bias (batch norm's scale lands here).
//
// Before: y = MUL(CONV_2D(x, W, b), s)        (s scalar or [C]; no fused activation on the conv)
// After:  y = CONV_2D(x, W * s[o], b * s)     (W scaled along its output-channel axis)

import { numElements } from '../core/tensor.js';
import { type Graph, type Node, type Tensor, mergeProvenance } from '../graph/ir.js';
import { numbers } from '../graph/ops/util.js';
import { biasedLayerThen, otherInput, perChannel, sameStaticShape } from './match.js';
import type { Pass } from './pass.js';

const MUL: ReadonlySet<string> = new Set(['tfl.MUL']);

export const fuseMulIntoConv: Pass = {
  name: 'fuse-mul-into-conv',
  kind: 'fuse',
  idempotent: false,
  summary: 'fold a per-channel constant MUL into the preceding conv/depthwise/fully-connected weights',
  apply(g: Graph) {
    const readers = g.consumerMap();
    const dead = new Set<Node>();
    for (const conv of g.nodes) {
      const m = biasedLayerThen(g, readers, conv, MUL, dead);
      if (!m || m.next.options.fused_activation_function) continue;
      const { y, next: mul } = m;
      const w = conv.inputs[1];
      const b = conv.inputs[2];
      if (!w?.value || w.dtype !== 'float32' || !b?.value || b.dtype !== 'float32') continue;
      const channels = b.value.shape[0];
      const s = perChannel(otherInput(mul, y), channels);
      // The product must keep the conv's output shape (a [C] constant cannot widen it).
      if (!s || !sameStaticShape(mul.output(0), y)) continue;
      conv.inputs[1] = g.constant(`${w.name}/scaled`, scaleWeights(conv.op, w, s));
      conv.inputs[2] = g.constant(`${b.name}/scaled`, {
        dtype: 'float32',
        shape: [channels],
        data: Float32Array.from(numbers(b.value), (v, i) => v * s[i]),
      });
      g.replaceAllUses(mul.output(0), y);
      mergeProvenance(conv, mul);
      dead.add(mul);
    }
    g.removeNodes(dead);
    return { graph: g, rewrites: dead.size };
  },
};

/** Scale weights along the output channel: dim 0 for CONV_2D/FC ([O,...]), last for depthwise. */
function scaleWeights(op: string, w: Tensor, s: Float64Array) {
  const v = w.value as NonNullable<Tensor['value']>;
  // The caller checked float32: read it in place (a float64 copy of large weights costs twice
  // their size); each product is still computed in float64 and rounded once on the store.
  const src = v.data as Float32Array;
  const out = new Float32Array(src.length);
  const n = numElements(v.shape);
  if (op === 'tfl.DEPTHWISE_CONV_2D') {
    const c = v.shape[v.shape.length - 1];
    for (let i = 0; i < n; i += c) for (let k = 0; k < c; k++) out[i + k] = src[i + k] * s[k];
  } else {
    const inner = n / v.shape[0];
    for (let o = 0, i = 0; o < v.shape[0]; o++) {
      const so = s[o];
      for (const end = i + inner; i < end; i++) out[i] = src[i] * so;
    }
  }
  return { dtype: 'float32' as const, shape: v.shape.slice(), data: out };
}
