// The builder's SavedModels read back with our own readers: the variable mapping from both the
// restore function and the object graph, a read -> write -> read round trip, the prepared
// (inlined and frozen) graph, and the layout details mirrored from TensorFlow-written files.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { BufferIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { loadForConversion } from '../../src/convert/load.js';
import { type TensorValue, tensorBytes } from '../../src/core/tensor.js';
import type { TensorSource } from '../../src/writers/tensor-bundle.js';
import { ErrorCode, isTfconvError } from '../../src/errors/index.js';
import { SavedModelCodec, TrackableObjectGraphCodec } from '../../src/proto/index.js';
import type { FunctionDef, NodeDef, SavedModel } from '../../src/proto/index.js';
import { tensorFromProto } from '../../src/proto/tensor-proto.js';
import { readSavedModel, selectMetaGraph } from '../../src/readers/savedmodel.js';
import { TensorBundle, savedModelVariablesPrefix } from '../../src/readers/tensor-bundle/index.js';
import { OBJECT_GRAPH_KEY, mapVariables } from '../../src/readers/variables.js';
import { writeSavedModel } from '../../src/writers/savedmodel.js';
import { ModelBuilder, buildDemoCnn, buildSavedModel, generateTensor, writeModel } from '../../src/builder/index.js';
import { attrNames } from '../../src/builder/op-defs.js';
import { tmpDir } from '../helpers/tmp.js';

function readProto(dir: string): SavedModel {
  return SavedModelCodec.decode(fs.readFileSync(path.join(dir, 'saved_model.pb')), dir);
}

const DEMO_VARIABLES: [string, string, number[]][] = [
  ['conv2d/kernel', 'layer_with_weights-0/kernel', [3, 3, 1, 8]],
  ['conv2d/bias', 'layer_with_weights-0/bias', [8]],
  ['batch_normalization/gamma', 'layer_with_weights-1/gamma', [8]],
  ['batch_normalization/beta', 'layer_with_weights-1/beta', [8]],
  ['batch_normalization/moving_mean', 'layer_with_weights-1/moving_mean', [8]],
  ['batch_normalization/moving_variance', 'layer_with_weights-1/moving_variance', [8]],
  ['depthwise_conv2d/depthwise_kernel', 'layer_with_weights-2/depthwise_kernel', [3, 3, 8, 1]],
  ['depthwise_conv2d/bias', 'layer_with_weights-2/bias', [8]],
  ['batch_normalization_1/gamma', 'layer_with_weights-3/gamma', [8]],
  ['batch_normalization_1/beta', 'layer_with_weights-3/beta', [8]],
  ['batch_normalization_1/moving_mean', 'layer_with_weights-3/moving_mean', [8]],
  ['batch_normalization_1/moving_variance', 'layer_with_weights-3/moving_variance', [8]],
  ['conv2d_1/kernel', 'layer_with_weights-4/kernel', [1, 1, 8, 16]],
  ['conv2d_1/bias', 'layer_with_weights-4/bias', [16]],
  ['batch_normalization_2/gamma', 'layer_with_weights-5/gamma', [16]],
  ['batch_normalization_2/beta', 'layer_with_weights-5/beta', [16]],
  ['batch_normalization_2/moving_mean', 'layer_with_weights-5/moving_mean', [16]],
  ['batch_normalization_2/moving_variance', 'layer_with_weights-5/moving_variance', [16]],
  ['dense/kernel', 'layer_with_weights-6/kernel', [784, 10]],
  ['dense/bias', 'layer_with_weights-6/bias', [10]],
];

