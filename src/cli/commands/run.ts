// `tfconv run MODEL --input KEY=FILE ...`: run a model on given inputs and print (or save) its
// outputs, as saved_model_cli run does. A .tflite runs in the real TFLite interpreter (WASM); a
// frozen GraphDef, or a SavedModel signature (inlined and frozen first), in the TF reference (tfjs).

import fs from 'node:fs';
import path from 'node:path';
import type { Argv } from 'yargs';
import { type DType, dtypeFromTf, isFloat } from '../../core/dtype.js';
import { type TensorValue, numElements, toFloat64 } from '../../core/tensor.js';
import { err } from '../../errors/index.js';
import { castTensor, formatElement, isCastable, readTensorSource, tensorFromJson, tensorToJsonValue, writeTensorFile } from '../../io/index.js';
import { type GraphDef, GraphDefCodec } from '../../proto/index.js';
import { loadForConversion } from '../../convert/load.js';
import { detectModel } from '../../readers/detect.js';
import { parseTensorName, runTfReference } from '../../runtime/tf-reference.js';
import { TfliteRuntime, type TfliteTensorInfo } from '../../runtime/tflite.js';
import type { CliIO } from '../io.js';
import type { CliCommand } from './registry.js';

/** Tensors with up to this many elements are printed whole; larger ones are summarised. */
const PRINT_ALL_LIMIT = 32;
const PREVIEW = 8;

interface InputArg {
  key: string;
  /** A file source ("x.npy", "x.npz:key") or a parsed JSON literal. */
  file?: string;
  json?: unknown;
  flag: 'input' | 'input-exprs';
}

interface NamedTensor {
  name: string;
  value: TensorValue;
}

export const runCommand: CliCommand = {
  command: 'run <model>',
  describe: 'Run a .tflite (TFLite interpreter), a SavedModel signature or a frozen GraphDef (TF reference) on given inputs and print the outputs',
  builder: (y: Argv) =>
    y
      .positional('model', { type: 'string', describe: 'a .tflite file, a SavedModel directory or a frozen GraphDef .pb' })
      .option('input', {
        alias: 'i',
        type: 'string',
        array: true,
        describe: 'KEY=FILE: an input from a .npy file, FILE.npz:NAME, or FILE.json[:NAME] (repeatable)',
      })
      .option('input-exprs', {
        type: 'string',
        array: true,
        describe: "KEY=JSON: an input as a JSON literal, e.g. 'x=[[1.57]]' (repeatable)",
      })
      .option('tag-set', { type: 'string', describe: 'SavedModel: MetaGraph tag-set (default serve)' })
      .option('signature-def', { type: 'string', describe: 'SavedModel: signature to run (default serving_default)' })
      .option('output-arrays', {
        type: 'string',
        describe: 'comma-separated output tensors to fetch (GraphDef: required unless the graph has clear outputs)',
      })
      .option('out', {
        alias: 'o',
        type: 'string',
        describe: 'save outputs: OUT.npy (one output), OUT.npz, OUT.json, or a directory (one .npy per output)',
      })
      .example('$0 run model.tflite --input-exprs "x=[[1.57]]"', 'run a TFLite model on a literal')
      .example('$0 run frozen.pb -i X:0=batch.npy --output-arrays output:0 -o out.npz', 'run a GraphDef and save its output'),
  handler: runHandler,
};

async function runHandler(args: Record<string, unknown>, io: CliIO): Promise<number> {
  const modelPath = String(args.model);
  const inputs = parseInputArgs(args);
  const fetches = parseList(args['output-arrays']);
  if (Array.isArray(args.out)) throw err.badOption('out', 'given more than once');
  const out = typeof args.out === 'string' ? args.out : undefined;
  if (out !== undefined) checkOutPath(out);

  const detected = detectModel(modelPath);
  if (detected.note) io.stderr.write(`tfconv: note: ${detected.note}\n`);
  let outputs: NamedTensor[];
  if (detected.kind === 'tflite') outputs = await runTflite(detected.path, inputs, fetches, io);
  else if (detected.kind === 'graphdef') outputs = await runGraphDef(detected.path, inputs, fetches);
  else outputs = await runSavedModel(detected.path, inputs, args);

  if (out !== undefined && path.extname(out).toLowerCase() === '.npy' && outputs.length !== 1) {
    throw err.badOption('out', `a .npy file holds one array but there are ${outputs.length} outputs; use .npz, .json or a directory`);
  }
  for (const o of outputs) io.stdout.write(formatOutput(o));
  if (out !== undefined) {
    const written = writeOutputs(out, outputs);
    io.stdout.write(`Wrote ${written}\n`);
  }
  return 0;
}

// --- arguments -------------------------------------------------------------------------------

