// A BuiltModel as the SavedModel TensorFlow 2.6 writes for a Keras functional model
// (`model.save(dir)`), mirrored from real files (fixtures kaggle-docker-python-keras, TF 2.6.4;
// mlcommons-tiny-kws and tf-rust-keras, TF 2.3) and TensorFlow's save code:
//
// graph_def (top level), in TF's order:
//   <var> = VarHandleOp (shared_name = variable name), <var>/Read/ReadVariableOp, per variable;
//   NoOp (the init op: __saved_model_init_op and the saved_model_main_op collection);
//   Const = the serialized checkpoint object graph (fed to the save function);
//   serving_default_<input> = Placeholder, per input (sorted);
//   StatefulPartitionedCall = call of __inference_signature_wrapper_N (inputs, then the
//     VarHandleOps the model captures), whose outputs the serving_default signature names;
//   saver_filename = Placeholder (string), saver_def.filename_tensor_name;
//   StatefulPartitionedCall_1 = call of __inference__traced_save_N (saver_def.save_tensor_name);
//   StatefulPartitionedCall_2 = call of __inference__traced_restore_N (saver_def.restore_op_name):
//     RestoreV2 of every checkpoint key, AssignVariableOp onto the handles passed in.
// library: the model function (emit.ts), the signature wrapper, the save and restore functions.
// object_graph_def: root "_tf_keras_network" with children layer-i / layer_with_weights-k (the
//   names the checkpoint keys come from), variables, trainable_variables, signatures (a
//   signature_map holding serving_default), _default_save_signature; node ids assigned
//   breadth-first over the trackable objects, the functions appended after them, as TF 2.6 does.
// variables/: the TensorBundle, keys "layer_with_weights-K/<attr>/.ATTRIBUTES/VARIABLE_VALUE",
//   tensors appended in SaveV2 order, then _CHECKPOINTABLE_OBJECT_GRAPH (the same bytes as Const).
//
// The assembly is generic (assembleSavedModel): any model function with its inputs, outputs and
// captured variables, and any tree of trackable objects holding the variables, gets this layout;
// buildSavedModel describes a BuiltModel (Keras layers) that way, and `tfconv qat`
// (src/quantize/qat-insert.ts) a prepared inference graph.
//
// Left out of Keras's layout: the optimizer and metric objects, keras_api / regularization_losses
// bookkeeping objects, the per-layer call functions (__call__, call_and_return_...), and Keras's
// metadata (keras_metadata.pb): tf.saved_model.load and the C++ loader do not need them; Keras's
// own load_model would rebuild the layers from that metadata, which we do not write.

import fs from 'node:fs';
import path from 'node:path';
import type { TensorValue } from '../core/tensor.js';
import { err } from '../errors/index.js';
import { TrackableObjectGraphCodec } from '../proto/index.js';
import type {
  AttrValue,
  FunctionDef,
  MetaGraphDef,
  NodeDef,
  OpDef,
  SavedConcreteFunction,
  SavedModel,
  SavedObject,
  SavedObjectGraph,
  SignatureDef,
  StructuredValue,
  TrackableObjectGraph,
} from '../proto/types.js';
import { OBJECT_GRAPH_KEY } from '../readers/variables.js';
import { type WriteSavedModelResult, writeSavedModel } from '../writers/savedmodel.js';
import type { TensorSource } from '../writers/tensor-bundle.js';
import {
  DT,
  attrB,
  attrFunc,
  attrI,
  attrInts,
  attrList,
  attrS,
  attrShape,
  attrTensor,
  attrType,
  attrTypes,
  int32Tensor,
  shapeProto,
  stringTensor,
  tensorProto,
  unknownShape,
} from './attrs.js';
import { EAGER_FUNCTION_ATTRS, emitModelFunction } from './emit.js';
import type { BuiltModel, SymbolicTensor, VariableSpec } from './model.js';
import { FunctionBuilder, bodyRef, makeNode, normalizeArgName } from './nodes.js';
import { BUILDER_OPS, opDef } from './op-defs.js';
import { generateTensor } from './random.js';

/** The GraphDef version TF 2.6 writes (TF_GRAPH_DEF_VERSION 808, min consumer 12). */
export const GRAPH_PRODUCER = 808;
export const GRAPH_MIN_CONSUMER = 12;
/** What meta_info_def says wrote the file: tfconv, in TensorFlow 2.6's layout. */
export const WRITER_VERSION = 'tfconv SavedModel builder 1 (TensorFlow 2.6 Keras layout)';
export const WRITER_GIT_VERSION = 'tfconv-builder-1';

/**
 * The ConfigProto TF's function calls carry (device_count {CPU: 1, GPU: 0}, graph_options
 * {rewrite_options {}}, allow_soft_placement, experimental {}), serialized, as in TF 2.x files.
 */
