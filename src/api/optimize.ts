// optimize(): convert a SavedModel or GraphDef to a .tflite file, optionally verifying it
// against the TF reference. The CLI's `tfconv optimize` is a thin layer over this.

import fs from 'node:fs';
import { type ConversionResult, type ConvertOptions, convertToGraphs, exportGraphs } from '../convert/convert.js';
import { type QuantizeOptions, quantizeGraphs } from '../quantize/index.js';
import { err } from '../errors/index.js';
import { operatorName } from '../tflite/index.js';
import { type VerifyOptions, type VerifyReport, customOps, verifyConversion } from '../verify/verify.js';
import { releaseDeadWeights } from '../util/memory.js';
import { writeFileAtomic } from '../writers/atomic-file.js';
import { checkOutputPath, defaultOutputPath } from './output-path.js';

export interface OptimizeOptions extends ConvertOptions {
  /** Output .tflite path; default `<model>.tflite` beside the model. */
  output?: string;
  /** Run the TF reference and the TFLite runtime on the same inputs and compare. */
  verify?: boolean | VerifyOptions;
  /** Quantize the converted model (dynamic range, full int8, float16). */
  quantize?: QuantizeOptions;
  /** Progress and notes (stderr in the CLI); silent by default. */
  log?: (message: string) => void;
  /** Whether progress bars may be drawn. */
  progress?: boolean;
}

export interface OptimizeResult {
  /** Where the model was written. */
  output: string;
  /** Size of the written file. */
  bytes: number;
  /** With quantization: the size the float model would have had. */
  floatBytes?: number;
  /** Operator histogram of the written model (all subgraphs). */
  ops: Record<string, number>;
  signatures: string[];
  notes: string[];
  verify?: VerifyReport;
  /** Wall time of the conversion (ms), without verification. */
  ms: number;
  /** The conversion itself, for callers that want the graphs (reports, tests). */
  conversion: ConversionResult;
}

export async function optimize(model: string, options: OptimizeOptions = {}): Promise<OptimizeResult> {
  const output = options.output ?? defaultOutputPath(model);
  checkOutputPath(output, model);
  const t0 = performance.now();
  // keepPrepared: false (the CLI: only the file is wanted) lowers the peak memory by about the
  // size of the weights; verification runs the frozen graphs, so it keeps them regardless.
  const release = options.keepPrepared === false && !options.verify;
  const converted = convertToGraphs(model, { ...options, keepPrepared: !release });
  // Without the frozen graphs, the original weights are dead now: free them before the builder
  // allocates as much again (src/util/memory.ts says why this is not left to the GC's timing).
  if (release) releaseDeadWeights(converted.graphs);
  let graphs = converted.graphs;
  const notes = [...converted.notes];
  let floatBytes: number | undefined;
  if (options.quantize) {
    // The float model's size, for the ratio; measured before quantization rewrites the graphs.
    floatBytes = exportGraphs(converted.graphs).bytes.length;
    if (release) releaseDeadWeights(converted.graphs);
    const q = await quantizeGraphs(converted, options.quantize, { log: options.log ?? (() => {}), progress: options.progress === true });
    graphs = q.graphs;
    notes.push(...q.notes);
    if (release) releaseDeadWeights(graphs);
  }
  const conversion: ConversionResult = { ...converted, graphs, notes, ...exportGraphs(graphs) };
  const ms = performance.now() - t0;

  let verify: VerifyReport | undefined;
  if (options.verify) {
    verify = await verifyConversion(conversion, options.verify === true ? {} : options.verify);
  }
  // Written after verification so a failed check can still leave no file behind (the caller
  // decides); but a verification failure is reported, not thrown, so the file is kept to inspect.
  writeFileAtomic(output, conversion.bytes);
  if (!fs.existsSync(output)) throw err.writeFailed(output, 'the file is missing after writing');

  const ops: Record<string, number> = {};
  for (const sg of conversion.model.subgraphs) {
    for (const op of sg.operators) {
      const name = operatorName(conversion.model.operatorCodes[op.opcodeIndex]);
      ops[name] = (ops[name] ?? 0) + 1;
    }
  }
  const custom = customOps(conversion.model);
  if (custom.length) {
    notes.push(`the model has custom ops (${custom.join(', ')}): the TFLite interpreter refuses to load it ("unresolved custom op") unless the app registers a kernel for each`);
  }
  return {
    output,
    bytes: conversion.bytes.length,
    ...(floatBytes !== undefined ? { floatBytes } : {}),
    ops,
    signatures: conversion.graphs.map((g) => g.signature?.key ?? g.name),
    notes,
    ...(verify ? { verify } : {}),
    ms,
    conversion,
  };
}
