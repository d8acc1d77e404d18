// The OpDefs of every op the builder writes, as TensorFlow 2.6's op registry defines them
// (tensorflow/core/ops/*.cc; the per-op history in tensorflow/core/ops/compat/ops_history_v2).
// They serve three purposes: the MetaGraph's stripped_op_list (TF writes the OpDef of every op the
// graph and its functions use, documentation removed), the output argument names that function
// bodies use in their references ("Conv2D:output:0"), and the list of attributes every node must
// carry (we write every attribute, defaults included: stripped_default_attrs is false).
//
// Attributes added to these ops after TF 2.6 (MatMul grad_a/grad_b, AssignVariableOp
// validate_shape, MergeV2Checkpoints allow_missing_files, ...) are deliberately absent: a node
// that names an attribute its consumer's registry lacks fails to load, and TensorFlow fills
// newer attributes with their defaults itself.

import type { AttrDef, AttrValue, OpDef } from '../proto/types.js';
import { DT, attrB, attrI, attrList, attrS, attrShape, attrType, attrTypes, unknownShape } from './attrs.js';

type ArgSpec = { name: string; type?: number; typeAttr?: string; numberAttr?: string; typeListAttr?: string };

interface OpSpec {
  inputs: ArgSpec[];
  outputs: ArgSpec[];
  attrs: AttrDef[];
  stateful?: boolean;
  commutative?: boolean;
  aggregate?: boolean;
}

const t = (name: string, typeAttr: string): ArgSpec => ({ name, typeAttr });
const fixed = (name: string, type: number): ArgSpec => ({ name, type });
const numbered = (name: string, numberAttr: string, type: string | number): ArgSpec =>
  typeof type === 'string' ? { name, numberAttr, typeAttr: type } : { name, numberAttr, type };
const typeList = (name: string, typeListAttr: string): ArgSpec => ({ name, typeListAttr });

function attr(
  name: string,
  type: string,
  options: { default?: AttrValue; allowed?: AttrValue; min?: number } = {},
): AttrDef {
  return {
    name,
    type,
    default_value: options.default ?? null,
    description: '',
    has_minimum: options.min !== undefined,
    minimum: options.min ?? 0,
    allowed_values: options.allowed ?? null,
  };
}

const strings = (...values: string[]): AttrValue => attrList({ s: values });
const types = (...values: number[]): AttrValue => attrTypes(values);
const typeAttr = (name: string, allowed?: number[], dflt?: number): AttrDef =>
  attr(name, 'type', { ...(allowed ? { allowed: types(...allowed) } : {}), ...(dflt !== undefined ? { default: attrType(dflt) } : {}) });

const NHWC_NCHW = strings('NHWC', 'NCHW');
const DATA_FORMAT = attr('data_format', 'string', { default: attrS('NHWC'), allowed: NHWC_NCHW });
const INDEX_TYPE = (name: string) => typeAttr(name, [DT.INT32, DT.INT64], DT.INT32);
const EMPTY_INTS = attrList({ i: [] });

/** numbertype / realnumbertype as TF 2.6 expands them (order as the registry lists them). */
const NUMBER_TYPES = [
  DT.FLOAT, DT.DOUBLE, DT.INT32, DT.UINT8, DT.INT16, DT.INT8, DT.COMPLEX64, DT.INT64, DT.QINT8, DT.QUINT8, DT.QINT32,
  DT.BFLOAT16, DT.UINT16, DT.COMPLEX128, DT.HALF, DT.UINT32, DT.UINT64,
];

/** FakeQuantWithMinMaxVars and its per-channel twin have the same OpDef (min/max scalars or [d]). */
const FAKE_QUANT_VARS: OpSpec = {
  inputs: [fixed('inputs', DT.FLOAT), fixed('min', DT.FLOAT), fixed('max', DT.FLOAT)],
  outputs: [fixed('outputs', DT.FLOAT)],
  attrs: [attr('num_bits', 'int', { default: attrI(8) }), attr('narrow_range', 'bool', { default: attrB(false) })],
};

