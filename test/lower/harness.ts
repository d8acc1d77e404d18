// One-op conversion tests: build a tiny TF GraphDef (Placeholders, Consts and the op under test),
// convert it with the real pipeline (prepare -> import -> FLOAT_PIPELINE -> export -> writeTflite),
// run the .tflite in the TFLite WASM runtime and the GraphDef in the TF reference (tfjs) on the
// same seeded inputs, and compare.

import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { DType } from '../../src/core/dtype.js';
import { type TensorValue, numElements } from '../../src/core/tensor.js';
import { TfconvError } from '../../src/errors/index.js';
import { graphsToTflite } from '../../src/export/to-tflite.js';
import { graphFromGraphDef } from '../../src/graph/from-graphdef.js';
import type { Graph } from '../../src/graph/ir.js';
import { makeValue } from '../../src/graph/ops/util.js';
import { minRuntimeVersionOf } from '../../src/lower/op-versions.js';
import { runPasses } from '../../src/passes/manager.js';
import { FLOAT_PIPELINE } from '../../src/passes/pipeline.js';
import { type PreparedGraph, prepareGraphDef } from '../../src/prepare/index.js';
import { shapeToProto, tensorToProto } from '../../src/proto/tensor-proto.js';
import type { AttrValue, GraphDef, NodeDef } from '../../src/proto/types.js';
import { type TfReferenceBackend, runTfReference } from '../../src/runtime/tf-reference.js';
import { TfliteRuntime } from '../../src/runtime/tflite.js';
import { writeTflite } from '../../src/tflite/index.js';
import { makeRandomInputs, mulberry32, normals } from '../../src/verify/inputs.js';
import { a } from '../graph/ops-harness.js';

export { a };

/** Attributes most ops carry: T = dtype. */
export const T = (d: DType = 'float32'): Record<string, AttrValue> => ({ T: a.type(d) });

export class GraphDefBuilder {
  readonly nodes: NodeDef[] = [];

  private add(name: string, op: string, input: string[], attr: Record<string, AttrValue>): string {
    this.nodes.push({ name, op, input, device: '', attr });
    return name;
  }

  placeholder(name: string, dtype: DType, shape: number[]): string {
    return this.add(name, 'Placeholder', [], { dtype: a.type(dtype), shape: { value: 'shape', shape: shapeToProto(shape) } });
  }

  const(name: string, value: TensorValue): string {
    return this.add(name, 'Const', [], { dtype: a.type(value.dtype), value: { value: 'tensor', tensor: tensorToProto(value) } });
  }

  /** A float32 constant of seeded normal values. */
  weights(name: string, shape: number[], seed: number): string {
    return this.const(name, randomValue('float32', shape, seed));
  }

  op(name: string, op: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    return this.add(name, op, inputs, attrs);
  }

  build(): GraphDef {
    return { node: this.nodes, versions: { producer: 1205, min_consumer: 0, bad_consumers: [] }, version: 0, library: null };
  }
}

export const f32 = (shape: number[], data: number[]): TensorValue => makeValue('float32', shape, data);
export const i32 = (shape: number[], data: number[]): TensorValue => makeValue('int32', shape, data);
export const i64 = (shape: number[], data: number[]): TensorValue => makeValue('int64', shape, data);

/** Seeded standard-normal (float) or small non-negative (integer) values. */
export function randomValue(dtype: DType, shape: number[], seed: number): TensorValue {
  if (dtype === 'float32') return makeValue('float32', shape, normals(mulberry32(seed), numElements(shape)));
  return makeRandomInputs([{ key: 'x', dtype, shape }], seed).x;
}

/** Seeded values in [lo, hi) (positive inputs for Log, Sqrt, Rsqrt). */
export function uniformValue(shape: number[], lo: number, hi: number, seed: number): TensorValue {
  const r = mulberry32(seed);
  return makeValue('float32', shape, Array.from({ length: numElements(shape) }, () => lo + (hi - lo) * r()));
}

export interface Converted {
  graph: Graph;
  prepared: PreparedGraph;
  bytes: Uint8Array;
}

/** Convert a GraphDef with the float pipeline, as `tfconv optimize` does for a frozen graph. */
export function convert(gd: GraphDef, outputs: string[], options: { skipPasses?: string[] } = {}): Converted {
  const prepared = prepareGraphDef(gd, { outputArrays: outputs, source: 'test.pb' });
  const g = graphFromGraphDef(prepared.graphDef, {
    outputs: prepared.outputs,
    inputs: prepared.inputs.map((i) => ({ key: i.key, name: i.name })),
    source: 'test.pb',
  });
  const { graph } = runPasses(g, FLOAT_PIPELINE, { allowCustomOps: false, log: () => {} }, new Set(options.skipPasses ?? []));
  const bytes = writeTflite(graphsToTflite([graph], { description: 'test' }), { minRuntimeVersion: minRuntimeVersionOf([graph]) });
  return { graph, prepared, bytes };
}

