// Tensors as JSON, for --input-exprs literals, small input files and readable outputs.
//
// Accepted forms (per key of a top-level object, or as a single value):
//   nested arrays            [[1, 2], [3, 4]]            shape from the nesting
//   object with a shape      {"shape": [2, 2], "data": [1, 2, 3, 4], "dtype": "int32"}
//                            ("data" may also be nested, or be called "values"; "dtype" is optional)
// Leaves: numbers, booleans, strings; "NaN", "Infinity", "-Infinity" for floats; decimal strings
// for int64 values beyond 2^53; {"base64": "..."} for byte strings that are not UTF-8.
// Without a dtype the type is inferred as numpy does: bool, int64 (all whole numbers), float64,
// or string. What we write reads back to the same bits.

import { type DType, DTYPES } from '../core/dtype.js';
import { type TensorValue, floatToHalf, halfToFloat, numElements } from '../core/tensor.js';
import { err } from '../errors/index.js';
import { castTensor, floatToBfloat16 } from './cast.js';

type Leaf = number | boolean | string | { base64: string };

const SPECIAL_FLOATS: Readonly<Record<string, number>> = {
  NaN: NaN,
  nan: NaN,
  Infinity: Infinity,
  inf: Infinity,
  '-Infinity': -Infinity,
  '-inf': -Infinity,
};
const INT_TEXT = /^[-+]?\d+$/;

