// A TensorBundle (TensorFlow's V2 checkpoint format, tensor_bundle.cc): `<prefix>.index` is a
// LevelDB table mapping each tensor key to a BundleEntryProto (the empty key holds the
// BundleHeaderProto), and `<prefix>.data-NNNNN-of-NNNNN` shards hold the tensor bytes.
//
// The index is read when the bundle is opened (it is small: one entry per tensor); tensor data
// is read on demand with positional reads, each tensor's CRC32C verified, so memory follows what
// the caller keeps.

import path from 'node:path';
import { type DType, DTYPES, dtypeFromTf, elementSize, typedView } from '../../core/dtype.js';
import { type TensorValue, numElements } from '../../core/tensor.js';
import { err } from '../../errors/index.js';
import { BundleEntryCodec, BundleHeaderCodec } from '../../proto/index.js';
import type { BundleEntryProto } from '../../proto/index.js';
import { Cursor, type Fail } from './coding.js';
import { crc32c, unmaskCrc } from './crc32c.js';
import { RandomAccessFile } from './file.js';
import { SNAPPY_COMPRESSION, readTable } from './table.js';

/** The newest bundle format version this reader understands (kTensorBundleVersion). */
const BUNDLE_VERSION = 1;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

export interface BundleEntryInfo {
  key: string;
  dtype: DType;
  /** Fully known dimensions; [] for a scalar. */
  shape: number[];
  shardId: number;
  /** Byte offset and length of the tensor in its shard. */
  offset: number;
  size: number;
  /** The stored (masked) CRC32C of the tensor's bytes. */
  crc32c: number;
  /** True for the full-tensor entry of a partitioned variable (not readable here). */
  sliced: boolean;
}

export function indexFilename(prefix: string): string {
  return `${prefix}.index`;
}

export function dataFilename(prefix: string, shard: number, numShards: number): string {
  return `${prefix}.data-${String(shard).padStart(5, '0')}-of-${String(numShards).padStart(5, '0')}`;
}

/** The bundle prefix of a SavedModel directory: `<dir>/variables/variables`. */
export function savedModelVariablesPrefix(dir: string): string {
  return path.join(dir, 'variables', 'variables');
}

export class TensorBundle {
  private constructor(
    readonly prefix: string,
    readonly indexFile: string,
    readonly numShards: number,
    private readonly entries: Map<string, BundleEntryInfo>,
    /** Keys that are not UTF-8 (slices of partitioned variables); counted, never exposed. */
    readonly opaqueKeyCount: number,
    /** How many data blocks the index has, and how many of them are Snappy-compressed. */
    readonly indexBlocks: { data: number; snappy: number },
  ) {}

  /** Open the bundle at `prefix` (e.g. `<savedmodel>/variables/variables`) and read its index. */
  static open(prefix: string): TensorBundle {
    const indexFile = indexFilename(prefix);
    const { entries: table, dataBlocks } = readTable(indexFile);
    const first = table[0];
    if (!first || first.key.length !== 0) throw err.badBundle(indexFile, 'no header entry (the empty key)');
    const header = BundleHeaderCodec.decode(first.value, indexFile);
    if (header.endianness !== 0) {
      throw err.bundleUnsupported(indexFile, 'header', 'big-endian bundles are not supported');
    }
    const version = header.version;
    if (version && (version.min_consumer > BUNDLE_VERSION || version.bad_consumers.includes(BUNDLE_VERSION))) {
      throw err.bundleUnsupported(
        indexFile,
        'header',
        `bundle format needs a reader of version ${version.min_consumer} or newer (this reader is version ${BUNDLE_VERSION})`,
      );
    }
    if (header.num_shards < 1) throw err.badBundle(indexFile, `header says ${header.num_shards} shards`);

    const entries = new Map<string, BundleEntryInfo>();
    let opaque = 0;
    for (let i = 1; i < table.length; i++) {
      let key: string;
      try {
        key = UTF8.decode(table[i].key);
      } catch {
        opaque++;
        continue;
      }
      const proto = BundleEntryCodec.decode(table[i].value, `${indexFile} (entry '${key}')`);
      entries.set(key, entryInfo(indexFile, key, proto, header.num_shards));
    }
    checkNoOverlap(indexFile, entries);
    const indexBlocks = {
      data: dataBlocks.length,
      snappy: dataBlocks.filter((b) => b.compression === SNAPPY_COMPRESSION).length,
    };
    return new TensorBundle(prefix, indexFile, header.num_shards, entries, opaque, indexBlocks);
  }

