// optimize(): convert a SavedModel or GraphDef to a .tflite file, optionally verifying it
// against the TF reference. The CLI's `tfconv optimize` is a thin layer over this.

import fs from 'node:fs';
import { type ConversionResult, type ConvertOptions, type ConvertedGraphs, convertToGraphs, exportGraphsIndexed } from '../convert/convert.js';
import { type Graph, type Tensor, provenance } from '../graph/ir.js';
import { type QuantReport, type ReportHints, type ReportOptions, buildReport, reportFormatOf, writeReport } from '../report/index.js';
import { type QuantizeOptions, quantizeGraphs } from '../quantize/index.js';
import { REPRESENTATIVE_UNUSED } from '../quantize/int8.js';
import { loadRepresentative } from '../quantize/representative.js';
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
  /**
   * With quantize: compare the float and the quantized model on representative data and write
   * the report (docs/report.md). Its data defaults to the quantizer's (--representative).
   */
  report?: OptimizeReportOptions;
}

export interface OptimizeReportOptions extends ReportOptions {
  /** Report files to write: .json or .html (by extension). */
  files?: string[];
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
  /** With `report`: the quantization report (also written to `report.files`). */
  report?: QuantReport;
}

/** SQNR (dB) every output of a quantized model must reach in --verify unless tolerances are given. */
export const DEFAULT_MIN_SQNR: Readonly<Record<QuantizeOptions['mode'], number>> = { int8: 12, dynamic: 12, float16: 30 };

/**
 * Verification settings: a quantized model passes by output SQNR (a float tolerance of 1e-5 means
 * nothing for it), and an int8 model calibrated on data is checked on the first samples of that
 * data, since random inputs lie outside the ranges it was calibrated for.
 */
function verifyOptions(options: OptimizeOptions, converted: ConvertedGraphs): VerifyOptions {
  const v: VerifyOptions = options.verify === true || !options.verify ? {} : { ...options.verify };
  const q = options.quantize;
  if (!q) return v;
  if (v.minSqnr === undefined && v.atol === undefined && v.rtol === undefined) v.minSqnr = DEFAULT_MIN_SQNR[q.mode];
  const rep = q.representative;
  if (q.mode === 'int8' && rep && rep !== 'random' && !v.inputs && !v.inputSets && converted.graphs.length === 1) {
    const g = converted.graphs[0];
    const data = loadRepresentative(q, g);
    const keys = g.inputs.map((t) => g.signature?.inputs.find((e) => e.tensor === t)?.key ?? t.name);
    const n = Math.min(data.count, v.samples ?? 3);
    v.inputSets = Array.from({ length: n }, (_, i) => Object.fromEntries(data.sample(i).map((x, k) => [keys[k], x])));
  }
  return v;
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
  if (options.report) {
    if (!options.quantize) throw err.badOption('report', 'needs --quantize: it compares the float model with the quantized one');
    for (const f of options.report.files ?? []) {
      reportFormatOf(f);
      checkOutputPath(f, model);
    }
  }
  let floatExport: ReturnType<typeof exportGraphsIndexed> | undefined;
  let tensorMaps: Map<Tensor, Tensor>[] | undefined;
  if (options.quantize) {
    // The float model, for the size ratio and the report; exported before quantization (some
    // modes rewrite the graphs in place).
    floatExport = exportGraphsIndexed(converted.graphs);
    floatBytes = floatExport.bytes.length;
    if (release) releaseDeadWeights(converted.graphs);
    const q = await quantizeGraphs(converted, options.quantize, { log: options.log ?? (() => {}), progress: options.progress === true });
    graphs = q.graphs;
    tensorMaps = q.tensorMaps;
    if (release) releaseDeadWeights(graphs);
    // With --report the data did serve: the report ran both models on it.
    notes.push(...q.notes.filter((n) => !(options.report && n === REPRESENTATIVE_UNUSED)));
  }
  const exported = exportGraphsIndexed(graphs);
  const conversion: ConversionResult = { ...converted, graphs, notes, model: exported.model, bytes: exported.bytes };
  const ms = performance.now() - t0;

  let verify: VerifyReport | undefined;
  if (options.verify) {
    verify = await verifyConversion(conversion, verifyOptions(options, converted));
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
  let report: QuantReport | undefined;
  if (options.report && options.quantize && floatExport) {
    const { files, ...reportOptions } = options.report;
    const q = options.quantize;
    const data = {
      ...(q.representative !== undefined ? { representative: q.representative } : {}),
      ...(q.calibrationSamples !== undefined ? { calibrationSamples: q.calibrationSamples } : {}),
      ...(q.imageMean !== undefined ? { imageMean: q.imageMean } : {}),
      ...(q.imageStd !== undefined ? { imageStd: q.imageStd } : {}),
      ...(q.seed !== undefined ? { seed: q.seed } : {}),
    };
    if (graphs.length > 1) notes.push(`report: covers the first signature ('${graphs[0].signature?.key ?? graphs[0].name}') only: the runtime runs subgraph 0`);
    report = await buildReport(
      { bytes: floatExport.bytes, file: `${model} (float)` },
      { bytes: exported.bytes, file: output },
      { ...data, progress: options.progress === true, ...reportOptions },
      reportHints(converted.graphs[0], graphs[0], floatExport.tensorIndex[0], exported.tensorIndex[0], tensorMaps?.[0]),
    );
    for (const f of files ?? []) writeReport(report, f);
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
    ...(report ? { report } : {}),
  };
}

/** The quantizer's exact correspondence and the TF provenance of every layer, by tensor index. */
function reportHints(float: Graph, quant: Graph, floatIndex: Map<Tensor, number>, quantIndex: Map<Tensor, number>, map: Map<Tensor, Tensor> | undefined): ReportHints {
  const pairs = new Map<number, number>();
  for (const [f, q] of map ?? []) {
    const fi = floatIndex.get(f);
    const qi = quantIndex.get(q);
    if (fi !== undefined && qi !== undefined && !pairs.has(qi)) pairs.set(qi, fi);
  }
  const tfNodes = new Map<number, readonly string[]>();
  for (const n of quant.nodes) {
    for (const t of n.outputs) {
      const qi = quantIndex.get(t);
      if (qi !== undefined) tfNodes.set(qi, provenance(n));
    }
  }
  // What --exclude-nodes is matched against: the float graph's nodes.
  return { pairs, tfNodes, nodes: float.nodes.map((n) => provenance(n)) };
}
