// The float conversion, end to end: load and prepare each signature, import it into the graph,
// run the pipeline, and write one TFLite model with a subgraph and SignatureDef per signature.

import type { Graph } from '../graph/ir.js';
import { graphFromGraphDef } from '../graph/from-graphdef.js';
import { graphsToTflite } from '../export/to-tflite.js';
import { type PassRun, runPasses } from '../passes/manager.js';
import type { PassContext } from '../passes/pass.js';
import { FLOAT_PIPELINE } from '../passes/pipeline.js';
import type { PreparedGraph } from '../prepare/index.js';
import { type TfliteModel, writeTflite } from '../tflite/index.js';
import { PACKAGE_VERSION } from '../util/package.js';
import { type LoadOptions, loadForConversion } from './load.js';
import { minRuntimeVersionOf } from '../lower/op-versions.js';

export interface ConvertOptions extends LoadOptions {
  /** Fixed shapes for inputs (by signature key or tensor name); fixes unknown dims and ranks. */
  inputShapes?: Record<string, number[]>;
  /** Write ops without a TFLite builtin as CUSTOM ops instead of failing. */
  allowCustomOps?: boolean;
  /** Pass names to leave out (debugging). */
  skipPasses?: string[];
  /** Where passes say things worth saying. */
  log?: (message: string) => void;
}

export interface ConversionResult {
  bytes: Uint8Array;
  model: TfliteModel;
  /** The converted graphs, one per signature (TFLite ops, static shapes). */
  graphs: Graph[];
  /** The frozen TF graphs they came from (what the TF reference runs). */
  prepared: PreparedGraph[];
  notes: string[];
  passRuns: PassRun[][];
}

export const DESCRIPTION = `tfconv ${PACKAGE_VERSION}`;

/** The float graphs of a model, before export: what quantization and reports work on. */
export interface ConvertedGraphs {
  graphs: Graph[];
  prepared: PreparedGraph[];
  notes: string[];
  passRuns: PassRun[][];
}

export function convertModel(path: string, options: ConvertOptions = {}): ConversionResult {
  const c = convertToGraphs(path, options);
  return { ...c, ...exportGraphs(c.graphs) };
}

/** The graphs as a TFLite model and its bytes. */
export function exportGraphs(graphs: readonly Graph[]): { model: TfliteModel; bytes: Uint8Array } {
  const model = graphsToTflite(graphs, { description: DESCRIPTION });
  const bytes = writeTflite(model, { minRuntimeVersion: minRuntimeVersionOf(graphs) });
  return { model, bytes };
}

export function convertToGraphs(path: string, options: ConvertOptions = {}): ConvertedGraphs {
  const loaded = loadForConversion(path, options);
  const ctx: PassContext = { allowCustomOps: options.allowCustomOps === true, log: options.log ?? (() => {}) };
  const skip = new Set(options.skipPasses ?? []);
  const graphs: Graph[] = [];
  const passRuns: PassRun[][] = [];
  for (const p of loaded.graphs) {
    const g = graphFromGraphDef(p.graphDef, {
      outputs: p.outputs,
      inputs: p.inputs.map((i) => ({ key: i.key, name: i.name })),
      inputShapes: options.inputShapes,
      signatureKey: p.signatureKey,
      source: p.source,
    });
    g.name = loaded.graphs.length === 1 ? 'main' : p.signatureKey;
    const r = runPasses(g, FLOAT_PIPELINE, ctx, skip);
    graphs.push(r.graph);
    passRuns.push(r.runs);
  }
  return { graphs, prepared: loaded.graphs, notes: loaded.notes, passRuns };
}
