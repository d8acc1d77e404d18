// Pieces every `tfconv inspect` report shares: dtype and shape as JSON and as text, op histograms
// in a stable order, and tables that are coloured only on a terminal.

import Table from 'cli-table3';
import { type DType, dtypeFromTf, tfDataTypeName } from '../core/dtype.js';
import { dataTypeEnumName, type TensorShapeProto } from '../proto/index.js';
import { byCodePoint } from '../util/compare.js';

/** TensorFlow's name of a DataType number as types.proto spells it ("DT_FLOAT", "DT_FLOAT_REF"). */
export function tfDtypeName(n: number): string {
  return dataTypeEnumName(n) ?? tfDataTypeName(n);
}

/** tfconv's dtype name ('float32'), reference types as their base type; null when there is none. */
export function dtypeName(n: number): DType | null {
  return dtypeFromTf(n) ?? null;
}

/** Dimensions with -1 for unknown, or null for unknown rank (or no shape recorded at all). */
export function shapeDims(shape: TensorShapeProto | null | undefined): number[] | null {
  if (!shape || shape.unknown_rank) return null;
  return shape.dim.map((d) => d.size);
}

/** A shape for people: "(-1, 49, 10, 1)", "()" for a scalar, "unknown_rank" (saved_model_cli's style). */
export function formatDims(dims: readonly number[] | null): string {
  return dims === null ? 'unknown_rank' : `(${dims.join(', ')})`;
}

/** A histogram as a plain object with keys in code-point order (stable JSON). */
export function sortedCounts(m: ReadonlyMap<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of [...m.keys()].sort(byCodePoint)) out[k] = m.get(k) as number;
  return out;
}

export function sumCounts(c: Readonly<Record<string, number>>): number {
  let n = 0;
  for (const v of Object.values(c)) n += v;
  return n;
}

/** A cli-table3 table; without colour its head and borders carry no ANSI escape codes. */
export function makeTable(head: string[], color: boolean, colAligns?: ('left' | 'right')[]): Table.Table {
  // Colour is applied here rather than through cli-table3's style, which defers to the colors
  // library's own terminal detection and would drop it (or add it) behind our back.
  return new Table({
    head: color ? head.map((h) => `\x1b[36m${h}\x1b[39m`) : head,
    style: { head: [], border: [], compact: true },
    ...(colAligns ? { colAligns } : {}),
  });
}

/** JSON as the CLI prints it: two-space indent, trailing newline. */
export function toJsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
