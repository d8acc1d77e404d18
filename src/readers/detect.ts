// Which kind of model a path holds, decided cheaply and without throwing on content: a
// SavedModel directory (or a TF Serving base directory of numeric versions, or a path to a
// saved_model.pb), a .tflite FlatBuffer (file identifier "TFL3"), or a GraphDef .pb.
// The readers then decode and report content errors themselves.

import fs from 'node:fs';
import path from 'node:path';
import { err } from '../errors/index.js';

export type ModelKind = 'savedmodel' | 'graphdef' | 'tflite';

export interface DetectedModel {
  kind: ModelKind;
  /** The SavedModel directory, or the file, to read. */
  path: string;
  /** Said to the user when the choice was not the literal path, e.g. a TF Serving version. */
  note?: string;
}

const TFLITE_IDENTIFIER = 'TFL3';

export function detectModel(p: string): DetectedModel {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    throw err.fileNotFound(p);
  }
  if (st.isDirectory()) return detectDirectory(p);
  if (!st.isFile()) throw err.notAModel(p, 'not a regular file or directory');

  if (path.basename(p) === 'saved_model.pb') return { kind: 'savedmodel', path: path.dirname(p) };
  if (path.basename(p) === 'saved_model.pbtxt') throw err.pbtxtUnsupported(p);
  if (hasTfliteIdentifier(p)) return { kind: 'tflite', path: p };
  const ext = path.extname(p).toLowerCase();
  if (ext === '.tflite' || ext === '.lite') return { kind: 'tflite', path: p };
  if (ext === '.pbtxt') {
    throw err.notAModel(p, 'text-format GraphDefs (.pbtxt) are not supported; write the graph in binary form (.pb)');
  }
  return { kind: 'graphdef', path: p };
}

function detectDirectory(dir: string): DetectedModel {
  if (fs.existsSync(path.join(dir, 'saved_model.pb'))) return { kind: 'savedmodel', path: dir };
  if (fs.existsSync(path.join(dir, 'saved_model.pbtxt'))) throw err.pbtxtUnsupported(path.join(dir, 'saved_model.pbtxt'));
  // TF Serving base directory: numeric version folders; serve the highest, as TF Serving does.
  const versions = fs
    .readdirSync(dir, { withFileTypes: true })
    // Version folders are often symlinks (deployments swap them atomically); follow them.
    .filter((e) => /^\d+$/.test(e.name) && isDirectory(path.join(dir, e.name)) && fs.existsSync(path.join(dir, e.name, 'saved_model.pb')))
    .map((e) => e.name)
    .sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
  const latest = versions[versions.length - 1];
  if (latest !== undefined) {
    return {
      kind: 'savedmodel',
      path: path.join(dir, latest),
      note: `${dir} is a TF Serving base directory; using its highest version ${latest}${versions.length > 1 ? ` (of ${versions.join(', ')})` : ''}`,
    };
  }
  throw err.notAModel(dir, 'directory has no saved_model.pb (nor numeric version folders holding one)');
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function hasTfliteIdentifier(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(8);
    const n = fs.readSync(fd, head, 0, 8, 0);
    return n === 8 && head.toString('latin1', 4, 8) === TFLITE_IDENTIFIER;
  } finally {
    fs.closeSync(fd);
  }
}
