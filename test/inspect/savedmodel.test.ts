import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { SavedModelCodec, type SavedModel } from '../../src/proto/index.js';
import {
  formatShowAll,
  formatSignature,
  formatSignatureKeys,
  formatTagSets,
  inspectSavedModel,
  pyRepr,
  savedModelText,
} from '../../src/inspect/savedmodel.js';
import { readSavedModel, selectMetaGraph } from '../../src/readers/savedmodel.js';
import { type InvTensor, inventoryShape, parseInventory } from '../helpers/inventory.js';
import { SHARED_DIR, fixture, need } from '../helpers/shared.js';
import { tmpDir } from '../helpers/tmp.js';

const FIXTURES = path.join(SHARED_DIR, 'fixtures');
const KWS = fixture('mlcommons-tiny-kws/kws_ref_model');
const HALF_PLUS_TWO = fixture('tf-serving-half-plus-two/saved_model_half_plus_two_cpu');
const JAVA_MULTI = fixture('tf-java-multi-signature/saved_model_using_python');

const lines = (...ls: string[]): string => `${ls.join('\n')}\n`;

/** saved_model_cli's _print_tensor_info at indent 2 (inside --all). */
const tensor = (dtype: string, shape: string, name: string): string[] => [
  `        dtype: ${dtype}`,
  `        shape: ${shape}`,
  `        name: ${name}`,
];

// TF2 Keras SavedModels carry this initializer "signature"; saved_model_cli prints it too, with
// an empty method name (note the trailing space after "is:").
const INIT_OP = [
  '',
  "signature_def['__saved_model_init_op']:",
  '  The given SavedModel SignatureDef contains the following input(s):',
  '  The given SavedModel SignatureDef contains the following output(s):',
  "    outputs['__saved_model_init_op'] tensor_info:",
  ...tensor('DT_INVALID', 'unknown_rank', 'NoOp'),
  '  Method name is: ',
];

test('saved_model_cli show --all text, exactly: mlcommons KWS (TF2 Keras)', (t) => {
  if (!need(t, KWS)) return;
  const expected = lines(
    '',
    "MetaGraphDef with tag-set: 'serve' contains the following SignatureDefs:",
    ...INIT_OP,
    '',
    "signature_def['serving_default']:",
    '  The given SavedModel SignatureDef contains the following input(s):',
    "    inputs['input_1'] tensor_info:",
    ...tensor('DT_FLOAT', '(-1, 49, 10, 1)', 'serving_default_input_1:0'),
    '  The given SavedModel SignatureDef contains the following output(s):',
    "    outputs['dense'] tensor_info:",
    ...tensor('DT_FLOAT', '(-1, 12)', 'StatefulPartitionedCall:0'),
    '  Method name is: tensorflow/serving/predict',
  );
  const model = readSavedModel(KWS);
  assert.equal(formatShowAll(model), expected);
  // `tfconv inspect` with no narrowing prints exactly this.
  assert.equal(savedModelText(model), expected);
});

