// Speeds of the two runtimes on real fixtures: TFLite WASM start-up, model load and inference;
// the TF reference on the tfjs wasm backend against the cpu backend. Run after a build:
//   node dist/bench/runtimes.js
// Needs ../shared/fixtures; prints one line per measurement.

import fs from 'node:fs';
import { type TensorValue, zeros } from '../src/core/tensor.js';
import { GraphDefCodec } from '../src/proto/index.js';
import { TfReferenceModel } from '../src/runtime/tf-reference.js';
import { TfliteRuntime } from '../src/runtime/tflite.js';
import { fixture } from '../test/helpers/shared.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function tflite(): Promise<void> {
  const t0 = performance.now();
  const rt = await TfliteRuntime.load();
  console.log(`tflite: first TfliteRuntime.load() ${(performance.now() - t0).toFixed(1)} ms (compile + instantiate; simd=${rt.simd})`);
  for (const rel of [
    'tflite-micro-models/hello_world_float.tflite',
    'ai-edge-quantizer-testmodels/conv_fc_mnist.tflite',
    'mlcommons-tiny-kws/kws_ref_model_int8_matching.tflite',
    'tflite-support-official-tflite/mobilenet_v1_0.25_224_quant.tflite',
    'tflite-support-official-tflite/mobilenet_v1_0.25_224_1_default_1.tflite',
  ]) {
    const file = fixture(rel);
    if (!fs.existsSync(file)) continue;
    const bytes = fs.readFileSync(file);
    const loads: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const m = rt.loadModel(bytes);
      loads.push(performance.now() - t);
      m.dispose();
    }
    const m = rt.loadModel(bytes);
    const inputs: TensorValue[] = m.inputs.map((i) => zeros(i.dtype ?? 'float32', i.shape));
    let t = performance.now();
    m.run(inputs);
    const first = performance.now() - t;
    const n = 50;
    t = performance.now();
    for (let i = 0; i < n; i++) m.run(inputs);
    const per = (performance.now() - t) / n;
    m.dispose();
    console.log(
      `tflite: ${rel} (${(bytes.byteLength / 1024).toFixed(0)} KB): load ${loads[0].toFixed(1)} ms first, ${median(loads.slice(1)).toFixed(2)} ms after; inference ${first.toFixed(2)} ms first, ${per.toFixed(3)} ms after`,
    );
  }
}

async function reference(): Promise<void> {
  for (const [rel, batch] of [
    ['tf2onnx-test-models/fc-layers/frozen.pb', 64],
    ['tf2onnx-test-models/ae0/frozen.pb', 64],
  ] as const) {
    const file = fixture(rel);
    if (!fs.existsSync(file)) continue;
    const graph = GraphDefCodec.decode(fs.readFileSync(file), file);
    const x = { dtype: 'float32' as const, shape: [batch, 784], data: Float32Array.from({ length: batch * 784 }, (_, i) => (i % 97) / 97) };
    const per: Record<string, number> = {};
    for (const backend of ['wasm', 'cpu'] as const) {
      const t0 = performance.now();
      const m = await TfReferenceModel.load(graph, { backend });
      const load = performance.now() - t0;
      let t = performance.now();
      await m.run({ 'X:0': x }, ['output:0']);
      const first = performance.now() - t;
      const n = backend === 'wasm' ? 50 : 10;
      t = performance.now();
      for (let i = 0; i < n; i++) await m.run({ 'X:0': x }, ['output:0']);
      per[backend] = (performance.now() - t) / n;
      m.dispose();
      console.log(`tf-reference: ${rel} batch ${batch} on ${backend}: load ${load.toFixed(1)} ms, first run ${first.toFixed(1)} ms, then ${per[backend].toFixed(2)} ms/run`);
    }
    console.log(`tf-reference: ${rel}: wasm is ${(per.cpu / per.wasm).toFixed(1)}x faster than cpu`);
  }
}

await tflite();
await reference();
