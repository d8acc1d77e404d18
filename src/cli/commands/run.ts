// `tfconv run MODEL --input KEY=FILE ...`: run a model on given inputs and print (or save) its
// outputs, as saved_model_cli run does. A thin layer over api/run.ts: parses the flags, prints
// the outputs and writes --out.

import fs from 'node:fs';
import path from 'node:path';
import type { Argv } from 'yargs';
import { type InputSpec, type NamedTensor, runModel } from '../../api/run.js';
import { type TensorValue, numElements, toFloat64 } from '../../core/tensor.js';
import { err } from '../../errors/index.js';
import { formatElement, tensorToJsonValue, writeTensorFile } from '../../io/index.js';
import { strings } from '../args.js';
import type { CliIO } from '../io.js';
import type { CliCommand } from './registry.js';

/** Tensors with up to this many elements are printed whole; larger ones are summarised. */
const PRINT_ALL_LIMIT = 32;
const PREVIEW = 8;

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
  const inputs = parseInputSpecs(args);
  const fetches = parseList(args['output-arrays']);
  if (Array.isArray(args.out)) throw err.badOption('out', 'given more than once');
  const out = typeof args.out === 'string' ? args.out : undefined;
  if (out !== undefined) checkOutPath(out);

  const outputs = await runModel(modelPath, inputs, {
    ...(fetches ? { outputs: fetches } : {}),
    ...(typeof args['signature-def'] === 'string' ? { signature: args['signature-def'] } : {}),
    ...(typeof args['tag-set'] === 'string' ? { tagSet: args['tag-set'] } : {}),
    log: (note) => io.stderr.write(`tfconv: note: ${note}\n`),
  });

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

function parseInputSpecs(args: Record<string, unknown>): InputSpec[] {
  const result: InputSpec[] = [];
  const seen = new Set<string>();
  const take = (flag: 'input' | 'input-exprs', raw: unknown) => {
    for (const item of strings(raw)) {
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

function parseList(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  const list = strings(v)
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