const CONFIG_PROTO = Uint8Array.from([
  0x0a, 0x07, 0x0a, 0x03, 0x43, 0x50, 0x55, 0x10, 0x01, 0x0a, 0x07, 0x0a, 0x03, 0x47, 0x50, 0x55, 0x10, 0x00, 0x32, 0x02, 0x4a, 0x00, 0x38, 0x01,
  0x82, 0x01, 0x00,
]);

/** Numbers in the function names (TF's are a global trace counter; ours are fixed). */
const FN = {
  model: '__inference__wrapped_model_1000',
  signature: '__inference_signature_wrapper_1100',
  save: '__inference__traced_save_1200',
  restore: '__inference__traced_restore_1300',
};

export interface SavedModelLayout {
  savedModel: SavedModel;
  /** Checkpoint key -> tensor source, in the order TensorFlow appends them (SaveV2 order). */
  checkpoint: [string, TensorSource][];
  /** Variable name -> checkpoint key. */
  keys: Map<string, string>;
  objectGraph: TrackableObjectGraph;
}

/** A variable as the SavedModel describes it (float32: the save and restore functions assume it). */
export interface SavedVariableSpec {
  /** The variable's name and VarHandleOp shared_name. */
  name: string;
  shape: number[];
  trainable: boolean;
  synchronization: number;
  aggregation: number;
}

/** A model input or output: its signature key (also the argument name) and float32 shape. */
export interface IoSpec {
  key: string;
  dtype: number;
  shape: readonly number[];
}

/** The trackable objects under the root: user objects holding variables (and each other). */
export type TrackableSpec =
  | { kind: 'user'; identifier: string; children: [string, TrackableSpec][] }
  | { kind: 'variable'; variable: SavedVariableSpec };

export interface SavedModelSpec {
  /** In the model function's argument order. */
  inputs: IoSpec[];
  /** In the model function's result order (the serving signature's outputs follow it). */
  outputs: IoSpec[];
  /** Every variable, in the order of the top-level VarHandleOps. */
  variables: SavedVariableSpec[];
  /** The model function, named FN.model, and the variables of its trailing resource arguments. */
  modelFunction: { def: FunctionDef; captured: SavedVariableSpec[] };
  /** The root object: its identifier and children; `signatures` and `_default_save_signature` are added. */
  root: { identifier: string; children: [string, TrackableSpec][] };
  /** The checkpoint value of a variable, produced when the writer reaches it. */
  value: (v: SavedVariableSpec) => TensorSource;
  /** OpDefs of ops outside the builder's table (e.g. from the model the graph came from). */
  extraOpDefs?: ReadonlyMap<string, OpDef>;
}

/** The function names tfconv writes (TF's numbers are a global trace counter; ours are fixed). */
export const FUNCTION_NAMES = FN;

/** Assemble saved_model.pb and the checkpoint of a model; tensors are generated only when read. */
export function buildSavedModel(model: BuiltModel): SavedModelLayout {
  const fnModel = emitModelFunction(model, FN.model);
  const io = (x: SymbolicTensor): IoSpec => ({ key: x.layer, dtype: DT.FLOAT, shape: x.shape });
  return assembleSavedModel({
    inputs: model.inputs.map(io),
    outputs: model.outputs.map(io),
    variables: model.variables,
    modelFunction: fnModel,
    root: { identifier: '_tf_keras_network', children: kerasChildren(model) },
    value: (v) => () => generateTensor(v.shape, (v as VariableSpec).init, model.seed, v.name),
  });
}

/** Keras's children of a functional model: its layers (twice for layers with weights) and variable lists. */
function kerasChildren(model: BuiltModel): [string, TrackableSpec][] {
  const children: [string, TrackableSpec][] = [];
  const varObjs = new Map<string, TrackableSpec>();
  let weighted = 0;
  model.layers.forEach((layer, i) => {
    const o: TrackableSpec = { kind: 'user', identifier: layer.config.kind === 'input' ? '_tf_keras_input_layer' : '_tf_keras_layer', children: [] };
    for (const v of layer.variables) {
      const vo: TrackableSpec = { kind: 'variable', variable: v };
      varObjs.set(v.name, vo);
      o.children.push([v.attribute, vo]);
    }
    // Keras tracks a layer with weights twice; the first name is the one checkpoint keys use.
    if (layer.variables.length > 0) children.push([`layer_with_weights-${weighted++}`, o]);
    children.push([`layer-${i}`, o]);
  });
  children.push(['variables', variableList(model.variables, varObjs)]);
  children.push(['trainable_variables', variableList(model.variables.filter((v) => v.trainable), varObjs)]);
  return children;
}

