// Protobuf wire format, schema-free, for structure-aware mutation: a file is parsed into its
// fields (tag, wire type, byte ranges), length-delimited payloads that parse cleanly as fields
// are taken for nested messages, and an edit of one field is written back with every enclosing
// length prefix adjusted, so the damage stays where it was put.

export interface WireField {
  fieldNo: number;
  wireType: number;
  /** Byte range of the whole field (tag, length prefix, payload) in the file. */
  start: number;
  end: number;
  /** Payload range (for varints and fixed: the value bytes; for wire type 2: after the length). */
  valueStart: number;
  valueEnd: number;
  depth: number;
  parent: WireField | null;
  /** Nested fields when the payload parses as a message. */
  children: WireField[] | null;
}

/** Bounds parsing work on large files (the mutator picks from what was parsed). */
const MAX_FIELDS = 200_000;
const MAX_DEPTH = 48;

export function readVarint(b: Uint8Array, pos: number, end: number): { value: bigint; next: number } | null {
  let v = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= end) return null;
    const x = b[pos + i];
    v |= BigInt(x & 0x7f) << BigInt(7 * i);
    if (x < 0x80) return { value: v, next: pos + i + 1 };
  }
  return null;
}

export function encodeVarint(v: bigint | number): Uint8Array {
  let x = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return Uint8Array.from(out);
}

export function encodeTag(fieldNo: number, wireType: number): Uint8Array {
  return encodeVarint((BigInt(fieldNo) << 3n) | BigInt(wireType));
}

/**
 * Parses `b[start, end)` as a message; null when it is not one (a string, packed numbers, garbage).
 * Fields found are appended to `all` (depth-first), up to MAX_FIELDS.
 */
export function parseMessage(b: Uint8Array, start = 0, end = b.length, depth = 0, parent: WireField | null = null, all: WireField[] = []): WireField[] | null {
  const fields: WireField[] = [];
  let pos = start;
  const firstIndex = all.length;
  while (pos < end) {
    const tag = readVarint(b, pos, end);
    if (!tag) return abandon(all, firstIndex);
    const fieldNo = Number(tag.value >> 3n);
    const wireType = Number(tag.value & 7n);
    if (fieldNo === 0 || fieldNo > 536870911) return abandon(all, firstIndex);
    let valueStart = tag.next;
    let valueEnd: number;
    if (wireType === 0) {
      const v = readVarint(b, valueStart, end);
      if (!v) return abandon(all, firstIndex);
      valueEnd = v.next;
    } else if (wireType === 1) {
      valueEnd = valueStart + 8;
    } else if (wireType === 5) {
      valueEnd = valueStart + 4;
    } else if (wireType === 2) {
      const len = readVarint(b, valueStart, end);
      if (!len || len.value > BigInt(end - len.next)) return abandon(all, firstIndex);
      valueStart = len.next;
      valueEnd = valueStart + Number(len.value);
    } else {
      return abandon(all, firstIndex);
    }
    if (valueEnd > end) return abandon(all, firstIndex);
    const f: WireField = { fieldNo, wireType, start: pos, end: valueEnd, valueStart, valueEnd, depth, parent, children: null };
    fields.push(f);
    if (all.length < MAX_FIELDS) all.push(f);
    if (wireType === 2 && valueEnd > valueStart && depth < MAX_DEPTH && all.length < MAX_FIELDS) {
      f.children = parseMessage(b, valueStart, valueEnd, depth + 1, f, all);
    }
    pos = valueEnd;
  }
  return fields;
}

function abandon(all: WireField[], firstIndex: number): null {
  all.length = firstIndex;
  return null;
}

/** Every field of the file, outermost first within each subtree (empty when it is no message). */
export function parseAll(b: Uint8Array): WireField[] {
  const all: WireField[] = [];
  parseMessage(b, 0, b.length, 0, null, all);
  return all;
}

/**
 * Replace bytes [start, end) of `b` (inside field `f`'s payload, or the whole of `f` when
 * `f.parent` encloses it) with `insert`, and rewrite the length prefix of every enclosing field.
 * `within` is the innermost field whose payload contains the edited range (null: top level).
 */
export function splice(b: Uint8Array, within: WireField | null, start: number, end: number, insert: Uint8Array): Uint8Array {
  let out = concat(b.subarray(0, start), insert, b.subarray(end));
  let delta = insert.length - (end - start);
  // Walk outwards: each enclosing wire-type-2 field gets its length re-encoded, which may itself
  // change size and shift everything after it.
  for (let f = within; f !== null && delta !== 0; f = f.parent) {
    const lenStart = lengthPrefixStart(b, f);
    const newLen = f.valueEnd - f.valueStart + delta;
    const enc = encodeVarint(newLen);
    const oldLenBytes = f.valueStart - lenStart;
    out = concat(out.subarray(0, lenStart), enc, out.subarray(f.valueStart));
    delta += enc.length - oldLenBytes;
  }
  return out;
}

/** Where the length varint of a wire-type-2 field starts (just after its tag). */
export function lengthPrefixStart(b: Uint8Array, f: WireField): number {
  const tag = readVarint(b, f.start, f.end) as { next: number };
  return tag.next;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  return concatAll(parts);
}

/** concat for arrays too long to spread into arguments. */
export function concatAll(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
