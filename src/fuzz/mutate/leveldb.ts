// TensorBundle-aware mutations. variables.index is a LevelDB table whose blocks carry CRCs, so
// random damage mostly stops at the first checksum; these mutators damage the structure behind
// the checksums and recompute them, so the reader's other checks are what is tested:
//   - block contents (entry headers, restart arrays) edited, CRC recomputed, file re-laid out;
//   - footer block handles and magic;
//   - Snappy-compressed blocks, valid or claiming a huge uncompressed size;
//   - BundleEntryProto / header fields (dtype, shape, shard, offset, size, slices, versions),
//     entries removed, duplicated, out of order, with non-UTF-8 keys, or multiplied;
//   - with the data shard: tensor bytes or string tensors (the object graph) changed and every
//     CRC (tensor, string lengths, block) made to match, so the damage reaches the decoders.

import snappy from 'snappyjs';
import { BundleEntryCodec, BundleHeaderCodec } from '../../proto/index.js';
import type { BundleEntryProto } from '../../proto/types.js';
import { parseBlock } from '../../readers/tensor-bundle/block.js';
import { crc32c, maskCrc } from '../../readers/tensor-bundle/crc32c.js';
import { TfconvError } from '../../errors/index.js';
import { type Rng } from '../rng.js';
import { concat, encodeVarint, readVarint } from '../protowire.js';
import { type Mutated, bitFlip, genericMutation, interestingInt, truncate, INTERESTING_32 } from './bytes.js';
import { protoMutation } from './proto.js';

const MAGIC = Uint8Array.of(0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb);
const FOOTER = 48;

export interface Entry {
  key: Uint8Array;
  value: Uint8Array;
}

export interface ParsedTable {
  entries: Entry[];
  /** Number of data blocks in the original (kept when re-laying out, unless changed). */
  dataBlocks: number;
}

const silentFail = (why: string) => new TfconvError('BAD_BUNDLE', why);

/** The entries of a table, or null when it does not parse (then only byte mutations apply). */
export function parseTable(b: Uint8Array): ParsedTable | null {
  try {
    if (b.length < FOOTER) return null;
    const f = b.length - FOOTER;
    const h = (pos: number): { offset: number; size: number; next: number } | null => {
      const o = readVarint(b, pos, f + 40);
      if (!o) return null;
      const s = readVarint(b, o.next, f + 40);
      if (!s) return null;
      return { offset: Number(o.value), size: Number(s.value), next: s.next };
    };
    const meta = h(f);
    const index = meta && h(meta.next);
    if (!index || index.offset + index.size > f) return null;
    const entries: Entry[] = [];
    const idx = parseBlock(b.slice(index.offset, index.offset + index.size), silentFail, 0);
    for (const ie of idx) {
      const o = readVarint(ie.value, 0, ie.value.length);
      const s = o && readVarint(ie.value, o.next, ie.value.length);
      if (!o || !s) return null;
      const off = Number(o.value);
      const size = Number(s.value);
      if (off + size + 5 > f) return null;
      let contents: Uint8Array = b.slice(off, off + size);
      if (b[off + size] === 1) contents = snappy.uncompress(contents);
      entries.push(...parseBlock(contents, silentFail, 0).map((e) => ({ key: e.key.slice(), value: e.value.slice() })));
    }
    return { entries, dataBlocks: idx.length };
  } catch {
    return null;
  }
}

