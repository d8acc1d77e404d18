// The FlatBuffers layer under the generated TFLite bindings (schema.generated.ts): a reader that
// verifies every offset, length and alignment before it reads (the checks of FlatBuffers' own
// Verifier, which TFLite runs before trusting a model), and a thin writer over the npm
// `flatbuffers` Builder that checks values fit their fields and aligns byte vectors.
//
// Both throw FbFormatError; read.ts / write.ts turn it into a TfconvError naming the file.

import type { Builder } from 'flatbuffers';

/** A structural problem at a byte offset (reading) or a value that does not fit (writing). */
export class FbFormatError extends Error {
  constructor(
    readonly why: string,
    readonly offset?: number,
  ) {
    super(why);
    this.name = 'FbFormatError';
  }
}

/** A verified table: its position, its vtable and their sizes. */
export interface FbTable {
  readonly pos: number;
  readonly vt: number;
  readonly vsize: number;
  readonly tsize: number;
  readonly depth: number;
}

/** FlatBuffers' Verifier defaults, which TFLite uses. */
export const FB_MAX_DEPTH = 64;
export const FB_MAX_TABLES = 1_000_000;
/**
 * Decoded elements allowed beyond one per byte of the file. Every table, vector element and
 * string takes file bytes of its own unless offsets share it, which writers do for a few strings
 * and empty vectors; a file whose offsets share tables thousands of times (8 KB decoding into a
 * million tensor tables) is refused before it costs memory.
 */
export const FB_SHARING_ALLOWANCE = 1 << 16;

const MAX_UOFFSET = 0x7fffffff;

const utf8 = new TextDecoder('utf-8');

/**
 * Reads a FlatBuffer, verifying as it goes. Every table is checked when first reached (vtable in
 * range and aligned, table inside the buffer), every field's bytes lie inside its table, every
 * offset is non-zero and lands inside the buffer, every vector and string fits in the bytes left.
 * Work is bounded: at most FB_MAX_TABLES tables and about one decoded element per byte of input
 * (plus FB_SHARING_ALLOWANCE), so offsets shared many times cannot make a small file decode into a
 * huge object.
 */
