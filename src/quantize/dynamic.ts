// --quantize dynamic: int8 weights, float activations, as TFLiteConverter does with
// optimizations=[DEFAULT] and no representative data (the MLIR dynamic-range quantizer,
// prepare_quantize_dynamic_range.cc, and the ops' DynamicRangeQuantizedOpInterface in
// tfl_ops.td):
// - float32 constants with at least 1024 elements at the weight input of the ops below become
//   int8, symmetric, narrow range [-127, 127]; smaller ones stay float (kernel launch and scale
//   overhead outweigh the bytes);
// - ops with a hybrid kernel (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, BATCH_MATMUL) read the
//   int8 weights directly and quantize their input on the fly; FULLY_CONNECTED and BATCH_MATMUL
//   get asymmetric_quantize_inputs = true, as the converter sets it;
// - ops without one (TRANSPOSE_CONV, GATHER, EMBEDDING_LOOKUP) read DEQUANTIZE(int8 weights):
//   smaller file, float kernel;
// - every other op keeps its float constants (TFLite does not quantize them either).
//
// One deliberate difference: FULLY_CONNECTED weights are quantized per tensor, not per output
// channel. The current converter writes per-channel hybrid FULLY_CONNECTED as op version 12,
// which TFLite runtimes before 2.17 (including the WASM runtime tfconv verifies with, which
// registers versions 1-9) cannot load; per-tensor is version 9, which TFLiteConverter also writes
// with _experimental_disable_per_channel_quantization_for_dense_layers.

import { type TensorValue, numElements } from '../core/tensor.js';
import type { ConvertedGraphs } from '../convert/convert.js';
import type { Graph, Node, Tensor } from '../graph/ir.js';
import type { QuantizeContext, QuantizeResult } from './index.js';
import type { QuantizeOptions } from './options.js';
import { constantReaders, dequantizeFor, quantizedTensor, refreshOpVersions } from './rewrite.js';
import { quantizeWeightsSymmetric } from './math.js';

/** Constants smaller than this stay float (TFLite's minimum_elements_for_weights). */
export const DYNAMIC_MIN_ELEMENTS = 1024;

export interface DynamicRule {
  /** The weight inputs that are quantized. */
  inputs: number[];
  /** Per-channel axis of the weights, or null for one scale. */
  axis: number | null;
  /** A hybrid kernel reads int8 weights; otherwise a DEQUANTIZE feeds the float kernel. */
  hybrid: boolean;
  /** Set asymmetric_quantize_inputs (hybrid kernels that quantize inputs with a zero point). */
  asymmetricInputs?: boolean;
}

/** Which ops get int8 weights in dynamic-range mode, and how. */
export const DYNAMIC_RULES: Readonly<Record<string, DynamicRule>> = {
  'tfl.CONV_2D': { inputs: [1], axis: 0, hybrid: true },
  'tfl.DEPTHWISE_CONV_2D': { inputs: [1], axis: 3, hybrid: true },
  'tfl.FULLY_CONNECTED': { inputs: [1], axis: null, hybrid: true, asymmetricInputs: true },
  'tfl.BATCH_MATMUL': { inputs: [1], axis: null, hybrid: true, asymmetricInputs: true },
  'tfl.TRANSPOSE_CONV': { inputs: [1], axis: 0, hybrid: false },
  'tfl.EMBEDDING_LOOKUP': { inputs: [1], axis: 0, hybrid: false },
  'tfl.GATHER': { inputs: [0], axis: null, hybrid: false },
};

export interface DynamicStats {
  /** Constants quantized to int8 (one per weight tensor and axis). */
  quantized: number;
  /** Weight inputs left float because they are small. */
  small: number;
  /** DEQUANTIZE ops added for ops without a hybrid kernel. */
  dequantized: number;
}

type Reader = { node: Node; index: number };

/** One int8 tensor to make: a float constant quantized along one axis, and who reads it. */
interface Plan {
  t: Tensor;
  axis: number | null;
  hybrid: Reader[];
  weightOnly: Reader[];
}

/** Quantize one graph's weights in place. */
export function quantizeGraphDynamic(g: Graph): DynamicStats {
  const stats: DynamicStats = { quantized: 0, small: 0, dequantized: 0 };
  const readers = constantReaders(g);
  // Keyed by constant and axis, in first-use order (deterministic).
  const plans = new Map<Tensor, Map<number | null, Plan>>();
  const order: Plan[] = [];
  for (const n of g.nodes) {
    const rule = DYNAMIC_RULES[n.op];
    if (!rule) continue;
    for (const index of rule.inputs) {
      const t = n.inputs[index];
      if (!t?.value || t.dtype !== 'float32') continue;
      if (numElements(t.value.shape) < DYNAMIC_MIN_ELEMENTS) {
        stats.small++;
        continue;
      }
      if (rule.axis !== null && rule.axis >= t.value.shape.length) continue;
      let byAxis = plans.get(t);
      if (!byAxis) plans.set(t, (byAxis = new Map()));
      let p = byAxis.get(rule.axis);
      if (!p) {
        byAxis.set(rule.axis, (p = { t, axis: rule.axis, hybrid: [], weightOnly: [] }));
        order.push(p);
      }
      (rule.hybrid ? p.hybrid : p.weightOnly).push({ node: n, index });
      if (rule.hybrid && rule.asymmetricInputs) n.options = { ...n.options, asymmetric_quantize_inputs: true };
    }
  }
  for (const p of order) {
    const uses = p.hybrid.length + p.weightOnly.length;
    // The int8 tensor takes the float one's name when it replaces it everywhere.
    const only = uses === (readers.get(p.t)?.length ?? 0) && plans.get(p.t)?.size === 1;
    const name = only ? p.t.name : `${p.t.name}/int8${p.axis === null ? '' : `_axis${p.axis}`}`;
    const q = quantizedTensor(g, name, quantizeWeightsSymmetric(p.t.value as TensorValue, p.axis));
    stats.quantized++;
    for (const r of p.hybrid) r.node.inputs[r.index] = q;
    if (p.weightOnly.length > 0) {
      dequantizeFor(g, q, p.weightOnly, `${name}_dequantize`);
      stats.dequantized++;
    }
  }
  refreshOpVersions(g);
  return stats;
}

export async function quantizeDynamic(c: ConvertedGraphs, _options: QuantizeOptions, _ctx: QuantizeContext): Promise<QuantizeResult> {
  let total: DynamicStats = { quantized: 0, small: 0, dequantized: 0 };
  for (const g of c.graphs) {
    const s = quantizeGraphDynamic(g);
    total = { quantized: total.quantized + s.quantized, small: total.small + s.small, dequantized: total.dequantized + s.dequantized };
  }
  const notes: string[] = [];
  notes.push(
    `dynamic range: ${total.quantized} weight tensor${total.quantized === 1 ? '' : 's'} quantized to int8` +
      (total.small ? `, ${total.small} kept float (< ${DYNAMIC_MIN_ELEMENTS} elements)` : '') +
      (total.dequantized ? `, ${total.dequantized} DEQUANTIZE for ops without hybrid kernels` : ''),
  );
  if (c.graphs.some((g) => g.nodes.some((n) => n.op === 'tfl.FAKE_QUANT'))) {
    notes.push('the model has learned quantization ranges (FakeQuant, QAT): --quantize int8 uses them for a full-integer model');
  }
  return { graphs: c.graphs, notes };
}
