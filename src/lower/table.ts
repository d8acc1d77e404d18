// The TF -> TFLite lowering table: one entry per TF op. Simple rules are one line; weight layout
// and padding cases are small functions below. The support check, the legalize pass and the
// generated docs (docs/supported-ops.md) all read this table.

import { dtypeFromTf, tfliteType } from '../core/dtype.js';
import { err } from '../errors/index.js';
import { tflNode } from '../graph/build.js';
import { type Graph, type Node, Tensor } from '../graph/ir.js';
import {
  FAKE_QUANT_OPS,
  type LearnedRange,
  depthwiseQuant,
  fakeQuantKernelRange,
  learnedRangeOf,
  rangeAsQuant,
  transposedQuant,
} from '../quantize/learned-range.js';
import {
  ACTIVATION,
  type Lowering,
  asInt32,
  constValues,
  padding,
  requireConstInput,
  reshapeNode,
  same,
  transposeValue,
  withInt32Inputs,
  zeroBias,
} from './helpers.js';

const noAct = { fused_activation_function: ACTIVATION.NONE };

const BINARY: Record<string, string> = {
  Add: 'ADD',
  AddV2: 'ADD',
  BiasAdd: 'ADD',
  Sub: 'SUB',
  Mul: 'MUL',
  RealDiv: 'DIV',
  Div: 'DIV',
};
const BINARY_PLAIN: Record<string, string> = {
  Maximum: 'MAXIMUM',
  Minimum: 'MINIMUM',
  SquaredDifference: 'SQUARED_DIFFERENCE',
  Pow: 'POW',
  FloorDiv: 'FLOOR_DIV',
  FloorMod: 'FLOOR_MOD',
  Equal: 'EQUAL',
  NotEqual: 'NOT_EQUAL',
  Less: 'LESS',
  LessEqual: 'LESS_EQUAL',
  Greater: 'GREATER',
  GreaterEqual: 'GREATER_EQUAL',
  LogicalAnd: 'LOGICAL_AND',
  LogicalOr: 'LOGICAL_OR',
  SelectV2: 'SELECT_V2',
  Select: 'SELECT',
};
const UNARY: Record<string, string> = {
  Relu: 'RELU',
  Relu6: 'RELU6',
  Elu: 'ELU',
  Sigmoid: 'LOGISTIC',
  Tanh: 'TANH',
  Rsqrt: 'RSQRT',
  Sqrt: 'SQRT',
  Exp: 'EXP',
  Log: 'LOG',
  Square: 'SQUARE',
  Abs: 'ABS',
  Neg: 'NEG',
  Sin: 'SIN',
  Cos: 'COS',
  Floor: 'FLOOR',
  Ceil: 'CEIL',
  Round: 'ROUND',
  Sign: 'SIGN',
  LogicalNot: 'LOGICAL_NOT',
  LogSoftmax: 'LOG_SOFTMAX',
  ZerosLike: 'ZEROS_LIKE',
  Rank: 'RANK',
};

const REDUCERS: Record<string, string> = {
  Mean: 'MEAN',
  Sum: 'SUM',
  Max: 'REDUCE_MAX',
  Min: 'REDUCE_MIN',
  Prod: 'REDUCE_PROD',
  Any: 'REDUCE_ANY',
  All: 'REDUCE_ALL',
};