function parseInputArgs(args: Record<string, unknown>): InputArg[] {
  const result: InputArg[] = [];
  const seen = new Set<string>();
  const take = (flag: 'input' | 'input-exprs', raw: unknown) => {
    for (const item of asStrings(raw)) {
      const eq = item.indexOf('=');
      const key = eq < 0 ? '' : item.slice(0, eq).trim();
      const value = eq < 0 ? '' : item.slice(eq + 1);
      if (!key || !value) throw err.badOption(flag, `expected KEY=${flag === 'input' ? 'FILE' : 'JSON'}, got '${item}'`);
      if (seen.has(key)) throw err.badOption(flag, `input '${key}' is given twice`);
      seen.add(key);
      if (flag === 'input') result.push({ key, file: value, flag });
      else {
        let json: unknown;
        try {
          json = JSON.parse(value);
        } catch (e) {
          throw err.badOption(flag, `'${key}': not a JSON literal (${e instanceof Error ? e.message : String(e)})`);
        }
        result.push({ key, json, flag });
      }
    }
  };
  take('input', args.input);
  take('input-exprs', args['input-exprs']);
  return result;
}

function asStrings(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

function parseList(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  const list = asStrings(v)
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (list.length === 0) throw err.badOption('output-arrays', 'no tensor names given');
  return list;
}

function checkOutPath(out: string): void {
  const ext = path.extname(out).toLowerCase();
  if (['.npy', '.npz', '.json'].includes(ext)) return;
  if (out.endsWith('/') || out.endsWith(path.sep) || (fs.existsSync(out) && fs.statSync(out).isDirectory()) || ext === '') return;
  throw err.badOption('out', `'${out}': expected OUT.npy, OUT.npz, OUT.json or a directory`);
}

/** An input's value, in the dtype the model wants (values checked, never clamped). */
function loadInput(arg: InputArg, want: DType | null, what: string): TensorValue {
  if (arg.json !== undefined) return tensorFromJson(arg.json, what, want ?? undefined);
  const v = readTensorSource(arg.file as string);
  if (want === null || v.dtype === want) return v;
  if (isCastable(v.dtype) && isCastable(want) && (isFloat(want) || !isFloat(v.dtype))) return castTensor(v, want, what);
  throw err.badInput(arg.key, `expected ${want}, got ${v.dtype} from ${arg.file}`);
}

// --- TFLite ----------------------------------------------------------------------------------

async function runTflite(file: string, inputs: InputArg[], fetches: string[] | undefined, io: CliIO): Promise<NamedTensor[]> {
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
        io.stderr.write(`tfconv: note: output '${o.name}' has a type the TFLite WASM runtime cannot read (int64, float16 or string); skipped\n`);
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

async function runGraphDef(file: string, inputs: InputArg[], fetches: string[] | undefined): Promise<NamedTensor[]> {
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
async function runSavedModel(dir: string, inputs: InputArg[], args: Record<string, unknown>): Promise<NamedTensor[]> {
  const signature = typeof args['signature-def'] === 'string' ? args['signature-def'] : undefined;
  const tagSet = typeof args['tag-set'] === 'string' ? args['tag-set'] : undefined;
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

// --- output ----------------------------------------------------------------------------------

function formatOutput({ name, value }: NamedTensor): string {
  const n = numElements(value.shape);
  const head = `${name}: ${value.dtype} [${value.shape.join(', ')}]`;
  if (n <= PRINT_ALL_LIMIT) return `${head}\n${formatNested(value)}\n`;
  const first = Array.from({ length: Math.min(PREVIEW, n) }, (_, i) => formatElement(value, i)).join(', ');
  let stats = '';
  if (value.dtype !== 'string') {
    const f = toFloat64(value);
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    let nan = 0;
    for (const x of f) {
      if (Number.isNaN(x)) {
        nan++;
        continue;
      }
      if (x < min) min = x;
      if (x > max) max = x;
      sum += x;
    }
    const mean = f.length - nan > 0 ? sum / (f.length - nan) : NaN;
    stats = `\n  min ${fmt(min)}  max ${fmt(max)}  mean ${fmt(mean)}${nan ? `  NaN x${nan}` : ''}`;
  }
  return `${head} (${n} values)\n  [${first}, ...]${stats}\n`;
}

function formatNested(v: TensorValue): string {
  const j = tensorToJsonValue(v);
  return JSON.stringify(j).replace(/,/g, ', ');
}

function fmt(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(7))) : String(x);
}

function writeOutputs(out: string, outputs: NamedTensor[]): string {
  const ext = path.extname(out).toLowerCase();
  const map = new Map(outputs.map((o) => [o.name, o.value]));
  if (ext === '.npy') {
    writeTensorFile(out, map);
    return out;
  }
  if (ext === '.npz' || ext === '.json') {
    writeTensorFile(out, map);
    return `${outputs.length} output${outputs.length === 1 ? '' : 's'} to ${out}`;
  }
  fs.mkdirSync(out, { recursive: true });
  const used = new Set<string>();
  const files: string[] = [];
  for (const o of outputs) {
    const base = o.name.replace(/[/\\:]/g, '_') || 'output';
    let name = `${base}.npy`;
    for (let k = 1; used.has(name); k++) name = `${base}_${k}.npy`;
    used.add(name);
    const file = path.join(out, name);
    writeTensorFile(file, new Map([[o.name, o.value]]));
    files.push(file);
  }
  return files.join(', ');
}