test('demo CNN: inspect --variables lists exactly its 20 variables, keys found by the restore function and the object graph alike', async (t) => {
  const dir = path.join(tmpDir(t), 'demo');
  writeModel(dir, buildDemoCnn());

  const io = new BufferIO();
  assert.equal(await main(['inspect', dir, '--ops', '--variables', '--json'], io), 0, io.errText);
  const report = JSON.parse(io.out) as {
    metaGraphs: { variables: { variables: { name: string; checkpointKey: string; shape: number[]; bytes: number }[]; totals: { count: number; elements: number } } }[];
  };
  const listed = report.metaGraphs[0].variables;
  const expected = [...DEMO_VARIABLES].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  assert.deepEqual(
    listed.variables.map((v) => [v.name, v.checkpointKey, v.shape, v.bytes]),
    expected.map(([n, k, s]) => [n, `${k}/.ATTRIBUTES/VARIABLE_VALUE`, s, 4 * s.reduce((p, d) => p * d, 1)]),
  );
  assert.deepEqual(listed.totals, { count: 20, bytes: 33_128, elements: 8282 });

  // Both descriptions found every key: the restore op (source) and the object graph (objectId).
  const mg = readSavedModel(dir).metaGraphs[0].def;
  const mapping = mapVariables(dir, mg);
  assert.equal(mapping.bindings.length, 20);
  assert.deepEqual(mapping.unrestored, []);
  assert.deepEqual(mapping.unusedKeys, []);
  for (const b of mapping.bindings) {
    assert.equal(b.source, 'restore-op', b.node);
    assert.equal(typeof b.objectId, 'number', `${b.node} has no object id`);
    assert.equal(mg.object_graph_def?.nodes[b.objectId as number]?.variable?.name, b.node);
  }
});

test('the object graph and the restore function must agree: a checkpoint graph naming another key is refused', (t) => {
  const dir = path.join(tmpDir(t), 'demo');
  const layout = buildSavedModel(buildDemoCnn());
  // Swap two variables' checkpoint keys in the checkpoint's object graph only.
  const graph = structuredClone(layout.objectGraph);
  const a = graph.nodes.find((n) => n.attributes[0]?.full_name === 'conv2d/kernel')?.attributes[0];
  const b = graph.nodes.find((n) => n.attributes[0]?.full_name === 'dense/kernel')?.attributes[0];
  assert.ok(a && b);
  [a.checkpoint_key, b.checkpoint_key] = [b.checkpoint_key, a.checkpoint_key];
  const bytes = TrackableObjectGraphCodec.encode(graph);
  const swapped: TensorValue = { dtype: 'string', shape: [], data: [bytes] };
  const checkpoint = layout.checkpoint.map(([k, v]): [string, TensorSource] => [k, k === OBJECT_GRAPH_KEY ? swapped : v]);
  writeSavedModel(dir, { savedModel: layout.savedModel, variables: checkpoint, keepOrder: true });
  assert.throws(
    () => mapVariables(dir, readSavedModel(dir).metaGraphs[0].def),
    (e: unknown) => isTfconvError(e) && e.code === ErrorCode.VARIABLE_MISMATCH,
  );
});

test('round trip: read -> write -> read gives the same proto, the same saved_model.pb bytes and the same tensors', (t) => {
  const d = tmpDir(t);
  const src = path.join(d, 'src');
  const out = path.join(d, 'out');
  writeModel(src, buildDemoCnn());
  const proto = readProto(src);
  const bundle = TensorBundle.open(savedModelVariablesPrefix(src));
  // Append in the source's data order so the shard comes out byte for byte.
  const inOrder = bundle
    .keys()
    .map((k) => ({ k, offset: bundle.entry(k).offset }))
    .sort((a, b) => a.offset - b.offset)
    .map(({ k }) => [k, bundle.read(k)] as const);
  writeSavedModel(out, { savedModel: proto, variables: inOrder, keepOrder: true });
  assert.deepEqual(readProto(out), proto);
  for (const f of ['saved_model.pb', 'variables/variables.index', 'variables/variables.data-00000-of-00001']) {
    assert.ok(fs.readFileSync(path.join(out, f)).equals(fs.readFileSync(path.join(src, f))), f);
  }
});

/** Every field `mine` sets is in `decoded` with the same value (oneof discriminators aside). */
function assertKept(mine: unknown, decoded: unknown, where: string): void {
  if (mine instanceof Uint8Array) {
    assert.ok(decoded instanceof Uint8Array && Buffer.from(mine).equals(Buffer.from(decoded)), where);
  } else if (Array.isArray(mine)) {
    assert.ok(Array.isArray(decoded) && decoded.length === mine.length, `${where}: length`);
    mine.forEach((m, i) => assertKept(m, (decoded as unknown[])[i], `${where}[${i}]`));
  } else if (mine !== null && typeof mine === 'object') {
    assert.ok(decoded !== null && typeof decoded === 'object', where);
    for (const [k, v] of Object.entries(mine)) {
      if (['kind', 'value', 'encoding'].includes(k) || v === null || v === undefined) continue;
      assert.ok(k in (decoded as object), `${where}.${k} was dropped: our schema lacks it`);
      assertKept(v, (decoded as Record<string, unknown>)[k], `${where}.${k}`);
    }
  } else if (typeof mine === 'number' && !Number.isInteger(mine)) {
    assert.equal(Math.fround(mine), Math.fround(decoded as number), where);
  } else {
    assert.equal(decoded, mine, where);
  }
}

