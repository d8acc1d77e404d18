// FlatBuffer-aware mutations of .tflite files. The original is read once with a recording
// FbReader, which notes every table (position, vtable, sizes), every field read (position, size,
// whether it is an offset and to what) and every vector; mutations then aim at exactly what
// TFLite's verifier must check: vtable sizes and field offsets, a table's signed offset to its
// vtable, offsets retargeted (past the end, to another table of another type, to a parent: a
// cycle, shared), vector and string lengths, union type bytes, and scalar indices.

import { FbReader, type FbTable } from '../../tflite/flatbuffer.js';
import { FILE_IDENTIFIER, readModel } from '../../tflite/schema.generated.js';
import type { Rng } from '../rng.js';
import { type Mutated, INTERESTING_32, genericMutation } from './bytes.js';

type OffsetKind = 'table' | 'string' | 'bytes' | 'scalars' | 'strings' | 'tables' | 'union';

export interface FbField {
  pos: number;
  size: number;
  label: string;
  /** Set for offset fields: what the offset leads to. */
  offset?: OffsetKind;
  /** For vectors of scalars: element size. */
  elem?: number;
}

export interface FbMap {
  tables: FbTable[];
  fields: FbField[];
}

class RecordingReader extends FbReader {
  readonly seenTables: FbTable[] = [];
  readonly fields: FbField[] = [];
  private pending: { kind: OffsetKind; elem?: number } | null = null;

  override table(pos: number, depth: number, what: string): FbTable {
    const t = super.table(pos, depth, what);
    this.seenTables.push(t);
    return t;
  }

  override fieldPos(t: FbTable, slot: number, size: number, label: string): number {
    const p = super.fieldPos(t, slot, size, label);
    const pending = this.pending;
    this.pending = null;
    if (p) this.fields.push({ pos: p, size, label, ...(pending ? { offset: pending.kind, ...(pending.elem ? { elem: pending.elem } : {}) } : {}) });
    return p;
  }

  private as<T>(kind: OffsetKind, fn: () => T, elem?: number): T {
    this.pending = { kind, ...(elem ? { elem } : {}) };
    return fn();
  }

  override str(t: FbTable, slot: number, label: string): string | undefined {
    return this.as('string', () => super.str(t, slot, label));
  }
  override tableField(t: FbTable, slot: number, label: string): FbTable | undefined {
    return this.as('table', () => super.tableField(t, slot, label));
  }
  override byteVec(t: FbTable, slot: number, label: string): Uint8Array {
    return this.as('bytes', () => super.byteVec(t, slot, label));
  }
  override vecStr(t: FbTable, slot: number, label: string): string[] {
    return this.as('strings', () => super.vecStr(t, slot, label));
  }
  override vecTables(t: FbTable, slot: number, label: string): FbTable[] {
    return this.as('tables', () => super.vecTables(t, slot, label));
  }
  override vec_bool(t: FbTable, slot: number, label: string): boolean[] {
    return this.as('scalars', () => super.vec_bool(t, slot, label), 1);
  }
  override vec_i8(t: FbTable, slot: number, label: string): number[] {
    return this.as('scalars', () => super.vec_i8(t, slot, label), 1);
  }
  override vec_u8(t: FbTable, slot: number, label: string): number[] {
    return this.as('scalars', () => super.vec_u8(t, slot, label), 1);
  }
  override vec_i16(t: FbTable, slot: number, label: string): number[] {
    return this.as('scalars', () => super.vec_i16(t, slot, label), 2);
  }
  override vec_u16(t: FbTable, slot: number, label: string): number[] {
    return this.as('scalars', () => super.vec_u16(t, slot, label), 2);
  }
  override vec_i32(t: FbTable, slot: number, label: string): number[] {
    return this.as('scalars', () => super.vec_i32(t, slot, label), 4);
  }
  override vec_u32(t: FbTable, slot: number, label: string): number[] {
    return this.as('scalars', () => super.vec_u32(t, slot, label), 4);
  }
  override vec_f32(t: FbTable, slot: number, label: string): number[] {
    return this.as('scalars', () => super.vec_f32(t, slot, label), 4);
  }
  override vec_f64(t: FbTable, slot: number, label: string): number[] {
    return this.as('scalars', () => super.vec_f64(t, slot, label), 8);
  }
  override vec_i64(t: FbTable, slot: number, label: string): number[] {
    return this.as('scalars', () => super.vec_i64(t, slot, label), 8);
  }
  override vec_u64(t: FbTable, slot: number, label: string): number[] {
    return this.as('scalars', () => super.vec_u64(t, slot, label), 8);
  }
}

