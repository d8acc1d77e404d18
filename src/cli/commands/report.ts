// `tfconv report FLOAT.tflite QUANT.tflite --representative DATA`: how far the quantized model is
// from the float one, layer by layer, measured in the TFLite runtime. A thin layer over
// api/report.ts: tables on stdout (or JSON with --json), .json/.html files with --report.

import type { Argv } from 'yargs';
import { report } from '../../api/report.js';
import { err } from '../../errors/index.js';
import { DEFAULT_SQNR_THRESHOLD, reportFormatOf, reportJson, reportText, writeReport } from '../../report/index.js';
import type { ReportOptions } from '../../report/report.js';
import { type CliIO, useColor } from '../io.js';
import type { CliCommand } from './registry.js';

/** The report options shared by `report` and `optimize --report`. */
export function reportBuilder(y: Argv, withData: boolean): Argv {
  let out = y
    .option('sqnr-threshold', { type: 'number', default: DEFAULT_SQNR_THRESHOLD, describe: 'report: layers below this SQNR (dB) get an --exclude-nodes suggestion' });
  if (withData) {
    out = out
      .option('representative', { type: 'string', describe: "data both models run on: .npy, .npz, .json, an image directory, or 'random'" })
      .option('samples', { type: 'number', describe: 'use at most this many samples' })
      .option('mean', { type: 'string', describe: 'image data: per-channel mean, e.g. 127.5' })
      .option('std', { type: 'string', describe: 'image data: per-channel std, e.g. 127.5' })
      .option('seed', { type: 'number', describe: "seed for --representative random (default 1)" });
  }
  return out;
}

export function sqnrThresholdOf(args: Record<string, unknown>): number {
  const v = args['sqnr-threshold'];
  if (v === undefined) return DEFAULT_SQNR_THRESHOLD;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw err.badOption('sqnr-threshold', `must be a number of dB, got '${String(v)}'`);
  return v;
}

export function floatList(args: Record<string, unknown>, k: string): number[] | undefined {
  const v = args[k];
  if (v === undefined) return undefined;
  const xs = String(v)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (xs.length === 0 || xs.some((x) => !Number.isFinite(x))) throw err.badOption(k, `'${String(v)}' is not a comma-separated list of numbers`);
  return xs;
}

export function stringList(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

export const reportCommand: CliCommand = {
  command: 'report <float> <quantized>',
  describe: 'Compare a float .tflite with its quantized version layer by layer on representative data (SQNR, MSE, max error, cosine)',
  builder: (y: Argv) =>
    reportBuilder(
      y
        .positional('float', { type: 'string', describe: 'the float .tflite model' })
        .positional('quantized', { type: 'string', describe: 'its quantized version (.tflite)' }),
      true,
    )
      .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON (schema: docs/report.md) instead of tables' })
      .option('report', { type: 'string', array: true, describe: 'also write the report to FILE.json or FILE.html (repeatable)' })
      .option('html', { type: 'string', describe: 'write the HTML report (charts, one self-contained file) to FILE' })
      .option('top', { type: 'number', default: 20, describe: 'layers shown in the terminal, worst first (0: all)' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no progress bar and no tables (files are still written)' })
      .example('$0 report kws.tflite kws_int8.tflite --representative calibration.npy', 'the worst layers first')
      .example('$0 report kws.tflite kws_int8.tflite --representative data.npz --html report.html', 'with charts, in one file'),
  handler: reportHandler,
};

async function reportHandler(args: Record<string, unknown>, io: CliIO): Promise<number> {
  const quiet = args.quiet === true;
  const files = stringList(args.report);
  if (typeof args.html === 'string') {
    if (reportFormatOf(args.html) !== 'html') throw err.badOption('html', `'${args.html}' must end in .html`);
    files.push(args.html);
  }
  for (const f of files) reportFormatOf(f);
  const top = Number(args.top);
  if (!Number.isInteger(top) || top < 0) throw err.badOption('top', 'must be a non-negative integer');
  const samples = args.samples;
  if (samples !== undefined && !(typeof samples === 'number' && Number.isInteger(samples) && samples > 0)) throw err.badOption('samples', 'must be a positive integer');
  const mean = floatList(args, 'mean');
  const std = floatList(args, 'std');
  const options: ReportOptions = {
    ...(typeof args.representative === 'string' ? { representative: args.representative } : {}),
    ...(typeof samples === 'number' ? { calibrationSamples: samples } : {}),
    ...(mean ? { imageMean: mean } : {}),
    ...(std ? { imageStd: std } : {}),
    ...(typeof args.seed === 'number' ? { seed: args.seed } : {}),
    sqnrThreshold: sqnrThresholdOf(args),
    progress: !quiet && io.stderr.isTTY === true,
  };
  const r = await report(String(args.float), String(args.quantized), options);
  for (const f of files) writeReport(r, f);
  if (args.json === true) io.stdout.write(reportJson(r));
  else if (!quiet) io.stdout.write(reportText(r, { color: useColor(io.stdout), top }));
  if (!quiet) for (const f of files) io.stderr.write(`tfconv: wrote ${f}\n`);
  return 0;
}
