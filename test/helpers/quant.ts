// Shared pieces of the quantization tests: convert + quantize a fixture in memory, run models in
// the TFLite WASM runtime, seeded inputs, and TensorFlow's semantics for graphs the TF reference
// (tfjs) cannot run faithfully (it treats FakeQuantWithMinMaxVars as an identity).

import fs from 'node:fs';
import { type ConvertOptions, convertToGraphs, exportGraphs } from '../../src/convert/convert.js';
import type { TensorValue } from '../../src/core/tensor.js';
import { graphFromGraphDef } from '../../src/graph/from-graphdef.js';
import { inferGraph } from '../../src/graph/infer.js';
import type { Graph } from '../../src/graph/ir.js';
import type { PreparedGraph } from '../../src/prepare/index.js';
import { type QuantizeOptions, quantizeGraphs } from '../../src/quantize/index.js';
import { type LoadedTflite, TfliteRuntime } from '../../src/runtime/tflite.js';
import type { TfliteModel } from '../../src/tflite/index.js';
import { SHARED_DIR } from './shared.js';

export interface Converted {
  graphs: Graph[];
  prepared: PreparedGraph[];
  bytes: Uint8Array;
  model: TfliteModel;
  notes: string[];
}

/** Convert a fixture, optionally quantize it, and export: all in memory. */
export async function convertQuantized(model: string, quantize: QuantizeOptions | null, options: ConvertOptions = {}): Promise<Converted> {
  const c = convertToGraphs(model, options);
  const notes = [...c.notes];
  let graphs = c.graphs;
  if (quantize) {
    const q = await quantizeGraphs(c, quantize, { log: () => {}, progress: false });
    graphs = q.graphs;
    notes.push(...q.notes);
  }
  const exported = exportGraphs(graphs);
  return { graphs, prepared: c.prepared, bytes: exported.bytes, model: exported.model, notes };
}

/** Load bytes in the TFLite WASM runtime; disposed when the test ends. */
export async function loadTflite(t: { after(fn: () => void): void }, bytes: Uint8Array, name = 'model'): Promise<LoadedTflite> {
  const rt = await TfliteRuntime.load();
  const m = rt.loadModel(bytes, { name });
  t.after(() => m.dispose());
  return m;
}

export { seededFloats } from './random.js';

/** Index of the largest value. */
export function argmax(xs: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}

/** The rows of a float32 .npy under shared/data (first dimension = row). */
export function npyRows(rel: string, decode: (bytes: Uint8Array, file: string) => TensorValue): { rows: Float32Array[]; shape: number[] } {
  const file = `${SHARED_DIR}/data/${rel}`;
  const v = decode(fs.readFileSync(file), file);
  const per = v.shape.slice(1).reduce((a, b) => a * b, 1);
  const data = v.data as Float32Array;
  return { rows: Array.from({ length: v.shape[0] }, (_, i) => data.slice(i * per, (i + 1) * per)), shape: v.shape.slice(1) };
}

/**
 * What TensorFlow computes for a prepared (frozen, cut) graph on `inputs`, by tfconv's own op
 * semantics (every op evaluated in float64 and rounded as TF's float32 kernels do).
 */
export function tfSemantics(p: PreparedGraph, inputs: Record<string, TensorValue>): TensorValue[] {
  const g = graphFromGraphDef(p.graphDef, {
    outputs: p.outputs.map((o) => ({ key: o.key, name: o.name })),
    inputs: p.inputs.map((i) => ({ key: i.key, name: i.name })),
    source: 'test',
  });
  for (const t of g.inputs) {
    const key = g.signature?.inputs.find((i) => i.tensor === t)?.key ?? t.name;
    const v = inputs[key];
    if (!v) throw new Error(`no value for input ${key}`);
    t.value = v;
    t.shape = v.shape.slice();
  }
  const { tensors } = inferGraph(g, { maxValueElements: Number.POSITIVE_INFINITY });
  return g.outputs.map((t) => {
    const v = t.value ?? tensors.get(t)?.value;
    if (!v) throw new Error(`output ${t.name} was not computed`);
    return v;
  });
}
