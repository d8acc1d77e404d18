// Writes a TensorBundle (variables.index + variables.data-NNNNN-of-NNNNN) as TensorFlow's
// BundleWriter does (tensor_bundle.cc): tensors are appended to the data shard one after another,
// each with the masked CRC32C of its bytes in its index entry; the index is a LevelDB table of
// the sorted keys, the header under the empty key. Strings use WriteStringTensor's layout.
//
// Tensors are streamed to the shard one at a time; a tensor may be given as a function that
// produces it, so a caller can write hundreds of MB without holding them all. Files are written
// under temporary names and renamed when complete: the data shards first, the index last (the
// index is what makes a bundle visible).

import path from 'node:path';
import fs from 'node:fs';
import { DTYPES, tfDataType } from '../core/dtype.js';
import { type TensorValue, numElements, tensorBytes } from '../core/tensor.js';
import { err } from '../errors/index.js';
import { putFixed32, putVarint } from '../readers/tensor-bundle/coding.js';
import { crc32c, maskCrc } from '../readers/tensor-bundle/crc32c.js';
import { dataFilename, indexFilename } from '../readers/tensor-bundle/bundle.js';
import { compareBytes } from '../readers/tensor-bundle/table.js';
import { AtomicFile, errnoMessage } from './atomic-file.js';
import { TableBuilder } from './leveldb-table.js';

/** A tensor, or a function producing it when its turn to be written comes. */
export type TensorSource = TensorValue | (() => TensorValue);

export interface TensorBundleWriteOptions {
  /** Number of data shards (default 1); each tensor goes to the shard with the fewest bytes so far. */
  shards?: number;
  /**
   * Append tensor data in the iteration order of `tensors` (as TensorFlow appends in the order of
   * its SaveV2 call) instead of sorted key order. The index is sorted either way.
   */
  keepOrder?: boolean;
}

export interface WrittenEntry {
  key: string;
  shardId: number;
  offset: number;
  size: number;
  /** Masked CRC32C, as stored in the index. */
  crc32c: number;
}

export interface TensorBundleWriteResult {
  indexFile: string;
  dataFiles: string[];
  entries: WrittenEntry[];
  /** Bytes written to the data shards. */
  dataBytes: number;
}

const UTF8 = new TextEncoder();
/** Format version written in the header (kTensorBundleVersion; min consumer 0). */
const BUNDLE_VERSION = 1;

/** Write the bundle at `prefix` (e.g. `<savedmodel>/variables/variables`). */
export function writeTensorBundle(
  prefix: string,
  tensors: Iterable<readonly [string, TensorSource]>,
  options: TensorBundleWriteOptions = {},
): TensorBundleWriteResult {
  const numShards = options.shards ?? 1;
  if (!Number.isInteger(numShards) || numShards < 1 || numShards > 99999) {
    throw err.internal(`writeTensorBundle: shards must be an integer in 1..99999, got ${numShards}`);
  }
  const items = [...tensors].map(([key, source]) => ({ key, source, keyBytes: UTF8.encode(key) }));
  const seen = new Set<string>();
  for (const it of items) {
    if (it.key === '') throw err.internal('writeTensorBundle: the empty key is reserved for the bundle header');
    if (seen.has(it.key)) throw err.internal(`writeTensorBundle: duplicate key '${it.key}'`);
    seen.add(it.key);
  }
  const byKey = (a: { keyBytes: Uint8Array }, b: { keyBytes: Uint8Array }) => compareBytes(a.keyBytes, b.keyBytes);
  const dataOrder = options.keepOrder ? items : [...items].sort(byKey);

  const dir = path.dirname(prefix);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw err.writeFailed(dir, errnoMessage(e));
  }

  const shards: AtomicFile[] = [];
  let index: AtomicFile | undefined;
  try {
    for (let s = 0; s < numShards; s++) shards.push(new AtomicFile(dataFilename(prefix, s, numShards)));
    const written = new Map<string, WrittenEntry & { dtype: number; shape: number[] }>();
    for (const it of dataOrder) {
      const value = typeof it.source === 'function' ? it.source() : it.source;
      const shardId = leastFilled(shards);
      const shard = shards[shardId];
      const offset = shard.size;
      const { size, crc } = writeTensor(shard, it.key, value);
      written.set(it.key, { key: it.key, shardId, offset, size, crc32c: maskCrc(crc), dtype: tfDataType(value.dtype), shape: value.shape });
    }

    const table = new TableBuilder();
    table.add(new Uint8Array(0), encodeHeader(numShards));
    const entries: WrittenEntry[] = [];
    for (const it of [...items].sort(byKey)) {
      const w = written.get(it.key) as WrittenEntry & { dtype: number; shape: number[] };
      table.add(it.keyBytes, encodeEntry(w.dtype, w.shape, w.shardId, w.offset, w.size, w.crc32c));
      entries.push({ key: w.key, shardId: w.shardId, offset: w.offset, size: w.size, crc32c: w.crc32c });
    }
    const indexBytes = table.finish();
    const dataBytes = shards.reduce((s, f) => s + f.size, 0);
    for (const f of shards) f.commit();
    index = new AtomicFile(indexFilename(prefix));
    index.write(indexBytes);
    index.commit();
    return { indexFile: indexFilename(prefix), dataFiles: shards.map((f) => f.file), entries, dataBytes };
  } catch (e) {
    for (const f of shards) f.abort();
    index?.abort();
    throw e;
  }
}

