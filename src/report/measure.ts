// Both models in the real TFLite runtime on the same representative samples:
// - debug copies with the layers' tensors exposed (src/runtime/intermediates.ts), per layer the
//   float model's values against the quantized model's, each dequantized with its own file's
//   parameters;
// - the two files as they are, for the model outputs an application sees.
// Float inputs are quantized with the input's parameters where a model takes int8/uint8, as an
// application would. Nothing is simulated: every number comes from the runtime's own values.

import cliProgress from 'cli-progress';
import type { DType } from '../core/dtype.js';
import { type TensorValue, numElements } from '../core/tensor.js';
import { err } from '../errors/index.js';
import { Graph, Tensor } from '../graph/ir.js';
import { castTensor } from '../io/index.js';
import { quantizeValue } from '../quantize/math.js';
import { type Representative, type RepresentativeOptions, loadRepresentative } from '../quantize/representative.js';
import { exposeTensors } from '../runtime/intermediates.js';
import { type LoadedTflite, TfliteRuntime } from '../runtime/tflite.js';
import { writeTflite } from '../tflite/index.js';
import { localLayers } from './local.js';
import type { Matching } from './match.js';
import { type ModelTensor, type ReportModel, dequantizeInPlace, isQuantizedValue } from './model.js';
import { ErrorStats, argmax } from './stats.js';

/** Most points per output kept for the float-vs-quantized scatter. */
export const SCATTER_POINTS = 600;

export interface OutputMeasure {
  stats: ErrorStats;
  /** Rows whose arg-max agrees / rows, for classifier-shaped outputs ([K] or [N, K], K >= 2). */
  top1: { agree: number; rows: number } | null;
  /** (float, quantized) pairs, evenly spaced over all values of all samples. */
  points: [number, number][];
}

export interface Measurement {
  /** By quantized tensor index (layers with a float partner). */
  layers: Map<number, ErrorStats>;
  /** By quantized tensor index: the layer run alone on the float model's inputs (./local.ts). */
  local: Map<number, ErrorStats>;
  /** By quantized output index (outputs with a float partner), else null. */
  outputs: (OutputMeasure | null)[];
  /** By quantized input index: the real samples against what the model was fed (dequantized). */
  inputs: ErrorStats[];
  samples: number;
  description: string;
  random: boolean;
  /** Wall time of the runs and statistics. */
  ms: number;
}

export interface MeasureOptions extends RepresentativeOptions {
  progress?: boolean;
  /** In-memory samples instead of `representative`: per sample, one real-valued tensor per float model input. */
  samples?: readonly (readonly TensorValue[])[];
}

const INT_RANGES: Partial<Record<DType, { qmin: number; qmax: number }>> = {
  int8: { qmin: -128, qmax: 127 },
  uint8: { qmin: 0, qmax: 255 },
  int16: { qmin: -32768, qmax: 32767 },
};

/**
 * Representative samples shaped as the float model's inputs. Quantized inputs take real values
 * (float32 samples); the data is keyed by SignatureDef input key (or tensor name).
 */
export function reportSamples(o: RepresentativeOptions, fm: ReportModel): Representative {
  const g = new Graph();
  const entries = fm.inputs.map((io) => {
    const t = fm.tensors[io.tensor];
    if (t.dtype === null) throw err.badInput(t.name, 'has a type tfconv cannot feed');
    const real = isQuantizedValue(t) ? 'float32' : t.dtype;
    return { key: io.key, tensor: new Tensor(t.name, real, t.shape.slice()) };
  });
  g.inputs = entries.map((e) => e.tensor);
  g.signature = { key: 'report', inputs: entries, outputs: [] };
  g.name = fm.label;
  return loadRepresentative(o, g);
}

function inMemory(samples: readonly (readonly TensorValue[])[], fm: ReportModel): Representative {
  for (const [i, s] of samples.entries()) {
    if (s.length !== fm.inputs.length) throw err.badInput(fm.inputs[0] ? fm.tensors[fm.inputs[0].tensor].name : 'input', `sample ${i} has ${s.length} tensors; the float model has ${fm.inputs.length} inputs`);
  }
  return {
    description: `${samples.length} sample${samples.length === 1 ? '' : 's'} given in memory`,
    count: samples.length,
    random: false,
    sample: (i) => samples[i].slice(),
  };
}