  /** Tensor keys in index (byte) order, without the header entry. */
  keys(): string[] {
    return [...this.entries.keys()];
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  entry(key: string): BundleEntryInfo {
    const e = this.entries.get(key);
    if (!e) throw err.missingVariable(this.indexFile, key);
    return e;
  }

  shardFile(shardId: number): string {
    return dataFilename(this.prefix, shardId, this.numShards);
  }

  /** Read one tensor, verifying its CRC32C. */
  read(key: string): TensorValue {
    const e = this.entry(key);
    const file = this.shardFile(e.shardId);
    if (e.sliced) {
      throw err.bundleUnsupported(this.indexFile, `variable '${key}'`, 'partitioned (sliced) variables are not supported');
    }
    if (e.dtype === 'resource' || e.dtype === 'variant') {
      throw err.bundleUnsupported(this.indexFile, `variable '${key}'`, `${e.dtype} tensors cannot be read`);
    }
    return RandomAccessFile.with(file, 'TensorBundle data shard', (f) => {
      if (e.offset + e.size > f.size) throw err.shardTooShort(file, key, e.offset + e.size, f.size);
      const bytes = f.readAt(e.offset, e.size, () => err.shardTooShort(file, key, e.offset + e.size, f.size));
      return e.dtype === 'string' ? decodeStrings(file, e, bytes) : decodeFixed(file, e, bytes);
    });
  }

  /** Every readable tensor by key (partitioned, resource and variant entries are skipped). */
  readAll(): Map<string, TensorValue> {
    const out = new Map<string, TensorValue>();
    for (const e of this.entries.values()) {
      if (e.sliced || e.dtype === 'resource' || e.dtype === 'variant') continue;
      out.set(e.key, this.read(e.key));
    }
    return out;
  }
}

/**
 * TensorFlow writes every tensor's bytes once, one after another: two entries whose bytes overlap
 * mean a damaged or crafted index (20000 keys naming one large tensor would make reading the
 * bundle read that tensor 20000 times). Empty tensors take no bytes and are left out.
 */
function checkNoOverlap(indexFile: string, entries: ReadonlyMap<string, BundleEntryInfo>): void {
  const stored = [...entries.values()].filter((e) => !e.sliced && e.size > 0);
  stored.sort((a, b) => a.shardId - b.shardId || a.offset - b.offset);
  for (let i = 1; i < stored.length; i++) {
    const a = stored[i - 1] as BundleEntryInfo;
    const b = stored[i] as BundleEntryInfo;
    if (a.shardId === b.shardId && b.offset < a.offset + a.size) {
      throw err.badBundle(
        indexFile,
        `entries '${a.key}' (bytes ${a.offset}..${a.offset + a.size}) and '${b.key}' (bytes ${b.offset}..${b.offset + b.size}) overlap in shard ${a.shardId}`,
      );
    }
  }
}

function entryInfo(indexFile: string, key: string, p: BundleEntryProto, numShards: number): BundleEntryInfo {
  const what = `entry '${key}'`;
  const dtype = dtypeFromTf(p.dtype);
  if (!dtype || p.dtype >= 100) throw err.badBundle(indexFile, `${what} has unknown dtype ${p.dtype}`);
  const s = p.shape;
  if (s?.unknown_rank) throw err.badBundle(indexFile, `${what} has an unknown-rank shape`);
  const shape = s ? s.dim.map((d) => d.size) : [];
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw err.badBundle(indexFile, `${what} has an invalid shape [${shape.join(',')}]`);
  }
  const sliced = p.slices.length > 0;
  if (!sliced) {
    if (p.shard_id < 0 || p.shard_id >= numShards) {
      throw err.badBundle(indexFile, `${what} is in shard ${p.shard_id} but the bundle has ${numShards} shards`);
    }
    if (!Number.isSafeInteger(p.offset) || !Number.isSafeInteger(p.size) || p.offset < 0 || p.size < 0) {
      throw err.badBundle(indexFile, `${what} has an invalid offset ${p.offset} or size ${p.size}`);
    }
    const n = numElements(shape);
    if (DTYPES[dtype].size > 0) {
      const expected = n * elementSize(dtype);
      if (p.size !== expected) {
        throw err.badBundle(indexFile, `${what} stores ${p.size} bytes but ${dtype}[${shape.join(',')}] needs ${expected}`);
      }
    } else if (dtype === 'string' && p.size < n + 4 && !(n === 0 && p.size === 0)) {
      // At least one varint byte per length and the 4-byte length checksum (tensor_bundle.cc).
      throw err.badBundle(indexFile, `${what} stores ${p.size} bytes, too few for ${n} strings`);
    }
  }
  return { key, dtype, shape, shardId: p.shard_id, offset: p.offset, size: p.size, crc32c: p.crc32c >>> 0, sliced };
}

