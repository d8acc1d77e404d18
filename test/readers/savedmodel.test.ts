import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ErrorCode, TfconvError } from '../../src/errors/index.js';
import { AssetFileDefCodec, SavedModelCodec, type SavedModel } from '../../src/proto/index.js';
import {
  canonicalTagSet,
  findFunction,
  getSignature,
  pickSignature,
  readSavedModel,
  selectMetaGraph,
  servingSignatureKeys,
  signatureKeys,
} from '../../src/readers/savedmodel.js';
import { parseInventory } from '../helpers/inventory.js';
import { SHARED_DIR, fixture, need } from '../helpers/shared.js';
import { seededBytes, tmpDir } from '../helpers/tmp.js';

const FIXTURES = path.join(SHARED_DIR, 'fixtures');
const KWS = fixture('mlcommons-tiny-kws/kws_ref_model');
const TIMES_THREE = fixture('tfjs-node-saved-models/times_three_float');
const TIMES_TWO_INT = fixture('tfjs-node-saved-models/times_two_int');
const HALF_PLUS_TWO = fixture('tf-serving-half-plus-two/saved_model_half_plus_two_cpu');
const REGRESSION_TF1 = fixture('tf-rust-keras/regression-model');

function findFiles(dir: string, pred: (name: string) => boolean): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...findFiles(p, pred));
    else if (pred(e.name)) out.push(p);
  }
  return out.sort();
}

