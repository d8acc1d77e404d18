// run(): run a model on given inputs and return its outputs, as saved_model_cli run does. A .tflite
// runs in the real TFLite interpreter (WASM); a frozen GraphDef, or a SavedModel signature
// (inlined and frozen first), in the TF reference (tfjs). `tfconv run` is a thin layer over this
// that parses flags, prints and saves.

import fs from 'node:fs';
import { type DType, dtypeFromTf, isFloat } from '../core/dtype.js';
import type { TensorValue } from '../core/tensor.js';
import { err } from '../errors/index.js';
import { castTensor, isCastable, readTensorSource, tensorFromJson } from '../io/index.js';
import { type GraphDef, GraphDefCodec } from '../proto/index.js';
import { loadForConversion } from '../convert/load.js';
import { detectModel } from '../readers/detect.js';
import { parseTensorName, runTfReference } from '../runtime/tf-reference.js';
import { TfliteRuntime, type TfliteTensorInfo } from '../runtime/tflite.js';

export type { TensorValue } from '../core/tensor.js';

/**
 * One input value: a tensor, a tensor file (`{ file: 'x.npy' }`, `'x.npz:key'`, `'x.json:key'`) or
 * a JSON literal of nested arrays (`{ json: [[1.57]] }`). Values are converted to the dtype the
 * model wants when that loses nothing (e.g. float64 to float32), and refused otherwise.
 */
export type RunInput = TensorValue | { file: string } | { json: unknown };

export interface RunOptions {
  /** Inputs by key: a .tflite input's tensor name (with or without ':0', or its signature key),
   * a SavedModel signature's input key, or a GraphDef tensor name. */
  inputs?: Record<string, RunInput>;
  /** Output tensors to fetch (GraphDef: required unless the graph has clear outputs). */
  outputs?: string[];
  /** SavedModel: MetaGraph tag-set (default serve). */
  tagSet?: string;
  /** SavedModel: the signature to run (default serving_default). */
  signature?: string;
  /** Notes for the user (a TF Serving version chosen, outputs skipped). */
  log?: (note: string) => void;
}

export interface NamedTensor {
  name: string;
  value: TensorValue;
}

/** An input as the CLI or the API gives it; `flag` names the option in error messages. */
export interface InputSpec {
  key: string;
  /** A file source ("x.npy", "x.npz:key"). */
  file?: string;
  /** A parsed JSON literal. */
  json?: unknown;
  value?: TensorValue;
  flag: 'input' | 'input-exprs';
}

/** Runs `model` (a .tflite, a SavedModel directory or a frozen GraphDef .pb) and returns its outputs in order. */
export async function run(model: string, options: RunOptions = {}): Promise<NamedTensor[]> {
  const specs: InputSpec[] = Object.entries(options.inputs ?? {}).map(([key, v]) => toSpec(key, v));
  if (options.outputs !== undefined && options.outputs.length === 0) throw err.badOption('output-arrays', 'no tensor names given');
  return runModel(model, specs, options);
}

function toSpec(key: string, v: RunInput): InputSpec {
  if ('file' in v && typeof v.file === 'string') return { key, file: v.file, flag: 'input' };
  if ('json' in v) return { key, json: v.json, flag: 'input-exprs' };
  if ('dtype' in v && 'shape' in v && 'data' in v) return { key, value: v, flag: 'input' };
  throw err.badInput(key, 'expected a tensor ({ dtype, shape, data }), { file } or { json }');
}

/** The core of run() and `tfconv run`: inputs already parsed, fetches already split. */
export async function runModel(
  modelPath: string,
  inputs: InputSpec[],
  options: Omit<RunOptions, 'inputs'> = {},
): Promise<NamedTensor[]> {
  const log = options.log ?? (() => {});
  const detected = detectModel(modelPath);
  if (detected.note) log(detected.note);
  if (detected.kind === 'tflite') return runTflite(detected.path, inputs, options.outputs, log);
  if (detected.kind === 'graphdef') return runGraphDef(detected.path, inputs, options.outputs);
  return runSavedModel(detected.path, inputs, options.signature, options.tagSet);
}

/** An input's value, in the dtype the model wants (values checked, never clamped). */
function loadInput(arg: InputSpec, want: DType | null, what: string): TensorValue {
  if (arg.json !== undefined) return tensorFromJson(arg.json, what, want ?? undefined);
  const v = arg.value ?? readTensorSource(arg.file as string);
  if (want === null || v.dtype === want) return v;
  if (isCastable(v.dtype) && isCastable(want) && (isFloat(want) || !isFloat(v.dtype))) return castTensor(v, want, what);
  throw err.badInput(arg.key, `expected ${want}, got ${v.dtype}${arg.file !== undefined ? ` from ${arg.file}` : ''}`);
}

// --- TFLite ----------------------------------------------------------------------------------