/** A real-valued sample as the model's input `t` takes it. */
export function feedValue(t: ModelTensor, v: TensorValue): TensorValue {
  const range = t.dtype ? INT_RANGES[t.dtype] : undefined;
  if (isQuantizedValue(t) && t.quant && range && t.dtype) {
    const src = castTensor(v, 'float32', t.name).data as Float32Array;
    const data = t.dtype === 'int8' ? new Int8Array(src.length) : t.dtype === 'uint8' ? new Uint8Array(src.length) : new Int16Array(src.length);
    const s = t.quant.scale[0];
    const z = t.quant.zeroPoint[0] ?? 0;
    for (let i = 0; i < src.length; i++) data[i] = quantizeValue(src[i], s, z, range);
    return { dtype: t.dtype, shape: t.shape.slice(), data };
  }
  if (t.dtype === null) throw err.badInput(t.name, 'has a type tfconv cannot feed');
  const c = castTensor(v, t.dtype, t.name);
  return { ...c, shape: t.shape.slice() };
}

/** The real values of a runtime view (dequantized with the file's parameters when quantized). */
function realValues(t: ModelTensor, view: ArrayLike<number | bigint>, into: Float64Array): Float64Array {
  const n = Math.min(view.length, into.length);
  for (let i = 0; i < n; i++) into[i] = Number(view[i]);
  if (isQuantizedValue(t) && t.quant) dequantizeInPlace(into, t.quant, t.shape);
  return into;
}

function classifierRows(shape: readonly number[]): { rows: number; width: number } | null {
  const k = shape[shape.length - 1];
  if (!(k >= 2) || shape.length > 2) return null;
  return { rows: shape.length === 2 ? shape[0] : 1, width: k };
}

