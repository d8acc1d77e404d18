// Hostile and broken models given to `optimize` (the API behind `tfconv optimize`): broken graphs
// end in one TfconvError naming the node, bombs end before they cost memory, a model past 2 GiB
// fails before any variable is read, asset names and outputs stay where they belong, and a
// failed conversion writes nothing.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { optimize } from '../../src/api/optimize.js';
import { checkOutputPath } from '../../src/api/output-path.js';
import { ErrorCode, TfconvError } from '../../src/errors/index.js';
import { BundleEntryCodec, BundleHeaderCodec, GraphDefCodec, SavedModelCodec } from '../../src/proto/index.js';
import type { GraphDef, NodeDef, SavedModel, TensorShapeProto } from '../../src/proto/types.js';
import { readSavedModel } from '../../src/readers/savedmodel.js';
import { TableBuilder } from '../../src/writers/leveldb-table.js';
import { Builder } from 'flatbuffers';
import { FB_SHARING_ALLOWANCE } from '../../src/tflite/flatbuffer.js';
import { readTflite } from '../../src/tflite/read.js';
import { fixture, need } from '../helpers/shared.js';
import { tmpDir } from '../helpers/tmp.js';
import { rejectsOneLine } from '../helpers/errors.js';

const MULTI_ADD = fixture('litert-testdata/tflite_testdata/multi_add.pb');
const TIMES_THREE = fixture('tfjs-node-saved-models/times_three_float');
const HALF_PLUS_TWO_TF2 = fixture('tf-serving-half-plus-two/saved_model_half_plus_two_tf2_cpu');

function node(name: string, op: string, input: string[], attr: NodeDef['attr'] = {}): NodeDef {
  return { name, op, input, device: '', attr };
}

function shape(dims: number[]): TensorShapeProto {
  return { dim: dims.map((size) => ({ size, name: '' })), unknown_rank: false };
}

/** multi_add.pb (x = a + (b + c), y = d + (b + c)) with one thing broken, converted with optimize(). */
async function brokenMultiAdd(dir: string, name: string, breakIt: (g: GraphDef, by: (n: string) => NodeDef) => void) {
  const g = GraphDefCodec.decode(fs.readFileSync(MULTI_ADD), 'multi_add.pb');
  breakIt(g, (n) => g.node.find((x) => x.name === n) as NodeDef);
  const file = path.join(dir, `${name}.pb`);
  fs.writeFileSync(file, GraphDefCodec.encode(g));
  const output = path.join(dir, `${name}.tflite`);
  return { run: optimize(file, { output }), output };
}

