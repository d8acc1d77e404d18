// Verification: run the original model (the TF reference on the prepared, frozen graph) and the
// converted one (the real TFLite runtime) on the same inputs, and compare every output.
//
// The TFLite WASM runtime runs subgraph 0 only, so each signature is checked through a
// single-subgraph copy of the converted model.

import type { DType } from '../core/dtype.js';
import { type TensorValue, numElements, toFloat64 } from '../core/tensor.js';
import { err } from '../errors/index.js';
import { graphsToTflite } from '../export/to-tflite.js';
import type { Graph } from '../graph/ir.js';
import type { PreparedGraph } from '../prepare/index.js';
import { runTfReference } from '../runtime/tf-reference.js';
import { TfliteRuntime } from '../runtime/tflite.js';
import { writeTflite } from '../tflite/index.js';
import { makeRandomInputs } from './inputs.js';

export interface VerifyOptions {
  /** How many seeded random input sets (ignored when `inputs` are given). */
  samples?: number;
  seed?: number;
  /** Fixed inputs, by signature input key; one set. */
  inputs?: Record<string, TensorValue>;
  /** Pass when max abs error <= atol + rtol * max |reference| for every output. */
  atol?: number;
  rtol?: number;
}

export interface OutputComparison {
  signature: string;
  output: string;
  dtype: DType;
  /** Largest |tflite - reference| over all samples and elements. */
  maxAbs: number;
  /** maxAbs relative to the largest |reference| value. */
  maxRel: number;
  /** Largest |reference| value. */
  refMax: number;
  pass: boolean;
  /** Why this output was not compared (e.g. int64 outputs the runtime cannot read). */
  skipped?: string;
}

export interface VerifyReport {
  samples: number;
  atol: number;
  rtol: number;
  outputs: OutputComparison[];
  pass: boolean;
}

export async function verifyConversion(graphs: readonly Graph[], prepared: readonly PreparedGraph[], options: VerifyOptions = {}): Promise<VerifyReport> {
  const atol = options.atol ?? 1e-5;
  const rtol = options.rtol ?? 1e-5;
  const samples = options.inputs ? 1 : (options.samples ?? 3);
  const runtime = await TfliteRuntime.load();
  const outputs: OutputComparison[] = [];
  for (let s = 0; s < graphs.length; s++) {
    const g = graphs[s];
    const p = prepared[s];
    const sig = g.signature;
    if (!sig) throw err.internal('verify: converted graph has no signature');
    const bytes = writeTflite(graphsToTflite([g], { description: 'tfconv verify' }));
    const model = runtime.loadModel(bytes, { name: sig.key });
    try {
      const stats = sig.outputs.map((o) => ({ key: o.key, dtype: o.tensor.dtype, maxAbs: 0, refMax: 0, skipped: undefined as string | undefined }));
      for (let k = 0; k < samples; k++) {
        const byKey = options.inputs ?? makeRandomInputs(sig.inputs.map((i) => ({ key: i.key, dtype: i.tensor.dtype, shape: i.tensor.shape ?? [] })), (options.seed ?? 1) + k);
        const feeds: Record<string, TensorValue> = {};
        for (const i of p.inputs) {
          const v = byKey[i.key];
          if (!v) throw err.badInput(i.key, 'no value given for verification');
          feeds[i.name] = v;
        }
        const ref = await runTfReference(p.graphDef, feeds, p.outputs.map((o) => o.name));
        const readable = model.outputs.map((o) => o.dtype !== null);
        const got = model.run(
          sig.inputs.map((i) => byKey[i.key]),
          { outputs: model.outputs.map((o, idx) => (readable[idx] ? idx : -1)).filter((i) => i >= 0) },
        );
        let gi = 0;
        sig.outputs.forEach((o, idx) => {
          const st = stats[idx];
          if (!readable[idx]) {
            st.skipped = `the TFLite runtime cannot read ${o.tensor.dtype} outputs`;
            return;
          }
          const r = compare(got[gi++], ref[idx]);
          st.maxAbs = Math.max(st.maxAbs, r.maxAbs);
          st.refMax = Math.max(st.refMax, r.refMax);
        });
      }
      for (const st of stats) {
        const pass = st.skipped !== undefined || st.maxAbs <= atol + rtol * st.refMax;
        outputs.push({
          signature: sig.key,
          output: st.key,
          dtype: st.dtype,
          maxAbs: st.maxAbs,
          maxRel: st.refMax > 0 ? st.maxAbs / st.refMax : st.maxAbs,
          refMax: st.refMax,
          pass,
          ...(st.skipped ? { skipped: st.skipped } : {}),
        });
      }
    } finally {
      model.dispose();
    }
  }
  return { samples, atol, rtol, outputs, pass: outputs.every((o) => o.pass) };
}

function compare(got: TensorValue, ref: TensorValue): { maxAbs: number; refMax: number } {
  if (numElements(got.shape) !== numElements(ref.shape)) {
    return { maxAbs: Number.POSITIVE_INFINITY, refMax: 0 };
  }
  const a = toFloat64(got);
  const b = toFloat64(ref);
  let maxAbs = 0;
  let refMax = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (Number.isNaN(d) && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) maxAbs = Number.POSITIVE_INFINITY;
    else if (d > maxAbs) maxAbs = d;
    if (Math.abs(b[i]) > refMax) refMax = Math.abs(b[i]);
  }
  return { maxAbs, refMax };
}
