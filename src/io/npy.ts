// NumPy .npy files (format versions 1.0, 2.0 and 3.0), as numpy.lib.format reads and writes them:
// magic "\x93NUMPY", version, header length, a Python dict literal header, then the raw C-order
// array. We read little- and big-endian data and write little-endian, byte-for-byte what np.save
// writes for the same array (header padding included), so files diff cleanly against numpy's.

import os from 'node:os';
import { type DType, DTYPES, typedView } from '../core/dtype.js';
import type { TensorValue } from '../core/tensor.js';
import { err } from '../errors/index.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const ARRAY_ALIGN = 64;
/** numpy leaves room for the first dimension to grow to this many digits without rewriting the header. */
const GROWTH_AXIS_MAX_DIGITS = 21;
/** numpy refuses headers above 10000 bytes by default; we allow more but not without bound. */
const MAX_HEADER_BYTES = 1 << 20;

const LITTLE_ENDIAN_HOST = os.endianness() === 'LE';

/** numpy descr (without byte order) for each dtype numpy has; the rest cannot be written to .npy. */
const DESCR: Partial<Record<DType, string>> = {
  float16: 'f2',
  float32: 'f4',
  float64: 'f8',
  int8: 'i1',
  int16: 'i2',
  int32: 'i4',
  int64: 'i8',
  uint8: 'u1',
  uint16: 'u2',
  uint32: 'u4',
  uint64: 'u8',
  bool: 'b1',
  complex64: 'c8',
  complex128: 'c16',
};
const FROM_DESCR = new Map<string, DType>(Object.entries(DESCR).map(([d, s]) => [s, d as DType]));

interface NpyHeader {
  dtype: DType;
  /** Bytes per element as stored (for strings: the fixed width). */
  itemSize: number;
  bigEndian: boolean;
  /** 'S' (byte strings) or 'U' (UTF-32 strings) for string arrays. */
  stringKind?: 'S' | 'U';
  shape: number[];
  dataOffset: number;
}

/** Decode a .npy file. `file` names it in errors. Numeric data is a view into `bytes` when aligned. */
export function decodeNpy(bytes: Uint8Array, file: string): TensorValue {
  const h = parseHeader(bytes, file);
  const count = elementCount(h.shape, file);
  const available = bytes.byteLength - h.dataOffset;
  const needed = count * h.itemSize;
  if (!Number.isSafeInteger(needed) || needed > available) {
    throw err.badInputData(file, `.npy data is ${available} bytes but shape (${h.shape.join(', ')}) of ${descrName(h)} needs ${needed}`);
  }
  if (needed < available) {
    throw err.badInputData(file, `.npy has ${available - needed} bytes after the array data (shape (${h.shape.join(', ')}) of ${descrName(h)} needs ${needed})`);
  }
  const raw = bytes.subarray(h.dataOffset, h.dataOffset + needed);
  if (h.dtype === 'string') return { dtype: 'string', shape: h.shape, data: decodeStrings(raw, count, h) };

  let data = raw;
  const swapSize = h.dtype === 'complex64' ? 4 : h.dtype === 'complex128' ? 8 : h.itemSize;
  if (h.bigEndian !== !LITTLE_ENDIAN_HOST && swapSize > 1) data = byteSwapped(raw, swapSize);
  if (h.dtype === 'bool') data = normalizedBools(data);
  return { dtype: h.dtype, shape: h.shape, data: typedView(h.dtype, data) };
}

/** Encode a tensor as np.save would (format 1.0 unless the header needs 2.0). */
export function encodeNpy(t: TensorValue, what = 'tensor'): Uint8Array {
  let descr: string;
  let body: Uint8Array;
  if (t.dtype === 'string') {
    if (!Array.isArray(t.data)) throw err.internal(`string tensor ${what} has no byte strings`);
    // numpy's fixed-width byte strings; np.array([b'']) is S1, so the width is at least 1.
    const width = t.data.reduce((m, s) => Math.max(m, s.byteLength), 1);
    descr = `|S${width}`;
    body = new Uint8Array(width * t.data.length);
    t.data.forEach((s, i) => body.set(s, i * width));
  } else {
    const d = DESCR[t.dtype];
    if (!d) throw err.badInputData(what, `numpy has no ${t.dtype} dtype, so it cannot be written to .npy; cast it first`);
    descr = `${DTYPES[t.dtype].size === 1 ? '|' : '<'}${d}`;
    if (Array.isArray(t.data)) throw err.internal(`${t.dtype} tensor ${what} holds byte strings`);
    body = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const swapSize = t.dtype === 'complex64' ? 4 : t.dtype === 'complex128' ? 8 : DTYPES[t.dtype].size;
    if (!LITTLE_ENDIAN_HOST && swapSize > 1) body = byteSwapped(body, swapSize);
  }
  const header = headerBytes(descr, t.shape);
  const out = new Uint8Array(header.byteLength + body.byteLength);
  out.set(header);
  out.set(body, header.byteLength);
  return out;
}

