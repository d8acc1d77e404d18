// A tiny app on disk for the bundler tests: package.json (so the cache lands in the app's own
// node_modules/.cache/tfconv), index.html, src/*.js, and a copy of a real SavedModel in models/
// (a copy, so tests can change its files without touching ../shared).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { optimize, run } from '../../src/api/index.js';
import { TfliteRuntime } from '../../src/runtime/tflite.js';
import { fixture } from '../helpers/shared.js';
import { tmpDir } from '../helpers/tmp.js';

export const KWS = fixture('mlcommons-tiny-kws/kws_ref_model');
export const SMALL = fixture('tf-rust-keras/keras_single_input_saved_model');

export interface App {
  root: string;
  /** The copied model directory. */
  kws: string;
}

export function makeApp(t: TestContext, files: Record<string, string>): App {
  const root = tmpDir(t, 'tfconv-plugin-app-');
  fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  const kws = path.join(root, 'models', 'kws');
  fs.cpSync(KWS, kws, { recursive: true });
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return { root, kws };
}

/** A SavedModel whose saved_model.pb is cut short: conversion fails with BAD_PROTOBUF. */
export function addBrokenModel(app: App): string {
  const dir = path.join(app.root, 'models', 'broken');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'saved_model.pb'), fs.readFileSync(path.join(app.kws, 'saved_model.pb')).subarray(0, 3000));
  return dir;
}

/** Files under `dir` (relative paths), recursively. */
export function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

/** The bytes `optimize` writes for the model directly (what the bundle must ship). */
export async function directBytes(t: TestContext, model: string): Promise<Buffer> {
  const out = path.join(tmpDir(t, 'tfconv-plugin-direct-'), 'direct.tflite');
  await optimize(model, { output: out });
  return fs.readFileSync(out);
}

/**
 * Loads the emitted .tflite in the real TFLite runtime and runs it on seeded MFCC-shaped input;
 * the output must be a softmax over 12 classes that matches the TF reference on the SavedModel.
 */
export async function checkRunsLikeReference(bytes: Uint8Array, savedModel: string): Promise<void> {
  const n = 49 * 10;
  const data = new Float32Array(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    data[i] = ((x >>> 8) / 0xffffff) * 2 - 1;
  }
  const input = { dtype: 'float32' as const, shape: [1, 49, 10, 1], data };
  const rt = await TfliteRuntime.load();
  const model = rt.loadModel(bytes, { name: 'emitted asset' });
  let got: Float32Array;
  try {
    assert.deepEqual(model.inputs.map((i) => i.shape), [[1, 49, 10, 1]]);
    const [out] = model.run([input]);
    assert.deepEqual(out.shape, [1, 12]);
    got = out.data as Float32Array;
  } finally {
    model.dispose();
  }
  const sum = got.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-4, `softmax sums to ${sum}`);
  const [ref] = await run(savedModel, { inputs: { input_1: input } });
  const want = ref.value.data as Float32Array;
  let maxAbs = 0;
  for (let i = 0; i < 12; i++) maxAbs = Math.max(maxAbs, Math.abs(got[i] - want[i]));
  assert.ok(maxAbs < 1e-5, `TFLite vs TF reference: max abs ${maxAbs}`);
}

/** Collects the plugin's log lines, and counts conversions and cache hits. */
export class PluginLog {
  lines: string[] = [];
  log = (m: string): void => {
    this.lines.push(m);
  };
  get converted(): number {
    return this.lines.filter((l) => / converted in /.test(l)).length;
  }
  get fromCache(): number {
    return this.lines.filter((l) => /: from cache /.test(l)).length;
  }
  reset(): void {
    this.lines = [];
  }
}
