// TFLite op versions, as data: the lowest version whose kernel supports the features a node uses,
// as TFLite's own rules decide (GetBuiltinOperatorVersion in tensorflow/lite/tools/versioning/
// op_version.cc, now google-ai-edge/LiteRT tflite/converter/tools/versioning/, read at f67457790c),
// and the oldest runtime that has every (op, version) of a model (runtime_version.cc). A version
// the runtime lacks makes the model unloadable ("Didn't find op for builtin opcode 'ADD' version
// '5'"), so "latest" is never the answer.
//
// Per op, an ordered list of rules {version, when}: the first rule whose features all hold gives
// the version; no match gives 1. The order is op_version.cc's if-chain order. Features are named
// predicates on the node (input/output types, ranks, options, quantization), so the rules read
// like the C++ and the docs can print them.
//
// Features whose version is newer than the runtime tfconv targets (the TFLite ~2.11 builtin set the
// WASM interpreter in tests has; shared/docs/tflite-wasm-op-versions.json) are listed separately as
// `beyond`: a node using one is refused with an error naming the feature and the version it would
// need, instead of being written as a model that the target cannot load. They are checked before
// the rules (refusing is the safe answer even where op_version.cc would stop earlier in its chain).

import type { DType } from '../core/dtype.js';
import { err } from '../errors/index.js';
import type { Graph, Node, Tensor } from '../graph/ir.js';

// --- Features ------------------------------------------------------------------------------------

/** A named predicate on a TFLite node. */
export interface Feature {
  readonly name: string;
  readonly test: (n: Node) => boolean;
}

export interface VersionRule {
  readonly version: number;
  /** All must hold; an empty list always holds (an op whose lowest version is not 1). */
  readonly when: readonly Feature[];
}

export interface OpVersioning {
  /** In op_version.cc order; the first match wins, no match is version 1. */
  readonly rules: readonly VersionRule[];
  /** Features needing a version above what tfconv targets: refused. */
  readonly beyond?: readonly VersionRule[];
}

const feature = (name: string, test: (n: Node) => boolean): Feature => ({ name, test });

/** TFLite's kTfLiteNoType for an absent optional input. */
const dtypeOf = (t: Tensor | null | undefined): DType | 'none' => t?.dtype ?? 'none';
const inType = (n: Node, i: number): DType | 'none' => dtypeOf(n.inputs[i]);
const outType = (n: Node, i: number): DType | 'none' => dtypeOf(n.outputs[i]);
const rankOf = (t: Tensor | null | undefined): number => t?.shape?.length ?? 0;

/** Input `i` has one of the types. */
const input = (i: number, ...types: DType[]): Feature =>
  feature(`input ${i} ${types.join('|')}`, (n) => (types as string[]).includes(inType(n, i)));

/** Output `i` has one of the types. */
const output = (i: number, ...types: DType[]): Feature =>
  feature(`output ${i} ${types.join('|')}`, (n) => (types as string[]).includes(outType(n, i)));

/** Input 0 or output 0 has one of the types (CAST, QUANTIZE). */
const inOrOut = (...types: DType[]): Feature =>
  feature(`input or output ${types.join('|')}`, (n) => (types as string[]).includes(inType(n, 0)) || (types as string[]).includes(outType(n, 0)));

/** input 0, input 1 -> output 0 types, as op_version.cc tests kernel signatures. */
const sig = (a: DType, b: DType, out: DType): Feature =>
  feature(`${a} x ${b} -> ${out}`, (n) => inType(n, 0) === a && inType(n, 1) === b && outType(n, 0) === out);

/** input 0 -> output 0 types. */
const sig1 = (a: DType, out: DType): Feature => feature(`${a} -> ${out}`, (n) => inType(n, 0) === a && outType(n, 0) === out);

const rankAbove = (i: number, k: number): Feature => feature(`input ${i} rank > ${k}`, (n) => rankOf(n.inputs[i]) > k);

/** NeedBroadcastForBinaryInputs && GetInputMaxDims > 4. */
const broadcastAbove4D = feature('broadcast with rank > 4', (n) => {
  if (n.inputs.length < 2) return false;
  const a = n.inputs[0]?.shape ?? [];
  const b = n.inputs[1]?.shape ?? [];
  const differ = a.length !== b.length || a.some((d, i) => d !== b[i]);
  return differ && Math.max(...n.inputs.map(rankOf)) > 4;
});

/** An option differs from its schema default. */
const option = (name: string, label: string, test: (v: unknown) => boolean): Feature => feature(label, (n) => test(n.options[name]));
const optTrue = (name: string): Feature => option(name, name, (v) => v === true);
const optNonZero = (name: string): Feature => option(name, `${name} != 0`, (v) => typeof v === 'number' && v !== 0);
/** pot_scale_int16 defaults to true in the schema (AddOptions, SubOptions). */
const notPotScale = option('pot_scale_int16', 'pot_scale_int16 = false', (v) => v === false);
/** quantized_bias_type: TensorType, 0 (FLOAT32, the default) means "not set". */
const quantizedBiasType = optNonZero('quantized_bias_type');

/** The tensor carries a quantization table (op_signature.cc's input_quantized tests presence). */
const quantized = (i: number): Feature => feature(`input ${i} quantized`, (n) => n.inputs[i]?.quant != null);
const notQuantized = (i: number): Feature => feature(`input ${i} not quantized`, (n) => n.inputs[i]?.quant == null);

