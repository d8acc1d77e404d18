import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { GraphDefCodec } from '../../src/proto/index.js';
import { expandFakeQuant } from '../../src/runtime/tf-reference-fake-quant.js';
import { runTfReference } from '../../src/runtime/tf-reference.js';
import { convertQuantized, seededFloats, tfSemantics } from '../helpers/quant.js';
import { fixture, need } from '../helpers/shared.js';

const SL = fixture('siliconlabs-micro-speech-tf1/model.pb');
const FETCH = ['act_quant/FakeQuantWithMinMaxVars', 'weights_quant/FakeQuantWithMinMaxVars', 'labels_softmax'];

test('the TF reference fake-quantizes as TensorFlow does (tfjs alone passes FakeQuantWithMinMaxVars through)', async (t) => {
  if (!need(t, SL)) return;
  const c = await convertQuantized(SL, null, { inputArrays: ['Reshape_2'], outputArrays: FETCH, inputShapes: { Reshape_2: [1, 49, 40, 1] } });
  const p = c.prepared[0];
  const expanded = expandFakeQuant(p.graphDef);
  assert.equal(expanded.node.filter((n) => n.op.startsWith('FakeQuant')).length, 0);
  // The last op of each expansion keeps the node's name.
  for (const name of FETCH.slice(0, 2)) assert.equal(expanded.node.find((n) => n.name === name)?.op, 'Mul');
  for (let k = 0; k < 3; k++) {
    const x = { dtype: 'float32' as const, shape: [1, 49, 40, 1], data: seededFloats(1960, k + 1, 0, 26) };
    const ref = await runTfReference(p.graphDef, { 'Reshape_2:0': x }, FETCH.map((n) => `${n}:0`));
    const want = tfSemantics(p, { Reshape_2: x });
    // Fake-quantized weights and activations: the same float32 bits.
    assert.deepEqual(ref[0].data, want[0].data);
    assert.deepEqual(ref[1].data, want[1].data);
    (ref[2].data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - (want[2].data as Float32Array)[i]) <= 1e-6));
  }
  // A graph without fake quantization is returned as is.
  const plain = GraphDefCodec.decode(fs.readFileSync(fixture('tf2onnx-test-models/fc-layers/frozen.pb')), 'fc');
  assert.equal(expandFakeQuant(plain), plain);
});
