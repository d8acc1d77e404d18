// `tfconv qat MODEL -o OUT_DIR`: a SavedModel with fake quantization where `optimize --quantize
// int8` quantizes, for quantization-aware fine-tuning in TensorFlow. A thin layer over
// api/qat.ts that parses options and prints what was written.

import type { Argv } from 'yargs';
import { qat } from '../../api/qat.js';
import { err } from '../../errors/index.js';
import { CALIBRATION_METHODS, type CalibrationMethod } from '../../quantize/options.js';
import { argReader, csv, strings } from '../args.js';
import type { CliIO } from '../io.js';
import { parseInputShapes } from './optimize.js';
import type { CliCommand } from './registry.js';

export const qatCommand: CliCommand = {
  command: 'qat <model>',
  describe: 'Write a SavedModel with fake quantization inserted, for quantization-aware fine-tuning',
  builder: (y: Argv) =>
    y
      .positional('model', { type: 'string', describe: 'SavedModel directory (or TF Serving base directory) or GraphDef .pb' })
      .option('output', { alias: 'o', type: 'string', describe: 'the SavedModel directory to write (required)' })
      .option('overwrite', { type: 'boolean', default: false, describe: 'replace OUT_DIR if it is a non-empty directory' })
      .option('tag-set', { type: 'string', describe: "MetaGraph tag-set, comma-separated (default 'serve')" })
      .option('signature', { type: 'string', describe: 'signature key to take (default serving_default)' })
      .option('input-arrays', { type: 'string', describe: 'comma-separated input tensors (may be inner tensors: the graph is cut there)' })
      .option('output-arrays', { type: 'string', describe: 'comma-separated output tensors' })
      .option('input-shape', { type: 'string', array: true, describe: 'NAME=1,49,10,1: fix an input shape (repeatable)' })
      .option('representative', { type: 'string', describe: "calibration data for the starting activation ranges: .npy, .npz, .json, an image directory, or 'random' (default: [-6, 6])" })
      .option('calibration-samples', { type: 'number', describe: 'use at most this many representative samples' })
      .option('calibration', { type: 'string', choices: [...CALIBRATION_METHODS], describe: 'how activation ranges are chosen: minmax (default), percentile, entropy, mse' })
      .option('percentile', { type: 'number', describe: '--calibration percentile: the percentile kept (default 99.99)' })
      .option('mean', { type: 'string', describe: 'image representative data: per-channel mean' })
      .option('std', { type: 'string', describe: 'image representative data: per-channel std' })
      .option('seed', { type: 'number', describe: 'seed for --representative random (default 1)' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print nothing but errors' })
      .example('$0 qat saved_model/ -o qat_model/ --representative calibration.npy', 'fake quantization with calibrated starting ranges')
      .example('$0 optimize qat_model/ --quantize int8', 'after fine-tuning in TensorFlow: int8 from the learned ranges'),
  handler: qatHandler,
};

async function qatHandler(args: Record<string, unknown>, io: CliIO): Promise<number> {
  const model = String(args.model);
  if (typeof args.output !== 'string' || args.output === '') throw err.usage('tfconv qat needs the SavedModel directory to write: -o OUT_DIR');
  const quiet = args.quiet === true;
  const { num, str, floats } = argReader(args);
  const opt = <T>(k: string, v: T | undefined): Record<string, T> => (v === undefined ? {} : { [k]: v });
  const r = await qat(model, {
    output: args.output,
    overwrite: args.overwrite === true,
    ...opt('tagSet', str('tag-set')),
    ...opt('signature', str('signature')),
    ...opt('inputArrays', str('input-arrays') !== undefined ? csv(str('input-arrays') as string) : undefined),
    ...opt('outputArrays', str('output-arrays') !== undefined ? csv(str('output-arrays') as string) : undefined),
    inputShapes: parseInputShapes(strings(args['input-shape'])),
    ...opt('representative', str('representative')),
    ...opt('calibrationSamples', num('calibration-samples')),
    ...opt('calibration', str('calibration') as CalibrationMethod | undefined),
    ...opt('percentile', num('percentile')),
    ...opt('imageMean', floats('mean')),
    ...opt('imageStd', floats('std')),
    ...opt('seed', num('seed')),
    log: (m: string) => {
      if (!quiet) io.stderr.write(`tfconv: ${m}\n`);
    },
    progress: !quiet && io.stderr.isTTY === true,
  });
  if (!quiet) {
    for (const n of r.notes) io.stderr.write(`tfconv: note: ${n}\n`);
    io.stdout.write(`${model} -> ${r.output} (signature ${r.signature}, ${r.ms.toFixed(0)} ms)\n`);
    io.stdout.write(`  fake quantization: ${r.fakeQuant.activations} activation${r.fakeQuant.activations === 1 ? '' : 's'}, ${r.fakeQuant.weights} weight tensor${r.fakeQuant.weights === 1 ? '' : 's'}\n`);
    io.stdout.write(`  variables: ${r.variables.count} (${r.variables.trainable} trainable; ${r.variables.ranges} FakeQuant min/max)\n`);
    io.stdout.write(`  starting ranges: ${r.calibratedOn === null ? 'default [-6, 6] (no --representative)' : `calibrated on ${r.calibratedOn}`}\n`);
  }
  return 0;
}

