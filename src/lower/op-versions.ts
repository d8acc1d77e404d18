// TFLite op versions: the lowest version whose kernel supports the features a node uses, as
// TFLite's own versioning rules decide (tensorflow/lite/tools/versioning/op_version.cc), and the
// oldest runtime that has every (op, version) of a model (runtime_version.cc). A version the
// runtime lacks makes the model unloadable, so "latest" is never the answer.

import type { Graph, Node } from '../graph/ir.js';

/** Version rules per op: the first rule that matches gives the version; default 1. */
type Rule = { when: (n: Node) => boolean; version: number };

const inType = (n: Node, i: number): string | undefined => n.inputs[i]?.dtype;

const BASE_RULES: Record<string, Rule[]> = {
  // Filled in op by op with the features tfconv emits; float32 kernels are version 1.
  STRIDED_SLICE: [{ when: (n) => (n.inputs[0]?.rank ?? 0) > 4, version: 4 }],
  TRANSPOSE: [{ when: (n) => (n.inputs[0]?.rank ?? 0) > 4, version: 4 }],
  TRANSPOSE_CONV: [{ when: (n) => n.inputs.length > 3 && n.inputs[3] !== null, version: 3 }],
  FULLY_CONNECTED: [{ when: (n) => n.options.keep_num_dims === true, version: 5 }],
  RESIZE_BILINEAR: [{ when: (n) => n.options.half_pixel_centers === true, version: 3 }],
  RESIZE_NEAREST_NEIGHBOR: [{ when: (n) => n.options.half_pixel_centers === true, version: 3 }],
  GATHER: [{ when: (n) => Number(n.options.batch_dims ?? 0) !== 0, version: 5 }],
  CAST: [{ when: (n) => inType(n, 0) === 'int8' || inType(n, 0) === 'uint16', version: 2 }],
};

// --- int8 (full-integer quantization), from op_version.cc: the version an int8 kernel needs
// when no higher feature applies. Checked after the rules above (feature versions include int8).
// Added by the int8 quantizer (branch q8); the op-versions owner may fold these into the rules.
const int8In = (i: number) => (n: Node) => inType(n, i) === 'int8';
const INT8_VERSION_RULES: Record<string, Rule[]> = {
  CONV_2D: [{ when: (n) => inType(n, 0) === 'int8' && inType(n, 1) === 'int8', version: 3 }],
  DEPTHWISE_CONV_2D: [{ when: (n) => inType(n, 0) === 'int8' && inType(n, 1) === 'int8', version: 3 }],
  FULLY_CONNECTED: [
    { when: (n) => n.inputs.length === 2 || n.inputs[2] === null, version: 6 },
    { when: (n) => inType(n, 0) === 'int8' && inType(n, 1) === 'int8', version: 4 },
  ],
  TRANSPOSE_CONV: [{ when: (n) => inType(n, 1) === 'int8', version: 2 }],
  DEQUANTIZE: [{ when: int8In(0), version: 2 }],
  MUL: [{ when: (n) => inType(n, 0) === 'int8' && mulRescaleAtLeastOne(n), version: 3 }, { when: int8In(0), version: 2 }],
  SPLIT: [{ when: int8In(1), version: 2 }],
  TILE: [{ when: int8In(0), version: 3 }],
  RESIZE_NEAREST_NEIGHBOR: [{ when: (n) => n.options.align_corners === true, version: 3 }, { when: int8In(0), version: 2 }],
  SUB: [{ when: (n) => inType(n, 0) === 'int8' && broadcastOver4d(n), version: 3 }, { when: int8In(0), version: 2 }],
  MAXIMUM: [{ when: (n) => broadcastOver4d(n), version: 3 }, { when: int8In(0), version: 2 }],
  MINIMUM: [{ when: (n) => broadcastOver4d(n), version: 3 }, { when: int8In(0), version: 2 }],
  SPACE_TO_BATCH_ND: [{ when: (n) => (n.inputs[0]?.rank ?? 4) !== 4, version: 3 }, { when: int8In(0), version: 2 }],
  BATCH_TO_SPACE_ND: [{ when: (n) => (n.inputs[0]?.rank ?? 4) !== 4, version: 3 }, { when: int8In(0), version: 2 }],
  SELECT: [{ when: int8In(1), version: 2 }],
};
// Ops whose int8 kernel is version 2 and nothing else changes that (op_version.cc).
for (const op of [
  'ADD', 'AVERAGE_POOL_2D', 'MAX_POOL_2D', 'CONCATENATION', 'SOFTMAX', 'LOGISTIC', 'TANH', 'MEAN', 'SUM',
  'REDUCE_MAX', 'REDUCE_MIN', 'PAD', 'PADV2', 'MIRROR_PAD', 'RESIZE_BILINEAR', 'TRANSPOSE', 'STRIDED_SLICE',
  'SLICE', 'GATHER', 'SPLIT_V', 'UNPACK', 'PACK', 'RELU', 'RELU6', 'RSQRT', 'ABS', 'LOG_SOFTMAX',
  'SQUARED_DIFFERENCE', 'SPACE_TO_DEPTH', 'DEPTH_TO_SPACE', 'ARG_MAX', 'ARG_MIN', 'EQUAL', 'NOT_EQUAL',
  'LESS', 'LESS_EQUAL', 'GREATER', 'GREATER_EQUAL', 'BATCH_MATMUL', 'L2_NORMALIZATION',
]) {
  (INT8_VERSION_RULES[op] ??= []).push({ when: (n) => inType(n, 0) === 'int8' || n.outputs[0]?.dtype === 'int8', version: 2 });
}

