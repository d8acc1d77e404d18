// What the fuzzer mutates: real TensorFlow-written fixtures from ../shared/fixtures (never copied
// into the project), each with the files a case may damage and what a case does with it. The
// list is fixed and ordered, so (seed, case) names the same case on every machine that has the
// same fixtures; missing fixtures are left out and reported.

import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../util/package.js';

export type SubjectKind = 'savedmodel' | 'graphdef' | 'tflite';
export type FileFormat = 'savedmodel-pb' | 'graphdef-pb' | 'bundle-index' | 'bundle-data' | 'tflite' | 'other';

export interface SubjectFile {
  /** Path relative to the subject's root directory (for single-file subjects: the file name). */
  rel: string;
  format: FileFormat;
  weight: number;
}

export interface Subject {
  /** The fixture path relative to fixtures/. */
  id: string;
  kind: SubjectKind;
  /** Absolute path of the fixture (directory for SavedModels, the file otherwise). */
  source: string;
  files: SubjectFile[];
  /** Whether a case also converts it (SavedModels and GraphDefs small enough to convert quickly). */
  convert: boolean;
  /** Conversion options that make the unmutated fixture convert (cut points, shapes, signatures). */
  options?: SubjectOptions;
  weight: number;
}

export interface SubjectOptions {
  inputArrays?: string[];
  outputArrays?: string[];
  inputShapes?: Record<string, number[]>;
  allSignatures?: boolean;
  signatures?: string[];
}

/** ../shared beside the package, or TFCONV_SHARED (as test/helpers/shared.ts finds it). */
export function defaultFixturesDir(): string {
  return path.join(process.env.TFCONV_SHARED ?? path.resolve(PACKAGE_ROOT, '..', 'shared'), 'fixtures');
}

interface SavedModelSpec {
  id: string;
  convert: boolean;
  options?: SubjectOptions;
  weight?: number;
}

// Small SavedModels are converted in every case; the larger ones are read, inspected and have
// their variables read, but not converted (a case must stay around 10 ms for 100000 of them to
// fit in 30 minutes on 2 cores).
const SAVED_MODELS: SavedModelSpec[] = [
  { id: 'tfjs-node-saved-models/times_three_float', convert: true },
  { id: 'tfjs-node-saved-models/times_two_int', convert: true },
  { id: 'tfjs-node-saved-models/module_with_multiple_signatures', convert: true },
  { id: 'tfjs-node-saved-models/model_multi_output', convert: true },
  { id: 'tfjs-node-saved-models/model_single_input_multi_output', convert: true },
  { id: 'tfjs-node-saved-models/int64_multiply', convert: true },
  { id: 'tfjs-node-saved-models/uint8_multiply', convert: true },
  { id: 'tf-serving-half-plus-two/saved_model_half_plus_two_cpu', convert: true },
  { id: 'tf-serving-half-plus-two/saved_model_half_plus_three', convert: true },
  { id: 'tf-serving-half-plus-two/saved_model_counter', convert: true, options: { signatures: ['get_counter'] } },
  { id: 'tf-serving-half-plus-two/saved_model_half_plus_two_mkl', convert: true },
  { id: 'tf-serving-half-plus-two/saved_model_half_plus_two_tf2_cpu', convert: true },
  { id: 'kaggle-docker-python-keras/saved_model', convert: true },
  { id: 'tf-rust-keras/regression-model', convert: true, options: { inputShapes: { x: [1], y: [1] } } },
  { id: 'tf-rust-keras/regression_savedmodel', convert: true, options: { allSignatures: true } },
  { id: 'tf-rust-keras/keras_single_input_saved_model', convert: true },
  { id: 'tf-rust-keras/keras_multiple_inputs_saved_model', convert: true, weight: 0.5 },
  { id: 'tf-java-multi-signature/saved_model_using_python', convert: true, options: { allSignatures: true, inputShapes: { add_a: [2], add_b: [2], get_const_scalar_input: [], get_const_matrix_input: [] } } },
  { id: 'tfnet-keras/python_func_model', convert: true },
  { id: 'tfnet-keras/leak_test_model', convert: true },
  { id: 'tfnet-keras/example1', convert: true },
  { id: 'tfnet-keras/simple_model_from_auto_compile', convert: true, weight: 0.3 },
  { id: 'tf2onnx-test-models/regression/saved_model', convert: true, options: { inputShapes: { X: [1, 1] } } },
  { id: 'tf2onnx-test-models/saved_model_with_redundant_inputs', convert: true },
  { id: 'litert-testdata/python_testdata/control_flow_v1_saved_model', convert: true },
  { id: 'tfx-testdata/keras_taxi_serving', convert: false, weight: 0.5 },
  { id: 'mlcommons-tiny-kws/kws_ref_model', convert: false, weight: 0.15 },
];

const GRAPHDEFS: { id: string; convert: boolean; options?: SubjectOptions; weight?: number }[] = [
  { id: 'tf-rust-keras/graphdefs/addition.pb', convert: true },
  { id: 'tf-rust-keras/graphdefs/multiplication.pb', convert: true },
  { id: 'tf-rust-keras/graphdefs/regression.pb', convert: true },
  { id: 'litert-testdata/tflite_testdata/multi_add.pb', convert: true },
  { id: 'tf2onnx-test-models/regression/graphdef/frozen.pb', convert: true, options: { inputShapes: { X: [1, 1] } } },
  { id: 'siliconlabs-micro-speech-tf1/model.pb', convert: true, options: { inputArrays: ['Reshape_2'], outputArrays: ['labels_softmax'] } },
  { id: 'tf2onnx-test-models/gru/frozen.pb', convert: false, weight: 0.3 },
];

