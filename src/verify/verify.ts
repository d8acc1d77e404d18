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
  /** Several fixed input sets (e.g. representative data), by signature input key; used before seeded sets. */
  inputSets?: Record<string, TensorValue>[];
  /**
   * Inputs held at one value in every seeded set, by input key (e.g. a dropout keep_prob of 1,
   * which makes the graph's RandomUniform irrelevant to its outputs).
   */
  fill?: Record<string, number>;
  /** Pass when max abs error <= atol + rtol * max |reference| for every output. */
  atol?: number;
  rtol?: number;
  /**
   * For quantized models: pass when every output's SQNR against the reference is at least this
   * (dB), instead of the atol/rtol test.
   */
  minSqnr?: number;
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
  /** 10 log10(sum ref^2 / sum (tflite - ref)^2) over all samples; Infinity when equal. */
  sqnr: number;
  pass: boolean;
  /** Why this output was not compared (e.g. int64 outputs the runtime cannot read). */
  skipped?: string;
}

export interface VerifyReport {
  samples: number;
  atol: number;
  rtol: number;
  /** Set when outputs pass by SQNR (quantized models). */
  minSqnr?: number;
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
  const fixedSets = options.inputs ? [options.inputs] : (options.inputSets ?? []);
  const samples = options.inputs ? 1 : Math.max(options.samples ?? 3, fixedSets.length);
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
        outputs.push({ signature: p.signatureKey, output: key, dtype: tensorDType(t.type) ?? 'float32', maxAbs: 0, maxRel: 0, refMax: 0, sqnr: Number.POSITIVE_INFINITY, pass: true, skipped: why });
      }
      continue;
    }
    const model = runtime.loadModel(writeTflite(sig.model), { name: p.signatureKey });
    let reference: TfReferenceModel | undefined;
    try {
      const tensorsOf = sig.model.subgraphs[0].tensors;
      // Quantized inputs and outputs (int8/uint8 I/O) take and give real values through the
      // parameters stored in the file, as an application would use them.
      const inQuant = sig.inputs.map((_k, i) => ioQuantOf(tensorsOf[sig.model.subgraphs[0].inputs[i]]));
      const outQuant = sig.outputs.map((_k, i) => ioQuantOf(tensorsOf[sig.model.subgraphs[0].outputs[i]]));
      const specs: InputSpec[] = sig.inputs.map((key, i) => {
        const info = model.inputs[i];
        const t = tensorsOf[sig.model.subgraphs[0].inputs[i]];
        const tfDtype = p.inputs.find((x) => x.key === key)?.dtype;
        const dtype = inQuant[i] && tfDtype ? tfDtype : (info.dtype ?? tensorDType(t.type));
        if (!dtype) throw err.internal(`verify: input '${key}' has TFLite type ${t.type}`);
        return { key, dtype, shape: t.shape.slice() };
      });
      const stats = sig.outputs.map((key, i) => {
        const t = tensorsOf[sig.model.subgraphs[0].outputs[i]];
        return { key, dtype: tensorDType(t.type) ?? ('float32' as DType), maxAbs: 0, refMax: 0, signal: 0, noise: 0, skipped: undefined as string | undefined };
      });
      const unreadableIn = specs.find((_sp, i) => model.inputs[i].dtype === null);
      if (unreadableIn) for (const st of stats) st.skipped = `the TFLite runtime cannot write ${unreadableIn.dtype} inputs ('${unreadableIn.key}')`;
      reference = unreadableIn ? undefined : await TfReferenceModel.load(p.graphDef);
      for (let k = 0; reference && k < samples; k++) {
        const byKey = fixedSets[k] ?? seededInputs(specs, (options.seed ?? 1) + k, fill);
        const feeds: Record<string, TensorValue> = {};
        for (const i of p.inputs) {
          const v = byKey[i.key];
          if (!v) throw err.badInput(i.key, 'no value given for verification');
          feeds[i.name] = v;
        }
        const ref = await reference.run(feeds, p.outputs.map((o) => o.name));
        const readable = model.outputs.map((o) => o.dtype !== null);
        const got = model.run(
          sig.inputs.map((key, i) => quantizeInput(byKey[key], inQuant[i])),
          { outputs: model.outputs.map((_o, idx) => (readable[idx] ? idx : -1)).filter((i) => i >= 0) },
        );
        let gi = 0;
        stats.forEach((st, idx) => {
          if (!readable[idx]) {
            st.skipped = `the TFLite runtime cannot read ${st.dtype} outputs`;
            return;
          }
          const refIdx = p.outputs.findIndex((o) => o.key === st.key);
          const r = compare(dequantizeOutput(got[gi++], outQuant[idx]), ref[refIdx]);
          st.maxAbs = Math.max(st.maxAbs, r.maxAbs);
          st.refMax = Math.max(st.refMax, r.refMax);
          st.signal += r.signal;
          st.noise += r.noise;
        });
      }
      for (const st of stats) {
        const sqnr = st.noise === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10(st.signal / st.noise);
        const pass = st.skipped !== undefined || (options.minSqnr !== undefined ? sqnr >= options.minSqnr : st.maxAbs <= atol + rtol * st.refMax);
        outputs.push({
          signature: p.signatureKey,
          output: st.key,
          dtype: st.dtype,
          maxAbs: st.maxAbs,
          maxRel: st.refMax > 0 ? st.maxAbs / st.refMax : st.maxAbs,
          refMax: st.refMax,
          sqnr,
          pass,
          ...(st.skipped ? { skipped: st.skipped } : {}),
        });
      }
    } finally {
      model.dispose();
      reference?.dispose();
    }
  }
  return {
    samples,
    atol,
    rtol,
    ...(options.minSqnr !== undefined ? { minSqnr: options.minSqnr } : {}),
    outputs,
    notes,
    pass: outputs.every((o) => o.pass),
  };
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

