// report(): compare a float .tflite with its quantized version on representative data, layer by
// layer, in the real TFLite runtime. `tfconv report` is a thin layer over this; `optimize` with
// `report` builds the same report with the quantizer's exact tensor correspondence.

import { buildReport } from '../report/report.js';
import type { QuantReport, ReportOptions } from '../report/report.js';
import { readTfliteFile } from '../tflite/index.js';

export type { QuantReport, ReportOptions } from '../report/report.js';

/** A model: a .tflite path, or its bytes. */
export type ReportModelSource = string | Uint8Array;

function load(src: ReportModelSource, label: string): { bytes: Uint8Array; file: string } {
  if (typeof src === 'string') return { bytes: readTfliteFile(src).bytes, file: src };
  return { bytes: src, file: label };
}

/**
 * The quantization report of `quant` against `float`: per layer (each operator's output) and per
 * output, SQNR, MSE, max abs error and cosine similarity on the representative samples; weights'
 * per-channel spread; sizes and op histograms. Layers are matched by tensor name and operator
 * order; the report lists what could not be matched.
 */
export async function report(float: ReportModelSource, quant: ReportModelSource, options: ReportOptions): Promise<QuantReport> {
  return buildReport(load(float, 'float model'), load(quant, 'quantized model'), options);
}