const SPECS: Record<string, OpSpec> = {
  // --- graph plumbing ---
  Placeholder: {
    inputs: [],
    outputs: [t('output', 'dtype')],
    attrs: [attr('dtype', 'type'), attr('shape', 'shape', { default: attrShape(unknownShape()) })],
  },
  Const: { inputs: [], outputs: [t('output', 'dtype')], attrs: [attr('value', 'tensor'), attr('dtype', 'type')] },
  Identity: { inputs: [t('input', 'T')], outputs: [t('output', 'T')], attrs: [attr('T', 'type')] },
  NoOp: { inputs: [], outputs: [], attrs: [] },
  VarHandleOp: {
    inputs: [],
    outputs: [fixed('resource', DT.RESOURCE)],
    attrs: [
      attr('container', 'string', { default: attrS('') }),
      attr('shared_name', 'string', { default: attrS('') }),
      attr('dtype', 'type'),
      attr('shape', 'shape'),
      attr('allowed_devices', 'list(string)', { default: attrList({ s: [] }) }),
    ],
    stateful: true,
  },
  ReadVariableOp: { inputs: [fixed('resource', DT.RESOURCE)], outputs: [t('value', 'dtype')], attrs: [attr('dtype', 'type')], stateful: true },
  AssignVariableOp: {
    inputs: [fixed('resource', DT.RESOURCE), t('value', 'dtype')],
    outputs: [],
    attrs: [attr('dtype', 'type')],
    stateful: true,
  },
  StatefulPartitionedCall: {
    inputs: [typeList('args', 'Tin')],
    outputs: [typeList('output', 'Tout')],
    attrs: [
      attr('Tin', 'list(type)', { min: 0 }),
      attr('Tout', 'list(type)', { min: 0 }),
      attr('f', 'func'),
      attr('config', 'string', { default: attrS('') }),
      attr('config_proto', 'string', { default: attrS('') }),
      attr('executor_type', 'string', { default: attrS('') }),
    ],
    stateful: true,
  },
  // --- checkpoint save and restore ---
  RestoreV2: {
    inputs: [fixed('prefix', DT.STRING), fixed('tensor_names', DT.STRING), fixed('shape_and_slices', DT.STRING)],
    outputs: [typeList('tensors', 'dtypes')],
    attrs: [attr('dtypes', 'list(type)', { min: 1 })],
    stateful: true,
  },
  SaveV2: {
    inputs: [fixed('prefix', DT.STRING), fixed('tensor_names', DT.STRING), fixed('shape_and_slices', DT.STRING), typeList('tensors', 'dtypes')],
    outputs: [],
    attrs: [attr('dtypes', 'list(type)', { min: 1 })],
    stateful: true,
  },
  MergeV2Checkpoints: {
    inputs: [fixed('checkpoint_prefixes', DT.STRING), fixed('destination_prefix', DT.STRING)],
    outputs: [],
    attrs: [attr('delete_old_dirs', 'bool', { default: attrB(true) })],
    stateful: true,
  },
  ShardedFilename: {
    inputs: [fixed('basename', DT.STRING), fixed('shard', DT.INT32), fixed('num_shards', DT.INT32)],
    outputs: [fixed('filename', DT.STRING)],
    attrs: [],
  },
  StaticRegexFullMatch: { inputs: [fixed('input', DT.STRING)], outputs: [fixed('output', DT.BOOL)], attrs: [attr('pattern', 'string')] },
  Select: { inputs: [fixed('condition', DT.BOOL), t('t', 'T'), t('e', 'T')], outputs: [t('output', 'T')], attrs: [attr('T', 'type')] },
  StringJoin: {
    inputs: [numbered('inputs', 'N', DT.STRING)],
    outputs: [fixed('output', DT.STRING)],
    attrs: [attr('N', 'int', { min: 1 }), attr('separator', 'string', { default: attrS('') })],
  },
  Pack: {
    inputs: [numbered('values', 'N', 'T')],
    outputs: [t('output', 'T')],
    attrs: [attr('N', 'int', { min: 1 }), attr('T', 'type'), attr('axis', 'int', { default: attrI(0) })],
  },
  // --- layers ---
  Conv2D: {
    inputs: [t('input', 'T'), t('filter', 'T')],
    outputs: [t('output', 'T')],
    attrs: [
      typeAttr('T', [DT.HALF, DT.BFLOAT16, DT.FLOAT, DT.DOUBLE, DT.INT32]),
      attr('strides', 'list(int)'),
      attr('use_cudnn_on_gpu', 'bool', { default: attrB(true) }),
      attr('padding', 'string', { allowed: strings('SAME', 'VALID', 'EXPLICIT') }),
      attr('explicit_paddings', 'list(int)', { default: EMPTY_INTS }),
      DATA_FORMAT,
      attr('dilations', 'list(int)', { default: attrList({ i: [1, 1, 1, 1] }) }),
    ],
  },
  DepthwiseConv2dNative: {
    inputs: [t('input', 'T'), t('filter', 'T')],
    outputs: [t('output', 'T')],
    attrs: [
      typeAttr('T', [DT.HALF, DT.BFLOAT16, DT.FLOAT, DT.DOUBLE]),
      attr('strides', 'list(int)'),
      attr('padding', 'string', { allowed: strings('SAME', 'VALID', 'EXPLICIT') }),
      attr('explicit_paddings', 'list(int)', { default: EMPTY_INTS }),
      DATA_FORMAT,
      attr('dilations', 'list(int)', { default: attrList({ i: [1, 1, 1, 1] }) }),
    ],
  },
  BiasAdd: {
    inputs: [t('value', 'T'), t('bias', 'T')],
    outputs: [t('output', 'T')],
    attrs: [typeAttr('T', NUMBER_TYPES), DATA_FORMAT],
  },
  FusedBatchNormV3: {
    inputs: [t('x', 'T'), t('scale', 'U'), t('offset', 'U'), t('mean', 'U'), t('variance', 'U')],
    outputs: [
      t('y', 'T'),
      t('batch_mean', 'U'),
      t('batch_variance', 'U'),
      t('reserve_space_1', 'U'),
      t('reserve_space_2', 'U'),
      t('reserve_space_3', 'U'),
    ],
    attrs: [
      typeAttr('T', [DT.HALF, DT.BFLOAT16, DT.FLOAT]),
      typeAttr('U', [DT.FLOAT]),
      attr('epsilon', 'float', { default: { value: 'f', f: 0.0001 } }),
      attr('exponential_avg_factor', 'float', { default: { value: 'f', f: 1 } }),
      attr('data_format', 'string', { default: attrS('NHWC'), allowed: strings('NHWC', 'NCHW', 'NDHWC', 'NCDHW') }),
      attr('is_training', 'bool', { default: attrB(true) }),
    ],
  },
  Relu: {
    inputs: [t('features', 'T')],
    outputs: [t('activations', 'T')],
    attrs: [
      typeAttr('T', [
        DT.FLOAT, DT.DOUBLE, DT.INT32, DT.UINT8, DT.INT16, DT.INT8, DT.INT64, DT.BFLOAT16, DT.UINT16, DT.HALF, DT.UINT32, DT.UINT64, DT.QINT8,
      ]),
    ],
  },
  Relu6: {
    inputs: [t('features', 'T')],
    outputs: [t('activations', 'T')],
    attrs: [
      typeAttr('T', [DT.FLOAT, DT.DOUBLE, DT.INT32, DT.UINT8, DT.INT16, DT.INT8, DT.INT64, DT.BFLOAT16, DT.UINT16, DT.HALF, DT.UINT32, DT.UINT64]),
    ],
  },
  Softmax: { inputs: [t('logits', 'T')], outputs: [t('softmax', 'T')], attrs: [typeAttr('T', [DT.HALF, DT.BFLOAT16, DT.FLOAT, DT.DOUBLE])] },
  MaxPool: {
    inputs: [t('input', 'T')],
    outputs: [t('output', 'T')],
    attrs: [
      typeAttr(
        'T',
        [DT.HALF, DT.BFLOAT16, DT.FLOAT, DT.DOUBLE, DT.INT32, DT.INT64, DT.UINT8, DT.INT16, DT.INT8, DT.UINT16, DT.QINT8],
        DT.FLOAT,
      ),
      attr('ksize', 'list(int)', { min: 4 }),
      attr('strides', 'list(int)', { min: 4 }),
      attr('padding', 'string', { allowed: strings('SAME', 'VALID', 'EXPLICIT') }),
      attr('explicit_paddings', 'list(int)', { default: EMPTY_INTS }),
      attr('data_format', 'string', { default: attrS('NHWC'), allowed: strings('NHWC', 'NCHW', 'NCHW_VECT_C') }),
    ],
  },
  AvgPool: {
    inputs: [t('value', 'T')],
    outputs: [t('output', 'T')],
    attrs: [
      attr('ksize', 'list(int)', { min: 4 }),
      attr('strides', 'list(int)', { min: 4 }),
      attr('padding', 'string', { allowed: strings('SAME', 'VALID') }),
      DATA_FORMAT,
      typeAttr('T', [DT.HALF, DT.BFLOAT16, DT.FLOAT, DT.DOUBLE]),
    ],
  },
  Mean: {
    inputs: [t('input', 'T'), t('reduction_indices', 'Tidx')],
    outputs: [t('output', 'T')],
    attrs: [attr('keep_dims', 'bool', { default: attrB(false) }), typeAttr('T', NUMBER_TYPES), INDEX_TYPE('Tidx')],
  },
  Reshape: {
    inputs: [t('tensor', 'T'), t('shape', 'Tshape')],
    outputs: [t('output', 'T')],
    attrs: [attr('T', 'type'), INDEX_TYPE('Tshape')],
  },
  MatMul: {
    inputs: [t('a', 'T'), t('b', 'T')],
    outputs: [t('product', 'T')],
    attrs: [
      attr('transpose_a', 'bool', { default: attrB(false) }),
      attr('transpose_b', 'bool', { default: attrB(false) }),
      typeAttr('T', [DT.BFLOAT16, DT.HALF, DT.FLOAT, DT.DOUBLE, DT.INT32, DT.INT64, DT.COMPLEX64, DT.COMPLEX128]),
    ],
  },
  AddV2: {
    inputs: [t('x', 'T'), t('y', 'T')],
    outputs: [t('z', 'T')],
    attrs: [
      typeAttr('T', [
        DT.BFLOAT16, DT.HALF, DT.FLOAT, DT.DOUBLE, DT.UINT8, DT.UINT16, DT.UINT32, DT.UINT64, DT.INT8, DT.INT16, DT.INT32, DT.INT64, DT.COMPLEX64,
        DT.COMPLEX128,
      ]),
    ],
    commutative: true,
    aggregate: true,
  },
  ConcatV2: {
    inputs: [numbered('values', 'N', 'T'), t('axis', 'Tidx')],
    outputs: [t('output', 'T')],
    attrs: [attr('N', 'int', { min: 2 }), attr('T', 'type'), INDEX_TYPE('Tidx')],
  },
  Pad: {
    inputs: [t('input', 'T'), t('paddings', 'Tpaddings')],
    outputs: [t('output', 'T')],
    attrs: [attr('T', 'type'), INDEX_TYPE('Tpaddings')],
  },
  // --- fake quantization (tfconv qat; array_ops.cc) ---
  FakeQuantWithMinMaxVars: FAKE_QUANT_VARS,
  FakeQuantWithMinMaxVarsPerChannel: FAKE_QUANT_VARS,
};

