// Representative data for calibration (`--representative PATH`), turned into samples shaped like
// a graph's inputs:
//
//   FILE.npy          one array, leading dimension = samples; one-input models only
//   FILE.npz          one array per signature input key, leading dimension = samples
//   FILE.json         {"key": [sample, sample, ...], ...} (any form src/io/json.ts reads)
//   DIRECTORY         .png/.jpg/.jpeg images, resized to the input's HxW (./images.ts)
//   random            seeded normal inputs (src/verify/inputs.ts): a last resort, said so
//
// Every problem is one BAD_INPUT_DATA line naming the file, the input and what was expected.

import fs from 'node:fs';
import path from 'node:path';
import type { DType } from '../core/dtype.js';
import { type TensorValue, numElements } from '../core/tensor.js';
import { err } from '../errors/index.js';
import type { Graph, Tensor } from '../graph/ir.js';
import { castTensor, readTensorFile, tensorFileFormat } from '../io/index.js';
import { makeRandomInputs } from '../verify/inputs.js';
import { decodeImage, imageToTensor, listImages } from './images.js';

export interface RepresentativeOptions {
  /** PATH or 'random'. */
  representative?: string;
  /** Use at most this many samples. */
  calibrationSamples?: number;
  /** Image directories: per-channel normalisation. */
  imageMean?: number[];
  imageStd?: number[];
  /** 'random': the seed of the first sample (sample i uses seed + i). Default 1. */
  seed?: number;
}

/** How many samples 'random' uses when --calibration-samples does not say. */
export const RANDOM_SAMPLES = 100;

export interface Representative {
  /** For notes: what the samples are, e.g. "calibration.npy (200 samples)". */
  description: string;
  count: number;
  /** True for --representative random. */
  random: boolean;
  /** Sample i (0 <= i < count): one value per graph input, in graph input order. */
  sample(i: number): TensorValue[];
}

interface InputInfo {
  key: string;
  tensor: Tensor;
  dtype: DType;
  shape: number[];
}

function inputsOf(g: Graph): InputInfo[] {
  return g.inputs.map((t) => {
    if (!t.shape || t.shape.some((d) => d < 0)) throw err.shapeError(t.name, 'input', `input '${t.name}' has no static shape to calibrate with`);
    const key = g.signature?.inputs.find((e) => e.tensor === t)?.key ?? t.name;
    return { key, tensor: t, dtype: t.dtype, shape: t.shape.slice() };
  });
}

export function loadRepresentative(o: RepresentativeOptions, g: Graph): Representative {
  const spec = o.representative;
  if (spec === undefined || spec === '') throw err.noRepresentativeData();
  const inputs = inputsOf(g);
  if (spec === 'random') return randomSamples(inputs, o);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(spec);
  } catch {
    throw err.fileNotFound(spec, 'representative data file or image directory');
  }
  if (stat.isDirectory()) return imageSamples(spec, inputs, o);
  if (!tensorFileFormat(spec)) throw err.badInputData(spec, 'unknown representative data type; expected .npy, .npz, .json, an image directory, or random');
  return arraySamples(spec, inputs, o);
}

function randomSamples(inputs: InputInfo[], o: RepresentativeOptions): Representative {
  const count = o.calibrationSamples ?? RANDOM_SAMPLES;
  const seed = o.seed ?? 1;
  const specs = inputs.map((i) => ({ key: i.key, dtype: i.dtype, shape: i.shape }));
  return {
    description: `${count} seeded random normal sample${count === 1 ? '' : 's'} (seed ${seed})`,
    count,
    random: true,
    sample: (i) => {
      const v = makeRandomInputs(specs, seed + i);
      return inputs.map((x) => v[x.key]);
    },
  };
}

/** The per-sample shape of an array whose leading dimension counts samples, checked against the input. */
function checkSampleShape(file: string, where: string, arr: TensorValue, input: InputInfo): number {
  if (arr.shape.length === 0) throw err.badInputData(file, `${where} is a scalar; expected samples of shape [${input.shape.join(', ')}] stacked along a leading dimension`);
  const per = arr.shape.slice(1);
  const fits = (a: number[], b: number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);
  // [N, ...input shape] or, for inputs with a batch of 1, [N, ...input shape without it].
  const ok = fits(per, input.shape) || (input.shape[0] === 1 && fits([1, ...per], input.shape));
  if (!ok) {
    throw err.badInputData(
      file,
      `${where} has shape [${arr.shape.join(', ')}]: samples of shape [${per.join(', ')}] do not fit input '${input.key}' of shape [${input.shape.join(', ')}] (expected [N, ${(input.shape[0] === 1 ? input.shape.slice(1) : input.shape).join(', ')}])`,
    );
  }
  return arr.shape[0];
}

