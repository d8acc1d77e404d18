// Plain-object shapes of the TensorFlow messages, as src/proto/index.ts decodes them:
// field names as in schemas/tensorflow/*.proto, enums as numbers, int64 as number, bytes as
// Uint8Array. Scalar and repeated fields are always present (defaults filled); message fields
// may be null when absent; for a oneof, the name of the set member is in the oneof's own field.

export type DataTypeNum = number;

export interface TensorShapeProto {
  dim: { size: number; name: string }[];
  unknown_rank: boolean;
}

export interface TensorProto {
  dtype: DataTypeNum;
  tensor_shape: TensorShapeProto | null;
  version_number: number;
  tensor_content: Uint8Array;
  half_val: number[];
  float_val: number[];
  double_val: number[];
  int_val: number[];
  string_val: Uint8Array[];
  scomplex_val: number[];
  int64_val: number[];
  bool_val: boolean[];
  dcomplex_val: number[];
  resource_handle_val: unknown[];
  variant_val: unknown[];
  uint32_val: number[];
  uint64_val: number[];
  float8_val: Uint8Array;
}

export interface NameAttrList {
  name: string;
  attr: Record<string, AttrValue>;
}

export interface AttrListValue {
  s: Uint8Array[];
  i: number[];
  f: number[];
  b: boolean[];
  type: DataTypeNum[];
  shape: TensorShapeProto[];
  tensor: TensorProto[];
  func: NameAttrList[];
}

export type AttrValueKind = 's' | 'i' | 'f' | 'b' | 'type' | 'shape' | 'tensor' | 'list' | 'func' | 'placeholder';

/** Exactly one member is set; `value` names it (undefined for an empty AttrValue). */
export interface AttrValue {
  value?: AttrValueKind;
  s?: Uint8Array;
  i?: number;
  f?: number;
  b?: boolean;
  type?: DataTypeNum;
  shape?: TensorShapeProto;
  tensor?: TensorProto;
  list?: AttrListValue;
  func?: NameAttrList;
  placeholder?: string;
}

export interface NodeDef {
  name: string;
  op: string;
  input: string[];
  device: string;
  attr: Record<string, AttrValue>;
  experimental_debug_info?: { original_node_names: string[]; original_func_names: string[] } | null;
  experimental_type?: unknown;
}

export interface VersionDef {
  producer: number;
  min_consumer: number;
  bad_consumers: number[];
}

/** ResourceHandleProto.DtypeAndShape: what a resource argument points at (ArgDef.handle_data). */
export interface ResourceDtypeAndShape {
  dtype: DataTypeNum;
  shape: TensorShapeProto | null;
}

export interface ArgDef {
  name: string;
  description: string;
  type: DataTypeNum;
  type_attr: string;
  number_attr: string;
  type_list_attr: string;
  is_ref: boolean;
  /** Resource arguments of TF2 functions: the variable's dtype and shape. */
  handle_data?: ResourceDtypeAndShape[];
}

export interface AttrDef {
  name: string;
  type: string;
  default_value: AttrValue | null;
  description: string;
  has_minimum: boolean;
  minimum: number;
  allowed_values: AttrValue | null;
}

export interface OpDef {
  name: string;
  input_arg: ArgDef[];
  output_arg: ArgDef[];
  control_output: string[];
  attr: AttrDef[];
  summary: string;
  description: string;
  is_commutative: boolean;
  is_aggregate: boolean;
  is_stateful: boolean;
  allows_uninitialized_input: boolean;
}

export interface FunctionDef {
  signature: OpDef;
  attr: Record<string, AttrValue>;
  arg_attr: Record<string, { attr: Record<string, AttrValue> }>;
  resource_arg_unique_id: Record<string, number>;
  node_def: NodeDef[];
  ret: Record<string, string>;
  control_ret: Record<string, string>;
}

export interface FunctionDefLibrary {
  function: FunctionDef[];
  gradient: { function_name: string; gradient_func: string }[];
}

export interface GraphDef {
  node: NodeDef[];
  versions: VersionDef | null;
  version: number;
  library: FunctionDefLibrary | null;
}

export interface TensorInfo {
  encoding?: 'name' | 'coo_sparse' | 'composite_tensor';
  name?: string;
  coo_sparse?: { values_tensor_name: string; indices_tensor_name: string; dense_shape_tensor_name: string };
  composite_tensor?: { type_spec: TypeSpecProto | null; components: TensorInfo[] };
  dtype: DataTypeNum;
  tensor_shape: TensorShapeProto | null;
}

export interface SignatureDef {
  inputs: Record<string, TensorInfo>;
  outputs: Record<string, TensorInfo>;
  method_name: string;
  defaults: Record<string, TensorProto>;
}

export interface AssetFileDef {
  tensor_info: TensorInfo | null;
  filename: string;
}

export interface CollectionDef {
  kind?: 'node_list' | 'bytes_list' | 'int64_list' | 'float_list' | 'any_list';
  node_list?: { value: string[] };
  bytes_list?: { value: Uint8Array[] };
  int64_list?: { value: number[] };
  float_list?: { value: number[] };
  any_list?: { value: { type_url: string; value: Uint8Array }[] };
}

