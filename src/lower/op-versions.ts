// TFLite op versions: the lowest version whose kernel supports the features a node uses, as
// TFLite's own versioning rules decide (tensorflow/lite/tools/versioning/op_version.cc), and the
// oldest runtime that has every (op, version) of a model (runtime_version.cc). A version the
// runtime lacks makes the model unloadable, so "latest" is never the answer.

import type { Graph, Node, Tensor } from '../graph/ir.js';

/** Version rules per op: the first rule that matches gives the version; default 1. */
type Rule = { when: (n: Node) => boolean; version: number };

const inType = (n: Node, i: number): string | undefined => n.inputs[i]?.dtype;
const outType = (n: Node): string | undefined => n.outputs[0]?.dtype;

// Quantized kernels (the quantization modes): int8 everywhere, hybrid = float input and output
// with int8 weights. Per-channel follows op_signature.cc: as many scales as the weight's
// channel dimension.
const int8In = (n: Node): boolean => inType(n, 0) === 'int8';
const allInt8 = (n: Node): boolean => int8In(n) && inType(n, 1) === 'int8' && outType(n) === 'int8';
const hybrid = (n: Node): boolean => inType(n, 0) === 'float32' && inType(n, 1) === 'int8' && outType(n) === 'float32';
const scalesMatch = (t: Tensor | null | undefined, dim: number): boolean => {
  const s = t?.quant?.scale.length ?? 0;
  return s > 0 && t?.shape !== null && t?.shape !== undefined && s === t.shape[dim];
};
const dequantizePerChannel = (n: Node): boolean => {
  const t = n.inputs[0];
  return (t?.quant?.scale.length ?? 0) > 1 && scalesMatch(t, t?.quant?.axis ?? 0);
};
const quantizePerChannel = (n: Node): boolean => {
  const t = n.outputs[0];
  return (t?.quant?.scale.length ?? 0) > 1 && scalesMatch(t, t?.quant?.axis ?? 0);
};
const int8Simple: Rule[] = [{ when: int8In, version: 2 }];

const RULES: Record<string, Rule[]> = {
  // Filled in op by op with the features tfconv emits; float32 kernels are version 1.
  STRIDED_SLICE: [{ when: (n) => (n.inputs[0]?.rank ?? 0) > 4, version: 4 }],
  TRANSPOSE: [{ when: (n) => (n.inputs[0]?.rank ?? 0) > 4, version: 4 }],
  TRANSPOSE_CONV: [
    { when: (n) => n.inputs.length > 3 && n.inputs[3] !== null, version: 3 },
    { when: (n) => inType(n, 1) === 'int8', version: 2 },
  ],
  FULLY_CONNECTED: [
    { when: (n) => hybrid(n) && scalesMatch(n.inputs[1], 0) && (n.inputs[1]?.quant?.scale.length ?? 0) > 1, version: 12 },
    { when: (n) => n.options.keep_num_dims === true, version: 5 },
    { when: allInt8, version: 4 },
    { when: (n) => hybrid(n) && n.options.asymmetric_quantize_inputs === true, version: 9 },
    { when: hybrid, version: 3 },
  ],
  CONV_2D: [
    { when: allInt8, version: 3 },
    { when: (n) => hybrid(n) && scalesMatch(n.inputs[1], 0), version: 5 },
    { when: hybrid, version: 2 },
  ],
  DEPTHWISE_CONV_2D: [
    { when: (n) => hybrid(n) && scalesMatch(n.inputs[1], 3), version: 6 },
    { when: hybrid, version: 4 },
    { when: allInt8, version: 3 },
  ],
  BATCH_MATMUL: [
    { when: (n) => inType(n, 0) === 'int16', version: 3 },
    { when: int8In, version: 2 },
    { when: (n) => hybrid(n) && n.options.asymmetric_quantize_inputs === true, version: 4 },
  ],
  DEQUANTIZE: [
    { when: (n) => inType(n, 0) === 'int16' || inType(n, 0) === 'float16', version: 3 },
    { when: (n) => int8In(n) && dequantizePerChannel(n), version: 5 },
    { when: int8In, version: 2 },
  ],
  QUANTIZE: [
    { when: quantizePerChannel, version: 3 },
    { when: (n) => outType(n) === 'int16', version: 2 },
  ],
  SOFTMAX: [{ when: (n) => inType(n, 0) === 'int16', version: 3 }, ...int8Simple],
  LOGISTIC: int8Simple,
  TANH: int8Simple,
  RELU: int8Simple,
  RELU6: int8Simple,
  ADD: int8Simple,
  MAX_POOL_2D: int8Simple,
  AVERAGE_POOL_2D: int8Simple,
  FAKE_QUANT: [{ when: (n) => n.options.narrow_range === true, version: 2 }],
  RESIZE_BILINEAR: [{ when: (n) => n.options.half_pixel_centers === true, version: 3 }],
  RESIZE_NEAREST_NEIGHBOR: [{ when: (n) => n.options.half_pixel_centers === true, version: 3 }],
  GATHER: [
    { when: (n) => Number(n.options.batch_dims ?? 0) !== 0, version: 5 },
    { when: int8In, version: 2 },
  ],
  CAST: [{ when: (n) => inType(n, 0) === 'int8' || inType(n, 0) === 'uint16', version: 2 }],
};