export class FbReader {
  readonly bytes: Uint8Array;
  private readonly dv: DataView;
  private readonly len: number;
  private tables = 0;
  private budget: number;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.len = bytes.byteLength;
    this.budget = bytes.byteLength + FB_SHARING_ALLOWANCE;
  }

  fail(why: string, at?: number): never {
    throw new FbFormatError(why, at);
  }

  /** The root table; checks the size, the root offset and (when given) the file identifier. */
  root(identifier?: string): FbTable {
    if (this.len < 8) this.fail(`file has ${this.len} bytes; a FlatBuffer needs at least 8`, 0);
    if (identifier !== undefined) {
      let id = '';
      for (let i = 4; i < 8; i++) id += String.fromCharCode(this.bytes[i]);
      if (id !== identifier) this.fail(`file identifier is ${JSON.stringify(id)}, expected ${JSON.stringify(identifier)}`, 4);
    }
    const o = this.dv.getUint32(0, true);
    if (o === 0 || o > MAX_UOFFSET || o >= this.len) this.fail(`root table offset ${o} is outside the file (${this.len} bytes)`, 0);
    return this.table(o, 0, 'root table');
  }

  /** Verifies the table at `pos`. */
  table(pos: number, depth: number, what: string): FbTable {
    if (depth > FB_MAX_DEPTH) this.fail(`${what}: tables nested deeper than ${FB_MAX_DEPTH}`, pos);
    if (++this.tables > FB_MAX_TABLES) this.fail(`more than ${FB_MAX_TABLES} tables`, pos);
    if (--this.budget < 0) this.overBudget(pos);
    if (pos % 4 !== 0) this.fail(`${what}: table at ${pos} is not 4-byte aligned`, pos);
    if (pos + 4 > this.len) this.fail(`${what}: table at ${pos} runs past the end of the file`, pos);
    const vt = pos - this.dv.getInt32(pos, true);
    if (vt < 0 || vt + 4 > this.len) this.fail(`${what}: vtable offset points outside the file (to ${vt})`, pos);
    if (vt % 2 !== 0) this.fail(`${what}: vtable at ${vt} is not 2-byte aligned`, pos);
    const vsize = this.dv.getUint16(vt, true);
    const tsize = this.dv.getUint16(vt + 2, true);
    if (vsize < 4 || vsize % 2 !== 0) this.fail(`${what}: vtable size ${vsize} is invalid`, vt);
    if (vt + vsize > this.len) this.fail(`${what}: vtable of ${vsize} bytes at ${vt} runs past the end of the file`, vt);
    if (tsize < 4) this.fail(`${what}: table size ${tsize} is smaller than its vtable offset`, vt);
    if (pos + tsize > this.len) this.fail(`${what}: table of ${tsize} bytes at ${pos} runs past the end of the file`, pos);
    return { pos, vt, vsize, tsize, depth };
  }

  /** Absolute position of a present field of `size` bytes, or 0 when the field is absent. */
  fieldPos(t: FbTable, slot: number, size: number, label: string): number {
    const vo = 4 + 2 * slot;
    if (vo + 2 > t.vsize) return 0;
    const off = this.dv.getUint16(t.vt + vo, true);
    if (off === 0) return 0;
    if (off < 4 || off + size > t.tsize) this.fail(`${label}: field offset ${off} (+${size} bytes) is outside its table (${t.tsize} bytes)`, t.pos);
    const p = t.pos + off;
    if (p % Math.min(size, 8) !== 0) this.fail(`${label}: field at ${p} is not ${size}-byte aligned`, p);
    return p;
  }

  private overBudget(at: number): never {
    this.fail('decoding needs more elements than the file can hold (offsets shared or repeated?)', at);
  }

  private charge(n: number, at: number): void {
    this.budget -= n;
    if (this.budget < 0) this.overBudget(at);
  }

  // --- scalars ---

  bool(t: FbTable, slot: number, dflt: boolean, label: string): boolean {
    const p = this.fieldPos(t, slot, 1, label);
    return p ? this.bytes[p] !== 0 : dflt;
  }
  i8(t: FbTable, slot: number, dflt: number, label: string): number {
    const p = this.fieldPos(t, slot, 1, label);
    return p ? this.dv.getInt8(p) : dflt;
  }
  u8(t: FbTable, slot: number, dflt: number, label: string): number {
    const p = this.fieldPos(t, slot, 1, label);
    return p ? this.bytes[p] : dflt;
  }
  i16(t: FbTable, slot: number, dflt: number, label: string): number {
    const p = this.fieldPos(t, slot, 2, label);
    return p ? this.dv.getInt16(p, true) : dflt;
  }
  u16(t: FbTable, slot: number, dflt: number, label: string): number {
    const p = this.fieldPos(t, slot, 2, label);
    return p ? this.dv.getUint16(p, true) : dflt;
  }
  i32(t: FbTable, slot: number, dflt: number, label: string): number {
    const p = this.fieldPos(t, slot, 4, label);
    return p ? this.dv.getInt32(p, true) : dflt;
  }
  u32(t: FbTable, slot: number, dflt: number, label: string): number {
    const p = this.fieldPos(t, slot, 4, label);
    return p ? this.dv.getUint32(p, true) : dflt;
  }
  f32(t: FbTable, slot: number, dflt: number, label: string): number {
    const p = this.fieldPos(t, slot, 4, label);
    return p ? this.dv.getFloat32(p, true) : dflt;
  }
  f64(t: FbTable, slot: number, dflt: number, label: string): number {
    const p = this.fieldPos(t, slot, 8, label);
    return p ? this.dv.getFloat64(p, true) : dflt;
  }
  i64(t: FbTable, slot: number, dflt: number, label: string): number {
    const p = this.fieldPos(t, slot, 8, label);
    return p ? this.safe(this.dv.getBigInt64(p, true), label, p) : dflt;
  }
  u64(t: FbTable, slot: number, dflt: number, label: string): number {
    const p = this.fieldPos(t, slot, 8, label);
    return p ? this.safe(this.dv.getBigUint64(p, true), label, p) : dflt;
  }
  i64big(t: FbTable, slot: number, dflt: bigint, label: string): bigint {
    const p = this.fieldPos(t, slot, 8, label);
    return p ? this.dv.getBigInt64(p, true) : dflt;
  }
  u64big(t: FbTable, slot: number, dflt: bigint, label: string): bigint {
    const p = this.fieldPos(t, slot, 8, label);
    return p ? this.dv.getBigUint64(p, true) : dflt;
  }

  private safe(v: bigint, label: string, at: number): number {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      this.fail(`${label}: value ${v} is beyond what tfconv handles (|v| <= 2^53 - 1)`, at);
    }
    return Number(v);
  }

  // --- offsets ---

  /** Follows the uoffset stored at `p`; the target must be inside the file. */
  private follow(p: number, label: string): number {
    const o = this.dv.getUint32(p, true);
    if (o === 0 || o > MAX_UOFFSET) this.fail(`${label}: invalid offset ${o}`, p);
    const target = p + o;
    if (target >= this.len) this.fail(`${label}: offset points past the end of the file (to ${target})`, p);
    return target;
  }

  /** Start and length of the vector referenced by field `slot`, or undefined when absent. */
  private vector(t: FbTable, slot: number, elemSize: number, label: string): { start: number; n: number; at: number } | undefined {
    const p = this.fieldPos(t, slot, 4, label);
    if (!p) return undefined;
    const v = this.follow(p, label);
    if (v % 4 !== 0) this.fail(`${label}: vector at ${v} is not 4-byte aligned`, v);
    if (v + 4 > this.len) this.fail(`${label}: vector length at ${v} runs past the end of the file`, v);
    const n = this.dv.getUint32(v, true);
    const room = this.len - v - 4;
    if (n > Math.floor(room / elemSize)) {
      this.fail(`${label}: vector of ${n} elements of ${elemSize} bytes at ${v} runs past the end of the file (${room} bytes left)`, v);
    }
    return { start: v + 4, n, at: v };
  }

  str(t: FbTable, slot: number, label: string): string | undefined {
    const p = this.fieldPos(t, slot, 4, label);
    if (!p) return undefined;
    return this.stringAt(this.follow(p, label), label);
  }

  private stringAt(s: number, label: string): string {
    if (s % 4 !== 0) this.fail(`${label}: string at ${s} is not 4-byte aligned`, s);
    if (s + 4 > this.len) this.fail(`${label}: string length at ${s} runs past the end of the file`, s);
    const n = this.dv.getUint32(s, true);
    if (n >= this.len - s - 4) this.fail(`${label}: string of ${n} bytes at ${s} runs past the end of the file`, s);
    if (this.bytes[s + 4 + n] !== 0) this.fail(`${label}: string at ${s} is not zero-terminated`, s + 4 + n);
    this.charge(n >> 4, s);
    return utf8.decode(this.bytes.subarray(s + 4, s + 4 + n));
  }

  /** A present sub-table's verified position, or undefined. */
  tableField(t: FbTable, slot: number, label: string): FbTable | undefined {
    const p = this.fieldPos(t, slot, 4, label);
    if (!p) return undefined;
    return this.table(this.follow(p, label), t.depth + 1, label);
  }

  /**
   * A union: its type byte at `slot` and its value at `slot + 1`. The value table is verified
   * only for type numbers the caller knows (`known`), as FlatBuffers' verifier does; an unknown
   * type is returned without its table so the caller can keep it as "unknown".
   */
  union(t: FbTable, slot: number, label: string, known = 255): { type: number; table?: FbTable } {
    const type = this.u8(t, slot, 0, `${label}_type`);
    if (type === 0 || type > known) return { type };
    return { type, table: this.tableField(t, slot + 1, label) };
  }

  // --- vectors ---

  /** A view (no copy) of a [ubyte] vector; empty when absent. */
  byteVec(t: FbTable, slot: number, label: string): Uint8Array {
    const v = this.vector(t, slot, 1, label);
    if (!v) return new Uint8Array(0);
    return this.bytes.subarray(v.start, v.start + v.n);
  }

  private scalars<T>(t: FbTable, slot: number, size: number, label: string, get: (p: number) => T): T[] {
    const v = this.vector(t, slot, size, label);
    if (!v) return [];
    this.charge(v.n, v.at);
    const out = new Array<T>(v.n);
    for (let i = 0; i < v.n; i++) out[i] = get(v.start + i * size);
    return out;
  }

  vec_bool(t: FbTable, slot: number, label: string): boolean[] {
    return this.scalars(t, slot, 1, label, (p) => this.bytes[p] !== 0);
  }
  vec_i8(t: FbTable, slot: number, label: string): number[] {
    return this.scalars(t, slot, 1, label, (p) => this.dv.getInt8(p));
  }
  vec_u8(t: FbTable, slot: number, label: string): number[] {
    return this.scalars(t, slot, 1, label, (p) => this.bytes[p]);
  }
  vec_i16(t: FbTable, slot: number, label: string): number[] {
    return this.scalars(t, slot, 2, label, (p) => this.dv.getInt16(p, true));
  }
  vec_u16(t: FbTable, slot: number, label: string): number[] {
    return this.scalars(t, slot, 2, label, (p) => this.dv.getUint16(p, true));
  }
  vec_i32(t: FbTable, slot: number, label: string): number[] {
    return this.scalars(t, slot, 4, label, (p) => this.dv.getInt32(p, true));
  }
  vec_u32(t: FbTable, slot: number, label: string): number[] {
    return this.scalars(t, slot, 4, label, (p) => this.dv.getUint32(p, true));
  }
  vec_f32(t: FbTable, slot: number, label: string): number[] {
    return this.scalars(t, slot, 4, label, (p) => this.dv.getFloat32(p, true));
  }
  vec_f64(t: FbTable, slot: number, label: string): number[] {
    return this.scalars(t, slot, 8, label, (p) => this.dv.getFloat64(p, true));
  }
  vec_i64(t: FbTable, slot: number, label: string): number[] {
    return this.scalars(t, slot, 8, label, (p) => this.safe(this.dv.getBigInt64(p, true), label, p));
  }
  vec_u64(t: FbTable, slot: number, label: string): number[] {
    return this.scalars(t, slot, 8, label, (p) => this.safe(this.dv.getBigUint64(p, true), label, p));
  }

  vecStr(t: FbTable, slot: number, label: string): string[] {
    const v = this.vector(t, slot, 4, label);
    if (!v) return [];
    this.charge(v.n, v.at);
    const out: string[] = [];
    for (let i = 0; i < v.n; i++) out.push(this.stringAt(this.follow(v.start + 4 * i, label), `${label}[${i}]`));
    return out;
  }

  vecTables(t: FbTable, slot: number, label: string): FbTable[] {
    const v = this.vector(t, slot, 4, label);
    if (!v) return [];
    const out: FbTable[] = [];
    for (let i = 0; i < v.n; i++) out.push(this.table(this.follow(v.start + 4 * i, label), t.depth + 1, `${label}[${i}]`));
    return out;
  }
}

