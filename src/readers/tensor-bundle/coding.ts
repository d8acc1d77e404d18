// LevelDB's little-endian integer codings (coding.h): fixed32 and varint32/varint64, read through
// a cursor that never passes its end. Readers construct a Cursor over a region they have bounds-
// checked and pass `fail`, which turns a problem into the TfconvError naming their file.

import { TfconvError } from '../../errors/index.js';

export type Fail = (why: string, offset: number) => TfconvError;

export class Cursor {
  pos: number;

  /**
   * `bytes[start, end)` is the region; `base` is the file offset of bytes[0], so errors can name
   * the byte in the file.
   */
  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
    readonly fail: Fail,
    readonly base = 0,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  error(why: string, at = this.pos): TfconvError {
    return this.fail(why, this.base + at);
  }

  fixed32(): number {
    if (this.remaining < 4) throw this.error('truncated fixed32');
    const b = this.bytes;
    const p = this.pos;
    this.pos += 4;
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
  }

  varint32(): number {
    const start = this.pos;
    let result = 0;
    for (let shift = 0; shift <= 28; shift += 7) {
      if (this.pos >= this.end) throw this.error('truncated varint32', start);
      const b = this.bytes[this.pos++];
      if (shift === 28 && b > 0x0f) throw this.error('varint32 overflows 32 bits', start);
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
    }
    throw this.error('varint32 overflows 32 bits', start);
  }

  /** A varint64 as a JS number; values above 2^53 are reported, never silently rounded. */
  varint64(): number {
    const start = this.pos;
    let result = 0;
    for (let shift = 0; shift <= 63; shift += 7) {
      if (this.pos >= this.end) throw this.error('truncated varint64', start);
      const b = this.bytes[this.pos++];
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) {
        if (result > Number.MAX_SAFE_INTEGER) throw this.error('varint64 exceeds 2^53', start);
        return result;
      }
    }
    throw this.error('varint64 longer than 10 bytes', start);
  }

  /** A view (no copy) of the next n bytes. */
  take(n: number): Uint8Array {
    if (n > this.remaining) throw this.error(`needs ${n} bytes, only ${this.remaining} left`);
    const v = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
}

export function putVarint(out: number[], v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`putVarint: ${v} is not a non-negative safe integer`);
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

export function putFixed32(out: number[], v: number): void {
  out.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
}
