// `tfconv optimize MODEL [-o OUT.tflite]`: the main job. A thin layer over api/optimize.ts that
// parses options and prints what was done.

import type { Argv } from 'yargs';
import { optimize } from '../../api/optimize.js';
import { err } from '../../errors/index.js';
import { ALL_PASSES } from '../../passes/pipeline.js';
import type { VerifyReport } from '../../verify/verify.js';
import type { CliIO } from '../io.js';
import type { CliCommand } from './registry.js';

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
      .option('atol', { type: 'number', default: 1e-5, describe: '--verify: absolute tolerance' })
      .option('rtol', { type: 'number', default: 1e-5, describe: '--verify: tolerance relative to the largest reference value' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print nothing but errors' })
      .example('$0 optimize saved_model/ -o model.tflite', 'convert the serving_default signature')
      .example('$0 optimize frozen.pb --input-arrays Reshape_2 --output-arrays labels_softmax', 'cut a frozen graph')
      .example('$0 optimize saved_model/ --verify', 'convert and check against TensorFlow semantics'),
  handler: optimizeHandler,
};

async function optimizeHandler(args: Record<string, unknown>, io: CliIO): Promise<number> {
  const model = String(args.model);
  const skip = strings(args['skip-pass']);
  for (const s of skip) if (!ALL_PASSES.has(s)) throw err.badOption('skip-pass', `unknown pass '${s}'; passes: ${[...ALL_PASSES.keys()].join(', ')}`);
  const samples = Number(args['verify-samples']);
  if (!Number.isInteger(samples) || samples < 1) throw err.badOption('verify-samples', 'must be a positive integer');
  const quiet = args.quiet === true;
  const r = await optimize(model, {
    ...(typeof args.output === 'string' ? { output: args.output } : {}),
    ...(typeof args['tag-set'] === 'string' ? { tagSet: args['tag-set'] } : {}),
    ...(strings(args.signature).length ? { signatures: strings(args.signature) } : {}),
    allSignatures: args['all-signatures'] === true,
    ...(typeof args['input-arrays'] === 'string' ? { inputArrays: csv(args['input-arrays']) } : {}),
    ...(typeof args['output-arrays'] === 'string' ? { outputArrays: csv(args['output-arrays']) } : {}),
    inputShapes: parseInputShapes(strings(args['input-shape'])),
    allowCustomOps: args['allow-custom-ops'] === true,
    skipPasses: skip,
    ...(args.verify === true
      ? { verify: { samples, seed: Number(args['verify-seed']), atol: Number(args.atol), rtol: Number(args.rtol), fill: parseFills(strings(args['verify-fill'])) } }
      : {}),
  });
  if (!quiet) {
    for (const n of r.notes) io.stderr.write(`tfconv: note: ${n}\n`);
    const opCount = Object.values(r.ops).reduce((a, b) => a + b, 0);
    io.stdout.write(`${model} -> ${r.output} (${formatBytes(r.bytes)}, ${opCount} ops, ${r.ms.toFixed(0)} ms)\n`);
    io.stdout.write(`  signatures: ${r.signatures.join(', ')}\n`);
    io.stdout.write(`  ops: ${Object.entries(r.ops).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k, v]) => `${k} x${v}`).join(', ')}\n`);
    if (r.verify) io.stdout.write(formatVerify(r.verify));
  }
  if (r.verify && !r.verify.pass) {
    const bad = r.verify.outputs.filter((o) => !o.pass).map((o) => `${o.signature}/${o.output} (max abs ${o.maxAbs.toExponential(2)})`);
    throw err.verifyFailed(`verification failed: ${bad.join(', ')} above atol ${r.verify.atol} + rtol ${r.verify.rtol} x max|reference|`);
  }
  return 0;
}

export function formatVerify(v: VerifyReport): string {
  let out = `verify: ${v.samples} seeded input set${v.samples === 1 ? '' : 's'}, pass when max abs <= ${v.atol} + ${v.rtol} x max|reference|\n`;
  for (const n of v.notes) out += `  note: ${n}\n`;
  for (const o of v.outputs) {
    if (o.skipped) out += `  ${o.signature}/${o.output}: not compared (${o.skipped})\n`;
    else out += `  ${o.signature}/${o.output}: max abs ${o.maxAbs.toExponential(2)}, max rel ${o.maxRel.toExponential(2)}  ${o.pass ? 'ok' : 'FAIL'}\n`;
  }
  return out;
}

function strings(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

function csv(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter(Boolean);
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

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}
