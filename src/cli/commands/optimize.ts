// `tfconv optimize MODEL [-o OUT.tflite]`: the main job. A thin layer over api/optimize.ts that
// parses options and prints what was done.

import type { Argv } from 'yargs';
import { optimizeIfChanged } from '../../api/if-changed.js';
import { optimize } from '../../api/optimize.js';
import { err } from '../../errors/index.js';
import { ALL_PASSES } from '../../passes/pipeline.js';
import { CALIBRATION_METHODS, type QuantizeOptions, checkQuantizeOptions } from '../../quantize/options.js';
import { formatBytes } from '../../util/format.js';
import type { VerifyReport } from '../../verify/verify.js';
import { argReader, csv, strings } from '../args.js';
import type { CliIO } from '../io.js';
import type { CliCommand } from './registry.js';
import { sqnrThresholdOf } from './report.js';
import { DEFAULT_SQNR_THRESHOLD, reportFormatOf } from '../../report/index.js';
import { type QuantReport, ownSqnr } from '../../report/report.js';
import { formatDb, layerName, worstFirst } from '../../report/text.js';

export const optimizeCommand: CliCommand = {
  command: 'optimize <model>',
  describe: 'Convert a SavedModel directory or frozen GraphDef .pb to a .tflite model',
  builder: (y: Argv) =>
    y
      .positional('model', { type: 'string', describe: 'SavedModel directory (or TF Serving base directory) or GraphDef .pb' })
      .option('output', { alias: 'o', type: 'string', describe: 'output .tflite (default: <model>.tflite beside the model)' })
      .option('tag-set', { type: 'string', describe: "MetaGraph tag-set, comma-separated (default 'serve')" })
      .option('signature', { type: 'string', array: true, describe: 'signature key to convert (repeatable; one subgraph each)' })
      .option('all-signatures', { type: 'boolean', default: false, describe: 'convert every serving signature' })
      .option('input-arrays', { type: 'string', describe: 'comma-separated input tensors (may be inner tensors: the graph is cut there)' })
      .option('output-arrays', { type: 'string', describe: 'comma-separated output tensors' })
      .option('input-shape', { type: 'string', array: true, describe: 'NAME=1,49,10,1: fix an input shape (repeatable)' })
      .option('allow-custom-ops', { type: 'boolean', default: false, describe: 'write ops TFLite lacks as CUSTOM ops instead of failing' })
      .option('skip-pass', { type: 'string', array: true, describe: `leave a pass out (${[...ALL_PASSES.keys()].join(', ')})` })
      .option('verify', { type: 'boolean', default: false, describe: 'compare the TFLite runtime with the TF reference on seeded inputs' })
      .option('verify-samples', { type: 'number', default: 3, describe: 'how many seeded input sets --verify uses' })
      .option('verify-seed', { type: 'number', default: 1, describe: 'first seed of --verify inputs' })
      .option('verify-fill', { type: 'string', array: true, describe: '--verify: hold an input at one value, NAME=VALUE (repeatable; e.g. keep_prob=1)' })
      .option('atol', { type: 'number', describe: '--verify: absolute tolerance (default 1e-5)' })
      .option('rtol', { type: 'number', describe: '--verify: tolerance relative to the largest reference value (default 1e-5)' })
      .option('min-sqnr', { type: 'number', describe: '--verify: pass when every output reaches this SQNR in dB (default for --quantize: int8 12, dynamic 12, float16 30)' })
      .option('quantize', { type: 'string', choices: ['dynamic', 'int8', 'float16'], describe: 'quantize: dynamic (int8 weights), int8 (full integer), float16 (float16 weights)' })
      .option('representative', { type: 'string', describe: "int8 calibration data: .npy, .npz, .json, an image directory, or 'random'" })
      .option('calibration-samples', { type: 'number', describe: 'use at most this many representative samples' })
      .option('calibration', { type: 'string', choices: [...CALIBRATION_METHODS], describe: 'how activation ranges are chosen: minmax (default, as TFLite), percentile, entropy (KL), mse' })
      .option('percentile', { type: 'number', describe: '--calibration percentile: the percentile kept (default 99.99)' })
      .option('inference-input-type', { type: 'string', choices: ['float32', 'int8', 'uint8'], describe: 'int8: type of the model inputs (default float32)' })
      .option('inference-output-type', { type: 'string', choices: ['float32', 'int8', 'uint8'], describe: 'int8: type of the model outputs (default float32)' })
      .option('full-integer', { type: 'boolean', default: false, describe: 'int8: fail, listing them, if any op would stay float' })
      .option('exclude-ops', { type: 'string', describe: 'comma-separated op types to keep in float (TF or TFLite names)' })
      .option('exclude-nodes', { type: 'string', describe: 'keep nodes whose name matches this regular expression in float' })
      .option('mean', { type: 'string', describe: 'image representative data: per-channel mean, e.g. 127.5 or 123.7,116.3,103.5' })
      .option('std', { type: 'string', describe: 'image representative data: per-channel std, e.g. 127.5' })
      .option('seed', { type: 'number', describe: "seed for --representative random (default 1)" })
      .option('if-changed', { type: 'boolean', default: false, describe: 'skip when the output is newer than the model and was made with the same options' })
      .option('input-range', { type: 'string', array: true, describe: 'int8: NAME=MIN,MAX real range of an input without a learned (QAT) range (repeatable)' })
      .option('report', { type: 'string', array: true, describe: 'with --quantize: write a quantization report (per-layer error, size, coverage) to FILE.html or FILE.json (repeatable)' })
      .option('sqnr-threshold', { type: 'number', default: DEFAULT_SQNR_THRESHOLD, describe: '--report: layers below this SQNR (dB) get an --exclude-nodes suggestion' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print nothing but errors' })
      .example('$0 optimize saved_model/ -o model.tflite', 'convert the serving_default signature')
      .example('$0 optimize frozen.pb --input-arrays Reshape_2 --output-arrays labels_softmax', 'cut a frozen graph')
      .example('$0 optimize saved_model/ --verify', 'convert and check against TensorFlow semantics')
      .example('$0 optimize saved_model/ --quantize int8 --representative data.npy --report report.html', 'quantize, and see which layers lost accuracy')
      .example('$0 optimize saved_model/ -o public/model.tflite --if-changed', 'in a prebuild npm script: convert only when needed'),
  handler: optimizeHandler,
};

async function optimizeHandler(args: Record<string, unknown>, io: CliIO): Promise<number> {
  const model = String(args.model);
  const skip = strings(args['skip-pass']);
  for (const s of skip) if (!ALL_PASSES.has(s)) throw err.badOption('skip-pass', `unknown pass '${s}'; passes: ${[...ALL_PASSES.keys()].join(', ')}`);
  const samples = Number(args['verify-samples']);
  if (!Number.isInteger(samples) || samples < 1) throw err.badOption('verify-samples', 'must be a positive integer');
  const quiet = args.quiet === true;
  const reportFiles = strings(args.report);
  if (reportFiles.length && typeof args.quantize !== 'string') throw err.badOption('report', 'needs --quantize: it compares the float model with the quantized one');
  if (reportFiles.length && args['if-changed'] === true) throw err.badOption('report', 'cannot be combined with --if-changed (a skipped conversion has nothing to report)');
  for (const f of reportFiles) reportFormatOf(f);
  // Outside int8 the quantizer takes no data; the report does.
  const reportData = reportFiles.length && args.quantize !== 'int8' && typeof args.representative === 'string' ? { representative: args.representative } : {};
  const r = await (args['if-changed'] === true ? optimizeIfChanged : optimize)(model, {
    ...(typeof args.output === 'string' ? { output: args.output } : {}),
    ...(typeof args['tag-set'] === 'string' ? { tagSet: args['tag-set'] } : {}),
    ...(strings(args.signature).length ? { signatures: strings(args.signature) } : {}),
    allSignatures: args['all-signatures'] === true,
    ...(typeof args['input-arrays'] === 'string' ? { inputArrays: csv(args['input-arrays']) } : {}),
    ...(typeof args['output-arrays'] === 'string' ? { outputArrays: csv(args['output-arrays']) } : {}),
    inputShapes: parseInputShapes(strings(args['input-shape'])),
    allowCustomOps: args['allow-custom-ops'] === true,
    skipPasses: skip,
    ...(typeof args.quantize === 'string' ? { quantize: quantizeOptions(reportData.representative ? { ...args, representative: undefined } : args) } : {}),
    ...(reportFiles.length ? { report: { files: reportFiles, sqnrThreshold: sqnrThresholdOf(args), ...reportData } } : {}),
    log: (m: string) => {
      if (!quiet) io.stderr.write(`tfconv: ${m}\n`);
    },
    progress: !quiet && io.stderr.isTTY === true,
    // Only the file is wanted here: the frozen TF graph's copy of the weights can go early.
    keepPrepared: false,
    ...(args.verify === true
      ? {
          verify: {
            samples,
            seed: Number(args['verify-seed']),
            ...(typeof args.atol === 'number' ? { atol: args.atol } : {}),
            ...(typeof args.rtol === 'number' ? { rtol: args.rtol } : {}),
            ...(typeof args['min-sqnr'] === 'number' ? { minSqnr: args['min-sqnr'] } : {}),
            fill: parseFills(strings(args['verify-fill'])),
          },
        }
      : {}),
  });
  if ('skipped' in r && r.skipped) {
    if (!quiet) io.stdout.write(`${model} -> ${r.output}: up to date (${r.reason}); skipped\n`);
    return 0;
  }
  if (!quiet) {
    for (const n of r.notes) io.stderr.write(`tfconv: note: ${n}\n`);
    const opCount = Object.values(r.ops).reduce((a, b) => a + b, 0);
    const size = r.floatBytes !== undefined ? `${formatBytes(r.bytes)}, ${formatRatio(r.bytes, r.floatBytes)} of float ${formatBytes(r.floatBytes)}` : formatBytes(r.bytes);
    io.stdout.write(`${model} -> ${r.output} (${size}, ${opCount} ops, ${r.ms.toFixed(0)} ms)\n`);
    io.stdout.write(`  signatures: ${r.signatures.join(', ')}\n`);
    io.stdout.write(`  ops: ${Object.entries(r.ops).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k, v]) => `${k} x${v}`).join(', ')}\n`);
    if (r.verify) io.stdout.write(formatVerify(r.verify));
    if ('report' in r && r.report) io.stdout.write(reportSummary(r.report, reportFiles));
  }
  if (r.verify && !r.verify.pass) {
    const v = r.verify;
    if (v.minSqnr !== undefined) {
      const bad = v.outputs.filter((o) => !o.pass).map((o) => `${o.signature}/${o.output} (SQNR ${o.sqnr.toFixed(1)} dB)`);
      throw err.verifyFailed(`verification failed: ${bad.join(', ')} below ${v.minSqnr} dB`);
    }
    const bad = v.outputs.filter((o) => !o.pass).map((o) => `${o.signature}/${o.output} (max abs ${o.maxAbs.toExponential(2)})`);
    throw err.verifyFailed(`verification failed: ${bad.join(', ')} above atol ${v.atol} + rtol ${v.rtol} x max|reference|`);
  }
  return 0;
}

/** Two lines for optimize: where the report went, the output SQNR and the worst layers. */
export function reportSummary(r: QuantReport, files: readonly string[]): string {
  const outs = r.outputs.map((o) => `${o.key} ${formatDb(o.sqnr)} dB${o.top1 !== null ? ` (top-1 ${(100 * o.top1).toFixed(1)}%)` : ''}`).join(', ');
  const worst = worstFirst(r.layers)
    .filter((l) => ownSqnr(l) !== null)
    .slice(0, 3)
    .map((l) => `#${l.index} ${l.op} ${layerName(l, 30)} ${formatDb(ownSqnr(l))} dB`)
    .join(', ');
  const below = r.layers.filter((l) => l.belowThreshold).length;
  return `  report: ${files.join(', ')}: output SQNR ${outs} on ${r.data.samples} samples\n  worst layers (own error): ${worst || 'none measured'}; ${below} below ${r.sqnrThreshold} dB\n`;
}

export function formatVerify(v: VerifyReport): string {
  const rule = v.minSqnr !== undefined ? `SQNR >= ${v.minSqnr} dB` : `max abs <= ${v.atol} + ${v.rtol} x max|reference|`;
  let out = `verify: ${v.samples} input set${v.samples === 1 ? '' : 's'}, pass when ${rule}\n`;
  for (const n of v.notes) out += `  note: ${n}\n`;
  for (const o of v.outputs) {
    if (o.skipped) out += `  ${o.signature}/${o.output}: not compared (${o.skipped})\n`;
    else {
      const sqnr = Number.isFinite(o.sqnr) ? `${o.sqnr.toFixed(1)} dB` : 'exact';
      out += `  ${o.signature}/${o.output}: max abs ${o.maxAbs.toExponential(2)}, max rel ${o.maxRel.toExponential(2)}, SQNR ${sqnr}  ${o.pass ? 'ok' : 'FAIL'}\n`;
    }
  }
  return out;
}

function quantizeOptions(args: Record<string, unknown>): QuantizeOptions {
  const { num, str, floats } = argReader(args);
  const o: QuantizeOptions = { mode: String(args.quantize) as QuantizeOptions['mode'] };
  const set = <K extends keyof QuantizeOptions>(k: K, v: QuantizeOptions[K] | undefined): void => {
    if (v !== undefined) o[k] = v;
  };
  set('representative', str('representative'));
  set('calibrationSamples', num('calibration-samples'));
  set('calibration', str('calibration') as QuantizeOptions['calibration']);
  set('percentile', num('percentile'));
  set('inferenceInputType', str('inference-input-type') as QuantizeOptions['inferenceInputType']);
  set('inferenceOutputType', str('inference-output-type') as QuantizeOptions['inferenceOutputType']);
  if (args['full-integer'] === true) o.fullInteger = true;
  set('excludeOps', str('exclude-ops') !== undefined ? csv(str('exclude-ops') as string) : undefined);
  set('excludeNodes', str('exclude-nodes'));
  set('imageMean', floats('mean'));
  set('imageStd', floats('std'));
  set('seed', num('seed'));
  const ranges = parseInputRanges(strings(args['input-range']));
  if (Object.keys(ranges).length > 0) o.inputRanges = ranges;
  checkQuantizeOptions(o);
  return o;
}

/** NAME=MIN,MAX (repeatable) -> { NAME: [MIN, MAX] }. */
export function parseInputRanges(specs: string[]): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  for (const spec of specs) {
    const m = /^(.+)=([^=]*)$/.exec(spec);
    const v = m ? m[2].split(',').map((x) => Number(x.trim())) : [];
    if (!m || v.length !== 2 || m[2].split(',').some((x) => x.trim() === '') || !v.every(Number.isFinite)) {
      throw err.badOption('input-range', `'${spec}' is not NAME=MIN,MAX`);
    }
    if (!(v[0] < v[1])) throw err.badOption('input-range', `'${spec}': MIN must be smaller than MAX`);
    out[m[1]] = [v[0], v[1]];
  }
  return out;
}

/** NAME=1,49,10,1 (repeatable) -> { NAME: [1, 49, 10, 1] }. */
export function parseInputShapes(specs: string[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const spec of specs) {
    const m = /^(.+)=([\d,\s]*)$/.exec(spec);
    if (!m) throw err.badOption('input-shape', `'${spec}' is not NAME=D1,D2,...`);
    const dims = m[2].split(',').map((d) => d.trim()).filter((d) => d !== '').map(Number);
    if (dims.some((d) => !Number.isInteger(d) || d < 0)) throw err.badOption('input-shape', `'${spec}' has a dimension that is not a non-negative integer`);
    out[m[1]] = dims;
  }
  return out;
}

/** NAME=VALUE (repeatable) -> { NAME: VALUE }. */
export function parseFills(specs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const spec of specs) {
    const m = /^(.+)=(.+)$/.exec(spec);
    const v = m ? Number(m[2]) : Number.NaN;
    if (!m || !Number.isFinite(v)) throw err.badOption('verify-fill', `'${spec}' is not NAME=NUMBER`);
    out[m[1]] = v;
  }
  return out;
}

/** The quantized size as a fraction of the float size: '0.25x'. */
export function formatRatio(bytes: number, floatBytes: number): string {
  return `${(bytes / floatBytes).toFixed(2)}x`;
}
