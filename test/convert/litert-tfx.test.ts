// LiteRT's multi_add.pb against its own official conversion multi_add.bin, and the TFX models
// that cannot be converted (tf.Example parsing, vocabularies, sparse features): one line listing
// every unsupported op, before any expensive work, and no file written.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { optimize } from '../../src/api/optimize.js';
import { BufferIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import type { TensorValue } from '../../src/core/tensor.js';
import { ErrorCode, TfconvError } from '../../src/errors/index.js';
import { makeRandomInputs } from '../../src/verify/inputs.js';
import { readTfliteFile } from '../../src/tflite/index.js';
import { fixture, need } from '../helpers/shared.js';
import { tmpDir } from '../helpers/tmp.js';
import { assertVerified, convertFixture, maxAbsDiff, opCounts, runSignature, runTfliteFile, signatureDefs } from './helpers.js';

test('multi_add.pb: same ops, SignatureDef and outputs as LiteRT\'s multi_add.bin', async (t) => {
  const official = fixture('litert-testdata/tflite_testdata/multi_add.bin');
  if (!need(t, official)) return;
  const c = await convertFixture(t, 'litert-testdata/tflite_testdata/multi_add.pb', { verify: { samples: 3, atol: 0, rtol: 0 } });
  if (!c) return;
  assertVerified(c.result);
  const theirs = readTfliteFile(official).model;
  assert.deepEqual(opCounts(c.model), opCounts(theirs));
  assert.deepEqual(signatureDefs(c.model).map(([k, i, ins, outs]) => [k, i, ins.sort(), outs.sort()]), signatureDefs(theirs).map(([k, i, ins, outs]) => [k, i, ins.sort(), outs.sort()]));
  for (const seed of [1, 2]) {
    const inputs = makeRandomInputs(['a', 'b', 'c', 'd'].map((key) => ({ key, dtype: 'float32' as const, shape: [1, 8, 8, 3] })), seed);
    const ours = await runSignature(c.model, 'serving_default', inputs);
    const sg = theirs.subgraphs[0];
    const got = await runTfliteFile(official, sg.inputs.map((i) => inputs[sg.tensors[i].name ?? ''] as TensorValue));
    sg.outputs.forEach((o, k) => assert.equal(maxAbsDiff(ours[sg.tensors[o].name ?? ''], got[k]), 0, `output ${sg.tensors[o].name}`));
  }
});

test('TFX Keras taxi model: ParseExampleV2 listed in one line; --allow-custom-ops writes it as a CUSTOM op', async (t) => {
  const src = fixture('tfx-testdata/keras_taxi_serving');
  if (!need(t, src)) return;
  const out = path.join(tmpDir(t), 'taxi.tflite');
  await assert.rejects(optimize(src, { output: out }), (e: unknown) => {
    assert.ok(e instanceof TfconvError);
    assert.equal(e.code, ErrorCode.UNSUPPORTED_OPS);
    assert.equal(
      e.message,
      "signature 'serving_default': 1 unsupported op type (1 node): ParseExampleV2 x1 (e.g. 'StatefulPartitionedCall/StatefulPartitionedCall/ParseExample/ParseExampleV2'); use --allow-custom-ops to write them as custom ops",
    );
    return true;
  });
  assert.equal(fs.existsSync(out), false);
  const c = await convertFixture(t, 'tfx-testdata/keras_taxi_serving', { allowCustomOps: true, inputShapes: { examples: [1] } });
  if (!c) return;
  const ops = opCounts(c.model);
  assert.equal(ops.ParseExampleV2, 1);
  assert.ok(ops.FULLY_CONNECTED >= 3, JSON.stringify(ops));
});

test('TFX Estimator taxi model: every unsupported op type counted in one line, through the CLI: exit 1, no stack, no file', async (t) => {
  const src = fixture('tfx-testdata/estimator_taxi_serving');
  if (!need(t, src)) return;
  const dir = tmpDir(t);
  const out = path.join(dir, 'est.tflite');
  const io = new BufferIO();
  assert.equal(await main(['optimize', src, '-o', out, '--signature', 'predict'], io), 1);
  const lines = io.errText.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, io.errText);
  const line = lines[0];
  assert.match(line, /^tfconv: error: signature 'predict': 14 unsupported op types \(105 nodes\): SparseReshape x18 \(e\.g\. '/);
  for (const op of ['ParseExampleV2 x1', 'HashTableV2 x2', 'LookupTableFindV2 x2', 'SparseSegmentSum x9', 'Unique x9', 'Where x18', 'AsString x2']) assert.ok(line.includes(op), op);
  assert.match(line, /; use --allow-custom-ops to write them as custom ops$/);
  assert.doesNotMatch(io.errText, /\n\s+at /);
  assert.deepEqual(fs.readdirSync(dir), [], 'no output and no temporary file left');
});
