// Protobuf-aware mutations: the file is parsed into fields (protowire.ts), and one field is
// damaged the way hostile or corrupted files are: a length prefix inflated past its bytes or
// shrunk, a varint set to a boundary value, a field deleted, duplicated (many times), swapped
// with a sibling, given another wire type or number, its payload replaced, or a recursive
// message nested thousands deep. Enclosing length prefixes are rewritten (or, for the
// "inconsistent" variants, deliberately not), so the damage reaches the field it was aimed at.

import type { Rng } from '../rng.js';
import { type WireField, concat, concatAll, encodeTag, encodeVarint, lengthPrefixStart, parseAll, readVarint, splice } from '../protowire.js';
import { type Mutated, genericMutation } from './bytes.js';

const BIG_LENGTHS: readonly bigint[] = [0x7fffffffn, 0x80000000n, 0xffffffffn, 2n ** 32n, 2n ** 35n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n];
const VARINT_VALUES: readonly bigint[] = [
  0n, 1n, 2n, 3n, 127n, 128n, 255n, 256n, 65535n, 65536n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n,
  2n ** 63n, 2n ** 64n - 1n /* -1 as int64 */, 2n ** 64n - 2n,
];

export type ProtoMutator = (b: Uint8Array, fields: WireField[], rng: Rng) => Mutated;

function pickField(fields: WireField[], rng: Rng, filter?: (f: WireField) => boolean): WireField | undefined {
  const pool = filter ? fields.filter(filter) : fields;
  return pool.length === 0 ? undefined : rng.pick(pool);
}

function where(f: WireField): string {
  const path: number[] = [];
  for (let x: WireField | null = f; x; x = x.parent) path.unshift(x.fieldNo);
  return `field ${path.join('.')} at byte ${f.start}`;
}

const inflateLength: ProtoMutator = (b, fields, rng) => {
  const f = pickField(fields, rng, (x) => x.wireType === 2);
  if (!f) return genericMutation(b, rng);
  const len = BigInt(f.valueEnd - f.valueStart);
  const v = rng.weighted<bigint>([
    [len + 1n, 3],
    [len + BigInt(rng.range(2, 1 << 16)), 2],
    [len * 2n + 7n, 1],
    [BigInt(b.length - f.valueStart + 1), 2],
    [rng.pick(BIG_LENGTHS), 3],
  ]);
  // Inconsistent (enclosing lengths unchanged): the field overruns its message.
  const lenStart = lengthPrefixStart(b, f);
  const consistent = rng.chance(0.5);
  const out = consistent ? splice(b, f.parent, lenStart, f.valueStart, encodeVarint(v)) : concat(b.subarray(0, lenStart), encodeVarint(v), b.subarray(f.valueStart));
  return { bytes: out, desc: `inflate length of ${where(f)} from ${len} to ${v}${consistent ? '' : ' (enclosing lengths unchanged)'}` };
};

const shrinkLength: ProtoMutator = (b, fields, rng) => {
  const f = pickField(fields, rng, (x) => x.wireType === 2 && x.valueEnd > x.valueStart);
  if (!f) return genericMutation(b, rng);
  const len = f.valueEnd - f.valueStart;
  const v = rng.pick([0, len - 1, rng.int(len)]);
  const lenStart = lengthPrefixStart(b, f);
  const out = splice(b, f.parent, lenStart, f.valueStart, encodeVarint(v));
  return { bytes: out, desc: `shrink length of ${where(f)} from ${len} to ${v}` };
};

const setVarint: ProtoMutator = (b, fields, rng) => {
  const f = pickField(fields, rng, (x) => x.wireType === 0);
  if (!f) return inflateLength(b, fields, rng);
  const old = (readVarint(b, f.valueStart, f.valueEnd) as { value: bigint }).value;
  const v = rng.chance(0.25) ? BigInt.asUintN(64, old + BigInt(rng.range(-3, 3))) : rng.pick(VARINT_VALUES);
  const out = splice(b, f.parent, f.valueStart, f.valueEnd, encodeVarint(v));
  return { bytes: out, desc: `set varint ${where(f)} from ${old} to ${v}` };
};

const setFixed: ProtoMutator = (b, fields, rng) => {
  const f = pickField(fields, rng, (x) => x.wireType === 1 || x.wireType === 5);
  if (!f) return setVarint(b, fields, rng);
  const out = b.slice();
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const x = rng.pick([NaN, Infinity, -Infinity, 0, -0, 1e38, 3.4e38, 1e-45, -1, 2 ** 31, 2 ** 53]);
  if (f.wireType === 5) dv.setFloat32(f.valueStart, x, true);
  else dv.setFloat64(f.valueStart, x, true);
  return { bytes: out, desc: `set fixed ${where(f)} to ${x}` };
};

