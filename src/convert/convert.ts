// The float conversion, end to end: load and prepare each signature, import it into the graph,
// run the pipeline, and write one TFLite model with a subgraph and SignatureDef per signature.

import type { Graph, Tensor } from '../graph/ir.js';
import { graphFromGraphDef } from '../graph/from-graphdef.js';
import { graphsToTfliteIndexed } from '../export/to-tflite.js';
import { type PassRun, runPasses } from '../passes/manager.js';
import type { PassContext } from '../passes/pass.js';
import { CHECK_STAGE, CONVERT_STAGE } from '../passes/pipeline.js';
import type { PreparedGraph } from '../prepare/index.js';
import { type TfliteModel, writeTflite } from '../tflite/index.js';
import { PACKAGE_VERSION } from '../util/package.js';
import { type LoadOptions, loadForConversion } from './load.js';
import { minRuntimeVersionOf } from '../lower/op-versions.js';
import { err, isTfconvError } from '../errors/index.js';
import { parseTensorRef } from '../graph/from-graphdef.js';

export interface ConvertOptions extends LoadOptions {
  /** Fixed shapes for inputs (by signature key or tensor name); fixes unknown dims and ranks. */
  inputShapes?: Record<string, number[]>;
  /** Write ops without a TFLite builtin as CUSTOM ops instead of failing. */
  allowCustomOps?: boolean;
  /** Pass names to leave out (debugging). */
  skipPasses?: string[];
  /** Where passes say things worth saying. */
  log?: (message: string) => void;
  /**
   * Return the frozen TF graphs as `prepared` (default true). They hold the weights a second
   * time, in checkpoint layout; with false they are let go before the passes run, so each
   * original is garbage as soon as lowering has replaced it (transposed weights), and `prepared`
   * is empty. A large model's peak memory is then lower by about the size of its weights.
   */
  keepPrepared?: boolean;
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
  const { model, bytes } = exportGraphsIndexed(graphs);
  return { model, bytes };
}

/** exportGraphs, also saying where each graph Tensor went (per graph: Tensor -> tensor index). */
export function exportGraphsIndexed(graphs: readonly Graph[]): { model: TfliteModel; bytes: Uint8Array; tensorIndex: Map<Tensor, number>[] } {
  const { model, tensorIndex } = graphsToTfliteIndexed(graphs, { description: DESCRIPTION });
  const bytes = writeTflite(model, { minRuntimeVersion: minRuntimeVersionOf(graphs) });
  return { model, bytes, tensorIndex };
}

export function convertToGraphs(path: string, options: ConvertOptions = {}): ConvertedGraphs {
  const loaded = loadForConversion(path, options);
  const ctx: PassContext = { allowCustomOps: options.allowCustomOps === true, log: options.log ?? (() => {}) };
  const skip = new Set(options.skipPasses ?? []);
  const graphs: Graph[] = [];
  const passRuns: PassRun[][] = [];
  const usedShapes = new Set<string>();
  const resolved = loaded.graphs.map((p) => resolveInputShapes(p, options.inputShapes ?? {}, usedShapes));
  // A misspelt --input-shape name is reported before the shapes it failed to give.
  const unused = Object.keys(options.inputShapes ?? {}).filter((k) => !usedShapes.has(k));
  if (unused.length) {
    const known = [...new Set(loaded.graphs.flatMap((p) => p.inputs.map((i) => i.key)))];
    throw err.badOption('input-shape', `'${unused[0]}' is not an input of the model; inputs: ${known.map((k) => `'${k}'`).join(', ') || 'none'}`);
  }
  // Import every graph and run the cheap checks on all of them before the expensive work on any:
  // unsupported ops anywhere come first (an input shape is moot for a graph that cannot convert).
  const staged = loaded.graphs.map((p, gi) => {
    const g = graphFromGraphDef(p.graphDef, {
      outputs: p.outputs,
      inputs: p.inputs.map((i) => ({ key: i.key, name: i.name })),
      inputShapes: resolved[gi].shapes,
      signatureKey: p.signatureKey,
      source: p.source,
    });
    g.name = loaded.graphs.length === 1 ? 'main' : p.signatureKey;
    const gctx: PassContext = { ...ctx, ...graphContext(path, options, p, loaded.servingSignatures) };
    const r = runPasses(g, CHECK_STAGE, gctx, skip);
    return { graph: r.graph, runs: r.runs, ctx: gctx };
  });
  for (const [gi, r] of resolved.entries()) {
    const p = loaded.graphs[gi];
    if (r.missing) {
      const where = p.fromSignature && (loaded.graphs.length > 1 || p.signatureKey !== 'serving_default') ? `signature '${p.signatureKey}'` : '';
      throw err.inputShapeNeeded(r.missing, where, 'has an unknown rank (the model does not declare its shape)');
    }
  }
  const notes = [...loaded.notes, ...loaded.graphs.flatMap((p) => p.notes)];
  // Unknown dimensions past the batch become 1, which is rarely what a sequence or image model
  // wants: say so, once per input.
  loaded.graphs.forEach((p, gi) => {
    for (const i of p.inputs) {
      if (resolved[gi].shapes[i.key] || !i.shape || !i.shape.slice(1).some((d) => d < 0)) continue;
      notes.push(`input '${i.key}' has unknown dimensions besides the batch ([${i.shape.join(',')}]); they were set to 1: give the real size with --input-shape ${i.key}=...`);
    }
  });
  // Nothing else holds the frozen graphs now: dropping them here frees each original weight as
  // soon as the passes stop using it.
  const prepared = options.keepPrepared === false ? [] : loaded.graphs;
  loaded.graphs = [];
  for (const s of staged) {
    const r = runPasses(s.graph, CONVERT_STAGE, s.ctx, skip);
    graphs.push(r.graph);
    passRuns.push([...s.runs, ...r.runs]);
  }
  return { graphs, prepared, notes, passRuns };
}