/** A block of `entries` with a restart point every `interval` entries (block_builder.cc). */
export function encodeBlock(entries: readonly Entry[], interval: number): Uint8Array {
  const out: number[] = [];
  const restarts: number[] = [0];
  let prev: Uint8Array = new Uint8Array(0);
  entries.forEach((e, i) => {
    let shared = 0;
    if (i % interval === 0) {
      if (i > 0) restarts.push(out.length);
    } else {
      const n = Math.min(prev.length, e.key.length);
      while (shared < n && prev[shared] === e.key[shared]) shared++;
    }
    for (const v of [shared, e.key.length - shared, e.value.length]) out.push(...encodeVarint(v));
    for (let k = shared; k < e.key.length; k++) out.push(e.key[k]);
    for (let k = 0; k < e.value.length; k++) out.push(e.value[k]);
    prev = e.key;
  });
  for (const r of [...restarts, restarts.length]) out.push(r & 0xff, (r >>> 8) & 0xff, (r >>> 16) & 0xff, (r >>> 24) & 0xff);
  return Uint8Array.from(out);
}

export interface LayoutOptions {
  /** Entries per data block (the whole table in one block when >= entries). */
  perBlock: number;
  restartInterval: number;
  /** Compress data block i with Snappy. */
  snappy?: (i: number) => boolean;
  /** Last chance to damage a block's stored bytes; the CRC is computed after. */
  edit?: (kind: 'data' | 'metaindex' | 'index', i: number, stored: Uint8Array) => Uint8Array;
  /** Damage the footer (40 bytes of handles + padding, then the magic). */
  footer?: (footer: Uint8Array) => Uint8Array;
}

/** The bytes of a table holding `entries` in the given order (no sorting: order damage stays). */
export function layoutTable(entries: readonly Entry[], o: LayoutOptions): Uint8Array {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const writeBlock = (kind: 'data' | 'metaindex' | 'index', i: number, contents: Uint8Array, type: number) => {
    let stored = type === 1 ? snappy.compress(contents) : contents;
    if (o.edit) stored = o.edit(kind, i, stored);
    const h = { offset, size: stored.length };
    const crc = crc32c(Uint8Array.of(type), crc32c(stored));
    const m = maskCrc(crc);
    chunks.push(stored, Uint8Array.of(type, m & 0xff, (m >>> 8) & 0xff, (m >>> 16) & 0xff, (m >>> 24) & 0xff));
    offset += stored.length + 5;
    return h;
  };
  const handles: { key: Uint8Array; h: { offset: number; size: number } }[] = [];
  const per = Math.max(1, o.perBlock);
  for (let i = 0, blk = 0; i < entries.length; i += per, blk++) {
    const group = entries.slice(i, i + per);
    const h = writeBlock('data', blk, encodeBlock(group, o.restartInterval), o.snappy?.(blk) ? 1 : 0);
    handles.push({ key: group[group.length - 1].key, h });
  }
  const meta = writeBlock('metaindex', 0, encodeBlock([], 16), 0);
  const index = writeBlock('index', 0, encodeBlock(handles.map((x) => ({ key: x.key, value: concat(encodeVarint(x.h.offset), encodeVarint(x.h.size)) })), 1), 0);
  let footer: Uint8Array = new Uint8Array(FOOTER);
  footer.set(concat(encodeVarint(meta.offset), encodeVarint(meta.size), encodeVarint(index.offset), encodeVarint(index.size)), 0);
  footer.set(MAGIC, 40);
  if (o.footer) footer = o.footer(footer);
  chunks.push(footer);
  return concat(...chunks);
}

function defaultLayout(t: ParsedTable): LayoutOptions {
  return { perBlock: Math.ceil(t.entries.length / Math.max(1, t.dataBlocks)), restartInterval: 16 };
}

const DTYPES_TO_TRY = [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 14, 19, 20, 21, 22, 23, 100, 101, 200, 1000];

