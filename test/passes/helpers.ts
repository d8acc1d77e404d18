// Running one pass of the float pipeline in isolation: the graph exactly as the pipeline hands it
// to the pass (every pass before its first occurrence has run), a structural fingerprint for
// "unchanged" assertions, and the graph written as a .tflite and run in the real TFLite runtime,
// so a test can compare the model before and after the pass on the same inputs.

import assert from 'node:assert/strict';
import { type TensorValue, toFloat64 } from '../../src/core/tensor.js';
import { graphsToTflite } from '../../src/export/to-tflite.js';
import { graphFromGraphDef } from '../../src/graph/from-graphdef.js';
import type { Graph, Tensor } from '../../src/graph/ir.js';
import { minRuntimeVersionOf } from '../../src/lower/op-versions.js';
import { chooseOpVersions } from '../../src/passes/choose-op-versions.js';
import { runPasses } from '../../src/passes/manager.js';
import type { Pass, PassContext } from '../../src/passes/pass.js';
import { FLOAT_PIPELINE } from '../../src/passes/pipeline.js';
import { type PreparedGraph, prepareGraphDef } from '../../src/prepare/index.js';
import type { GraphDef } from '../../src/proto/types.js';
import { TfliteRuntime } from '../../src/runtime/tflite.js';
import { writeTflite } from '../../src/tflite/index.js';
import { makeRandomInputs } from '../../src/verify/inputs.js';
import { type GraphDefBuilder, T, a } from '../lower/harness.js';

export const ctx: PassContext = { allowCustomOps: false, log: () => {} };

export interface Imported {
  graph: Graph;
  prepared: PreparedGraph;
}

/** A GraphDef prepared and imported as `tfconv optimize` does for a frozen graph (no pass run yet). */
export function importGraphDef(gd: GraphDef, outputs: string[], options: { inputShapes?: Record<string, number[]> } = {}): Imported {
  const prepared = prepareGraphDef(gd, { outputArrays: outputs, source: 'test.pb' });
  const graph = graphFromGraphDef(prepared.graphDef, {
    outputs: prepared.outputs,
    inputs: prepared.inputs.map((i) => ({ key: i.key, name: i.name })),
    inputShapes: options.inputShapes,
    source: 'test.pb',
  });
  return { graph, prepared };
}

/**
 * The graph as the float pipeline hands it to `pass` (its first occurrence): imported, then every
 * pass listed before it run, except those named in `skip`.
 */
export function graphBefore(gd: GraphDef, outputs: string[], pass: Pass, skip: string[] = []): Graph {
  const { graph } = importGraphDef(gd, outputs);
  const at = FLOAT_PIPELINE.indexOf(pass);
  assert.ok(at >= 0, `${pass.name} is not in the float pipeline`);
  return runPasses(graph, FLOAT_PIPELINE.slice(0, at), ctx, new Set(skip)).graph;
}

/**
 * One line per node (op, inputs, outputs, options) and the graph outputs: equal means unchanged.
 * Tensors are named and numbered by identity, so reading another tensor of the same name shows.
 */
export function structure(g: Graph): string[] {
  const ids = new Map<Tensor, number>();
  const name = (t: Tensor | null) => {
    if (!t) return '-';
    if (!ids.has(t)) ids.set(t, ids.size);
    return `${t.name}#${ids.get(t)}${t.isConstant ? '=const' : ''}`;
  };
  for (const t of g.inputs) name(t);
  return [
    ...g.nodes.map((n) => `${n.op}(${n.inputs.map(name).join(', ')}) -> ${n.outputs.map(name).join(', ')} ${JSON.stringify(n.options)}`),
    `outputs: ${g.outputs.map(name).join(', ')}`,
  ];
}

/** The ops of a graph, without the 'tfl.' prefix. */
export function ops(g: Graph): string[] {
  return g.nodes.map((n) => n.op.replace(/^tfl\./, ''));
}

/** Apply `pass` once and assert it rewrote nothing and left the graph as it was. */
export function assertUnchanged(pass: Pass, g: Graph, why: string): void {
  const before = structure(g);
  const r = pass.apply(g, ctx);
  assert.equal(r.rewrites, 0, `${pass.name}: ${why}`);
  assert.deepEqual(structure(r.graph), before, `${pass.name}: ${why}`);
}

/** A graph of TFLite ops as .tflite bytes, op versions chosen as the pipeline's last pass does. */
export function tfliteBytes(g: Graph): Uint8Array {
  chooseOpVersions.apply(g, ctx);
  return writeTflite(graphsToTflite([g], { description: 'test' }), { minRuntimeVersion: minRuntimeVersionOf([g]) });
}

