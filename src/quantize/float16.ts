// --quantize float16: every float32 constant an op reads is stored as float16 and read through a
// DEQUANTIZE, as TFLiteConverter does with optimizations=[DEFAULT] and
// target_spec.supported_types=[tf.float16] (prepare_quantize_dynamic_range.cc with DT_HALF, and
// the legacy QuantizeWeightsFloat16 before it): weights and biases alike, whatever their size;
// activations stay float32. Values outside the float16 range are clamped to +-65504.

import type { ConvertedGraphs } from '../convert/convert.js';
import type { Graph } from '../graph/ir.js';
import type { QuantizeContext, QuantizeResult } from './index.js';
import type { QuantizeOptions } from './options.js';
import { constantReaders, constantTensor, dequantizeFor, refreshOpVersions } from './rewrite.js';
import { toFloat16 } from './math.js';

/** Convert one graph's float32 constants in place; returns how many. */
export function quantizeGraphFloat16(g: Graph): number {
  let count = 0;
  for (const [t, readers] of constantReaders(g)) {
    if (t.dtype !== 'float32' || !t.value) continue;
    const half = constantTensor(g, t.name, toFloat16(t.value), null);
    // The float32 tensor disappears from the graph: the DEQUANTIZE output stands in for it.
    dequantizeFor(g, half, readers, `${t.name}_dequantize`);
    count++;
  }
  refreshOpVersions(g);
  return count;
}

export async function quantizeFloat16(c: ConvertedGraphs, _options: QuantizeOptions, _ctx: QuantizeContext): Promise<QuantizeResult> {
  let n = 0;
  for (const g of c.graphs) n += quantizeGraphFloat16(g);
  return { graphs: c.graphs, notes: [`float16: ${n} constant${n === 1 ? '' : 's'} stored as float16 with DEQUANTIZE`] };
}
