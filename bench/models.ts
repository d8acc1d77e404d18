// The models the benchmarks convert: real fixtures from ../shared (with the options each needs and
// the official .tflite where one exists), and synthetic models generated at bench time by our
// SavedModel writer with deterministic weights, cached in BENCH_CACHE (never committed).
//   node dist/bench/models.js            generate every missing synthetic model
//   node dist/bench/models.js NAME DIR   (internal) write one model to DIR, print its info

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuiltModel, buildMobileNetV2Like, buildResNetLike, buildScaledMlpOrCnn, writeModel } from '../src/builder/index.js';
import { PACKAGE_ROOT } from '../src/util/package.js';
import { fixture, sharedData } from '../test/helpers/shared.js';
import { BENCH_CACHE, firstErrorLine, measureNode } from './common.js';

export type Mode = 'none' | 'dynamic' | 'float16' | 'int8';
export const MODES: readonly Mode[] = ['none', 'dynamic', 'float16', 'int8'];

/** Calibration samples for int8, as the issue asks. */
export const CALIBRATION_SAMPLES = 100;

export interface BenchModel {
  name: string;
  kind: 'fixture' | 'generated';
  /** SavedModel directory or GraphDef file. */
  path: string;
  /** CLI options every conversion of this model needs (signatures, shapes, cuts). */
  args: string[];
  /** int8: representative data and anything else int8 needs (default: 'random'). */
  int8Args: string[];
  /** Bytes of float32 weights (generated: 4 x parameters; fixtures: the variables / .pb on disk). */
  weightsBytes: number;
  params?: number;
  /** Part of the scaling family (time and memory against size). */
  scaling?: boolean;
  /** The official TFLite file, when the fixture has one, and how ours must be made to match it. */
  official?: { file: string; mode: Mode; args: string[]; note: string };
  /** Included in `npm run bench -- --quick`. */
  quick: boolean;
}

interface FixtureSpec {
  name: string;
  rel: string;
  args?: string[];
  int8Args?: string[];
  official?: { rel: string; mode: Mode; args: string[]; note: string };
  quick?: boolean;
}

const KWS_CALIBRATION = sharedData('kws-mfcc/calibration.npy');

const FIXTURES: FixtureSpec[] = [
  {
    name: 'kws ds-cnn',
    rel: 'mlcommons-tiny-kws/kws_ref_model',
    int8Args: ['--representative', KWS_CALIBRATION],
    official: {
      rel: 'mlcommons-tiny-kws/kws_ref_model_int8_matching.tflite',
      mode: 'int8',
      args: ['--representative', KWS_CALIBRATION, '--inference-input-type', 'int8', '--inference-output-type', 'int8'],
      note: 'both full int8 with int8 input and output, calibrated on the KWS calibration set',
    },
    quick: true,
  },
  {
    name: 'micro_speech qat (cut)',
    rel: 'siliconlabs-micro-speech-tf1/model.pb',
    args: ['--input-arrays', 'Reshape_2', '--output-arrays', 'labels_softmax'],
    // A QAT graph: ranges come from its FakeQuant ops, the input's from TOCO's quantized_input_stats.
    int8Args: ['--input-range', 'Reshape_2=0,26'],
    official: {
      rel: 'siliconlabs-micro-speech-tf1/model.tflite',
      mode: 'int8',
      args: ['--input-range', 'Reshape_2=0,26', '--inference-input-type', 'uint8', '--inference-output-type', 'uint8'],
      note: 'official: TOCO uint8; ours: int8 from the learned ranges with uint8 input and output',
    },
    quick: true,
  },
  {
    name: 'half_plus_two (TF1)',
    rel: 'tf-serving-half-plus-two/saved_model_half_plus_two_cpu',
    args: ['--input-shape', 'x=1,1'],
    official: { rel: 'tf-serving-half-plus-two/saved_model_half_plus_two_tflite/model.tflite', mode: 'none', args: [], note: 'float, x fixed to [1, 1] as in the official file' },
    quick: true,
  },
  {
    name: 'regression (TF1 SavedModel)',
    rel: 'tf2onnx-test-models/regression/saved_model',
    args: ['--input-shape', 'X='],
    official: { rel: 'tf2onnx-test-models/regression/tflite/model.tflite', mode: 'none', args: [], note: 'float' },
    quick: true,
  },
  {
    name: 'litert multi_add',
    rel: 'litert-testdata/tflite_testdata/multi_add.pb',
    official: { rel: 'litert-testdata/tflite_testdata/multi_add.bin', mode: 'none', args: [], note: 'float' },
    quick: true,
  },
  {
    name: 'half_plus_two (TF2, 3 signatures)',
    rel: 'tf-serving-half-plus-two/saved_model_half_plus_two_tf2_cpu',
    args: ['--signature', 'serving_default', '--signature', 'classify_x2_to_y3', '--signature', 'regress_x2_to_y3'],
  },
  { name: 'tfjs multi-signature', rel: 'tfjs-node-saved-models/module_with_multiple_signatures', args: ['--all-signatures'] },
  { name: 'tf-rust multi-input', rel: 'tf-rust-keras/keras_multiple_inputs_saved_model' },
  {
    name: 'tf-java (5 signatures)',
    rel: 'tf-java-multi-signature/saved_model_using_python',
    args: ['--all-signatures', '--input-shape', 'a=2,3', '--input-shape', 'b=2,3', '--input-shape', 'input=', '--input-shape', 'dummy='],
  },
  { name: 'kaggle dense', rel: 'kaggle-docker-python-keras/saved_model' },
  { name: 'tfnet mlp', rel: 'tfnet-keras/simple_model_from_auto_compile' },
  { name: 'tf2onnx fc-layers', rel: 'tf2onnx-test-models/fc-layers/frozen.pb', quick: true },
  { name: 'tf2onnx ae0', rel: 'tf2onnx-test-models/ae0/frozen.pb' },
  { name: 'tf2onnx lstm (unrolled)', rel: 'tf2onnx-test-models/lstm/frozen.pb', args: ['--input-shape', 'keep_prob='] },
  { name: 'tf2onnx gru (unrolled)', rel: 'tf2onnx-test-models/gru/frozen.pb', args: ['--input-shape', 'keep_prob=', '--input-shape', 'X=1,784'] },
];