export async function measure(fm: ReportModel, qm: ReportModel, matching: Matching, o: MeasureOptions): Promise<Measurement> {
  const data = o.samples ? inMemory(o.samples, fm) : reportSamples(o, fm);
  if (data.count === 0) throw err.noRepresentativeData();
  const feedOrder = matching.inputs.map((k, i) => {
    if (k < 0) throw err.badInput(qm.tensors[qm.inputs[i].tensor].name, `no input of the float model corresponds to it (float inputs: ${fm.inputs.map((x) => `'${x.key}'`).join(', ')})`);
    return k;
  });

  const layers = matching.layers.filter((l) => l.floatTensor !== null);
  const fWanted = new Set(layers.map((l) => l.floatTensor as number));
  const qWanted = new Set(layers.map((l) => l.tensor));
  // The float operators run alone on the quantized model's values of their inputs (./local.ts).
  const localPlan = localLayers(fm, qm, matching);
  const qInputIndex = new Map(qm.inputs.map((io, i) => [io.tensor, i]));
  for (const l of localPlan) for (const t of l.feeds) if (!qInputIndex.has(t)) qWanted.add(t);
  const rt = await TfliteRuntime.load();
  const fExposed = exposeTensors(fm.file, { select: (i) => fWanted.has(i) });
  const qExposed = exposeTensors(qm.file, { select: (i) => qWanted.has(i) });
  const loaded: LoadedTflite[] = [];
  const load = (bytes: Uint8Array, name: string): LoadedTflite => {
    const m = rt.loadModel(bytes, { name });
    loaded.push(m);
    return m;
  };
  const bar = o.progress
    ? new cliProgress.SingleBar(
        { stream: process.stderr, format: 'tfconv: report {bar} {value}/{total} samples', hideCursor: true, clearOnComplete: true },
        cliProgress.Presets.shades_classic,
      )
    : null;
  try {
    const fDebug = load(writeTflite(fExposed.model), `${fm.label} (debug copy)`);
    const qDebug = load(writeTflite(qExposed.model), `${qm.label} (debug copy)`);
    const fPlain = load(fm.bytes, fm.label);
    const qPlain = load(qm.bytes, qm.label);

    // Per exposed output position: the tensor, and a buffer for its real values.
    const fBuf = new Map<number, Float64Array>();
    for (const t of fExposed.outputTensors) if (fWanted.has(t)) fBuf.set(t, new Float64Array(numElements(fm.tensors[t].shape)));
    const qBuf = new Map<number, Float64Array>();
    for (const t of qExposed.outputTensors) if (qWanted.has(t)) qBuf.set(t, new Float64Array(numElements(qm.tensors[t].shape)));
    const stats = new Map<number, ErrorStats>();
    const byQuant = new Map<number, number[]>();
    for (const l of layers) {
      if (!qBuf.has(l.tensor) || !fBuf.has(l.floatTensor as number)) continue;
      stats.set(l.tensor, new ErrorStats());
      const list = byQuant.get(l.tensor) ?? [];
      list.push(l.floatTensor as number);
      byQuant.set(l.tensor, list);
    }

    const outputs: (OutputMeasure | null)[] = matching.outputs.map((k, i) => {
      if (k < 0) return null;
      const cls = classifierRows(qm.tensors[qm.outputs[i].tensor].shape);
      return { stats: new ErrorStats(), top1: cls ? { agree: 0, rows: 0 } : null, points: [] };
    });
    const outCount = matching.outputs.map((_, i) => numElements(qm.tensors[qm.outputs[i].tensor].shape));
    // Scatter points: every value of evenly spaced samples (so each kept sample shows its whole
    // distribution, a classifier's top score included); large outputs, evenly spaced values.
    const sampleStride = outCount.map((n) => (n <= SCATTER_POINTS ? Math.max(1, Math.ceil((n * data.count) / SCATTER_POINTS)) : 1));
    const valueStride = outCount.map((n) => (n <= SCATTER_POINTS ? 1 : Math.ceil((n * data.count) / SCATTER_POINTS)));

    const inputs = qm.inputs.map(() => new ErrorStats());
    // Layers whose inputs and output the quantized debug run exposes (model inputs come from the feed).
    const alone = localPlan
      .filter((l) => l.feeds.every((t) => qBuf.has(t) || qInputIndex.has(t)) && l.outputs.every((t) => stats.has(t)))
      .map((l) => ({ ...l, model: load(l.bytes, `${fm.label}: operator of layer ${l.op} alone`) }));
    const local = new Map<number, ErrorStats>();
    for (const a of alone) for (const t of a.outputs) local.set(t, new ErrorStats());
    bar?.start(data.count, 0);
    const t0 = performance.now();
    for (let s = 0; s < data.count; s++) {
      const sample = data.sample(s);
      const fIn = fm.inputs.map((io, k) => feedValue(fm.tensors[io.tensor], sample[k]));
      const qIn = qm.inputs.map((io, i) => feedValue(qm.tensors[io.tensor], sample[feedOrder[i]]));
      qIn.forEach((v, i) => {
        const real = castTensor(sample[feedOrder[i]], 'float64', 'sample').data as Float64Array;
        inputs[i].add(real, realValues(qm.tensors[qm.inputs[i].tensor], v.data as ArrayLike<number>, new Float64Array(real.length)));
      });

      fDebug.runVisit(fIn, (k, _d, _s, view) => {
        const t = fExposed.outputTensors[k];
        const buf = fBuf.get(t);
        if (buf) realValues(fm.tensors[t], view, buf);
      });
      qDebug.runVisit(qIn, (k, _d, _s, view) => {
        const t = qExposed.outputTensors[k];
        const buf = qBuf.get(t);
        if (!buf) return;
        realValues(qm.tensors[t], view, buf);
        for (const f of byQuant.get(t) ?? []) stats.get(t)?.add(fBuf.get(f) as Float64Array, buf);
      });

      for (const a of alone) {
        const feeds = a.feeds.map((t, j) => {
          const i = qInputIndex.get(t);
          const values = i !== undefined ? realValues(qm.tensors[t], qIn[i].data as ArrayLike<number>, new Float64Array(qIn[i].data.length)) : (qBuf.get(t) as Float64Array);
          return { dtype: 'float32' as const, shape: a.model.inputs[j].shape.slice(), data: Float32Array.from(values) };
        });
        a.model.runVisit(feeds, (k, _d, _s, view) => {
          const t = a.outputs[k];
          // The float layer on the quantized inputs is the reference; the quantized layer's own values the approximation.
          // In float32, as the float layer computes: a layer that only moves values (RESHAPE) is exact.
          (local.get(t) as ErrorStats).add(view as Float32Array, Float32Array.from(qBuf.get(t) as Float64Array));
        });
      }

      // The files as they are: what an application gets.
      const fOut = fPlain.run(fIn);
      const qOut = qPlain.run(qIn);
      matching.outputs.forEach((k, i) => {
        const m = outputs[i];
        if (!m || k < 0) return;
        const ft = fm.tensors[fm.outputs[k].tensor];
        const qt = qm.tensors[qm.outputs[i].tensor];
        const ref = realValues(ft, fOut[k].data as ArrayLike<number>, new Float64Array(fOut[k].data.length));
        const got = realValues(qt, qOut[i].data as ArrayLike<number>, new Float64Array(qOut[i].data.length));
        m.stats.add(ref, got);
        if (m.top1) {
          const cls = classifierRows(qt.shape) as { rows: number; width: number };
          for (let r = 0; r < cls.rows; r++) {
            const a = r * cls.width;
            if (argmax(ref, a, a + cls.width) === argmax(got, a, a + cls.width)) m.top1.agree++;
            m.top1.rows++;
          }
        }
        if (s % sampleStride[i] === 0) {
          const base = s * outCount[i];
          for (let e = 0; e < ref.length; e++) if ((base + e) % valueStride[i] === 0 && m.points.length < SCATTER_POINTS) m.points.push([ref[e], got[e]]);
        }
      });
      bar?.increment();
    }
    const ms = performance.now() - t0;
    return { layers: stats, local, outputs, inputs, samples: data.count, description: data.description, random: data.random, ms };
  } finally {
    bar?.stop();
    for (const m of loaded) m.dispose();
  }
}