/** One semantic change to a BundleEntryProto. */
function mutateEntry(e: BundleEntryProto, rng: Rng): string {
  switch (rng.int(8)) {
    case 0:
      e.dtype = rng.pick(DTYPES_TO_TRY);
      return `dtype -> ${e.dtype}`;
    case 1: {
      const dims = e.shape?.dim ?? [];
      if (rng.chance(0.15)) {
        e.shape = { dim: dims, unknown_rank: true };
        return 'shape -> unknown rank';
      }
      const size = rng.pick([-1, -2, 0, 1, 2 ** 31, 2 ** 40, 2 ** 53, 2 ** 62]);
      if (dims.length === 0 || rng.chance(0.3)) dims.push({ size, name: '' });
      else dims[rng.int(dims.length)].size = size;
      e.shape = { dim: dims, unknown_rank: false };
      return `shape -> [${dims.map((d) => d.size).join(',')}]`;
    }
    case 2:
      e.shard_id = rng.pick([-1, 1, 2, 99999, 2 ** 31 - 1]);
      return `shard_id -> ${e.shard_id}`;
    case 3:
      e.offset = rng.pick([-1, e.offset + 1, e.offset + e.size, 2 ** 31, 2 ** 53 - 1, 2 ** 62]);
      return `offset -> ${e.offset}`;
    case 4:
      e.size = rng.pick([-1, 0, e.size + 1, e.size - 1, e.size * 2, 2 ** 31, 2 ** 40, 2 ** 53 - 1]);
      return `size -> ${e.size}`;
    case 5:
      e.crc32c = rng.u32();
      return `crc32c -> ${e.crc32c}`;
    case 6:
      e.slices = [{ extent: [{ start: 0, length: 1 }] }] as never;
      return 'slices -> one slice';
    default: {
      const d = rng.int(4);
      if (d === 0) e.offset = 0;
      else if (d === 1) e.size = 0;
      else if (d === 2) e.shape = { dim: [], unknown_rank: false };
      else e.dtype = 7;
      return ['offset -> 0', 'size -> 0', 'shape -> scalar', 'dtype -> string'][d];
    }
  }
}

const UTF8 = new TextDecoder();
const keyName = (k: Uint8Array) => JSON.stringify(UTF8.decode(k.subarray(0, 60)));

/** Entry-level damage to variables.index, re-laid out with valid block CRCs. */
function indexEntryMutation(t: ParsedTable, rng: Rng): Mutated {
  const entries = t.entries.map((e) => ({ key: e.key, value: e.value }));
  let desc: string;
  const which = rng.int(entries.length);
  const e = entries[which];
  switch (rng.weighted<number>([
    [0, 8],
    [1, 3],
    [2, 3],
    [3, 2],
    [4, 2],
    [5, 1],
    [6, 1],
    [7, 1],
  ])) {
    case 0: {
      if (e.key.length === 0) {
        const h = BundleHeaderCodec.decode(e.value, 'fuzz');
        const k = rng.int(4);
        if (k === 0) h.num_shards = rng.pick([0, -1, 2, 100000, 2 ** 31 - 1]);
        else if (k === 1) h.endianness = 1;
        else if (k === 2) h.version = { producer: 1, min_consumer: rng.pick([2, 100]), bad_consumers: [] };
        else h.version = { producer: 1, min_consumer: 0, bad_consumers: [1] };
        e.value = BundleHeaderCodec.encode(h);
        desc = `header: ${['num_shards', 'endianness', 'min_consumer', 'bad_consumers'][k]} changed`;
      } else {
        const p = BundleEntryCodec.decode(e.value, 'fuzz');
        desc = `entry ${keyName(e.key)}: ${mutateEntry(p, rng)}`;
        e.value = BundleEntryCodec.encode(p);
      }
      break;
    }
    case 1: {
      const m = protoMutation(e.value, rng);
      e.value = m.bytes ?? new Uint8Array(0);
      desc = `entry ${keyName(e.key)} value: ${m.desc}`;
      break;
    }
    case 2:
      entries.splice(which, 1);
      desc = `entry ${keyName(e.key)} removed`;
      break;
    case 3: {
      const j = rng.int(entries.length);
      const other = entries[j];
      if (rng.chance(0.5)) {
        entries.splice(which, 0, { key: e.key, value: other.value });
        desc = `entry ${keyName(e.key)} duplicated`;
      } else {
        entries[which] = other;
        entries[j] = e;
        desc = `entries ${keyName(e.key)} and ${keyName(other.key)} swapped`;
      }
      break;
    }
    case 4:
      entries.splice(which + 1, 0, { key: concat(e.key, Uint8Array.of(0xff, 0xfe, rng.int(256))), value: e.value });
      desc = `non-UTF-8 key after ${keyName(e.key)}`;
      break;
    case 5: {
      const n = rng.pick([1000, 20000]);
      const extra: Entry[] = [];
      for (let i = 0; i < n; i++) extra.push({ key: concat(e.key, new TextEncoder().encode(`/${String(i).padStart(6, '0')}`)), value: e.value });
      entries.splice(which + 1, 0, ...extra);
      desc = `${n} copies of entry ${keyName(e.key)} under new keys`;
      break;
    }
    case 6: {
      entries.splice(which + 1, 0, { key: concat(e.key, new Uint8Array(rng.pick([1000, 100_000])).fill(0x61)), value: e.value });
      desc = `a long key after ${keyName(e.key)}`;
      break;
    }
    default:
      if (entries[0]?.key.length === 0) entries.shift();
      desc = 'header entry removed';
  }
  const o = defaultLayout({ entries, dataBlocks: t.dataBlocks });
  if (rng.chance(0.3)) {
    o.perBlock = rng.pick([1, 2, 3, 7]);
    o.restartInterval = rng.pick([1, 2, 16, 1000]);
    desc += ` (re-laid out: ${o.perBlock} entries per block, restart every ${o.restartInterval})`;
  }
  return { bytes: layoutTable(entries, o), desc };
}

