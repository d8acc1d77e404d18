// NumPy .npz archives: a ZIP of .npy members, stored (np.savez) or deflated (np.savez_compressed);
// numpy writes every member with ZIP64 local headers. fflate does the unzipping; we check each
// member's declared size before it is inflated and its CRC-32 after, from the central directory,
// because fflate checks neither and a silently corrupt calibration set is worse than an error.

import { crc32 } from '@node-rs/crc32';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import type { TensorValue } from '../core/tensor.js';
import { err, isTfconvError } from '../errors/index.js';
import { decodeNpy, encodeNpy } from './npy.js';

/** Deflate cannot expand data by more than about 1032:1; a larger claim is a corrupt or hostile file. */
const MAX_DEFLATE_RATIO = 1032;
const DEFAULT_MAX_MEMBER_BYTES = 2 ** 31;

export interface NpzReadOptions {
  /** Largest uncompressed member accepted, in bytes (default 2 GiB). */
  maxMemberBytes?: number;
}

/** Members of an .npz file by key (member name without ".npy"), in archive order. */
export function decodeNpz(bytes: Uint8Array, file: string, options: NpzReadOptions = {}): Map<string, TensorValue> {
  const maxMember = options.maxMemberBytes ?? DEFAULT_MAX_MEMBER_BYTES;
  const central = readCentralDirectory(bytes, file);
  let members: Record<string, Uint8Array>;
  try {
    members = unzipSync(bytes, {
      filter: (f) => {
        if (!f.name.endsWith('.npy')) return false;
        if (f.originalSize > maxMember) {
          throw err.badInputData(file, `member '${f.name}' is ${f.originalSize} bytes uncompressed (limit ${maxMember})`);
        }
        if (f.compression === 8 && f.originalSize > f.size * MAX_DEFLATE_RATIO + 1024) {
          throw err.badInputData(file, `member '${f.name}' claims ${f.originalSize} bytes from ${f.size} compressed bytes`);
        }
        if (f.compression !== 0 && f.compression !== 8) {
          throw err.badInputData(file, `member '${f.name}' uses ZIP compression method ${f.compression}; only stored (0) and deflate (8) are supported`);
        }
        return true;
      },
    });
  } catch (e) {
    if (isTfconvError(e)) throw e;
    throw err.badInputData(file, `not a valid .npz (ZIP) archive: ${e instanceof Error ? e.message : String(e)}`);
  }
  const out = new Map<string, TensorValue>();
  for (const entry of central) {
    const data = members[entry.name];
    if (data === undefined) continue;
    if (data.byteLength !== entry.size) {
      throw err.badInputData(file, `member '${entry.name}' unpacked to ${data.byteLength} bytes, the directory says ${entry.size}`);
    }
    const crc = crc32(data) >>> 0;
    if (crc !== entry.crc) {
      throw err.badInputData(
        file,
        `member '${entry.name}' fails its CRC-32 check (stored 0x${hex(entry.crc)}, computed 0x${hex(crc)}): the archive is corrupt`,
      );
    }
    const key = entry.name.slice(0, -'.npy'.length);
    out.set(key, decodeNpy(data, `${file}:${key}`));
  }
  return out;
}

export interface NpzWriteOptions {
  /** Deflate the members, as np.savez_compressed does (default: stored, as np.savez). */
  compress?: boolean;
}

/** An .npz archive of the tensors, keyed as given ("x" becomes member "x.npy"). Same input, same bytes. */
export function encodeNpz(tensors: ReadonlyMap<string, TensorValue>, options: NpzWriteOptions = {}): Uint8Array {
  const level = options.compress ? 6 : 0;
  const files: Zippable = {};
  for (const [key, t] of tensors) {
    const name = `${key}.npy`;
    if (Object.prototype.hasOwnProperty.call(files, name)) throw err.internal(`duplicate .npz key '${key}'`);
    files[name] = [encodeNpy(t, key), { level }];
  }
  // A fixed timestamp keeps the archive deterministic (the DOS date is built from local-time
  // fields, so a local-time constructor gives the same bytes in every time zone).
  return zipSync(files, { level, mtime: new Date(1980, 0, 1, 0, 0, 0) });
}

// ---------------------------------------------------------------------------------------------

interface CentralEntry {
  name: string;
  crc: number;
  size: number;
}

/** The central directory's names, CRCs and uncompressed sizes (ZIP64 aware), all bounds-checked. */
function readCentralDirectory(b: Uint8Array, file: string): CentralEntry[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const bad = (why: string): never => {
    throw err.badInputData(file, `not a valid .npz (ZIP) archive: ${why}`);
  };
  let eocd = -1;
  for (let i = b.byteLength - 22; i >= Math.max(0, b.byteLength - 22 - 0xffff); i--) {
    if (dv.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) bad('no end-of-central-directory record');
  let count = dv.getUint16(eocd + 10, true);
  let cdSize = dv.getUint32(eocd + 12, true);
  let cdOffset = dv.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || dv.getUint32(loc, true) !== 0x07064b50) bad('ZIP64 end-of-central-directory locator missing');
    const z64 = safeU64(dv, loc + 8, bad);
    if (z64 + 56 > b.byteLength || dv.getUint32(z64, true) !== 0x06064b50) bad('ZIP64 end-of-central-directory record missing');
    count = safeU64(dv, z64 + 32, bad);
    cdSize = safeU64(dv, z64 + 40, bad);
    cdOffset = safeU64(dv, z64 + 48, bad);
  }
  if (cdOffset + cdSize > b.byteLength) bad(`central directory (${cdSize} bytes at ${cdOffset}) runs past the end of the file`);
  const entries: CentralEntry[] = [];
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > cdOffset + cdSize || dv.getUint32(p, true) !== 0x02014b50) bad(`central directory entry ${k} is truncated`);
    const flags = dv.getUint16(p + 8, true);
    const crc = dv.getUint32(p + 16, true);
    let size = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cdOffset + cdSize) bad(`central directory entry ${k} is truncated`);
    const nameBytes = b.subarray(p + 46, p + 46 + nameLen);
    // Bit 11: UTF-8 names; otherwise code page 437, read as latin1 as fflate does.
    const name = flags & 0x800 ? new TextDecoder().decode(nameBytes) : String.fromCharCode(...nameBytes);
    if (size === 0xffffffff) {
      // The ZIP64 extra field (id 1) holds the real sizes, uncompressed first.
      let q = p + 46 + nameLen;
      const qEnd = q + extraLen;
      while (q + 4 <= qEnd) {
        const id = dv.getUint16(q, true);
        const len = dv.getUint16(q + 2, true);
        if (id === 1 && len >= 8 && q + 12 <= qEnd) size = safeU64(dv, q + 4, bad);
        q += 4 + len;
      }
    }
    entries.push({ name, crc, size });
    p = end;
  }
  return entries;
}

function safeU64(dv: DataView, at: number, bad: (why: string) => never): number {
  if (at + 8 > dv.byteLength) bad('ZIP64 field runs past the end of the file');
  const v = dv.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) bad('ZIP64 size or offset is too large');
  return Number(v);
}

function hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}
