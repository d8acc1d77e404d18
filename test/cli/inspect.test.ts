import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { BufferIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { formatShowAll } from '../../src/inspect/savedmodel.js';
import { readSavedModel } from '../../src/readers/savedmodel.js';
import { fixture, need } from '../helpers/shared.js';
import { seededBytes, tmpDir } from '../helpers/tmp.js';

const KWS = fixture('mlcommons-tiny-kws/kws_ref_model');
const TIMES_THREE = fixture('tfjs-node-saved-models/times_three_float');
const MULTI_ADD = fixture('litert-testdata/tflite_testdata/multi_add.pb');
const TFLITE = fixture('tflite-micro-models/hello_world_float.tflite');

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = new BufferIO();
  const code = await main(argv, io);
  return { code, out: io.out, err: io.errText };
}

/** A failure: the exit code, and exactly one error line (plus the usage hint for exit 2), no stack. */
function assertFailure(r: { code: number; out: string; err: string }, code: 1 | 2, message: RegExp): void {
  assert.equal(r.code, code, r.err);
  assert.equal(r.out, '');
  const errLines = r.err.trimEnd().split('\n');
  assert.match(errLines[0] as string, /^tfconv: error: /);
  assert.match(errLines[0] as string, message);
  assert.equal(errLines.length, code === 2 ? 2 : 1, r.err);
  assert.doesNotMatch(r.err, /\n\s+at /);
}

test('an unknown command is a usage error (exit 2)', async () => {
  const r = await run('frobnicate', 'x');
  assertFailure(r, 2, /frobnicate/);
});

test('inspect SAVEDMODEL prints saved_model_cli --all text on stdout, nothing on stderr', async (t) => {
  if (!need(t, KWS)) return;
  const r = await run('inspect', KWS);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, '');
  assert.equal(r.out, formatShowAll(readSavedModel(KWS)));
});

test('inspect --json: a parseable report with the signatures', async (t) => {
  if (!need(t, KWS, MULTI_ADD)) return;
  const r = await run('inspect', KWS, '--json');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as {
    kind: string;
    metaGraphs: { tagSet: string; signatures: { key: string; inputs: { key: string; name: string; dtype: string; shape: number[] }[] }[]; ops?: unknown }[];
  };
  assert.equal(j.kind, 'savedmodel');
  assert.equal(j.metaGraphs[0]?.tagSet, 'serve');
  assert.deepEqual(j.metaGraphs[0]?.signatures.map((s) => s.key), ['__saved_model_init_op', 'serving_default']);
  assert.deepEqual(j.metaGraphs[0]?.signatures[1]?.inputs[0], {
    key: 'input_1',
    name: 'serving_default_input_1:0',
    dtype: 'float32',
    tfDtype: 'DT_FLOAT',
    shape: [-1, 49, 10, 1],
    encoding: 'name',
  });
  assert.equal(j.metaGraphs[0]?.ops, undefined, 'ops only with --ops');
  const withOps = JSON.parse((await run('inspect', KWS, '--json', '--ops', '--signature-def', 'serving_default')).out);
  assert.equal(withOps.metaGraphs[0].signatures.length, 1);
  assert.equal(withOps.metaGraphs[0].ops.reachable.counts.Conv2D, 5);
  // Same input, same bytes.
  assert.equal((await run('inspect', KWS, '--json', '--ops')).out, (await run('inspect', KWS, '--json', '--ops')).out);

  const g = await run('inspect', MULTI_ADD, '--json');
  assert.equal(g.code, 0, g.err);
  const gj = JSON.parse(g.out);
  assert.equal(gj.kind, 'graphdef');
  assert.deepEqual(gj.outputs, [
    { name: 'x', op: 'Add' },
    { name: 'y', op: 'Add' },
  ]);
});

test('inspect narrowing flags behave as saved_model_cli show', async (t) => {
  if (!need(t, KWS)) return;
  const tagSets = await run('inspect', KWS, '--tag-sets');
  assert.equal(tagSets.out, "The given SavedModel contains the following tag-sets:\n'serve'\n");
  const keys = await run('inspect', KWS, '--tag-set', 'serve');
  assert.equal(
    keys.out,
    'The given SavedModel MetaGraphDef contains SignatureDefs with the following keys:\nSignatureDef key: "__saved_model_init_op"\nSignatureDef key: "serving_default"\n',
  );
  const one = await run('inspect', KWS, '--tag-set', 'serve', '--signature-def', 'serving_default');
  assert.equal(one.code, 0);
  assert.match(one.out, /^The given SavedModel SignatureDef contains the following input\(s\):\n {2}inputs\['input_1'\] tensor_info:\n {6}dtype: DT_FLOAT\n/);
  assert.match(one.out, /Method name is: tensorflow\/serving\/predict\n$/);
});

test('inspect --ops: tables without ANSI codes when stdout is not a terminal', async (t) => {
  if (!need(t, KWS)) return;
  const r = await run('inspect', KWS, '--ops');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Ops reachable from signature 'serving_default'/);
  assert.doesNotMatch(r.out, /\x1b\[/);
});