test('saved_model_cli show --all text, exactly: TF Serving half_plus_two (TF1, 5 signatures, sorted keys)', (t) => {
  if (!need(t, HALF_PLUS_TWO)) return;
  const expected = lines(
    '',
    "MetaGraphDef with tag-set: 'serve' contains the following SignatureDefs:",
    '',
    "signature_def['classify_x_to_y']:",
    '  The given SavedModel SignatureDef contains the following input(s):',
    "    inputs['inputs'] tensor_info:",
    ...tensor('DT_STRING', 'unknown_rank', 'tf_example:0'),
    '  The given SavedModel SignatureDef contains the following output(s):',
    "    outputs['scores'] tensor_info:",
    ...tensor('DT_FLOAT', '(-1, 1)', 'y:0'),
    '  Method name is: tensorflow/serving/classify',
    '',
    "signature_def['regress_x2_to_y3']:",
    '  The given SavedModel SignatureDef contains the following input(s):',
    "    inputs['inputs'] tensor_info:",
    ...tensor('DT_FLOAT', '(-1, 1)', 'x2:0'),
    '  The given SavedModel SignatureDef contains the following output(s):',
    "    outputs['outputs'] tensor_info:",
    ...tensor('DT_FLOAT', '(-1, 1)', 'y3:0'),
    '  Method name is: tensorflow/serving/regress',
    '',
    "signature_def['regress_x_to_y']:",
    '  The given SavedModel SignatureDef contains the following input(s):',
    "    inputs['inputs'] tensor_info:",
    ...tensor('DT_STRING', 'unknown_rank', 'tf_example:0'),
    '  The given SavedModel SignatureDef contains the following output(s):',
    "    outputs['outputs'] tensor_info:",
    ...tensor('DT_FLOAT', '(-1, 1)', 'y:0'),
    '  Method name is: tensorflow/serving/regress',
    '',
    "signature_def['regress_x_to_y2']:",
    '  The given SavedModel SignatureDef contains the following input(s):',
    "    inputs['inputs'] tensor_info:",
    ...tensor('DT_STRING', 'unknown_rank', 'tf_example:0'),
    '  The given SavedModel SignatureDef contains the following output(s):',
    "    outputs['outputs'] tensor_info:",
    ...tensor('DT_FLOAT', '(-1, 1)', 'y2:0'),
    '  Method name is: tensorflow/serving/regress',
    '',
    "signature_def['serving_default']:",
    '  The given SavedModel SignatureDef contains the following input(s):',
    "    inputs['x'] tensor_info:",
    ...tensor('DT_FLOAT', '(-1, 1)', 'x:0'),
    '  The given SavedModel SignatureDef contains the following output(s):',
    "    outputs['y'] tensor_info:",
    ...tensor('DT_FLOAT', '(-1, 1)', 'y:0'),
    '  Method name is: tensorflow/serving/predict',
  );
  assert.equal(savedModelText(readSavedModel(HALF_PLUS_TWO)), expected);
});

test('saved_model_cli show --all text, exactly: tf-java multi-signature (unknown rank, scalar output)', (t) => {
  if (!need(t, JAVA_MULTI)) return;
  const oneInput = (key: string, input: string, output: string, outShape = 'unknown_rank'): string[] => [
    '',
    `signature_def['${key}']:`,
    '  The given SavedModel SignatureDef contains the following input(s):',
    `    inputs['${input}'] tensor_info:`,
    ...tensor('DT_FLOAT', 'unknown_rank', `${key}_${input}:0`),
    '  The given SavedModel SignatureDef contains the following output(s):',
    "    outputs['output_0'] tensor_info:",
    ...tensor('DT_FLOAT', outShape, output),
    '  Method name is: tensorflow/serving/predict',
  ];
  const expected = lines(
    '',
    "MetaGraphDef with tag-set: 'serve' contains the following SignatureDefs:",
    ...INIT_OP,
    '',
    "signature_def['add']:",
    '  The given SavedModel SignatureDef contains the following input(s):',
    "    inputs['a'] tensor_info:",
    ...tensor('DT_FLOAT', 'unknown_rank', 'add_a:0'),
    "    inputs['b'] tensor_info:",
    ...tensor('DT_FLOAT', 'unknown_rank', 'add_b:0'),
    '  The given SavedModel SignatureDef contains the following output(s):',
    "    outputs['output_0'] tensor_info:",
    ...tensor('DT_FLOAT', 'unknown_rank', 'PartitionedCall:0'),
    '  Method name is: tensorflow/serving/predict',
    ...oneInput('get_const_matrix', 'input', 'PartitionedCall_1:0'),
    ...oneInput('get_const_scalar', 'input', 'PartitionedCall_2:0'),
    ...oneInput('get_const_vector', 'input', 'PartitionedCall_3:0'),
    ...oneInput('get_variable', 'dummy', 'StatefulPartitionedCall:0', '()'),
  );
  assert.equal(savedModelText(readSavedModel(JAVA_MULTI)), expected);
});