function leastFilled(shards: AtomicFile[]): number {
  let best = 0;
  for (let i = 1; i < shards.length; i++) if (shards[i].size < shards[best].size) best = i;
  return best;
}

/** Append one tensor; returns its size and (unmasked) CRC32C as BundleWriter computes them. */
function writeTensor(out: AtomicFile, key: string, v: TensorValue): { size: number; crc: number } {
  const n = numElements(v.shape);
  if (!Number.isSafeInteger(n) || v.shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw err.internal(`writeTensorBundle: '${key}' has an invalid shape [${v.shape.join(',')}]`);
  }
  if (v.dtype === 'string') {
    if (!Array.isArray(v.data) || v.data.length !== n) {
      throw err.internal(`writeTensorBundle: string tensor '${key}' of ${n} elements has ${Array.isArray(v.data) ? v.data.length : 'no'} strings`);
    }
    return writeStrings(out, v.data);
  }
  const info = DTYPES[v.dtype];
  if (!info.array || info.size === 0 || Array.isArray(v.data)) {
    throw err.internal(`writeTensorBundle: '${key}' has dtype ${v.dtype}, which a bundle cannot hold here`);
  }
  const bytes = tensorBytes(v);
  if (bytes.byteLength !== n * info.size) {
    throw err.internal(`writeTensorBundle: '${key}' is ${v.dtype}[${v.shape.join(',')}] but holds ${bytes.byteLength} bytes, not ${n * info.size}`);
  }
  out.write(bytes);
  return { size: bytes.byteLength, crc: crc32c(bytes) };
}

/**
 * WriteStringTensor: varint64 lengths, the masked CRC32C of the lengths (each taken as a
 * little-endian uint32, or uint64 above 2^32-1), then the bytes; the tensor CRC goes on over the
 * stored length checksum and the bytes.
 */
function writeStrings(out: AtomicFile, strings: Uint8Array[]): { size: number; crc: number } {
  const lengths: number[] = [];
  const scratch = new Uint8Array(8);
  const view = new DataView(scratch.buffer);
  let crc = 0;
  for (const s of strings) {
    putVarint(lengths, s.byteLength);
    if (s.byteLength <= 0xffffffff) {
      view.setUint32(0, s.byteLength, true);
      crc = crc32c(scratch.subarray(0, 4), crc);
    } else {
      view.setBigUint64(0, BigInt(s.byteLength), true);
      crc = crc32c(scratch, crc);
    }
  }
  const checksum: number[] = [];
  putFixed32(checksum, maskCrc(crc));
  const head = Uint8Array.from([...lengths, ...checksum]);
  out.write(head);
  crc = crc32c(head.subarray(lengths.length), crc);
  let size = head.byteLength;
  for (const s of strings) {
    out.write(s);
    crc = crc32c(s, crc);
    size += s.byteLength;
  }
  return { size, crc };
}

// BundleHeaderProto and BundleEntryProto, encoded by hand as protobuf's C++ serializer does
// (fields in number order, proto3 defaults omitted), so the index matches TensorFlow's bytes.

function encodeHeader(numShards: number): Uint8Array {
  const out: number[] = [];
  field(out, 1, 0);
  putVarint(out, numShards);
  // endianness (2) is LITTLE = 0: omitted. version (3): { producer: 1 }.
  const version: number[] = [];
  field(version, 1, 0);
  putVarint(version, BUNDLE_VERSION);
  field(out, 3, 2);
  putVarint(out, version.length);
  out.push(...version);
  return Uint8Array.from(out);
}

function encodeEntry(dtype: number, shape: number[], shardId: number, offset: number, size: number, crc: number): Uint8Array {
  const out: number[] = [];
  if (dtype !== 0) {
    field(out, 1, 0);
    putVarint(out, dtype);
  }
  const shapeBytes: number[] = [];
  for (const d of shape) {
    const dim: number[] = [];
    if (d !== 0) {
      field(dim, 1, 0);
      putVarint(dim, d);
    }
    field(shapeBytes, 2, 2);
    putVarint(shapeBytes, dim.length);
    shapeBytes.push(...dim);
  }
  // TensorFlow always sets the shape (mutable_shape), so even a scalar has an empty one.
  field(out, 2, 2);
  putVarint(out, shapeBytes.length);
  out.push(...shapeBytes);
  if (shardId !== 0) {
    field(out, 3, 0);
    putVarint(out, shardId);
  }
  if (offset !== 0) {
    field(out, 4, 0);
    putVarint(out, offset);
  }
  if (size !== 0) {
    field(out, 5, 0);
    putVarint(out, size);
  }
  if (crc !== 0) {
    field(out, 6, 5);
    putFixed32(out, crc);
  }
  return Uint8Array.from(out);
}

function field(out: number[], number: number, wireType: number): void {
  putVarint(out, number * 8 + wireType);
}