function arraySamples(file: string, inputs: InputInfo[], o: RepresentativeOptions): Representative {
  const tensors = readTensorFile(file);
  const format = tensorFileFormat(file);
  const arrays: TensorValue[] = [];
  if (format === 'npy') {
    if (inputs.length !== 1) {
      throw err.badInputData(file, `a .npy file holds one array but the model has ${inputs.length} inputs (${inputs.map((i) => `'${i.key}'`).join(', ')}); use .npz or .json keyed by input`);
    }
    arrays.push(tensors.get('') as TensorValue);
  } else {
    const keys = [...tensors.keys()];
    for (const i of inputs) {
      // A single unnamed tensor (a JSON file holding one bare tensor object) feeds a one-input model.
      const t = tensors.get(i.key) ?? (inputs.length === 1 && keys.length === 1 && keys[0] === '' ? tensors.get('') : undefined);
      if (!t) throw err.badInputData(file, `no key '${i.key}' for model input '${i.key}'; keys: ${keys.length ? keys.map((k) => `'${k}'`).join(', ') : 'none'}`);
      arrays.push(t);
    }
  }
  let count = -1;
  const cast = arrays.map((arr, k) => {
    const input = inputs[k];
    const where = format === 'npy' ? 'the array' : `key '${input.key}'`;
    const n = checkSampleShape(file, where, arr, input);
    if (count >= 0 && n !== count) throw err.badInputData(file, `key '${input.key}' has ${n} samples but '${inputs[0].key}' has ${count}; every input needs the same number`);
    count = n;
    return castTensor(arr, input.dtype, `${file}: ${where}`);
  });
  if (count === 0) throw err.badInputData(file, 'holds no samples (the leading dimension is 0)');
  const used = Math.min(count, o.calibrationSamples ?? count);
  return {
    description: `${path.basename(file)} (${used} of ${count} sample${count === 1 ? '' : 's'})`,
    count: used,
    random: false,
    sample: (i) =>
      cast.map((arr, k) => {
        const n = numElements(inputs[k].shape);
        const data = (arr.data as Float32Array).subarray(i * n, (i + 1) * n);
        return { dtype: arr.dtype, shape: inputs[k].shape.slice(), data } as TensorValue;
      }),
  };
}

function imageSamples(dir: string, inputs: InputInfo[], o: RepresentativeOptions): Representative {
  if (inputs.length !== 1) {
    throw err.badInputData(dir, `an image directory feeds a one-input model, but the model has ${inputs.length} inputs (${inputs.map((i) => `'${i.key}'`).join(', ')})`);
  }
  const input = inputs[0];
  const s = input.shape;
  const hwc = s.length === 4 && s[0] === 1 ? s.slice(1) : s.length === 3 ? s : null;
  if (!hwc) throw err.badInputData(dir, `images need an input of shape [1, H, W, C] or [H, W, C]; input '${input.key}' has [${s.join(', ')}]`);
  if (input.dtype !== 'float32' && input.dtype !== 'uint8') {
    throw err.badInputData(dir, `images need a float32 or uint8 input; input '${input.key}' is ${input.dtype}`);
  }
  const files = listImages(dir);
  if (files.length === 0) throw err.badInputData(dir, 'holds no images (.png, .jpg or .jpeg)');
  const used = Math.min(files.length, o.calibrationSamples ?? files.length);
  const [height, width, channels] = hwc;
  return {
    description: `${used} image${used === 1 ? '' : 's'} from ${dir}${o.imageMean || o.imageStd ? '' : ' (values 0..255: no --mean/--std)'}`,
    count: used,
    random: false,
    sample: (i) => {
      const file = files[i];
      const data = imageToTensor(decodeImage(file), { height, width, channels, mean: o.imageMean, std: o.imageStd }, file);
      const v: TensorValue = { dtype: 'float32', shape: s.slice(), data };
      return [input.dtype === 'float32' ? v : castTensor(roundClamp(v), input.dtype, `${file}`)];
    },
  };
}

/** For uint8 image inputs: round and clamp to 0..255 (normalisation is the model's job then). */
function roundClamp(v: TensorValue): TensorValue {
  const d = v.data as Float32Array;
  const out = new Float32Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Math.min(255, Math.max(0, Math.round(d[i])));
  return { ...v, data: out };
}
