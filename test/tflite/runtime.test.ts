// The real TFLite interpreter (WASM) loads and runs what writeTflite produces from official
// models, with outputs identical to the original file's on the same seeded inputs.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { FbReader } from '../../src/tflite/flatbuffer.js';
import { readTflite } from '../../src/tflite/read.js';
import { writeTflite } from '../../src/tflite/write.js';
import { fixture, need } from '../helpers/shared.js';
import { tensorBytes } from '../../src/core/tensor.js';
import { TfliteRuntime } from '../../src/runtime/tflite.js';
import { makeRandomInputs } from '../../src/verify/inputs.js';

/**
 * person_detect.tflite (an old TOCO file) gives its 1-D per-channel biases quantized_dimension 3;
 * today's runtime rejects that ("quantized_dimension must be in range [0, 1)"). To have a
 * baseline that runs, patch exactly those int32 fields to 0 in the original bytes (same layout,
 * nothing else touched). Returns how many were patched.
 */
function patchQuantizedDimensions(bytes: Uint8Array): number {
  const r = new FbReader(bytes);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let n = 0;
  // Slots: Model.subgraphs = 2, SubGraph.tensors = 0, Tensor.shape = 0, Tensor.quantization = 4,
  // QuantizationParameters.quantized_dimension = 6 (the details union takes slots 4 and 5).
  for (const sg of r.vecTables(r.root('TFL3'), 2, 'subgraphs')) {
    for (const t of r.vecTables(sg, 0, 'tensors')) {
      const rank = r.vec_i32(t, 0, 'shape').length;
      const q = r.tableField(t, 4, 'quantization');
      if (!q) continue;
      const p = r.fieldPos(q, 6, 4, 'quantized_dimension');
      if (p && dv.getInt32(p, true) >= Math.max(rank, 1)) {
        dv.setInt32(p, 0, true);
        n++;
      }
    }
  }
  return n;
}

const CASES: Array<{ file: string; outputs: number; inputType: string; patch?: number }> = [
  { file: 'tflite-micro-models/hello_world_float.tflite', outputs: 1, inputType: 'float32' },
  { file: 'tflite-support-official-tflite/mobilenet_v1_0.25_224_1_default_1.tflite', outputs: 1, inputType: 'float32' },
  { file: 'mlcommons-tiny-kws/kws_ref_model_int8_matching.tflite', outputs: 1, inputType: 'int8' },
  { file: 'tflite-micro-models/person_detect.tflite', outputs: 1, inputType: 'int8', patch: 14 },
];

for (const c of CASES) {
  test(`the TFLite runtime runs our rewrite of ${c.file} with identical outputs`, async (t) => {
    const f = fixture(c.file);
    if (!need(t, f)) return;
    const original = new Uint8Array(fs.readFileSync(f));
    if (c.patch !== undefined) {
      // The writer is faithful: the unpatched model keeps its quantized_dimension 3 after a rewrite.
      const faithful = readTflite(writeTflite(readTflite(original, f)), 'rewritten');
      assert.equal(faithful.subgraphs[0].tensors.filter((x) => (x.quantization?.quantizedDimension ?? 0) >= Math.max(x.shape.length, 1)).length, c.patch);
      assert.equal(patchQuantizedDimensions(original), c.patch);
    }
    const rewritten = writeTflite(readTflite(original, f));
    assert.notDeepEqual(rewritten, original, 'the rewrite is a different byte layout, not a copy');
    const rt = await TfliteRuntime.load();
    const ma = rt.loadModel(original);
    const mb = rt.loadModel(rewritten);
    const seen = new Set<string>();
    try {
      assert.equal(ma.outputs.length, c.outputs);
      assert.deepEqual(mb.inputs.map((x) => [x.name, x.dtype, x.shape]), ma.inputs.map((x) => [x.name, x.dtype, x.shape]));
      assert.deepEqual(mb.outputs.map((x) => [x.name, x.dtype, x.shape]), ma.outputs.map((x) => [x.name, x.dtype, x.shape]));
      for (const seed of [1, 2, 3]) {
        for (const x of ma.inputs) assert.equal(x.dtype, c.inputType);
        const specs = ma.inputs.map((x) => ({ key: x.name, dtype: x.dtype ?? 'float32', shape: x.shape }));
        const inputs = makeRandomInputs(specs, seed);
        const a = ma.run(specs.map((x) => inputs[x.key]));
        const b = mb.run(specs.map((x) => inputs[x.key]));
        for (let k = 0; k < a.length; k++) {
          assert.ok(tensorBytes(a[k]).length > 0);
          assert.deepEqual(tensorBytes(b[k]), tensorBytes(a[k]), `output ${k}, seed ${seed}`);
        }
        seen.add(Buffer.from(tensorBytes(a[0])).toString('hex'));
      }
    } finally {
      ma.dispose();
      mb.dispose();
    }
    // Not a degenerate comparison: the inputs drive the outputs.
    assert.ok(seen.size > 1, 'different inputs gave the same output');
  });
}