test('saved_model_cli narrowing: tag-sets, signature keys of a tag-set, one signature', (t) => {
  const tf1 = fixture('tf-rust-keras/regression-model');
  if (!need(t, tf1, KWS)) return;
  const regression = readSavedModel(tf1); // tags stored as ['train', 'serve']
  // show --dir: each tag-set sorted, as a Python repr.
  assert.equal(formatTagSets(regression), lines('The given SavedModel contains the following tag-sets:', "'serve, train'"));
  assert.equal(savedModelText(regression, { tagSets: true }), formatTagSets(regression));
  // show --tag_set: the keys.
  assert.equal(
    savedModelText(regression, { tagSet: 'serve,train' }),
    lines(
      'The given SavedModel MetaGraphDef contains SignatureDefs with the following keys:',
      'SignatureDef key: "tensorflow/serving/regress"',
    ),
  );
  // show --all prints the tags in stored order, not sorted.
  assert.match(formatShowAll(regression), /^\nMetaGraphDef with tag-set: 'train, serve' contains the following SignatureDefs:\n/);

  // show --tag_set --signature_def: indent 0, so tensor details are indented by 6.
  const kws = readSavedModel(KWS);
  const one = lines(
    'The given SavedModel SignatureDef contains the following input(s):',
    "  inputs['input_1'] tensor_info:",
    '      dtype: DT_FLOAT',
    '      shape: (-1, 49, 10, 1)',
    '      name: serving_default_input_1:0',
    'The given SavedModel SignatureDef contains the following output(s):',
    "  outputs['dense'] tensor_info:",
    '      dtype: DT_FLOAT',
    '      shape: (-1, 12)',
    '      name: StatefulPartitionedCall:0',
    'Method name is: tensorflow/serving/predict',
  );
  assert.equal(formatSignature(selectMetaGraph(kws, 'serve'), 'serving_default'), one);
  assert.equal(savedModelText(kws, { tagSet: 'serve', signatureDef: 'serving_default' }), one);
  // --signature-def alone uses the default MetaGraph.
  assert.equal(savedModelText(kws, { signatureDef: 'serving_default' }), one);
  assert.equal(
    formatSignatureKeys(selectMetaGraph(kws)),
    lines(
      'The given SavedModel MetaGraphDef contains SignatureDefs with the following keys:',
      'SignatureDef key: "__saved_model_init_op"',
      'SignatureDef key: "serving_default"',
    ),
  );
});

