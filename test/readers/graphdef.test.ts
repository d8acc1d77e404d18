import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ErrorCode, TfconvError } from '../../src/errors/index.js';
import { GraphDefCodec, type GraphDef } from '../../src/proto/index.js';
import { calledFunctions, countOps, functionLibrary, parseTensorName, readGraphDef } from '../../src/readers/graphdef.js';
import { readSavedModel, selectMetaGraph } from '../../src/readers/savedmodel.js';
import { parseInventory } from '../helpers/inventory.js';
import { SHARED_DIR, fixture, need } from '../helpers/shared.js';
import { seededBytes, tmpDir } from '../helpers/tmp.js';

const FIXTURES = path.join(SHARED_DIR, 'fixtures');
/** .pb files that are not GraphDefs: SavedModel protos, fingerprints, Keras metadata. */
const NOT_GRAPHDEFS = new Set(['saved_model.pb', 'fingerprint.pb', 'keras_metadata.pb']);

function findGraphDefs(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...findGraphDefs(p));
    else if (e.name.endsWith('.pb') && !NOT_GRAPHDEFS.has(e.name)) out.push(p);
  }
  return out.sort();
}

function throwsCode(fn: () => unknown, code: ErrorCode, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TfconvError, String(e));
    assert.equal(e.code, code, e.message);
    assert.doesNotMatch(e.message, /\n/);
    if (message) assert.match(e.message, message);
    return true;
  });
}

test('every GraphDef under fixtures/ reads, with the nodes and ops INVENTORY lists', (t) => {
  if (!need(t, FIXTURES)) return;
  const files = findGraphDefs(FIXTURES);
  const inv = new Map(parseInventory().graphDefs.map((g) => [g.file, g]));
  // multi_add, micro_speech, 3 tf-rust graphdefs, 5 tf2onnx frozen graphs.
  assert.equal(files.length, 10, files.join(', '));
  for (const file of files) {
    const g = readGraphDef(file);
    const e = inv.get(path.relative(FIXTURES, file));
    assert.ok(e, `${file} is in INVENTORY.txt`);
    assert.equal(g.node.length, e.nodes, file);
    assert.equal(functionLibrary(g).size, e.functions, file);
    assert.deepEqual(Object.fromEntries(countOps(g.node)), e.ops, file);
  }
});