/** A block's stored bytes damaged behind a recomputed CRC. */
function blockMutation(t: ParsedTable, rng: Rng): Mutated {
  const o = defaultLayout(t);
  const nData = Math.ceil(t.entries.length / o.perBlock);
  const kind = rng.weighted<'data' | 'metaindex' | 'index'>([
    ['data', 6],
    ['index', 3],
    ['metaindex', 1],
  ]);
  const target = kind === 'data' ? rng.int(Math.max(1, nData)) : 0;
  let desc = '';
  o.edit = (k, i, stored) => {
    if (k !== kind || i !== target) return stored;
    const choice = rng.int(5);
    if (choice === 0 && stored.length >= 4) {
      // The restart count, or one restart offset.
      const out = stored.slice();
      const dv = new DataView(out.buffer);
      const n = dv.getUint32(out.length - 4, true);
      if (n > 0 && rng.chance(0.5) && out.length >= 4 + 4 * n) {
        const r = rng.int(n);
        const v = rng.pick([...INTERESTING_32, out.length, out.length - 4 - 4 * n]);
        dv.setUint32(out.length - 4 - 4 * (n - r), v >>> 0, true);
        desc = `${kind} block ${i}: restart ${r} -> ${v}`;
      } else {
        const v = rng.pick(INTERESTING_32);
        dv.setUint32(out.length - 4, v >>> 0, true);
        desc = `${kind} block ${i}: restart count -> ${v}`;
      }
      return out;
    }
    if (choice === 1) {
      // An entry header varint (shared / non_shared / value_length) at the block start.
      const which = rng.int(3);
      let pos = 0;
      for (let j = 0; j < which; j++) pos = readVarint(stored, pos, stored.length)?.next ?? pos;
      const old = readVarint(stored, pos, stored.length);
      if (!old) return stored;
      const v = rng.pick([0n, 1n, 127n, 128n, 0xffffffffn, 2n ** 35n, BigInt(stored.length), old.value + 1n]);
      desc = `${kind} block ${i}: entry header varint ${which} -> ${v}`;
      return concat(stored.subarray(0, pos), encodeVarint(v), stored.subarray(old.next));
    }
    const m = rng.pick([bitFlip, interestingInt, truncate])(stored, rng);
    desc = `${kind} block ${i}: ${m.desc}`;
    return m.bytes ?? new Uint8Array(0);
  };
  const bytes = layoutTable(t.entries, o);
  return { bytes, desc: `${desc || `${kind} block ${target} unchanged`} (CRC recomputed)` };
}