const INT_RANGES = {
  i8: [-128, 127],
  u8: [0, 255],
  i16: [-32768, 32767],
  u16: [0, 65535],
  i32: [-2147483648, 2147483647],
  u32: [0, 4294967295],
} as const;

/**
 * Writes through a flatbuffers Builder. Integer values are checked against their field's range
 * (a wrapped value would silently change a model), byte vectors get the alignment the schema
 * asks for (the npm generator ignores force_align).
 */
export class FbWriter {
  constructor(readonly b: Builder) {}

  fail(why: string): never {
    throw new FbFormatError(why);
  }

  private int(v: number, kind: keyof typeof INT_RANGES, label: string): number {
    const [lo, hi] = INT_RANGES[kind];
    if (!Number.isInteger(v) || v < lo || v > hi) this.fail(`${label}: ${v} does not fit in ${kind}`);
    return v;
  }
  i8(v: number, label: string): number {
    return this.int(v, 'i8', label);
  }
  u8(v: number, label: string): number {
    return this.int(v, 'u8', label);
  }
  i16(v: number, label: string): number {
    return this.int(v, 'i16', label);
  }
  u16(v: number, label: string): number {
    return this.int(v, 'u16', label);
  }
  i32(v: number, label: string): number {
    return this.int(v, 'i32', label);
  }
  u32(v: number, label: string): number {
    return this.int(v, 'u32', label);
  }
  i64(v: number, label: string): bigint {
    if (!Number.isSafeInteger(v)) this.fail(`${label}: ${v} is not a safe integer`);
    return BigInt(v);
  }
  u64(v: number, label: string): bigint {
    if (!Number.isSafeInteger(v) || v < 0) this.fail(`${label}: ${v} is not a non-negative safe integer`);
    return BigInt(v);
  }
  i64big(v: bigint, label: string): bigint {
    if (v !== BigInt.asIntN(64, v)) this.fail(`${label}: ${v} does not fit in int64`);
    return v;
  }
  u64big(v: bigint, label: string): bigint {
    if (v !== BigInt.asUintN(64, v)) this.fail(`${label}: ${v} does not fit in uint64`);
    return BigInt.asIntN(64, v);
  }