const deleteField: ProtoMutator = (b, fields, rng) => {
  const f = pickField(fields, rng);
  if (!f) return genericMutation(b, rng);
  return { bytes: splice(b, f.parent, f.start, f.end, new Uint8Array(0)), desc: `delete ${where(f)}` };
};

const duplicateField: ProtoMutator = (b, fields, rng) => {
  const f = pickField(fields, rng);
  if (!f) return genericMutation(b, rng);
  const whole = b.subarray(f.start, f.end);
  // Many copies test quadratic work and memory per copy; the total stays around a few MB.
  const times = rng.chance(0.15) ? Math.max(1, Math.min(rng.smallCount(2000), Math.floor(4_000_000 / Math.max(1, whole.length)))) : 1;
  const copies: Uint8Array[] = [];
  for (let i = 0; i < times; i++) copies.push(whole);
  return { bytes: splice(b, f.parent, f.end, f.end, concat(...copies)), desc: `duplicate ${where(f)} (${whole.length} bytes) x${times}` };
};

const swapSiblings: ProtoMutator = (b, fields, rng) => {
  const f = pickField(fields, rng);
  if (!f) return genericMutation(b, rng);
  const siblings = fields.filter((x) => x.parent === f.parent && x !== f);
  if (siblings.length === 0) return deleteField(b, fields, rng);
  const g = rng.pick(siblings);
  const [x, y] = f.start < g.start ? [f, g] : [g, f];
  const out = concat(b.subarray(0, x.start), b.subarray(y.start, y.end), b.subarray(x.end, y.start), b.subarray(x.start, x.end), b.subarray(y.end));
  return { bytes: out, desc: `swap ${where(x)} with ${where(y)}` };
};

const changeWireType: ProtoMutator = (b, fields, rng) => {
  const f = pickField(fields, rng);
  if (!f) return genericMutation(b, rng);
  const wt = rng.pick([0, 1, 2, 3, 4, 5, 6, 7].filter((w) => w !== f.wireType));
  const tagEnd = (readVarint(b, f.start, f.end) as { next: number }).next;
  return { bytes: splice(b, f.parent, f.start, tagEnd, encodeTag(f.fieldNo, wt)), desc: `wire type of ${where(f)} ${f.wireType} -> ${wt}` };
};

const changeFieldNo: ProtoMutator = (b, fields, rng) => {
  const f = pickField(fields, rng);
  if (!f) return genericMutation(b, rng);
  const siblings = fields.filter((x) => x.parent === f.parent);
  const no = rng.chance(0.6) ? rng.pick(siblings).fieldNo : rng.pick([1, 2, 3, 4, 5, 6, 7, 8, 15, 16, 100, 1000, 536870911]);
  const tagEnd = (readVarint(b, f.start, f.end) as { next: number }).next;
  return { bytes: splice(b, f.parent, f.start, tagEnd, encodeTag(no, f.wireType)), desc: `field number of ${where(f)} -> ${no}` };
};

const replacePayload: ProtoMutator = (b, fields, rng) => {
  const f = pickField(fields, rng, (x) => x.wireType === 2);
  if (!f) return genericMutation(b, rng);
  const other = pickField(fields, rng, (x) => x.wireType === 2);
  const payload = rng.weighted<Uint8Array>([
    [new Uint8Array(0), 1],
    [rng.bytes(rng.smallCount(512)), 2],
    [other ? b.slice(other.valueStart, other.valueEnd) : new Uint8Array(0), 3],
    [new TextEncoder().encode(rng.pick(['\n', 'a:b:c', '^x', '../../etc/passwd', 'x'.repeat(rng.smallCount(100_000)), '\u0000', '\uffff', 'é'])), 2],
    [Uint8Array.of(0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1), 1],
  ]);
  const lenStart = lengthPrefixStart(b, f);
  const out = splice(b, f.parent, lenStart, f.valueEnd, concat(encodeVarint(payload.length), payload));
  return { bytes: out, desc: `replace the ${f.valueEnd - f.valueStart}-byte payload of ${where(f)} with ${payload.length} bytes${other && payload.length === other.valueEnd - other.valueStart ? ` (payload of ${where(other)})` : ''}` };
};

/**
 * A message type that contains itself (StructuredValue, AttrValue through NameAttrList, ...) nested
 * thousands deep: find a field A with a descendant D of the same number, and replace D by A again
 * and again. Bounded to a few MB.
 */