test('our schema keeps every field the builder sets: the decoded file holds all of buildSavedModel\'s proto', () => {
  const model = new ModelBuilder({ seed: 1 });
  const a = model.input([6, 6, 2], { name: 'b_in' });
  const b = model.input([6, 6, 2], { name: 'a_in' });
  const y = model.globalAveragePooling2d(model.batchNormalization(model.add([a, b])));
  const layout = buildSavedModel(model.build([model.dense(y, { units: 3, name: 'out2' }), model.dense(y, { units: 2, name: 'out1' })]));
  const decoded = SavedModelCodec.decode(SavedModelCodec.encode(layout.savedModel), 'built');
  assertKept(layout.savedModel, decoded, 'saved_model');
  assertKept(layout.objectGraph, TrackableObjectGraphCodec.decode(TrackableObjectGraphCodec.encode(layout.objectGraph), 'ckpt'), 'object_graph');
  // Two inputs, two outputs: the signature sorts both by name, the model function keeps input order.
  const sig = decoded.meta_graphs[0].signature_def.serving_default;
  assert.deepEqual(Object.keys(sig?.inputs ?? {}).sort(), ['a_in', 'b_in']);
  assert.deepEqual([sig?.outputs.out1?.name, sig?.outputs.out2?.name], ['StatefulPartitionedCall:0', 'StatefulPartitionedCall:1']);
});