interface GeneratedSpec {
  name: string;
  build: () => BuiltModel;
  /** For the cache key: what build() makes. */
  spec: unknown;
  scaling?: boolean;
  quick: boolean;
}

const MLP_SIZES: [string, number, boolean][] = [
  ['1M', 1e6, true],
  ['5M', 5e6, true],
  ['12M', 12e6, true],
  ['25M', 25e6, true],
  ['50M', 50e6, false],
  ['100M', 1e8, false],
];

const GENERATED: GeneratedSpec[] = [
  { name: 'mobilenetv2-1.0-224', build: () => buildMobileNetV2Like({ seed: 1 }), spec: { mobilenetv2: { seed: 1 } }, quick: true },
  // ResNet-18's stages and widths, CIFAR-style (3x3 stem, no downsampling before the first stage,
  // as buildResNetLike builds it): at 32 x 32 about 0.56 GFLOPs; at 224 it would be 27 GFLOPs.
  {
    name: 'resnet18-cifar-32',
    build: () => buildResNetLike({ blocks: [2, 2, 2, 2], width: 64, resolution: 32, classes: 10, seed: 1 }),
    spec: { resnet: { blocks: [2, 2, 2, 2], width: 64, resolution: 32, classes: 10, seed: 1 } },
    quick: false,
  },
  ...MLP_SIZES.map(([label, n, quick]) => ({
    name: `mlp-${label}`,
    build: () => buildScaledMlpOrCnn({ targetParams: n, kind: 'mlp', seed: 1 }),
    spec: { mlp: { targetParams: n, seed: 1 } },
    scaling: true,
    quick,
  })),
];

/** What a generated model's directory records about it. */
interface GeneratedInfo {
  params: number;
  variables: number;
  dataBytes: number;
  writeMs: number;
}

/** The builder code's own hash: a change to the builder regenerates the models. */
function builderHash(): string {
  const h = createHash('sha256');
  for (const dir of ['builder', 'writers']) {
    const d = path.join(PACKAGE_ROOT, 'dist', 'src', dir);
    for (const f of fs.readdirSync(d).filter((x) => x.endsWith('.js')).sort()) h.update(fs.readFileSync(path.join(d, f)));
  }
  return h.digest('hex');
}

function generatedDir(g: GeneratedSpec, hash: string): string {
  const key = createHash('sha256').update(JSON.stringify(g.spec)).update(hash).digest('hex').slice(0, 12);
  return path.join(BENCH_CACHE, 'models', `${g.name}-${key}`);
}