/** Run .tflite bytes once in the TFLite runtime. */
export async function runBytes(bytes: Uint8Array, inputs: readonly TensorValue[]): Promise<TensorValue[]> {
  const runtime = await TfliteRuntime.load();
  const model = runtime.loadModel(bytes, { name: 'test.tflite' });
  try {
    return model.run(inputs);
  } finally {
    model.dispose();
  }
}

/** Seeded inputs for a graph's inputs, in its input order (float values times `scale`). */
export function inputsFor(g: Graph, seed: number, scale = 1): TensorValue[] {
  const specs = g.inputs.map((t, i) => ({ key: `in${i}`, dtype: t.dtype, shape: t.shape ?? [] }));
  const byKey = makeRandomInputs(specs, seed);
  return specs.map((s) => {
    const v = byKey[s.key];
    if (scale === 1 || v.dtype !== 'float32') return v;
    return { ...v, data: (v.data as Float32Array).map((x) => x * scale) };
  });
}

/**
 * Largest |a - b| over every output of two models run in the TFLite runtime on the same seeded
 * inputs (`samples` sets), and the largest |a|; outputs must agree in number, dtype and shape.
 */
export async function maxDiff(a: Uint8Array, b: Uint8Array, inputs: (seed: number) => TensorValue[], samples = 2): Promise<{ diff: number; max: number }> {
  let diff = 0;
  let max = 0;
  for (let s = 0; s < samples; s++) {
    const feed = inputs(11 + 97 * s);
    const x = await runBytes(a, feed);
    const y = await runBytes(b, feed);
    assert.equal(x.length, y.length, 'output count');
    x.forEach((xv, k) => {
      assert.equal(xv.dtype, y[k].dtype, `output ${k} dtype`);
      assert.deepEqual(xv.shape, y[k].shape, `output ${k} shape`);
      const p = toFloat64(xv);
      const q = toFloat64(y[k]);
      for (let i = 0; i < p.length; i++) {
        diff = Math.max(diff, Math.abs(p[i] - q[i]));
        max = Math.max(max, Math.abs(p[i]));
      }
    });
  }
  return { diff, max };
}

/**
 * The numeric case of a TFLite-level pass: write the graph before the pass, run the pass as the
 * pipeline does (to a fixed point unless idempotent), write it after, and return the rewrites, the
 * largest output difference in the TFLite runtime and the largest output magnitude.
 */
export async function beforeAfter(
  pass: Pass,
  g: Graph,
  options: { samples?: number; scale?: number } = {},
): Promise<{ rewrites: number; diff: number; max: number; before: Uint8Array; after: Uint8Array }> {
  const before = tfliteBytes(g);
  const inputs = g.inputs.slice();
  const feed = (seed: number) => inputsFor(g, seed, options.scale);
  const { runs } = runPasses(g, [pass], ctx);
  assert.deepEqual(g.inputs, inputs, 'a pass keeps the graph inputs');
  const after = tfliteBytes(g);
  return { rewrites: runs[0].rewrites, ...(await maxDiff(before, after, feed, options.samples)), before, after };
}

export type Layer = 'conv' | 'depthwise' | 'fc';

/**
 * A placeholder `x` into a conv (3x3 SAME, 2 -> 3 channels), a depthwise conv (multiplier 2:
 * 2 -> 4 channels) or a MatMul (5 -> 3 units), with a BiasAdd when asked; seeded weights.
 */
export function layer(b: GraphDefBuilder, kind: Layer, bias = false): { y: string; channels: number } {
  const conv = { ...T(), padding: a.s('SAME'), strides: a.ints([1, 1, 1, 1]), data_format: a.s('NHWC') };
  let y: string;
  let channels: number;
  if (kind === 'fc') {
    const x = b.placeholder('x', 'float32', [2, 5]);
    y = b.op('layer', 'MatMul', [x, b.weights('w', [5, 3], 1)], { ...T(), transpose_a: a.b(false), transpose_b: a.b(false) });
    channels = 3;
  } else {
    const x = b.placeholder('x', 'float32', [1, 6, 6, 2]);
    const depthwise = kind === 'depthwise';
    y = b.op('layer', depthwise ? 'DepthwiseConv2dNative' : 'Conv2D', [x, b.weights('w', [3, 3, 2, depthwise ? 2 : 3], 1)], conv);
    channels = depthwise ? 4 : 3;
  }
  if (bias) y = b.op('biased', 'BiasAdd', [y, b.weights('bias', [channels], 2)], { ...T(), data_format: a.s('NHWC') });
  return { y, channels };
}