function broadcastOver4d(n: Node): boolean {
  const a = n.inputs[0]?.shape;
  const b = n.inputs[1]?.shape;
  if (!a || !b) return false;
  const differ = a.length !== b.length || a.some((d, i) => d !== b[i]);
  return differ && Math.max(a.length, b.length) > 4;
}

/** MUL v3: int8 with input1_scale * input2_scale / output_scale >= 1. */
function mulRescaleAtLeastOne(n: Node): boolean {
  const s = (t: Node['inputs'][number] | undefined): number => t?.quant?.scale[0] ?? 0;
  const a = s(n.inputs[0]);
  const b = s(n.inputs[1]);
  const o = s(n.outputs[0]);
  return a !== 0 && b !== 0 && o !== 0 && (a * b) / o >= 1;
}

const RULES: Record<string, Rule[]> = Object.fromEntries(
  [...new Set([...Object.keys(BASE_RULES), ...Object.keys(INT8_VERSION_RULES)])].map((op) => [
    op,
    [...(BASE_RULES[op] ?? []), ...(INT8_VERSION_RULES[op] ?? [])],
  ]),
);

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
  // int8 kernels (runtime_version.cc).
  'CONV_2D/3': '1.14.0',
  'DEPTHWISE_CONV_2D/3': '1.14.0',
  'FULLY_CONNECTED/4': '1.14.0',
  'FULLY_CONNECTED/6': '2.1.0',
  'TRANSPOSE_CONV/2': '2.2.0',
  'ADD/2': '1.14.0',
  'SUB/2': '1.14.0',
  'SUB/3': '2.3.0',
  'MUL/2': '1.14.0',
  'MUL/3': '1.15.0',
  'AVERAGE_POOL_2D/2': '1.14.0',
  'MAX_POOL_2D/2': '1.14.0',
  'CONCATENATION/2': '1.14.0',
  'SOFTMAX/2': '1.14.0',
  'LOGISTIC/2': '1.14.0',
  'TANH/2': '1.14.0',
  'MEAN/2': '1.14.0',
  'SUM/2': '1.15.0',
  'REDUCE_MAX/2': '1.14.0',
  'REDUCE_MIN/2': '1.14.0',
  'PAD/2': '1.14.0',
  'PADV2/2': '1.14.0',
  'MIRROR_PAD/2': '2.3.0',
  'RESIZE_BILINEAR/2': '1.14.0',
  'RESIZE_NEAREST_NEIGHBOR/2': '1.14.0',
  'TRANSPOSE/2': '1.14.0',
  'STRIDED_SLICE/2': '1.14.0',
  'SLICE/2': '1.14.0',
  'GATHER/2': '1.14.0',
  'SPLIT/2': '1.14.0',
  'SPLIT_V/2': '2.3.0',
  'UNPACK/2': '1.14.0',
  'PACK/2': '1.14.0',
  'TILE/3': '2.8.0',
  'RELU/2': '2.1.0',
  'RELU6/2': '1.14.0',
  'RSQRT/2': '2.5.0',
  'ABS/2': '2.4.0',
  'LOG_SOFTMAX/2': '1.14.0',
  'SQUARED_DIFFERENCE/2': '2.5.0',
  'SPACE_TO_DEPTH/2': '1.14.0',
  'SPACE_TO_BATCH_ND/2': '1.14.0',
  'BATCH_TO_SPACE_ND/2': '1.14.0',
  'ARG_MAX/2': '1.14.0',
  'ARG_MIN/2': '1.14.0',
  'EQUAL/2': '1.14.0',
  'NOT_EQUAL/2': '1.14.0',
  'LESS/2': '1.14.0',
  'LESS_EQUAL/2': '1.14.0',
  'GREATER/2': '1.14.0',
  'GREATER_EQUAL/2': '1.14.0',
  'SELECT/2': '1.14.0',
  'MAXIMUM/2': '1.14.0',
  'MINIMUM/2': '1.14.0',
  'BATCH_MATMUL/2': '2.3.0',
  'L2_NORMALIZATION/2': '1.14.0',
  'QUANTIZE/1': '1.14.0',
  'DEQUANTIZE/2': '1.14.0',
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
