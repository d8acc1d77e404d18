// The TF -> TFLite lowering table: one entry per TF op. Simple rules are one line; weight layout
// and padding cases are small functions below. The support check, the legalize pass and the
// generated docs (docs/supported-ops.md, `npm run docs:ops`) all read this table.

import { type DType, dtypeFromTf, tfliteType } from '../core/dtype.js';
import { err } from '../errors/index.js';
import { f32Const, tflNode } from '../graph/build.js';
import { type Graph, type Node, Tensor } from '../graph/ir.js';
import { numbers } from '../graph/ops/util.js';
import { batchNormScaleOffset } from '../graph/ops/nn.js';
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
  type Constraint,
  type Lowering,
  PADDING,
  asInt32,
  constInput,
  constValues,
  constraint,
  lowering,
  nhwc,
  padding,
  reshapeNode,
  same,
  spatialOnly,
  staticOutput,
  transposeValue,
  withInt32Inputs,
  zeroBias,
} from './helpers.js';

const noAct = { fused_activation_function: ACTIVATION.NONE };

/** Binary ops with a fused activation option (always NONE here; fuse-activation sets it). */
const BINARY: Record<string, string> = {
  Add: 'ADD',
  AddV2: 'ADD',
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
  // TF's Select with a rank-1 condition picks rows, which TFLite's SELECT (not SELECT_V2) does.
  Select: 'SELECT',
  SelectV2: 'SELECT_V2',
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
  // TF's Softmax and LogSoftmax work on the last axis, as TFLite's do.
  LogSoftmax: 'LOG_SOFTMAX',
  ZerosLike: 'ZEROS_LIKE',
  Rank: 'RANK',
  AddN: 'ADD_N',
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

/** TFLite TensorType of a TF type attribute. */
function tflType(n: Node, attr: string, dflt: DType): number {
  const d = dtypeFromTf(n.attrType(attr, -1)) ?? dflt;
  return tfliteType(d) ?? (tfliteType(dflt) as number);
}

/** CAST v5+ (float16, float64, bfloat16) is newer than the TFLite runtime tfconv targets. */
const CAST_TYPES_BEYOND = new Set<DType>(['float16', 'float64', 'bfloat16']);

function rank3or4Holds(n: Node): boolean {
  const r = n.inputs[0]?.rank ?? -1;
  return r === 3 || r === 4;
}
const rank3or4: Constraint = constraint('the input must have rank 3 or 4', rank3or4Holds);

const POOL: Constraint[] = [nhwc, spatialOnly('ksize'), spatialOnly('strides')];

const CONV: Constraint[] = [
  nhwc,
  constInput(1, 'the filter'),
  spatialOnly('strides'),
  spatialOnly('dilations'),
  constraint('padding must be SAME, VALID or EXPLICIT', (n) => ['SAME', 'VALID', 'EXPLICIT'].includes(n.attrString('padding', 'VALID'))),
];


export const LOWERINGS: Record<string, Lowering> = {
  ...Object.fromEntries(Object.entries(BINARY).map(([tf, tfl]) => [tf, same(tfl, () => noAct)])),
  ...Object.fromEntries(Object.entries(BINARY_PLAIN).map(([tf, tfl]) => [tf, same(tfl)])),
  ...Object.fromEntries(Object.entries(UNARY).map(([tf, tfl]) => [tf, same(tfl)])),
  ...Object.fromEntries(
    Object.entries(REDUCERS).map(([tf, tfl]) => [tf, withInt32Inputs(tfl, [[1, 'the axes']], (n) => ({ keep_dims: n.attrBool('keep_dims', false) }))]),
  ),
  BiasAdd: same('ADD', () => noAct, [nhwc]),
  LeakyRelu: same('LEAKY_RELU', (n) => ({ alpha: n.attrFloat('alpha', 0.2) })),
  Softmax: same('SOFTMAX', () => ({ beta: 1 })),
  Cast: same(
    'CAST',
    // The kernel reads the tensor types; the options say the same for readers that look.
    (n) => ({
      in_data_type: tfliteType(n.input(0).dtype) ?? tflType(n, 'SrcT', 'float32'),
      out_data_type: tfliteType(n.output(0).dtype) ?? tflType(n, 'DstT', 'float32'),
    }),
    [
      constraint('casts from or to float16, float64 or bfloat16 need CAST version 5 or more (TFLite 2.12), newer than tfconv writes', (n) =>
        [n.inputs[0]?.dtype, n.outputs[0]?.dtype].every((d) => !d || !CAST_TYPES_BEYOND.has(d)),
      ),
    ],
  ),
  ArgMax: withInt32Inputs('ARG_MAX', [[1, 'the axis']], (n) => ({ output_type: tflType(n, 'output_type', 'int64') })),
  ArgMin: withInt32Inputs('ARG_MIN', [[1, 'the axis']], (n) => ({ output_type: tflType(n, 'output_type', 'int64') })),
  Transpose: withInt32Inputs('TRANSPOSE', [[1, 'the permutation']]),
  Tile: withInt32Inputs('TILE', [[1, 'the multiples']]),
  Pad: withInt32Inputs('PAD', [[1, 'the paddings']]),
  PadV2: withInt32Inputs('PADV2', [[1, 'the paddings']]),
  MirrorPad: withInt32Inputs('MIRROR_PAD', [[1, 'the paddings']], (n) => ({ mode: n.attrString('mode', 'REFLECT') === 'SYMMETRIC' ? 1 : 0 })),
  Slice: withInt32Inputs('SLICE', [
    [1, 'begin'],
    [2, 'size'],
  ]),
  // FILL takes its dims at run time (int32 or int64): a zero state sized from the batch stays dynamic.
  Fill: lowering({
    tfl: ['FILL'],
    lower: (n, g) => [tflNode(g, n.name, 'FILL', [n.input(0).value ? asInt32(g, n.input(0)) : n.input(0), n.input(1)], n.outputs)],
    note: 'dims may be computed at run time; constant int64 dims become int32',
  }),
  Range: same('RANGE'),
  Shape: same('SHAPE', (n) => ({ out_type: tflType(n, 'out_type', 'int32') })),
  ExpandDims: lowering({ tfl: ['RESHAPE'], constraints: [staticOutput], lower: (n, g) => [reshapeTo(n, g)] }),
  Squeeze: lowering({ tfl: ['RESHAPE'], constraints: [staticOutput], lower: (n, g) => [reshapeTo(n, g)] }),
  Reshape: lowering({ tfl: ['RESHAPE'], constraints: [staticOutput], lower: (n, g) => [reshapeTo(n, g)] }),
  ConcatV2: lowering({
    tfl: ['CONCATENATION'],
    constraints: [constraint('the axis (last input) must be a constant', (n) => !!n.inputs[n.inputs.length - 1]?.value)],
    lower: (n, g) => concat(n, g, n.inputs.slice(0, -1), n.inputs.length - 1),
  }),
  Concat: lowering({
    tfl: ['CONCATENATION'],
    constraints: [constInput(0, 'the axis')],
    lower: (n, g) => concat(n, g, n.inputs.slice(1), 0),
  }),
  Pack: same('PACK', (n) => ({ values_count: n.inputs.length, axis: normAxis(n.attrInt('axis', 0), n.output(0).rank) })),
  Unpack: same('UNPACK', (n) => ({ num: n.outputs.length, axis: normAxis(n.attrInt('axis', 0), n.input(0).rank) })),
  Split: lowering({
    tfl: ['SPLIT'],
    constraints: [constInput(0, 'the axis')],
    // TF and TFLite both take the axis first: SPLIT(axis, input).
    lower: (n, g) => [tflNode(g, n.name, 'SPLIT', [asInt32(g, n.input(0)), n.input(1)], n.outputs, { num_splits: n.outputs.length })],
  }),
  SplitV: lowering({
    tfl: ['SPLIT_V'],
    constraints: [constInput(1, 'the sizes'), constInput(2, 'the axis')],
    lower: (n, g) => [
      tflNode(g, n.name, 'SPLIT_V', [n.input(0), asInt32(g, n.input(1)), asInt32(g, n.input(2))], n.outputs, { num_splits: n.outputs.length }),
    ],
  }),
  StridedSlice: withInt32Inputs(
    'STRIDED_SLICE',
    [
      [1, 'begin'],
      [2, 'end'],
      [3, 'strides'],
    ],
    (n) => ({
      begin_mask: n.attrInt('begin_mask', 0),
      end_mask: n.attrInt('end_mask', 0),
      ellipsis_mask: n.attrInt('ellipsis_mask', 0),
      new_axis_mask: n.attrInt('new_axis_mask', 0),
      shrink_axis_mask: n.attrInt('shrink_axis_mask', 0),
      offset: false,
    }),
    // Bounds beyond int32 (int64 "to the end" values) mean the same clamped to int32.
    { clamp: true },
  ),
  GatherV2: lowering({
    tfl: ['GATHER'],
    constraints: [constInput(2, 'the axis')],
    lower: (n, g) => [
      tflNode(g, n.name, 'GATHER', [n.input(0), n.input(1)], n.outputs, {
        axis: normAxis(constValues(n, 2, 'axis')[0], n.input(0).rank),
        batch_dims: normAxis(n.attrInt('batch_dims', 0), n.input(1).rank),
      }),
    ],
  }),
  Gather: same('GATHER', () => ({ axis: 0, batch_dims: 0 })),
  // TFLite has no IS_NAN; x != x is true exactly for NaN (what TFLite's converter writes too).
  IsNan: lowering({
    tfl: ['NOT_EQUAL'],
    constraints: [constraint('the input must be float32', (n) => n.inputs[0]?.dtype === 'float32')],
    lower: (n, g) => [tflNode(g, n.name, 'NOT_EQUAL', [n.input(0), n.input(0)], n.outputs)],
    note: 'NOT_EQUAL(x, x)',
  }),
  ResizeBilinear: withInt32Inputs('RESIZE_BILINEAR', [[1, 'the size']], (n) => ({
    align_corners: n.attrBool('align_corners', false),
    half_pixel_centers: n.attrBool('half_pixel_centers', false),
  })),
  ResizeNearestNeighbor: withInt32Inputs('RESIZE_NEAREST_NEIGHBOR', [[1, 'the size']], (n) => ({
    align_corners: n.attrBool('align_corners', false),
    half_pixel_centers: n.attrBool('half_pixel_centers', false),
  })),
  SpaceToBatchND: withInt32Inputs(
    'SPACE_TO_BATCH_ND',
    [
      [1, 'block_shape'],
      [2, 'the paddings'],
    ],
    () => ({}),
    { constraints: [rank3or4] },
  ),
  BatchToSpaceND: withInt32Inputs(
    'BATCH_TO_SPACE_ND',
    [
      [1, 'block_shape'],
      [2, 'the crops'],
    ],
    () => ({}),
    { constraints: [rank3or4] },
  ),
  DepthToSpace: same('DEPTH_TO_SPACE', (n) => ({ block_size: n.attrInt('block_size') }), [nhwc]),
  SpaceToDepth: same('SPACE_TO_DEPTH', (n) => ({ block_size: n.attrInt('block_size') }), [nhwc]),
  AvgPool: lowering({ tfl: ['AVERAGE_POOL_2D'], constraints: POOL, lower: (n, g) => [pool(n, g, 'AVERAGE_POOL_2D')] }),
  MaxPool: lowering({ tfl: ['MAX_POOL_2D'], constraints: POOL, lower: (n, g) => [pool(n, g, 'MAX_POOL_2D')] }),
  Conv2D: lowering({
    tfl: ['CONV_2D', 'PAD'],
    constraints: CONV,
    lower: lowerConv2D,
    note: 'weights transposed to [O,H,W,I] with a zero bias; EXPLICIT padding becomes a PAD in front; grouped convolution is CONV_2D version 6',
  }),
  DepthwiseConv2dNative: lowering({
    tfl: ['DEPTHWISE_CONV_2D', 'PAD'],
    constraints: CONV,
    lower: lowerDepthwise,
    note: 'weights reshaped to [1,H,W,C*M] with depth_multiplier M',
  }),
  Conv2DBackpropInput: lowering({
    tfl: ['TRANSPOSE_CONV'],
    constraints: [
      nhwc,
      constInput(0, 'the output shape'),
      constInput(1, 'the filter'),
      spatialOnly('strides'),
      constraint('padding must be SAME or VALID', (n) => ['SAME', 'VALID'].includes(n.attrString('padding', 'VALID'))),
      constraint('dilations must be 1 (TRANSPOSE_CONV has none)', (n) => n.attrInts('dilations', [1, 1, 1, 1]).every((d) => d === 1)),
    ],
    lower: lowerTransposeConv,
    note: 'inputs reordered to (output_shape, weights [O,H,W,I], input), no bias',
  }),
  MatMul: lowering({
    tfl: ['FULLY_CONNECTED', 'BATCH_MATMUL'],
    lower: lowerMatMul,
    note: 'FULLY_CONNECTED when the second operand is a constant and transpose_a is false, else BATCH_MATMUL',
  }),
  BatchMatMul: BATCH_MATMUL(),
  BatchMatMulV2: BATCH_MATMUL(),
  BatchMatMulV3: BATCH_MATMUL(),
  FusedBatchNorm: BATCH_NORM(),
  FusedBatchNormV2: BATCH_NORM(),
  FusedBatchNormV3: BATCH_NORM(),
  // Fake quantization of activations (QAT graphs); on weights it was folded before lowering.
  ...Object.fromEntries(
    [...FAKE_QUANT_OPS].map((op) => [
      op,
      lowering({
        tfl: ['FAKE_QUANT'],
        constraints: [
          constraint('the range must be constant and per-tensor, at most 8 bits, on a float32 input', (n) => typeof activationRange(n) !== 'string'),
        ],
        explain: (n) => {
          const r = activationRange(n);
          return typeof r === 'string' ? r : null;
        },
        lower: lowerFakeQuant,
      }),
    ]),
  ),
  // Dropout behind a keep_prob input (TF1 graphs): TFLite's RANDOM_UNIFORM, float32 in [0, 1).
  RandomUniform: lowering({
    tfl: ['RANDOM_UNIFORM'],
    constraints: [constraint('the output dtype must be float32', (n) => n.attrType('dtype', 1) === 1)],
    lower: (n, g) => [tflNode(g, n.name, 'RANDOM_UNIFORM', [asInt32(g, n.input(0))], n.outputs, { seed: n.attrInt('seed', 0), seed2: n.attrInt('seed2', 0) })],
  }),
};


// --- Shared pieces ----------------------------------------------------------------------------------

function normAxis(axis: number, rank: number): number {
  return axis < 0 && rank > 0 ? axis + rank : axis;
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

function concat(n: Node, g: Graph, values: (Tensor | null)[], axisIndex: number): Node[] {
  const axis = constValues(n, axisIndex, 'axis')[0];
  return [tflNode(g, n.name, 'CONCATENATION', values, n.outputs, { axis: normAxis(axis, n.output(0).rank), ...noAct })];
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

/** Explicit paddings become a PAD in front of a VALID conv (fold-pad-into-conv makes it SAME when it is). */
function explicitPad(n: Node, g: Graph, x: Tensor): { input: Tensor; nodes: Node[] } {
  if (n.attrString('padding', 'VALID') !== 'EXPLICIT') return { input: x, nodes: [] };
  const p = n.attrInts('explicit_paddings');
  if (p.length !== 8) throw err.badGraph(n.name, `explicit_paddings must have 8 values, got ${p.length}`, n.op);
  const grow = (d: number, i: number): number => (d < 0 ? d : d + p[2 * i] + p[2 * i + 1]);
  const padded = new Tensor(`${n.name}/pad`, x.dtype, (x.shape as number[]).map(grow));
  padded.signature = x.signature ? x.signature.map(grow) : padded.shape;
  const pads = g.constant(`${n.name}/paddings`, { dtype: 'int32', shape: [4, 2], data: Int32Array.from(p) });
  return { input: padded, nodes: [tflNode(g, `${n.name}/pad`, 'PAD', [x, pads], [padded])] };
}

function convPadding(n: Node): number {
  return n.attrString('padding', 'VALID') === 'SAME' ? PADDING.SAME : PADDING.VALID;
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
  // TF: [H, W, C, M]; TFLite: [1, H, W, C*M] (the same bytes: output channel c*M + m either way).
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
  // TF filter: [H, W, O, I] (O = this op's output channels); TFLite: [O, H, W, I].
  const w = transposeValue(filter, [2, 0, 1, 3]);
  // TF: (input_sizes, filter, out_backprop); TFLite: (output_shape, weights, input[, bias]).
  const filterT = g.constant(`${n.name}/filter`, w);
  filterT.quant = transposedQuant(n.input(1).quant, [2, 0, 1, 3]);
  return [
    tflNode(g, n.name, 'TRANSPOSE_CONV', [asInt32(g, n.input(0)), filterT, n.input(2)], n.outputs, {
      padding: convPadding(n),
      ...strideAttr(n),
    }),
  ];
}

/** FULLY_CONNECTED of `a` with constant weights [N, K]; keep_num_dims keeps a's leading dimensions. */
function fullyConnected(n: Node, g: Graph, a: Tensor, w: NonNullable<Tensor['value']>, quant: Tensor['quant'] = null): Node {
  const units = w.shape[0];
  const weights = g.constant(`${n.name}/weights`, w);
  // A learned (QAT) range on the weights travels with them to the quantizer.
  weights.quant = quant;
  return tflNode(g, n.name, 'FULLY_CONNECTED', [a, weights, zeroBias(g, `${n.name}/bias`, units)], n.outputs, {
    ...noAct,
    weights_format: 0,
    keep_num_dims: a.rank > 2,
    asymmetric_quantize_inputs: false,
  });
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
  return [fullyConnected(n, g, a, tb ? b.value : transposeValue(b.value, [1, 0]), transposedQuant(b.quant, tb ? [0, 1] : [1, 0]))];
}

function BATCH_MATMUL(): Lowering {
  return lowering({
    tfl: ['BATCH_MATMUL', 'FULLY_CONNECTED'],
    lower: (n, g) => {
      const x = n.input(0);
      const y = n.input(1);
      const adjX = n.attrBool('adj_x', false);
      const adjY = n.attrBool('adj_y', false);
      // A constant 2-D right operand is a dense layer on every row: TFLite's converter makes it a
      // FULLY_CONNECTED (keep_num_dims for rank > 2), which fusions and quantization handle.
      if (y.value && y.value.shape.length === 2 && !adjX && x.rank >= 2 && x.dtype === 'float32') {
        return [fullyConnected(n, g, x, adjY ? y.value : transposeValue(y.value, [1, 0]))];
      }
      return [tflNode(g, n.name, 'BATCH_MATMUL', [x, y], n.outputs, { adj_x: adjX, adj_y: adjY, asymmetric_quantize_inputs: false })];
    },
    note: 'FULLY_CONNECTED (keep_num_dims) when the right operand is a constant matrix and adj_x is false',
  });
}

/**
 * Inference batch norm that decompose-batch-norm left alone (it only declines nodes whose batch
 * statistics outputs are read): y = x * m + b with m = gamma / sqrt(var + eps), b = beta - mean * m,
 * computed in the same float32 steps as that pass; the statistics outputs are the mean and variance.
 */
function BATCH_NORM(): Lowering {
  return lowering({
    tfl: ['MUL', 'ADD'],
    constraints: [
      constraint('is_training must be false (training batch norm has no TFLite op)', (n) => !n.attrBool('is_training', true)),
      nhwc,
      constraint('scale, offset, mean and variance (inputs 1-4) must be float32 constants', (n) =>
        n.inputs.slice(1, 5).every((t) => t?.value && t.dtype === 'float32'),
      ),
    ],
    lower: (n, g) => {
      const { scale: m, offset: b } = batchNormScaleOffset(n);
      const c = m.length;
      const x = n.input(0);
      const scaled = new Tensor(`${n.name}/mul`, 'float32', x.shape?.slice() ?? null);
      scaled.signature = x.signature?.slice() ?? null;
      n.outputs.slice(1).forEach((t, i) => g.replaceAllUses(t, n.input(i % 2 === 0 ? 3 : 4)));
      return [
        tflNode(g, `${n.name}/mul`, 'MUL', [x, f32Const(g, `${n.name}/scale`, [c], m)], [scaled], noAct),
        tflNode(g, `${n.name}/add`, 'ADD', [scaled, f32Const(g, `${n.name}/offset`, [c], b)], [n.output(0)], noAct),
      ];
    },
    note: 'y = x * scale + offset with folded constants (decompose-batch-norm does this first; conv fusions absorb it)',
  });
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

/** FAKE_QUANT computes TensorFlow's FakeQuant; the learned range stays on the output for int8. */
function lowerFakeQuant(n: Node, g: Graph): Node[] {
  const r = activationRange(n) as LearnedRange;
  const out = n.output(0);
  out.quant ??= rangeAsQuant(r);
  const k = fakeQuantKernelRange(r);
  return [tflNode(g, n.name, 'FAKE_QUANT', [n.input(0)], n.outputs, { min: k.min, max: k.max, num_bits: k.numBits, narrow_range: false })];
}
