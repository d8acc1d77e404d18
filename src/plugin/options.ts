// The options a model takes in a bundle: from an import query (`./models/kws?tflite&quantize=int8`,
// the CLI's flag names) or from an entry of the plugin's `models` list (camelCase), mapped onto
// OptimizeOptions. A documented subset of `tfconv optimize`'s options: those that decide what the
// model is, not how the CLI prints.

import path from 'node:path';
import type { OptimizeOptions } from '../api/optimize.js';
import { err } from '../errors/index.js';
import type { QuantizeMode } from '../quantize/options.js';

export interface TfconvModelOptions {
  /** MetaGraph tag-set, comma-separated (default 'serve'). */
  tagSet?: string;
  /** Signature keys to convert (default serving_default). */
  signatures?: string[];
  /** Convert every serving signature. */
  allSignatures?: boolean;
  /** Cut points (tensor names). */
  inputArrays?: string[];
  outputArrays?: string[];
  /** Fixed input shapes by input key or tensor name. */
  inputShapes?: Record<string, number[]>;
  /** Write ops TFLite lacks as CUSTOM ops instead of failing. */
  allowCustomOps?: boolean;
  /** Quantize: dynamic (int8 weights), int8 (full integer) or float16. */
  quantize?: QuantizeMode;
  /** int8 calibration data (.npy, .npz, .json, an image directory, or 'random'); relative to the importer or root. */
  representative?: string;
  /** Use at most this many representative samples. */
  calibrationSamples?: number;
  /** Seed for `representative: 'random'`. */
  seed?: number;
}

/** Query keys (the CLI's flag names) and how each is read. */
const QUERY_KEYS: Record<string, (o: TfconvModelOptions, values: string[], fail: (problem: string) => never) => void> = {
  'tag-set': (o, v) => (o.tagSet = last(v)),
  signature: (o, v) => (o.signatures = v.flatMap(csv)),
  'all-signatures': (o, v, fail) => (o.allSignatures = bool(last(v), fail)),
  'input-arrays': (o, v) => (o.inputArrays = v.flatMap(csv)),
  'output-arrays': (o, v) => (o.outputArrays = v.flatMap(csv)),
  'input-shape': (o, v, fail) => (o.inputShapes = parseShapes(v, fail)),
  'allow-custom-ops': (o, v, fail) => (o.allowCustomOps = bool(last(v), fail)),
  quantize: (o, v) => (o.quantize = last(v) as QuantizeMode),
  representative: (o, v) => (o.representative = last(v)),
  'calibration-samples': (o, v, fail) => (o.calibrationSamples = int(last(v), fail)),
  seed: (o, v, fail) => (o.seed = int(last(v), fail)),
};

export const QUERY_OPTION_NAMES: readonly string[] = Object.keys(QUERY_KEYS);

/** `tflite&quantize=int8&signature=a,b` -> options; `model` names the import in errors. */
export function parseModelQuery(query: string, model: string): TfconvModelOptions {
  const params = new URLSearchParams(query);
  const o: TfconvModelOptions = {};
  for (const key of new Set(params.keys())) {
    if (key === 'tflite') continue;
    const read = QUERY_KEYS[key];
    if (!read) throw err.badModelQuery(model, key, `not an option of ?tflite imports; options: ${QUERY_OPTION_NAMES.join(', ')}`);
    read(o, params.getAll(key), (problem) => {
      throw err.badModelQuery(model, key, problem);
    });
  }
  return o;
}

/** The OptimizeOptions for a model; a relative representative path is taken from `baseDir`. */
export function toOptimizeOptions(o: TfconvModelOptions, baseDir: string): OptimizeOptions {
  const out: OptimizeOptions = {};
  if (o.tagSet !== undefined) out.tagSet = o.tagSet;
  if (o.signatures?.length) out.signatures = o.signatures;
  if (o.allSignatures) out.allSignatures = true;
  if (o.inputArrays?.length) out.inputArrays = o.inputArrays;
  if (o.outputArrays?.length) out.outputArrays = o.outputArrays;
  if (o.inputShapes && Object.keys(o.inputShapes).length) out.inputShapes = o.inputShapes;
  if (o.allowCustomOps) out.allowCustomOps = true;
  if (o.quantize !== undefined) {
    out.quantize = { mode: o.quantize };
    if (o.representative !== undefined) {
      out.quantize.representative = o.representative === 'random' ? 'random' : path.resolve(baseDir, o.representative);
    }
    if (o.calibrationSamples !== undefined) out.quantize.calibrationSamples = o.calibrationSamples;
    if (o.seed !== undefined) out.quantize.seed = o.seed;
  }
  return out;
}

function last(v: string[]): string {
  return v[v.length - 1] ?? '';
}

function csv(s: string): string[] {
  return s.split(',').map((x) => x.trim()).filter(Boolean);
}

function bool(s: string, fail: (problem: string) => never): boolean {
  if (s === '' || s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  return fail(`'${s}' is not true or false`);
}

function int(s: string, fail: (problem: string) => never): number {
  const n = Number(s);
  if (s === '' || !Number.isInteger(n)) fail(`'${s}' is not an integer`);
  return n;
}

/** `NAME=1,49,10,1` (repeatable) -> { NAME: [1, 49, 10, 1] }. */
function parseShapes(specs: string[], fail: (problem: string) => never): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const spec of specs) {
    const m = /^(.+)=([\d,\s]*)$/.exec(spec);
    if (!m) fail(`'${spec}' is not NAME=D1,D2,...`);
    const [, name, dims] = m as RegExpExecArray;
    const list = dims.split(',').map((d) => d.trim()).filter((d) => d !== '').map(Number);
    if (list.some((d) => !Number.isInteger(d) || d < 0)) fail(`'${spec}' has a dimension that is not a non-negative integer`);
    out[name] = list;
  }
  return out;
}
