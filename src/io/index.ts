// Tensor files: .npy, .npz and JSON, read into TensorValue and written atomically. This is how
// users give inputs (`tfconv run --input x=file.npz:key`), representative data, and how outputs
// are saved.

import fs from 'node:fs';
import path from 'node:path';
import type { TensorValue } from '../core/tensor.js';
import { err } from '../errors/index.js';
import { writeFileAtomic } from '../writers/atomic-file.js';
import { decodeJsonTensors, encodeJsonTensors } from './json.js';
import { decodeNpy, encodeNpy } from './npy.js';
import { decodeNpz, encodeNpz } from './npz.js';

export { castTensor, isCastable } from './cast.js';
export { decodeJsonTensors, encodeJsonTensors, formatElement, shortestFloat32, tensorFromJson, tensorToJsonValue } from './json.js';
export { decodeNpy, encodeNpy } from './npy.js';
export { type NpzReadOptions, type NpzWriteOptions, decodeNpz, encodeNpz } from './npz.js';

export type TensorFileFormat = 'npy' | 'npz' | 'json';

/** The format a file name says, or undefined. */
export function tensorFileFormat(file: string): TensorFileFormat | undefined {
  const ext = path.extname(file).toLowerCase();
  return ext === '.npy' ? 'npy' : ext === '.npz' ? 'npz' : ext === '.json' ? 'json' : undefined;
}

/**
 * Every tensor in a file, by key: npz member names (without .npy), JSON keys; a .npy file (and a
 * JSON file holding one bare tensor object) has the single key "".
 */
export function readTensorFile(file: string): Map<string, TensorValue> {
  const format = tensorFileFormat(file);
  if (!format) throw err.badInputData(file, 'unknown tensor file type; expected .npy, .npz or .json');
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw err.fileNotFound(file, 'file');
    throw err.badInputData(file, `cannot read: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (format === 'npy') return new Map([['', decodeNpy(bytes, file)]]);
  if (format === 'npz') return decodeNpz(bytes, file);
  return decodeJsonTensors(new TextDecoder().decode(bytes), file);
}

export interface TensorSource {
  file: string;
  /** The npz/JSON key asked for, if any. */
  key?: string;
}

/**
 * Split "FILE" / "FILE.npz:KEY" / "FILE.json:KEY". A path that exists as given is a file even if
 * it contains a colon; otherwise the first ".npz:" or ".json:" separates the key (keys may
 * contain colons, e.g. "pred:0").
 */
export function parseTensorSource(spec: string): TensorSource {
  if (fs.existsSync(spec)) return { file: spec };
  const m = /\.(npz|json):/i.exec(spec);
  if (!m) return { file: spec };
  const cut = m.index + m[0].length - 1;
  return { file: spec.slice(0, cut), key: spec.slice(cut + 1) };
}

/** The one tensor a source names: the key of an npz/JSON file, or its only tensor. */
export function readTensorSource(spec: string | TensorSource): TensorValue {
  const src = typeof spec === 'string' ? parseTensorSource(spec) : spec;
  const tensors = readTensorFile(src.file);
  const keys = [...tensors.keys()];
  if (tensorFileFormat(src.file) === 'npy') {
    if (src.key !== undefined) throw err.badInputData(src.file, `a .npy file holds one array; it has no key '${src.key}'`);
    return tensors.get('') as TensorValue;
  }
  if (src.key !== undefined) {
    const t = tensors.get(src.key);
    if (!t) throw err.badInputData(src.file, `no key '${src.key}'; keys: ${keyList(keys)}`);
    return t;
  }
  if (keys.length === 1) return tensors.get(keys[0]) as TensorValue;
  throw err.badInputData(src.file, `holds ${keys.length} tensors; name one as ${src.file}:KEY (keys: ${keyList(keys)})`);
}

export interface WriteTensorsOptions {
  /** Deflate .npz members (default false, as np.savez). */
  compress?: boolean;
}

/** Write tensors to .npy (exactly one), .npz or .json, atomically. */
export function writeTensorFile(file: string, tensors: ReadonlyMap<string, TensorValue>, options: WriteTensorsOptions = {}): void {
  const format = tensorFileFormat(file);
  if (!format) throw err.writeFailed(file, 'unknown tensor file type; expected .npy, .npz or .json');
  if (format === 'npy') {
    if (tensors.size !== 1) throw err.writeFailed(file, `a .npy file holds one array but there are ${tensors.size}; use .npz or .json`);
    const [[key, t]] = [...tensors];
    writeFileAtomic(file, encodeNpy(t, key || file));
  } else if (format === 'npz') {
    writeFileAtomic(file, encodeNpz(tensors, options));
  } else {
    writeFileAtomic(file, encodeJsonTensors(tensors));
  }
}

function keyList(keys: string[]): string {
  return keys.length === 0 ? 'none' : keys.map((k) => `'${k}'`).join(', ');
}
