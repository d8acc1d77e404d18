// From a model path and the user's choices to prepared (flat, frozen) graphs, one per signature:
// picks the MetaGraph and signatures, reads only the variables the chosen signatures use, and
// hands each to prepare. GraphDefs give one graph, cut by --input-arrays/--output-arrays.

import fs from 'node:fs';
import { err } from '../errors/index.js';
import { parseTensorRef } from '../graph/from-graphdef.js';
import { type PreparedGraph, type VariableLookup, prepareGraphDef, prepareSignature } from '../prepare/index.js';
import type { TensorValue } from '../core/tensor.js';
import { type DetectedModel, detectModel } from '../readers/detect.js';
import { readGraphDef } from '../readers/graphdef.js';
import { type LoadedMetaGraph, readSavedModel, selectMetaGraph, servingSignatureKeys } from '../readers/savedmodel.js';
import { TensorBundle, indexFilename, savedModelVariablesPrefix } from '../readers/tensor-bundle/index.js';
import { pruneGraphDef } from '../prepare/prune.js';
import { TFLITE_MAX_BYTES } from '../tflite/write.js';
import { mapVariables } from '../readers/variables.js';

export interface LoadOptions {
  /** MetaGraph tag set, comma-separated (default 'serve'; a lone MetaGraph is used as is). */
  tagSet?: string;
  /** Signature keys to convert (default: serving_default, or the only serving signature). */
  signatures?: string[];
  /** Convert every serving signature (one subgraph each). */
  allSignatures?: boolean;
  /** Cut points: tensor names that become the inputs / outputs. */
  inputArrays?: string[];
  outputArrays?: string[];
}

export interface LoadedModel {
  detected: DetectedModel;
  /** Notes for the user (e.g. which TF Serving version was used). */
  notes: string[];
  graphs: PreparedGraph[];
  /** The MetaGraph's serving signature keys (empty for a GraphDef). */
  servingSignatures: string[];
}

export function loadForConversion(path: string, opts: LoadOptions = {}): LoadedModel {
  const detected = detectModel(path);
  const notes = detected.note ? [detected.note] : [];
  if (detected.kind === 'tflite') throw err.notAModel(path, 'is already a TFLite model; give a SavedModel directory or a GraphDef .pb');
  if (detected.kind === 'graphdef') {
    const gd = readGraphDef(detected.path);
    const g = prepareGraphDef(gd, { source: detected.path, ...cut(opts) });
    return { detected, notes, graphs: [g], servingSignatures: [] };
  }
  const model = readSavedModel(detected.path);
  const mg = selectMetaGraph(model, opts.tagSet);
  const keys = chooseSignatures(mg, opts, model.file);
  checkVariablesFit(model.dir, mg, keys, opts);
  const lookup = variableLookup(model.dir, mg);
  const graphs = keys.map((k) => prepareSignature(mg.def, k, lookup, { source: model.file, ...cut(opts) }));
  return { detected, notes, graphs, servingSignatures: servingSignatureKeys(mg) };
}

function cut(opts: LoadOptions): { inputArrays?: string[]; outputArrays?: string[] } {
  return {
    ...(opts.inputArrays ? { inputArrays: opts.inputArrays } : {}),
    ...(opts.outputArrays ? { outputArrays: opts.outputArrays } : {}),
  };
}

function chooseSignatures(mg: LoadedMetaGraph, opts: LoadOptions, file: string): string[] {
  const serving = servingSignatureKeys(mg);
  if (opts.allSignatures) {
    if (serving.length === 0) throw err.notAModel(file, 'has no serving signatures');
    return serving;
  }
  if (opts.signatures?.length) {
    for (const k of opts.signatures) if (!mg.def.signature_def[k]) throw err.unknownSignature(file, k, serving);
    return opts.signatures;
  }
  if (mg.def.signature_def.serving_default) return ['serving_default'];
  if (serving.length === 1) return serving;
  throw err.usage(
    `${file} has no 'serving_default' signature; choose with --signature KEY (available: ${serving.map((s) => `'${s}'`).join(', ')}) or --all-signatures`,
  );
}

const VARIABLE_OPS = new Set(['VarHandleOp', 'VariableV2', 'Variable']);

/**
 * Refuses, before any variable is read, a conversion whose variables alone would pass TFLite's
 * 2 GiB limit: the variables the chosen signatures reach (each counted once), at their stored
 * sizes. Anything that stops the estimate (a broken graph, an unreadable index) is left to the
 * conversion itself to report.
 */
function checkVariablesFit(dir: string, mg: LoadedMetaGraph, keys: string[], opts: LoadOptions): void {
  const gd = mg.def.graph_def;
  if (!gd || !fs.existsSync(indexFilename(savedModelVariablesPrefix(dir)))) return;
  const needed = new Set<string>();
  try {
    for (const k of keys) {
      const sig = mg.def.signature_def[k];
      const outputs = opts.outputArrays ?? Object.values(sig?.outputs ?? {}).map((t) => t.name ?? '');
      for (const n of pruneGraphDef(gd, outputs.filter((o) => o !== ''), opts.inputArrays ?? []).node) {
        if (VARIABLE_OPS.has(n.op)) needed.add(n.name);
      }
    }
  } catch {
    return;
  }
  if (needed.size === 0) return;
  let mapping: ReturnType<typeof mapVariables>;
  try {
    mapping = mapVariables(dir, mg.def);
  } catch {
    return;
  }
  let bytes = 0;
  for (const n of needed) bytes += mapping.byNode.get(n)?.bytes ?? 0;
  if (bytes > TFLITE_MAX_BYTES) throw err.modelTooLarge(bytes);
}

/** Reads a variable's value from the checkpoint only when prepare asks for it. */
function variableLookup(dir: string, mg: LoadedMetaGraph): VariableLookup {
  let mapping: ReturnType<typeof mapVariables> | null = null;
  let bundle: TensorBundle | null = null;
  const cache = new Map<string, TensorValue>();
  return (name) => {
    const hit = cache.get(name);
    if (hit) return hit;
    bundle ??= TensorBundle.open(savedModelVariablesPrefix(dir));
    mapping ??= mapVariables(dir, mg.def, bundle);
    const binding = mapping.byNode.get(name);
    if (!binding) return undefined;
    const v = bundle.read(binding.checkpointKey);
    cache.set(name, v);
    return v;
  };
}

/** Tensor names accept "name" and "name:0"; both mean output 0. */
export function normalizeTensorName(name: string): string {
  const r = parseTensorRef(name);
  return r ? (r.index === 0 ? r.node : `${r.node}:${r.index}`) : name;
}
