// SavedModel directories: saved_model.pb decoded into its MetaGraphs, with the choices every
// command makes the same way as TensorFlow does: which MetaGraph a tag-set names (as
// saved_model_cli's --tag_set), which SignatureDef a key names, and where asset files are.
// Variables are read elsewhere (readers/variables.ts).

import fs from 'node:fs';
import path from 'node:path';
import { err } from '../errors/index.js';
import {
  type AssetFileDef,
  AssetFileDefCodec,
  type FunctionDef,
  type GraphDef,
  type MetaGraphDef,
  type SavedModel,
  SavedModelCodec,
  type SavedObjectGraph,
  type SignatureDef,
  withDefaults,
  GraphDefCodec,
} from '../proto/index.js';
import { byCodePoint } from '../util/compare.js';
import { detectModel } from './detect.js';
import { checkGraphDef, functionLibrary, readBytes } from './graphdef.js';

export interface SavedModelAsset {
  /** The file name as the AssetFileDef stores it, relative to assets/. */
  name: string;
  /** Where it is: always inside <dir>/assets (names that would escape are refused). */
  path: string;
  /** The graph tensor that is fed the asset's path when the model is loaded. */
  tensorName: string;
}

export interface LoadedMetaGraph {
  /** Position in saved_model.pb. */
  index: number;
  /** saved_model.pb, for error messages. */
  file: string;
  /** Tags in stored order. */
  tags: string[];
  /** Canonical tag-set: tags sorted and joined by ',' ('serve', 'gpu,serve'; '' for none). */
  tagSet: string;
  def: MetaGraphDef;
  /** The MetaGraph's graph (an empty GraphDef when the MetaGraph has none). */
  graph: GraphDef;
  /** The graph's function library by name. */
  functions: ReadonlyMap<string, FunctionDef>;
  /** TF2 object graph (functions, variables, assets as Python objects), or null for TF1 models. */
  objectGraph: SavedObjectGraph | null;
  assets: SavedModelAsset[];
}

export interface LoadedSavedModel {
  /** The SavedModel directory (for a TF Serving base directory: the chosen version folder). */
  dir: string;
  /** <dir>/saved_model.pb */
  file: string;
  /** What to tell the user about how the path was resolved, e.g. the TF Serving version used. */
  note?: string;
  proto: SavedModel;
  metaGraphs: LoadedMetaGraph[];
  /** Asset files of all MetaGraphs, each name once, in first-seen order. */
  assets: SavedModelAsset[];
}

/** The signature key TF Serving and the converters use when none is given. */
export const DEFAULT_SIGNATURE_KEY = 'serving_default';
/** The tag-set saved_model_cli, TF Serving and the TFLite converter use when none is given. */
export const DEFAULT_TAG_SET = 'serve';
/** TF2 SavedModels' initializer "signature": runs restore/table init, not a serving function. */
export const INIT_OP_SIGNATURE_KEY = '__saved_model_init_op';
/** Where TF1 SavedModels keep their AssetFileDefs (as google.protobuf.Any). */
const ASSETS_COLLECTION = 'saved_model_assets';

/**
 * Reads a SavedModel from its directory, its saved_model.pb, or a TF Serving base directory
 * (numeric version folders: the highest is used and `note` says so).
 */
export function readSavedModel(pathOrDir: string): LoadedSavedModel {
  const detected = detectModel(pathOrDir);
  if (detected.kind !== 'savedmodel') {
    const what = detected.kind === 'tflite' ? 'a TFLite model' : 'a GraphDef file';
    throw err.notAModel(pathOrDir, `is ${what}, not a SavedModel directory`);
  }
  const dir = detected.path;
  const file = path.join(dir, 'saved_model.pb');
  const proto = SavedModelCodec.decode(readBytes(file), file);
  if (proto.meta_graphs.length === 0) throw err.notAModel(file, 'the SavedModel holds no MetaGraphs');

  const metaGraphs = proto.meta_graphs.map((def, index) => loadMetaGraph(def, index, file, dir));
  const assets: SavedModelAsset[] = [];
  const seen = new Set<string>();
  for (const mg of metaGraphs) {
    for (const a of mg.assets) {
      if (seen.has(a.name)) continue;
      seen.add(a.name);
      assets.push(a);
    }
  }
  const model: LoadedSavedModel = { dir, file, proto, metaGraphs, assets };
  if (detected.note !== undefined) model.note = detected.note;
  return model;
}

function loadMetaGraph(def: MetaGraphDef, index: number, file: string, dir: string): LoadedMetaGraph {
  const tags = def.meta_info_def?.tags ?? [];
  const graph = def.graph_def ?? withDefaults(GraphDefCodec, {});
  if (def.graph_def) checkGraphDef(graph, file, 'SavedModel', `MetaGraph #${index}: `, true);
  return {
    index,
    file,
    tags: [...tags],
    tagSet: canonicalTagSet(tags),
    def,
    graph,
    functions: functionLibrary(graph),
    objectGraph: def.object_graph_def ?? null,
    assets: assetFileDefs(def, file).map((a) => ({
      name: a.filename,
      path: resolveAsset(file, dir, a.filename),
      tensorName: a.tensor_info?.name ?? '',
    })),
  };
}