export interface SaverDef {
  filename_tensor_name: string;
  save_tensor_name: string;
  restore_op_name: string;
  max_to_keep: number;
  sharded: boolean;
  keep_checkpoint_every_n_hours: number;
  version: number;
}

export interface MetaInfoDef {
  meta_graph_version: string;
  stripped_op_list: { op: OpDef[] } | null;
  tags: string[];
  tensorflow_version: string;
  tensorflow_git_version: string;
  stripped_default_attrs: boolean;
  function_aliases: Record<string, string>;
}

export interface MetaGraphDef {
  meta_info_def: MetaInfoDef | null;
  graph_def: GraphDef | null;
  saver_def: SaverDef | null;
  collection_def: Record<string, CollectionDef>;
  signature_def: Record<string, SignatureDef>;
  asset_file_def: AssetFileDef[];
  object_graph_def: SavedObjectGraph | null;
}

export interface SavedModel {
  saved_model_schema_version: number;
  meta_graphs: MetaGraphDef[];
}

// --- StructuredValue (function signatures in the object graph) ---

export interface TensorSpecProto {
  name: string;
  shape: TensorShapeProto | null;
  dtype: DataTypeNum;
}

export interface TypeSpecProto {
  type_spec_class: number;
  type_state: StructuredValue | null;
  type_spec_class_name: string;
  num_flat_components: number;
}

export interface StructuredValue {
  kind?:
    | 'none_value'
    | 'float64_value'
    | 'int64_value'
    | 'string_value'
    | 'bool_value'
    | 'tensor_shape_value'
    | 'tensor_dtype_value'
    | 'tensor_spec_value'
    | 'type_spec_value'
    | 'bounded_tensor_spec_value'
    | 'list_value'
    | 'tuple_value'
    | 'dict_value'
    | 'named_tuple_value'
    | 'tensor_value'
    | 'numpy_value';
  none_value?: Record<string, never>;
  float64_value?: number;
  int64_value?: number;
  string_value?: string;
  bool_value?: boolean;
  tensor_shape_value?: TensorShapeProto;
  tensor_dtype_value?: DataTypeNum;
  tensor_spec_value?: TensorSpecProto;
  type_spec_value?: TypeSpecProto;
  bounded_tensor_spec_value?: TensorSpecProto;
  list_value?: { values: StructuredValue[] };
  tuple_value?: { values: StructuredValue[] };
  dict_value?: { fields: Record<string, StructuredValue> };
  named_tuple_value?: { name: string; values: { key: string; value: StructuredValue | null }[] };
  tensor_value?: TensorProto;
  numpy_value?: TensorProto;
}

// --- SavedObjectGraph ---

export interface ObjectReference {
  node_id: number;
  local_name: string;
}

export interface SavedVariable {
  dtype: DataTypeNum;
  shape: TensorShapeProto | null;
  trainable: boolean;
  synchronization: number;
  aggregation: number;
  name: string;
  device: string;
}

export interface SavedConcreteFunction {
  bound_inputs: number[];
  canonicalized_input_signature: StructuredValue | null;
  output_signature: StructuredValue | null;
}

export interface SavedObject {
  children: ObjectReference[];
  dependencies: ObjectReference[];
  slot_variables: { original_variable_node_id: number; slot_name: string; slot_variable_node_id: number }[];
  kind?:
    | 'user_object'
    | 'asset'
    | 'function'
    | 'variable'
    | 'bare_concrete_function'
    | 'constant'
    | 'resource'
    | 'captured_tensor';
  user_object?: { identifier: string; version: VersionDef | null; metadata: string };
  asset?: { asset_file_def_index: number };
  function?: { concrete_functions: string[]; function_spec: unknown };
  variable?: SavedVariable;
  bare_concrete_function?: {
    concrete_function_name: string;
    argument_keywords: string[];
    allowed_positional_arguments: number;
  };
  constant?: { operation: string };
  resource?: { device: string };
  captured_tensor?: { name: string; concrete_function: string };
  registered_name: string;
}

export interface SavedObjectGraph {
  nodes: SavedObject[];
  concrete_functions: Record<string, SavedConcreteFunction>;
}

// --- TensorBundle and checkpoint object graph ---

export interface BundleHeaderProto {
  num_shards: number;
  endianness: number;
  version: VersionDef | null;
}

export interface TensorSliceProto {
  extent: { start: number; length?: number; has_length?: 'length' }[];
}

export interface BundleEntryProto {
  dtype: DataTypeNum;
  shape: TensorShapeProto | null;
  shard_id: number;
  offset: number;
  size: number;
  crc32c: number;
  slices: TensorSliceProto[];
}

export interface TrackableObjectGraph {
  nodes: {
    children: ObjectReference[];
    attributes: { name: string; full_name: string; checkpoint_key: string }[];
    slot_variables: { original_variable_node_id: number; slot_name: string; slot_variable_node_id: number }[];
  }[];
}

export interface VariableDef {
  variable_name: string;
  initial_value_name: string;
  initializer_name: string;
  snapshot_name: string;
  is_resource: boolean;
  trainable: boolean;
}