/** Scales per channel along `dim` of input `i` (op_signature.cc, per op). */
function perChannel(i: number, dim: number, atLeastTwo: boolean): Feature {
  return feature(`input ${i} per-channel (dim ${dim})`, (n) => {
    const t = n.inputs[i];
    const k = t?.quant?.scale.length ?? 0;
    const c = t?.shape?.[dim] ?? -1;
    return c > 0 && k === c && (!atLeastTwo || k > 1);
  });
}

/** DEQUANTIZE / QUANTIZE: more than one scale along the tensor's quantized dimension. */
function perAxis(which: 'input' | 'output'): Feature {
  return feature(`${which} per-channel`, (n) => {
    const t = which === 'input' ? n.inputs[0] : n.outputs[0];
    const q = t?.quant;
    if (!q || q.scale.length <= 1) return false;
    return q.scale.length === t?.shape?.[q.axis ?? 0];
  });
}

/** CONV_2D input channels differ from the filter's (is_grouped_convolution). */
const grouped = feature('grouped (input channels != filter channels)', (n) => {
  const x = n.inputs[0]?.shape;
  const w = n.inputs[1]?.shape;
  return !!x && x.length === 4 && !!w && w.length === 4 && x[3] !== w[3];
});

/** MUL's ext_options: input1_scale * input2_scale / output_scale >= 1. */
const mulRescaleAtLeastOne = feature('quantized rescale >= 1', (n) => {
  const s1 = n.inputs[0]?.quant?.scale[0];
  const s2 = n.inputs[1]?.quant?.scale[0];
  const so = n.outputs[0]?.quant?.scale[0];
  return !!s1 && !!s2 && !!so && (s1 * s2) / so >= 1;
});

const inputCount = (k: number): Feature => feature(`${k} inputs`, (n) => n.inputs.length === k);
const hasInput = (i: number): Feature => feature(`input ${i} present`, (n) => n.inputs.length > i && n.inputs[i] !== null);
const anyInputRank = (k: number, count: number): Feature =>
  feature(`an input of rank ${k}`, (n) => n.inputs.slice(0, count).some((t) => rankOf(t) === k));

const rule = (version: number, ...when: Feature[]): VersionRule => ({ version, when });

/** LSTMOptions.kernel_type FULL (0, the default). */
const lstmFull = option('kernel_type', 'kernel_type = FULL', (v) => v === undefined || v === 0);

// --- The rules -----------------------------------------------------------------------------------
// Each list follows its `case` in op_version.cc. Types tfconv has no dtype for (int2, float8) are
// left out: no node can have them.

const int8Then = (v2: DType[] = ['int8']): VersionRule[] => [rule(2, input(0, ...v2))];
/** The common "int16 -> 3, int8 -> 2" case (SOFTMAX, MEAN, MIRROR_PAD, REDUCE_MAX/MIN, RELU6, RSQRT). */
const int16Int8 = (): VersionRule[] => [rule(3, input(0, 'int16')), rule(2, input(0, 'int8'))];