export const LOWERINGS: Record<string, Lowering> = {
  ...Object.fromEntries(Object.entries(BINARY).map(([tf, tfl]) => [tf, same(tfl, () => noAct)])),
  ...Object.fromEntries(Object.entries(BINARY_PLAIN).map(([tf, tfl]) => [tf, same(tfl)])),
  ...Object.fromEntries(Object.entries(UNARY).map(([tf, tfl]) => [tf, same(tfl)])),
  ...Object.fromEntries(
    Object.entries(REDUCERS).map(([tf, tfl]) => [tf, withInt32Inputs(tfl, [1], (n) => ({ keep_dims: n.attrBool('keep_dims', false) }))]),
  ),
  LeakyRelu: same('LEAKY_RELU', (n) => ({ alpha: n.attrFloat('alpha', 0.2) })),
  Softmax: same('SOFTMAX', () => ({ beta: 1 })),
  Cast: same('CAST', (n) => ({
    in_data_type: tfliteType(dtypeFromTf(n.attrType('SrcT')) ?? 'float32') ?? 0,
    out_data_type: tfliteType(dtypeFromTf(n.attrType('DstT')) ?? 'float32') ?? 0,
  })),
  ArgMax: withInt32Inputs('ARG_MAX', [1], (n) => ({ output_type: tfliteType(dtypeFromTf(n.attrType('output_type', 9)) ?? 'int64') ?? 4 })),
  ArgMin: withInt32Inputs('ARG_MIN', [1], (n) => ({ output_type: tfliteType(dtypeFromTf(n.attrType('output_type', 9)) ?? 'int64') ?? 4 })),
  Transpose: withInt32Inputs('TRANSPOSE', [1]),
  Tile: withInt32Inputs('TILE', [1]),
  Pad: withInt32Inputs('PAD', [1]),
  PadV2: withInt32Inputs('PADV2', [1]),
  MirrorPad: withInt32Inputs('MIRROR_PAD', [1], (n) => ({ mode: n.attrString('mode', 'REFLECT') === 'SYMMETRIC' ? 1 : 0 })),
  Slice: withInt32Inputs('SLICE', [1, 2]),
  Fill: withInt32Inputs('FILL', [0]),
  Shape: same('SHAPE', (n) => ({ out_type: tfliteType(dtypeFromTf(n.attrType('out_type', 3)) ?? 'int32') ?? 2 })),
  ExpandDims: { tfl: ['RESHAPE'], lower: (n, g) => [reshapeTo(n, g)] },
  Squeeze: { tfl: ['RESHAPE'], lower: (n, g) => [reshapeTo(n, g)] },
  Reshape: { tfl: ['RESHAPE'], lower: (n, g) => [reshapeTo(n, g)] },
  ConcatV2: {
    tfl: ['CONCATENATION'],
    check: (n) => requireConstInput(n, n.inputs.length - 1, 'the axis'),
    lower: (n, g) => {
      const values = n.inputs.slice(0, -1);
      const axis = constValues(n, n.inputs.length - 1, 'axis')[0];
      const rank = n.output(0).rank;
      return [tflNode(g, n.name, 'CONCATENATION', values, n.outputs, { axis: axis < 0 ? axis + rank : axis, ...noAct })];
    },
  },
  Pack: same('PACK', (n) => ({ values_count: n.inputs.length, axis: n.attrInt('axis', 0) })),
  Unpack: same('UNPACK', (n) => ({ num: n.outputs.length, axis: n.attrInt('axis', 0) })),
  Split: {
    tfl: ['SPLIT'],
    check: (n) => requireConstInput(n, 0, 'the split axis'),
    lower: (n, g) => [tflNode(g, n.name, 'SPLIT', [asInt32(g, n.input(0)), n.input(1)], n.outputs, { num_splits: n.outputs.length })],
  },
  SplitV: {
    tfl: ['SPLIT_V'],
    check: (n) => requireConstInput(n, 2, 'the split axis'),
    lower: (n, g) => [
      tflNode(g, n.name, 'SPLIT_V', [n.input(0), asInt32(g, n.input(1)), asInt32(g, n.input(2))], n.outputs, { num_splits: n.outputs.length }),
    ],
  },
  StridedSlice: withInt32Inputs('STRIDED_SLICE', [1, 2, 3], (n) => ({
    begin_mask: n.attrInt('begin_mask', 0),
    end_mask: n.attrInt('end_mask', 0),
    ellipsis_mask: n.attrInt('ellipsis_mask', 0),
    new_axis_mask: n.attrInt('new_axis_mask', 0),
    shrink_axis_mask: n.attrInt('shrink_axis_mask', 0),
    offset: false,
  })),
  GatherV2: {
    tfl: ['GATHER'],
    check: (n) => requireConstInput(n, 2, 'the gather axis'),
    lower: (n, g) => [
      tflNode(g, n.name, 'GATHER', [n.input(0), n.input(1)], n.outputs, {
        axis: constValues(n, 2, 'axis')[0],
        batch_dims: n.attrInt('batch_dims', 0),
      }),
    ],
  },
  Gather: same('GATHER', () => ({ axis: 0, batch_dims: 0 })),
  ResizeBilinear: withInt32Inputs('RESIZE_BILINEAR', [1], (n) => ({
    align_corners: n.attrBool('align_corners', false),
    half_pixel_centers: n.attrBool('half_pixel_centers', false),
  })),
  ResizeNearestNeighbor: withInt32Inputs('RESIZE_NEAREST_NEIGHBOR', [1], (n) => ({
    align_corners: n.attrBool('align_corners', false),
    half_pixel_centers: n.attrBool('half_pixel_centers', false),
  })),
  AvgPool: { tfl: ['AVERAGE_POOL_2D'], check: checkNhwc, lower: (n, g) => [pool(n, g, 'AVERAGE_POOL_2D')] },
  MaxPool: { tfl: ['MAX_POOL_2D'], check: checkNhwc, lower: (n, g) => [pool(n, g, 'MAX_POOL_2D')] },
  Conv2D: { tfl: ['CONV_2D'], check: checkConv, lower: lowerConv2D },
  DepthwiseConv2dNative: { tfl: ['DEPTHWISE_CONV_2D'], check: checkConv, lower: lowerDepthwise },
  Conv2DBackpropInput: { tfl: ['TRANSPOSE_CONV'], check: checkTransposeConv, lower: lowerTransposeConv },
  MatMul: { tfl: ['FULLY_CONNECTED', 'BATCH_MATMUL'], lower: lowerMatMul },
  BatchMatMul: { tfl: ['BATCH_MATMUL'], lower: lowerBatchMatMul },
  BatchMatMulV2: { tfl: ['BATCH_MATMUL'], lower: lowerBatchMatMul },
  BatchMatMulV3: { tfl: ['BATCH_MATMUL'], lower: lowerBatchMatMul },
  // Fake quantization of activations (QAT graphs); on weights it was folded before lowering.
  ...Object.fromEntries([...FAKE_QUANT_OPS].map((op) => [op, { tfl: ['FAKE_QUANT'], check: checkFakeQuant, lower: lowerFakeQuant }])),
};

