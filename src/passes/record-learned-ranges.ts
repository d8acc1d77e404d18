// record-learned-ranges: the quantization ranges a QAT graph learned become records on tensors,
// before folding erases them. Every FakeQuantWithMinMax{Args,Vars,VarsPerChannel} and
// QuantizeAndDequantize{V2,V3,V4} whose range is known without running the graph puts its range
// (src/quantize/learned-range.ts) into Tensor.quant of its output.
//
// Before: w' = FakeQuantWithMinMaxVars(w, min, max)           (weights: folded next)
// After:  the same, with w'.quant = { min, max, numBits, narrowRange }
//
// The float conversion is unchanged: fake-quant ops on weights fold to the fake-quantized values
// (TensorFlow's own arithmetic), those on activations lower to FAKE_QUANT. Only the int8
// quantizer reads the records: learned ranges replace calibration.

import type { TensorValue } from '../core/tensor.js';
import type { Graph, Tensor } from '../graph/ir.js';
import { inferGraph } from '../graph/infer.js';
import { FAKE_QUANT_OPS, learnedRangeOf, rangeAsQuant } from '../quantize/learned-range.js';
import type { Pass } from './pass.js';

export const recordLearnedRanges: Pass = {
  name: 'record-learned-ranges',
  kind: 'prepare',
  idempotent: true,
  summary: 'keep the ranges of FakeQuant/QuantizeAndDequantize ops (QAT) on their output tensors',
  apply(g: Graph) {
    const nodes = g.nodes.filter((n) => FAKE_QUANT_OPS.has(n.op));
    if (nodes.length === 0) return { graph: g, rewrites: 0 };
    // min/max (and weights, for ranges computed from the data) may still be small computations.
    const { tensors } = inferGraph(g, { unknownDim: 1, maxValueElements: Number.POSITIVE_INFINITY });
    const valueOf = (t: Tensor | null): TensorValue | null => (t ? (t.value ?? tensors.get(t)?.value ?? null) : null);
    let rewrites = 0;
    for (const n of nodes) {
      const out = n.outputs[0];
      if (!out || out.quant) continue;
      const range = learnedRangeOf(n, valueOf);
      if (typeof range === 'string') continue;
      out.quant = rangeAsQuant(range);
      rewrites++;
    }
    return { graph: g, rewrites };
  },
};