/** The structure of a .tflite as far as it reads (a broken file gives what was read before the break). */
export function mapFlatBuffer(bytes: Uint8Array): FbMap {
  const r = new RecordingReader(bytes);
  try {
    readModel(r, r.root(FILE_IDENTIFIER));
  } catch {
    // Keep what was recorded.
  }
  return { tables: r.seenTables, fields: r.fields };
}

type FbMutator = (b: Uint8Array, map: FbMap, rng: Rng) => Mutated | null;

const u32 = (b: Uint8Array, p: number) => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(p, true);

function edit(b: Uint8Array, fn: (dv: DataView) => void): Uint8Array {
  const out = b.slice();
  fn(new DataView(out.buffer));
  return out;
}

const vtableEdit: FbMutator = (b, map, rng) => {
  if (map.tables.length === 0) return null;
  const t = rng.pick(map.tables);
  const which = rng.int(3);
  if (which === 0) {
    const v = rng.pick([0, 2, 3, 5, t.vsize + 2, t.vsize - 2, 0xfffe, 0xffff]) & 0xffff;
    return { bytes: edit(b, (dv) => dv.setUint16(t.vt, v, true)), desc: `vtable at ${t.vt} (table ${t.pos}): vtable size ${t.vsize} -> ${v}` };
  }
  if (which === 1) {
    const v = rng.pick([0, 1, 3, t.tsize + 4, t.tsize - 4, 0xfffc, 0xffff]) & 0xffff;
    return { bytes: edit(b, (dv) => dv.setUint16(t.vt + 2, v, true)), desc: `vtable at ${t.vt} (table ${t.pos}): table size ${t.tsize} -> ${v}` };
  }
  const slots = (t.vsize - 4) >> 1;
  if (slots <= 0) return null;
  const s = rng.int(slots);
  const v = rng.pick([0, 1, 2, 3, t.tsize, t.tsize - 1, t.tsize - 2, 0xffff, rng.int(t.tsize + 8)]) & 0xffff;
  return { bytes: edit(b, (dv) => dv.setUint16(t.vt + 4 + 2 * s, v, true)), desc: `vtable at ${t.vt} (table ${t.pos}): field ${s} offset -> ${v}` };
};

const soffsetEdit: FbMutator = (b, map, rng) => {
  if (map.tables.length === 0) return null;
  const t = rng.pick(map.tables);
  const other = rng.pick(map.tables);
  const v = rng.pick([0, 1, 2, -4, -2, t.pos + 4, t.pos + 100, -(b.length - t.pos), 0x7fffffff, -0x80000000, t.pos - other.vt, t.pos - other.pos]) | 0;
  return { bytes: edit(b, (dv) => dv.setInt32(t.pos, v, true)), desc: `table at ${t.pos}: vtable soffset -> ${v} (vtable at ${t.pos - v})` };
};

const offsetRetarget: FbMutator = (b, map, rng) => {
  const offs = map.fields.filter((f) => f.offset);
  if (offs.length === 0) return null;
  const f = rng.pick(offs);
  const same = offs.filter((g) => g.offset === f.offset && g !== f);
  const targetOf = (g: FbField) => g.pos + u32(b, g.pos);
  const parent = map.tables.filter((t) => t.pos <= f.pos).reduce<FbTable | null>((best, t) => (best === null || t.pos > best.pos ? t : best), null);
  const choices: [number, string][] = [
    [0, 'zero'],
    [1, 'one'],
    [2, 'odd'],
    [b.length - f.pos, 'exactly the end'],
    [b.length - f.pos + 4, 'past the end'],
    [0x7fffffff, 'huge'],
    [0x80000000, 'over 2^31'],
    [0xffffffff, 'max'],
  ];
  if (same.length > 0) {
    const g = rng.pick(same);
    choices.push([targetOf(g) - f.pos, `the target of ${g.label}`]);
  }
  const anyTable = map.tables.length ? rng.pick(map.tables) : null;
  if (anyTable && anyTable.pos > f.pos) choices.push([anyTable.pos - f.pos, `a table at ${anyTable.pos}`]);
  if (parent && parent.pos > f.pos) choices.push([parent.pos - f.pos, 'its own table (cycle)']);
  const [v, what] = rng.pick(choices);
  return { bytes: edit(b, (dv) => dv.setUint32(f.pos, v >>> 0, true)), desc: `${f.label} (offset at ${f.pos}) -> ${v >>> 0} (${what})` };
};