/**
 * A trackable_list_wrapper of variables (children "0", "1", ...), sharing the variable objects in
 * `known` (so each variable is one object however many parents it has).
 */
export function variableList(vars: readonly SavedVariableSpec[], known: Map<string, TrackableSpec>): TrackableSpec {
  const children: [string, TrackableSpec][] = vars.map((v, i) => {
    let o = known.get(v.name);
    if (!o) known.set(v.name, (o = { kind: 'variable', variable: v }));
    return [String(i), o];
  });
  return { kind: 'user', identifier: 'trackable_list_wrapper', children };
}

/** saved_model.pb and the checkpoint of any model function with its variables and objects. */
export function assembleSavedModel(spec: SavedModelSpec): SavedModelLayout {
  const objects = buildObjectGraph(spec);
  const ckptGraph = objects.checkpointGraph;
  const ckptBytes = TrackableObjectGraphCodec.encode(ckptGraph);
  const keyOf = (v: SavedVariableSpec): string => objects.keys.get(v.name) as string;

  const captured = spec.modelFunction.captured;
  const ckptOrder = objects.variableOrder;

  const library: FunctionDef[] = [
    spec.modelFunction.def,
    signatureWrapper(spec, captured),
    saveFunction(ckptOrder, keyOf),
    restoreFunction(ckptOrder, keyOf),
  ].sort((a, b) => (a.signature.name < b.signature.name ? -1 : 1));

  const graph = topLevelGraph(spec, captured, ckptOrder, ckptBytes);
  const ops = new Set<string>(graph.map((n) => n.op));
  for (const f of library) for (const n of f.node_def) ops.add(n.op);
  const opDefs: OpDef[] = [];
  for (const op of [...ops].sort()) {
    // The model's own OpDef first: it is the one its nodes' attributes follow.
    const d = spec.extraOpDefs?.get(op) ?? (BUILDER_OPS.includes(op) ? opDef(op) : undefined);
    if (!d) throw err.internal(`builder wrote op ${op} without an OpDef`);
    opDefs.push(d);
  }

  const inputsSorted = sortedByKey(spec.inputs);
  const serving: SignatureDef = {
    inputs: Object.fromEntries(
      inputsSorted.map((x) => [x.key, { name: `serving_default_${x.key}:0`, dtype: x.dtype, tensor_shape: shapeProto(x.shape) }]),
    ),
    outputs: Object.fromEntries(
      spec.outputs.map((o, i) => [o.key, { name: `StatefulPartitionedCall:${i}`, dtype: o.dtype, tensor_shape: shapeProto(o.shape) }]),
    ),
    method_name: 'tensorflow/serving/predict',
    defaults: {},
  };
  const initOp: SignatureDef = {
    inputs: {},
    outputs: { __saved_model_init_op: { name: 'NoOp', dtype: DT.INVALID, tensor_shape: unknownShape() } },
    method_name: '',
    defaults: {},
  };

  const metaGraph: MetaGraphDef = {
    meta_info_def: {
      meta_graph_version: '',
      stripped_op_list: { op: opDefs },
      tags: ['serve'],
      tensorflow_version: WRITER_VERSION,
      tensorflow_git_version: WRITER_GIT_VERSION,
      stripped_default_attrs: false,
      function_aliases: {},
    },
    graph_def: { node: graph, versions: { producer: GRAPH_PRODUCER, min_consumer: GRAPH_MIN_CONSUMER, bad_consumers: [] }, version: 0, library: { function: library, gradient: [] } },
    saver_def: {
      filename_tensor_name: 'saver_filename:0',
      save_tensor_name: 'StatefulPartitionedCall_1:0',
      restore_op_name: 'StatefulPartitionedCall_2',
      max_to_keep: 0,
      sharded: false,
      keep_checkpoint_every_n_hours: 0,
      version: 2,
    },
    collection_def: { saved_model_main_op: { kind: 'node_list', node_list: { value: ['NoOp'] } } },
    signature_def: { __saved_model_init_op: initOp, serving_default: serving },
    asset_file_def: [],
    object_graph_def: objects.savedGraph(captured),
  };

  const checkpoint: [string, TensorSource][] = ckptOrder.map((v) => [keyOf(v), spec.value(v)]);
  checkpoint.push([OBJECT_GRAPH_KEY, (): TensorValue => ({ dtype: 'string', shape: [], data: [ckptBytes] })]);
  return { savedModel: { saved_model_schema_version: 1, meta_graphs: [metaGraph] }, checkpoint, keys: objects.keys, objectGraph: ckptGraph };
}

export interface WriteModelOptions {
  /** Replace a non-empty directory (default: refuse). */
  overwrite?: boolean;
}

