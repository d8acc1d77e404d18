import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ErrorCode, isTfconvError } from '../../src/errors/index.js';
import { SavedModelCodec } from '../../src/proto/index.js';
import type { SavedModel } from '../../src/proto/index.js';
import { TensorBundle, savedModelVariablesPrefix } from '../../src/readers/tensor-bundle/index.js';
import { mapVariables } from '../../src/readers/variables.js';
import { PACKAGE_ROOT } from '../../src/util/package.js';
import { writeSavedModel } from '../../src/writers/savedmodel.js';
import { need } from '../helpers/shared.js';
import { HALF_PLUS_TWO_TF1, HALF_PLUS_TWO_TF2, KWS, assertSameTensor, scratch } from '../readers/bundle-helpers.js';

function readSavedModel(dir: string): SavedModel {
  return SavedModelCodec.decode(fs.readFileSync(path.join(dir, 'saved_model.pb')), dir);
}

for (const [name, src, identicalPb] of [
  ['kws_ref_model (141 variables)', KWS, true],
  ['half_plus_two TF1', HALF_PLUS_TWO_TF1, true],
  ['half_plus_two TF2', HALF_PLUS_TWO_TF2, false],
] as const) {
  test(`round trip ${name}: same graph, signatures, variable bytes and variable mapping`, (t) => {
    if (!need(t, src)) return;
    const out = path.join(scratch(t), 'model');
    const original = readSavedModel(src);
    const bundle = TensorBundle.open(savedModelVariablesPrefix(src));
    const assets = fs.existsSync(path.join(src, 'assets')) ? path.join(src, 'assets') : undefined;
    const r = writeSavedModel(out, { savedModel: original, variables: bundle.readAll(), assetsDir: assets });
    assert.equal(r.dir, out);

    const written = readSavedModel(out);
    assert.deepEqual(written, original);
    assert.deepEqual(Object.keys(written.meta_graphs[0].signature_def).sort(), Object.keys(original.meta_graphs[0].signature_def).sort());
    // Our schema covers every field these SavedModels use: the file itself comes back unchanged.
    if (identicalPb) assert.ok(fs.readFileSync(path.join(out, 'saved_model.pb')).equals(fs.readFileSync(path.join(src, 'saved_model.pb'))));

    const back = TensorBundle.open(savedModelVariablesPrefix(out));
    assert.deepEqual(back.keys(), bundle.keys());
    for (const k of bundle.keys()) assertSameTensor(back.read(k), bundle.read(k), k);

    const before = mapVariables(src, original.meta_graphs[0]);
    const after = mapVariables(out, written.meta_graphs[0]);
    assert.deepEqual(
      after.bindings.map((b) => [b.node, b.checkpointKey, b.objectId]),
      before.bindings.map((b) => [b.node, b.checkpointKey, b.objectId]),
    );
    if (assets) {
      for (const f of fs.readdirSync(assets)) {
        assert.ok(fs.readFileSync(path.join(out, 'assets', f)).equals(fs.readFileSync(path.join(assets, f))), f);
      }
    }
    assert.deepEqual(
      r.files.filter((f) => !f.startsWith('assets')),
      ['saved_model.pb', 'variables/variables.data-00000-of-00001', 'variables/variables.index'],
    );
    // Nothing but the model in the parent directory: the staging directory is gone.
    assert.deepEqual(fs.readdirSync(path.dirname(out)), ['model']);
  });
}

const TINY: SavedModel = { saved_model_schema_version: 1, meta_graphs: [] };

