// Verification: run the original model (the TF reference on the prepared, frozen graph) and the
// converted one (the real TFLite runtime) on the same inputs, and compare every output.
//
// What is checked is the model as written: the TFLite WASM runtime runs subgraph 0 only, so each
// signature runs as its subgraph extracted into a model of its own (same buffers and op codes).

import type { DType } from '../core/dtype.js';
import { type TensorValue, numElements, toFloat64 } from '../core/tensor.js';
import { err } from '../errors/index.js';
import type { PreparedGraph } from '../prepare/index.js';
import { TfReferenceModel } from '../runtime/tf-reference.js';
import { TfliteRuntime } from '../runtime/tflite.js';
import { BuiltinOperator, type TfliteModel, builtinCodeOf, tensorDType, writeTflite } from '../tflite/index.js';
import { makeValue } from '../graph/ops/util.js';
import { type InputSpec, makeRandomInputs } from './inputs.js';

export interface VerifyOptions {
  /** How many seeded random input sets (ignored when `inputs` are given). */
  samples?: number;
  seed?: number;
  /** Fixed inputs, by signature input key; one set. */
  inputs?: Record<string, TensorValue>;
  /**
   * Inputs held at one value in every seeded set, by input key (e.g. a dropout keep_prob of 1,
   * which makes the graph's RandomUniform irrelevant to its outputs).
   */
  fill?: Record<string, number>;
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
  /** Things the user should know about the comparison (random ops in the graph). */
  notes: string[];
  pass: boolean;
}

/** What verification compares: the model as written and the frozen TF graphs it came from. */
export interface VerifyTarget {
  /** The converted model, every subgraph (as written to the file). */
  model: TfliteModel;
  /** One frozen TF graph per signature: what the TF reference runs. */
  prepared: readonly PreparedGraph[];
}

/** TF ops whose outputs are random: a graph with them only compares when inputs gate them off. */
const RANDOM_OPS = new Set(['RandomUniform', 'RandomStandardNormal', 'TruncatedNormal', 'RandomUniformInt', 'Multinomial', 'RandomShuffle']);

