// Writes a SavedModel directory: saved_model.pb, variables/variables.{index,data-*} and, if
// given, assets/. The whole directory is built in a temporary sibling directory and renamed
// into place when complete, so a killed process never leaves a partial model at `dir`.
//
// saved_model.pb is encoded through our schema subset (schemas/tensorflow): fields tfconv does
// not model are not written. The variables are keyed by checkpoint key (what the graph's restore
// op and object graph name), as TensorFlow's SavedModel checkpoint holds them.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { err } from '../errors/index.js';
import { SavedModelCodec } from '../proto/index.js';
import type { SavedModel } from '../proto/index.js';
import { savedModelVariablesPrefix } from '../readers/tensor-bundle/bundle.js';
import { errnoMessage, removeQuietly } from './atomic-file.js';
import { type TensorBundleWriteResult, type TensorSource, writeTensorBundle } from './tensor-bundle.js';

export interface WriteSavedModelOptions {
  savedModel: SavedModel;
  /**
   * Checkpoint key -> tensor (or a function producing it, called once when its turn comes).
   * Omit for a SavedModel without variables (no variables/ directory is written).
   */
  variables?: Iterable<readonly [string, TensorSource]>;
  /** A directory whose contents are copied to `<dir>/assets`. */
  assetsDir?: string;
  /** Replace `dir` if it exists and is not empty (default: refuse). */
  overwrite?: boolean;
  /** Number of variable data shards (default 1). */
  shards?: number;
  /** Append variable data in the iteration order of `variables` (default: sorted by key). */
  keepOrder?: boolean;
}

export interface WriteSavedModelResult {
  dir: string;
  /** Paths relative to `dir`, sorted. */
  files: string[];
  variables: TensorBundleWriteResult | null;
}

export function writeSavedModel(dir: string, options: WriteSavedModelOptions): WriteSavedModelResult {
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  const state = existingState(target);
  if (state === 'file') throw err.writeFailed(dir, 'exists and is not a directory');
  if (state === 'nonempty' && !options.overwrite) {
    throw err.writeFailed(dir, 'directory exists and is not empty (overwrite it explicitly to replace it)');
  }
  if (options.assetsDir !== undefined && !isDirectory(options.assetsDir)) {
    throw err.fileNotFound(options.assetsDir, 'assets directory');
  }

  try {
    fs.mkdirSync(parent, { recursive: true });
  } catch (e) {
    throw err.writeFailed(parent, errnoMessage(e));
  }
  const staging = makeStagingDir(parent, path.basename(target), dir);

  try {
    let bytes: Uint8Array;
    try {
      bytes = SavedModelCodec.encode(options.savedModel);
    } catch (e) {
      throw err.internal(`cannot encode the SavedModel proto: ${e instanceof Error ? e.message : String(e)}`);
    }
    writeOrFail(path.join(staging, 'saved_model.pb'), bytes, dir);

    let variables: TensorBundleWriteResult | null = null;
    if (options.variables) {
      variables = writeTensorBundle(savedModelVariablesPrefix(staging), options.variables, {
        shards: options.shards,
        keepOrder: options.keepOrder,
      });
    }
    if (options.assetsDir !== undefined) {
      try {
        fs.cpSync(options.assetsDir, path.join(staging, 'assets'), { recursive: true, errorOnExist: true });
      } catch (e) {
        throw err.writeFailed(path.join(dir, 'assets'), errnoMessage(e));
      }
    }
    const files = listFiles(staging);
    moveIntoPlace(staging, target, dir);
    return {
      dir: target,
      files,
      variables: variables && {
        ...variables,
        indexFile: path.join(target, path.relative(staging, variables.indexFile)),
        dataFiles: variables.dataFiles.map((f) => path.join(target, path.relative(staging, f))),
      },
    };
  } catch (e) {
    removeQuietly(staging);
    throw e;
  }
}

function moveIntoPlace(staging: string, target: string, shown: string): void {
  const state = existingState(target);
  try {
    if (state === 'missing') {
      fs.renameSync(staging, target);
      return;
    }
    if (state === 'empty') {
      fs.rmdirSync(target);
      fs.renameSync(staging, target);
      return;
    }
    // Replace a non-empty directory: move it aside, move the new one in, then delete the old.
    const old = fs.mkdtempSync(path.join(path.dirname(target), `.${path.basename(target)}.tfconv-old-`));
    const aside = path.join(old, 'model');
    fs.renameSync(target, aside);
    try {
      fs.renameSync(staging, target);
    } catch (e) {
      fs.renameSync(aside, target);
      throw e;
    }
    removeQuietly(old);
  } catch (e) {
    throw err.writeFailed(shown, errnoMessage(e));
  }
}

/**
 * A new empty sibling directory. mkdirSync (not mkdtemp, which makes it 0700) so the model gets
 * the permissions a directory made by the user's umask would have.
 */
function makeStagingDir(parent: string, base: string, shown: string): string {
  for (let attempt = 0; ; attempt++) {
    const p = path.join(parent, `.${base}.tfconv-tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      fs.mkdirSync(p);
      return p;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 10) throw err.writeFailed(shown, errnoMessage(e));
    }
  }
}

function existingState(p: string): 'missing' | 'file' | 'empty' | 'nonempty' {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    return 'missing';
  }
  if (!st.isDirectory()) return 'file';
  return fs.readdirSync(p).length === 0 ? 'empty' : 'nonempty';
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function writeOrFail(file: string, bytes: Uint8Array, shown: string): void {
  try {
    fs.writeFileSync(file, bytes);
  } catch (e) {
    throw err.writeFailed(path.join(shown, path.basename(file)), errnoMessage(e));
  }
}

function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}