function checkNhwc(n: Node): string | null {
  return n.attrString('data_format', 'NHWC') === 'NHWC' ? null : `data_format ${n.attrString('data_format')} (only NHWC)`;
}

function checkConv(n: Node): string | null {
  return checkNhwc(n) ?? requireConstInput(n, 1, 'the filter');
}

function checkTransposeConv(n: Node): string | null {
  return checkNhwc(n) ?? requireConstInput(n, 0, 'the output shape') ?? requireConstInput(n, 1, 'the filter');
}

/** Static target shape, with -1 for the one dimension that follows the batch (TFLite's form). */
function reshapeTarget(out: Tensor): number[] {
  const shape = out.shape as number[];
  const sig = out.signature;
  if (sig && sig.length === shape.length && sig.filter((d) => d < 0).length === 1) return sig.slice();
  return shape.slice();
}

function reshapeTo(n: Node, g: Graph): Node {
  const out = n.output(0);
  if (!out.shape) throw err.shapeError(n.name, n.op, 'output shape is unknown');
  return reshapeNode(g, n.name, n.input(0), out, reshapeTarget(out));
}

function strideAttr(n: Node): { stride_h: number; stride_w: number } {
  const s = n.attrInts('strides', [1, 1, 1, 1]);
  return { stride_h: s[1], stride_w: s[2] };
}

function dilationAttr(n: Node): { dilation_h_factor: number; dilation_w_factor: number } {
  const d = n.attrInts('dilations', [1, 1, 1, 1]);
  return { dilation_h_factor: d[1], dilation_w_factor: d[2] };
}

function pool(n: Node, g: Graph, tfl: string): Node {
  const k = n.attrInts('ksize');
  return tflNode(g, n.name, tfl, [n.input(0)], n.outputs, {
    padding: padding(n),
    ...strideAttr(n),
    filter_height: k[1],
    filter_width: k[2],
    ...noAct,
  });
}

/** Explicit paddings become a PAD in front of a VALID conv. */
function explicitPad(n: Node, g: Graph, x: Tensor): { input: Tensor; nodes: Node[] } {
  if (n.attrString('padding', 'VALID') !== 'EXPLICIT') return { input: x, nodes: [] };
  const p = n.attrInts('explicit_paddings');
  const shape = (x.shape as number[]).map((d, i) => d + p[2 * i] + p[2 * i + 1]);
  const padded = new Tensor(`${n.name}/pad`, x.dtype, shape);
  const pads = g.constant(`${n.name}/paddings`, { dtype: 'int32', shape: [4, 2], data: Int32Array.from(p) });
  return { input: padded, nodes: [tflNode(g, `${n.name}/pad`, 'PAD', [x, pads], [padded])] };
}

function convPadding(n: Node): number {
  return n.attrString('padding', 'VALID') === 'SAME' ? 0 : 1;
}

function lowerConv2D(n: Node, g: Graph): Node[] {
  const filter = n.input(1).value as NonNullable<Tensor['value']>;
  // TF: [H, W, I, O]; TFLite: [O, H, W, I].
  const w = transposeValue(filter, [3, 0, 1, 2]);
  const out = filter.shape[3];
  const { input, nodes } = explicitPad(n, g, n.input(0));
  const filterT = g.constant(`${n.name}/filter`, w);
  filterT.quant = transposedQuant(n.input(1).quant, [3, 0, 1, 2]);
  const conv = tflNode(g, n.name, 'CONV_2D', [input, filterT, zeroBias(g, `${n.name}/bias`, out)], n.outputs, {
    padding: convPadding(n),
    ...strideAttr(n),
    ...dilationAttr(n),
    ...noAct,
  });
  return [...nodes, conv];
}