/** The ops the builder can write. */
export const BUILDER_OPS: readonly string[] = Object.keys(SPECS).sort();

function argDef(a: ArgSpec) {
  return {
    name: a.name,
    description: '',
    type: a.type ?? 0,
    type_attr: a.typeAttr ?? '',
    number_attr: a.numberAttr ?? '',
    type_list_attr: a.typeListAttr ?? '',
    is_ref: false,
  };
}

/** The OpDef as it appears in a stripped_op_list. */
export function opDef(op: string): OpDef {
  const s = SPECS[op];
  if (!s) throw new Error(`builder: no OpDef for ${op}`);
  return {
    name: op,
    input_arg: s.inputs.map(argDef),
    output_arg: s.outputs.map(argDef),
    control_output: [],
    attr: s.attrs,
    summary: '',
    description: '',
    is_commutative: s.commutative ?? false,
    is_aggregate: s.aggregate ?? false,
    is_stateful: s.stateful ?? false,
    allows_uninitialized_input: false,
  };
}

/** Names of the op's attributes (every one must be set on a node, as stripped_default_attrs is false). */
export function attrNames(op: string): string[] {
  return opDef(op).attr.map((a) => a.name);
}

/** Default values of the op's attributes that have one. */
export function attrDefaults(op: string): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const a of opDef(op).attr) if (a.default_value) out[a.name] = a.default_value;
  return out;
}

/**
 * The output argument and index within it of flat output `index` of a node, for references in
 * function bodies ("bn:y:0", "restore:tensors:3"). List arguments are sized from the node's attrs.
 */
export function outputArg(op: string, attrs: Record<string, AttrValue>, index: number): { arg: string; index: number } {
  let base = 0;
  for (const a of SPECS[op]?.outputs ?? []) {
    const size = a.numberAttr ? (attrs[a.numberAttr]?.i ?? 0) : a.typeListAttr ? (attrs[a.typeListAttr]?.list?.type.length ?? 0) : 1;
    if (index < base + size) return { arg: a.name, index: index - base };
    base += size;
  }
  throw new Error(`builder: ${op} has no output ${index}`);
}