test('an existing directory: empty is used, non-empty is refused unless overwrite, a file is refused', (t) => {
  const d = scratch(t);
  const target = path.join(d, 'out');
  fs.mkdirSync(target);
  writeSavedModel(target, { savedModel: TINY });
  assert.deepEqual(fs.readdirSync(target), ['saved_model.pb']);

  let caught: unknown;
  try {
    writeSavedModel(target, { savedModel: TINY, variables: [['v', { dtype: 'float32', shape: [], data: Float32Array.of(1) }]] });
  } catch (e) {
    caught = e;
  }
  assert.ok(isTfconvError(caught) && caught.code === ErrorCode.WRITE_FAILED && /not empty/.test(caught.message));
  assert.deepEqual(fs.readdirSync(target), ['saved_model.pb']);

  writeSavedModel(target, { savedModel: TINY, variables: [['v', { dtype: 'float32', shape: [], data: Float32Array.of(1) }]], overwrite: true });
  assert.deepEqual(fs.readdirSync(target).sort(), ['saved_model.pb', 'variables']);
  assert.deepEqual(fs.readdirSync(d), ['out']);

  fs.writeFileSync(path.join(d, 'file'), 'x');
  assert.throws(() => writeSavedModel(path.join(d, 'file'), { savedModel: TINY }), /not a directory/);
  assert.throws(() => writeSavedModel(path.join(d, 'x'), { savedModel: TINY, assetsDir: path.join(d, 'nope') }), /no such assets directory/);
});

/** Run writeSavedModel in a child process that kills itself with SIGKILL while writing variables. */
function killedWhileWriting(target: string, overwrite: boolean): void {
  const writer = path.join(PACKAGE_ROOT, 'dist', 'src', 'writers', 'savedmodel.js');
  const script = `
    import { writeSavedModel } from ${JSON.stringify(writer)};
    writeSavedModel(${JSON.stringify(target)}, {
      savedModel: { saved_model_schema_version: 1, meta_graphs: [] },
      overwrite: ${overwrite},
      variables: [
        ['a', { dtype: 'float32', shape: [1 << 20], data: new Float32Array(1 << 20) }],
        ['b', () => { process.kill(process.pid, 'SIGKILL'); }],
      ],
    });`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.signal, 'SIGKILL', r.stderr);
}

test('a process killed while writing leaves no partial model, and an existing model untouched', (t) => {
  const d = scratch(t);
  const target = path.join(d, 'model');
  killedWhileWriting(target, false);
  assert.ok(!fs.existsSync(target));
  // Only the clearly named staging directory is left behind.
  const left = fs.readdirSync(d);
  assert.equal(left.length, 1);
  assert.match(left[0], /^\.model\.tfconv-tmp-/);

  writeSavedModel(target, { savedModel: TINY, variables: [['v', { dtype: 'int32', shape: [2], data: Int32Array.of(4, 5) }]] });
  const pb = fs.readFileSync(path.join(target, 'saved_model.pb'));
  killedWhileWriting(target, true);
  assert.ok(fs.readFileSync(path.join(target, 'saved_model.pb')).equals(pb));
  assert.deepEqual([...(TensorBundle.open(savedModelVariablesPrefix(target)).read('v').data as Int32Array)], [4, 5]);
});

test('a large synthetic model streams its variables from functions and reads back verified', (t) => {
  const out = path.join(scratch(t), 'big');
  const n = 1 << 20; // 4 MiB per tensor, 12 tensors
  const keys = Array.from({ length: 12 }, (_, i) => `layer_${String(i).padStart(2, '0')}/kernel/.ATTRIBUTES/VARIABLE_VALUE`);
  const r = writeSavedModel(out, {
    savedModel: TINY,
    variables: keys.map((k, i) => [k, () => ({ dtype: 'float32', shape: [1024, n / 1024], data: new Float32Array(n).fill(i + 0.5) })]),
    shards: 2,
  });
  assert.equal(r.variables?.dataBytes, 12 * 4 * n);
  const b = TensorBundle.open(savedModelVariablesPrefix(out));
  assert.equal(b.numShards, 2);
  for (const [i, k] of keys.entries()) {
    const v = b.read(k).data as Float32Array;
    assert.equal(v.length, n);
    assert.equal(v[0], i + 0.5);
    assert.equal(v[n - 1], i + 0.5);
  }
});
