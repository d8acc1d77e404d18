// What the user asks of quantization (`tfconv optimize --quantize ...`), validated once.

import { err } from '../errors/index.js';

export type QuantizeMode = 'dynamic' | 'int8' | 'float16';
export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy' | 'mse';
export type InferenceType = 'float32' | 'int8' | 'uint8';

export interface QuantizeOptions {
  mode: QuantizeMode;
  /** Representative data: .npy, .npz (keys = signature input keys), .json, an image directory, or 'random'. */
  representative?: string;
  /** How many representative samples to use (default: all, at most 100 for 'random'). */
  calibrationSamples?: number;
  calibration?: CalibrationMethod;
  /** For calibration 'percentile': ranges run from the (100-p)-th to the p-th percentile of the values (default 99.99). */
  percentile?: number;
  inferenceInputType?: InferenceType;
  inferenceOutputType?: InferenceType;
  /** Fail (listing them) instead of keeping ops without int8 kernels in float. */
  fullInteger?: boolean;
  /** Keep these op types in float (TF names like 'Softmax' or TFLite names like 'SOFTMAX'). */
  excludeOps?: string[];
  /** Keep nodes whose name matches this regular expression in float. */
  excludeNodes?: string;
  /** Image directories: per-channel normalisation (value - mean) / std after resizing. */
  imageMean?: number[];
  imageStd?: number[];
  /** Seed for 'random' representative data. */
  seed?: number;
  /**
   * int8: the real range [min, max] of model inputs that have no learned (FakeQuant) range, by
   * signature input key or tensor name (TFLiteConverter's quantized_input_stats, as a range).
   */
  inputRanges?: Record<string, [number, number]>;
}

export const QUANTIZE_MODES: readonly QuantizeMode[] = ['dynamic', 'int8', 'float16'];
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['minmax', 'percentile', 'entropy', 'mse'];
export const INFERENCE_TYPES: readonly InferenceType[] = ['float32', 'int8', 'uint8'];

export function checkQuantizeOptions(o: QuantizeOptions): void {
  if (!QUANTIZE_MODES.includes(o.mode)) throw err.badOption('quantize', `'${o.mode}' is not one of ${QUANTIZE_MODES.join(', ')}`);
  if (o.calibration && !CALIBRATION_METHODS.includes(o.calibration)) {
    throw err.badOption('calibration', `'${o.calibration}' is not one of ${CALIBRATION_METHODS.join(', ')}`);
  }
  for (const [flag, v] of [['inference-input-type', o.inferenceInputType], ['inference-output-type', o.inferenceOutputType]] as const) {
    if (v !== undefined && !INFERENCE_TYPES.includes(v)) throw err.badOption(flag, `'${v}' is not one of ${INFERENCE_TYPES.join(', ')}`);
  }
  if (o.mode !== 'int8') {
    for (const [flag, set] of [
      ['representative', o.representative !== undefined],
      ['inference-input-type', o.inferenceInputType !== undefined && o.inferenceInputType !== 'float32'],
      ['inference-output-type', o.inferenceOutputType !== undefined && o.inferenceOutputType !== 'float32'],
      ['full-integer', o.fullInteger === true],
      ['input-range', o.inputRanges !== undefined && Object.keys(o.inputRanges).length > 0],
    ] as const) {
      if (set) throw err.badOption(flag, `applies to --quantize int8 only`);
    }
  }
  for (const [name, r] of Object.entries(o.inputRanges ?? {})) {
    if (!Array.isArray(r) || r.length !== 2 || !r.every((v) => Number.isFinite(v)) || !(r[0] < r[1])) {
      throw err.badOption('input-range', `'${name}' needs MIN,MAX with MIN < MAX, got ${JSON.stringify(r)}`);
    }
  }
  if (o.percentile !== undefined && !(o.percentile > 50 && o.percentile <= 100)) throw err.badOption('percentile', 'must be in (50, 100]');
  if (o.calibrationSamples !== undefined && !(Number.isInteger(o.calibrationSamples) && o.calibrationSamples > 0)) {
    throw err.badOption('calibration-samples', 'must be a positive integer');
  }
  if (o.excludeNodes !== undefined) {
    try {
      new RegExp(o.excludeNodes);
    } catch (e) {
      throw err.badOption('exclude-nodes', `not a valid regular expression (${(e as Error).message})`);
    }
  }
}