function snappyMutation(t: ParsedTable, rng: Rng): Mutated {
  const o = defaultLayout(t);
  o.snappy = () => true;
  let desc = 'data blocks Snappy-compressed';
  const damage = rng.int(3);
  if (damage > 0) {
    o.edit = (k, i, stored) => {
      if (k !== 'data' || i !== 0) return stored;
      if (damage === 1) {
        // Claims a huge uncompressed length (varint32 preamble).
        const old = readVarint(stored, 0, stored.length);
        const v = rng.pick([0x7fffffffn, 0xffffffffn, 1n << 28n, (old?.value ?? 0n) * 30n, 0n]);
        desc += `; block 0 claims ${v} uncompressed bytes`;
        return concat(encodeVarint(v), stored.subarray(old?.next ?? 0));
      }
      const m = rng.pick([bitFlip, interestingInt, truncate])(stored, rng);
      desc += `; block 0 compressed bytes: ${m.desc}`;
      return m.bytes ?? new Uint8Array(0);
    };
  }
  return { bytes: layoutTable(t.entries, o), desc: `${desc} (CRC recomputed)` };
}

function footerMutation(t: ParsedTable, rng: Rng): Mutated {
  const o = defaultLayout(t);
  let desc = '';
  o.footer = (f) => {
    const out = f.slice();
    if (rng.chance(0.2)) {
      out[40 + rng.int(8)] ^= 1 << rng.int(8);
      desc = 'footer magic damaged';
      return out;
    }
    // Re-encode the four handle varints with one replaced.
    const vals: bigint[] = [];
    let pos = 0;
    for (let i = 0; i < 4; i++) {
      const v = readVarint(out, pos, 40) as { value: bigint; next: number };
      vals.push(v.value);
      pos = v.next;
    }
    const i = rng.int(4);
    const v = rng.pick([0n, 1n, vals[i] + 1n, vals[i] - 1n, 2n ** 31n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n, BigInt(rng.int(1 << 16))]);
    vals[i] = BigInt.asUintN(64, v);
    const enc = concat(...vals.map((x) => encodeVarint(x)));
    const next = new Uint8Array(48);
    next.set(enc.subarray(0, 40), 0);
    next.set(out.subarray(40), 40);
    desc = `footer ${['metaindex offset', 'metaindex size', 'index offset', 'index size'][i]} -> ${vals[i]}`;
    return next;
  };
  return { bytes: layoutTable(t.entries, o), desc };
}

/** One mutation of variables.index. */
export function indexMutation(b: Uint8Array, rng: Rng, parsed: ParsedTable | null): Mutated {
  if (!parsed || parsed.entries.length === 0) return genericMutation(b, rng);
  return rng.weighted<(t: ParsedTable, r: Rng) => Mutated>([
    [indexEntryMutation, 5],
    [blockMutation, 3],
    [snappyMutation, 1],
    [footerMutation, 1],
  ])(parsed, rng);
}

// ---------------------------------------------------------------------------------------------
// Index and data shard together
// ---------------------------------------------------------------------------------------------

/** WriteStringTensor's layout: varint lengths, masked CRC of the lengths, the bytes; and the tensor CRC. */
export function encodeStringTensor(strings: readonly Uint8Array[]): { bytes: Uint8Array; crc: number } {
  const parts: Uint8Array[] = [];
  let lenCrc = 0;
  for (const s of strings) {
    parts.push(encodeVarint(s.length));
    lenCrc = crc32c(lenBytes(s.length), lenCrc);
  }
  const stored = maskCrc(lenCrc);
  const storedBytes = Uint8Array.of(stored & 0xff, (stored >>> 8) & 0xff, (stored >>> 16) & 0xff, (stored >>> 24) & 0xff);
  let crc = crc32c(storedBytes, lenCrc);
  for (const s of strings) crc = crc32c(s, crc);
  return { bytes: concat(...parts, storedBytes, ...strings), crc };
}

