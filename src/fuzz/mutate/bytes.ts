// Format-blind mutations of a file's bytes: bit flips, interesting integers, truncation, inserted,
// deleted, duplicated and swapped blocks, random files. Every mutator is a pure function of the
// bytes and the generator, and describes what it did (positions, values) for the crash report.

import type { Rng } from '../rng.js';
import { concat } from '../protowire.js';

export interface Mutated {
  /** The new content; null deletes the file. */
  bytes: Uint8Array | null;
  desc: string;
}

export type ByteMutator = (b: Uint8Array, rng: Rng) => Mutated;

/** Values that break length and index arithmetic, as unsigned 32-bit patterns. */
export const INTERESTING_32 = [
  0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 127, 128, 255, 256, 1023, 1024, 4096, 32767, 32768, 65535, 65536,
  0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x40000000, 0x10000000, 0x01000000,
];

/** A position in [0, n) (n > 0), biased towards the start where headers live. */
export function position(rng: Rng, n: number): number {
  if (n <= 1) return 0;
  return rng.chance(0.3) ? rng.int(Math.min(n, 64)) : rng.int(n);
}

function blockLength(rng: Rng, n: number): number {
  return Math.max(1, Math.min(n, rng.chance(0.7) ? rng.range(1, 16) : rng.range(1, Math.max(1, n >> 2))));
}

export const bitFlip: ByteMutator = (b, rng) => {
  if (b.length === 0) return { bytes: rng.bytes(1), desc: 'bit flip of an empty file: one random byte' };
  const out = b.slice();
  const flips = rng.smallCount(8);
  const at: number[] = [];
  for (let i = 0; i < flips; i++) {
    const p = position(rng, out.length);
    const bit = rng.int(8);
    out[p] ^= 1 << bit;
    at.push(p * 8 + bit);
  }
  return { bytes: out, desc: `flip bits ${at.map((x) => `${x >> 3}.${x & 7}`).join(',')}` };
};

export const setByte: ByteMutator = (b, rng) => {
  if (b.length === 0) return { bytes: Uint8Array.of(rng.int(256)), desc: 'set byte of an empty file' };
  const out = b.slice();
  const p = position(rng, out.length);
  const v = rng.pick([0x00, 0x01, 0x7f, 0x80, 0xff, rng.int(256)]);
  out[p] = v;
  return { bytes: out, desc: `byte ${p} = 0x${v.toString(16)}` };
};

export const interestingInt: ByteMutator = (b, rng) => {
  const width = rng.pick([1, 2, 4, 4, 4, 8]);
  if (b.length < width) return bitFlip(b, rng);
  const out = b.slice();
  let p = position(rng, out.length - width + 1);
  if (rng.chance(0.6)) p -= p % width;
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const v = rng.pick(INTERESTING_32);
  const delta = rng.chance(0.2) ? rng.range(-4, 4) : 0;
  let desc: string;
  if (width === 1) {
    dv.setUint8(p, (v + delta) & 0xff);
    desc = `u8 at ${p} = ${(v + delta) & 0xff}`;
  } else if (width === 2) {
    dv.setUint16(p, (v + delta) & 0xffff, true);
    desc = `u16 at ${p} = ${(v + delta) & 0xffff}`;
  } else if (width === 4) {
    const x = rng.chance(0.3) ? (dv.getUint32(p, true) + rng.range(-16, 16)) >>> 0 : (v + delta) >>> 0;
    dv.setUint32(p, x, true);
    desc = `u32 at ${p} = ${x}`;
  } else {
    const x = rng.pick([0n, 1n, 2n ** 31n, 2n ** 32n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 64n - 1n, BigInt(v)]);
    dv.setBigUint64(p, x, true);
    desc = `u64 at ${p} = ${x}`;
  }
  return { bytes: out, desc };
};

export const truncate: ByteMutator = (b, rng) => {
  if (b.length === 0) return { bytes: b, desc: 'truncate an empty file (no change)' };
  const n = rng.weighted<number>([
    [0, 1],
    [rng.int(b.length), 4],
    [Math.max(0, b.length - rng.range(1, 16)), 3],
    [rng.int(Math.min(b.length, 64)), 2],
  ]);
  return { bytes: b.slice(0, n), desc: `truncate to ${n} of ${b.length} bytes` };
};