/** Decode a JSON document of tensors: `{ "key": tensor, ... }`, or one tensor object (key ""). */
export function decodeJsonTensors(text: string, file: string): Map<string, TensorValue> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw err.badInputData(file, `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw err.badInputData(file, 'expected a JSON object of tensors, e.g. {"x": [[1, 2]]}');
  }
  const out = new Map<string, TensorValue>();
  if (isTensorObject(doc)) {
    out.set('', tensorFromJson(doc, file));
    return out;
  }
  for (const [k, v] of Object.entries(doc)) out.set(k, tensorFromJson(v, `${file}:${k}`));
  return out;
}

/**
 * One tensor from a parsed JSON value. `dtype` is the type wanted when the value does not say
 * (e.g. the model input's type); values that do not fit it are an error, never clamped.
 */
export function tensorFromJson(value: unknown, where: string, dtype?: DType): TensorValue {
  let data: unknown = value;
  let shape: number[] | undefined;
  let declared = dtype;
  if (isTensorObject(value)) {
    const o = value as Record<string, unknown>;
    const unknownKeys = Object.keys(o).filter((k) => !['shape', 'data', 'values', 'dtype'].includes(k));
    if (unknownKeys.length > 0) throw err.badInputData(where, `unexpected key${unknownKeys.length > 1 ? 's' : ''} ${unknownKeys.map((k) => `"${k}"`).join(', ')} in tensor object (expected shape, data, dtype)`);
    if (o.dtype !== undefined) {
      if (typeof o.dtype !== 'string' || !(o.dtype in DTYPES)) throw err.badInputData(where, `unknown dtype ${JSON.stringify(o.dtype)}`);
      declared = o.dtype as DType;
    }
    if (o.shape !== undefined) {
      if (!Array.isArray(o.shape) || !o.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
        throw err.badInputData(where, '"shape" must be a list of non-negative integers');
      }
      shape = o.shape as number[];
    }
    data = o.data ?? o.values;
    if (data === undefined) throw err.badInputData(where, 'tensor object has no "data"');
  }
  const nestedShape = shapeOfNested(data);
  const leaves: Leaf[] = [];
  flatten(data, nestedShape, 0, '', leaves, where);
  if (shape === undefined) shape = nestedShape;
  else if (numElements(shape) !== leaves.length) {
    throw err.badInputData(where, `"shape" [${shape.join(', ')}] needs ${numElements(shape)} values but "data" has ${leaves.length}`);
  } else if (nestedShape.length > 1 && nestedShape.join(',') !== shape.join(',')) {
    throw err.badInputData(where, `"shape" [${shape.join(', ')}] does not match the nesting of "data" [${nestedShape.join(', ')}]`);
  }
  const dt = declared ?? inferDtype(leaves, where);
  return fromLeaves(leaves, shape, dt, where);
}

/** JSON text of named tensors: `{"name": {"dtype", "shape", "data" (nested)}}`, one line per tensor. */
export function encodeJsonTensors(tensors: ReadonlyMap<string, TensorValue>): string {
  const lines = [...tensors].map(
    ([k, t]) =>
      `  ${JSON.stringify(k)}: {"dtype": ${JSON.stringify(t.dtype)}, "shape": ${JSON.stringify(t.shape)}, "data": ${JSON.stringify(tensorToJsonValue(t))}}`,
  );
  return lines.length === 0 ? '{}\n' : `{\n${lines.join(',\n')}\n}\n`;
}

/** Nested arrays of JSON leaves (shortest round-tripping numbers; special floats as strings). */
export function tensorToJsonValue(t: TensorValue): unknown {
  const n = numElements(t.shape);
  const leaf = jsonLeaf(t);
  if (t.shape.length === 0) return leaf(0);
  let flat = 0;
  const build = (d: number): unknown[] => {
    const len = t.shape[d];
    const out: unknown[] = new Array(len);
    for (let i = 0; i < len; i++) out[i] = d === t.shape.length - 1 ? leaf(flat++) : build(d + 1);
    return out;
  };
  const v = build(0);
  if (flat !== n && n !== 0) throw err.internal(`tensorToJsonValue wrote ${flat} of ${n} values`);
  return v;
}

/** The shortest decimal that reads back (as float32) to the same float32 value. */
export function shortestFloat32(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  for (let p = 1; p <= 9; p++) {
    const y = Number(x.toPrecision(p));
    if (Math.fround(y) === x) return y;
  }
  return x;
}

/** One element as text, the way JSON output writes it (for printing). */
export function formatElement(t: TensorValue, i: number): string {
  const v = jsonLeaf(t)(i);
  if (typeof v === 'string' && t.dtype === 'string') return JSON.stringify(v);
  if (typeof v === 'object' && v !== null) return `b64:${(v as { base64: string }).base64}`;
  return String(v);
}

// ---------------------------------------------------------------------------------------------

function isTensorObject(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && ('data' in v || 'values' in v) && !('base64' in v);
}

function isBase64Leaf(v: unknown): v is { base64: string } {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && typeof (v as { base64?: unknown }).base64 === 'string' && Object.keys(v).length === 1;
}

function shapeOfNested(v: unknown): number[] {
  const shape: number[] = [];
  let x = v;
  while (Array.isArray(x)) {
    shape.push(x.length);
    if (x.length === 0) break;
    x = x[0];
  }
  return shape;
}

function flatten(v: unknown, shape: number[], depth: number, path: string, out: Leaf[], where: string): void {
  if (depth === shape.length) {
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string' || isBase64Leaf(v)) {
      out.push(v);
      return;
    }
    throw err.badInputData(where, `element ${path || '(scalar)'} is ${Array.isArray(v) ? 'a list where the nesting expects a value (ragged list)' : `not a number, bool or string (${JSON.stringify(v)})`}`);
  }
  if (!Array.isArray(v) || v.length !== shape[depth]) {
    throw err.badInputData(where, `ragged nesting at ${path || 'the top'}: expected a list of ${shape[depth]}, found ${Array.isArray(v) ? `a list of ${v.length}` : JSON.stringify(v)}`);
  }
  for (let i = 0; i < v.length; i++) flatten(v[i], shape, depth + 1, `${path}[${i}]`, out, where);
}

function inferDtype(leaves: Leaf[], where: string): DType {
  if (leaves.length === 0) return 'float64';
  if (leaves.every((l) => typeof l === 'boolean')) return 'bool';
  if (leaves.every((l) => typeof l === 'number' || (typeof l === 'string' && l in SPECIAL_FLOATS))) {
    return leaves.every((l) => typeof l === 'number' && Number.isSafeInteger(l)) ? 'int64' : 'float64';
  }
  if (leaves.every((l) => typeof l === 'string' || isBase64Leaf(l))) return 'string';
  throw err.badInputData(where, 'mixes numbers, bools and strings; give "dtype" to say which is meant');
}

function fromLeaves(leaves: Leaf[], shape: number[], dtype: DType, where: string): TensorValue {
  const n = leaves.length;
  const bad = (i: number, why: string) => err.badInputData(where, `value ${JSON.stringify(leaves[i])} at flat index ${i}: ${why}`);
  if (dtype === 'string') {
    const enc = new TextEncoder();
    const data = leaves.map((l, i) => {
      if (typeof l === 'string') return enc.encode(l);
      if (isBase64Leaf(l)) return new Uint8Array(Buffer.from(l.base64, 'base64'));
      throw bad(i, 'expected a string');
    });
    return { dtype, shape, data };
  }
  if (dtype === 'bool') {
    const data = new Uint8Array(n);
    leaves.forEach((l, i) => {
      if (l === true || l === 1) data[i] = 1;
      else if (l !== false && l !== 0) throw bad(i, 'expected true, false, 0 or 1');
    });
    return { dtype, shape, data };
  }
  if (dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16') {
    const f = new Float64Array(n);
    leaves.forEach((l, i) => {
      if (typeof l === 'number') f[i] = l;
      else if (typeof l === 'string' && l in SPECIAL_FLOATS) f[i] = SPECIAL_FLOATS[l];
      else if (typeof l === 'string' && l.trim() !== '' && !Number.isNaN(Number(l))) f[i] = Number(l);
      else throw bad(i, `expected a number for ${dtype}`);
    });
    return castTensor({ dtype: 'float64', shape, data: f }, dtype, where);
  }
  if (dtype === 'uint64' || dtype === 'int64' || dtype === 'int32' || dtype === 'int16' || dtype === 'int8' || dtype === 'uint8' || dtype === 'uint16' || dtype === 'uint32') {
    const big = dtype === 'uint64' ? new BigUint64Array(n) : new BigInt64Array(n);
    const [lo, hi] = dtype === 'uint64' ? [0n, 2n ** 64n - 1n] : [-(2n ** 63n), 2n ** 63n - 1n];
    leaves.forEach((l, i) => {
      let b: bigint;
      if (typeof l === 'number') {
        if (!Number.isInteger(l)) throw bad(i, `not a whole number (${dtype})`);
        if (!Number.isSafeInteger(l)) throw bad(i, `integers beyond 2^53 lose digits in JSON numbers; write it as a string ("${BigInt(l)}")`);
        b = BigInt(l);
      } else if (typeof l === 'string' && INT_TEXT.test(l)) b = BigInt(l);
      else throw bad(i, `expected an integer for ${dtype}`);
      if (b < lo || b > hi) throw bad(i, `outside the ${dtype} range`);
      big[i] = b as never;
    });
    return castTensor({ dtype: dtype === 'uint64' ? 'uint64' : 'int64', shape, data: big }, dtype, where);
  }
  throw err.badInputData(where, `${dtype} tensors cannot be given as JSON`);
}

function jsonLeaf(t: TensorValue): (i: number) => unknown {
  if (Array.isArray(t.data)) {
    const strings = t.data;
    const dec = new TextDecoder('utf-8', { fatal: true });
    return (i) => {
      try {
        return dec.decode(strings[i]);
      } catch {
        return { base64: Buffer.from(strings[i]).toString('base64') };
      }
    };
  }
  const d = t.data;
  const special = (x: number): number | string => (Number.isNaN(x) ? 'NaN' : x === Infinity ? 'Infinity' : x === -Infinity ? '-Infinity' : x);
  switch (t.dtype) {
    case 'bool':
      return (i) => d[i] !== 0;
    case 'float32':
      return (i) => special(shortestFloat32(d[i] as number));
    case 'float64':
      return (i) => special(d[i] as number);
    case 'float16':
      return (i) => special(shortestWith(halfToFloat(d[i] as number), d[i] as number, floatToHalf, 5));
    case 'bfloat16':
      return (i) => {
        const f = new Float32Array(1);
        new Uint32Array(f.buffer)[0] = (d[i] as number) << 16;
        return special(shortestWith(f[0], d[i] as number, floatToBfloat16, 4));
      };
    case 'int64':
    case 'uint64':
      return (i) => {
        const b = d[i] as bigint;
        return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b.toString();
      };
    case 'complex64':
    case 'complex128':
      throw err.badInputData(t.dtype, 'complex tensors cannot be written as JSON');
    default:
      return (i) => d[i] as number;
  }
}

function shortestWith(x: number, bits: number, encode: (v: number) => number, maxDigits: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  for (let p = 1; p <= maxDigits + 4; p++) {
    const y = Number(x.toPrecision(p));
    if (encode(y) === bits) return y;
  }
  return x;
}
