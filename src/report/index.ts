// Quantization reports: the float and the quantized model side by side on representative data,
// in the real TFLite runtime (./measure.ts), rendered for the terminal, as JSON and as HTML.
//
//   ./model.ts    what a report reads from a .tflite file
//   ./match.ts    which float tensor each quantized layer stands for
//   ./measure.ts  both models run, layer values compared
//   ./weights.ts  per-channel weight ranges
//   ./report.ts   the report object (docs/report.md)
//   ./text.ts, ./json.ts, ./html.ts  renderers

import path from 'node:path';
import { err } from '../errors/index.js';
import { writeFileAtomic } from '../writers/atomic-file.js';
import { reportHtml } from './html.js';
import { reportJson } from './json.js';
import type { QuantReport } from './report.js';

export { DEFAULT_SQNR_THRESHOLD, type QuantReport, type ReportHints, type ReportInput, type ReportOptions, buildReport } from './report.js';
export { reportHtml } from './html.js';
export { reportJson, reportJsonValue } from './json.js';
export { type ReportTextOptions, reportText } from './text.js';

export type ReportFormat = 'json' | 'html';

/** The format a report file's extension names. */
export function reportFormatOf(file: string): ReportFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.html' || ext === '.htm') return 'html';
  throw err.reportFormat(file);
}

/** Write the report as .json or .html (by extension), atomically. */
export function writeReport(r: QuantReport, file: string): void {
  const format = reportFormatOf(file);
  writeFileAtomic(file, format === 'json' ? reportJson(r) : reportHtml(r));
}