const nestDeep: ProtoMutator = (b, fields, rng) => {
  const pairs: [WireField, WireField][] = [];
  for (const d of fields) {
    if (d.wireType !== 2) continue;
    for (let a = d.parent; a; a = a.parent) {
      if (a.fieldNo === d.fieldNo && a.wireType === 2 && sameShape(a, d)) {
        pairs.push([a, d]);
        break;
      }
    }
    if (pairs.length > 2000) break;
  }
  if (pairs.length === 0) return duplicateField(b, fields, rng);
  const [a, d] = rng.pick(pairs);
  const frameBytes = d.start - a.start + (a.end - d.end);
  // Mostly within protobuf's 100-level limit (so the deep structure reaches the code behind the decoder), sometimes past it.
  const levels = Math.min(rng.pick([10, 30, 60, 90, 99, 101, 1000, 20000]), Math.floor(4_000_000 / Math.max(1, frameBytes + 20)));
  return { bytes: nestField(b, a, d, levels), desc: `nest ${where(a)} ${levels} levels deep through ${where(d)}` };
};

/** The file with field `a` (an ancestor of `d`) repeated `levels` times, each copy where `d` was. */
export function nestField(b: Uint8Array, a: WireField, d: WireField, levels: number): Uint8Array {
  const path: WireField[] = [];
  for (let x: WireField | null = d.parent; x && x !== a.parent; x = x.parent) path.unshift(x);
  return splice(b, a.parent, a.start, a.end, nest(b, path, d, levels));
}

/** Both parse as messages and D's fields are fields A has: likely the same (recursive) type. */
function sameShape(a: WireField, d: WireField): boolean {
  if (!a.children || !d.children || d.children.length === 0) return false;
  const seen = new Set(a.children.map((f) => f.fieldNo * 8 + f.wireType));
  return d.children.every((f) => seen.has(f.fieldNo * 8 + f.wireType));
}

/**
 * `levels` copies of the frame `path` (outermost first; its innermost field holds `d`) nested in
 * each other around d's bytes, every length prefix right. Sizes are computed first, from the
 * inside out, so the bytes are assembled once (no quadratic copying).
 */
function nest(b: Uint8Array, path: WireField[], d: WireField, levels: number): Uint8Array {
  const tagEnd = path.map((f) => (readVarint(b, f.start, f.end) as { next: number }).next);
  const holes = path.map((_, i) => (i + 1 < path.length ? path[i + 1] : d));
  // lens[l][i]: payload length of frame field i at nesting level l (level 0 outermost).
  const lens: number[][] = Array.from({ length: levels }, () => new Array<number>(path.length));
  let cur = d.end - d.start;
  for (let l = levels - 1; l >= 0; l--) {
    for (let i = path.length - 1; i >= 0; i--) {
      const f = path[i];
      const h = holes[i];
      const payload = h.start - f.valueStart + cur + (f.valueEnd - h.end);
      lens[l][i] = payload;
      cur = tagEnd[i] - f.start + encodeVarint(payload).length + payload;
    }
  }
  const chunks: Uint8Array[] = [];
  for (let l = 0; l < levels; l++) {
    path.forEach((f, i) => chunks.push(b.subarray(f.start, tagEnd[i]), encodeVarint(lens[l][i]), b.subarray(f.valueStart, holes[i].start)));
  }
  chunks.push(b.subarray(d.start, d.end));
  for (let l = levels - 1; l >= 0; l--) {
    for (let i = path.length - 1; i >= 0; i--) chunks.push(b.subarray(holes[i].end, path[i].valueEnd));
  }
  return concatAll(chunks);
}

export const PROTO_MUTATORS: readonly (readonly [ProtoMutator, number])[] = [
  [inflateLength, 6],
  [shrinkLength, 2],
  [setVarint, 8],
  [setFixed, 1],
  [deleteField, 3],
  [duplicateField, 3],
  [swapSiblings, 2],
  [changeWireType, 2],
  [changeFieldNo, 2],
  [replacePayload, 3],
  [nestDeep, 1.5],
];

/** One protobuf-aware mutation of `b` (falls back to a byte mutation when b is no message). */
export function protoMutation(b: Uint8Array, rng: Rng, parsed?: WireField[]): Mutated {
  const fields = parsed ?? parseAll(b);
  if (fields.length === 0) return genericMutation(b, rng);
  return rng.weighted(PROTO_MUTATORS)(b, fields, rng);
}
