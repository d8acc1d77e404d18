// restore-default-attrs: TF2 SavedModels are saved with stripped_default_attrs, so attributes
// equal to their op's default are missing from the nodes inside functions (e.g. Conv2D without
// 'dilations'). The MetaGraph's stripped_op_list covers only top-level ops, so the defaults of
// the ops tfconv reads live here, as data (values from TensorFlow's op registrations,
// tensorflow/core/ops/*.cc). Every consumer (our semantics, the lowering, the tfjs reference)
// then sees explicit attributes.

import type { AttrValue, GraphDef, NodeDef, OpDef } from '../proto/types.js';

const list = (kind: 'i' | 'f', values: number[]): AttrValue => ({
  value: 'list',
  list: { s: [], i: kind === 'i' ? values : [], f: kind === 'f' ? values : [], b: [], type: [], shape: [], tensor: [], func: [] },
});
const s = (v: string): AttrValue => ({ value: 's', s: new TextEncoder().encode(v) });
const i = (v: number): AttrValue => ({ value: 'i', i: v });
const f = (v: number): AttrValue => ({ value: 'f', f: v });
const b = (v: boolean): AttrValue => ({ value: 'b', b: v });
const type = (v: number): AttrValue => ({ value: 'type', type: v });

const NHWC = { data_format: s('NHWC') };
const CONV = { ...NHWC, dilations: list('i', [1, 1, 1, 1]), explicit_paddings: list('i', []) };
const REDUCE = { keep_dims: b(false) };
const BN = { epsilon: f(0.0001), exponential_avg_factor: f(1), ...NHWC, is_training: b(true) };
const RESIZE = { align_corners: b(false), half_pixel_centers: b(false) };
const FAKE_QUANT = { num_bits: i(8), narrow_range: b(false) };
const QDQ = { signed_input: b(true), narrow_range: b(false), axis: i(-1) };
const DT_INT32 = 3;
const DT_INT64 = 9;

export const DEFAULT_ATTRS: Record<string, Record<string, AttrValue>> = {
  Conv2D: { ...CONV, use_cudnn_on_gpu: b(true) },
  Conv2DBackpropInput: { ...CONV, use_cudnn_on_gpu: b(true) },
  DepthwiseConv2dNative: CONV,
  MaxPool: { ...NHWC, explicit_paddings: list('i', []) },
  MaxPoolV2: NHWC,
  AvgPool: NHWC,
  BiasAdd: NHWC,
  DepthToSpace: NHWC,
  SpaceToDepth: NHWC,
  FusedBatchNorm: BN,
  FusedBatchNormV2: BN,
  FusedBatchNormV3: BN,
  MatMul: { transpose_a: b(false), transpose_b: b(false) },
  BatchMatMul: { adj_x: b(false), adj_y: b(false) },
  BatchMatMulV2: { adj_x: b(false), adj_y: b(false) },
  BatchMatMulV3: { adj_x: b(false), adj_y: b(false) },
  Squeeze: { squeeze_dims: list('i', []) },
  StridedSlice: { begin_mask: i(0), end_mask: i(0), ellipsis_mask: i(0), new_axis_mask: i(0), shrink_axis_mask: i(0) },
  Mean: REDUCE,
  Sum: REDUCE,
  Max: REDUCE,
  Min: REDUCE,
  Prod: REDUCE,
  All: REDUCE,
  Any: REDUCE,
  ArgMax: { output_type: type(DT_INT64) },
  ArgMin: { output_type: type(DT_INT64) },
  Shape: { out_type: type(DT_INT32) },
  Size: { out_type: type(DT_INT32) },
  Cast: { Truncate: b(false) },
  ResizeBilinear: RESIZE,
  ResizeNearestNeighbor: RESIZE,
  Pack: { axis: i(0) },
  Unpack: { axis: i(0) },
  LeakyRelu: { alpha: f(0.2) },
  GatherV2: { batch_dims: i(0) },
  OneHot: { axis: i(-1) },
  TopKV2: { sorted: b(true) },
  Cumsum: { exclusive: b(false), reverse: b(false) },
  Cumprod: { exclusive: b(false), reverse: b(false) },
  LRN: { depth_radius: i(5), bias: f(1), alpha: f(1), beta: f(0.5) },
  FakeQuantWithMinMaxVars: FAKE_QUANT,
  FakeQuantWithMinMaxVarsPerChannel: FAKE_QUANT,
  FakeQuantWithMinMaxArgs: { ...FAKE_QUANT, min: f(-6), max: f(6) },
  QuantizeAndDequantizeV2: { ...QDQ, num_bits: i(8), range_given: b(false), round_mode: s('HALF_TO_EVEN') },
  QuantizeAndDequantizeV3: { ...QDQ, range_given: b(true) },
  QuantizeAndDequantizeV4: { ...QDQ, num_bits: i(8), range_given: b(false), round_mode: s('HALF_TO_EVEN') },
};

/** Defaults from a MetaGraph's stripped_op_list, for ops the table does not cover. */
export function defaultsFromOpDefs(ops: readonly OpDef[]): Record<string, Record<string, AttrValue>> {
  const out: Record<string, Record<string, AttrValue>> = {};
  for (const op of ops) {
    const d: Record<string, AttrValue> = {};
    for (const a of op.attr) if (a.default_value && a.default_value.value !== undefined) d[a.name] = a.default_value;
    if (Object.keys(d).length) out[op.name] = d;
  }
  return out;
}

/** Every node gets the default of each attribute it lacks. */
export function restoreDefaultAttrs(gd: GraphDef, extra: Record<string, Record<string, AttrValue>> = {}): GraphDef {
  return {
    ...gd,
    node: gd.node.map((n): NodeDef => {
      const defaults = { ...(extra[n.op] ?? {}), ...(DEFAULT_ATTRS[n.op] ?? {}) };
      const missing = Object.keys(defaults).filter((k) => n.attr[k] === undefined);
      if (missing.length === 0) return n;
      const attr = { ...n.attr };
      for (const k of missing) attr[k] = defaults[k];
      return { ...n, attr };
    }),
  };
}