function lenBytes(n: number): Uint8Array {
  const b = new Uint8Array(n <= 0xffffffff ? 4 : 8);
  const dv = new DataView(b.buffer);
  if (n <= 0xffffffff) dv.setUint32(0, n, true);
  else dv.setBigUint64(0, BigInt(n), true);
  return b;
}

/** The strings of a string tensor (lenient: null when the bytes do not hold `n` of them). */
export function decodeStringTensor(b: Uint8Array, n: number): Uint8Array[] | null {
  let pos = 0;
  const lens: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = readVarint(b, pos, b.length);
    if (!v) return null;
    lens.push(Number(v.value));
    pos = v.next;
  }
  pos += 4;
  const out: Uint8Array[] = [];
  for (const l of lens) {
    if (pos + l > b.length) return null;
    out.push(b.slice(pos, pos + l));
    pos += l;
  }
  return out;
}

interface Tensor {
  entry: Entry;
  proto: BundleEntryProto;
  bytes: Uint8Array;
}

/**
 * Damage to one tensor's bytes in the data shard, with its size, offset and CRCs made to match in
 * the index, so readers get past the checksums: string tensors (the TrackableObjectGraph) get
 * protobuf mutations or lying lengths, numbers get NaN/Inf or a shape/dtype consistent with a
 * changed size. Returns new index and shard bytes, or null when the pair does not parse.
 */