export interface WriteModelResult extends WriteSavedModelResult {
  paramCount: number;
  /** Bytes of saved_model.pb and of the variable data. */
  graphBytes: number;
  dataBytes: number;
}

/** Write the model as a SavedModel directory (atomically: built beside `dir`, then renamed). */
export function writeModel(dir: string, model: BuiltModel, options: WriteModelOptions = {}): WriteModelResult {
  const layout = buildSavedModel(model);
  const r = writeSavedModel(dir, { savedModel: layout.savedModel, variables: layout.checkpoint, keepOrder: true, overwrite: options.overwrite });
  return {
    ...r,
    paramCount: model.paramCount,
    graphBytes: fs.statSync(path.join(r.dir, 'saved_model.pb')).size,
    dataBytes: r.variables?.dataBytes ?? 0,
  };
}

// ---------------------------------------------------------------------------------------------
// Top-level graph
// ---------------------------------------------------------------------------------------------

function callNode(name: string, fn: string, inputs: string[], tin: number[], tout: number[], shapes: (readonly number[])[], readOnly: number[]): NodeDef {
  return makeNode({
    name,
    op: 'StatefulPartitionedCall',
    inputs,
    attrs: {
      Tin: attrTypes(tin),
      Tout: attrTypes(tout),
      f: attrFunc(fn),
      config: attrS(''),
      config_proto: attrS(CONFIG_PROTO),
      executor_type: attrS(''),
      _collective_manager_ids: attrInts([]),
      _read_only_resource_inputs: attrInts(readOnly),
    },
    shapes,
  });
}

function topLevelGraph(spec: SavedModelSpec, captured: SavedVariableSpec[], ckptOrder: SavedVariableSpec[], ckptBytes: Uint8Array): NodeDef[] {
  const nodes: NodeDef[] = [];
  const T_FLOAT = attrType(DT.FLOAT);
  for (const v of spec.variables) {
    nodes.push(
      makeNode({
        name: v.name,
        op: 'VarHandleOp',
        attrs: { container: attrS(''), shared_name: attrS(v.name), dtype: T_FLOAT, shape: attrShape(shapeProto(v.shape)), allowed_devices: attrList({ s: [] }) },
        shapes: [[]],
      }),
      makeNode({ name: `${v.name}/Read/ReadVariableOp`, op: 'ReadVariableOp', inputs: [v.name], attrs: { dtype: T_FLOAT }, shapes: [v.shape] }),
    );
  }
  nodes.push(makeNode({ name: 'NoOp', op: 'NoOp' }));
  nodes.push(
    makeNode({
      name: 'Const',
      op: 'Const',
      attrs: { dtype: attrType(DT.STRING), value: attrTensor(tensorProto(stringTensor([], [ckptBytes]))) },
      shapes: [[]],
      device: '/device:CPU:0',
    }),
  );
  const inputs = sortedByKey(spec.inputs);
  for (const x of inputs) {
    nodes.push(
      makeNode({ name: `serving_default_${x.key}`, op: 'Placeholder', attrs: { dtype: attrType(x.dtype), shape: attrShape(shapeProto(x.shape)) }, shapes: [x.shape] }),
    );
  }
  const nIn = inputs.length;
  nodes.push(
    callNode(
      'StatefulPartitionedCall',
      FN.signature,
      [...inputs.map((x) => `serving_default_${x.key}`), ...captured.map((v) => v.name)],
      [...inputs.map((x) => x.dtype), ...captured.map(() => DT.RESOURCE)],
      spec.outputs.map((o) => o.dtype),
      spec.outputs.map((o) => o.shape),
      captured.map((_, i) => nIn + i),
    ),
  );
  nodes.push(makeNode({ name: 'saver_filename', op: 'Placeholder', attrs: { dtype: attrType(DT.STRING), shape: attrShape(shapeProto([])) }, shapes: [[]] }));
  nodes.push(
    callNode(
      'StatefulPartitionedCall_1',
      FN.save,
      ['saver_filename', ...ckptOrder.map((v) => `${v.name}/Read/ReadVariableOp`), 'Const'],
      [DT.STRING, ...ckptOrder.map(() => DT.FLOAT), DT.STRING],
      [DT.STRING],
      [[]],
      [],
    ),
  );
  nodes.push(
    callNode(
      'StatefulPartitionedCall_2',
      FN.restore,
      ['saver_filename', ...ckptOrder.map((v) => v.name)],
      [DT.STRING, ...ckptOrder.map(() => DT.RESOURCE)],
      [DT.STRING],
      [[]],
      [],
    ),
  );
  return nodes;
}

// ---------------------------------------------------------------------------------------------
// Library functions besides the model
// ---------------------------------------------------------------------------------------------

