// Output argument layouts of TF ops with more than one output argument, needed to resolve
// function-body references like "bn:batch_mean:0" to flat output indices. Single-output ops need
// no entry ("x:product:0" is output 0). Taken from TensorFlow's op registrations
// (tensorflow/core/ops/*.cc); MetaGraphs add their own stripped_op_list at run time.

import type { NodeDef, OpDef } from '../proto/types.js';

/** One output argument: its name and how many tensors it holds for a given node. */
export interface OutputArg {
  name: string;
  /** 1 for a single tensor; otherwise the attr giving the count (int attr or list-of-types attr). */
  count?: { numberAttr?: string; typeListAttr?: string };
}

const one = (name: string): OutputArg => ({ name });
const byNumber = (name: string, attr: string): OutputArg => ({ name, count: { numberAttr: attr } });
const byTypes = (name: string, attr: string): OutputArg => ({ name, count: { typeListAttr: attr } });

const FUSED_BN = ['y', 'batch_mean', 'batch_variance', 'reserve_space_1', 'reserve_space_2'].map(one);

export const BUILTIN_OUTPUT_ARGS: Record<string, OutputArg[]> = {
  FusedBatchNorm: FUSED_BN,
  FusedBatchNormV2: FUSED_BN,
  FusedBatchNormV3: [...FUSED_BN, one('reserve_space_3')],
  Switch: [one('output_false'), one('output_true')],
  RefSwitch: [one('output_false'), one('output_true')],
  Merge: [one('output'), one('value_index')],
  RefMerge: [one('output'), one('value_index')],
  Split: [byNumber('output', 'num_split')],
  SplitV: [byNumber('output', 'num_split')],
  Unpack: [byNumber('output', 'num')],
  ShapeN: [byNumber('output', 'N')],
  IdentityN: [byTypes('output', 'T')],
  StatefulPartitionedCall: [byTypes('output', 'Tout')],
  PartitionedCall: [byTypes('output', 'Tout')],
  If: [byTypes('output', 'Tout')],
  StatelessIf: [byTypes('output', 'Tout')],
  While: [byTypes('output', 'T')],
  StatelessWhile: [byTypes('output', 'T')],
  RestoreV2: [byTypes('tensors', 'dtypes')],
  Unique: [one('y'), one('idx')],
  UniqueV2: [one('y'), one('idx')],
  UniqueWithCounts: [one('y'), one('idx'), one('count')],
  TopKV2: [one('values'), one('indices')],
  MaxPoolWithArgmax: [one('output'), one('argmax')],
  DecodeWav: [one('audio'), one('sample_rate')],
  NonMaxSuppressionV4: [one('selected_indices'), one('valid_outputs')],
  NonMaxSuppressionV5: [one('selected_indices'), one('selected_scores'), one('valid_outputs')],
  SparseReshape: [one('output_indices'), one('output_shape')],
  SparseFillEmptyRows: [one('output_indices'), one('output_values'), one('empty_row_indicator'), one('reverse_index_map')],
  CudnnRNN: [one('output'), one('output_h'), one('output_c'), one('reserve_space')],
  CudnnRNNV2: [one('output'), one('output_h'), one('output_c'), one('reserve_space'), one('host_reserved')],
  CudnnRNNV3: [one('output'), one('output_h'), one('output_c'), one('reserve_space'), one('host_reserved')],
  BroadcastGradientArgs: [one('r0'), one('r1')],
};

/** Output argument layouts from a MetaGraph's stripped_op_list (multi-output ops only). */
export function outputArgsFromOpDefs(ops: readonly OpDef[]): Record<string, OutputArg[]> {
  const out: Record<string, OutputArg[]> = {};
  for (const op of ops) {
    if (op.output_arg.length <= 1 && !op.output_arg.some((a) => a.number_attr || a.type_list_attr)) continue;
    out[op.name] = op.output_arg.map((a) =>
      a.number_attr ? byNumber(a.name, a.number_attr) : a.type_list_attr ? byTypes(a.name, a.type_list_attr) : one(a.name),
    );
  }
  return out;
}

/** How many tensors an output argument holds on this node. */
export function argSize(arg: OutputArg, node: NodeDef): number {
  if (!arg.count) return 1;
  if (arg.count.numberAttr) return node.attr[arg.count.numberAttr]?.i ?? 0;
  return node.attr[arg.count.typeListAttr as string]?.list?.type.length ?? 0;
}
