// AttrValue, TensorShapeProto and TensorProto values as the builder writes them, in the plain
// object shapes of src/proto/types.ts. Every list field is present so that the objects equal what
// our decoder returns (tests compare written and read-back protos structurally).

import { type DType, tfDataType } from '../core/dtype.js';
import { type TensorValue, tensorBytes } from '../core/tensor.js';
import { emptyTensorProto, shapeToProto } from '../proto/tensor-proto.js';
import type { AttrListValue, AttrValue, NameAttrList, TensorProto, TensorShapeProto } from '../proto/types.js';

/** TensorFlow DataType numbers (types.proto). */
export const DT = {
  INVALID: 0,
  FLOAT: 1,
  DOUBLE: 2,
  INT32: 3,
  UINT8: 4,
  INT16: 5,
  INT8: 6,
  STRING: 7,
  COMPLEX64: 8,
  INT64: 9,
  BOOL: 10,
  QINT8: 11,
  QUINT8: 12,
  QINT32: 13,
  BFLOAT16: 14,
  UINT16: 17,
  COMPLEX128: 18,
  HALF: 19,
  RESOURCE: 20,
  UINT32: 22,
  UINT64: 23,
} as const;

const UTF8 = new TextEncoder();

export function shapeProto(dims: readonly number[]): TensorShapeProto {
  return shapeToProto(dims);
}

export function unknownShape(): TensorShapeProto {
  return { dim: [], unknown_rank: true };
}

/** A shape proto for known dims, or unknown rank for null. */
export function shapeOrUnknown(dims: readonly number[] | null): TensorShapeProto {
  return dims === null ? unknownShape() : shapeProto(dims);
}

export function attrList(values: Partial<Omit<AttrListValue, 's'>> & { s?: ReadonlyArray<string | Uint8Array> }): AttrValue {
  return {
    value: 'list',
    list: {
      s: values.s?.map((v) => (typeof v === 'string' ? UTF8.encode(v) : v)) ?? [],
      i: values.i ?? [],
      f: values.f ?? [],
      b: values.b ?? [],
      type: values.type ?? [],
      shape: values.shape ?? [],
      tensor: values.tensor ?? [],
      func: values.func ?? [],
    },
  };
}

export const attrS = (v: string | Uint8Array): AttrValue => ({ value: 's', s: typeof v === 'string' ? UTF8.encode(v) : v });
export const attrI = (v: number): AttrValue => ({ value: 'i', i: v });
export const attrF = (v: number): AttrValue => ({ value: 'f', f: v });
export const attrB = (v: boolean): AttrValue => ({ value: 'b', b: v });
export const attrType = (v: number): AttrValue => ({ value: 'type', type: v });
export const attrDtype = (d: DType): AttrValue => attrType(tfDataType(d));
export const attrShape = (s: TensorShapeProto): AttrValue => ({ value: 'shape', shape: s });
export const attrTensor = (tp: TensorProto): AttrValue => ({ value: 'tensor', tensor: tp });
export const attrInts = (v: readonly number[]): AttrValue => attrList({ i: [...v] });
export const attrTypes = (v: readonly number[]): AttrValue => attrList({ type: [...v] });
export const attrFunc = (name: string): AttrValue => ({ value: 'func', func: { name, attr: {} } as NameAttrList });

/** `_output_shapes`: one shape per output, unknown rank for null. */
export function attrShapes(shapes: ReadonlyArray<readonly number[] | null>): AttrValue {
  return attrList({ shape: shapes.map(shapeOrUnknown) });
}

/**
 * A constant as TensorFlow's make_tensor_proto writes it: scalars as a one-value list, other
 * numeric tensors as raw tensor_content, strings as string_val.
 */
export function tensorProto(v: TensorValue): TensorProto {
  const tp = emptyTensorProto(tfDataType(v.dtype), v.shape);
  if (Array.isArray(v.data)) {
    tp.string_val = v.data;
  } else if (v.shape.length === 0 && v.dtype === 'int32') {
    tp.int_val = [Number(v.data[0])];
  } else if (v.shape.length === 0 && v.dtype === 'float32') {
    tp.float_val = [Number(v.data[0])];
  } else {
    tp.tensor_content = tensorBytes(v);
  }
  return tp;
}

export function int32Tensor(shape: number[], values: readonly number[]): TensorValue {
  return { dtype: 'int32', shape, data: Int32Array.from(values) };
}

export function stringTensor(shape: number[], values: ReadonlyArray<string | Uint8Array>): TensorValue {
  return { dtype: 'string', shape, data: values.map((v) => (typeof v === 'string' ? UTF8.encode(v) : v)) };
}
