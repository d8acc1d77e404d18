// Quantization of converted float graphs, by mode. Runs between the float pipeline and export:
// each mode takes the float graphs (TFLite ops, static shapes) and returns quantized graphs.
//
//   dynamic - int8 weights, float activations (TFLite's hybrid kernels)       ./dynamic.ts
//   float16 - float16 weights with DEQUANTIZE                                  ./float16.ts
//   int8    - full integer from calibration or QAT ranges                      ./int8.ts

import type { ConvertedGraphs } from '../convert/convert.js';
import type { Graph, Tensor } from '../graph/ir.js';
import { quantizeDynamic } from './dynamic.js';
import { quantizeFloat16 } from './float16.js';
import { quantizeInt8 } from './int8.js';
import { type QuantizeMode, type QuantizeOptions, checkQuantizeOptions } from './options.js';

export type { QuantizeOptions } from './options.js';

export interface QuantizeContext {
  /** Progress and notes for the user (stderr in the CLI). */
  log: (message: string) => void;
  /** Whether a progress bar may be drawn (stderr is a TTY and not --quiet). */
  progress: boolean;
}

export interface QuantizeResult {
  graphs: Graph[];
  /**
   * Per graph (when the mode keeps them): each float graph tensor -> the tensor standing for it in
   * the quantized graph (retyped to int8, or still float next to ops kept in float). For reports
   * that run the float and the quantized model side by side.
   */
  tensorMaps?: Map<Tensor, Tensor>[];
  /** Things the user should know (e.g. ops kept in float, random calibration data). */
  notes: string[];
}

export type QuantizeModeImpl = (c: ConvertedGraphs, options: QuantizeOptions, ctx: QuantizeContext) => Promise<QuantizeResult>;

const MODES: Record<QuantizeMode, QuantizeModeImpl> = {
  dynamic: quantizeDynamic,
  float16: quantizeFloat16,
  int8: quantizeInt8,
};

export async function quantizeGraphs(c: ConvertedGraphs, options: QuantizeOptions, ctx: QuantizeContext): Promise<QuantizeResult> {
  checkQuantizeOptions(options);
  return MODES[options.mode](c, options, ctx);
}