test('not a GraphDef: SavedModels, .tflite, other protos, garbage, truncation, text format', (t) => {
  const dir = tmpDir(t);
  const sm = fixture('tfjs-node-saved-models/times_three_float');
  const tflite = fixture('tflite-micro-models/hello_world_float.tflite');
  const meta = fixture('tfnet-keras/python_func_model/keras_metadata.pb');
  const micro = fixture('siliconlabs-micro-speech-tf1/model.pb');
  if (!need(t, sm, tflite, meta, micro)) return;

  throwsCode(() => readGraphDef(sm), ErrorCode.NOT_A_MODEL, /is a SavedModel, not a GraphDef/);
  throwsCode(() => readGraphDef(path.join(sm, 'saved_model.pb')), ErrorCode.NOT_A_MODEL, /is a SavedModel/);
  throwsCode(() => readGraphDef(tflite), ErrorCode.NOT_A_MODEL, /is a TFLite model/);
  // A saved_model.pb under another name.
  const renamed = path.join(dir, 'model.pb');
  fs.copyFileSync(path.join(sm, 'saved_model.pb'), renamed);
  throwsCode(() => readGraphDef(renamed), ErrorCode.NOT_A_MODEL, /model\.pb: holds a SavedModel proto, not a GraphDef; name it saved_model\.pb/);
  // Other protos in SavedModel directories are refused, whether their bytes fail to parse as a
  // GraphDef or parse into an empty graph.
  for (const other of [meta, fixture('tfnet-keras/python_func_model/fingerprint.pb')]) {
    throwsCode(() => readGraphDef(other), ErrorCode.BAD_PROTOBUF, /\.pb: not a valid GraphDef protobuf \((invalid wire type|the graph has no nodes)/);
  }
  const nameless = path.join(dir, 'nameless.pb');
  fs.writeFileSync(nameless, GraphDefCodec.encode({ node: [{ name: '', op: 'Const' }] } as unknown as GraphDef));
  throwsCode(() => readGraphDef(nameless), ErrorCode.BAD_PROTOBUF, /nameless\.pb: not a valid GraphDef protobuf \(node #0 has no name\)$/);
  throwsCode(() => readGraphDef(path.join(dir, 'missing.pb')), ErrorCode.FILE_NOT_FOUND);

  const garbage = path.join(dir, 'garbage.pb');
  fs.writeFileSync(garbage, seededBytes(2048, 7));
  throwsCode(() => readGraphDef(garbage), ErrorCode.BAD_PROTOBUF, /garbage\.pb: not a valid GraphDef protobuf/);

  const empty = path.join(dir, 'empty.pb');
  fs.writeFileSync(empty, new Uint8Array(0));
  throwsCode(() => readGraphDef(empty), ErrorCode.BAD_PROTOBUF, /empty\.pb: not a valid GraphDef protobuf \(the graph has no nodes\)/);

  const bytes = fs.readFileSync(micro);
  for (const keep of [bytes.length - 1, Math.floor(bytes.length / 3), 2]) {
    const cut = path.join(dir, `cut${keep}.pb`);
    fs.writeFileSync(cut, bytes.subarray(0, keep));
    throwsCode(() => readGraphDef(cut), ErrorCode.BAD_PROTOBUF, /not a valid GraphDef protobuf \(index out of range/);
  }

  const pbtxt = path.join(dir, 'graph.pbtxt');
  fs.writeFileSync(pbtxt, 'node { name: "a" op: "Const" }\n');
  throwsCode(() => readGraphDef(pbtxt), ErrorCode.NOT_A_MODEL, /text-format GraphDefs/);
});

test('a GraphDef written by our codec round-trips through readGraphDef', (t) => {
  const dir = tmpDir(t);
  const g = {
    node: [
      { name: 'x', op: 'Placeholder', attr: { dtype: { type: 1 } } },
      { name: 'y', op: 'Neg', input: ['x'] },
    ],
    versions: { producer: 1234, min_consumer: 0, bad_consumers: [] },
  } as unknown as GraphDef;
  const file = path.join(dir, 'neg.pb');
  fs.writeFileSync(file, GraphDefCodec.encode(g));
  const back = readGraphDef(file);
  assert.deepEqual(
    back.node.map((n) => [n.name, n.op, n.input]),
    [
      ['x', 'Placeholder', []],
      ['y', 'Neg', ['x']],
    ],
  );
  assert.equal(back.node[0]?.attr.dtype?.type, 1);
  assert.equal(back.versions?.producer, 1234);
});

test('tensor names: outputs, control edges, function-body forms', () => {
  assert.deepEqual(parseTensorName('conv/BiasAdd'), { node: 'conv/BiasAdd', output: '0', control: false });
  assert.deepEqual(parseTensorName('split:2'), { node: 'split', output: '2', control: false });
  assert.deepEqual(parseTensorName('^init'), { node: 'init', output: '', control: true });
  assert.deepEqual(parseTensorName('matmul:product:0'), { node: 'matmul', output: 'product:0', control: false });
});

test('calledFunctions finds call ops, control-flow branches and direct calls', (t) => {
  const lstm = fixture('tfnet-keras/lstm_from_sequential');
  if (!need(t, lstm)) return;
  const mg = selectMetaGraph(readSavedModel(lstm));
  let whiles = 0;
  for (const f of mg.functions.values()) {
    for (const n of f.node_def) {
      if (n.op !== 'StatelessWhile') continue;
      whiles++;
      const called = calledFunctions(n, mg.functions);
      assert.deepEqual(called, [n.attr.body?.func?.name, n.attr.cond?.func?.name]);
      for (const c of called) assert.ok(mg.functions.has(c as string), `${c} is in the library`);
    }
  }
  assert.equal(whiles, 11);
  // A node whose op is a library function is a direct call.
  const lib = new Map(mg.functions);
  const [someName] = lib.keys();
  const direct = { name: 'call', op: someName as string, input: [], device: '', attr: {} };
  assert.deepEqual(calledFunctions(direct, lib), [someName]);
  const ifNode = {
    name: 'if',
    op: 'If',
    input: [],
    device: '',
    attr: {
      else_branch: { value: 'func' as const, func: { name: 'else_fn', attr: {} } },
      then_branch: { value: 'func' as const, func: { name: 'then_fn', attr: {} } },
    },
  };
  assert.deepEqual(calledFunctions(ifNode, lib), ['else_fn', 'then_fn']);
});
