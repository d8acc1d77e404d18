// Where a converted model goes, and which outputs are refused: never over the input model or any
// file of it, never inside a SavedModel's variables/ or assets/ (a crashed run there would damage
// the model), never over a directory.

import fs from 'node:fs';
import path from 'node:path';
import { err } from '../errors/index.js';
import { detectModel } from '../readers/detect.js';

/** `<model>.tflite` beside the model: dir/name -> dir/name.tflite, dir/model.pb -> dir/model.tflite. */
export function defaultOutputPath(modelPath: string): string {
  const p = modelPath.replace(/[\\/]+$/, '');
  if (path.basename(p) === 'saved_model.pb') return `${path.dirname(p)}.tflite`;
  let isDir = false;
  try {
    isDir = fs.statSync(p).isDirectory();
  } catch {
    isDir = false;
  }
  if (isDir) return `${p}.tflite`;
  const ext = path.extname(p);
  return ext ? `${p.slice(0, -ext.length)}.tflite` : `${p}.tflite`;
}

/** What TensorFlow writes into a SavedModel directory (other files there are the user's). */
const SAVED_MODEL_FILES: ReadonlySet<string> = new Set(['saved_model.pb', 'saved_model.pbtxt', 'fingerprint.pb', 'keras_metadata.pb']);
const SAVED_MODEL_DIRS = ['variables', 'assets', 'assets.extra'];

/** Refuse an output path that is the input or lies inside the model's own files. */
export function checkOutputPath(output: string, modelPath: string): void {
  const out = realish(path.resolve(output));
  const model = realish(path.resolve(modelPath));
  if (out === model) throw err.unsafePath(output, 'the output would overwrite the input model');
  // The directory whose files are the model: a SavedModel's (also when it is given as its
  // saved_model.pb, or as a TF Serving base directory: the version used).
  let modelDir: string | null = null;
  try {
    const d = detectModel(modelPath);
    if (d.kind === 'savedmodel') modelDir = realish(path.resolve(d.path));
  } catch {
    // An unreadable model is reported by the conversion, with its own message.
  }
  if (modelDir !== null) {
    for (const sub of SAVED_MODEL_DIRS) {
      const inner = path.join(modelDir, sub);
      if (out === inner || out.startsWith(inner + path.sep)) {
        throw err.unsafePath(output, `the output would be written inside the SavedModel's ${sub}/ directory`);
      }
    }
    if (path.dirname(out) === modelDir && SAVED_MODEL_FILES.has(path.basename(out))) {
      throw err.unsafePath(output, `the output would overwrite ${path.basename(out)}, a file of the input SavedModel`);
    }
  }
  let isDir = false;
  try {
    isDir = fs.statSync(out).isDirectory();
  } catch {
    isDir = false;
  }
  if (isDir) throw err.unsafePath(output, 'the output path is a directory');
  // Said before converting, not after: the conversion may take a while.
  const parent = path.dirname(out);
  if (!fs.existsSync(parent) || !fs.statSync(parent).isDirectory()) throw err.writeFailed(output, `directory ${path.dirname(output)} does not exist`);
}

/**
 * Refuse an output directory (a SavedModel to write) that is the input model, lies inside it, or
 * holds it (replacing the directory would delete the input); an existing file, or a non-empty
 * directory without `overwrite`, is refused before any work is done.
 */
export function checkOutputDir(output: string, modelPath: string, overwrite: boolean): void {
  const out = realish(path.resolve(output));
  const model = realish(path.resolve(modelPath));
  if (out === model) throw err.unsafePath(output, 'the output would overwrite the input model');
  if (model.startsWith(out + path.sep)) throw err.unsafePath(output, 'the output directory holds the input model, which writing it would delete');
  let modelDir = model;
  try {
    if (!fs.statSync(model).isDirectory()) modelDir = path.dirname(model);
  } catch {
    return;
  }
  if (fs.existsSync(path.join(modelDir, 'saved_model.pb')) && out.startsWith(modelDir + path.sep)) {
    throw err.unsafePath(output, 'the output would be written inside the input SavedModel');
  }
  let st: fs.Stats | null = null;
  try {
    st = fs.statSync(out);
  } catch {
    st = null;
  }
  if (st && !st.isDirectory()) throw err.unsafePath(output, 'the output path is a file; a SavedModel is a directory');
  if (st && !overwrite && fs.readdirSync(out).length > 0) throw err.writeFailed(output, 'directory exists and is not empty (pass --overwrite to replace it)');
}

/** The real path of `p`, or of its parent joined with its name when `p` does not exist yet. */
function realish(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    try {
      return path.join(fs.realpathSync(path.dirname(p)), path.basename(p));
    } catch {
      return p;
    }
  }
}