function lowerDepthwise(n: Node, g: Graph): Node[] {
  const filter = n.input(1).value as NonNullable<Tensor['value']>;
  // TF: [H, W, C, M]; TFLite: [1, H, W, C*M] (the same bytes, reshaped).
  const [h, w, c, m] = filter.shape;
  const weights = g.constant(`${n.name}/filter`, { ...filter, shape: [1, h, w, c * m] });
  weights.quant = depthwiseQuant(n.input(1).quant, c, m);
  const { input, nodes } = explicitPad(n, g, n.input(0));
  const conv = tflNode(g, n.name, 'DEPTHWISE_CONV_2D', [input, weights, zeroBias(g, `${n.name}/bias`, c * m)], n.outputs, {
    padding: convPadding(n),
    ...strideAttr(n),
    depth_multiplier: m,
    ...dilationAttr(n),
    ...noAct,
  });
  return [...nodes, conv];
}

function lowerTransposeConv(n: Node, g: Graph): Node[] {
  const filter = n.input(1).value as NonNullable<Tensor['value']>;
  // TF filter: [H, W, O, I] (O = output channels); TFLite: [O, H, W, I].
  const w = transposeValue(filter, [2, 0, 1, 3]);
  const filterT = g.constant(`${n.name}/filter`, w);
  filterT.quant = transposedQuant(n.input(1).quant, [2, 0, 1, 3]);
  return [
    tflNode(g, n.name, 'TRANSPOSE_CONV', [asInt32(g, n.input(0)), filterT, n.input(2)], n.outputs, {
      padding: convPadding(n),
      ...strideAttr(n),
      ...noAct,
    }),
  ];
}

function lowerMatMul(n: Node, g: Graph): Node[] {
  const a = n.input(0);
  const b = n.input(1);
  const ta = n.attrBool('transpose_a', false);
  const tb = n.attrBool('transpose_b', false);
  if (!b.value || ta) {
    return [tflNode(g, n.name, 'BATCH_MATMUL', [a, b], n.outputs, { adj_x: ta, adj_y: tb, asymmetric_quantize_inputs: false })];
  }
  // TF: [K, N] (or [N, K] with transpose_b); TFLite FULLY_CONNECTED wants [N, K].
  const w = tb ? b.value : transposeValue(b.value, [1, 0]);
  const units = w.shape[0];
  const weights = g.constant(`${n.name}/weights`, w);
  weights.quant = transposedQuant(b.quant, tb ? [0, 1] : [1, 0]);
  return [
    tflNode(g, n.name, 'FULLY_CONNECTED', [a, weights, zeroBias(g, `${n.name}/bias`, units)], n.outputs, {
      ...noAct,
      weights_format: 0,
      keep_num_dims: false,
      asymmetric_quantize_inputs: false,
    }),
  ];
}

function lowerBatchMatMul(n: Node, g: Graph): Node[] {
  return [
    tflNode(g, n.name, 'BATCH_MATMUL', [n.input(0), n.input(1)], n.outputs, {
      adj_x: n.attrBool('adj_x', false),
      adj_y: n.attrBool('adj_y', false),
      asymmetric_quantize_inputs: false,
    }),
  ];
}

/** The range of a fake-quant op on an activation, or why TFLite cannot run it. */
function activationRange(n: Node): LearnedRange | string {
  if (n.inputs[0]?.dtype !== 'float32') return 'only float32 inputs can be fake-quantized';
  const r = learnedRangeOf(n, (t) => t?.value ?? null);
  if (typeof r === 'string') return r;
  if (r.axis !== null || r.min.length !== 1) return 'per-channel fake quantization of an activation (TFLite has it for weights only)';
  if (r.numBits > 8) return `num_bits ${r.numBits} (TFLite's FAKE_QUANT and int8 kernels take at most 8)`;
  return r;
}

function checkFakeQuant(n: Node): string | null {
  const r = activationRange(n);
  return typeof r === 'string' ? r : null;
}

/** FAKE_QUANT computes TensorFlow's FakeQuant; the learned range stays on the output for int8. */
function lowerFakeQuant(n: Node, g: Graph): Node[] {
  const r = activationRange(n) as LearnedRange;
  const out = n.output(0);
  out.quant ??= rangeAsQuant(r);
  const k = fakeQuantKernelRange(r);
  return [tflNode(g, n.name, 'FAKE_QUANT', [n.input(0)], n.outputs, { min: k.min, max: k.max, num_bits: k.numBits, narrow_range: false })];
}