test('TF Serving base directory: the note goes to stderr, stdout stays the report', async (t) => {
  if (!need(t, TIMES_THREE)) return;
  const base = tmpDir(t);
  fs.cpSync(TIMES_THREE, path.join(base, '7'), { recursive: true });
  const r = await run('inspect', base);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, `tfconv: note: ${base} is a TF Serving base directory; using its highest version 7\n`);
  assert.equal(r.out, formatShowAll(readSavedModel(TIMES_THREE)));
  const j = JSON.parse((await run('inspect', base, '--json')).out);
  assert.equal(j.path, path.join(base, '7'));
  assert.match(j.note, /highest version 7$/);
});

test('inspect: bad input exits 1 with one line', async (t) => {
  if (!need(t, KWS)) return;
  const dir = tmpDir(t);
  assertFailure(await run('inspect', path.join(dir, 'missing')), 1, /missing: no such file or directory$/);
  fs.mkdirSync(path.join(dir, 'empty'));
  assertFailure(await run('inspect', path.join(dir, 'empty')), 1, /has no saved_model\.pb/);
  fs.mkdirSync(path.join(dir, 'pbtxt'));
  fs.writeFileSync(path.join(dir, 'pbtxt', 'saved_model.pbtxt'), 'meta_graphs {}\n');
  assertFailure(await run('inspect', path.join(dir, 'pbtxt')), 1, /text-format SavedModels/);
  fs.mkdirSync(path.join(dir, 'cut'));
  const bytes = fs.readFileSync(path.join(KWS, 'saved_model.pb'));
  fs.writeFileSync(path.join(dir, 'cut', 'saved_model.pb'), bytes.subarray(0, 1000));
  assertFailure(await run('inspect', path.join(dir, 'cut')), 1, /cut\/saved_model\.pb: not a valid SavedModel protobuf/);
  fs.writeFileSync(path.join(dir, 'random.pb'), seededBytes(1000, 11));
  assertFailure(await run('inspect', path.join(dir, 'random.pb')), 1, /random\.pb: not a valid GraphDef protobuf/);

  assertFailure(
    await run('inspect', KWS, '--tag-set', 'serve,gpu'),
    1,
    /no MetaGraph with tag-set 'serve,gpu'; available: 'serve'$/,
  );
  assertFailure(
    await run('inspect', KWS, '--signature-def', 'predict'),
    1,
    /no SignatureDef 'predict'; available: '__saved_model_init_op', 'serving_default'$/,
  );
  assertFailure(
    await run('inspect', KWS, '--json', '--signature-def', 'predict'),
    1,
    /no SignatureDef 'predict'/,
  );
});

test('inspect: a .tflite lists its operators, and --json gives the same model', async (t) => {
  if (!need(t, TFLITE)) return;
  const text = await run('inspect', TFLITE);
  assert.equal(text.code, 0);
  assert.match(text.out, /FULLY_CONNECTED/);
  const json = await run('inspect', TFLITE, '--json');
  assert.equal(json.code, 0);
  const j = JSON.parse(json.out);
  assert.equal(j.subgraphs[0].operators.length, 3);
});

test('inspect --variables: every variable of kws_ref_model with checkpoint key, bytes and totals', async (t) => {
  if (!need(t, KWS)) return;
  const r = await run('inspect', KWS, '--variables', '--json');
  assert.equal(r.code, 0);
  const mg = JSON.parse(r.out).metaGraphs[0];
  assert.deepEqual(mg.variables.totals, { count: 141, bytes: 289720, elements: 72429 });
  const dense = mg.variables.variables.find((v: { name: string }) => v.name === 'dense/kernel');
  assert.deepEqual(dense, {
    name: 'dense/kernel',
    checkpointKey: 'layer_with_weights-18/kernel/.ATTRIBUTES/VARIABLE_VALUE',
    dtype: 'float32',
    tfDtype: 'DT_FLOAT',
    shape: [64, 12],
    bytes: 3072,
  });
  assertFailure(await run('inspect', MULTI_ADD, '--variables'), 2, /--variables: applies to SavedModels only/);
});

test('inspect: usage errors exit 2', async (t) => {
  if (!need(t, KWS, MULTI_ADD)) return;
  assertFailure(await run('inspect'), 2, /Not enough non-option arguments/);
  assertFailure(await run('inspect', KWS, '--bogus'), 2, /bogus/);
  assertFailure(await run('inspect', MULTI_ADD, '--tag-set', 'serve'), 2, /--tag-set: applies to SavedModels only/);
  assertFailure(await run('inspect', MULTI_ADD, '--signature-def', 'x'), 2, /--signature-def: applies to SavedModels only/);
  assertFailure(await run('inspect', KWS, '--tag-sets', '--tag-set', 'serve'), 2, /--tag-sets: lists the tag-sets only/);
  assertFailure(await run('inspect', KWS, '--signature-def', ''), 2, /--signature-def: needs a SignatureDef key/);
  assertFailure(await run('inspect', KWS, '--tag-set', 'a', '--tag-set', 'b'), 2, /--tag-set: given more than once/);
});
