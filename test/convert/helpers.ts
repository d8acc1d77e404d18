// Shared code of the converter tests: convert a real fixture into a temporary directory (optionally
// verifying it against the TF reference), read the written file back, and the structural checks
// every converted model must pass (static shapes, operator histogram).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { type OptimizeOptions, type OptimizeResult, optimize } from '../../src/api/optimize.js';
import type { TensorValue } from '../../src/core/tensor.js';
import { toFloat64 } from '../../src/core/tensor.js';
import { TfliteRuntime } from '../../src/runtime/tflite.js';
import { BuiltinOperator, type TfliteModel, builtinCodeOf, operatorName, readTfliteFile } from '../../src/tflite/index.js';
import { signatureModel } from '../../src/verify/verify.js';
import { writeTflite } from '../../src/tflite/index.js';
import { fixture, need } from '../helpers/shared.js';
import { tmpDir } from '../helpers/tmp.js';

export interface Converted {
  result: OptimizeResult;
  /** The written file, read back with src/tflite. */
  model: TfliteModel;
  bytes: Uint8Array;
  file: string;
}

/** Convert `rel` (under shared/fixtures) into a temporary file; null (test skipped) when missing. */
export async function convertFixture(t: TestContext, rel: string, options: Omit<OptimizeOptions, 'output'> = {}): Promise<Converted | null> {
  const src = fixture(rel);
  if (!need(t, src)) return null;
  const file = path.join(tmpDir(t), 'model.tflite');
  const result = await optimize(src, { ...options, output: file });
  const { model, bytes } = readTfliteFile(file);
  return { result, model, bytes, file };
}

/** Operator histogram of every subgraph, by TFLite op name (custom ops by their custom code). */
export function opCounts(model: TfliteModel): Record<string, number> {
  const out: Record<string, number> = {};
  for (const sg of model.subgraphs) {
    for (const op of sg.operators) {
      const name = operatorName(model.operatorCodes[op.opcodeIndex]);
      out[name] = (out[name] ?? 0) + 1;
    }
  }
  return out;
}

/** Operators, not counting QUANTIZE/DEQUANTIZE (the edges of an int8 model). */
export function computeOpCount(model: TfliteModel): number {
  let n = 0;
  for (const sg of model.subgraphs) {
    for (const op of sg.operators) {
      const code = builtinCodeOf(model.operatorCodes[op.opcodeIndex]);
      if (code !== BuiltinOperator.QUANTIZE && code !== BuiltinOperator.DEQUANTIZE) n++;
    }
  }
  return n;
}

/** Every tensor of every subgraph has a rank and a shape without unknown dimensions. */
export function assertStaticShapes(model: TfliteModel): void {
  for (const sg of model.subgraphs) {
    for (const tensor of sg.tensors) {
      assert.ok(tensor.hasRank, `tensor '${tensor.name}' has a rank`);
      assert.ok(
        tensor.shape.every((d) => Number.isInteger(d) && d >= 0),
        `tensor '${tensor.name}' has a static shape, got [${tensor.shape.join(',')}]`,
      );
      if (tensor.shapeSignature.length) {
        assert.equal(tensor.shapeSignature.length, tensor.shape.length, `tensor '${tensor.name}': shape_signature has the shape's rank`);
        tensor.shapeSignature.forEach((d, i) => assert.ok(d === -1 || d === tensor.shape[i], `tensor '${tensor.name}': signature dim ${i}`));
      }
    }
  }
}

/** [shape, shape_signature] of each input (or output) of subgraph `sub`, in order. */
export function ioShapes(model: TfliteModel, which: 'inputs' | 'outputs', sub = 0): [number[], number[]][] {
  const sg = model.subgraphs[sub];
  return sg[which].map((i) => [sg.tensors[i].shape, sg.tensors[i].shapeSignature]);
}

/** The SignatureDefs of a model as [key, subgraph, input keys, output keys]. */
export function signatureDefs(model: TfliteModel): [string, number, string[], string[]][] {
  return model.signatureDefs.map((d) => [d.signatureKey ?? '', d.subgraphIndex, d.inputs.map((m) => m.name ?? ''), d.outputs.map((m) => m.name ?? '')]);
}

/** Run one signature's subgraph, extracted alone from the written model, in the real runtime. */
export async function runSignature(model: TfliteModel, key: string, inputs: Record<string, TensorValue>): Promise<Record<string, TensorValue>> {
  const sig = signatureModel(model, key);
  const runtime = await TfliteRuntime.load();
  const m = runtime.loadModel(writeTflite(sig.model), { name: key });
  try {
    const got = m.run(sig.inputs.map((k) => inputs[k]));
    return Object.fromEntries(sig.outputs.map((k, i) => [k, got[i]]));
  } finally {
    m.dispose();
  }
}

/** Run a .tflite file (subgraph 0) on inputs given by position. */
export async function runTfliteFile(file: string, inputs: TensorValue[]): Promise<TensorValue[]> {
  const runtime = await TfliteRuntime.load();
  const m = runtime.loadModel(fs.readFileSync(file), { name: path.basename(file) });
  try {
    return m.run(inputs);
  } finally {
    m.dispose();
  }
}

/** Largest |a - b| over all elements (shapes must hold as many elements). */
export function maxAbsDiff(a: TensorValue, b: TensorValue): number {
  const x = toFloat64(a);
  const y = toFloat64(b);
  assert.equal(x.length, y.length, 'same number of elements');
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

export function f32(shape: number[], values: ArrayLike<number>): TensorValue {
  return { dtype: 'float32', shape, data: Float32Array.from(values) };
}

/** The verification of a result passed, every output compared (none skipped) unless allowed. */
export function assertVerified(r: OptimizeResult, opts: { allowSkipped?: boolean } = {}): void {
  assert.ok(r.verify, 'verification ran');
  for (const o of r.verify.outputs) {
    if (!opts.allowSkipped) assert.equal(o.skipped, undefined, `${o.signature}/${o.output} compared`);
    assert.ok(o.pass, `${o.signature}/${o.output}: max abs ${o.maxAbs} within atol ${r.verify.atol} + rtol ${r.verify.rtol} x ${o.refMax}`);
  }
}
