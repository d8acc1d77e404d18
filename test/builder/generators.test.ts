// The benchmark's model families, on small instances (the suite stays fast): structure and
// parameter counts, written and read back, converted and verified.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { optimize } from '../../src/api/optimize.js';
import { buildMobileNetV2Like, buildResNetLike, buildScaledMlpOrCnn, writeModel } from '../../src/builder/index.js';
import { readSavedModel } from '../../src/readers/savedmodel.js';
import { TensorBundle, savedModelVariablesPrefix } from '../../src/readers/tensor-bundle/index.js';
import { mapVariables } from '../../src/readers/variables.js';
import { tmpDir } from '../helpers/tmp.js';

test('MobileNetV2-like at alpha 1.0, 224: Keras MobileNetV2 layer for layer, 3,538,984 parameters', () => {
  const m = buildMobileNetV2Like({ seed: 1 });
  assert.equal(m.paramCount, 3_538_984);
  assert.equal(m.name, 'mobilenetv2_1.00_224');
  assert.equal(m.layers.length, 156);
  assert.equal(m.variables.length, 262);
  const names = m.layers.map((l) => l.name);
  for (const n of ['input_1', 'Conv1', 'bn_Conv1', 'Conv1_relu', 'expanded_conv_depthwise', 'block_1_pad', 'block_2_add', 'block_16_project_BN', 'Conv_1', 'out_relu', 'global_average_pooling2d', 'predictions']) {
    assert.ok(names.includes(n), n);
  }
  assert.equal(m.layers.filter((l) => l.className === 'Add').length, 10);
  assert.deepEqual(m.layers.find((l) => l.name === 'out_relu')?.output.shape, [-1, 7, 7, 1280]);
  assert.deepEqual(m.outputs.map((o) => o.shape), [[-1, 1000]]);
});

test('a small MobileNetV2-like writes, reads back and converts: pads folded, Relu6 fused, residual adds kept, verified', async (t) => {
  const dir = path.join(tmpDir(t), 'mnv2');
  const m = buildMobileNetV2Like({ alpha: 0.35, resolution: 32, classes: 10, seed: 5 });
  const w = writeModel(dir, m);
  assert.equal(w.dataBytes - (w.variables?.entries.find((e) => e.key === '_CHECKPOINTABLE_OBJECT_GRAPH')?.size ?? 0), 4 * m.paramCount);
  assert.equal(mapVariables(dir, readSavedModel(dir).metaGraphs[0].def).bindings.length, m.variables.length);
  const r = await optimize(dir, { output: path.join(dir, '..', 'mnv2.tflite'), verify: { samples: 1, seed: 2 } });
  // The ZeroPadding2D before each stride-2 depthwise folds into it (SAME), Relu6 fuses.
  assert.deepEqual(r.ops, { CONV_2D: 35, DEPTHWISE_CONV_2D: 17, ADD: 10, MEAN: 1, FULLY_CONNECTED: 1, SOFTMAX: 1 });
  assert.ok(r.verify?.pass, JSON.stringify(r.verify?.outputs));
});

test('ResNet-like (ResNet-8 shape): shortcut convolutions where the shape changes, converts and verifies', async (t) => {
  const m = buildResNetLike({ blocks: [1, 1, 1], width: 16, seed: 2 });
  assert.equal(m.layers.filter((l) => l.className === 'Add').length, 3);
  assert.equal(m.layers.filter((l) => l.className === 'Conv2D').length, 9);
  assert.equal(m.paramCount, 79_050);
  const dir = path.join(tmpDir(t), 'resnet');
  writeModel(dir, m);
  const r = await optimize(dir, { output: path.join(dir, '..', 'resnet.tflite'), verify: { samples: 1, seed: 3 } });
  assert.deepEqual(r.ops, { CONV_2D: 9, ADD: 3, MEAN: 1, FULLY_CONNECTED: 1, SOFTMAX: 1 });
  assert.ok(r.verify?.pass, JSON.stringify(r.verify?.outputs));
});

test('scaled family: sizes grow with the target, stay near it, and write exactly 4 bytes a parameter', (t) => {
  const d = tmpDir(t);
  let last = 0;
  for (const target of [1e4, 1e5, 1e6, 1e7, 1e8]) {
    for (const kind of ['mlp', 'cnn'] as const) {
      const m = buildScaledMlpOrCnn({ targetParams: target, kind, seed: 1 });
      assert.ok(m.paramCount > 0.5 * target && m.paramCount < 1.5 * target, `${kind} ${target}: ${m.paramCount}`);
      assert.ok(m.variables.every((v) => v.shape.reduce((p, x) => p * x, 1) <= 4096 * 4096), `${kind} ${target}: no tensor over 64 MiB`);
      if (kind === 'mlp') {
        assert.ok(m.paramCount > last);
        last = m.paramCount;
      }
    }
  }
  for (const kind of ['mlp', 'cnn'] as const) {
    const m = buildScaledMlpOrCnn({ targetParams: 50_000, kind, seed: 4 });
    const dir = path.join(d, kind);
    const w = writeModel(dir, m);
    const bundle = TensorBundle.open(savedModelVariablesPrefix(dir));
    const floats = bundle.keys().filter((k) => bundle.entry(k).dtype === 'float32');
    assert.equal(floats.reduce((s, k) => s + bundle.entry(k).size, 0), 4 * m.paramCount);
    assert.equal(fs.statSync(w.variables?.dataFiles[0] as string).size, w.dataBytes);
    assert.equal(mapVariables(dir, readSavedModel(dir).metaGraphs[0].def).bindings.length, m.variables.length);
  }
});