export const OP_VERSIONS: Readonly<Record<string, OpVersioning>> = {
  CONV_2D: {
    beyond: [rule(8, sig('int16', 'int8', 'int16'), quantizedBiasType), rule(7, sig('int8', 'int4', 'int8'))],
    rules: [
      rule(6, grouped),
      // op_version.cc reads outputs.at(1) here (a typo for 0); no int16-filter conv exists.
      rule(4, sig('int16', 'int16', 'int16')),
      rule(3, sig('int8', 'int8', 'int8')),
      rule(5, sig('float32', 'int8', 'float32'), perChannel(1, 0, false)),
      rule(2, sig('float32', 'int8', 'float32')),
    ],
  },
  DEPTHWISE_CONV_2D: {
    beyond: [rule(7, sig('int8', 'int4', 'int8'))],
    rules: [
      rule(5, sig('int16', 'int16', 'int16')),
      rule(6, sig('float32', 'int8', 'float32'), perChannel(1, 3, false)),
      rule(4, sig('float32', 'int8', 'float32')),
      rule(3, sig('int8', 'int8', 'int8')),
      rule(2, feature('dilation != 1', (n) => Number(n.options.dilation_w_factor ?? 1) !== 1 || Number(n.options.dilation_h_factor ?? 1) !== 1)),
    ],
  },
  FAKE_QUANT: { rules: [rule(2, optTrue('narrow_range'))] },
  FULLY_CONNECTED: {
    beyond: [
      rule(13, sig('int16', 'int4', 'int16')),
      // Per-channel hybrid: op_signature.cc counted it per-channel only with more than one scale
      // when version 12 was added; a single-unit layer is not refused for its one scale.
      rule(12, sig('float32', 'int8', 'float32'), perChannel(1, 0, true)),
      rule(11, sig('int16', 'int8', 'int16'), quantizedBiasType),
      rule(10, sig('int8', 'int4', 'int8')),
    ],
    rules: [
      // Version 8 (sparse weights) needs tensor sparsity, which tfconv never writes.
      rule(7, sig('int16', 'int16', 'int16')),
      rule(6, inputCount(2)),
      rule(5, optTrue('keep_num_dims')),
      rule(4, sig('int8', 'int8', 'int8')),
      rule(9, sig('float32', 'int8', 'float32'), optTrue('asymmetric_quantize_inputs')),
      rule(3, sig('float32', 'int8', 'float32')),
      rule(2, optNonZero('weights_format')),
    ],
  },
  GATHER: {
    beyond: [rule(7, input(0, 'int4')), rule(6, input(1, 'int16'))],
    rules: [rule(5, optNonZero('batch_dims')), rule(4, input(0, 'int16')), rule(3, input(0, 'bool')), rule(2, input(0, 'int8'))],
  },
  SIGN: { rules: [], beyond: [rule(2, input(0, 'int32'))] },
  SIN: { rules: [], beyond: [rule(2, input(0, 'float16'))] },
  COS: { rules: [], beyond: [rule(2, input(0, 'float16'))] },
  MUL: {
    beyond: [rule(8, input(0, 'float16')), rule(7, input(0, 'int16'), notQuantized(0), notQuantized(1)), rule(7, input(0, 'uint32'))],
    rules: [rule(6, input(0, 'complex64')), rule(5, input(0, 'int64')), rule(4, input(0, 'int16')), rule(3, mulRescaleAtLeastOne), rule(2, input(0, 'int8'))],
  },
  MAX_POOL_2D: { rules: [rule(3, sig1('int16', 'int16')), rule(2, input(0, 'int8'))] },
  AVERAGE_POOL_2D: { rules: [rule(3, sig1('int16', 'int16')), rule(2, input(0, 'int8'))] },
  TRANSPOSE: {
    beyond: [rule(9, input(0, 'float16')), rule(8, rankAbove(0, 6)), rule(8, input(0, 'bfloat16')), rule(7, input(0, 'int4')), rule(6, rankAbove(0, 5))],
    rules: [rule(5, input(0, 'int16')), rule(4, rankAbove(0, 4)), rule(3, input(0, 'bool')), rule(2, input(0, 'int8'))],
  },
  TRANSPOSE_CONV: {
    beyond: [rule(5, sig('int16', 'int8', 'int16'), quantizedBiasType), rule(4, optNonZero('fused_activation_function'))],
    // Inputs: output_shape, weights, input, [bias]; the int8 test is on the weights.
    rules: [rule(3, inputCount(4), hasInput(3)), rule(2, input(1, 'int8'))],
  },
  SPLIT: { rules: [rule(4, input(1, 'int16')), rule(3, input(1, 'int32')), rule(2, input(1, 'int8'))] },
  SPARSE_TO_DENSE: { rules: [rule(3, input(2, 'int8', 'uint8')), rule(2, input(2, 'int64'))] },
  SLICE: {
    beyond: [rule(8, input(0, 'float16')), rule(7, input(0, 'int4')), rule(6, input(0, 'uint32'))],
    rules: [rule(5, rankAbove(0, 4)), rule(4, input(0, 'int16')), rule(3, input(0, 'string')), rule(2, input(0, 'int8'))],
  },
  UNPACK: {
    beyond: [rule(5, input(0, 'float16', 'bfloat16'))],
    rules: [rule(2, input(0, 'int8', 'uint8')), rule(3, input(0, 'bool')), rule(4, sig1('int16', 'int16'))],
  },
  DEQUANTIZE: {
    beyond: [rule(8, input(0, 'uint4')), rule(6, input(0, 'int4'))],
    rules: [rule(3, input(0, 'int16', 'float16')), rule(5, input(0, 'int8'), perAxis('input')), rule(2, input(0, 'int8'))],
  },
  QUANTIZE: {
    beyond: [rule(5, inOrOut('uint4')), rule(4, inOrOut('int4'))],
    rules: [rule(3, perAxis('output')), rule(2, output(0, 'int16'))],
  },
  FLOOR_DIV: { beyond: [rule(3, input(0, 'int16', 'int8'))], rules: [rule(2, input(0, 'float32'))] },
  FLOOR_MOD: { rules: [], beyond: [rule(2, input(0, 'int16', 'int8'))] },
  L2_NORMALIZATION: { rules: [rule(2, output(0, 'int8'))] },
  ABS: {
    beyond: [rule(5, input(0, 'int32'))],
    rules: [rule(3, input(0, 'int16'), quantized(0)), rule(4, input(0, 'int16')), rule(2, input(0, 'int8', 'uint8'))],
  },
  RELU: { rules: [rule(3, input(0, 'int16')), rule(2, input(0, 'int8', 'uint8'))] },
  STRIDED_SLICE: {
    beyond: [rule(8, optTrue('offset')), rule(7, input(0, 'uint32'))],
    rules: [
      rule(6, feature('ellipsis_mask or new_axis_mask', (n) => Number(n.options.ellipsis_mask ?? 0) !== 0 || Number(n.options.new_axis_mask ?? 0) !== 0)),
      rule(5, input(0, 'string')),
      rule(4, rankAbove(0, 4)),
      rule(3, input(0, 'bool')),
      rule(2, input(0, 'int8')),
    ],
  },
  REVERSE_V2: { rules: [rule(3, input(0, 'int8')), rule(2, input(0, 'bool'))] },
  RESIZE_BILINEAR: { rules: [rule(4, input(0, 'int16')), rule(3, optTrue('half_pixel_centers')), rule(2, input(0, 'int8'))] },
  RESIZE_NEAREST_NEIGHBOR: {
    rules: [rule(4, input(0, 'int16')), rule(3, optTrue('half_pixel_centers')), rule(3, optTrue('align_corners')), rule(2, input(0, 'int8'))],
  },
  MAXIMUM: { rules: [rule(4, sig1('int16', 'int16')), rule(3, broadcastAbove4D), rule(2, input(0, 'int8'))] },
  MINIMUM: { rules: [rule(4, sig1('int16', 'int16')), rule(3, broadcastAbove4D), rule(2, input(0, 'int8'))] },
  PACK: { beyond: [rule(4, input(0, 'uint32'))], rules: [rule(2, input(0, 'int8')), rule(3, sig1('int16', 'int16'))] },
  TILE: { rules: [rule(3, input(0, 'int8')), rule(2, input(0, 'string'))] },
  SQUEEZE: { rules: [rule(2, input(0, 'string'))] },
  SPACE_TO_BATCH_ND: { beyond: [rule(4, input(0, 'int16'))], rules: [rule(3, feature('input 0 rank != 4', (n) => rankOf(n.inputs[0]) !== 4)), rule(2, input(0, 'int8'))] },
  BATCH_TO_SPACE_ND: { beyond: [rule(4, input(0, 'int16'))], rules: [rule(3, feature('input 0 rank != 4', (n) => rankOf(n.inputs[0]) !== 4)), rule(2, input(0, 'int8'))] },
  ADD: {
    beyond: [rule(6, input(0, 'float16')), rule(5, input(0, 'int16'), notQuantized(0))],
    rules: [rule(4, input(0, 'int64')), rule(3, sig1('int16', 'int16'), notPotScale), rule(2, input(0, 'int8'))],
  },
  SUB: {
    rules: [rule(5, sig1('int16', 'int16'), notPotScale), rule(4, input(0, 'int64')), rule(3, broadcastAbove4D), rule(2, input(0, 'int8'))],
  },
  GATHER_ND: { beyond: [rule(5, input(0, 'bool')), rule(4, input(1, 'int16'))], rules: [rule(3, input(0, 'int16')), rule(2, input(0, 'string'))] },
  DIV: { rules: [rule(2, broadcastAbove4D)] },
  TANH: { rules: [rule(3, sig1('int16', 'int16')), rule(2, input(0, 'int8'))] },
  LOGISTIC: { rules: [rule(3, sig1('int16', 'int16')), rule(2, input(0, 'int8'))] },
  FILL: { beyond: [rule(4, input(1, 'float16'))], rules: [rule(3, input(1, 'int8', 'int16')), rule(2, input(1, 'bool', 'string'))] },
  EQUAL: { beyond: [rule(5, input(0, 'int16'))], rules: [rule(3, input(0, 'string')), rule(2, input(0, 'int8'))] },
  NOT_EQUAL: { beyond: [rule(4, input(0, 'int16'))], rules: [rule(3, input(0, 'string')), rule(2, input(0, 'int8'))] },
  LEAKY_RELU: { rules: [rule(2, input(0, 'int16'))] },
  RANGE: { rules: [], beyond: [rule(2, input(0, 'int64'))] },
  RANDOM_UNIFORM: { rules: [] },
  BATCH_MATMUL: {
    rules: [rule(3, input(0, 'int16')), rule(2, input(0, 'int8')), rule(4, sig('float32', 'int8', 'float32'), optTrue('asymmetric_quantize_inputs'))],
  },
  PAD: { beyond: [rule(5, input(0, 'bool'))], rules: [rule(4, rankAbove(0, 4)), rule(3, input(0, 'int16')), rule(2, input(0, 'int8'))] },
  PADV2: { beyond: [rule(5, input(0, 'bool'))], rules: [rule(4, rankAbove(0, 4)), rule(3, input(0, 'int16')), rule(2, input(0, 'int8'))] },
  CONCATENATION: {
    beyond: [rule(6, input(0, 'float16')), rule(5, input(0, 'int4')), rule(4, input(0, 'uint32'))],
    rules: [rule(3, input(0, 'int16')), rule(2, input(0, 'int8'))],
  },
  SOFTMAX: { beyond: [rule(4, input(0, 'float16'))], rules: int16Int8() },
  MEAN: { rules: int16Int8() },
  MIRROR_PAD: { beyond: [rule(3, input(0, 'int16'))], rules: int8Then() },
  REDUCE_MAX: { rules: int16Int8() },
  REDUCE_MIN: { rules: int16Int8() },
  RELU6: { rules: int16Int8() },
  RSQRT: { beyond: [rule(3, input(0, 'int16'))], rules: int8Then() },
  ARG_MAX: { rules: [rule(3, input(0, 'bool')), rule(2, input(0, 'int8'))] },
  ARG_MIN: { rules: [rule(3, input(0, 'bool')), rule(2, input(0, 'int8'))] },
  SELECT: { beyond: [rule(4, input(0, 'uint32')), rule(3, anyInputRank(5, 3))], rules: [rule(2, input(0, 'int8'))] },
  LESS: { beyond: [rule(3, input(0, 'int16'))], rules: int8Then() },
  GREATER_EQUAL: { beyond: [rule(3, input(0, 'int16'))], rules: int8Then() },
  SELECT_V2: { rules: [], beyond: [rule(2, input(0, 'uint32'))] },
  SPACE_TO_DEPTH: { rules: int8Then() },
  SPLIT_V: { rules: int8Then() },
  SUM: { rules: int8Then() },
  LOG_SOFTMAX: { rules: int8Then() },
  GREATER: { rules: int8Then() },
  LESS_EQUAL: { rules: int8Then() },
  SQUARED_DIFFERENCE: { rules: int8Then() },
  DEPTH_TO_SPACE: { rules: int8Then() },
  TOPK_V2: {
    beyond: [rule(3, input(0, 'int16')), rule(3, input(1, 'int16')), rule(3, output(1, 'int16'))],
    rules: int8Then(),
  },
  EXP: { rules: [], beyond: [rule(2, input(0, 'int8', 'int16'))] },
  LOG: { rules: [], beyond: [rule(2, input(0, 'int8', 'int16'))] },
  SQRT: { rules: [], beyond: [rule(2, input(0, 'int8', 'int16'))] },
  REDUCE_PROD: { rules: [rule(2, input(0, 'int8', 'int16'))] },
  // Version 1 of BROADCAST_TO was rolled back: every BROADCAST_TO is version 2 or more.
  BROADCAST_TO: { rules: [rule(3, input(0, 'int8', 'int16')), rule(2)] },
  CAST: {
    beyond: [rule(7, inOrOut('bfloat16')), rule(6, sig1('int4', 'float32')), rule(5, inOrOut('float64', 'float16'))],
    rules: [rule(4, inOrOut('uint16')), rule(3, inOrOut('int8')), rule(2, inOrOut('uint32'))],
  },
  WHERE: { rules: [rule(2, feature('input 0 not bool', (n) => inType(n, 0) !== 'bool'))] },
  GELU: { beyond: [rule(3, input(0, 'float16'))], rules: [rule(2, input(0, 'int8', 'uint8'))] },
  SVDF: {
    rules: [rule(3, input(0, 'int8')), rule(4, sig('float32', 'int8', 'float32'), optTrue('asymmetric_quantize_inputs')), rule(2, sig('float32', 'int8', 'float32'))],
  },
  LSTM: {
    // Inputs 0 (activations) and 2 (input-to-input weights) and the kernel type decide.
    beyond: [rule(5, lstmFull, input(0, 'int16'), input(2, 'int8'), output(0, 'int16'))],
    rules: [
      rule(4, lstmFull, input(0, 'float32'), input(2, 'int8'), output(0, 'float32'), optTrue('asymmetric_quantize_inputs')),
      rule(3, lstmFull, input(0, 'float32'), input(2, 'int8'), output(0, 'float32')),
      rule(2, option('kernel_type', 'kernel_type = BASIC', (v) => v === 1)),
    ],
  },
  UNIDIRECTIONAL_SEQUENCE_LSTM: {
    beyond: [rule(5, input(0, 'int16'), input(2, 'int8'), output(0, 'int16')), rule(4, optTrue('diagonal_recurrent_tensors'))],
    rules: [
      rule(3, input(0, 'float32'), input(2, 'int8'), output(0, 'float32'), optTrue('asymmetric_quantize_inputs')),
      rule(2, input(0, 'float32'), input(2, 'int8'), output(0, 'float32')),
    ],
  },
  ...Object.fromEntries(
    ['RNN', 'UNIDIRECTIONAL_SEQUENCE_RNN', 'BIDIRECTIONAL_SEQUENCE_RNN', 'BIDIRECTIONAL_SEQUENCE_LSTM'].map((op) => [
      op,
      { rules: [rule(3, input(1, 'int8'), output(0, 'float32'), optTrue('asymmetric_quantize_inputs')), rule(2, input(1, 'int8'), output(0, 'float32'))] },
    ]),
  ),
  EMBEDDING_LOOKUP: { rules: [], beyond: [rule(4, input(1, 'int4')), rule(4, perChannel(1, 0, true))] },
  // Ops op_version.cc gives version 1 whatever they use (its `default:`), among those the
  // lowering table or quantization write.
  ...Object.fromEntries(
    [
      'ADD_N', 'CEIL', 'CUMSUM', 'ELU', 'EXPAND_DIMS', 'FLOOR', 'HARD_SWISH', 'LOGICAL_AND', 'LOGICAL_NOT',
      'LOGICAL_OR', 'MATRIX_DIAG', 'NEG', 'ONE_HOT', 'POW', 'PRELU', 'RANK', 'REDUCE_ANY', 'REDUCE_ALL',
      'RELU_N1_TO_1', 'RELU_0_TO_1', 'RESHAPE', 'ROUND', 'SHAPE', 'SQUARE', 'UNIQUE', 'ZEROS_LIKE',
      'L2_POOL_2D', 'LOCAL_RESPONSE_NORMALIZATION', 'ATAN2', 'BROADCAST_ARGS', 'WHILE', 'IF', 'CALL_ONCE',
      'VAR_HANDLE', 'READ_VARIABLE', 'ASSIGN_VARIABLE', 'CONV_3D', 'CONV_3D_TRANSPOSE', 'SEGMENT_SUM',
      'SCATTER_ND', 'REVERSE_SEQUENCE', 'MATRIX_SET_DIAG', 'NON_MAX_SUPPRESSION_V4', 'NON_MAX_SUPPRESSION_V5',
      'DENSIFY', 'HASHTABLE_LOOKUP', 'LSH_PROJECTION', 'SKIP_GRAM', 'EMBEDDING_LOOKUP_SPARSE',
    ].map((op) => [op, { rules: [] }]),
  ),
};