/** The converted graph's ops as 'CONV_2D@1', in order. */
export function opsOf(c: Converted): string[] {
  return c.graph.nodes.map((n) => `${n.op.slice(4)}@${n.version}`);
}

export interface Compared {
  /** Per output: largest |tflite - tf| over every sample. */
  maxAbs: number[];
  /** Per output: largest |tf|. */
  refMax: number[];
}

/**
 * Run both sides on `samples` seeded input sets (or the given inputs) and return the errors.
 * Inputs are keyed by Placeholder name; `makeInputs(seed)` overrides the default random values.
 */
export async function compareWithTf(
  c: Converted,
  options: { samples?: number; seed?: number; makeInputs?: (seed: number) => Record<string, TensorValue>; backend?: TfReferenceBackend } = {},
): Promise<Compared> {
  const runtime = await TfliteRuntime.load();
  const model = runtime.loadModel(c.bytes, { name: 'test.tflite' });
  try {
    const sig = c.graph.signature;
    assert.ok(sig);
    const samples = options.samples ?? 2;
    const maxAbs = sig.outputs.map(() => 0);
    const refMax = sig.outputs.map(() => 0);
    for (let s = 0; s < samples; s++) {
      const seed = (options.seed ?? 7) + 101 * s;
      const byKey =
        options.makeInputs?.(seed) ??
        makeRandomInputs(sig.inputs.map((i) => ({ key: i.key, dtype: i.tensor.dtype, shape: i.tensor.shape ?? [] })), seed);
      const feeds: Record<string, TensorValue> = {};
      for (const i of c.prepared.inputs) feeds[i.name] = byKey[i.key];
      const ref = await runTfReference(c.prepared.graphDef, feeds, c.prepared.outputs.map((o) => o.name), { backend: options.backend ?? 'wasm' });
      const got = model.run(sig.inputs.map((i) => byKey[i.key]));
      got.forEach((g, k) => {
        assert.deepEqual(g.shape, ref[k].shape, `output ${k} shape`);
        const x = toNumbers(g);
        const y = toNumbers(ref[k]);
        assert.equal(x.length, y.length, `output ${k}: ${x.length} values from TFLite, ${y.length} from the TF reference`);
        for (let i = 0; i < x.length; i++) {
          const d = Math.abs(x[i] - y[i]);
          if (Number.isNaN(d) && !(Number.isNaN(x[i]) && Number.isNaN(y[i]))) maxAbs[k] = Number.POSITIVE_INFINITY;
          else if (d > maxAbs[k]) maxAbs[k] = d;
          refMax[k] = Math.max(refMax[k], Math.abs(y[i]));
        }
      });
    }
    return { maxAbs, refMax };
  } finally {
    model.dispose();
  }
}

function toNumbers(v: TensorValue): number[] {
  return Array.from(v.data as ArrayLike<number | bigint>, (x) => Number(x));
}

/**
 * Convert, check the emitted ops, compare with TF and assert every output's max abs error is
 * within `atol` (+ rtol * max |ref|). Reports the error as a test diagnostic.
 */
export async function checkOp(
  t: TestContext,
  gd: GraphDef,
  outputs: string[],
  expect: { ops: string[]; atol: number; rtol?: number; makeInputs?: (seed: number) => Record<string, TensorValue>; skipPasses?: string[] },
): Promise<Converted> {
  const c = convert(gd, outputs, { skipPasses: expect.skipPasses });
  assert.deepEqual(opsOf(c), expect.ops);
  // The tfjs wasm backend uses XNNPACK like the TFLite runtime; its plain-JS cpu backend is a
  // second, independent opinion (different kernels, different summation order).
  for (const backend of ['wasm', 'cpu'] as const) {
    const r = await compareWithTf(c, { makeInputs: expect.makeInputs, backend });
    r.maxAbs.forEach((e, k) => {
      t.diagnostic(`max abs error ${e.toExponential(2)} vs tfjs ${backend} (|ref| <= ${r.refMax[k].toPrecision(3)}) [${expect.ops.join(' ')}]`);
      assert.ok(e <= expect.atol + (expect.rtol ?? 0) * r.refMax[k], `output ${k}: max abs error ${e} > ${expect.atol} against tfjs ${backend}`);
    });
  }
  return c;
}

/** Run a converted model in the TFLite runtime only (for numbers computed by hand). */
export async function runTflite(c: Converted, inputs: TensorValue[]): Promise<TensorValue[]> {
  const runtime = await TfliteRuntime.load();
  const model = runtime.loadModel(c.bytes, { name: 'test.tflite' });
  try {
    return model.run(inputs);
  } finally {
    model.dispose();
  }
}

/** Asserts a TfconvError with `code` whose message matches `re`. */
export function assertTfconvError(fn: () => unknown, code: string, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TfconvError, `expected TfconvError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, re);
    return true;
  });
}