// ---------------------------------------------------------------------------------------------

function headerBytes(descr: string, shape: readonly number[]): Uint8Array {
  const shapeRepr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeRepr}, }`;
  if (shape.length > 0) dict += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length));
  const text = new TextEncoder().encode(dict); // ASCII only: latin1 == utf8 here
  for (const [major, lenBytes] of [
    [1, 2],
    [2, 4],
  ] as const) {
    const hlen = text.byteLength + 1;
    const prefix = MAGIC.length + 2 + lenBytes;
    const pad = ARRAY_ALIGN - ((prefix + hlen) % ARRAY_ALIGN);
    const total = hlen + pad;
    if (lenBytes === 2 && total > 0xffff) continue;
    const out = new Uint8Array(prefix + total);
    out.set(MAGIC);
    out[6] = major;
    out[7] = 0;
    const dv = new DataView(out.buffer);
    if (lenBytes === 2) dv.setUint16(8, total, true);
    else dv.setUint32(8, total, true);
    out.set(text, prefix);
    out.fill(0x20, prefix + text.byteLength, out.byteLength - 1);
    out[out.byteLength - 1] = 0x0a;
    return out;
  }
  throw err.internal('unreachable: .npy header does not fit format 2.0');
}

function parseHeader(bytes: Uint8Array, file: string): NpyHeader {
  if (bytes.byteLength < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw err.badInputData(file, 'not a .npy file (no \\x93NUMPY magic)');
  }
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = dv.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.byteLength < 12) throw err.badInputData(file, '.npy file ends inside its header');
    headerLen = dv.getUint32(8, true);
    headerStart = 12;
  } else {
    throw err.badInputData(file, `.npy format version ${major}.${bytes[7]} is not supported (expected 1.0, 2.0 or 3.0)`);
  }
  if (headerLen > MAX_HEADER_BYTES) throw err.badInputData(file, `.npy header claims ${headerLen} bytes (more than ${MAX_HEADER_BYTES})`);
  if (headerStart + headerLen > bytes.byteLength) {
    throw err.badInputData(file, `.npy header claims ${headerLen} bytes but the file has ${bytes.byteLength - headerStart} after the prefix`);
  }
  const raw = bytes.subarray(headerStart, headerStart + headerLen);
  // Versions 1 and 2 are latin1, version 3 is utf8 (for structured field names).
  const text = major === 3 ? new TextDecoder('utf-8', { fatal: false }).decode(raw) : latin1(raw);
  let dict: PyValue;
  try {
    dict = new PyLiteralParser(text).parseTop();
  } catch (e) {
    throw err.badInputData(file, `.npy header is not a Python dict literal (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isDict(dict)) throw err.badInputData(file, '.npy header is not a dict');
  const descr = dict.get('descr');
  const fortran = dict.get('fortran_order');
  const shape = dict.get('shape');
  if (descr === undefined || fortran === undefined || shape === undefined) {
    throw err.badInputData(file, `.npy header lacks ${['descr', 'fortran_order', 'shape'].filter((k) => !dict.has(k)).join(', ')}`);
  }
  if (typeof descr !== 'string') {
    throw err.badInputData(file, '.npy holds a structured array (record dtype); only plain numeric, bool and string arrays are supported');
  }
  if (fortran === true) {
    throw err.badInputData(file, '.npy is in Fortran (column-major) order; save a C-order copy (np.save(f, np.ascontiguousarray(a)))');
  }
  if (fortran !== false) throw err.badInputData(file, `.npy header has fortran_order ${String(fortran)}, expected True or False`);
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw err.badInputData(file, '.npy header shape is not a tuple of non-negative integers');
  }
  return { ...parseDescr(descr, file), shape: shape as number[], dataOffset: headerStart + headerLen };
}

function parseDescr(descr: string, file: string): Omit<NpyHeader, 'shape' | 'dataOffset'> {
  const m = /^([<>|=]?)([a-zA-Z?])(\d*)$/.exec(descr);
  if (!m) throw err.badInputData(file, `.npy dtype '${descr}' is not supported`);
  const [, order, kindRaw, sizeText] = m;
  const kind = kindRaw === '?' ? 'b' : kindRaw;
  const bigEndian = order === '>' || (order === '=' && !LITTLE_ENDIAN_HOST);
  if (kind === 'S' || kind === 'a' || kind === 'U') {
    const width = Number(sizeText || '0');
    const stringKind = kind === 'U' ? 'U' : 'S';
    return { dtype: 'string', itemSize: stringKind === 'U' ? width * 4 : width, bigEndian, stringKind };
  }
  if (kind === 'O') {
    throw err.badInputData(file, '.npy holds Python objects (pickled); only numeric, bool and string arrays are supported');
  }
  const key = `${kind}${sizeText || (kind === 'b' ? '1' : '')}`;
  const dtype = FROM_DESCR.get(key);
  if (!dtype) throw err.badInputData(file, `.npy dtype '${descr}' is not supported`);
  return { dtype, itemSize: DTYPES[dtype].size, bigEndian };
}