// --- Choosing a version ----------------------------------------------------------------------------

const matches = (r: VersionRule, n: Node): boolean => r.when.every((f) => f.test(n));

/** The TFLite builtin name of a node ('CONV_2D'), or null for custom ops. */
function builtinName(n: Node): string | null {
  const name = n.op.slice('tfl.'.length);
  return name.startsWith('custom:') ? null : name;
}

/**
 * The lowest version of `n`'s op whose kernel supports what `n` uses. Throws for a feature whose
 * version is above the runtime tfconv targets, and (as a bug) for a builtin without rules.
 */
export function opVersion(n: Node): number {
  const name = builtinName(n);
  if (name === null) return 1;
  const v = OP_VERSIONS[name];
  if (!v) throw err.internal(`no op version rules for TFLite ${name} (node '${n.name}'); add them to src/lower/op-versions.ts`);
  for (const r of v.beyond ?? []) {
    if (!matches(r, n)) continue;
    const what = r.when.map((f) => f.name).join(', ');
    const runtime = runtimeVersionFor(name, r.version);
    throw err.opVersionTooNew(n.name, name, what, r.version, runtime ?? 'unknown', maxTargetVersion(name));
  }
  for (const r of v.rules) if (matches(r, n)) return r.version;
  return 1;
}

/** The highest version the rules of `op` can give (what tfconv can write for it). */
export function maxTargetVersion(op: string): number {
  return Math.max(1, ...(OP_VERSIONS[op]?.rules ?? []).map((r) => r.version));
}