export const append: ByteMutator = (b, rng) => {
  const n = rng.smallCount(4096);
  const extra = rng.chance(0.5) ? new Uint8Array(n) : rng.bytes(n);
  return { bytes: concat(b, extra), desc: `append ${n} ${extra[0] === 0 && extra.every((x) => x === 0) ? 'zero' : 'random'} bytes` };
};

export const insertBytes: ByteMutator = (b, rng) => {
  const p = b.length === 0 ? 0 : rng.int(b.length + 1);
  const n = rng.smallCount(256);
  return { bytes: concat(b.subarray(0, p), rng.bytes(n), b.subarray(p)), desc: `insert ${n} random bytes at ${p}` };
};

export const deleteRange: ByteMutator = (b, rng) => {
  if (b.length < 2) return truncate(b, rng);
  const p = position(rng, b.length);
  const n = Math.min(b.length - p, blockLength(rng, b.length));
  return { bytes: concat(b.subarray(0, p), b.subarray(p + n)), desc: `delete ${n} bytes at ${p}` };
};

export const overwriteRandom: ByteMutator = (b, rng) => {
  if (b.length === 0) return { bytes: rng.bytes(rng.smallCount(1024)), desc: 'random bytes for an empty file' };
  const out = b.slice();
  const p = position(rng, out.length);
  const n = Math.min(out.length - p, blockLength(rng, out.length));
  out.set(rng.bytes(n), p);
  return { bytes: out, desc: `overwrite ${n} bytes at ${p} with random bytes` };
};

export const duplicateBlock: ByteMutator = (b, rng) => {
  if (b.length < 2) return append(b, rng);
  const from = rng.int(b.length);
  const n = Math.min(b.length - from, blockLength(rng, b.length));
  const to = rng.int(b.length + 1);
  const times = rng.chance(0.2) ? rng.smallCount(64) : 1;
  const blocks: Uint8Array[] = [];
  for (let i = 0; i < times; i++) blocks.push(b.subarray(from, from + n));
  return { bytes: concat(b.subarray(0, to), ...blocks, b.subarray(to)), desc: `copy ${n} bytes from ${from} to ${to}${times > 1 ? ` x${times}` : ''}` };
};

export const swapBlocks: ByteMutator = (b, rng) => {
  if (b.length < 4) return bitFlip(b, rng);
  const n = Math.max(1, Math.min(b.length >> 1, blockLength(rng, b.length)));
  const a = rng.int(b.length - 2 * n + 1);
  const c = a + n + rng.int(b.length - a - 2 * n + 1);
  const out = b.slice();
  out.set(b.subarray(c, c + n), a);
  out.set(b.subarray(a, a + n), c);
  return { bytes: out, desc: `swap ${n}-byte blocks at ${a} and ${c}` };
};

export const randomFile: ByteMutator = (b, rng) => {
  const n = rng.chance(0.5) ? rng.smallCount(4096) : Math.max(1, rng.int(Math.max(2, b.length)));
  return { bytes: rng.bytes(n), desc: `replace with ${n} random bytes` };
};

export const emptyFile: ByteMutator = () => ({ bytes: new Uint8Array(0), desc: 'empty file' });

export const deleteFile: ByteMutator = () => ({ bytes: null, desc: 'delete the file' });

export const GENERIC: readonly (readonly [ByteMutator, number])[] = [
  [bitFlip, 8],
  [setByte, 4],
  [interestingInt, 6],
  [truncate, 4],
  [append, 1],
  [insertBytes, 2],
  [deleteRange, 2],
  [overwriteRandom, 2],
  [duplicateBlock, 2],
  [swapBlocks, 2],
  [randomFile, 0.5],
  [emptyFile, 0.3],
  [deleteFile, 0.3],
];

export function genericMutation(b: Uint8Array, rng: Rng): Mutated {
  return rng.weighted(GENERIC)(b, rng);
}
