// Intermediate tensors from the real TFLite runtime: a debug copy that lists every tensor among
// the subgraph's outputs, for float graphs (calibration) and quantized files (reports).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import type { TensorValue } from '../../src/core/tensor.js';
import { convertToGraphs, exportGraphs } from '../../src/convert/convert.js';
import { graphsToTfliteIndexed } from '../../src/export/to-tflite.js';
import { readTensorFile } from '../../src/io/index.js';
import { IntermediateRunner, exposeTensors } from '../../src/runtime/intermediates.js';
import { TfliteRuntime } from '../../src/runtime/tflite.js';
import { readTflite, writeTflite } from '../../src/tflite/index.js';
import { fixture, need, sharedData } from '../helpers/shared.js';

const KWS = fixture('mlcommons-tiny-kws/kws_ref_model');
const OFFICIAL = fixture('mlcommons-tiny-kws/kws_ref_model_int8_matching.tflite');
const DATA = sharedData('kws-mfcc/evaluation.npy');

function sample(i: number): TensorValue {
  const all = readTensorFile(DATA).get('') as TensorValue;
  return { dtype: 'float32', shape: [1, 49, 10, 1], data: (all.data as Float32Array).slice(i * 490, (i + 1) * 490) };
}

test('the export reports where every graph tensor went', (t) => {
  if (!need(t, KWS)) return;
  const g = convertToGraphs(KWS).graphs[0];
  const { model, tensorIndex } = graphsToTfliteIndexed([g], { description: 'x' });
  const sg = model.subgraphs[0];
  assert.equal(tensorIndex[0].size, sg.tensors.length);
  for (const [tensor, i] of tensorIndex[0]) assert.equal(sg.tensors[i].name, tensor.name);
  assert.equal(tensorIndex[0].get(g.inputs[0]), sg.inputs[0]);
  assert.equal(tensorIndex[0].get(g.outputs[0]), sg.outputs[0]);
});

test('float graph: every activation is reported, and the debug copy computes what the model computes', async (t) => {
  if (!need(t, KWS, DATA)) return;
  const g = convertToGraphs(KWS).graphs[0];
  const runner = await IntermediateRunner.forGraph(g);
  t.after(() => runner.dispose());
  const activations = g.tensors().filter((x) => !x.isConstant);
  assert.deepEqual(new Set(runner.tensors), new Set(activations));
  assert.equal(runner.tensors.length, 14);
  const rt = await TfliteRuntime.load();
  const plain = rt.loadModel(exportGraphs([g]).bytes);
  t.after(() => plain.dispose());
  for (const i of [0, 1, 77]) {
    const x = sample(i);
    const seen = new Map<string, Float32Array>();
    runner.run([x], (tensor, values, shape) => {
      assert.deepEqual([...shape], tensor.shape);
      seen.set(tensor.name, Float32Array.from(values as Float32Array));
    });
    assert.equal(seen.size, 14);
    assert.deepEqual(seen.get(g.inputs[0].name), x.data);
    assert.deepEqual(seen.get(g.outputs[0].name), plain.run([x])[0].data);
    // The fused ReLU convs: non-negative, and not all zero.
    const conv = seen.get(g.nodes[0].output(0).name) as Float32Array;
    assert.ok(conv.every((v) => v >= 0) && conv.some((v) => v > 0));
    // By signature key and by Tensor, too.
    assert.deepEqual(runner.runOutputs({ input_1: x })[0].data, plain.run([x])[0].data);
    assert.deepEqual(runner.runOutputs(new Map([[g.inputs[0], x]]))[0].data, plain.run([x])[0].data);
  }
  // A selection reports only what was asked.
  const some = await IntermediateRunner.forGraph(g, { select: (x) => x === g.nodes[3].output(0) });
  t.after(() => some.dispose());
  assert.deepEqual(some.tensors, [g.nodes[3].output(0)]);
});

test('an int8 file (the official KWS model): int8 intermediates readable, outputs unchanged', async (t) => {
  if (!need(t, OFFICIAL, DATA)) return;
  const bytes = new Uint8Array(fs.readFileSync(OFFICIAL));
  const model = readTflite(bytes, OFFICIAL);
  const exposed = exposeTensors(model);
  const sg = model.subgraphs[0];
  // Every tensor without data: the input, the 13 op outputs (one of them already the output).
  assert.equal(exposed.originalOutputs, 1);
  assert.equal(exposed.outputTensors.length, 14);
  assert.equal(exposed.outputTensors[0], sg.outputs[0]);
  for (const i of exposed.outputTensors) assert.equal(model.buffers[sg.tensors[i].buffer]?.data.length ?? 0, 0);
  // The original model is untouched.
  assert.deepEqual(sg.outputs, [34]);
  const rt = await TfliteRuntime.load();
  const debug = rt.loadModel(writeTflite(exposed.model));
  const plain = rt.loadModel(bytes);
  t.after(() => {
    debug.dispose();
    plain.dispose();
  });
  assert.equal(debug.outputs.length, 14);
  const x: TensorValue = { dtype: 'int8', shape: [1, 49, 10, 1], data: Int8Array.from(sample(0).data as Float32Array, (v) => Math.max(-128, Math.min(127, Math.round(v / 0.574836) + 87))) };
  const all = debug.run([x]);
  assert.deepEqual(all[0].data, plain.run([x])[0].data);
  assert.ok(all.every((o) => o.dtype === 'int8'));
});

test('an exception thrown by the visitor reaches the caller and leaves the runtime usable', async (t) => {
  if (!need(t, KWS, DATA)) return;
  const g = convertToGraphs(KWS).graphs[0];
  const runner = await IntermediateRunner.forGraph(g);
  t.after(() => runner.dispose());
  assert.throws(
    () =>
      runner.run([sample(0)], () => {
        throw new RangeError('visitor failed');
      }),
    /visitor failed/,
  );
  let n = 0;
  runner.run([sample(1)], () => n++);
  assert.equal(n, 14);
});