  str(s: string): number {
    return this.b.createString(s);
  }

  /** A [ubyte] vector whose first byte is `align`-aligned in the finished file. */
  bytes(v: Uint8Array, align: number): number {
    if (align > 1) this.b.prep(Math.max(align, 4), v.length);
    return this.b.createByteVector(v);
  }

  private vec(n: number, size: number, align: number, put: (i: number) => void): number {
    this.b.startVector(size, n, Math.max(size, align));
    for (let i = n - 1; i >= 0; i--) put(i);
    return this.b.endVector();
  }

  vec_bool(v: boolean[], _label: string): number {
    return this.vec(v.length, 1, 1, (i) => this.b.addInt8(v[i] ? 1 : 0));
  }
  vec_i8(v: number[], label: string, align = 1): number {
    return this.vec(v.length, 1, align, (i) => this.b.addInt8(this.i8(v[i], label)));
  }
  vec_u8(v: number[], label: string, align = 1): number {
    return this.vec(v.length, 1, align, (i) => this.b.addInt8(this.u8(v[i], label)));
  }
  vec_i16(v: number[], label: string, align = 1): number {
    return this.vec(v.length, 2, align, (i) => this.b.addInt16(this.i16(v[i], label)));
  }
  vec_u16(v: number[], label: string, align = 1): number {
    return this.vec(v.length, 2, align, (i) => this.b.addInt16(this.u16(v[i], label)));
  }
  vec_i32(v: number[], label: string, align = 1): number {
    return this.vec(v.length, 4, align, (i) => this.b.addInt32(this.i32(v[i], label)));
  }
  vec_u32(v: number[], label: string, align = 1): number {
    return this.vec(v.length, 4, align, (i) => this.b.addInt32(this.u32(v[i], label)));
  }
  vec_f32(v: number[], _label: string, align = 1): number {
    return this.vec(v.length, 4, align, (i) => this.b.addFloat32(v[i]));
  }
  vec_f64(v: number[], _label: string, align = 1): number {
    return this.vec(v.length, 8, align, (i) => this.b.addFloat64(v[i]));
  }
  vec_i64(v: number[], label: string, align = 1): number {
    return this.vec(v.length, 8, align, (i) => this.b.addInt64(this.i64(v[i], label)));
  }
  vec_u64(v: number[], label: string, align = 1): number {
    return this.vec(v.length, 8, align, (i) => this.b.addInt64(this.u64(v[i], label)));
  }

  /** A vector of offsets to tables or strings already written. */
  offsets(offs: number[]): number {
    this.b.startVector(4, offs.length, 4);
    for (let i = offs.length - 1; i >= 0; i--) this.b.addOffset(offs[i]);
    return this.b.endVector();
  }
}