export function bundleMutation(index: Uint8Array, data: Uint8Array, rng: Rng, parsed: ParsedTable | null): { index: Uint8Array; data: Uint8Array; desc: string } | null {
  if (!parsed) return null;
  const tensors: Tensor[] = [];
  // Entries are rewritten below: work on copies, never on the parsed original (a cache).
  const own: Entry[] = parsed.entries.map((e) => ({ key: e.key, value: e.value }));
  for (const e of own) {
    if (e.key.length === 0) continue;
    let p: BundleEntryProto;
    try {
      p = BundleEntryCodec.decode(e.value, 'fuzz');
    } catch {
      continue;
    }
    if (p.shard_id !== 0 || p.slices.length > 0 || p.offset + p.size > data.length) continue;
    tensors.push({ entry: e, proto: p, bytes: data.slice(p.offset, p.offset + p.size) });
  }
  if (tensors.length === 0) return null;
  const strings = tensors.filter((t) => t.proto.dtype === 7);
  const t = strings.length > 0 && rng.chance(0.5) ? rng.pick(strings) : rng.pick(tensors);
  const n = (t.proto.shape?.dim ?? []).reduce((a, d) => a * d.size, 1);
  let desc: string;
  let fixCrc = true;
  if (t.proto.dtype === 7) {
    const ss = decodeStringTensor(t.bytes, n);
    if (!ss) return null;
    const i = rng.int(Math.max(1, ss.length));
    const choice = rng.int(4);
    if (choice <= 1 && ss.length > 0) {
      const m = protoMutation(ss[i], rng);
      ss[i] = m.bytes ?? new Uint8Array(0);
      desc = `string ${i}: ${m.desc}`;
    } else if (choice === 2) {
      ss.push(...ss.slice(0, rng.pick([1, 2])));
      desc = `${ss.length} strings for ${n} elements`;
    } else {
      ss.length = Math.max(0, ss.length - 1);
      desc = `${ss.length} strings for ${n} elements`;
    }
    const enc = encodeStringTensor(ss);
    t.bytes = enc.bytes;
    if (rng.chance(0.15)) {
      // A length that lies, with the length checksum made to agree with it.
      const lens = ss.map((s) => s.length);
      const j = rng.int(Math.max(1, lens.length));
      lens[j] = rng.pick([2 ** 31, 2 ** 32 + 1, 2 ** 53 - 1, (lens[j] ?? 0) + 1]);
      let lenCrc = 0;
      const parts: Uint8Array[] = [];
      for (const l of lens) {
        parts.push(encodeVarint(l));
        lenCrc = crc32c(lenBytes(l), lenCrc);
      }
      const m = maskCrc(lenCrc);
      t.bytes = concat(...parts, Uint8Array.of(m & 0xff, (m >>> 8) & 0xff, (m >>> 16) & 0xff, (m >>> 24) & 0xff), ...ss);
      desc += `; string length ${j} -> ${lens[j]}`;
    }
  } else {
    const choice = rng.int(4);
    if (choice === 0 && t.bytes.length >= 4) {
      const out = t.bytes.slice();
      const dv = new DataView(out.buffer);
      const v = rng.pick([NaN, Infinity, -Infinity, 3.4e38, -0]);
      const k = rng.smallCount(Math.floor(out.length / 4));
      for (let j = 0; j < k; j++) dv.setFloat32(4 * rng.int(out.length >> 2), v, true);
      t.bytes = out;
      desc = `${k} values -> ${v}`;
    } else if (choice === 1) {
      // Shape and size agree with each other (and with the bytes), but not with the graph.
      const dims = t.proto.shape?.dim ?? [];
      const el = n > 0 ? t.bytes.length / n : 4;
      const nd = rng.pick([[1], [2, 3], [...dims.map((d) => d.size), 1], dims.length ? dims.slice(1).map((d) => d.size) : [1]]);
      const count = nd.reduce((a, d) => a * d, 1);
      const out = new Uint8Array(count * el);
      out.set(t.bytes.subarray(0, Math.min(out.length, t.bytes.length)));
      t.bytes = out;
      t.proto.shape = { dim: nd.map((size) => ({ size, name: '' })), unknown_rank: false };
      desc = `shape -> [${nd}] with ${out.length} bytes`;
    } else if (choice === 2) {
      const same = t.bytes.length / Math.max(1, n);
      const candidates = same === 4 ? [1, 3, 8] : same === 8 ? [2, 9] : same === 1 ? [4, 6, 10] : [3];
      t.proto.dtype = rng.pick(candidates);
      desc = `dtype -> ${t.proto.dtype} (same bytes)`;
    } else {
      t.bytes = bitFlip(t.bytes, rng).bytes ?? t.bytes;
      fixCrc = rng.chance(0.5);
      desc = `bytes flipped${fixCrc ? ' (CRC recomputed)' : ''}`;
    }
  }
  // Lay the shard out again in the original order, every offset, size and CRC updated.
  const order = [...tensors].sort((a, b) => a.proto.offset - b.proto.offset);
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const x of order) {
    x.proto.offset = offset;
    x.proto.size = x.bytes.length;
    if (x === t && fixCrc) x.proto.crc32c = maskCrc(t.proto.dtype === 7 && x.bytes.length > 0 ? stringCrc(x.bytes, n) : crc32c(x.bytes));
    parts.push(x.bytes);
    offset += x.bytes.length;
    x.entry.value = BundleEntryCodec.encode(x.proto);
  }
  return { index: layoutTable(own, defaultLayout(parsed)), data: concat(...parts), desc: `tensor ${keyName(t.entry.key)}: ${desc}` };
}

/** The tensor CRC of a string tensor's stored bytes (lengths as u32/u64, their checksum, the strings). */
function stringCrc(b: Uint8Array, n: number): number {
  let pos = 0;
  let crc = 0;
  for (let i = 0; i < n; i++) {
    const v = readVarint(b, pos, b.length);
    if (!v) return crc32c(b);
    crc = crc32c(lenBytes(Number(v.value)), crc);
    pos = v.next;
  }
  return crc32c(b.subarray(pos), crc);
}