export async function verifyConversion(target: VerifyTarget, options: VerifyOptions = {}): Promise<VerifyReport> {
  const atol = options.atol ?? 1e-5;
  const rtol = options.rtol ?? 1e-5;
  const samples = options.inputs ? 1 : (options.samples ?? 3);
  const fill = options.fill ?? {};
  const allKeys = new Set(target.prepared.flatMap((p) => p.inputs.map((i) => i.key)));
  for (const k of Object.keys(fill)) {
    if (!allKeys.has(k)) throw err.badOption('verify-fill', `'${k}' is not an input of the model; inputs: ${[...allKeys].map((x) => `'${x}'`).join(', ')}`);
  }
  const runtime = await TfliteRuntime.load();
  const outputs: OutputComparison[] = [];
  const notes: string[] = [];
  for (const p of target.prepared) {
    const random = p.graphDef.node.filter((n) => RANDOM_OPS.has(n.op));
    if (random.length) {
      notes.push(
        `signature '${p.signatureKey}' has random ops (${random.map((n) => `${n.op} '${n.name}'`).slice(0, 2).join(', ')}): outputs they reach differ between runs unless inputs gate them off (--verify-fill, e.g. a dropout keep_prob of 1)`,
      );
    }
    const sig = signatureModel(target.model, p.signatureKey);
    const custom = customOps(sig.model);
    if (custom.length) {
      // The runtime would refuse the model ("unresolved custom op"): nothing can be compared.
      const why = `custom op${custom.length === 1 ? '' : 's'} ${custom.join(', ')}: TFLite has no kernel for ${custom.length === 1 ? 'it' : 'them'} (an app must register one)`;
      for (const key of sig.outputs) {
        const t = sig.model.subgraphs[0].tensors[sig.model.subgraphs[0].outputs[sig.outputs.indexOf(key)]];
        outputs.push({ signature: p.signatureKey, output: key, dtype: tensorDType(t.type) ?? 'float32', maxAbs: 0, maxRel: 0, refMax: 0, pass: true, skipped: why });
      }
      continue;
    }
    const model = runtime.loadModel(writeTflite(sig.model), { name: p.signatureKey });
    let reference: TfReferenceModel | undefined;
    try {
      const specs: InputSpec[] = sig.inputs.map((key, i) => {
        const info = model.inputs[i];
        const t = sig.model.subgraphs[0].tensors[sig.model.subgraphs[0].inputs[i]];
        const dtype = info.dtype ?? tensorDType(t.type);
        if (!dtype) throw err.internal(`verify: input '${key}' has TFLite type ${t.type}`);
        return { key, dtype, shape: t.shape.slice() };
      });
      const stats = sig.outputs.map((key, i) => {
        const t = sig.model.subgraphs[0].tensors[sig.model.subgraphs[0].outputs[i]];
        return { key, dtype: tensorDType(t.type) ?? ('float32' as DType), maxAbs: 0, refMax: 0, skipped: undefined as string | undefined };
      });
      const unreadableIn = specs.find((_sp, i) => model.inputs[i].dtype === null);
      if (unreadableIn) for (const st of stats) st.skipped = `the TFLite runtime cannot write ${unreadableIn.dtype} inputs ('${unreadableIn.key}')`;
      reference = unreadableIn ? undefined : await TfReferenceModel.load(p.graphDef);
      for (let k = 0; reference && k < samples; k++) {
        const byKey = options.inputs ?? seededInputs(specs, (options.seed ?? 1) + k, fill);
        const feeds: Record<string, TensorValue> = {};
        for (const i of p.inputs) {
          const v = byKey[i.key];
          if (!v) throw err.badInput(i.key, 'no value given for verification');
          feeds[i.name] = v;
        }
        const ref = await reference.run(feeds, p.outputs.map((o) => o.name));
        const readable = model.outputs.map((o) => o.dtype !== null);
        const got = model.run(
          sig.inputs.map((key) => byKey[key]),
          { outputs: model.outputs.map((_o, idx) => (readable[idx] ? idx : -1)).filter((i) => i >= 0) },
        );
        let gi = 0;
        stats.forEach((st, idx) => {
          if (!readable[idx]) {
            st.skipped = `the TFLite runtime cannot read ${st.dtype} outputs`;
            return;
          }
          const refIdx = p.outputs.findIndex((o) => o.key === st.key);
          const r = compare(got[gi++], ref[refIdx]);
          st.maxAbs = Math.max(st.maxAbs, r.maxAbs);
          st.refMax = Math.max(st.refMax, r.refMax);
        });
      }
      for (const st of stats) {
        const pass = st.skipped !== undefined || st.maxAbs <= atol + rtol * st.refMax;
        outputs.push({
          signature: p.signatureKey,
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
      reference?.dispose();
    }
  }
  return { samples, atol, rtol, outputs, notes, pass: outputs.every((o) => o.pass) };
}

/** Names of the custom ops a model's subgraphs use, sorted. */
export function customOps(model: TfliteModel): string[] {
  const names = new Set<string>();
  for (const sg of model.subgraphs) {
    for (const op of sg.operators) {
      const oc = model.operatorCodes[op.opcodeIndex];
      if (oc && builtinCodeOf(oc) === BuiltinOperator.CUSTOM) names.add(oc.customCode ?? 'CUSTOM');
    }
  }
  return [...names].sort();
}

/**
 * The subgraph of one signature as a model of its own (the WASM runtime runs subgraph 0 only),
 * with the signature's input and output keys in the subgraph's input and output order.
 */
export function signatureModel(model: TfliteModel, key: string): { model: TfliteModel; inputs: string[]; outputs: string[] } {
  const sd = model.signatureDefs.find((d) => d.signatureKey === key);
  if (!sd) throw err.internal(`verify: the converted model has no SignatureDef '${key}'`);
  const sub = model.subgraphs[sd.subgraphIndex];
  if (!sub) throw err.internal(`verify: SignatureDef '${key}' names subgraph ${sd.subgraphIndex}, which does not exist`);
  const keyOf = (maps: readonly { name?: string; tensorIndex: number }[], index: number, what: string): string => {
    const m = maps.find((x) => x.tensorIndex === index);
    if (!m?.name) throw err.internal(`verify: SignatureDef '${key}' does not name ${what} tensor ${index}`);
    return m.name;
  };
  return {
    model: { ...model, subgraphs: [sub], signatureDefs: [{ ...sd, subgraphIndex: 0 }] },
    inputs: sub.inputs.map((i) => keyOf(sd.inputs, i, 'input')),
    outputs: sub.outputs.map((i) => keyOf(sd.outputs, i, 'output')),
  };
}

/** One seeded input set, with the `fill` inputs held at their value. */
export function seededInputs(specs: readonly InputSpec[], seed: number, fill: Readonly<Record<string, number>>): Record<string, TensorValue> {
  const out = makeRandomInputs(specs, seed);
  for (const s of specs) {
    const v = fill[s.key];
    if (v !== undefined) out[s.key] = makeValue(s.dtype, s.shape.slice(), new Float64Array(numElements(s.shape)).fill(v));
  }
  return out;
}

function compare(got: TensorValue, ref: TensorValue): { maxAbs: number; refMax: number } {
  // A different shape is a wrong conversion even when the values happen to line up.
  if (got.shape.length !== ref.shape.length || got.shape.some((d, i) => d !== ref.shape[i]) || numElements(got.shape) !== numElements(ref.shape)) {
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