test('prepare (inline + freeze) turns the demo into the expected flat frozen graph', (t) => {
  const dir = path.join(tmpDir(t), 'demo');
  const model = buildDemoCnn();
  writeModel(dir, model);
  const [g] = loadForConversion(dir).graphs;
  assert.ok(g);
  assert.deepEqual(g.inputs.map((i) => [i.key, i.name, i.shape]), [['input_1', 'serving_default_input_1:0', [-1, 28, 28, 1]]]);
  assert.deepEqual(g.outputs, [{ key: 'softmax', name: 'StatefulPartitionedCall:0' }]);

  const inner = 'StatefulPartitionedCall/StatefulPartitionedCall/';
  const short = (n: NodeDef) => `${n.name.startsWith(inner) ? n.name.slice(inner.length) : n.name}=${n.op}`;
  const bn = (l: string, x: string) => [
    `model/${l}/ReadVariableOp=Const`,
    `model/${l}/ReadVariableOp_1=Const`,
    `model/${l}/FusedBatchNormV3/ReadVariableOp=Const`,
    `model/${l}/FusedBatchNormV3/ReadVariableOp_1=Const`,
    `model/${l}/FusedBatchNormV3=FusedBatchNormV3`,
    `model/${x}/Relu=Relu`,
  ];
  assert.deepEqual(g.graphDef.node.map(short), [
    'serving_default_input_1=Placeholder',
    'model/conv2d/Conv2D/ReadVariableOp=Const',
    'model/conv2d/Conv2D=Conv2D',
    'model/conv2d/BiasAdd/ReadVariableOp=Const',
    'model/conv2d/BiasAdd=BiasAdd',
    ...bn('batch_normalization', 're_lu'),
    'model/max_pooling2d/MaxPool=MaxPool',
    'model/depthwise_conv2d/depthwise/ReadVariableOp=Const',
    'model/depthwise_conv2d/depthwise=DepthwiseConv2dNative',
    'model/depthwise_conv2d/BiasAdd/ReadVariableOp=Const',
    'model/depthwise_conv2d/BiasAdd=BiasAdd',
    ...bn('batch_normalization_1', 're_lu_1'),
    'model/conv2d_1/Conv2D/ReadVariableOp=Const',
    'model/conv2d_1/Conv2D=Conv2D',
    'model/conv2d_1/BiasAdd/ReadVariableOp=Const',
    'model/conv2d_1/BiasAdd=BiasAdd',
    ...bn('batch_normalization_2', 're_lu_2'),
    'model/average_pooling2d/AvgPool=AvgPool',
    'model/flatten/Const=Const',
    'model/flatten/Reshape=Reshape',
    'model/dense/MatMul/ReadVariableOp=Const',
    'model/dense/MatMul=MatMul',
    'model/dense/BiasAdd/ReadVariableOp=Const',
    'model/dense/BiasAdd=BiasAdd',
    'model/softmax/Softmax=Softmax',
    'Identity=Identity',
    'StatefulPartitionedCall/StatefulPartitionedCall=IdentityN',
    'StatefulPartitionedCall/Identity=Identity',
    'StatefulPartitionedCall=IdentityN',
  ]);

  // The frozen constants are the builder's weights, bit for bit.
  const frozen = new Map(g.graphDef.node.filter((n) => n.op === 'Const').map((n) => [n.name.slice(inner.length), n]));
  const readOf: Record<string, string> = {
    kernel: 'Conv2D/ReadVariableOp',
    bias: 'BiasAdd/ReadVariableOp',
    depthwise_kernel: 'depthwise/ReadVariableOp',
    gamma: 'ReadVariableOp',
    beta: 'ReadVariableOp_1',
    moving_mean: 'FusedBatchNormV3/ReadVariableOp',
    moving_variance: 'FusedBatchNormV3/ReadVariableOp_1',
  };
  for (const v of model.variables) {
    const read = v.layer === 'dense' && v.attribute === 'kernel' ? 'MatMul/ReadVariableOp' : (readOf[v.attribute] as string);
    const node = frozen.get(`model/${v.layer}/${read}`);
    assert.ok(node, `${v.name} frozen`);
    const value = tensorFromProto(node.attr.value?.tensor as NonNullable<typeof node.attr.value.tensor>, node.name);
    assert.deepEqual(value.shape, v.shape, v.name);
    assert.ok(Buffer.from(tensorBytes(value)).equals(Buffer.from(tensorBytes(generateTensor(v.shape, v.init, model.seed, v.name)))), v.name);
  }
  const flat = tensorFromProto(frozen.get('model/flatten/Const')?.attr.value?.tensor as never, 'flatten');
  assert.deepEqual([...(flat.data as Int32Array)], [-1, 784]);
});