/** serving_default's function: inputs by name (sorted), the variables, a call of the model function. */
function signatureWrapper(spec: SavedModelSpec, captured: SavedVariableSpec[]): FunctionDef {
  const fb = new FunctionBuilder(FN.signature);
  const inputs = sortedByKey(spec.inputs);
  const argOf = new Map<string, string>();
  // Argument names follow TF's normalization (lower case, '_' for other characters); the key is the user name.
  for (const x of inputs) argOf.set(x.key, fb.arg({ name: normalizeArgName(x.key), type: x.dtype, shape: x.shape, argAttr: { shape: x.shape, userName: x.key } }));
  // TF names a signature function's captured resources "unknown", "unknown_0", "unknown_1", ...
  const resources = captured.map((v, i) =>
    fb.arg({ name: i === 0 ? 'unknown' : `unknown_${i - 1}`, type: DT.RESOURCE, shape: [], handle: { dtype: DT.FLOAT, shape: v.shape } }),
  );
  const nIn = spec.inputs.length;
  const call = fb.node({
    name: 'StatefulPartitionedCall',
    op: 'StatefulPartitionedCall',
    inputs: [...spec.inputs.map((x) => argOf.get(x.key) as string), ...resources],
    attrs: {
      Tin: attrTypes([...spec.inputs.map((x) => x.dtype), ...captured.map(() => DT.RESOURCE)]),
      Tout: attrTypes(spec.outputs.map((o) => o.dtype)),
      f: attrFunc(FN.model),
      config: attrS(''),
      config_proto: attrS(CONFIG_PROTO),
      executor_type: attrS(''),
      _collective_manager_ids: attrInts([]),
      _read_only_resource_inputs: attrInts(captured.map((_, i) => nIn + i)),
    },
    shapes: spec.outputs.map((o) => o.shape),
  });
  const outputs = spec.outputs.map((o, i) => {
    const name = i === 0 ? 'Identity' : `Identity_${i}`;
    fb.node({ name, op: 'Identity', inputs: [bodyRef(call, i), '^NoOp'], attrs: { T: attrType(o.dtype) }, shapes: [o.shape] });
    return { name: name.toLowerCase(), type: o.dtype, ref: `${name}:output:0` };
  });
  fb.node({ name: 'NoOp', op: 'NoOp', inputs: ['^StatefulPartitionedCall'], attrs: { _acd_function_control_output: attrB(true) }, shapes: [] });
  return fb.finish({ outputs, controlOutputs: ['StatefulPartitionedCall'], attrs: EAGER_FUNCTION_ATTRS });
}

const CPU_ANY = '/device:CPU:*';
const CPU_0 = '/device:CPU:0';