const lengthEdit: FbMutator = (b, map, rng) => {
  const vecs = map.fields.filter((f) => f.offset && f.offset !== 'table' && f.offset !== 'union');
  if (vecs.length === 0) return null;
  const f = rng.pick(vecs);
  const at = f.pos + u32(b, f.pos);
  if (at + 4 > b.length) return null;
  const n = u32(b, at);
  const elem = f.offset === 'string' || f.offset === 'bytes' ? 1 : f.offset === 'scalars' ? (f.elem ?? 4) : 4;
  const room = Math.floor((b.length - at - 4) / elem);
  const v = rng.pick([0, n + 1, n * 2 + 1, room, room + 1, 0x3fffffff, 0x7fffffff, 0xffffffff, n - 1]) >>> 0;
  if (f.offset === 'string' && rng.chance(0.3)) {
    return { bytes: edit(b, (dv) => dv.setUint8(at + 4 + n, 0x41)), desc: `${f.label}: string at ${at} loses its terminator` };
  }
  return { bytes: edit(b, (dv) => dv.setUint32(at, v, true)), desc: `${f.label}: length at ${at} ${n} -> ${v}` };
};

const scalarEdit: FbMutator = (b, map, rng) => {
  const scalars = map.fields.filter((f) => !f.offset);
  if (scalars.length === 0) return null;
  const f = rng.pick(scalars);
  const v = rng.pick([...INTERESTING_32, 0xffffffff, 0xfffffffe, 0xffffff80]);
  return {
    bytes: edit(b, (dv) => {
      if (f.size === 1) dv.setUint8(f.pos, v & 0xff);
      else if (f.size === 2) dv.setUint16(f.pos, v & 0xffff, true);
      else if (f.size === 4) dv.setUint32(f.pos, v >>> 0, true);
      else dv.setBigUint64(f.pos, rng.pick([2n ** 63n, 2n ** 53n, 2n ** 31n, 2n ** 64n - 1n, BigInt(v)]), true);
    }),
    desc: `${f.label} (${f.size} bytes at ${f.pos}) -> ${v}`,
  };
};

const elementEdit: FbMutator = (b, map, rng) => {
  const vecs = map.fields.filter((f) => f.offset === 'scalars' && (f.elem ?? 0) >= 4);
  if (vecs.length === 0) return null;
  const f = rng.pick(vecs);
  const at = f.pos + u32(b, f.pos);
  const n = at + 4 <= b.length ? u32(b, at) : 0;
  if (n === 0) return null;
  const i = rng.int(n);
  const p = at + 4 + i * (f.elem ?? 4);
  const v = rng.pick([-1, -2, -3, 0, n, 0x7fffffff, -0x80000000, 1 << 20, 65536]);
  if (p + 4 > b.length) return null;
  return { bytes: edit(b, (dv) => dv.setInt32(p, v, true)), desc: `${f.label}[${i}] -> ${v}` };
};

const unionType: FbMutator = (b, map, rng) => {
  const types = map.fields.filter((f) => f.size === 1 && f.label.endsWith('_type'));
  if (types.length === 0) return null;
  const f = rng.pick(types);
  const v = rng.pick([0, 1, 2, 5, 17, 50, 100, 126, 127, 200, 255, rng.int(256)]);
  return { bytes: edit(b, (dv) => dv.setUint8(f.pos, v)), desc: `${f.label} -> ${v}` };
};

const FB_MUTATORS: readonly (readonly [FbMutator, number])[] = [
  [vtableEdit, 3],
  [soffsetEdit, 2],
  [offsetRetarget, 4],
  [lengthEdit, 3],
  [scalarEdit, 5],
  [elementEdit, 3],
  [unionType, 1],
];

export function flatBufferMutation(b: Uint8Array, rng: Rng, map: FbMap): Mutated {
  for (let i = 0; i < 4; i++) {
    const m = rng.weighted(FB_MUTATORS)(b, map, rng);
    if (m) return m;
  }
  return genericMutation(b, rng);
}