test('saved_model_cli quirks: MetaGraph order, empty tag-set, ref dtypes, absent shapes, sparse and composite tensors', (t) => {
  const dir = tmpDir(t);
  const sig = {
    inputs: {
      sp: {
        coo_sparse: { values_tensor_name: 'v:0', indices_tensor_name: 'i:0', dense_shape_tensor_name: 's:0' },
        dtype: 1,
        tensor_shape: { dim: [{ size: -1 }, { size: 3 }] },
      },
      rg: {
        composite_tensor: {
          type_spec: { type_spec_class: 5, type_spec_class_name: '' },
          components: [{ name: 'rv:0', dtype: 9, tensor_shape: { dim: [{ size: -1 }] } }],
        },
        dtype: 0,
      },
      old: { name: 'old:0', dtype: 1 }, // TF 1.0 wrote no tensor_shape
    },
    outputs: { v: { name: 'counter:0', dtype: 101, tensor_shape: { dim: [] } } },
    method_name: 'm',
  };
  const proto = {
    saved_model_schema_version: 1,
    meta_graphs: [
      { meta_info_def: { tags: ['serve', 'gpu'] }, signature_def: { b: sig, a: sig } },
      { meta_info_def: { tags: [] }, signature_def: {} },
      { meta_info_def: { tags: ['serve'] }, signature_def: {} },
    ],
  } as unknown as SavedModel;
  fs.writeFileSync(path.join(dir, 'saved_model.pb'), SavedModelCodec.encode(proto));
  const model = readSavedModel(dir);
  // Sorted by tag list: [] < ['serve'] < ['serve', 'gpu']; printed in stored order.
  const sigText = (key: string): string[] => [
    '',
    `signature_def['${key}']:`,
    '  The given SavedModel SignatureDef contains the following input(s):',
    "    inputs['old'] tensor_info:",
    ...tensor('DT_FLOAT', '()', 'old:0'),
    "    inputs['rg'] tensor_info:",
    ...tensor('DT_INVALID', '()', ''),
    "    inputs['sp'] tensor_info:",
    ...tensor('DT_FLOAT', '(-1, 3)', ''),
    '  The given SavedModel SignatureDef contains the following output(s):',
    "    outputs['v'] tensor_info:",
    ...tensor('DT_FLOAT_REF', '()', 'counter:0'),
    '  Method name is: m',
  ];
  assert.equal(
    formatShowAll(model),
    lines(
      '',
      "MetaGraphDef with tag-set: '' contains the following SignatureDefs:",
      '',
      "MetaGraphDef with tag-set: 'serve' contains the following SignatureDefs:",
      '',
      "MetaGraphDef with tag-set: 'serve, gpu' contains the following SignatureDefs:",
      ...sigText('a'),
      ...sigText('b'),
    ),
  );
  assert.equal(
    formatTagSets(model),
    lines('The given SavedModel contains the following tag-sets:', "''", "'serve'", "'gpu, serve'"),
  );

  const r = inspectSavedModel(model, { tagSet: 'gpu,serve', signatureDef: 'a' });
  assert.equal(r.metaGraphs.length, 1);
  const inputs = r.metaGraphs[0]?.signatures[0]?.inputs ?? [];
  assert.deepEqual(
    inputs.map((i) => [i.key, i.encoding, i.name, i.dtype, i.shape]),
    [
      ['old', 'name', 'old:0', 'float32', null],
      ['rg', 'composite_tensor', '', null, null],
      ['sp', 'coo_sparse', '', 'float32', [-1, 3]],
    ],
  );
  assert.deepEqual(inputs[1]?.composite, {
    typeSpecClass: 5,
    typeSpecClassName: '',
    components: [{ name: 'rv:0', dtype: 'int64', tfDtype: 'DT_INT64', shape: [-1], encoding: 'name' }],
  });
  assert.deepEqual(inputs[2]?.sparse, { values: 'v:0', indices: 'i:0', denseShape: 's:0' });
  assert.equal(r.metaGraphs[0]?.signatures[0]?.outputs[0]?.tfDtype, 'DT_FLOAT_REF');
});

test("pyRepr quotes like Python's repr()", () => {
  assert.equal(pyRepr('serve'), "'serve'");
  assert.equal(pyRepr(''), "''");
  assert.equal(pyRepr("it's"), '"it\'s"');
  assert.equal(pyRepr('a\'b"c'), "'a\\'b\"c'");
  assert.equal(pyRepr('tab\there\\'), "'tab\\there\\\\'");
  assert.equal(pyRepr('\u0001é'), "'\\x01é'");
});

function checkTensor(where: string, got: { name: string; dtype: string | null; tfDtype: string; shape: number[] | null }, want: InvTensor): void {
  assert.equal(got.name, want.name, `${where} name`);
  if (want.dtype === 'INVALID') assert.equal(got.tfDtype, 'DT_INVALID', `${where} dtype`);
  else if (/^\d+$/.test(want.dtype)) assert.equal(got.tfDtype, Number(want.dtype) === 101 ? 'DT_FLOAT_REF' : `?${want.dtype}`, `${where} dtype`);
  else assert.equal(got.dtype, want.dtype, `${where} dtype`);
  assert.deepEqual(got.shape, inventoryShape(want.shape), `${where} shape`);
}

