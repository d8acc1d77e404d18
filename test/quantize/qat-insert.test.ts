// `tfconv qat`: fake quantization inserted where the int8 converter quantizes, written as a TF2
// SavedModel with variables. Checked on the committed demo CNN and on the MLPerf Tiny KWS model:
// structure (FakeQuant ops and their ranges, variables, what TensorFlow's loaders rely on), our
// reader and inspect, the float conversion against the TF reference, and the round trip
// `qat` -> `optimize --quantize int8` against direct post-training quantization with the same
// calibration data (kws-mfcc/calibration.npy; seeded random inputs for the demo).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { optimize } from '../../src/api/optimize.js';
import { qat } from '../../src/api/qat.js';
import { BufferIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { convertToGraphs } from '../../src/convert/convert.js';
import type { TensorValue } from '../../src/core/tensor.js';
import { ErrorCode, TfconvError } from '../../src/errors/index.js';
import { readTensorFile } from '../../src/io/index.js';
import { SavedModelCodec } from '../../src/proto/index.js';
import type { FunctionDef, MetaGraphDef, SavedModel } from '../../src/proto/types.js';
import { collectRanges } from '../../src/quantize/collect-ranges.js';
import { planInt8, tensorsNeedingRanges } from '../../src/quantize/int8-rewrite.js';
import { loadRepresentative } from '../../src/quantize/representative.js';
import { readSavedModel, selectMetaGraph } from '../../src/readers/savedmodel.js';
import { TensorBundle, savedModelVariablesPrefix } from '../../src/readers/tensor-bundle/index.js';
import { mapVariables } from '../../src/readers/variables.js';
import { TfliteRuntime } from '../../src/runtime/tflite.js';
import { operatorName, readTflite } from '../../src/tflite/index.js';
import type { TfliteModel } from '../../src/tflite/index.js';
import { makeRandomInputs } from '../../src/verify/inputs.js';
import { PACKAGE_ROOT } from '../../src/util/package.js';
import { checkMetaGraph } from '../helpers/savedmodel-check.js';
import { fixture, need, sharedData } from '../helpers/shared.js';
import { tmpDir } from '../helpers/tmp.js';
import { rejectsOneLine } from '../helpers/errors.js';

const DEMO = path.join(PACKAGE_ROOT, 'fixtures', 'demo-cnn');
const KWS = fixture('mlcommons-tiny-kws/kws_ref_model');
const CALIBRATION = sharedData('kws-mfcc/calibration.npy');
const EVALUATION = sharedData('kws-mfcc/evaluation.npy');
const SL = fixture('siliconlabs-micro-speech-tf1/model.pb');
const AE0 = fixture('tf2onnx-test-models/ae0/frozen.pb');
const FC_LAYERS = fixture('tf2onnx-test-models/fc-layers/frozen.pb');

function readProto(dir: string): SavedModel {
  return SavedModelCodec.decode(new Uint8Array(fs.readFileSync(path.join(dir, "saved_model.pb"))), dir);
}

function firstMetaGraph(sm: SavedModel): MetaGraphDef {
  const mg = sm.meta_graphs[0];
  assert.ok(mg);
  return mg;
}

function modelFunction(sm: SavedModel): FunctionDef {
  const f = sm.meta_graphs[0]?.graph_def?.library?.function.find((x) => x.signature.name.startsWith('__inference__wrapped_model_'));
  assert.ok(f);
  return f;
}

const str = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('utf8');

test('demo CNN: FakeQuant after the input and every ReLU layer, per-channel on conv kernels, per-tensor on the dense kernel; ranges in variables', async (t) => {
  const out = path.join(tmpDir(t), 'demo-qat');
  const r = await qat(DEMO, { output: out, representative: 'random' });
  assert.deepEqual(r.files, ['saved_model.pb', 'variables/variables.data-00000-of-00001', 'variables/variables.index']);
  assert.deepEqual(r.fakeQuant, { activations: 5, weights: 4 });
  assert.deepEqual(r.variables, { count: 38, trainable: 32, ranges: 18 });
  assert.equal(r.calibratedOn, '100 seeded random normal samples (seed 1)');

  const sm = readProto(out);
  const mg = sm.meta_graphs[0];
  assert.ok(mg);
  const f = modelFunction(sm);
  const byName = new Map(f.node_def.map((n) => [n.name, n]));
  const fq = f.node_def.filter((n) => n.op.startsWith('FakeQuant'));
  // The points int8 quantization uses: the input, the three conv+BN+ReLU outputs, the dense output.
  assert.deepEqual(
    fq.filter((n) => n.op === 'FakeQuantWithMinMaxVars' && !n.attr.narrow_range?.b).map((n) => n.input[0]),
    ['input_1', 'model/re_lu/Relu:activations:0', 'model/re_lu_1/Relu:activations:0', 'model/re_lu_2/Relu:activations:0', 'model/dense/BiasAdd:output:0'],
  );
  for (const n of fq) assert.equal(n.attr.num_bits?.i, 8);
  // Every reader reads the fake-quantized tensor: the max pool after the first ReLU, the softmax after the dense layer.
  assert.equal(byName.get('model/max_pooling2d/MaxPool')?.input[0], 'model/re_lu/Relu/act_quant/FakeQuantWithMinMaxVars:outputs:0');
  assert.equal(byName.get('model/softmax/Softmax')?.input[0], 'model/dense/BiasAdd/act_quant/FakeQuantWithMinMaxVars:outputs:0');
  // Weights: narrow range; conv kernels per channel, the depthwise one through [3, 3, 1, 8], dense per tensor.
  const weightFq = fq.filter((n) => n.attr.narrow_range?.b === true);
  assert.deepEqual(weightFq.map((n) => n.op), ['FakeQuantWithMinMaxVarsPerChannel', 'FakeQuantWithMinMaxVarsPerChannel', 'FakeQuantWithMinMaxVarsPerChannel', 'FakeQuantWithMinMaxVars']);
  assert.equal(byName.get('model/conv2d/Conv2D')?.input[1], 'model/conv2d/Conv2D/weights_quant/FakeQuantWithMinMaxVarsPerChannel:outputs:0');
  assert.equal(byName.get('model/depthwise_conv2d/depthwise')?.input[1], 'model/depthwise_conv2d/depthwise/weights_quant/restore:output:0');
  assert.equal(byName.get('model/dense/MatMul')?.input[1], 'model/dense/MatMul/weights_quant/FakeQuantWithMinMaxVars:outputs:0');
  // min and max are variable reads.
  for (const n of fq) for (const s of n.input.slice(1)) assert.equal(byName.get(s.split(':')[0] as string)?.op, 'ReadVariableOp', `${n.name} ${s}`);

  // Variables: the model's 20 (batch norm statistics not trainable, as Keras saved them) then the 18 ranges.
  const sr = readSavedModel(out);
  const loaded = selectMetaGraph(sr);
  const mapping = mapVariables(sr.dir, loaded.def);
  assert.equal(mapping.bindings.length, 38);
  assert.ok(mapping.bindings.every((b) => b.source === 'restore-op' && b.objectId !== undefined), 'restore function and object graph agree');
  const og = loaded.objectGraph;
  const vars = og?.nodes.filter((n) => n.kind === 'variable').map((n) => n.variable) ?? [];
  assert.deepEqual(vars.filter((v) => !v?.trainable).map((v) => v?.name).sort(), [0, 1, 2].flatMap((i) => [`batch_normalization${i ? `_${i}` : ''}/moving_mean`, `batch_normalization${i ? `_${i}` : ''}/moving_variance`]).sort());
  const keys = mapping.bindings.map((b) => b.checkpointKey);
  assert.ok(keys.every((k) => /^variables\/\d+\/\.ATTRIBUTES\/VARIABLE_VALUE$/.test(k)), keys[0]);
  assert.equal(og?.nodes[0]?.user_object?.identifier, '_generic_user_object');
  assert.deepEqual(og?.nodes[0]?.children.map((c) => c.local_name), ['variables', 'trainable_variables', 'signatures', '_default_save_signature']);

  // Values: the model's variables are the demo's checkpoint values; ranges are symmetric max|w| per output channel.
  const bundle = TensorBundle.open(savedModelVariablesPrefix(out));
  const demo = TensorBundle.open(savedModelVariablesPrefix(DEMO));
  const valueOf = (name: string): TensorValue => {
    const b = mapping.bindings.find((x) => og?.nodes[x.objectId as number]?.variable?.name === name);
    assert.ok(b, name);
    return bundle.read(b.checkpointKey);
  };
  const kernel = valueOf('conv2d/kernel');
  assert.deepEqual(kernel.data, demo.read('layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE').data);
  const wmax = valueOf('model/conv2d/Conv2D/weights_quant/max').data as Float32Array;
  const wmin = valueOf('model/conv2d/Conv2D/weights_quant/min').data as Float32Array;
  const k = kernel.data as Float32Array;
  for (let c = 0; c < 8; c++) {
    let m = 0;
    for (let i = c; i < k.length; i += 8) m = Math.max(m, Math.abs(k[i] as number));
    assert.equal(wmax[c], m);
    assert.equal(wmin[c], -m);
  }
  assert.deepEqual(valueOf('model/dense/MatMul/weights_quant/max').shape, []);
  assert.deepEqual(valueOf('model/depthwise_conv2d/depthwise/weights_quant/max').shape, [8]);

  // Activation ranges: what calibration on the same data gives post-training quantization.
  const c = convertToGraphs(DEMO);
  const g = c.graphs[0];
  assert.ok(g);
  const need = tensorsNeedingRanges(g, planInt8(g));
  const ranges = await collectRanges(g, need, loadRepresentative({ representative: 'random' }, g), { method: 'minmax' });
  const relu = [...need].find((x) => x.name.endsWith('model/conv2d/Conv2D'));
  assert.ok(relu);
  assert.equal((valueOf('model/re_lu/Relu/act_quant/max').data as Float32Array)[0], Math.fround(ranges.ranges.get(relu)?.max ?? NaN));
  assert.equal((valueOf('model/re_lu/Relu/act_quant/min').data as Float32Array)[0], 0);
  assert.equal(valueOf('input_1/act_quant/min').dtype, 'float32');

  // What TensorFlow's loaders rely on holds: references, names, attributes, bound variables
  // (and for the builder's own demo, whose layout this one shares).
  assert.deepEqual(checkMetaGraph(mg), []);
  assert.deepEqual(checkMetaGraph(firstMetaGraph(readProto(DEMO))), []);
});

test('the written model reads back: inspect --ops --variables, and optimize --verify matches the TF reference (FakeQuant computed by both)', async (t) => {
  const dir = tmpDir(t);
  const out = path.join(dir, 'demo-qat');
  await qat(DEMO, { output: out, representative: 'random' });
  const io = new BufferIO();
  assert.equal(await main(['inspect', out, '--ops', '--variables'], io), 0, io.errText);
  assert.match(io.out, /FakeQuantWithMinMaxVarsPerChannel\s*│\s*3/);
  assert.match(io.out, /Variables of tag-set 'serve': 38/);
  assert.match(io.out, /model\/re_lu\/Relu\/act_quant\/max/);
  const r = await optimize(out, { output: path.join(dir, 'float.tflite'), verify: { samples: 3, seed: 1 } });
  assert.deepEqual(r.ops, { FAKE_QUANT: 5, CONV_2D: 2, DEPTHWISE_CONV_2D: 1, MAX_POOL_2D: 1, AVERAGE_POOL_2D: 1, RESHAPE: 1, FULLY_CONNECTED: 1, SOFTMAX: 1 });
  assert.ok(r.verify?.pass, JSON.stringify(r.verify?.outputs));
  // Measured 1.5e-8 on the softmax.
  assert.ok((r.verify?.outputs[0]?.maxAbs ?? 1) < 1e-6);
});

/** How many float32 steps apart two positive float32 values are. */
function ulps(a: number, b: number): number {
  const u = new Uint32Array(Float32Array.of(a, b).buffer);
  return Math.abs((u[0] as number) - (u[1] as number));
}

/** Per tensor of each operator (same op sequence): scales, zero points, int8/int32 data. */
function compareQuantized(a: TfliteModel, b: TfliteModel) {
  const sa = a.subgraphs[0];
  const sb = b.subgraphs[0];
  assert.ok(sa && sb);
  const ops = (m: TfliteModel) => (m.subgraphs[0]?.operators ?? []).map((o) => operatorName(m.operatorCodes[o.opcodeIndex] as never));
  assert.deepEqual(ops(b), ops(a));
  const res = { weightLsb: 0, biasDiff: 0, activationScales: 0, activationScalesEqual: 0, weightScales: 0, weightScalesEqual: 0, maxWeightScaleUlps: 0, zeroPointDiff: 0 };
  const bytes = (m: TfliteModel, buffer: number) => m.buffers[buffer]?.data ?? new Uint8Array(0);
  sa.operators.forEach((oa, k) => {
    const ob = sb.operators[k];
    assert.ok(ob);
    for (const side of ['inputs', 'outputs'] as const) {
      oa[side].forEach((ia, j) => {
        const ib = ob[side][j] as number;
        if (ia < 0) return;
        const ta = sa.tensors[ia];
        const tb = sb.tensors[ib];
        assert.ok(ta && tb);
        const qa = ta.quantization;
        const qb = tb.quantization;
        if (!qa?.scale.length) return;
        assert.equal(qb?.scale.length, qa.scale.length);
        const constant = bytes(a, ta.buffer).length > 0;
        qa.scale.forEach((s, c) => {
          const other = qb?.scale[c] as number;
          res.zeroPointDiff = Math.max(res.zeroPointDiff, Math.abs(Number(qa.zeroPoint[c]) - Number(qb?.zeroPoint[c])));
          if (constant) {
            res.weightScales++;
            if (s === other) res.weightScalesEqual++;
            res.maxWeightScaleUlps = Math.max(res.maxWeightScaleUlps, ulps(s, other));
          } else {
            res.activationScales++;
            if (s === other) res.activationScalesEqual++;
          }
        });
        const da = bytes(a, ta.buffer);
        const db = bytes(b, tb.buffer);
        if (!da.length) return;
        if (ta.type === 9) {
          const x = new Int8Array(da.buffer, da.byteOffset, da.length);
          const y = new Int8Array(db.buffer, db.byteOffset, db.length);
          for (let i = 0; i < x.length; i++) res.weightLsb = Math.max(res.weightLsb, Math.abs((x[i] as number) - (y[i] as number)));
        } else if (ta.type === 2) {
          const x = new Int32Array(da.slice().buffer);
          const y = new Int32Array(db.slice().buffer);
          for (let i = 0; i < x.length; i++) res.biasDiff = Math.max(res.biasDiff, Math.abs((x[i] as number) - (y[i] as number)));
        }
      });
    }
  });
  return res;
}

/** Largest output difference in LSB (int8 I/O) of two int8 models on the same float inputs, and argmax agreement. */
async function compareOutputs(a: Uint8Array, b: Uint8Array, inputs: Float32Array[]) {
  const rt = await TfliteRuntime.load();
  const ma = rt.loadModel(a, { name: 'ptq' });
  const mb = rt.loadModel(b, { name: 'qat' });
  try {
    const input = readTflite(a, 'ptq').subgraphs[0]?.tensors[ma.inputs[0]?.id ?? 0];
    const q = input?.quantization;
    assert.ok(q);
    const shape = ma.inputs[0]?.shape as number[];
    let lsb = 0;
    let agree = 0;
    for (const x of inputs) {
      const xi = Int8Array.from(x, (v) => Math.max(-128, Math.min(127, Math.round(v / (q.scale[0] as number)) + Number(q.zeroPoint[0]))));
      const ya = ma.run([{ dtype: 'int8', shape, data: xi }])[0]?.data as Int8Array;
      const yb = mb.run([{ dtype: 'int8', shape, data: xi }])[0]?.data as Int8Array;
      let ia = 0;
      let ib = 0;
      for (let i = 0; i < ya.length; i++) {
        lsb = Math.max(lsb, Math.abs((ya[i] as number) - (yb[i] as number)));
        if ((ya[i] as number) > (ya[ia] as number)) ia = i;
        if ((yb[i] as number) > (yb[ib] as number)) ib = i;
      }
      if (ia === ib) agree++;
    }
    return { lsb, agree };
  } finally {
    ma.dispose();
    mb.dispose();
  }
}

const INT8_IO = { mode: 'int8', inferenceInputType: 'int8', inferenceOutputType: 'int8' } as const;

test('round trip on kws: qat (calibration.npy) then optimize --quantize int8 is post-training int8 with the same ranges', async (t) => {
  if (!need(t, KWS, CALIBRATION, EVALUATION)) return;
  const dir = tmpDir(t);
  const out = path.join(dir, 'kws-qat');
  const r = await qat(KWS, { output: out, representative: CALIBRATION });
  assert.deepEqual(r.fakeQuant, { activations: 12, weights: 10 });
  const ptq = await optimize(KWS, { output: path.join(dir, 'ptq.tflite'), quantize: { ...INT8_IO, representative: CALIBRATION } });
  const viaQat = await optimize(out, { output: path.join(dir, 'qat.tflite'), quantize: INT8_IO });
  // No calibration: every range the int8 model needs was learned.
  assert.ok(viaQat.notes.includes('int8 from learned ranges: 12 FakeQuant ranges used, no calibration'), viaQat.notes.join('\n'));
  const c = compareQuantized(ptq.conversion.model, viaQat.conversion.model);
  t.diagnostic(JSON.stringify(c));
  // Measured: every int8 weight and int32 bias identical; activation scales and zero points equal;
  // of 1,154 weight and bias scales, one depthwise channel's is 1 float32 step apart (its extreme
  // weight went through TF's FakeQuant, which rounds it by a step, before the batch norm folded
  // into it) and its bias scale (input x weight scale) 2 steps.
  assert.ok(c.weightLsb <= 1 && c.biasDiff <= 1, JSON.stringify(c));
  assert.equal(c.activationScalesEqual, c.activationScales);
  assert.equal(c.zeroPointDiff, 0);
  assert.ok(c.maxWeightScaleUlps <= 2 && c.weightScales - c.weightScalesEqual <= 4, JSON.stringify(c));
  const evaluation = readTensorFile(EVALUATION).get('') as TensorValue;
  const per = 49 * 10;
  const rows = Array.from({ length: evaluation.shape[0] as number }, (_, i) => (evaluation.data as Float32Array).slice(i * per, (i + 1) * per));
  const o = await compareOutputs(ptq.conversion.bytes, viaQat.conversion.bytes, rows);
  t.diagnostic(`outputs: max ${o.lsb} LSB, argmax ${o.agree}/${rows.length}`);
  // Measured 0 LSB and 200/200.
  assert.ok(o.lsb <= 1, `${o.lsb} LSB`);
  assert.equal(o.agree, rows.length);
  // As float, the 12 activation FakeQuants (those on weights fold) compute what the TF reference
  // computes (measured 3e-7 on the logits).
  const float = await optimize(out, { output: path.join(dir, 'float.tflite'), verify: { samples: 2, seed: 1 } });
  assert.equal(float.ops.FAKE_QUANT, 12);
  assert.ok(float.verify?.pass, JSON.stringify(float.verify?.outputs));
});

test('round trip on the demo CNN (--representative random): the same int8 model as post-training quantization', async (t) => {
  const dir = tmpDir(t);
  const out = path.join(dir, 'demo-qat');
  await qat(DEMO, { output: out, representative: 'random' });
  const ptq = await optimize(DEMO, { output: path.join(dir, 'ptq.tflite'), quantize: { ...INT8_IO, representative: 'random' } });
  const viaQat = await optimize(out, { output: path.join(dir, 'qat.tflite'), quantize: INT8_IO });
  const c = compareQuantized(ptq.conversion.model, viaQat.conversion.model);
  t.diagnostic(JSON.stringify(c));
  // Measured: weights and biases identical, 64 of 66 weight and bias scales bit-identical, one
  // depthwise channel 1 float32 step apart and its bias scale 2 (as for kws).
  assert.ok(c.weightLsb <= 1 && c.biasDiff <= 1, JSON.stringify(c));
  assert.equal(c.activationScalesEqual, c.activationScales);
  assert.equal(c.zeroPointDiff, 0);
  assert.ok(c.maxWeightScaleUlps <= 2 && c.weightScales - c.weightScalesEqual <= 4, JSON.stringify(c));
  const inputs = Array.from({ length: 50 }, (_, s) => makeRandomInputs([{ key: 'x', dtype: 'float32', shape: [1, 28, 28, 1] }], 1000 + s).x?.data as Float32Array);
  const o = await compareOutputs(ptq.conversion.bytes, viaQat.conversion.bytes, inputs);
  t.diagnostic(`outputs: max ${o.lsb} LSB, argmax ${o.agree}/50`);
  assert.ok(o.lsb <= 1, `${o.lsb} LSB`);
  assert.equal(o.agree, 50);
});

test('a frozen GraphDef (fc-layers): the layers\' constants become variables; the round trip is post-training int8', async (t) => {
  if (!need(t, FC_LAYERS)) return;
  const dir = tmpDir(t);
  const out = path.join(dir, 'fc-qat');
  const r = await qat(FC_LAYERS, { output: out, representative: 'random' });
  // 3 kernels and 3 biases, then 4 activation ranges and 3 per-tensor weight ranges.
  assert.deepEqual(r.variables, { count: 20, trainable: 20, ranges: 14 });
  assert.deepEqual(checkMetaGraph(firstMetaGraph(readProto(out))), []);
  const ptq = await optimize(FC_LAYERS, { output: path.join(dir, 'ptq.tflite'), quantize: { ...INT8_IO, representative: 'random' } });
  const viaQat = await optimize(out, { output: path.join(dir, 'qat.tflite'), quantize: INT8_IO });
  const c = compareQuantized(ptq.conversion.model, viaQat.conversion.model);
  t.diagnostic(JSON.stringify(c));
  // No batch norm: every scale bit-identical, weights and biases identical.
  assert.deepEqual([c.weightLsb, c.biasDiff, c.zeroPointDiff, c.maxWeightScaleUlps], [0, 0, 0, 0]);
  assert.equal(c.activationScalesEqual, c.activationScales);
});

test('without --representative the ranges start at [-6, 6], said in a note; the model still converts to int8 without data', async (t) => {
  const dir = tmpDir(t);
  const out = path.join(dir, 'demo-qat');
  const r = await qat(DEMO, { output: out });
  assert.equal(r.calibratedOn, null);
  assert.ok(r.notes.some((n) => n.startsWith('no --representative: every activation range starts at the default [-6, 6]')), r.notes.join('\n'));
  const bundle = TensorBundle.open(savedModelVariablesPrefix(out));
  const sr = readSavedModel(out);
  const mapping = mapVariables(sr.dir, selectMetaGraph(sr).def);
  const og = selectMetaGraph(sr).objectGraph;
  const ranges = mapping.bindings.filter((b) => /act_quant\/(min|max)$/.test(og?.nodes[b.objectId as number]?.variable?.name ?? ''));
  assert.equal(ranges.length, 10);
  assert.deepEqual([...new Set(ranges.map((b) => (bundle.read(b.checkpointKey).data as Float32Array)[0]))].sort(), [-6, 6]);
  const q = await optimize(out, { output: path.join(dir, 'int8.tflite'), quantize: { mode: 'int8' } });
  assert.equal(q.ops.CONV_2D, 2);
});

test('same model, data and options: identical bytes', async (t) => {
  const dir = tmpDir(t);
  await qat(DEMO, { output: path.join(dir, 'a'), representative: 'random', calibrationSamples: 10 });
  await qat(DEMO, { output: path.join(dir, 'b'), representative: 'random', calibrationSamples: 10 });
  for (const f of ['saved_model.pb', 'variables/variables.index', 'variables/variables.data-00000-of-00001']) {
    assert.ok(fs.readFileSync(path.join(dir, 'a', f)).equals(fs.readFileSync(path.join(dir, 'b', f))), f);
  }
});

test('bad output paths, models that cannot take fake quantization, and missing data are one-line errors; nothing is written', async (t) => {
  const dir = tmpDir(t);
  const copy = path.join(dir, 'demo');
  fs.cpSync(DEMO, copy, { recursive: true });
  await rejectsOneLine(qat(copy, { output: copy }), ErrorCode.UNSAFE_PATH, /the output would overwrite the input model/);
  await rejectsOneLine(qat(copy, { output: path.join(copy, 'qat') }), ErrorCode.UNSAFE_PATH, /inside the input SavedModel/);
  await rejectsOneLine(qat(copy, { output: dir, overwrite: true }), ErrorCode.UNSAFE_PATH, /holds the input model/);
  await rejectsOneLine(qat(copy, { output: '' }), ErrorCode.BAD_OPTION, /-o OUT_DIR/);
  const file = path.join(dir, 'file');
  fs.writeFileSync(file, 'x');
  await rejectsOneLine(qat(copy, { output: file }), ErrorCode.UNSAFE_PATH, /is a file/);
  const full = path.join(dir, 'full');
  fs.mkdirSync(full);
  fs.writeFileSync(path.join(full, 'keep'), 'x');
  await rejectsOneLine(qat(copy, { output: full }), ErrorCode.WRITE_FAILED, /not empty \(pass --overwrite/);
  await rejectsOneLine(qat(copy, { output: path.join(dir, 'o'), representative: path.join(dir, 'nope.npy') }), ErrorCode.FILE_NOT_FOUND, /nope\.npy/);
  await rejectsOneLine(qat(copy, { output: path.join(dir, 'o'), calibration: 'bogus' as never }), ErrorCode.BAD_OPTION, /--calibration/);
  // The input is untouched and no output (or staging directory) was left.
  assert.deepEqual(fs.readdirSync(copy).sort(), ['saved_model.pb', 'variables']);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['demo', 'file', 'full']);
  // --overwrite replaces a non-empty directory.
  await qat(copy, { output: full, overwrite: true });
  assert.ok(fs.existsSync(path.join(full, 'saved_model.pb')) && !fs.existsSync(path.join(full, 'keep')));

  if (need(t, SL)) {
    await rejectsOneLine(qat(SL, { output: path.join(dir, 'sl') }), ErrorCode.QAT_UNSUPPORTED, /does not convert to TFLite builtins: 2 unsupported op types .*DecodeWav/);
    const cut = { inputArrays: ['Reshape_2'], outputArrays: ['labels_softmax'], inputShapes: { Reshape_2: [1, 49, 40, 1] } };
    await rejectsOneLine(qat(SL, { output: path.join(dir, 'sl'), ...cut }), ErrorCode.QAT_UNSUPPORTED, /4 FakeQuantWithMinMaxVars nodes .*quantization-aware already; convert it with optimize --quantize int8/);
  }
  if (need(t, AE0)) {
    await rejectsOneLine(qat(AE0, { output: path.join(dir, 'ae0') }), ErrorCode.QAT_UNSUPPORTED, /op Sigmoid .*no OpDef is known for it/);
  }
  assert.ok(!fs.existsSync(path.join(dir, 'sl')) && !fs.existsSync(path.join(dir, 'ae0')));
});

test('CLI: tfconv qat prints what it wrote; usage errors exit 2, bad input 1', async (t) => {
  const dir = tmpDir(t);
  const run = async (...argv: string[]) => {
    const io = new BufferIO();
    const code = await main(argv, io);
    return { code, out: io.out, err: io.errText };
  };
  const out = path.join(dir, 'qat');
  const ok = await run('qat', DEMO, '-o', out, '--representative', 'random', '--calibration-samples', '20');
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /demo-cnn -> .*qat \(signature serving_default, \d+ ms\)/);
  assert.match(ok.out, /fake quantization: 5 activations, 4 weight tensors/);
  assert.match(ok.out, /variables: 38 \(32 trainable; 18 FakeQuant min\/max\)/);
  assert.match(ok.out, /starting ranges: calibrated on 20 seeded random normal samples \(seed 1\)/);
  const again = await run('qat', DEMO, '-o', out);
  assert.equal(again.code, 1);
  assert.match(again.err, /^tfconv: error: .*not empty \(pass --overwrite to replace it\)\n$/);
  const noOut = await run('qat', DEMO);
  assert.equal(noOut.code, 2);
  assert.match(noOut.err.split('\n')[0] ?? '', /needs the SavedModel directory to write: -o OUT_DIR/);
  // The written model converts to int8 without data.
  const conv = await run('optimize', out, '-o', path.join(dir, 'm.tflite'), '--quantize', 'int8');
  assert.equal(conv.code, 0, conv.err);
  assert.match(conv.err, /int8 from learned ranges: 5 FakeQuant ranges used, no calibration/);
});