/**
 * The shape of every input of one prepared graph, by input key: the user's --input-shape (named by
 * signature key, tensor name or node name) where given, else the declared shape. A given shape
 * must agree with the declared rank and known dimensions. `missing` names the first input whose
 * rank stays unknown (TFLite tensors need a static shape); names used are added to `used`.
 */
export function resolveInputShapes(
  p: PreparedGraph,
  user: Readonly<Record<string, number[]>>,
  used: Set<string>,
): { shapes: Record<string, number[]>; missing: string | null } {
  const shapes: Record<string, number[]> = {};
  let missing: string | null = null;
  for (const i of p.inputs) {
    const node = parseTensorRef(i.name)?.node ?? i.name;
    const given = [i.key, i.name, node, `${node}:0`].find((n) => user[n] !== undefined);
    if (given === undefined) {
      if (i.shape === null) missing ??= i.key;
      continue;
    }
    used.add(given);
    const dims = user[given];
    const declared = i.shape;
    if (declared !== null && !(declared.length === dims.length && declared.every((d, k) => d < 0 || d === dims[k]))) {
      throw err.badOption('input-shape', `${given}=${dims.join(',')} does not fit input '${i.key}', declared [${declared.map((d) => (d < 0 ? '?' : d)).join(',')}]`);
    }
    shapes[i.key] = dims.slice();
  }
  return { shapes, missing };
}

/**
 * How errors about one graph name it, and (asked only when the graph cannot be converted) which
 * other serving signatures of the model pass the same checks, so the user can pick those.
 */
function graphContext(path: string, options: ConvertOptions, p: PreparedGraph, serving: readonly string[]): Pick<PassContext, 'where' | 'hint'> {
  if (!p.fromSignature) return {};
  // Other chosen signatures count too: with --all-signatures the answer is "only these".
  const others = serving.filter((k) => k !== p.signatureKey);
  return {
    where: `signature '${p.signatureKey}'`,
    hint: () => {
      const fine = others.filter((k) => signaturePassesChecks(path, options, k));
      return fine.length ? `or convert only signatures without them with --signature KEY (${fine.map((k) => `'${k}'`).join(', ')})` : undefined;
    },
  };
}

/** Whether one signature loads and passes the check stage (unsupported ops, control flow). */
function signaturePassesChecks(path: string, options: ConvertOptions, key: string): boolean {
  try {
    const [p] = loadForConversion(path, { ...options, signatures: [key], allSignatures: false }).graphs;
    const g = graphFromGraphDef(p.graphDef, { outputs: p.outputs, inputs: p.inputs.map((i) => ({ key: i.key, name: i.name })), signatureKey: key, source: p.source });
    runPasses(g, CHECK_STAGE, { allowCustomOps: false, log: () => {} });
    return true;
  } catch (e) {
    if (isTfconvError(e)) return false;
    throw e;
  }
}