/** Scale and zero point of an int8/uint8 model input or output; null for other types. */
interface IoQuant {
  dtype: 'int8' | 'uint8';
  scale: number;
  zeroPoint: number;
}

function ioQuantOf(t: { type: number; quantization?: { scale: number[]; zeroPoint: number[] } }): IoQuant | null {
  const dtype = tensorDType(t.type);
  const q = t.quantization;
  if ((dtype !== 'int8' && dtype !== 'uint8') || !q || q.scale.length === 0) return null;
  return { dtype, scale: q.scale[0], zeroPoint: Number(q.zeroPoint[0] ?? 0) };
}

/** A real-valued input as a quantized model takes it: round(x / scale) + zero point, clamped. */
function quantizeInput(v: TensorValue, q: IoQuant | null): TensorValue {
  if (!q || v.dtype === q.dtype) return v;
  const x = toFloat64(v);
  const [lo, hi] = q.dtype === 'int8' ? [-128, 127] : [0, 255];
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.min(hi, Math.max(lo, Math.round(x[i] / q.scale) + q.zeroPoint));
  return makeValue(q.dtype, v.shape.slice(), out);
}

/** A quantized output as real values: (q - zero point) * scale. */
function dequantizeOutput(v: TensorValue, q: IoQuant | null): TensorValue {
  if (!q) return v;
  const x = toFloat64(v);
  return makeValue('float32', v.shape.slice(), x.map((e) => (e - q.zeroPoint) * q.scale));
}

function compare(got: TensorValue, ref: TensorValue): { maxAbs: number; refMax: number; signal: number; noise: number } {
  // A different shape is a wrong conversion even when the values happen to line up.
  if (got.shape.length !== ref.shape.length || got.shape.some((d, i) => d !== ref.shape[i]) || numElements(got.shape) !== numElements(ref.shape)) {
    return { maxAbs: Number.POSITIVE_INFINITY, refMax: 0, signal: 0, noise: Number.POSITIVE_INFINITY };
  }
  const a = toFloat64(got);
  const b = toFloat64(ref);
  let maxAbs = 0;
  let refMax = 0;
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < a.length; i++) {
    signal += b[i] * b[i];
    noise += (a[i] - b[i]) ** 2;
    const d = Math.abs(a[i] - b[i]);
    if (Number.isNaN(d) && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) maxAbs = Number.POSITIVE_INFINITY;
    else if (d > maxAbs) maxAbs = d;
    if (Math.abs(b[i]) > refMax) refMax = Math.abs(b[i]);
  }
  return { maxAbs, refMax, signal, noise };
}
