// Every op in the fixtures' graphs and function libraries has semantics, except the ones that
// are never part of what tfconv converts (listed with the reason).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { tfOps } from '../../src/graph/ops/index.js';
import { GraphDefCodec, SavedModelCodec } from '../../src/proto/index.js';
import { SHARED_DIR } from '../helpers/shared.js';

const NOT_CONVERTED: Record<string, string> = {
  // Imported as tensors or graph inputs.
  Const: 'constants become tensors',
  Placeholder: 'graph inputs',
  // Checkpoint save/restore functions of every SavedModel.
  SaveV2: 'saver',
  RestoreV2: 'saver',
  MergeV2Checkpoints: 'saver',
  ShardedFilename: 'saver',
  StringJoin: 'saver',
  StaticRegexFullMatch: 'saver',
  // Function calls are inlined by the SavedModel reader.
  PartitionedCall: 'inlined',
  StatefulPartitionedCall: 'inlined',
  // tf.Example parsing, lookup tables, feature columns: not convertible to builtins.
  ParseExample: 'input parsing',
  ParseExampleV2: 'input parsing',
  HashTableV2: 'lookup table',
  InitializeTableFromTextFileV2: 'lookup table',
  LookupTableFindV2: 'lookup table',
  LookupTableSizeV2: 'lookup table',
  SparseFillEmptyRows: 'feature columns',
  SparseReshape: 'feature columns',
  SparseSegmentSum: 'feature columns',
  SparseToDense: 'feature columns',
  StringToHashBucketFast: 'feature columns',
  AsString: 'feature columns',
  UpperBound: 'feature columns',
  OptionalFromValue: 'feature columns',
  OptionalNone: 'feature columns',
  HistogramSummary: 'summaries',
  ScalarSummary: 'summaries',
  // The micro_speech audio front end is cut away (conversion starts at Reshape_2).
  DecodeWav: 'audio front end',
  AudioMicrofrontend: 'audio front end',
  // GPU-only kernels in the function library of a GPU-saved Keras LSTM.
  CudnnRNN: 'GPU only',
  CudnnRNNBackprop: 'GPU only',
};

function opsIn(file: string): string[] {
  const bytes = fs.readFileSync(file);
  if (path.basename(file) === 'saved_model.pb') {
    const sm = SavedModelCodec.decode(bytes, file);
    return sm.meta_graphs.flatMap((mg) => [
      ...(mg.graph_def?.node ?? []).map((n) => n.op),
      ...(mg.graph_def?.library?.function ?? []).flatMap((f) => f.node_def.map((n) => n.op)),
    ]);
  }
  return GraphDefCodec.decode(bytes, file).node.map((n) => n.op);
}

function modelFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'variables' ? [] : modelFiles(p);
    if (e.name === 'saved_model.pb') return [p];
    // Frozen GraphDefs (keras_metadata.pb and fingerprint.pb are other messages).
    return e.name.endsWith('.pb') && !['keras_metadata.pb', 'fingerprint.pb'].includes(e.name) ? [p] : [];
  });
}

test('every op in the fixture models has semantics or a reason not to', (t) => {
  const root = path.join(SHARED_DIR, 'fixtures');
  if (!fs.existsSync(root)) {
    t.skip(`missing shared fixtures: ${root}`);
    return;
  }
  const files = modelFiles(root);
  assert.ok(files.length >= 30, `found ${files.length} model files`);
  const missing = new Map<string, string>();
  for (const f of files) {
    for (const op of opsIn(f)) if (!tfOps[op] && !NOT_CONVERTED[op]) missing.set(op, path.relative(root, f));
  }
  assert.deepEqual([...missing].map(([op, f]) => `${op} (${f})`), []);
});

test('no op is defined by two families (a later table would silently win)', async () => {
  const families = ['elementwise', 'math', 'shape', 'nn', 'reduce', 'control', 'functional', 'quant', 'state'];
  const seen = new Map<string, string>();
  let total = 0;
  for (const f of families) {
    const mod = (await import(`../../src/graph/ops/${f}.js`)) as Record<string, unknown>;
    const table = mod[`${f}Ops`] as Record<string, unknown>;
    assert.ok(table, `${f}.ts exports ${f}Ops`);
    for (const op of Object.keys(table)) {
      assert.equal(seen.get(op), undefined, `${op} is in both ${seen.get(op)} and ${f}`);
      seen.set(op, f);
      total++;
    }
  }
  assert.equal(Object.keys(tfOps).length, total);
});