async function runTflite(file: string, inputs: InputSpec[], fetches: string[] | undefined, log: (note: string) => void): Promise<NamedTensor[]> {
  const bytes = fs.readFileSync(file);
  const rt = await TfliteRuntime.load();
  const model = rt.loadModel(bytes, { name: file });
  try {
    const byName: Record<string, TensorValue> = {};
    for (const arg of inputs) {
      const info = resolveTfliteInput(model.inputs, arg.key);
      if (byName[info.name]) throw err.badOption(arg.flag, `inputs '${arg.key}' and another key both name '${info.name}'`);
      byName[info.name] = loadInput(arg, info.dtype, `input '${arg.key}'`);
    }
    const missing = model.inputs.filter((i) => !byName[i.name]);
    if (missing.length > 0) {
      throw err.badInput(missing[0].name, `no value given; the model needs ${model.inputs.map(describeTfliteTensor).join(', ')} (give each with --input or --input-exprs)`);
    }
    let selected: TfliteTensorInfo[];
    if (fetches) {
      selected = fetches.map((f) => {
        const o = model.outputs.find((x) => x.name === f || x.name === `${f}:0`);
        if (!o) throw err.badOption('output-arrays', `the model has no output '${f}'; outputs: ${model.outputs.map((x) => `'${x.name}'`).join(', ')}`);
        return o;
      });
    } else {
      selected = model.outputs.filter((o) => o.dtype !== null);
    }
    const values = model.run(byName, { outputs: selected.map((o) => o.name) });
    if (!fetches) {
      for (const o of model.outputs.filter((x) => x.dtype === null)) {
        log(`output '${o.name}' has a type the TFLite WASM runtime cannot read (int64, float16 or string); skipped`);
      }
    }
    return selected.map((o, i) => ({ name: o.name, value: values[i] }));
  } finally {
    model.dispose();
  }
}

/** A key names an input by tensor name, by name without ":0", or by its serving signature key. */
function resolveTfliteInput(inputs: readonly TfliteTensorInfo[], key: string): TfliteTensorInfo {
  const candidates = [key, `${key}:0`, `serving_default_${key}:0`, `serving_default_${key}`];
  for (const c of candidates) {
    const hit = inputs.find((i) => i.name === c);
    if (hit) return hit;
  }
  throw err.badInput(key, `the model has no such input; inputs: ${inputs.map(describeTfliteTensor).join(', ')}`);
}

function describeTfliteTensor(t: TfliteTensorInfo): string {
  return `'${t.name}' (${t.dtype ?? 'unreadable type'} [${t.shape.join(', ')}])`;
}

// --- GraphDef --------------------------------------------------------------------------------

async function runGraphDef(file: string, inputs: InputSpec[], fetches: string[] | undefined): Promise<NamedTensor[]> {
  const graph = GraphDefCodec.decode(fs.readFileSync(file), file);
  const nodes = new Map(graph.node.map((n) => [n.name, n]));
  const feeds: Record<string, TensorValue> = {};
  for (const arg of inputs) {
    const n = nodes.get(parseTensorName(arg.key).node);
    const want = n && n.op.startsWith('Placeholder') && n.attr.dtype?.type !== undefined ? (dtypeFromTf(n.attr.dtype.type) ?? null) : null;
    feeds[arg.key] = loadInput(arg, want, `input '${arg.key}'`);
  }
  const names = fetches ?? defaultFetches(graph, file);
  const values = await runTfReference(graph, feeds, names);
  return names.map((name, i) => ({ name, value: values[i] }));
}

/** A SavedModel signature: prepared (functions inlined, variables frozen) and run in the TF reference. */
async function runSavedModel(dir: string, inputs: InputSpec[], signature: string | undefined, tagSet: string | undefined): Promise<NamedTensor[]> {
  const loaded = loadForConversion(dir, { ...(tagSet ? { tagSet } : {}), ...(signature ? { signatures: [signature] } : {}) });
  const g = loaded.graphs[0];
  const feeds: Record<string, TensorValue> = {};
  for (const arg of inputs) {
    const inp = g.inputs.find((i) => i.key === arg.key || i.name === arg.key);
    if (!inp) throw err.badInput(arg.key, `signature '${g.signatureKey}' has no such input; inputs: ${g.inputs.map((i) => i.key).join(', ')}`);
    feeds[inp.name] = loadInput(arg, inp.dtype, `input '${arg.key}'`);
  }
  const values = await runTfReference(g.graphDef, feeds, g.outputs.map((o) => o.name));
  return g.outputs.map((o, i) => ({ name: o.key, value: values[i] }));
}

const NOT_OUTPUTS = new Set(['Placeholder', 'PlaceholderWithDefault', 'Const', 'NoOp', 'Assert', 'SaveV2', 'RestoreV2', 'Save', 'Restore', 'Print', 'PrintV2']);

/** Nodes nothing else consumes (a frozen graph's outputs), when --output-arrays is not given. */
function defaultFetches(graph: GraphDef, file: string): string[] {
  const consumed = new Set<string>();
  for (const n of graph.node) for (const i of n.input) consumed.add(parseTensorName(i.replace(/^\^/, '')).node);
  const sinks = graph.node.filter((n) => !consumed.has(n.name) && !NOT_OUTPUTS.has(n.op)).map((n) => `${n.name}:0`);
  if (sinks.length === 0 || sinks.length > 8) {
    throw err.badOption('output-arrays', `cannot tell the outputs of ${file} (${sinks.length === 0 ? 'no node is unconsumed' : `${sinks.length} unconsumed nodes`}); name them, e.g. --output-arrays ${sinks.slice(0, 2).join(',') || 'NODE:0'}`);
  }
  return sinks;
}