/** TF's _traced_save: SaveV2 of every variable and the object graph into a temporary shard, then MergeV2Checkpoints. */
function saveFunction(vars: SavedVariableSpec[], keyOf: (v: SavedVariableSpec) => string): FunctionDef {
  const fb = new FunctionBuilder(FN.save);
  const S = attrType(DT.STRING);
  const prefix = fb.arg({ name: 'file_prefix', type: DT.STRING, shape: [], argAttr: { shape: [], userName: 'file_prefix' } });
  const values = vars.map((v) =>
    fb.arg({ name: `savev2_${normalizeArgName(`${v.name}/Read/ReadVariableOp`)}`, type: DT.FLOAT, shape: v.shape, argAttr: { shape: v.shape } }),
  );
  const objectGraph = fb.arg({ name: 'savev2_const', type: DT.STRING, shape: [], argAttr: { shape: [] } });
  const strConst = (name: string, shape: number[], values: string[], device: string) =>
    fb.node({ name, op: 'Const', attrs: { dtype: S, value: attrTensor(tensorProto(stringTensor(shape, values))) }, shapes: [shape], device });
  const intConst = (name: string, value: number, device: string) =>
    fb.node({ name, op: 'Const', attrs: { dtype: attrType(DT.INT32), value: attrTensor(tensorProto(int32Tensor([], [value]))) }, shapes: [[]], device });

  const isS3 = fb.node({ name: 'StaticRegexFullMatch', op: 'StaticRegexFullMatch', inputs: [prefix], attrs: { pattern: attrS('^s3://.*') }, shapes: [[]], device: CPU_ANY });
  const part = strConst('Const', [], ['.part'], CPU_ANY);
  const temp = strConst('Const_1', [], ['_temp/part'], CPU_ANY);
  const select = fb.node({ name: 'Select', op: 'Select', inputs: [bodyRef(isS3), bodyRef(part), bodyRef(temp)], attrs: { T: S }, shapes: [[]], device: CPU_ANY });
  const join = fb.node({ name: 'StringJoin', op: 'StringJoin', inputs: [prefix, bodyRef(select)], attrs: { N: attrI(2), separator: attrS('') }, shapes: [[]], device: CPU_ANY });
  const numShards = intConst('num_shards', 1, '');
  const shard = intConst('ShardedFilename/shard', 0, CPU_0);
  const filename = fb.node({
    name: 'ShardedFilename',
    op: 'ShardedFilename',
    inputs: [bodyRef(join), bodyRef(shard), bodyRef(numShards)],
    shapes: [[]],
    device: CPU_0,
  });
  const keys = [...vars.map(keyOf), OBJECT_GRAPH_KEY];
  const names = strConst('SaveV2/tensor_names', [keys.length], keys, CPU_0);
  const slices = strConst('SaveV2/shape_and_slices', [keys.length], keys.map(() => ''), CPU_0);
  fb.node({
    name: 'SaveV2',
    op: 'SaveV2',
    inputs: [bodyRef(filename), bodyRef(names), bodyRef(slices), ...values, objectGraph],
    attrs: { dtypes: attrTypes([...vars.map(() => DT.FLOAT), DT.STRING]) },
    shapes: [],
    device: CPU_0,
  });
  const prefixes = fb.node({
    name: 'MergeV2Checkpoints/checkpoint_prefixes',
    op: 'Pack',
    inputs: [bodyRef(filename), '^SaveV2'],
    attrs: { N: attrI(1), T: S, axis: attrI(0) },
    shapes: [[1]],
    device: CPU_0,
  });
  fb.node({
    name: 'MergeV2Checkpoints',
    op: 'MergeV2Checkpoints',
    inputs: [bodyRef(prefixes), prefix],
    attrs: { delete_old_dirs: attrB(true) },
    shapes: [],
    device: CPU_0,
  });
  const id = fb.node({ name: 'Identity', op: 'Identity', inputs: [prefix, '^MergeV2Checkpoints'], attrs: { T: S }, shapes: [[]], device: CPU_0 });
  fb.node({ name: 'Identity_1', op: 'Identity', inputs: [bodyRef(id), '^NoOp'], attrs: { T: S }, shapes: [[]] });
  fb.node({ name: 'NoOp', op: 'NoOp', inputs: ['^MergeV2Checkpoints'], attrs: { _acd_function_control_output: attrB(true) }, shapes: [] });
  return fb.finish({ outputs: [{ name: 'identity_1', type: DT.STRING, ref: 'Identity_1:output:0' }], controlOutputs: ['MergeV2Checkpoints'], attrs: {} });
}

/** TF's _traced_restore: RestoreV2 of every key, each assigned to the variable handle passed in. */
function restoreFunction(vars: SavedVariableSpec[], keyOf: (v: SavedVariableSpec) => string): FunctionDef {
  const fb = new FunctionBuilder(FN.restore);
  const S = attrType(DT.STRING);
  const prefix = fb.arg({ name: 'file_prefix', type: DT.STRING, shape: [], argAttr: { shape: [], userName: 'file_prefix' } });
  const handles = vars.map((v, i) =>
    fb.arg({
      name: `assignvariableop${i === 0 ? '' : `_${i}`}_${normalizeArgName(v.name)}`,
      type: DT.RESOURCE,
      shape: [],
      handle: { dtype: DT.FLOAT, shape: v.shape },
    }),
  );
  const keys = [...vars.map(keyOf), OBJECT_GRAPH_KEY];
  const strConst = (name: string, values: string[]) =>
    fb.node({ name, op: 'Const', attrs: { dtype: S, value: attrTensor(tensorProto(stringTensor([values.length], values))) }, shapes: [[values.length]], device: CPU_0 });
  const names = strConst('RestoreV2/tensor_names', keys);
  const slices = strConst('RestoreV2/shape_and_slices', keys.map(() => ''));
  const restore = fb.node({
    name: 'RestoreV2',
    op: 'RestoreV2',
    inputs: [prefix, bodyRef(names), bodyRef(slices)],
    attrs: { dtypes: attrTypes([...vars.map(() => DT.FLOAT), DT.STRING]) },
    shapes: keys.map(() => null),
    device: CPU_0,
  });
  const assigns: string[] = [];
  vars.forEach((_, i) => {
    const idName = i === 0 ? 'Identity' : `Identity_${i}`;
    const id = fb.node({ name: idName, op: 'Identity', inputs: [bodyRef(restore, i)], attrs: { T: attrType(DT.FLOAT) }, shapes: [null], device: CPU_0 });
    const assign = i === 0 ? 'AssignVariableOp' : `AssignVariableOp_${i}`;
    fb.node({ name: assign, op: 'AssignVariableOp', inputs: [handles[i] as string, bodyRef(id)], attrs: { dtype: attrType(DT.FLOAT) }, shapes: [], device: CPU_0 });
    assigns.push(assign);
  });
  const sorted = [...assigns].sort();
  fb.node({ name: 'NoOp', op: 'NoOp', shapes: [], device: CPU_0 });
  const n = vars.length;
  const last = fb.node({
    name: n === 0 ? 'Identity' : `Identity_${n}`,
    op: 'Identity',
    inputs: [prefix, ...sorted.map((a) => `^${a}`), '^NoOp'],
    attrs: { T: S },
    shapes: [[]],
    device: CPU_0,
  });
  fb.node({ name: `Identity_${n + 1}`, op: 'Identity', inputs: [bodyRef(last), '^NoOp_1'], attrs: { T: S }, shapes: [[]] });
  fb.node({ name: 'NoOp_1', op: 'NoOp', inputs: sorted.map((a) => `^${a}`), attrs: { _acd_function_control_output: attrB(true) }, shapes: [] });
  return fb.finish({ outputs: [{ name: `identity_${n + 1}`, type: DT.STRING, ref: `Identity_${n + 1}:output:0` }], controlOutputs: assigns, attrs: {} });
}