test('layout mirrors TF 2.6: saver, init op, signature, every op attribute written, shapes on every node', (t) => {
  const dir = path.join(tmpDir(t), 'demo');
  writeModel(dir, buildDemoCnn());
  const sm = readProto(dir);
  assert.equal(sm.saved_model_schema_version, 1);
  assert.equal(sm.meta_graphs.length, 1);
  const mg = sm.meta_graphs[0];
  assert.deepEqual(mg.meta_info_def?.tags, ['serve']);
  assert.equal(mg.meta_info_def?.stripped_default_attrs, false);
  assert.match(mg.meta_info_def?.tensorflow_version ?? '', /^tfconv /);
  assert.deepEqual(mg.graph_def?.versions, { producer: 808, min_consumer: 12, bad_consumers: [] });
  assert.deepEqual(
    { ...mg.saver_def },
    {
      filename_tensor_name: 'saver_filename:0',
      save_tensor_name: 'StatefulPartitionedCall_1:0',
      restore_op_name: 'StatefulPartitionedCall_2',
      max_to_keep: 0,
      sharded: false,
      keep_checkpoint_every_n_hours: 0,
      version: 2,
    },
  );
  assert.deepEqual(mg.collection_def.saved_model_main_op?.node_list?.value, ['NoOp']);
  assert.equal(mg.signature_def.__saved_model_init_op?.outputs.__saved_model_init_op?.name, 'NoOp');
  const sig = mg.signature_def.serving_default;
  assert.equal(sig?.method_name, 'tensorflow/serving/predict');
  assert.equal(sig?.inputs.input_1?.name, 'serving_default_input_1:0');
  assert.deepEqual(sig?.inputs.input_1?.tensor_shape?.dim.map((d) => d.size), [-1, 28, 28, 1]);
  assert.equal(sig?.outputs.softmax?.name, 'StatefulPartitionedCall:0');

  const graph = mg.graph_def?.node ?? [];
  const lib = mg.graph_def?.library?.function ?? [];
  const all: NodeDef[] = [...graph, ...lib.flatMap((f) => f.node_def)];
  const listed = new Set(mg.meta_info_def?.stripped_op_list?.op.map((o) => o.name));
  for (const n of all) {
    assert.ok(listed.has(n.op), `${n.op} is in stripped_op_list`);
    for (const a of attrNames(n.op)) assert.ok(n.attr[a] !== undefined, `${n.name} (${n.op}) has attribute ${a}`);
    if (!(n.op === 'NoOp' && graph.includes(n))) assert.ok(n.attr._output_shapes, `${n.name} has _output_shapes`);
  }
  const var0 = graph.find((n) => n.name === 'conv2d/kernel');
  assert.equal(var0?.op, 'VarHandleOp');
  assert.equal(Buffer.from(var0?.attr.shared_name?.s ?? []).toString(), 'conv2d/kernel');

  // The top-level Const fed to the save function is the checkpoint's object graph.
  const constNode = graph.find((n) => n.name === 'Const');
  const bundle = TensorBundle.open(savedModelVariablesPrefix(dir));
  const stored = bundle.read(OBJECT_GRAPH_KEY).data as Uint8Array[];
  assert.ok(Buffer.from(constNode?.attr.value?.tensor?.string_val[0] ?? []).equals(Buffer.from(stored[0] as Uint8Array)));
  // Data appended in SaveV2 order, the object graph last, as TF's BundleWriter does.
  const save = lib.find((f) => f.signature.name.startsWith('__inference__traced_save_')) as FunctionDef;
  const names = save.node_def.find((n) => n.name === 'SaveV2/tensor_names')?.attr.value?.tensor?.string_val.map((s) => Buffer.from(s).toString());
  const byOffset = bundle
    .keys()
    .sort((a, b) => bundle.entry(a).offset - bundle.entry(b).offset);
  assert.deepEqual(byOffset, names);
  assert.equal(names?.at(-1), OBJECT_GRAPH_KEY);

  // The signature function captures every variable; its concrete function binds the variable objects.
  const og = mg.object_graph_def;
  const wrapper = lib.find((f) => f.signature.name.startsWith('__inference_signature_wrapper_')) as FunctionDef;
  const bound = og?.concrete_functions[wrapper.signature.name]?.bound_inputs ?? [];
  assert.equal(bound.length, 20);
  assert.deepEqual(
    bound.map((id) => og?.nodes[id]?.variable?.name),
    graph.find((n) => n.name === 'StatefulPartitionedCall')?.input.slice(1),
  );
  const root = og?.nodes[0];
  assert.equal(root?.user_object?.identifier, '_tf_keras_network');
  const serving = og?.nodes[root?.children.find((c) => c.local_name === 'signatures')?.node_id ?? -1];
  assert.equal(serving?.user_object?.identifier, 'signature_map');
  const fn = og?.nodes[serving?.children.find((c) => c.local_name === 'serving_default')?.node_id ?? -1];
  assert.equal(fn?.bare_concrete_function?.concrete_function_name, wrapper.signature.name);
});

test('the same model and seed give the same bytes; another seed changes the weights only', (t) => {
  const d = tmpDir(t);
  writeModel(path.join(d, 'a'), buildDemoCnn(7));
  writeModel(path.join(d, 'b'), buildDemoCnn(7));
  writeModel(path.join(d, 'c'), buildDemoCnn(8));
  const files = ['saved_model.pb', 'variables/variables.index', 'variables/variables.data-00000-of-00001'];
  for (const f of files) assert.ok(fs.readFileSync(path.join(d, 'a', f)).equals(fs.readFileSync(path.join(d, 'b', f))), f);
  assert.ok(fs.readFileSync(path.join(d, 'a', 'saved_model.pb')).equals(fs.readFileSync(path.join(d, 'c', 'saved_model.pb'))));
  assert.ok(!fs.readFileSync(path.join(d, 'a', files[2])).equals(fs.readFileSync(path.join(d, 'c', files[2]))));
});