test('inspect report: signatures of every SavedModel in INVENTORY.txt (key, tensor name, dtype, shape)', (t) => {
  if (!need(t, FIXTURES)) return;
  const inv = parseInventory().savedModels;
  assert.ok(inv.length >= 29, `INVENTORY lists ${inv.length} SavedModels`);
  let tensors = 0;
  for (const sm of inv) {
    const report = inspectSavedModel(readSavedModel(path.join(FIXTURES, sm.dir)), { ops: true });
    assert.equal(report.kind, 'savedmodel');
    assert.equal(report.metaGraphs.length, sm.metaGraphs.length, sm.dir);
    sm.metaGraphs.forEach((want, i) => {
      const got = report.metaGraphs[i];
      assert.ok(got);
      assert.deepEqual(got.tags, want.tags, sm.dir);
      assert.equal(got.tensorflowVersion, want.tfVersion, sm.dir);
      assert.deepEqual(got.graph, { nodes: want.nodes, functions: want.functions }, sm.dir);
      assert.equal(got.objectGraph, want.objectGraph);
      assert.deepEqual(got.signatures.map((s) => s.key), want.signatures.map((s) => s.key).sort(), sm.dir);
      for (const ws of want.signatures) {
        const gs = got.signatures.find((s) => s.key === ws.key);
        assert.ok(gs);
        assert.equal(gs.methodName, ws.method, `${sm.dir} ${ws.key} method`);
        for (const [dir, wl, gl] of [
          ['in', ws.inputs, gs.inputs],
          ['out', ws.outputs, gs.outputs],
        ] as const) {
          assert.deepEqual(gl.map((x) => x.key), wl.map((x) => x.key).sort(), `${sm.dir} ${ws.key} ${dir} keys`);
          for (const w of wl) {
            checkTensor(`${sm.dir} ${ws.key} ${dir} ${w.key}`, gl.find((x) => x.key === w.key) as never, w);
            tensors++;
          }
        }
      }
      // The op histograms agree with INVENTORY's independent count.
      assert.deepEqual(got.ops?.graph, want.graphOps, `${sm.dir} graph ops`);
      assert.deepEqual(got.ops?.library, want.functionOps, `${sm.dir} function ops`);
    });
  }
  assert.ok(tensors > 100, `${tensors} tensors compared`);
});

test('--ops: the KWS serving signature reaches exactly the layers of the network, and no checkpoint ops', (t) => {
  if (!need(t, KWS)) return;
  const r = inspectSavedModel(readSavedModel(KWS), { ops: true });
  const ops = r.metaGraphs[0]?.ops;
  assert.ok(ops);
  assert.deepEqual(ops.signatures, ['serving_default']);
  // DS-CNN: Conv2D + 4x (depthwise + pointwise Conv2D), each with BN and ReLU; AvgPool; Dense; Softmax.
  assert.deepEqual(ops.reachable.counts, {
    AvgPool: 1,
    BiasAdd: 10,
    Const: 1,
    Conv2D: 5,
    DepthwiseConv2dNative: 4,
    FusedBatchNormV3: 9,
    Identity: 4,
    MatMul: 1,
    ReadVariableOp: 56,
    Relu: 9,
    Reshape: 1,
    Softmax: 1,
    StatefulPartitionedCall: 2,
    VarHandleOp: 56,
  });
  // The fed input placeholder does not run.
  assert.equal(ops.reachable.graphNodes, 57);
  assert.equal(ops.reachable.functions.length, 2);
  assert.deepEqual(ops.reachable.unresolved, []);
  assert.deepEqual(ops.reachable.missingFunctions, []);
  // The library holds the training-time and checkpoint functions too.
  assert.equal(ops.library.SaveV2, 1);
  assert.equal(ops.library.Conv2D, 25);
});