/** .tflite files: every LiteRT test model (valid and broken on purpose) and small real models. */
const TFLITE_DIRS = ['litert-testdata/tflite_testdata', 'litert-testdata/quantization_testdata', 'litert-testdata/java_testdata', 'litert-testdata/converter_testdata'];
const TFLITE_FILES = [
  'litert-testdata/python_testdata/pc_conv.bin',
  'tflite-micro-models/hello_world_float.tflite',
  'tflite-micro-models/hello_world_int8.tflite',
  'tflite-micro-models/micro_speech_quantized.tflite',
  'tflite-micro-models/trained_lstm_int8.tflite',
  'tflite-micro-models/keyword_scrambled_8bit.tflite',
  'tflite-micro-models/audio_preprocessor_int8.tflite',
  'ai-edge-quantizer-testmodels/branching_conv_fc.tflite',
  'ai-edge-quantizer-testmodels/weight_sharing_fcs.tflite',
  'ai-edge-quantizer-testmodels/two_signatures.tflite',
  'ai-edge-quantizer-testmodels/single_conv2d_transpose_bias.tflite',
  'ai-edge-quantizer-testmodels/mnist_quantized.tflite',
  'siliconlabs-micro-speech-tf1/model.tflite',
  'tf-serving-half-plus-two/saved_model_half_plus_two_tflite/model.tflite',
  'tf-serving-half-plus-two/saved_model_half_plus_two_tflite_with_sigdef/model.tflite',
  'mlcommons-tiny-kws/kws_ref_model_int8_matching.tflite',
];

/** Share of cases per kind of model. */
const KIND_SHARE: Record<SubjectKind, number> = { savedmodel: 40, graphdef: 25, tflite: 35 };

function savedModelFiles(dir: string): SubjectFile[] {
  const files: SubjectFile[] = [{ rel: 'saved_model.pb', format: 'savedmodel-pb', weight: 45 }];
  const vars = path.join(dir, 'variables');
  if (fs.existsSync(vars)) {
    for (const f of fs.readdirSync(vars).sort()) {
      if (f === 'variables.index') files.push({ rel: `variables/${f}`, format: 'bundle-index', weight: 30 });
      else if (/^variables\.data-\d{5}-of-\d{5}$/.test(f)) files.push({ rel: `variables/${f}`, format: 'bundle-data', weight: 20 });
    }
  }
  for (const f of ['fingerprint.pb', 'keras_metadata.pb']) {
    if (fs.existsSync(path.join(dir, f))) files.push({ rel: f, format: 'other', weight: 1 });
  }
  return files;
}

export interface Corpus {
  fixturesDir: string;
  subjects: Subject[];
  /** Fixtures named above that are not there. */
  missing: string[];
}

export function loadCorpus(fixturesDir = defaultFixturesDir()): Corpus {
  const missing: string[] = [];
  const groups: Record<SubjectKind, Subject[]> = { savedmodel: [], graphdef: [], tflite: [] };
  for (const s of SAVED_MODELS) {
    const dir = path.join(fixturesDir, s.id);
    if (!fs.existsSync(path.join(dir, 'saved_model.pb'))) {
      missing.push(s.id);
      continue;
    }
    groups.savedmodel.push({ id: s.id, kind: 'savedmodel', source: dir, files: savedModelFiles(dir), convert: s.convert, ...(s.options ? { options: s.options } : {}), weight: s.weight ?? 1 });
  }
  for (const g of GRAPHDEFS) {
    const file = path.join(fixturesDir, g.id);
    if (!fs.existsSync(file)) {
      missing.push(g.id);
      continue;
    }
    groups.graphdef.push({
      id: g.id,
      kind: 'graphdef',
      source: file,
      files: [{ rel: path.basename(file), format: 'graphdef-pb', weight: 1 }],
      convert: g.convert,
      ...(g.options ? { options: g.options } : {}),
      weight: g.weight ?? 1,
    });
  }
  const tflites: string[] = [];
  for (const d of TFLITE_DIRS) {
    const dir = path.join(fixturesDir, d);
    if (!fs.existsSync(dir)) {
      missing.push(`${d}/`);
      continue;
    }
    for (const f of fs.readdirSync(dir).sort()) if (/\.(bin|lite)$/.test(f)) tflites.push(`${d}/${f}`);
  }
  for (const f of TFLITE_FILES) {
    if (fs.existsSync(path.join(fixturesDir, f))) tflites.push(f);
    else missing.push(f);
  }
  for (const id of tflites) {
    const file = path.join(fixturesDir, id);
    groups.tflite.push({ id, kind: 'tflite', source: file, files: [{ rel: path.basename(file), format: 'tflite', weight: 1 }], convert: false, weight: 1 });
  }
  // Each kind gets its share of cases, spread over its subjects by their weights.
  const subjects: Subject[] = [];
  for (const kind of ['savedmodel', 'graphdef', 'tflite'] as const) {
    const total = groups[kind].reduce((s, x) => s + x.weight, 0);
    for (const s of groups[kind]) subjects.push({ ...s, weight: (KIND_SHARE[kind] * s.weight) / total });
  }
  return { fixturesDir, subjects, missing };
}