function directorySize(p: string): number {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.size;
  return fs.readdirSync(p).reduce((s, f) => s + directorySize(path.join(p, f)), 0);
}

function fixtureWeightsBytes(p: string): number {
  if (!fs.statSync(p).isDirectory()) return fs.statSync(p).size;
  const vars = path.join(p, 'variables');
  if (!fs.existsSync(vars)) return 0;
  return fs.readdirSync(vars).filter((f) => f.includes('.data-')).reduce((s, f) => s + fs.statSync(path.join(vars, f)).size, 0);
}

/**
 * Every benchmark model, generating synthetic ones that are missing (each in a child process, so
 * the runner's memory stays small). Fixtures missing from ../shared are left out with a log line.
 */
export function benchModels(options: { quick: boolean; only?: string; log: (s: string) => void }): BenchModel[] {
  const out: BenchModel[] = [];
  const wanted = (name: string, quick: boolean) => (!options.quick || quick) && (!options.only || name.includes(options.only));
  for (const f of FIXTURES) {
    if (!wanted(f.name, f.quick === true)) continue;
    const p = fixture(f.rel);
    if (!fs.existsSync(p)) {
      options.log(`models: skipped ${f.name}: missing ${p}`);
      continue;
    }
    const official = f.official && fs.existsSync(fixture(f.official.rel)) ? { ...f.official, file: fixture(f.official.rel) } : undefined;
    out.push({
      name: f.name,
      kind: 'fixture',
      path: p,
      args: f.args ?? [],
      int8Args: f.int8Args ?? ['--representative', 'random'],
      weightsBytes: fixtureWeightsBytes(p),
      ...(official ? { official: { file: official.file, mode: official.mode, args: official.args, note: official.note } } : {}),
      quick: f.quick === true,
    });
  }
  const hash = builderHash();
  for (const g of GENERATED) {
    if (!wanted(g.name, g.quick)) continue;
    const dir = generatedDir(g, hash);
    const infoFile = path.join(dir, 'info.json');
    if (!fs.existsSync(infoFile)) {
      // Older generations of the same model (another builder) go first: they are large.
      const parent = path.dirname(dir);
      if (fs.existsSync(parent)) {
        for (const d of fs.readdirSync(parent)) if (d.startsWith(`${g.name}-`) && d.length === g.name.length + 13) fs.rmSync(path.join(parent, d), { recursive: true, force: true });
      }
      options.log(`models: generating ${g.name} in ${path.relative(process.cwd(), dir)}`);
      const r = measureNode(fileURLToPath(import.meta.url), [g.name, path.join(dir, 'model')]);
      if (!r.ok) throw new Error(`generating ${g.name} failed: ${firstErrorLine(r)}`);
      const info = JSON.parse(r.stdout.trim().split('\n').pop() as string) as GeneratedInfo;
      fs.writeFileSync(infoFile, `${JSON.stringify(info, null, 2)}\n`);
      options.log(`models: ${g.name}: ${info.params.toLocaleString('en-US')} parameters, ${(info.dataBytes / 2 ** 20).toFixed(1)} MiB, written in ${(r.wallMs / 1000).toFixed(1)} s`);
    }
    const info = JSON.parse(fs.readFileSync(infoFile, 'utf8')) as GeneratedInfo;
    out.push({
      name: g.name,
      kind: 'generated',
      path: path.join(dir, 'model'),
      args: [],
      int8Args: ['--representative', 'random'],
      weightsBytes: info.params * 4,
      params: info.params,
      ...(g.scaling ? { scaling: true } : {}),
      quick: g.quick,
    });
  }
  return out;
}

/** Child: write one generated model. */
function generate(name: string, dir: string): void {
  const g = GENERATED.find((x) => x.name === name);
  if (!g) throw new Error(`unknown generated model ${name}`);
  const t0 = performance.now();
  const model = g.build();
  fs.rmSync(dir, { recursive: true, force: true });
  const r = writeModel(dir, model);
  const info: GeneratedInfo = { params: model.paramCount, variables: model.variables.length, dataBytes: r.dataBytes, writeMs: Math.round(performance.now() - t0) };
  if (directorySize(dir) < r.dataBytes) throw new Error(`${dir} is smaller than the data written`);
  console.log(JSON.stringify(info));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv[2] && process.argv[3]) generate(process.argv[2], process.argv[3]);
  else for (const m of benchModels({ quick: process.argv.includes('--quick'), log: console.log })) console.log(`${m.name}: ${m.path}`);
}