/** TF2 writes asset_file_def; TF1 wrote the same messages into a collection. TF's loader reads both. */
function assetFileDefs(def: MetaGraphDef, file: string): AssetFileDef[] {
  if (def.asset_file_def.length > 0) return def.asset_file_def;
  const anys = def.collection_def[ASSETS_COLLECTION]?.any_list?.value ?? [];
  return anys
    .filter((a) => a.type_url.endsWith('/tensorflow.AssetFileDef'))
    .map((a) => AssetFileDefCodec.decode(a.value, file));
}

/**
 * The path of an asset file inside <dir>/assets. A name that is empty, absolute, has '..' parts, or
 * is a symbolic link leading out of assets/ is refused: a model must not make tfconv read or
 * copy files elsewhere on the machine.
 */
export function resolveAsset(file: string, dir: string, name: string): string {
  const assetsDir = path.resolve(dir, 'assets');
  const show = JSON.stringify(name);
  if (name === '' || name.includes('\0')) {
    throw err.unsafePath(file, `asset file name ${show} is empty or holds a NUL byte; expected a file name inside assets/`);
  }
  if (path.posix.isAbsolute(name) || path.win32.isAbsolute(name)) {
    throw err.unsafePath(file, `asset file name ${show} is an absolute path; expected a file name inside assets/`);
  }
  if (name.split(/[\\/]/).includes('..')) {
    throw err.unsafePath(file, `asset file name ${show} escapes the assets/ directory`);
  }
  const resolved = path.resolve(assetsDir, name);
  if (!resolved.startsWith(assetsDir + path.sep)) {
    throw err.unsafePath(file, `asset file name ${show} escapes the assets/ directory`);
  }
  if (fs.existsSync(resolved)) {
    // Compared with the SavedModel directory's own assets/, not with where assets/ leads: an
    // assets/ that is itself a link to /etc must not make /etc/passwd an asset.
    const real = fs.realpathSync(resolved);
    const realAssets = path.join(fs.realpathSync(dir), 'assets');
    if (!real.startsWith(realAssets + path.sep)) {
      throw err.unsafePath(file, `asset ${show} leads outside the assets/ directory through a symbolic link`);
    }
  }
  return resolved;
}

// ---------------------------------------------------------------------------------------------
// Tag-sets
// ---------------------------------------------------------------------------------------------

/** 'serve, gpu' -> 'gpu,serve': tags trimmed, empty ones dropped (so '' is the empty tag-set). */
export function canonicalTagSet(tags: string | readonly string[]): string {
  const list = typeof tags === 'string' ? tags.split(',') : tags;
  const set = new Set(list.map((t) => t.trim()).filter((t) => t !== ''));
  return [...set].sort(byCodePoint).join(',');
}

/**
 * The MetaGraph for a tag-set, given as saved_model_cli takes it (comma-separated, any order).
 * Without a tag-set: the only MetaGraph if there is one (TF Hub v1 modules have empty tags),
 * otherwise the 'serve' one.
 */
export function selectMetaGraph(model: LoadedSavedModel, tagSet?: string): LoadedMetaGraph {
  if (tagSet === undefined && model.metaGraphs.length === 1) return model.metaGraphs[0] as LoadedMetaGraph;
  const asked = tagSet ?? DEFAULT_TAG_SET;
  const want = canonicalTagSet(asked);
  const found = model.metaGraphs.find((mg) => mg.tagSet === want);
  if (found) return found;
  throw err.unknownTagSet(
    model.file,
    asked,
    model.metaGraphs.map((mg) => mg.tagSet),
  );
}

// ---------------------------------------------------------------------------------------------
// Signatures and functions
// ---------------------------------------------------------------------------------------------

/** SignatureDef keys in code-point order (as saved_model_cli sorts them). */
export function signatureKeys(mg: LoadedMetaGraph): string[] {
  return Object.keys(mg.def.signature_def).sort(byCodePoint);
}

/** The keys of signatures that compute something (all but TF2's __saved_model_init_op). */
export function servingSignatureKeys(mg: LoadedMetaGraph): string[] {
  return signatureKeys(mg).filter((k) => k !== INIT_OP_SIGNATURE_KEY);
}

/** The SignatureDef with this key; an unknown key is an error listing the available ones. */
export function getSignature(mg: LoadedMetaGraph, key: string): SignatureDef {
  const sig = Object.hasOwn(mg.def.signature_def, key) ? mg.def.signature_def[key] : undefined;
  if (!sig) throw err.unknownSignature(mg.file, key, signatureKeys(mg));
  return sig;
}

/**
 * The signature to use when the user may not have named one: the given key, else
 * 'serving_default', else the only serving signature.
 */
export function pickSignature(mg: LoadedMetaGraph, key?: string): { key: string; def: SignatureDef } {
  if (key !== undefined) return { key, def: getSignature(mg, key) };
  if (Object.hasOwn(mg.def.signature_def, DEFAULT_SIGNATURE_KEY)) {
    return { key: DEFAULT_SIGNATURE_KEY, def: getSignature(mg, DEFAULT_SIGNATURE_KEY) };
  }
  const serving = servingSignatureKeys(mg);
  if (serving.length === 1) {
    const only = serving[0] as string;
    return { key: only, def: getSignature(mg, only) };
  }
  throw err.unknownSignature(mg.file, DEFAULT_SIGNATURE_KEY, signatureKeys(mg));
}

/** A library function by name, or undefined. */
export function findFunction(mg: LoadedMetaGraph, name: string): FunctionDef | undefined {
  return mg.functions.get(name);
}
