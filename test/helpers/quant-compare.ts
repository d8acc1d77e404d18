// Running a float model and its quantized version on the same float inputs in the real TFLite
// runtime, and measuring how close they are: quantized inputs/outputs (int8, uint8) are
// quantized / dequantized with the parameters stored in the file, as an application would.

import type { TensorValue } from '../../src/core/tensor.js';
import { quantizeValue } from '../../src/quantize/math.js';
import { buildReport } from '../../src/report/report.js';
import { TfliteRuntime } from '../../src/runtime/tflite.js';
import { readTflite } from '../../src/tflite/index.js';

export interface IoQuant {
  dtype: string;
  scale: number;
  zeroPoint: number;
}

/** dtype and (first) quantization parameters of each model input and output, from the file. */
export function ioQuant(bytes: Uint8Array): { inputs: IoQuant[]; outputs: IoQuant[] } {
  const m = readTflite(bytes, 'model');
  const sg = m.subgraphs[0];
  const info = (i: number): IoQuant => {
    const t = sg.tensors[i];
    const q = t.quantization;
    const dtype = ['float32', 'float16', 'int32', 'uint8', 'int64', 'string', 'bool', 'int16', 'complex64', 'int8'][t.type] ?? String(t.type);
    return { dtype, scale: q?.scale[0] ?? 0, zeroPoint: Number(q?.zeroPoint[0] ?? 0) };
  };
  return { inputs: sg.inputs.map(info), outputs: sg.outputs.map(info) };
}

/** A float input as the model wants it (quantized with the input's parameters when int8/uint8). */
export function feed(x: TensorValue, q: IoQuant): TensorValue {
  if (q.dtype === 'float32') return x;
  const range = q.dtype === 'int8' ? { qmin: -128, qmax: 127 } : { qmin: 0, qmax: 255 };
  const src = x.data as Float32Array;
  const data = q.dtype === 'int8' ? new Int8Array(src.length) : new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) data[i] = quantizeValue(src[i], q.scale, q.zeroPoint, range);
  return { dtype: q.dtype as TensorValue['dtype'], shape: x.shape.slice(), data };
}

/** An output as floats (dequantized when int8/uint8). */
export function readOut(y: TensorValue, q: IoQuant): Float64Array {
  const d = y.data as ArrayLike<number>;
  if (y.dtype !== 'int8' && y.dtype !== 'uint8') return Float64Array.from(d);
  return Float64Array.from(d, (v) => (v - q.zeroPoint) * q.scale);
}

export interface Agreement {
  /** Fraction of samples whose arg-max (first maximum) agrees. */
  top1: number;
  /** 10 log10(sum ref^2 / sum (ref - q)^2) over every output value of every sample. */
  sqnr: number;
  /** Largest |ref - q|. */
  maxAbs: number;
  samples: number;
}

/** Run both models on every sample (one float tensor per input) and compare output 0. */
export async function compareModels(floatBytes: Uint8Array, quantBytes: Uint8Array, samples: TensorValue[][]): Promise<Agreement> {
  const rt = await TfliteRuntime.load();
  const f = rt.loadModel(floatBytes, { name: 'float' });
  const q = rt.loadModel(quantBytes, { name: 'quantized' });
  const io = ioQuant(quantBytes);
  let agree = 0;
  let signal = 0;
  let noise = 0;
  let maxAbs = 0;
  try {
    for (const s of samples) {
      const ref = Float64Array.from(f.run(s)[0].data as ArrayLike<number>);
      const got = readOut(q.run(s.map((x, i) => feed(x, io.inputs[i])))[0], io.outputs[0]);
      if (argmax(ref) === argmax(got)) agree++;
      for (let k = 0; k < ref.length; k++) {
        signal += ref[k] * ref[k];
        const d = ref[k] - got[k];
        noise += d * d;
        if (Math.abs(d) > maxAbs) maxAbs = Math.abs(d);
      }
    }
  } finally {
    f.dispose();
    q.dispose();
  }
  return { top1: agree / samples.length, sqnr: 10 * Math.log10(signal / noise), maxAbs, samples: samples.length };
}

export function argmax(v: ArrayLike<number>): number {
  let b = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[b]) b = i;
  return b;
}

/** Samples of a [N, ...] float array shaped as `shape` (one input). */
export function rows(arr: TensorValue, shape: number[]): TensorValue[][] {
  const per = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: arr.shape[0] }, (_, i) => [
    { dtype: 'float32' as const, shape: shape.slice(), data: (arr.data as Float32Array).subarray(i * per, (i + 1) * per) },
  ]);
}

/**
 * Per-layer SQNR (dB) of a quantized model against the float model: the outputs of its main
 * operators (QUANTIZE / DEQUANTIZE skipped), in graph order, each against the float tensor the
 * report matched it with (src/report: both models run with every intermediate tensor exposed).
 */
export async function layerSqnr(floatBytes: Uint8Array, quantBytes: Uint8Array, samples: TensorValue[][]): Promise<{ op: string; sqnr: number }[]> {
  const r = await buildReport({ bytes: floatBytes, file: 'float' }, { bytes: quantBytes, file: 'quantized' }, { samples });
  const main = r.layers.filter((l) => l.op !== 'QUANTIZE');
  const unmatched = main.filter((l) => l.sqnr === null && !l.identical);
  if (unmatched.length) throw new Error(`layers without a float counterpart: ${unmatched.map((l) => `#${l.index} ${l.op}`).join(', ')}`);
  return main.map((l) => ({ op: l.op, sqnr: l.identical ? Infinity : (l.sqnr as number) }));
}
