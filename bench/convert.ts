// Conversion time and peak memory per fixture. Each conversion runs in a child process of its
// own (this file with --child N), so its peak RSS (process.resourceUsage().maxRSS) is its own
// and not the sum of everything converted before. Writes bench/results/convert.json and prints
// a table. Run after a build: node dist/bench/convert.js (or `npm run bench` for all benches).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import { type ConvertOptions, convertModel } from '../src/convert/convert.js';
import { PACKAGE_ROOT } from '../src/util/package.js';
import { fixture } from '../test/helpers/shared.js';

interface Case {
  name: string;
  rel: string;
  options: ConvertOptions;
}

const CASES: Case[] = [
  { name: 'kws ds-cnn', rel: 'mlcommons-tiny-kws/kws_ref_model', options: {} },
  { name: 'half_plus_two tf1 (2 sigs)', rel: 'tf-serving-half-plus-two/saved_model_half_plus_two_cpu', options: { signatures: ['serving_default', 'regress_x2_to_y3'] } },
  { name: 'half_plus_two tf2 (3 sigs)', rel: 'tf-serving-half-plus-two/saved_model_half_plus_two_tf2_cpu', options: { signatures: ['serving_default', 'classify_x2_to_y3', 'regress_x2_to_y3'] } },
  { name: 'tfjs multi-signature', rel: 'tfjs-node-saved-models/module_with_multiple_signatures', options: { allSignatures: true } },
  { name: 'tf-rust multi-input', rel: 'tf-rust-keras/keras_multiple_inputs_saved_model', options: {} },
  { name: 'tf-java (5 sigs)', rel: 'tf-java-multi-signature/saved_model_using_python', options: { allSignatures: true, inputShapes: { a: [2, 3], b: [2, 3], input: [], dummy: [] } } },
  { name: 'kaggle dense', rel: 'kaggle-docker-python-keras/saved_model', options: {} },
  { name: 'tfnet mlp', rel: 'tfnet-keras/simple_model_from_auto_compile', options: {} },
  { name: 'tf2onnx fc-layers', rel: 'tf2onnx-test-models/fc-layers/frozen.pb', options: {} },
  { name: 'tf2onnx ae0', rel: 'tf2onnx-test-models/ae0/frozen.pb', options: {} },
  { name: 'tf2onnx lstm (unrolled)', rel: 'tf2onnx-test-models/lstm/frozen.pb', options: { inputShapes: { keep_prob: [] } } },
  { name: 'tf2onnx gru (unrolled)', rel: 'tf2onnx-test-models/gru/frozen.pb', options: { inputShapes: { keep_prob: [], X: [1, 784] } } },
  { name: 'tf2onnx regression', rel: 'tf2onnx-test-models/regression/saved_model', options: { inputShapes: { X: [] } } },
  { name: 'micro_speech qat (cut)', rel: 'siliconlabs-micro-speech-tf1/model.pb', options: { inputArrays: ['Reshape_2'], outputArrays: ['labels_softmax'] } },
  { name: 'litert multi_add', rel: 'litert-testdata/tflite_testdata/multi_add.pb', options: {} },
];

interface Measurement {
  name: string;
  fixture: string;
  /** Wall time of convertModel (ms), after the process started and modules loaded. */
  convertMs: number;
  /** Peak resident set size of the whole child process (MiB). */
  peakRssMiB: number;
  /** Resident set size before converting (MiB): the runtime's own share of the peak. */
  baseRssMiB: number;
  outputBytes: number;
  operators: number;
  subgraphs: number;
}

/** Child: convert one case, print its measurement as JSON on stdout. */
function child(index: number): void {
  const c = CASES[index];
  const base = process.memoryUsage().rss;
  const t0 = performance.now();
  const r = convertModel(fixture(c.rel), c.options);
  const ms = performance.now() - t0;
  const m: Measurement = {
    name: c.name,
    fixture: c.rel,
    convertMs: Math.round(ms * 10) / 10,
    // maxRSS is in KiB on Linux and macOS.
    peakRssMiB: Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10,
    baseRssMiB: Math.round((base / 1024 / 1024) * 10) / 10,
    outputBytes: r.bytes.length,
    operators: r.model.subgraphs.reduce((s, sg) => s + sg.operators.length, 0),
    subgraphs: r.model.subgraphs.length,
  };
  process.stdout.write(`${JSON.stringify(m)}\n`);
}

function parent(): void {
  const self = fileURLToPath(import.meta.url);
  const results: Measurement[] = [];
  const failures: string[] = [];
  for (const [i, c] of CASES.entries()) {
    if (!fs.existsSync(fixture(c.rel))) {
      console.log(`convert: skipped ${c.name}: missing ${fixture(c.rel)}`);
      continue;
    }
    const r = spawnSync(process.execPath, [self, '--child', String(i)], { encoding: 'utf8' });
    if (r.status !== 0) {
      failures.push(`${c.name}: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
      continue;
    }
    results.push(JSON.parse(r.stdout.trim().split('\n').pop() as string) as Measurement);
  }
  const table = new Table({ head: ['fixture', 'convert ms', 'peak RSS MiB', 'base RSS MiB', 'output', 'ops', 'subgraphs'], style: { head: [], border: [] } });
  for (const m of results) {
    table.push([m.name, m.convertMs.toFixed(1), m.peakRssMiB.toFixed(1), m.baseRssMiB.toFixed(1), `${(m.outputBytes / 1024).toFixed(1)} KiB`, m.operators, m.subgraphs]);
  }
  console.log(table.toString());
  const out = path.join(PACKAGE_ROOT, 'bench', 'results', 'convert.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify({ node: process.version, platform: `${process.platform}-${process.arch}`, results, failures }, null, 2)}\n`);
  console.log(`convert: wrote ${path.relative(process.cwd(), out) || out}`);
  if (failures.length) {
    for (const f of failures) console.log(`convert: FAILED ${f}`);
    process.exitCode = 1;
  }
}

const at = process.argv.indexOf('--child');
if (at >= 0) child(Number(process.argv[at + 1]));
else parent();