test('broken graphs: cycles, dangling inputs, wrong shapes and dtypes, duplicate names end in one error naming the node, and write nothing', async (t) => {
  if (!need(t, MULTI_ADD)) return;
  const dir = tmpDir(t);
  const cases: [string, (g: GraphDef, by: (n: string) => NodeDef) => void, ErrorCode, RegExp][] = [
    ['cycle', (_g, by) => (by('i').input = ['b', 'x']), ErrorCode.BAD_GRAPH, /^node 'i' \(Add\): the graph has a cycle through this node$/],
    ['self-loop', (_g, by) => (by('i').input = ['i', 'c']), ErrorCode.BAD_GRAPH, /^node 'i' \(Add\): the graph has a cycle/],
    ['dangling input', (_g, by) => (by('y').input = ['d', 'ghost']), ErrorCode.BAD_GRAPH, /^node 'y' \(Add\): input 'ghost' refers to a node that does not exist$/],
    ['output index out of range', (_g, by) => (by('y').input = ['d', 'i:3']), ErrorCode.SHAPE_ERROR, /^node 'i' \(Add\): Add produces 1 output but output 3 is read \(by 'y'\)$/],
    ['inconsistent shapes', (_g, by) => ((by('c').attr.shape.shape as TensorShapeProto).dim[3].size = 5), ErrorCode.SHAPE_ERROR, /^node 'i' \(Add\): cannot broadcast shapes \[1,8,8,3\] and \[1,8,8,5\]$/],
    ['input dtypes differ', (_g, by) => (by('c').attr.dtype.type = 3), ErrorCode.BAD_GRAPH, /^node 'i' \(Add\): input 1 is int32 but input 0 is float32/],
    ['T disagrees with the inputs', (_g, by) => (by('x').attr.T.type = 2), ErrorCode.BAD_GRAPH, /^node 'x' \(Add\): attribute T is float64 but the node's inputs are float32$/],
    ['an input missing', (_g, by) => (by('i').input = ['b']), ErrorCode.BAD_GRAPH, /^node 'i' \(Add\): Add takes 2 inputs but the node has 1$/],
    ['duplicate names', (_g, by) => (by('d').name = 'a'), ErrorCode.BAD_GRAPH, /^node 'a' \(Placeholder\): two nodes have this name$/],
    ['a name with a newline', (g, by) => {
      by('i').name = 'i\nj';
      for (const n of g.node) n.input = n.input.map((s) => (s === 'i' ? 'i\nj' : s));
      by('x').input = ['a', 'ghost\nnode'];
    }, ErrorCode.BAD_GRAPH, /^node 'x' \(Add\): input 'ghost\\nnode' refers to a node that does not exist$/],
  ];
  for (const [name, breakIt, code, message] of cases) {
    const { run, output } = await brokenMultiAdd(dir, name.replace(/\W+/g, '-'), breakIt);
    const e = await rejectsOneLine(run, code, message);
    assert.ok(e.subject.node, `${name}: the error names a node`);
    assert.ok(!fs.existsSync(output), `${name}: no output written`);
  }
  assert.deepEqual(fs.readdirSync(dir).filter((f) => !f.endsWith('.pb')), [], 'no output or temporary files');
});

test('a SavedModel whose called function is missing, or whose signature names no tensor: the error names the node', async (t) => {
  if (!need(t, TIMES_THREE)) return;
  const dir = tmpDir(t);
  const variant = (name: string, edit: (sm: SavedModel) => void): string => {
    const d = path.join(dir, name);
    fs.cpSync(TIMES_THREE, d, { recursive: true });
    const sm = SavedModelCodec.decode(fs.readFileSync(path.join(d, 'saved_model.pb')), 'saved_model.pb');
    edit(sm);
    fs.writeFileSync(path.join(d, 'saved_model.pb'), SavedModelCodec.encode(sm));
    return d;
  };
  const noFunction = variant('no-function', (sm) => {
    const g = sm.meta_graphs[0].graph_def as GraphDef;
    const call = g.node.find((n) => n.name === 'StatefulPartitionedCall') as NodeDef;
    const lib = g.library as NonNullable<GraphDef['library']>;
    lib.function = lib.function.filter((f) => f.signature.name !== call.attr.f.func?.name);
  });
  await rejectsOneLine(
    optimize(noFunction, { output: path.join(dir, 'a.tflite') }),
    ErrorCode.BAD_GRAPH,
    /^node 'StatefulPartitionedCall' \(StatefulPartitionedCall\): calls function '__inference_signature_wrapper_\d+', which the library does not have$/,
  );
  const badOutput = variant('bad-output', (sm) => {
    const sig = sm.meta_graphs[0].signature_def.serving_default;
    for (const k of Object.keys(sig.outputs)) sig.outputs[k].name = 'no_such_tensor:0';
  });
  await rejectsOneLine(optimize(badOutput, { output: path.join(dir, 'b.tflite') }), ErrorCode.BAD_GRAPH, /no_such_tensor:0/);
  assert.ok(!fs.existsSync(path.join(dir, 'a.tflite')) && !fs.existsSync(path.join(dir, 'b.tflite')));
});

test('function calls that fan out (2^40 inlined nodes) or recurse are refused before inlining', async (t) => {
  if (!need(t, MULTI_ADD)) return;
  const dir = tmpDir(t);
  const arg = (name: string) => ({ name, description: '', type: 1, type_attr: '', number_attr: '', type_list_attr: '', is_ref: false });
  const fn = (name: string, body: NodeDef[], ret: string) => ({
    signature: { name, input_arg: [arg('x')], output_arg: [arg('y')], control_output: [], attr: [], summary: '', description: '', is_commutative: false, is_aggregate: false, is_stateful: false, allows_uninitialized_input: false },
    attr: {},
    arg_attr: {},
    resource_arg_unique_id: {},
    node_def: body,
    ret: { y: ret },
    control_ret: {},
  });
  const T = { T: { value: 'type' as const, type: 1 } };
  const bomb = (depth: number, recursive: boolean) => (g: GraphDef) => {
    const fns = [];
    for (let i = 0; i < depth; i++) {
      const callee = recursive ? 'f0' : i + 1 < depth ? `f${i + 1}` : null;
      fns.push(
        callee
          ? fn(`f${i}`, [node('a', callee, ['x'], T), node('b', callee, ['x'], T), node('s', 'AddV2', ['a:y:0', 'b:y:0'], T)], 's:z:0')
          : fn(`f${i}`, [node('s', 'Identity', ['x'], T)], 's:output:0'),
      );
    }
    g.library = { function: fns, gradient: [] };
    g.node.push(node('call', 'f0', ['a'], T));
  };
  const fanout = await brokenMultiAdd(dir, 'fanout', bomb(40, false));
  await rejectsOneLine(fanout.run, ErrorCode.BAD_GRAPH, /^node 'call' \(f0\): inlining function calls would make the graph 2199023255\d+ nodes, more than the 50000 allowed/);
  const recursive = await brokenMultiAdd(dir, 'recursive', bomb(1, true));
  await rejectsOneLine(recursive.run, ErrorCode.BAD_GRAPH, /^node 'a' \(f0\): function calls recurse \('f0' -> 'f0'\); TensorFlow functions cannot call themselves$/);
  // Two levels of the same shape (4 inlined calls) convert.
  const fine = await brokenMultiAdd(dir, 'fine', bomb(2, false));
  assert.ok((await fine.run).bytes > 0);
});

test('splat constants and folded values may not turn a few hundred bytes into gigabytes', async (t) => {
  if (!need(t, MULTI_ADD)) return;
  const dir = tmpDir(t);
  // A constant of 2^30 elements given by one value.
  const splat = await brokenMultiAdd(dir, 'splat', (_g, by) => {
    const c = by('c');
    c.op = 'Const';
    c.attr = { dtype: { value: 'type', type: 1 }, value: { value: 'tensor', tensor: { dtype: 1, tensor_shape: shape([1, 32768, 32768]), float_val: [0.5] } as never } };
  });
  await rejectsOneLine(splat.run, ErrorCode.BAD_GRAPH, /^node 'c': constant of 1073741824 elements given by 1 value is larger than the 16777216 elements/);
  // Fill([16384, 16384], 0.5) * itself: 2^28 elements that TFLite computes at run time; nothing
  // is folded into a constant, so the model stays small.
  const fill = await brokenMultiAdd(dir, 'fill', (g) => {
    const int32 = { value: 'type' as const, type: 3 };
    const f32 = { value: 'type' as const, type: 1 };
    g.node.push(
      node('dims', 'Const', [], { dtype: int32, value: { value: 'tensor', tensor: { dtype: 3, tensor_shape: shape([2]), int_val: [16384, 16384] } as never } }),
      node('half', 'Const', [], { dtype: f32, value: { value: 'tensor', tensor: { dtype: 1, tensor_shape: shape([]), float_val: [0.5] } as never } }),
      node('fill', 'Fill', ['dims', 'half'], { T: f32, index_type: int32 }),
      node('square', 'Mul', ['fill', 'fill'], { T: f32 }),
    );
  });
  const r = await fill.run;
  assert.ok(r.bytes < 10_000, `${r.bytes} bytes`);
  assert.ok((r.ops.FILL ?? 0) === 1 && (r.ops.MUL ?? 0) === 1, JSON.stringify(r.ops));
});

test('a SavedModel whose variables pass 2 GiB fails with MODEL_TOO_LARGE before any variable is read', async (t) => {
  const dir = tmpDir(t);
  const model = path.join(dir, 'huge');
  const N = 600_000_000; // float32: 2.4 GB
  const f32 = { value: 'type' as const, type: 1 };
  const sm = {
    saved_model_schema_version: 1,
    meta_graphs: [
      {
        meta_info_def: { tags: ['serve'] },
        graph_def: {
          node: [
            node('x', 'Placeholder', [], { dtype: f32, shape: { value: 'shape', shape: shape([1]) } }),
            node('w', 'VariableV2', [], { dtype: f32, shape: { value: 'shape', shape: shape([N]) } }),
            node('w/read', 'Identity', ['w'], { T: f32 }),
            node('y', 'AddV2', ['x', 'w/read'], { T: f32 }),
          ],
        },
        signature_def: {
          serving_default: {
            inputs: { x: { name: 'x:0', dtype: 1, tensor_shape: shape([1]) } },
            outputs: { y: { name: 'y:0', dtype: 1, tensor_shape: shape([N]) } },
            method_name: 'tensorflow/serving/predict',
          },
        },
      },
    ],
  };
  fs.mkdirSync(path.join(model, 'variables'), { recursive: true });
  fs.writeFileSync(path.join(model, 'saved_model.pb'), SavedModelCodec.encode(sm as never));
  const table = new TableBuilder();
  table.add(new Uint8Array(0), BundleHeaderCodec.encode({ num_shards: 1, endianness: 0, version: { producer: 1, min_consumer: 0, bad_consumers: [] } } as never));
  table.add(new TextEncoder().encode('w'), BundleEntryCodec.encode({ dtype: 1, shape: shape([N]), shard_id: 0, offset: 0, size: 4 * N, crc32c: 0, slices: [] } as never));
  fs.writeFileSync(path.join(model, 'variables', 'variables.index'), table.finish());
  // The shard holds nothing: reading the variable would fail with SHARD_TOO_SHORT (and never
  // allocate), so MODEL_TOO_LARGE shows the size was judged before any read.
  fs.writeFileSync(path.join(model, 'variables', 'variables.data-00000-of-00001'), new Uint8Array(0));
  const output = path.join(dir, 'huge.tflite');
  await rejectsOneLine(optimize(model, { output }), ErrorCode.MODEL_TOO_LARGE, /needs 2400000000 bytes but a TFLite FlatBuffer is limited to 2 GiB/);
  assert.ok(!fs.existsSync(output));
});

test('assets: a name escaping assets/, or an assets/ that is a link to elsewhere, is refused', (t) => {
  if (!need(t, HALF_PLUS_TWO_TF2)) return;
  const dir = tmpDir(t);
  const secret = path.join(dir, 'outside');
  fs.mkdirSync(secret);
  fs.writeFileSync(path.join(secret, 'foo.txt'), 'not yours');
  const m = path.join(dir, 'model');
  fs.cpSync(HALF_PLUS_TWO_TF2, m, { recursive: true });
  assert.equal(readSavedModel(m).assets[0]?.name, 'foo.txt');
  // The whole assets/ directory replaced by a link to a directory outside the model.
  fs.rmSync(path.join(m, 'assets'), { recursive: true });
  fs.symlinkSync(secret, path.join(m, 'assets'));
  assert.throws(() => readSavedModel(m), (e: unknown) => e instanceof TfconvError && e.code === ErrorCode.UNSAFE_PATH && /"foo\.txt" leads outside the assets\/ directory/.test(e.message));
});

test('outputs over the input, over any file of the input SavedModel, or inside its variables/ or assets/ are refused', (t) => {
  if (!need(t, HALF_PLUS_TWO_TF2, MULTI_ADD)) return;
  const dir = tmpDir(t);
  const m = path.join(dir, 'model');
  fs.cpSync(HALF_PLUS_TWO_TF2, m, { recursive: true });
  const refused = (output: string, model: string, message: RegExp) =>
    assert.throws(() => checkOutputPath(output, model), (e: unknown) => e instanceof TfconvError && e.code === ErrorCode.UNSAFE_PATH && message.test(e.message), output);
  refused(m, m, /would overwrite the input model/);
  refused(path.join(m, 'saved_model.pb'), m, /would overwrite saved_model\.pb, a file of the input SavedModel/);
  refused(path.join(m, 'fingerprint.pb'), path.join(m, 'saved_model.pb'), /would overwrite fingerprint\.pb/);
  refused(path.join(m, 'variables', 'model.tflite'), m, /inside the SavedModel's variables\/ directory/);
  refused(path.join(m, 'variables'), m, /inside the SavedModel's variables\/ directory/);
  refused(path.join(m, 'assets', 'model.tflite'), m, /inside the SavedModel's assets\/ directory/);
  refused(dir, m, /the output path is a directory/);
  // A link to the input is the input.
  fs.symlinkSync(path.join(m, 'saved_model.pb'), path.join(dir, 'link.pb'));
  refused(path.join(dir, 'link.pb'), m, /would overwrite saved_model\.pb/);
  // TF Serving base directory: the version directory used is the model.
  const base = path.join(dir, 'serving');
  fs.mkdirSync(base);
  fs.cpSync(HALF_PLUS_TWO_TF2, path.join(base, '7'), { recursive: true });
  refused(path.join(base, '7', 'variables', 'x.tflite'), base, /variables\/ directory/);
  // A GraphDef given as its own output.
  const g = path.join(dir, 'multi_add.pb');
  fs.copyFileSync(MULTI_ADD, g);
  refused(g, g, /would overwrite the input model/);
  // Beside the model, or a new file of the user's inside its directory, is fine.
  checkOutputPath(path.join(dir, 'model.tflite'), m);
  checkOutputPath(path.join(m, 'model.tflite'), m);
});

test('a .tflite whose offsets share one table thousands of times is refused before it decodes into millions of objects', () => {
  // Model.subgraphs: 2000 offsets to one SubGraph, whose tensors are 2000 offsets to one Tensor:
  // 16 KB that would decode into 4 million tensors.
  const K = 2000;
  const b = new Builder(1024);
  b.startVector(4, 3, 4);
  for (const d of [3, 2, 1]) b.addInt32(d);
  const shapeVec = b.endVector();
  b.startObject(4);
  b.addFieldOffset(0, shapeVec, 0);
  const tensor = b.endObject();
  const repeated = (off: number): number => {
    b.startVector(4, K, 4);
    for (let i = 0; i < K; i++) b.addOffset(off);
    return b.endVector();
  };
  const tensors = repeated(tensor);
  b.startObject(5);
  b.addFieldOffset(0, tensors, 0);
  const subgraph = b.endObject();
  const subgraphs = repeated(subgraph);
  b.startObject(8);
  b.addFieldInt32(0, 3, 0);
  b.addFieldOffset(2, subgraphs, 0);
  b.finish(b.endObject(), 'TFL3');
  const bytes = b.asUint8Array();
  assert.ok(bytes.length < 20_000 && K * K > 40 * (bytes.length + FB_SHARING_ALLOWANCE));
  assert.throws(
    () => readTflite(bytes, 'shared.tflite'),
    (e: unknown) => e instanceof TfconvError && e.code === ErrorCode.BAD_TFLITE && /decoding needs more elements than the file can hold \(offsets shared or repeated\?\)/.test(e.message),
  );
});