// --- Runtime versions (runtime_version.cc) -------------------------------------------------------
// Per op, the TFLite release that first has each version: index 0 is version 1. null where the
// version does not exist (BROADCAST_TO 1). Ops absent from the map count for nothing, as there.
// Transcribed from google-ai-edge/LiteRT tflite/converter/tools/versioning/runtime_version.cc
// (f67457790c, 2026-08); older releases only lack the newest entries.

const RUNTIME_VERSIONS: Readonly<Record<string, readonly (string | null)[]>> = {
  ABS: ['1.13.0', '2.4.0', '2.5.0', '2.6.0', '2.12.0'],
  ADD: ['1.5.0', '1.14.0', '2.4.0', '2.6.0', '2.13.0', '2.23.0'],
  ADD_N: ['1.14.0'],
  ARG_MAX: ['1.9.0', '1.14.0', '2.9.0'],
  ARG_MIN: ['1.9.0', '1.14.0', '2.9.0'],
  ASSIGN_VARIABLE: ['2.6.0'],
  ATAN2: ['2.10.0'],
  AVERAGE_POOL_2D: ['1.5.0', '1.14.0', '2.3.0'],
  BATCH_MATMUL: ['2.3.0', '2.3.0', '2.4.0', '2.5.0'],
  BATCH_TO_SPACE_ND: ['1.6.0', '1.14.0', '2.3.0', '2.12.0'],
  BIDIRECTIONAL_SEQUENCE_LSTM: ['1.14.0', '1.14.0', '1.14.0'],
  BIDIRECTIONAL_SEQUENCE_RNN: ['1.14.0', '1.14.0', '2.3.0'],
  BITCAST: ['2.13.0'],
  BITWISE_XOR: ['2.13.0'],
  BROADCAST_ARGS: ['2.6.0'],
  BROADCAST_TO: [null, '2.5.0', '2.5.0', '2.23.0'],
  BUCKETIZE: ['2.8.0'],
  CALL_ONCE: ['2.5.0'],
  CAST: ['1.5.0', '2.7.0', '2.8.0', '2.9.0', '2.12.0', '2.15.0', '2.17.0', '2.21.0', '2.23.0'],
  CEIL: ['1.14.0'],
  COMPLEX_ABS: ['2.5.0'],
  CONCATENATION: ['1.5.0', '1.14.0', '2.3.0', '2.14.0', '2.21.0', '2.23.0', '2.23.0'],
  CONV_2D: ['1.5.0', '1.14.0', '1.14.0', '2.3.0', '2.4.0', '2.9.0', '2.11.0', '2.15.0'],
  CONV_3D: ['2.5.0'],
  CONV_3D_TRANSPOSE: ['2.6.0'],
  COS: ['1.14.0', '2.23.0'],
  CUMSUM: ['2.4.0'],
  DENSIFY: ['2.2.0'],
  DEPTHWISE_CONV_2D: ['1.5.0', '1.12.0', '1.14.0', '2.2.0', '2.3.0', '2.3.0', '2.11.0'],
  DEPTH_TO_SPACE: ['2.1.0', '2.5.0'],
  DEQUANTIZE: ['1.13.1', '1.14.0', '1.15.0', '2.2.0', '2.7.0', '2.18.0', '2.21.0', '2.22.0', '2.23.0'],
  DILATE: ['2.15.0'],
  DIV: ['1.6.0', '2.3.0'],
  DYNAMIC_UPDATE_SLICE: ['2.9.0', '2.17.0', '2.19.0', '2.20.0', '2.21.0', '2.22.0'],
  ELU: ['1.14.0'],
  EMBEDDING_LOOKUP: ['1.13.0', '1.14.0', '1.14.0', '2.18.0', '2.21.0'],
  EMBEDDING_LOOKUP_SPARSE: ['1.5.0'],
  EQUAL: ['1.14.0', '1.14.0', '2.3.0', '2.13.0', '2.21.0'],
  EXP: ['1.7.0', '2.12.0'],
  EXPAND_DIMS: ['1.10.0'],
  FAKE_QUANT: ['1.5.0', '1.10.0'],
  FILL: ['1.13.0', '2.3.0', '2.5.0', '2.12.0', '2.23.0'],
  FLOOR: ['1.9.0'],
  FLOOR_DIV: ['1.14.0', '1.14.0', '2.13.0'],
  FLOOR_MOD: ['1.13.0', '2.13.0'],
  FULLY_CONNECTED: ['1.5.0', '1.10.0', '1.14.0', '1.14.0', '2.0.0', '2.1.0', '2.3.0', '2.3.0', '2.3.0', '2.11.0', '2.15.0', '2.17.0', '2.18.0', '2.21.0'],
  GATHER: ['1.6.0', '1.14.0', '1.15.0', '2.4.0', '2.5.0', '2.13.0', '2.15.0', '2.23.0'],
  GATHER_ND: ['1.14.0', '2.3.0', '2.5.0', '2.13.0', '2.16.0', '2.23.0'],
  GELU: ['2.9.0', '2.9.0', '2.23.0'],
  GREATER: ['1.14.0', '1.14.0'],
  GREATER_EQUAL: ['1.14.0', '1.14.0', '2.13.0'],
  HARD_SWISH: ['1.15.0'],
  HASHTABLE: ['2.5.0'],
  HASHTABLE_FIND: ['2.5.0'],
  HASHTABLE_IMPORT: ['2.5.0'],
  HASHTABLE_LOOKUP: ['1.5.0'],
  HASHTABLE_SIZE: ['2.5.0'],
  IF: ['1.15.0'],
  IMAG: ['2.5.0'],
  L2_NORMALIZATION: ['1.5.0', '1.14.0'],
  L2_POOL_2D: ['1.5.0'],
  LEAKY_RELU: ['1.13.1', '2.3.0'],
  LESS: ['1.14.0', '1.14.0', '2.13.0'],
  LESS_EQUAL: ['1.14.0', '1.14.0'],
  LOCAL_RESPONSE_NORMALIZATION: ['1.5.0'],
  LOG: ['1.14.0', '2.15.0'],
  LOGICAL_AND: ['1.11.0'],
  LOGICAL_NOT: ['1.11.0'],
  LOGICAL_OR: ['1.11.0'],
  LOGISTIC: ['1.14.0', '1.14.0', '2.3.0'],
  LOG_SOFTMAX: ['1.14.0', '1.14.0'],
  LSH_PROJECTION: ['1.5.0'],
  LSTM: ['1.7.0', '1.10.0', '1.14.0', '2.3.0'],
  MATRIX_DIAG: ['1.14.0'],
  MATRIX_SET_DIAG: ['1.14.0'],
  MAXIMUM: ['1.14.0', '1.14.0', '2.3.0', '2.3.0'],
  MAX_POOL_2D: ['1.5.0', '1.14.0', '2.3.0'],
  MEAN: ['1.6.0', '1.14.0', '2.4.0'],
  MINIMUM: ['1.14.0', '1.14.0', '2.3.0', '2.3.0'],
  MIRROR_PAD: ['1.13.1', '2.3.0', '2.12.0'],
  MUL: ['1.5.0', '1.14.0', '1.15.0', '2.3.0', '2.6.0', '2.11.0', '2.13.0', '2.23.0'],
  MULTINOMIAL: ['2.8.0'],
  NEG: ['1.9.0'],
  NON_MAX_SUPPRESSION_V4: ['2.1.0'],
  NON_MAX_SUPPRESSION_V5: ['2.1.0'],
  NOT_EQUAL: ['1.14.0', '1.14.0', '2.3.0', '2.21.0'],
  ONE_HOT: ['1.11.0'],
  PACK: ['1.11.0', '1.14.0', '2.3.0', '2.13.0', '2.23.0'],
  PAD: ['1.5.0', '1.14.0', '2.4.0', '2.6.0', '2.20.0', '2.23.0'],
  PADV2: ['1.9.0', '1.14.0', '2.4.0', '2.6.0', '2.20.0', '2.23.0'],
  POW: ['1.10.0'],
  PRELU: ['1.8.0'],
  QUANTIZE: ['1.14.0', '1.15.0', '2.7.0', '2.21.0', '2.21.0', '2.21.0'],
  RANDOM_STANDARD_NORMAL: ['2.8.0'],
  RANDOM_UNIFORM: ['2.8.0'],
  RANGE: ['1.13.0', '2.14.0'],
  RANK: ['1.14.0'],
  READ_VARIABLE: ['2.6.0'],
  REAL: ['2.5.0'],
  REDUCE_ALL: ['2.6.0'],
  REDUCE_ANY: ['1.11.0'],
  REDUCE_MAX: ['1.11.0', '1.14.0', '2.5.0'],
  REDUCE_MIN: ['1.11.0', '1.14.0', '2.5.0'],
  REDUCE_PROD: ['1.11.0', '2.6.0'],
  REDUCE_WINDOW: ['2.15.0'],
  RELU: ['1.5.0', '2.1.0', '2.5.0'],
  RELU6: ['1.5.0', '1.14.0', '2.5.0'],
  RELU_0_TO_1: ['2.10.0'],
  RELU_N1_TO_1: ['1.5.0'],
  RESHAPE: ['1.5.0'],
  RESIZE_BILINEAR: ['1.7.0', '1.14.0', '2.2.0', '2.5.0'],
  RESIZE_NEAREST_NEIGHBOR: ['1.13.1', '1.14.0', '2.3.0', '2.4.0'],
  REVERSE_SEQUENCE: ['1.14.0'],
  REVERSE_V2: ['1.14.0', '2.2.0', '2.5.0', '2.23.0'],
  RFFT2D: ['2.5.0'],
  RIGHT_SHIFT: ['2.13.0'],
  RNN: ['1.5.0', '1.14.0', '2.3.0'],
  ROUND: ['1.14.0'],
  RSQRT: ['1.10.0', '2.5.0', '2.15.0'],
  SCATTER_ND: ['2.1.0'],
  SEGMENT_SUM: ['2.2.0'],
  SELECT: ['1.14.0', '1.14.0', '2.12.0', '2.12.0'],
  SELECT_V2: ['2.2.0', '2.12.0'],
  SHAPE: ['1.10.0'],
  SIGN: ['2.11.0', '2.12.0'],
  SIN: ['1.9.0', '2.23.0'],
  SKIP_GRAM: ['1.5.0'],
  SLICE: ['1.14.0', '1.14.0', '1.14.0', '2.4.0', '2.5.0', '2.14.0', '2.21.0', '2.23.0'],
  SOFTMAX: ['1.5.0', '1.14.0', '2.3.0', '2.23.0'],
  SPACE_TO_BATCH_ND: ['1.6.0', '1.14.0', '2.3.0', '2.12.0'],
  SPACE_TO_DEPTH: ['1.5.0', '1.14.0'],
  SPARSE_TO_DENSE: ['1.9.0', '1.14.0', '1.15.0'],
  SPLIT: ['1.5.0', '1.14.0', '1.14.0', '2.3.0', '2.23.0'],
  SPLIT_V: ['1.13.1', '2.3.0', '2.23.0'],
  SQRT: ['1.10.0', '2.21.0'],
  SQUARE: ['1.12.0'],
  SQUARED_DIFFERENCE: ['1.13.1', '2.5.0'],
  SQUEEZE: ['1.6.0', '2.5.0'],
  STABLEHLO_ADD: ['2.16.0'],
  STABLEHLO_AND: ['2.17.0'],
  STABLEHLO_CASE: ['2.17.0'],
  STABLEHLO_CBRT: ['2.17.0'],
  STABLEHLO_COMPOSITE: ['2.17.0'],
  STABLEHLO_GATHER: ['2.16.0'],
  STABLEHLO_MAXIMUM: ['2.16.0'],
  STABLEHLO_MINIMUM: ['2.16.0'],
  STABLEHLO_MULTIPLY: ['2.16.0'],
  STABLEHLO_PAD: ['2.16.0'],
  STABLEHLO_REDUCE_WINDOW: ['2.16.0'],
  STABLEHLO_RNG_BIT_GENERATOR: ['2.15.0'],
  STABLEHLO_SCATTER: ['2.15.0'],
  STABLEHLO_SHIFT_LEFT: ['2.17.0'],
  STRIDED_SLICE: ['1.6.0', '1.14.0', '2.1.0', '2.2.0', '2.5.0', '2.6.0', '2.14.0', '2.14.0'],
  SUB: ['1.6.0', '1.14.0', '2.3.0', '2.4.0', '2.4.0'],
  SUM: ['1.10.0', '1.15.0'],
  SVDF: ['1.5.0', '1.14.0', '2.2.0', '2.3.0'],
  TANH: ['1.14.0', '1.14.0', '2.3.0'],
  TILE: ['1.10.1', '2.2.0', '2.8.0'],
  TOPK_V2: ['1.7.0', '1.14.0', '2.13.0'],
  TRANSPOSE: ['1.6.0', '1.14.0', '1.15.0', '2.3.0', '2.4.0', '2.12.0', '2.14.4', '2.22.0', '2.23.0'],
  TRANSPOSE_CONV: ['1.9.0', '2.2.0', '2.3.0', '2.13.0', '2.15.0'],
  UNIDIRECTIONAL_SEQUENCE_LSTM: ['1.13.1', '1.14.0', '2.3.0', '2.12.0'],
  UNIDIRECTIONAL_SEQUENCE_RNN: ['1.14.0', '1.14.0', '2.3.0'],
  UNIQUE: ['1.14.0'],
  UNPACK: ['1.11.0', '1.14.0', '2.2.0', '2.3.0', '2.22.0', '2.23.0'],
  UNSORTED_SEGMENT_MAX: ['2.10.0'],
  UNSORTED_SEGMENT_MIN: ['2.11.0'],
  UNSORTED_SEGMENT_PROD: ['2.10.0'],
  UNSORTED_SEGMENT_SUM: ['2.10.0'],
  VAR_HANDLE: ['2.6.0'],
  WHERE: ['1.14.0', '2.8.0'],
  WHILE: ['1.15.0'],
  ZEROS_LIKE: ['1.12.0'],
};