function checkCrc(file: string, e: BundleEntryInfo, actual: number): void {
  const expected = unmaskCrc(e.crc32c);
  if (actual !== expected) {
    throw err.crcMismatch(file, `variable '${e.key}' (${e.size} bytes at byte ${e.offset})`, expected, actual);
  }
}

function decodeFixed(file: string, e: BundleEntryInfo, bytes: Uint8Array): TensorValue {
  checkCrc(file, e, crc32c(bytes));
  return { dtype: e.dtype, shape: e.shape, data: typedView(e.dtype, bytes) };
}

/**
 * String tensors (WriteStringTensor): varint64 length of every element, a masked CRC32C of those
 * lengths, then the bytes of every element. The tensor CRC covers each length as a little-endian
 * uint32 (uint64 when it does not fit), the stored length checksum, and the string bytes.
 */
function decodeStrings(file: string, e: BundleEntryInfo, bytes: Uint8Array): TensorValue {
  const n = numElements(e.shape);
  if (n === 0 && e.size === 0) return { dtype: 'string', shape: e.shape, data: [] };
  const fail: Fail = (why, offset) => err.badBundle(file, `variable '${e.key}': ${why}`, offset);
  const c = new Cursor(bytes, 0, bytes.length, fail, e.offset);
  // Each length takes at least one byte; checked before the array is sized by n.
  if (n + 4 > bytes.length) throw c.error(`${bytes.length} bytes cannot hold ${n} string lengths`, 0);
  const lengths = new Array<number>(n);
  const lenBytes = new Uint8Array(8);
  const lenView = new DataView(lenBytes.buffer);
  let crc = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const len = c.varint64();
    lengths[i] = len;
    total += len;
    if (len <= 0xffffffff) {
      lenView.setUint32(0, len, true);
      crc = crc32c(lenBytes.subarray(0, 4), crc);
    } else {
      lenView.setBigUint64(0, BigInt(len), true);
      crc = crc32c(lenBytes, crc);
    }
  }
  const storedAt = c.pos;
  const storedRaw = c.take(4);
  const stored = (storedRaw[0] | (storedRaw[1] << 8) | (storedRaw[2] << 16) | (storedRaw[3] << 24)) >>> 0;
  if (unmaskCrc(stored) !== crc) {
    throw err.crcMismatch(file, `string lengths of variable '${e.key}' (at byte ${e.offset + storedAt})`, unmaskCrc(stored), crc);
  }
  crc = crc32c(storedRaw, crc);
  if (total !== c.remaining) {
    throw c.error(`string lengths add up to ${total} bytes but ${c.remaining} follow them`);
  }
  const data: Uint8Array[] = new Array(n);
  for (let i = 0; i < n; i++) data[i] = c.take(lengths[i]);
  crc = crc32c(c.bytes.subarray(c.pos - total, c.pos), crc);
  checkCrc(file, e, crc);
  return { dtype: 'string', shape: e.shape, data };
}
