// TF1 micro_speech (quantization-aware, FakeQuantWithMinMaxVars on weights and activations), cut
// at Reshape_2 -> labels_softmax and converted as float: FakeQuant on the weights folds into
// quantized-grid constants, FakeQuant on activations stays the same math (FAKE_QUANT), so the
// float model matches TensorFlow, and also TOCO's official uint8 model to within a uint8 step.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TensorValue } from '../../src/core/tensor.js';
import { toFloat64 } from '../../src/core/tensor.js';
import { TfReferenceModel, runTfReference } from '../../src/runtime/tf-reference.js';
import { mulberry32 } from '../../src/verify/inputs.js';
import type { GraphDef, NodeDef } from '../../src/proto/types.js';
import { constNode } from '../../src/prepare/freeze-variables.js';
import { fixture, need } from '../helpers/shared.js';
import { assertStaticShapes, assertVerified, convertFixture, ioShapes, opCounts, runSignature, runTfliteFile } from './helpers.js';

const MODEL = 'siliconlabs-micro-speech-tf1/model.pb';
const OFFICIAL = fixture('siliconlabs-micro-speech-tf1/model.tflite');
const cut = { inputArrays: ['Reshape_2'], outputArrays: ['labels_softmax'] };
/** The official model's input scale: features are uint8 steps of this size. */
const INPUT_SCALE = 0.101961;

/** Speech-like features: mostly small uint8 steps (like the microfrontend's), as float and uint8. */
function features(seed: number): { q: Uint8Array; f: Float32Array } {
  const rand = mulberry32(seed);
  const q = new Uint8Array(49 * 40);
  for (let i = 0; i < q.length; i++) q[i] = Math.floor(rand() * rand() * 256);
  return { q, f: Float32Array.from(q, (v) => v * INPUT_SCALE) };
}

const argmax = (v: ArrayLike<number>): number => Array.from(v).indexOf(Math.max(...Array.from(v)));

test('micro_speech cut at Reshape_2: input shape from the Reshape constant, FakeQuant kept as FAKE_QUANT, 20 seeds match', async (t) => {
  const c = await convertFixture(t, MODEL, { ...cut, verify: { samples: 20, atol: 0, rtol: 1e-5 } });
  if (!c) return;
  assertVerified(c.result);
  assert.deepEqual(opCounts(c.model), { CONV_2D: 1, FAKE_QUANT: 2, RESHAPE: 1, FULLY_CONNECTED: 1, SOFTMAX: 1 });
  // Reshape_2 = Reshape(x, [-1, 49, 40, 1]) gives the cut input its shape; no --input-shape needed.
  assert.deepEqual(ioShapes(c.model, 'inputs'), [[[1, 49, 40, 1], [-1, 49, 40, 1]]]);
  assert.deepEqual(ioShapes(c.model, 'outputs'), [[[1, 4], [-1, 4]]]);
  assertStaticShapes(c.model);
  const g = c.result.conversion.graphs[0];
  const fq = g.nodes.filter((n) => n.op === 'tfl.FAKE_QUANT');
  for (const n of fq) assert.equal(n.options.num_bits, 8);
  // Weights went through their FakeQuant at conversion: at most 256 distinct values each.
  for (const op of ['tfl.CONV_2D', 'tfl.FULLY_CONNECTED']) {
    const w = g.nodes.find((n) => n.op === op)?.inputs[1]?.value;
    assert.ok(w, `${op} has constant weights`);
    const distinct = new Set(toFloat64(w)).size;
    assert.ok(distinct <= 256 && distinct > 16, `${op}: ${distinct} distinct weight values`);
  }
});

test('micro_speech float conversion vs TensorFlow and vs TOCO\'s official uint8 model on speech-like features', async (t) => {
  if (!need(t, OFFICIAL)) return;
  const c = await convertFixture(t, MODEL, cut);
  if (!c) return;
  const p = c.result.conversion.prepared[0];
  const reference = await TfReferenceModel.load(p.graphDef);
  let vsRef = 0;
  let vsOfficial = 0;
  let agree = 0;
  const n = 24;
  try {
    for (let s = 0; s < n; s++) {
      const { q, f } = features(100 + s);
      const input: TensorValue = { dtype: 'float32', shape: [1, 49, 40, 1], data: f };
      const ours = (await runSignature(c.model, 'serving_default', { Reshape_2: input })).labels_softmax;
      const [ref] = await reference.run({ [p.inputs[0].name]: input }, [p.outputs[0].name]);
      const [official] = await runTfliteFile(OFFICIAL, [{ dtype: 'uint8', shape: [1, 49, 40, 1], data: q }]);
      const o = toFloat64(ours);
      const r = toFloat64(ref);
      const u = Array.from(official.data as Uint8Array, (v) => v / 256);
      for (let i = 0; i < 4; i++) {
        vsRef = Math.max(vsRef, Math.abs(o[i] - r[i]));
        vsOfficial = Math.max(vsOfficial, Math.abs(o[i] - u[i]));
      }
      if (argmax(o) === argmax(u)) agree++;
    }
  } finally {
    reference.dispose();
  }
  assert.ok(vsRef <= 1e-5, `max abs vs TF ${vsRef}`);
  // Measured: 0.0019, under one output step of the uint8 model (1/256); top-1 always agrees.
  assert.ok(vsOfficial < 1 / 256, `max abs vs the official uint8 model ${vsOfficial}`);
  assert.equal(agree, n);
});

test('the TF reference applies FakeQuantWithMinMaxVars as TensorFlow does (tfjs alone passes it through)', async () => {
  const node = (name: string, op: string, input: string[], attr: NodeDef['attr']): NodeDef => ({ name, op, input, device: '', attr, experimental_debug_info: null });
  const graph: GraphDef = {
    node: [
      node('x', 'Placeholder', [], { dtype: { value: 'type', type: 1 } }),
      constNode('min', { dtype: 'float32', shape: [], data: Float32Array.of(-1) }),
      constNode('max', { dtype: 'float32', shape: [], data: Float32Array.of(1) }),
      node('fq', 'FakeQuantWithMinMaxVars', ['x', 'min', 'max'], { num_bits: { value: 'i', i: 8 }, narrow_range: { value: 'b', b: false } }),
      node('fqa', 'FakeQuantWithMinMaxArgs', ['x'], { min: { value: 'f', f: 0 }, max: { value: 'f', f: 6 }, num_bits: { value: 'i', i: 8 }, narrow_range: { value: 'b', b: false } }),
    ],
    library: null,
    versions: null,
  } as unknown as GraphDef;
  const x: TensorValue = { dtype: 'float32', shape: [4], data: Float32Array.of(0.1, 0.5, -2, 3) };
  const [vars, args] = await runTfReference(graph, { x }, ['fq', 'fqa']);
  // Range [-1, 1], scale 2/255: in float32 -min/scale is just under 127.5, so the zero point is
  // 127 and the range nudges to [-0.99607843, 1.00392163] (TFLite's FAKE_QUANT agrees).
  assert.deepEqual(Array.from(vars.data as Float32Array), [0.10196079313755035, 0.501960813999176, -0.9960784912109375, 1.003921627998352]);
  const av = Array.from(args.data as Float32Array);
  assert.ok(Math.abs(av[0] - 0.09411765) < 1e-6 && av[2] === 0 && Math.abs(av[3] - 3.0) < 0.0236, `got ${av}`);
});