function throwsCode(fn: () => unknown, code: ErrorCode, message?: RegExp): TfconvError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof TfconvError, `expected a TfconvError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.doesNotMatch(e.message, /\n/, 'error messages are one line');
    if (message) assert.match(e.message, message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

/** A SavedModel directory holding `proto` (and optionally an assets/ folder). */
function writeSavedModel(dir: string, proto: Partial<SavedModel> | Uint8Array): string {
  fs.mkdirSync(dir, { recursive: true });
  const bytes = proto instanceof Uint8Array ? proto : SavedModelCodec.encode(proto as SavedModel);
  fs.writeFileSync(path.join(dir, 'saved_model.pb'), bytes);
  return dir;
}

const SIG = {
  inputs: { x: { name: 'x:0', dtype: 1, tensor_shape: { dim: [{ size: -1, name: '' }], unknown_rank: false } } },
  outputs: { y: { name: 'y:0', dtype: 1, tensor_shape: { dim: [], unknown_rank: true } } },
  method_name: 'tensorflow/serving/predict',
};

test('every SavedModel under fixtures/ reads, with the MetaGraphs and signatures INVENTORY lists', (t) => {
  if (!need(t, FIXTURES)) return;
  const files = findFiles(FIXTURES, (n) => n === 'saved_model.pb');
  const inv = new Map(parseInventory().savedModels.map((s) => [s.dir, s]));
  assert.ok(files.length >= 29, `found ${files.length} SavedModels`);
  for (const file of files) {
    const model = readSavedModel(path.dirname(file));
    assert.equal(model.file, file);
    assert.ok(model.metaGraphs.length >= 1);
    const expected = inv.get(path.relative(FIXTURES, path.dirname(file)));
    assert.ok(expected, `${file} is in INVENTORY.txt`);
    assert.equal(model.proto.saved_model_schema_version, expected.schemaVersion);
    assert.deepEqual(
      model.metaGraphs.map((mg) => mg.tags),
      expected.metaGraphs.map((m) => m.tags),
      file,
    );
    model.metaGraphs.forEach((mg, i) => {
      const e = expected.metaGraphs[i];
      assert.ok(e);
      assert.equal(mg.graph.node.length, e.nodes, `${file} graph nodes`);
      assert.equal(mg.functions.size, e.functions, `${file} functions`);
      assert.equal(mg.objectGraph !== null, e.objectGraph, `${file} object graph`);
      assert.equal(mg.def.meta_info_def?.tensorflow_version, e.tfVersion);
      assert.deepEqual(signatureKeys(mg), e.signatures.map((s) => s.key).sort(), `${file} signature keys`);
    });
  }
});

test('path forms: the directory, its saved_model.pb, and a trailing slash all read the same model', (t) => {
  if (!need(t, TIMES_THREE)) return;
  const a = readSavedModel(TIMES_THREE);
  const b = readSavedModel(path.join(TIMES_THREE, 'saved_model.pb'));
  const c = readSavedModel(`${TIMES_THREE}/`);
  assert.equal(b.file, a.file);
  assert.equal(path.resolve(c.file), path.resolve(a.file));
  assert.equal(a.note, undefined);
});

test('TF Serving base directory: the numerically highest version is read and the note says so', (t) => {
  if (!need(t, TIMES_THREE, TIMES_TWO_INT)) return;
  const base = tmpDir(t);
  // 10 > 9 numerically but not as text; 10 is a symlink, as deployments often make them.
  fs.cpSync(TIMES_THREE, path.join(base, '9'), { recursive: true });
  fs.cpSync(TIMES_TWO_INT, path.join(base, 'v10-staging'), { recursive: true });
  fs.symlinkSync(path.join(base, 'v10-staging'), path.join(base, '10'));
  fs.mkdirSync(path.join(base, '11')); // no saved_model.pb: not a version
  const model = readSavedModel(base);
  assert.equal(model.dir, path.join(base, '10'));
  assert.equal(model.file, path.join(base, '10', 'saved_model.pb'));
  assert.equal(model.note, `${base} is a TF Serving base directory; using its highest version 10 (of 9, 10)`);
  // It is times_two_int (int32), not times_three_float.
  const sig = getSignature(selectMetaGraph(model), 'serving_default');
  assert.equal(sig.inputs.x?.dtype, 3);
});

test('tag-sets: comma-separated, order- and space-insensitive; default serve; the only MetaGraph when none asked', (t) => {
  if (!need(t, REGRESSION_TF1, KWS)) return;
  assert.equal(canonicalTagSet('serve, train'), 'serve,train');
  assert.equal(canonicalTagSet(['train', 'serve', 'train']), 'serve,train');
  assert.equal(canonicalTagSet(''), '');

  const tf1 = readSavedModel(REGRESSION_TF1); // one MetaGraph tagged ['train', 'serve']
  assert.equal(selectMetaGraph(tf1).index, 0);
  assert.equal(selectMetaGraph(tf1, 'train,serve').index, 0);
  assert.equal(selectMetaGraph(tf1, ' serve , train ').index, 0);
  const e = throwsCode(() => selectMetaGraph(tf1, 'serve'), ErrorCode.UNKNOWN_TAG_SET);
  assert.equal(e.message, `${tf1.file}: no MetaGraph with tag-set 'serve'; available: 'serve,train'`);

  const kws = readSavedModel(KWS);
  assert.equal(selectMetaGraph(kws, 'serve').tagSet, 'serve');
  throwsCode(() => selectMetaGraph(kws, 'serve,gpu'), ErrorCode.UNKNOWN_TAG_SET, /'serve,gpu'; available: 'serve'$/);
});

test('tag-sets: several MetaGraphs and an empty tag-set (TF Hub v1 style)', (t) => {
  const dir = tmpDir(t);
  const two = readSavedModel(
    writeSavedModel(path.join(dir, 'two'), {
      saved_model_schema_version: 1,
      meta_graphs: [
        { meta_info_def: { tags: ['train'] }, signature_def: {} },
        { meta_info_def: { tags: ['serve', 'gpu'] }, signature_def: { serving_default: SIG } },
        { meta_info_def: { tags: ['serve'] }, signature_def: { serving_default: SIG } },
      ] as unknown as SavedModel['meta_graphs'],
    }),
  );
  assert.equal(selectMetaGraph(two).index, 2, 'default is serve');
  assert.equal(selectMetaGraph(two, 'gpu,serve').index, 1);
  assert.equal(selectMetaGraph(two, 'serve,gpu').index, 1);
  throwsCode(() => selectMetaGraph(two, 'tpu'), ErrorCode.UNKNOWN_TAG_SET, /available: 'train', 'gpu,serve', 'serve'$/);

  const hub = readSavedModel(
    writeSavedModel(path.join(dir, 'hub'), {
      saved_model_schema_version: 1,
      meta_graphs: [{ meta_info_def: { tags: [] }, signature_def: { default: SIG } }] as unknown as SavedModel['meta_graphs'],
    }),
  );
  const mg = selectMetaGraph(hub);
  assert.equal(mg.tagSet, '');
  assert.equal(selectMetaGraph(hub, '').index, 0);
  throwsCode(() => selectMetaGraph(hub, 'serve'), ErrorCode.UNKNOWN_TAG_SET, /available: ''$/);
  // The only serving signature is picked when there is no serving_default.
  assert.equal(pickSignature(mg).key, 'default');
});

test('signatures: listed sorted, picked by key, unknown key lists the available ones', (t) => {
  if (!need(t, HALF_PLUS_TWO, KWS)) return;
  const model = readSavedModel(HALF_PLUS_TWO);
  const mg = selectMetaGraph(model);
  assert.deepEqual(signatureKeys(mg), ['classify_x_to_y', 'regress_x2_to_y3', 'regress_x_to_y', 'regress_x_to_y2', 'serving_default']);
  assert.equal(getSignature(mg, 'regress_x_to_y2').outputs.outputs?.name, 'y2:0');
  assert.equal(pickSignature(mg).key, 'serving_default');
  const e = throwsCode(() => getSignature(mg, 'predict'), ErrorCode.UNKNOWN_SIGNATURE);
  assert.equal(
    e.message,
    `${model.file}: no SignatureDef 'predict'; available: 'classify_x_to_y', 'regress_x2_to_y3', 'regress_x_to_y', 'regress_x_to_y2', 'serving_default'`,
  );
  // Keys that are Object.prototype members are not signatures.
  throwsCode(() => getSignature(mg, 'constructor'), ErrorCode.UNKNOWN_SIGNATURE);

  const kws = selectMetaGraph(readSavedModel(KWS));
  assert.deepEqual(servingSignatureKeys(kws), ['serving_default']);
});

test('function library and object graph are reachable from the MetaGraph', (t) => {
  if (!need(t, KWS)) return;
  const mg = selectMetaGraph(readSavedModel(KWS));
  const call = mg.graph.node.find((n) => n.name === 'StatefulPartitionedCall');
  assert.ok(call);
  const fname = call.attr.f?.func?.name ?? '';
  assert.ok(fname.startsWith('__inference_signature_wrapper_'), fname);
  const f = findFunction(mg, fname);
  assert.ok(f);
  assert.equal(f.signature.name, fname);
  assert.equal(f.signature.input_arg.length, call.input.length);
  assert.equal(findFunction(mg, 'no_such_function'), undefined);
  assert.ok(mg.objectGraph);
  assert.ok(mg.objectGraph.nodes.length > 10);
  assert.ok(Object.keys(mg.objectGraph.concrete_functions).includes(fname));
});

test('assets: from asset_file_def (TF2) and the saved_model_assets collection (TF1), resolved under assets/', (t) => {
  const tf2 = fixture('tf-serving-half-plus-two/saved_model_half_plus_two_tf2_cpu');
  const tfx = fixture('tfx-testdata/estimator_taxi_serving');
  if (!need(t, tf2, tfx, HALF_PLUS_TWO)) return;
  const a = readSavedModel(tf2).assets;
  assert.deepEqual(a.map((x) => [x.name, x.tensorName]), [['foo.txt', 'asset_path_initializer:0']]);
  assert.equal(a[0]?.path, path.resolve(tf2, 'assets', 'foo.txt'));
  assert.ok(fs.existsSync(a[0]?.path as string));

  const tf1 = readSavedModel(HALF_PLUS_TWO).assets;
  assert.deepEqual(tf1.map((x) => [x.name, x.tensorName]), [['foo.txt', 'Const:0']]);

  const est = readSavedModel(tfx).assets;
  assert.deepEqual(
    est.map((x) => x.name),
    ['vocab_compute_and_apply_vocabulary_1_vocabulary', 'vocab_compute_and_apply_vocabulary_vocabulary'],
  );
  for (const x of est) assert.ok(fs.existsSync(x.path), x.path);
});

test('assets whose names would escape assets/ are refused', (t) => {
  const dir = tmpDir(t);
  const outside = path.join(dir, 'secret.txt');
  fs.writeFileSync(outside, 'not yours');
  const withAsset = (name: string, where: 'tf2' | 'tf1'): Partial<SavedModel> => {
    const def = { filename: name, tensor_info: { name: 'Const:0', dtype: 7 } };
    const mg =
      where === 'tf2'
        ? { meta_info_def: { tags: ['serve'] }, asset_file_def: [def] }
        : {
            meta_info_def: { tags: ['serve'] },
            collection_def: {
              saved_model_assets: {
                any_list: {
                  value: [
                    {
                      type_url: 'type.googleapis.com/tensorflow.AssetFileDef',
                      value: AssetFileDefCodec.encode(def as never),
                    },
                  ],
                },
              },
            },
          };
    return { saved_model_schema_version: 1, meta_graphs: [mg] as unknown as SavedModel['meta_graphs'] };
  };
  let i = 0;
  for (const where of ['tf2', 'tf1'] as const) {
    for (const name of ['../secret.txt', '/etc/passwd', 'a/../../secret.txt', '..\\secret.txt', 'C:\\x', '']) {
      const m = writeSavedModel(path.join(dir, `m${i++}`), withAsset(name, where));
      throwsCode(() => readSavedModel(m), ErrorCode.UNSAFE_PATH, /assets\//);
    }
  }
  // A symbolic link inside assets/ that leads outside it.
  const linked = writeSavedModel(path.join(dir, 'linked'), withAsset('vocab.txt', 'tf2'));
  fs.mkdirSync(path.join(linked, 'assets'));
  fs.symlinkSync(outside, path.join(linked, 'assets', 'vocab.txt'));
  throwsCode(() => readSavedModel(linked), ErrorCode.UNSAFE_PATH, /symbolic link/);
  // A name in a subfolder of assets/ is fine.
  const ok = readSavedModel(writeSavedModel(path.join(dir, 'ok'), withAsset('sub/vocab.txt', 'tf2')));
  assert.equal(ok.assets[0]?.path, path.join(path.resolve(dir, 'ok'), 'assets', 'sub', 'vocab.txt'));
});

test('bad input: one-line TfconvErrors naming the path', (t) => {
  const dir = tmpDir(t);
  const missing = path.join(dir, 'nope');
  assert.equal(throwsCode(() => readSavedModel(missing), ErrorCode.FILE_NOT_FOUND).message, `${missing}: no such file or directory`);

  const empty = path.join(dir, 'empty');
  fs.mkdirSync(empty);
  throwsCode(() => readSavedModel(empty), ErrorCode.NOT_A_MODEL, /has no saved_model\.pb/);

  const pbtxt = path.join(dir, 'pbtxt');
  fs.mkdirSync(pbtxt);
  fs.writeFileSync(path.join(pbtxt, 'saved_model.pbtxt'), 'saved_model_schema_version: 1\n');
  throwsCode(() => readSavedModel(pbtxt), ErrorCode.PBTXT_UNSUPPORTED, /saved_model\.pbtxt/);

  const noMeta = writeSavedModel(path.join(dir, 'nometa'), { saved_model_schema_version: 1, meta_graphs: [] });
  const e = throwsCode(() => readSavedModel(noMeta), ErrorCode.NOT_A_MODEL);
  assert.equal(e.message, `${path.join(noMeta, 'saved_model.pb')}: the SavedModel holds no MetaGraphs`);

  const zero = writeSavedModel(path.join(dir, 'zero'), new Uint8Array(0));
  throwsCode(() => readSavedModel(zero), ErrorCode.NOT_A_MODEL, /holds no MetaGraphs/);

  const garbage = writeSavedModel(path.join(dir, 'garbage'), seededBytes(4096));
  const g = throwsCode(() => readSavedModel(garbage), ErrorCode.BAD_PROTOBUF);
  assert.equal(g.message, `${path.join(garbage, 'saved_model.pb')}: not a valid SavedModel protobuf (invalid tag encoding)`);

  const tflite = fixture('tflite-micro-models/hello_world_float.tflite');
  if (fs.existsSync(tflite)) throwsCode(() => readSavedModel(tflite), ErrorCode.NOT_A_MODEL, /is a TFLite model, not a SavedModel/);
});

test('truncated saved_model.pb: every cut is a BAD_PROTOBUF naming the file', (t) => {
  if (!need(t, KWS)) return;
  const bytes = fs.readFileSync(path.join(KWS, 'saved_model.pb'));
  const dir = tmpDir(t);
  for (const keep of [bytes.length - 1, bytes.length - 1000, Math.floor(bytes.length / 2), 5, 1]) {
    const m = writeSavedModel(path.join(dir, `cut${keep}`), bytes.subarray(0, keep));
    throwsCode(() => readSavedModel(m), ErrorCode.BAD_PROTOBUF, new RegExp(`cut${keep}/saved_model\\.pb: not a valid SavedModel protobuf \\(index out of range`));
  }
});

test('lengths in the file are checked against the bytes before anything is allocated for them', (t) => {
  const dir = tmpDir(t);
  // meta_graphs (field 2, length-delimited) claiming 2^31-1 bytes, followed by 3 bytes.
  const huge = writeSavedModel(path.join(dir, 'huge'), new Uint8Array([0x12, 0xff, 0xff, 0xff, 0xff, 0x07, 1, 2, 3]));
  const before = process.memoryUsage().arrayBuffers;
  throwsCode(() => readSavedModel(huge), ErrorCode.BAD_PROTOBUF, /index out of range/);
  assert.ok(process.memoryUsage().arrayBuffers - before < 64 << 20, 'no large allocation');

  // Deep inside: a MetaGraph whose graph_def's node claims more bytes than its parent holds.
  const node = [0x0a, 0x7f, 0x0a, 0x01, 0x61]; // NodeDef field 1 (node) length 127, then 3 bytes
  const graph = [0x12, node.length, ...node]; // MetaGraphDef.graph_def (field 2)
  const mg = [0x12, graph.length, ...graph]; // SavedModel.meta_graphs (field 2)
  const nested = writeSavedModel(path.join(dir, 'nested'), new Uint8Array(mg));
  throwsCode(() => readSavedModel(nested), ErrorCode.BAD_PROTOBUF, /index out of range/);

});

test('graph nodes without an op (bytes of another message type) are refused', (t) => {
  const dir = tmpDir(t);
  const m = writeSavedModel(path.join(dir, 'noop'), {
    saved_model_schema_version: 1,
    meta_graphs: [{ meta_info_def: { tags: ['serve'] }, graph_def: { node: [{ name: 'a', op: '' }] } }] as unknown as SavedModel['meta_graphs'],
  });
  throwsCode(() => readSavedModel(m), ErrorCode.BAD_PROTOBUF, /MetaGraph #0: node 'a' has no op/);
});