// ---------------------------------------------------------------------------------------------
// Object graphs
// ---------------------------------------------------------------------------------------------

type ObjKind =
  | { kind: 'user'; identifier: string }
  | { kind: 'variable'; variable: SavedVariableSpec }
  | { kind: 'function'; role: 'default_save_signature' | 'serving_default' };

interface Obj {
  spec: ObjKind;
  children: [string, Obj][];
  id: number;
}

function obj(spec: ObjKind): Obj {
  return { spec, children: [], id: -1 };
}

const isFunction = (o: Obj): boolean => o.spec.kind === 'function';

/** TF's trackable_utils.escape_local_name: '.' -> '..', '/' -> '.S'. */
function escapeLocalName(name: string): string {
  return name.replace(/\./g, '..').replace(/\//g, '.S');
}

function buildObjectGraph(spec: SavedModelSpec) {
  const root = obj({ kind: 'user', identifier: spec.root.identifier });
  // One Obj per TrackableSpec object (a variable listed by several parents is one object).
  const made = new Map<TrackableSpec, Obj>();
  const varObjs = new Map<string, Obj>();
  const make = (t: TrackableSpec): Obj => {
    const known = made.get(t);
    if (known) return known;
    const o = obj(t.kind === 'user' ? { kind: 'user', identifier: t.identifier } : { kind: 'variable', variable: t.variable });
    made.set(t, o);
    if (t.kind === 'variable') {
      if (varObjs.has(t.variable.name)) throw err.internal(`two trackable objects for variable ${t.variable.name}`);
      varObjs.set(t.variable.name, o);
    } else {
      for (const [name, c] of t.children) o.children.push([name, make(c)]);
    }
    return o;
  };
  for (const [name, c] of spec.root.children) root.children.push([name, make(c)]);
  const signatures = obj({ kind: 'user', identifier: 'signature_map' });
  const servingFn = obj({ kind: 'function', role: 'serving_default' });
  signatures.children.push(['serving_default', servingFn]);
  root.children.push(['signatures', signatures]);
  root.children.push(['_default_save_signature', obj({ kind: 'function', role: 'default_save_signature' })]);

  // Breadth-first ids over the trackable objects, then the functions in the same order.
  const order: Obj[] = [];
  const parentOf = new Map<Obj, [Obj, string]>();
  const visit = (o: Obj) => {
    o.id = order.length;
    order.push(o);
  };
  visit(root);
  for (let k = 0; k < order.length; k++) {
    for (const [name, c] of (order[k] as Obj).children) {
      if (c.id >= 0 || isFunction(c)) continue;
      parentOf.set(c, [order[k] as Obj, name]);
      visit(c);
    }
  }
  const trackableCount = order.length;
  for (let k = 0; k < trackableCount; k++) {
    for (const [, c] of (order[k] as Obj).children) if (c.id < 0) visit(c);
  }

  const pathOf = (o: Obj): string[] => {
    const parts: string[] = [];
    for (let p = parentOf.get(o); p; p = parentOf.get(p[0])) parts.unshift(escapeLocalName(p[1]));
    return parts;
  };
  const keys = new Map<string, string>();
  for (const o of order) if (o.spec.kind === 'variable') keys.set(o.spec.variable.name, `${pathOf(o).join('/')}/.ATTRIBUTES/VARIABLE_VALUE`);
  const variableOrder = order.filter((o) => o.spec.kind === 'variable').map((o) => (o.spec as { variable: SavedVariableSpec }).variable);
  for (const v of spec.variables) if (!keys.has(v.name)) throw err.internal(`variable ${v.name} is not reachable from the root object`);

  const checkpointGraph: TrackableObjectGraph = {
    nodes: order.slice(0, trackableCount).map((o) => ({
      children: o.children.filter(([, c]) => !isFunction(c)).map(([name, c]) => ({ node_id: c.id, local_name: name })),
      attributes:
        o.spec.kind === 'variable'
          ? [{ name: 'VARIABLE_VALUE', full_name: o.spec.variable.name, checkpoint_key: keys.get(o.spec.variable.name) as string }]
          : [],
      slot_variables: [],
    })),
  };

  const savedGraph = (captured: SavedVariableSpec[]): SavedObjectGraph => {
    const bound = captured.map((v) => (varObjs.get(v.name) as Obj).id);
    const nodes: SavedObject[] = order.map((o) => {
      const base = { children: o.children.map(([name, c]) => ({ node_id: c.id, local_name: name })), dependencies: [], slot_variables: [], registered_name: '' };
      switch (o.spec.kind) {
        case 'user':
          return { ...base, kind: 'user_object', user_object: { identifier: o.spec.identifier, version: { producer: 1, min_consumer: 1, bad_consumers: [] }, metadata: '' } };
        case 'variable': {
          const v = o.spec.variable;
          return {
            ...base,
            kind: 'variable',
            variable: {
              dtype: DT.FLOAT,
              shape: shapeProto(v.shape),
              trainable: v.trainable,
              synchronization: v.synchronization,
              aggregation: v.aggregation,
              name: v.name,
              device: '',
            },
          };
        }
        case 'function':
          return {
            ...base,
            kind: 'bare_concrete_function',
            bare_concrete_function: {
              concrete_function_name: o.spec.role === 'serving_default' ? FN.signature : FN.model,
              argument_keywords: sortedByKey(spec.inputs).map((x) => x.key),
              allowed_positional_arguments: 1,
              function_spec: functionSpec(o.spec.role === 'default_save_signature'),
            } as SavedObject['bare_concrete_function'],
          };
      }
    });
    const concrete: Record<string, SavedConcreteFunction> = {
      [FN.model]: {
        bound_inputs: bound,
        canonicalized_input_signature: tuple([tuple(spec.inputs.length === 1 ? [tensorSpec(spec.inputs[0] as IoSpec)] : [listOf(spec.inputs.map(tensorSpec))]), dict({})]),
        output_signature: dict(Object.fromEntries(spec.outputs.map((o) => [o.key, tensorSpec(o)]))),
      },
      [FN.signature]: {
        bound_inputs: bound,
        canonicalized_input_signature: tuple([tuple([]), dict(Object.fromEntries(sortedByKey(spec.inputs).map((x) => [x.key, tensorSpec(x)])))]),
        output_signature: dict(Object.fromEntries(spec.outputs.map((o) => [o.key, tensorSpec(o)]))),
      },
    };
    return { nodes, concrete_functions: concrete };
  };

  return { keys, variableOrder, checkpointGraph, savedGraph };
}

// StructuredValue helpers (nested_structure_coder's encoding of Python values).
const none = (): StructuredValue => ({ kind: 'none_value', none_value: {} });
const str = (s: string): StructuredValue => ({ kind: 'string_value', string_value: s });
const listOf = (values: StructuredValue[]): StructuredValue => ({ kind: 'list_value', list_value: { values } });
const tuple = (values: StructuredValue[]): StructuredValue => ({ kind: 'tuple_value', tuple_value: { values } });
const dict = (fields: Record<string, StructuredValue>): StructuredValue => ({ kind: 'dict_value', dict_value: { fields } });
const tensorSpec = (x: IoSpec): StructuredValue => ({
  kind: 'tensor_spec_value',
  tensor_spec_value: { name: x.key, shape: shapeProto(x.shape), dtype: x.dtype },
});

/**
 * The FunctionSpec TF 2.6 stores with a bare concrete function: an inspect.FullArgSpec of
 * (*args, **kwargs) for the default save signature, (**kwargs) for a signature function.
 */
function functionSpec(varargs: boolean): unknown {
  return {
    fullargspec: {
      kind: 'named_tuple_value',
      named_tuple_value: {
        name: 'FullArgSpec',
        values: [
          { key: 'args', value: listOf([]) },
          { key: 'varargs', value: varargs ? str('args') : none() },
          { key: 'varkw', value: str('kwargs') },
          { key: 'defaults', value: none() },
          { key: 'kwonlyargs', value: listOf([]) },
          { key: 'kwonlydefaults', value: none() },
          { key: 'annotations', value: dict({}) },
        ],
      },
    },
    is_method: false,
    input_signature: none(),
    jit_compile: 0,
  };
}

function sortedByKey(xs: readonly IoSpec[]): IoSpec[] {
  return [...xs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