function descrName(h: Pick<NpyHeader, 'dtype' | 'itemSize' | 'stringKind'>): string {
  return h.dtype === 'string' ? `${h.stringKind}${h.stringKind === 'U' ? h.itemSize / 4 : h.itemSize} strings` : h.dtype;
}

function elementCount(shape: readonly number[], file: string): number {
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n)) throw err.badInputData(file, `.npy shape (${shape.join(', ')}) is too large`);
  }
  return n;
}

function decodeStrings(raw: Uint8Array, count: number, h: NpyHeader): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (h.stringKind === 'S') {
    // numpy drops trailing NULs of fixed-width byte strings when it reads them.
    for (let i = 0; i < count; i++) {
      let end = (i + 1) * h.itemSize;
      const start = i * h.itemSize;
      while (end > start && raw[end - 1] === 0) end--;
      out.push(raw.slice(start, end));
    }
    return out;
  }
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const enc = new TextEncoder();
  const width = h.itemSize / 4;
  for (let i = 0; i < count; i++) {
    let end = width;
    while (end > 0 && dv.getUint32((i * width + end - 1) * 4, !h.bigEndian) === 0) end--;
    let text = '';
    for (let j = 0; j < end; j++) {
      const c = dv.getUint32((i * width + j) * 4, !h.bigEndian);
      text += String.fromCodePoint(c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) ? 0xfffd : c);
    }
    out.push(enc.encode(text));
  }
  return out;
}

function byteSwapped(src: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(src.byteLength);
  for (let i = 0; i < src.byteLength; i += size) for (let j = 0; j < size; j++) out[i + j] = src[i + size - 1 - j];
  return out;
}

function normalizedBools(src: Uint8Array): Uint8Array {
  if (src.every((b) => b <= 1)) return src;
  return src.map((b) => (b ? 1 : 0));
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

// --- The header: a Python literal (dict of str, bool, int tuples, nested lists for records) ---

type PyValue = string | number | boolean | null | PyValue[] | Map<string, PyValue>;

function isDict(v: PyValue): v is Map<string, PyValue> {
  return v instanceof Map;
}

class PyLiteralParser {
  private i = 0;
  constructor(private readonly s: string) {}

  parseTop(): PyValue {
    const v = this.value();
    this.ws();
    if (this.i !== this.s.length) throw new Error(`unexpected '${this.s[this.i]}' at ${this.i}`);
    return v;
  }

  private ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }

  private value(): PyValue {
    this.ws();
    const c = this.s[this.i];
    if (c === '{') return this.dict();
    if (c === '(' || c === '[') return this.seq(c === '(' ? ')' : ']');
    if (c === "'" || c === '"') return this.str();
    const word = /^(True|False|None|[-+]?\d+L?)/.exec(this.s.slice(this.i));
    if (!word) throw new Error(`unexpected '${c ?? 'end'}' at ${this.i}`);
    this.i += word[0].length;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    if (word[0] === 'None') return null;
    // Python 2 wrote long integers with an L suffix.
    return Number(word[0].replace(/L$/, ''));
  }

  private str(): string {
    const q = this.s[this.i++];
    let out = '';
    while (this.i < this.s.length && this.s[this.i] !== q) {
      if (this.s[this.i] === '\\') this.i++;
      out += this.s[this.i++];
    }
    if (this.s[this.i] !== q) throw new Error('unterminated string');
    this.i++;
    return out;
  }

  private seq(close: string): PyValue[] {
    this.i++;
    const out: PyValue[] = [];
    for (;;) {
      this.ws();
      if (this.s[this.i] === close) {
        this.i++;
        return out;
      }
      out.push(this.value());
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== close) throw new Error(`expected ',' or '${close}' at ${this.i}`);
    }
  }

  private dict(): Map<string, PyValue> {
    this.i++;
    const out = new Map<string, PyValue>();
    for (;;) {
      this.ws();
      if (this.s[this.i] === '}') {
        this.i++;
        return out;
      }
      const k = this.value();
      if (typeof k !== 'string') throw new Error('dict key is not a string');
      this.ws();
      if (this.s[this.i++] !== ':') throw new Error(`expected ':' at ${this.i - 1}`);
      out.set(k, this.value());
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== '}') throw new Error(`expected ',' or '}' at ${this.i}`);
    }
  }
}
