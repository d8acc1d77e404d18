// TensorProto <-> TensorValue. TensorFlow writes either raw bytes (tensor_content) or typed
// value lists; a list shorter than the tensor means "repeat the last value" (how TF stores
// splat constants such as zeros). Lengths are checked before anything is allocated.

import { type DType, DTYPES, dtypeFromTf, tfDataType, typedView } from '../core/dtype.js';
import { type TensorValue, numElements, tensorBytes } from '../core/tensor.js';
import { err } from '../errors/index.js';
import type { TensorProto, TensorShapeProto } from './types.js';

/** Dimensions of a shape proto; null for unknown rank; -1 for unknown dimensions. */
export function shapeFromProto(s: TensorShapeProto | null | undefined): number[] | null {
  if (!s || s.unknown_rank) return s ? null : [];
  return s.dim.map((d) => d.size);
}

export function shapeToProto(shape: readonly number[] | null): TensorShapeProto {
  if (shape === null) return { dim: [], unknown_rank: true };
  return { dim: shape.map((size) => ({ size, name: '' })), unknown_rank: false };
}

/**
 * Largest splat constant (fewer values than elements: the last one repeats) expanded by default:
 * 16M elements, 64 MiB as float32. Such a constant costs a few bytes of the file and its full
 * size in memory, so a hostile file could otherwise ask for gigabytes; real models' splats
 * (zeros, ones, fills) stay far below this.
 */
export const MAX_SPLAT_ELEMENTS = 1 << 24;

/**
 * Decode a TensorProto. `where` names the node or file for errors. `maxElements` bounds the
 * allocation for splat constants (a hostile proto can claim a huge shape with one value).
 */
export function tensorFromProto(tp: TensorProto, where: string, maxElements = MAX_SPLAT_ELEMENTS): TensorValue {
  const dtype = dtypeFromTf(tp.dtype);
  if (!dtype) throw err.badGraph(where, `tensor has unknown dtype ${tp.dtype}`);
  const shape = shapeFromProto(tp.tensor_shape);
  if (shape === null || shape.some((d) => d < 0)) throw err.badGraph(where, 'constant tensor has an unknown shape');
  const n = numElements(shape);
  const info = DTYPES[dtype];

  if (dtype === 'string') {
    const vals = tp.string_val;
    if (vals.length !== n && !(vals.length === 1 && n <= maxElements)) {
      throw err.badGraph(where, `string tensor of ${n} elements has ${vals.length} value${vals.length === 1 ? '' : 's'}${vals.length === 1 ? ` (more than the ${maxElements} elements tfconv expands one value to)` : ''}`);
    }
    return { dtype, shape, data: vals.length === n ? vals : Array.from({ length: n }, () => vals[0]) };
  }
  if (!info.array) throw err.badGraph(where, `constants of type ${dtype} are not supported`);

  if (tp.tensor_content.byteLength > 0) {
    const expected = n * info.size;
    if (tp.tensor_content.byteLength !== expected) {
      throw err.badGraph(where, `tensor_content has ${tp.tensor_content.byteLength} bytes, expected ${expected} for ${dtype}[${shape.join(',')}]`);
    }
    return { dtype, shape, data: typedView(dtype, tp.tensor_content) };
  }

  const vals = typedValues(tp, dtype);
  if (vals.length > n) throw err.badGraph(where, `tensor of ${n} elements has ${vals.length} values`);
  if (vals.length < n && n > maxElements) {
    throw err.badGraph(where, `constant of ${n} elements given by ${vals.length} value${vals.length === 1 ? '' : 's'} is larger than the ${maxElements} elements tfconv expands such constants to`);
  }
  const perElement = dtype === 'complex64' || dtype === 'complex128' ? 2 : 1;
  const out = new info.array(n * perElement);
  if (out instanceof BigInt64Array || out instanceof BigUint64Array) {
    for (let i = 0; i < n; i++) out[i] = BigInt(vals.length === 0 ? 0 : vals[Math.min(i, vals.length - 1)]);
  } else if (vals.length > 0) {
    const m = Math.min(vals.length, out.length);
    for (let i = 0; i < m; i++) out[i] = vals[i];
    const last = vals[vals.length - 1];
    if (perElement === 1) out.fill(last, m);
    else for (let i = m; i < out.length; i += 2) (out[i] = vals[vals.length - 2]), (out[i + 1] = last);
  }
  return { dtype, shape, data: out };
}

function typedValues(tp: TensorProto, dtype: DType): number[] {
  switch (dtype) {
    case 'float32':
      return tp.float_val;
    case 'float64':
      return tp.double_val;
    case 'float16':
    case 'bfloat16':
      return tp.half_val;
    case 'int32':
    case 'int16':
    case 'int8':
    case 'uint8':
    case 'uint16':
    case 'qint8':
    case 'quint8':
    case 'qint16':
    case 'quint16':
    case 'qint32':
    case 'int4':
    case 'uint4':
      return tp.int_val;
    case 'int64':
      return tp.int64_val;
    case 'uint32':
      return tp.uint32_val;
    case 'uint64':
      return tp.uint64_val;
    case 'bool':
      return tp.bool_val.map((b) => (b ? 1 : 0));
    case 'complex64':
      return tp.scomplex_val;
    case 'complex128':
      return tp.dcomplex_val;
    default:
      return [];
  }
}

/** A TensorProto of a dtype and shape with every value field empty. */
export function emptyTensorProto(dtype: number, shape: readonly number[]): TensorProto {
  return {
    dtype,
    tensor_shape: shapeToProto(shape),
    version_number: 0,
    tensor_content: new Uint8Array(0),
    half_val: [],
    float_val: [],
    double_val: [],
    int_val: [],
    string_val: [],
    scomplex_val: [],
    int64_val: [],
    bool_val: [],
    dcomplex_val: [],
    resource_handle_val: [],
    variant_val: [],
    uint32_val: [],
    uint64_val: [],
    float8_val: new Uint8Array(0),
  };
}

/** Encode as TensorFlow does: raw tensor_content for numbers, string_val for strings. */
export function tensorToProto(v: TensorValue): TensorProto {
  const tp = emptyTensorProto(tfDataType(v.dtype), v.shape);
  if (Array.isArray(v.data)) tp.string_val = v.data;
  else tp.tensor_content = tensorBytes(v);
  return tp;
}