/** The TFLite release that introduced (op, version), or null when runtime_version.cc has none. */
export function runtimeVersionFor(op: string, version: number): string | null {
  return RUNTIME_VERSIONS[op]?.[version - 1] ?? null;
}

/** Every (op, version) runtime_version.cc knows, for tests and docs. */
export function runtimeVersionTable(): ReadonlyMap<string, readonly (string | null)[]> {
  return new Map(Object.entries(RUNTIME_VERSIONS));
}

/**
 * min_runtime_version for graphs of TFLite nodes, as UpdateMinimumRuntimeVersionForModel computes
 * it: the newest release among the (op, version) pairs it knows; ops it does not know count for
 * nothing. null when it knows none of them (TFLite then leaves the metadata empty).
 */
export function minRuntimeVersion(graphs: readonly Graph[]): string | null {
  let best: string | null = null;
  for (const g of graphs) {
    for (const n of g.nodes) {
      const name = n.isTflite ? builtinName(n) : null;
      const v = name === null ? null : runtimeVersionFor(name, n.version);
      if (v !== null && (best === null || compareVersions(v, best) > 0)) best = v;
    }
  }
  return best;
}

/**
 * min_runtime_version as a string for the writer. When no op is in runtime_version.cc's map
 * (only custom ops), TFLite writes an empty string; the oldest release, 1.5.0, says the same.
 */
export function minRuntimeVersionOf(graphs: readonly Graph[]): string {
  return minRuntimeVersion(graphs) ?? '1.5.0';
}

/** Dotted version comparison (CompareRuntimeVersion). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}