test('--ops: TF1 graph walk follows data and control edges; control-flow functions are entered', (t) => {
  const lstm = fixture('tfnet-keras/lstm_from_sequential');
  if (!need(t, HALF_PLUS_TWO, lstm)) return;
  const tf1 = inspectSavedModel(readSavedModel(HALF_PLUS_TWO), { ops: true, signatureDef: 'serving_default' });
  // y = a * x + b: y and the reads of a and b are Identity ops. x:0 is fed, so the ParseExample
  // that computes x when it is not fed does not run.
  assert.deepEqual(tf1.metaGraphs[0]?.ops?.reachable.counts, { Add: 1, Identity: 3, Mul: 1, VariableV2: 2 });
  const all = inspectSavedModel(readSavedModel(HALF_PLUS_TWO), { ops: true });
  assert.deepEqual(all.metaGraphs[0]?.ops?.signatures, [
    'classify_x_to_y',
    'regress_x2_to_y3',
    'regress_x_to_y',
    'regress_x_to_y2',
    'serving_default',
  ]);
  // The regress and classify signatures feed serialized tf.Examples, so ParseExample runs for
  // them, although serving_default feeds the x:0 it computes.
  assert.equal(all.metaGraphs[0]?.ops?.reachable.counts.ParseExample, 1);
  assert.equal(all.metaGraphs[0]?.ops?.reachable.counts.Placeholder, undefined);

  // Keras LSTM: the serving path runs a While loop whose body and cond are library functions.
  const l = inspectSavedModel(readSavedModel(lstm), { ops: true }).metaGraphs[0]?.ops;
  assert.ok(l);
  assert.equal(l.reachable.counts.While ?? l.reachable.counts.StatelessWhile, 1);
  assert.ok((l.reachable.counts.MatMul ?? 0) >= 3, 'the loop body (cell matmuls) and the Dense layer are reached');
  assert.equal(l.reachable.counts.CudnnRNNBackprop, undefined, 'gradients are not on the serving path');
  assert.equal(l.reachable.counts.SaveV2, undefined);
});

test('text --ops appends plain tables (no ANSI codes) after the saved_model_cli text', (t) => {
  if (!need(t, KWS)) return;
  const model = readSavedModel(KWS);
  const text = savedModelText(model, { ops: true });
  assert.ok(text.startsWith(formatShowAll(model)));
  assert.match(text, /\nOps reachable from signature 'serving_default' of tag-set 'serve': 160 nodes \(57 in the graph, 103 in 2 functions\)\n/);
  assert.match(text, /│ DepthwiseConv2dNative +│ +4 │/);
  assert.match(text, /\nAll ops of tag-set 'serve': 289 graph nodes, 1883 nodes in 197 library functions\n/);
  assert.doesNotMatch(text, /\x1b\[/);
  assert.match(savedModelText(model, { ops: true, color: true }), /\x1b\[/);
});

test('variables section: absent unless asked; text lists each variable with bytes and a total', (t) => {
  if (!need(t, KWS)) return;
  const model = readSavedModel(KWS);
  assert.equal(inspectSavedModel(model).metaGraphs[0]?.variables, undefined);
  const report = {
    variables: [{ name: 'v', checkpointKey: 'v/.ATTRIBUTES/VARIABLE_VALUE', dtype: 'float32' as const, tfDtype: 'DT_FLOAT', shape: [2, 3], bytes: 24 }],
    totals: { count: 1, bytes: 24, elements: 6 },
  };
  const r = inspectSavedModel(model, { variables: () => report });
  assert.deepEqual(r.metaGraphs[0]?.variables, report);
  const text = savedModelText(model, { variables: () => report });
  assert.match(text, /\nVariables of tag-set 'serve': 1\n/);
  assert.match(text, /│ v +│ DT_FLOAT │ \(2, 3\) +│ +24 │/);
  assert.match(text, /│ Total +│ +│ 6 elements +│ +24 │/);
});