export function opVersion(n: Node): number {
  const name = n.op.slice('tfl.'.length);
  for (const r of RULES[name] ?? []) if (r.when(n)) return r.version;
  return 1;
}

/** Runtime versions that introduced an (op, version); absent pairs date from 1.5.0. */
const RUNTIME: Record<string, string> = {
  'FULLY_CONNECTED/5': '2.0.0',
  'TRANSPOSE_CONV/3': '2.5.0',
  'STRIDED_SLICE/4': '2.3.0',
  'TRANSPOSE/4': '2.3.0',
  'RESIZE_BILINEAR/3': '2.2.0',
  'RESIZE_NEAREST_NEIGHBOR/3': '2.3.0',
  'GATHER/5': '2.6.0',
  'CAST/2': '2.7.0',
  // Quantized kernels (runtime_version.cc).
  'FULLY_CONNECTED/3': '1.14.0',
  'FULLY_CONNECTED/4': '1.14.0',
  'FULLY_CONNECTED/9': '2.3.0',
  'FULLY_CONNECTED/12': '2.17.0',
  'CONV_2D/2': '1.14.0',
  'CONV_2D/3': '1.14.0',
  'CONV_2D/5': '2.4.0',
  'DEPTHWISE_CONV_2D/3': '1.14.0',
  'DEPTHWISE_CONV_2D/4': '2.2.0',
  'DEPTHWISE_CONV_2D/6': '2.3.0',
  'BATCH_MATMUL/2': '2.3.0',
  'BATCH_MATMUL/4': '2.5.0',
  'DEQUANTIZE/2': '1.14.0',
  'DEQUANTIZE/3': '1.15.0',
  'DEQUANTIZE/5': '2.7.0',
  'QUANTIZE/1': '1.14.0',
  'QUANTIZE/3': '2.7.0',
  'SOFTMAX/2': '1.14.0',
  'LOGISTIC/2': '1.14.0',
  'TANH/2': '1.14.0',
  'RELU/2': '2.1.0',
  'RELU6/2': '1.14.0',
  'ADD/2': '1.14.0',
  'MAX_POOL_2D/2': '1.14.0',
  'AVERAGE_POOL_2D/2': '1.14.0',
  'TRANSPOSE_CONV/2': '2.2.0',
  'GATHER/2': '1.14.0',
  'FAKE_QUANT/2': '1.10.0',
};

export function minRuntimeVersionOf(graphs: readonly Graph[]): string {
  let best = '1.5.0';
  for (const g of graphs) {
    for (const n of g.nodes) {
      if (!n.isTflite) continue;
      const v = RUNTIME[`${n.op.slice(4)}/${n.version}`];
      if (v && compareVersions(v, best) > 0) best = v;
    }
  }
  return best;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}
