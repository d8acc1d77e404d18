import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { graphDefText, inspectGraphDef, isSinkOp } from '../../src/inspect/graphdef.js';
import type { GraphDef } from '../../src/proto/index.js';
import { readGraphDef } from '../../src/readers/graphdef.js';
import { inventoryShape, parseInventory } from '../helpers/inventory.js';
import { SHARED_DIR, fixture, need } from '../helpers/shared.js';

const FIXTURES = path.join(SHARED_DIR, 'fixtures');

test('GraphDef report: inputs and op histogram of every GraphDef in INVENTORY.txt', (t) => {
  if (!need(t, FIXTURES)) return;
  const inv = parseInventory().graphDefs;
  assert.equal(inv.length, 10);
  for (const g of inv) {
    const file = path.join(FIXTURES, g.file);
    const r = inspectGraphDef(readGraphDef(file), file);
    assert.equal(r.kind, 'graphdef');
    assert.equal(r.nodes, g.nodes, g.file);
    assert.equal(r.functions, g.functions, g.file);
    assert.deepEqual(r.ops, g.ops, g.file);
    assert.deepEqual(r.libraryOps, {});
    assert.deepEqual(
      r.inputs.map((i) => [i.name, i.dtype, i.shape]),
      g.inputs.map((i) => [i.name, i.dtype, inventoryShape(i.shape)]),
      g.file,
    );
  }
});

test('GraphDef candidate outputs are the model outputs, not bookkeeping sinks', (t) => {
  const cases: [string, string[]][] = [
    ['siliconlabs-micro-speech-tf1/model.pb', ['labels_softmax']],
    ['litert-testdata/tflite_testdata/multi_add.pb', ['x', 'y']],
    ['tf2onnx-test-models/fc-layers/frozen.pb', ['output']],
    ['tf2onnx-test-models/ae0/frozen.pb', ['output']],
    ['tf2onnx-test-models/lstm/frozen.pb', ['output']],
    ['tf2onnx-test-models/gru/frozen.pb', ['output']],
    ['tf2onnx-test-models/regression/graphdef/frozen.pb', ['pred']],
    ['tf-rust-keras/graphdefs/addition.pb', ['z']],
  ];
  if (!need(t, ...cases.map(([f]) => fixture(f)))) return;
  for (const [rel, outputs] of cases) {
    const file = fixture(rel);
    const r = inspectGraphDef(readGraphDef(file), file);
    assert.deepEqual(
      r.outputs.map((o) => o.name),
      outputs,
      rel,
    );
  }
  // The micro_speech output is the Softmax.
  const micro = fixture('siliconlabs-micro-speech-tf1/model.pb');
  assert.deepEqual(inspectGraphDef(readGraphDef(micro), micro).outputs, [{ name: 'labels_softmax', op: 'Softmax' }]);
});

test('sinks: training, checkpoint, summary and init ops are never candidate outputs', () => {
  for (const op of ['NoOp', 'Const', 'Assert', 'SaveV2', 'RestoreV2', 'Assign', 'AssignVariableOp', 'ApplyGradientDescent', 'ResourceApplyAdam', 'ResourceSparseApplyAdagrad', 'ScalarSummary', 'VarHandleOp']) {
    assert.ok(isSinkOp(op), op);
  }
  for (const op of ['Softmax', 'Identity', 'Add', 'ArgMax', 'Applyish']) assert.ok(!isSinkOp(op), op);
  const g = {
    node: [
      { name: 'x', op: 'Placeholder', input: [], attr: {} },
      { name: 'w', op: 'VariableV2', input: [], attr: {} },
      { name: 'y', op: 'MatMul', input: ['x', 'w'], attr: {} },
      { name: 'train', op: 'ApplyGradientDescent', input: ['w', 'y'], attr: {} },
      { name: 'init', op: 'NoOp', input: ['^w'], attr: {} },
      { name: 'loss', op: 'Sum', input: ['y'], attr: {} },
      { name: 'guarded', op: 'Identity', input: ['y'], attr: {} },
      { name: 'after', op: 'NoOp', input: ['^guarded'], attr: {} },
    ],
    versions: null,
    version: 0,
    library: null,
  } as unknown as GraphDef;
  const r = inspectGraphDef(g, 'mem.pb');
  // 'guarded' feeds a control edge, so something consumes it.
  assert.deepEqual(r.outputs, [{ name: 'loss', op: 'Sum' }]);
  assert.equal(r.producer, null);
  // A placeholder without dtype and shape attrs.
  assert.deepEqual(r.inputs, [{ name: 'x', op: 'Placeholder', dtype: null, tfDtype: 'DT_INVALID', shape: null }]);
});

test('GraphDef text: header, inputs, outputs and ops tables, plain without colour', (t) => {
  const file = fixture('litert-testdata/tflite_testdata/multi_add.pb');
  if (!need(t, file)) return;
  const r = inspectGraphDef(readGraphDef(file), 'multi_add.pb');
  const text = graphDefText(r);
  assert.equal(
    text,
    [
      'GraphDef multi_add.pb: 7 nodes, 0 functions, producer 26',
      '',
      'Inputs (4):',
      '┌──────┬──────────┬──────────────┬─────────────┐',
      '│ Name │ Dtype    │ Shape        │ Op          │',
      '├──────┼──────────┼──────────────┼─────────────┤',
      '│ a    │ DT_FLOAT │ (1, 8, 8, 3) │ Placeholder │',
      '│ b    │ DT_FLOAT │ (1, 8, 8, 3) │ Placeholder │',
      '│ c    │ DT_FLOAT │ (1, 8, 8, 3) │ Placeholder │',
      '│ d    │ DT_FLOAT │ (1, 8, 8, 3) │ Placeholder │',
      '└──────┴──────────┴──────────────┴─────────────┘',
      '',
      'Candidate outputs (2, nodes nothing consumes):',
      '┌──────┬─────┐',
      '│ Name │ Op  │',
      '├──────┼─────┤',
      '│ x    │ Add │',
      '│ y    │ Add │',
      '└──────┴─────┘',
      '',
      'Ops (2 types):',
      '┌─────────────┬───────┐',
      '│ Op          │ Count │',
      '├─────────────┼───────┤',
      '│ Add         │     3 │',
      '│ Placeholder │     4 │',
      '└─────────────┴───────┘',
      '',
    ].join('\n'),
  );
  assert.match(graphDefText(r, true), /\x1b\[/);
});