test('residual Add, Concatenate, Dropout, ZeroPadding2D, global pooling and Relu6 build, read back and prepare', (t) => {
  const m = new ModelBuilder({ seed: 3 });
  const x = m.input([12, 12, 4], { name: 'image' });
  const a = m.conv2d(x, { filters: 4, kernelSize: 3, padding: 'same', activation: 'relu6' });
  const r = m.add([x, a]);
  const p = m.zeroPadding2d(r, [[1, 0], [0, 1]]);
  const b = m.depthwiseConv2d(p, { kernelSize: 2, depthMultiplier: 2, useBias: false });
  const c = m.concatenate([b, m.conv2d(r, { filters: 3, kernelSize: 1 })]);
  const g = m.globalAveragePooling2d(m.dropout(c, 0.5));
  const model = m.build(m.dense(g, { units: 5, activation: 'softmax', name: 'probs' }));
  assert.deepEqual(
    model.layers.map((l) => `${l.name}:${l.output.shape.join('x')}`),
    ['image:-1x12x12x4', 'conv2d:-1x12x12x4', 'add:-1x12x12x4', 'zero_padding2d:-1x13x13x4', 'depthwise_conv2d:-1x12x12x8', 'conv2d_1:-1x12x12x3',
      'concatenate:-1x12x12x11', 'dropout:-1x12x12x11', 'global_average_pooling2d:-1x11', 'probs:-1x5'],
  );
  const dir = path.join(tmpDir(t), 'm');
  writeModel(dir, model);
  const mg = selectMetaGraph(readSavedModel(dir));
  assert.equal(mapVariables(dir, mg.def).bindings.length, model.variables.length);
  const [prepared] = loadForConversion(dir).graphs;
  const ops = prepared?.graphDef.node.map((n) => n.op) ?? [];
  for (const op of ['AddV2', 'Pad', 'ConcatV2', 'Mean', 'Relu6', 'Softmax']) assert.ok(ops.includes(op), op);
  assert.ok(!ops.includes('ReadVariableOp') && !ops.includes('VarHandleOp'));
});

test('model descriptions that cannot be written are BAD_MODEL_SPEC errors naming the layer', () => {
  const bad = (f: () => unknown, message: RegExp) =>
    assert.throws(f, (e: unknown) => isTfconvError(e) && e.code === ErrorCode.BAD_MODEL_SPEC && message.test(e.message));
  const m = new ModelBuilder();
  const x = m.input([8, 8, 3]);
  bad(() => m.dense(x, { units: 3 }), /layer 'dense': Dense takes a \[batch, features\] input/);
  bad(() => m.conv2d(x, { filters: 2, kernelSize: 9 }), /does not fit an input of size 8/);
  bad(() => m.conv2d(x, { filters: 0, kernelSize: 1 }), /filters must be a positive integer/);
  bad(() => m.add([x, m.conv2d(x, { filters: 5, kernelSize: 1 })]), /same shape/);
  bad(() => m.input([0]), /input shape must be positive/);
  bad(() => m.conv2d(x, { filters: 1, kernelSize: 1, name: 'input_1' }), /already exists/);
  bad(() => m.build([]), /no output/);
  bad(() => new ModelBuilder({ seed: -1 }), /seed/);
  bad(() => m.build(new ModelBuilder().input([2])), /not a layer output of this model/);
});

test('a model without variables still has the full layout: empty restore, nothing captured', (t) => {
  const m = new ModelBuilder();
  const model = m.build(m.flatten(m.maxPooling2d(m.input([8, 8, 2]))));
  const dir = path.join(tmpDir(t), 'plain');
  writeModel(dir, model);
  const mg = readSavedModel(dir).metaGraphs[0];
  assert.deepEqual(mapVariables(dir, mg.def).bindings, []);
  assert.deepEqual(TensorBundle.open(savedModelVariablesPrefix(dir)).keys(), [OBJECT_GRAPH_KEY]);
  const [g] = loadForConversion(dir).graphs;
  assert.deepEqual(
    g?.graphDef.node.filter((n) => !['Identity', 'IdentityN'].includes(n.op)).map((n) => n.op),
    ['Placeholder', 'MaxPool', 'Const', 'Reshape'],
  );
});
