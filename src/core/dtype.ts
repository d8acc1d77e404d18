// Element types, as one table: tfconv's name, TensorFlow's DataType number, TFLite's TensorType
// number, element size and the typed array that holds it. Everything that maps between formats
// reads this table.

export type DType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'bfloat16'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bool'
  | 'string'
  | 'complex64'
  | 'complex128'
  | 'resource'
  | 'variant'
  | 'qint8'
  | 'quint8'
  | 'qint32'
  | 'qint16'
  | 'quint16'
  | 'int4'
  | 'uint4';

export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

type TypedArrayCtor = {
  new (length: number): TypedArray;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
};

interface DTypeInfo {
  /** TensorFlow DataType enum value (types.proto). */
  tf: number;
  /** TFLite TensorType enum value (schema.fbs), or undefined when TFLite has no such type. */
  tflite?: number;
  /** Bytes per element; 0 for variable-size (string) and opaque (resource, variant) types. */
  size: number;
  /** The typed array that holds the elements (float16/bfloat16 as raw Uint16 bits). */
  array?: TypedArrayCtor;
  /** TensorFlow's printed name, as saved_model_cli shows it. */
  tfName: string;
}

export const DTYPES: Readonly<Record<DType, DTypeInfo>> = {
  float32: { tf: 1, tflite: 0, size: 4, array: Float32Array, tfName: 'DT_FLOAT' },
  float64: { tf: 2, tflite: 10, size: 8, array: Float64Array, tfName: 'DT_DOUBLE' },
  int32: { tf: 3, tflite: 2, size: 4, array: Int32Array, tfName: 'DT_INT32' },
  uint8: { tf: 4, tflite: 3, size: 1, array: Uint8Array, tfName: 'DT_UINT8' },
  int16: { tf: 5, tflite: 7, size: 2, array: Int16Array, tfName: 'DT_INT16' },
  int8: { tf: 6, tflite: 9, size: 1, array: Int8Array, tfName: 'DT_INT8' },
  string: { tf: 7, tflite: 5, size: 0, tfName: 'DT_STRING' },
  complex64: { tf: 8, tflite: 8, size: 8, array: Float32Array, tfName: 'DT_COMPLEX64' },
  int64: { tf: 9, tflite: 4, size: 8, array: BigInt64Array, tfName: 'DT_INT64' },
  bool: { tf: 10, tflite: 6, size: 1, array: Uint8Array, tfName: 'DT_BOOL' },
  qint8: { tf: 11, size: 1, array: Int8Array, tfName: 'DT_QINT8' },
  quint8: { tf: 12, size: 1, array: Uint8Array, tfName: 'DT_QUINT8' },
  qint32: { tf: 13, size: 4, array: Int32Array, tfName: 'DT_QINT32' },
  bfloat16: { tf: 14, tflite: 18, size: 2, array: Uint16Array, tfName: 'DT_BFLOAT16' },
  qint16: { tf: 15, size: 2, array: Int16Array, tfName: 'DT_QINT16' },
  quint16: { tf: 16, size: 2, array: Uint16Array, tfName: 'DT_QUINT16' },
  uint16: { tf: 17, tflite: 16, size: 2, array: Uint16Array, tfName: 'DT_UINT16' },
  complex128: { tf: 18, tflite: 11, size: 16, array: Float64Array, tfName: 'DT_COMPLEX128' },
  float16: { tf: 19, tflite: 1, size: 2, array: Uint16Array, tfName: 'DT_HALF' },
  resource: { tf: 20, tflite: 13, size: 0, tfName: 'DT_RESOURCE' },
  variant: { tf: 21, tflite: 14, size: 0, tfName: 'DT_VARIANT' },
  uint32: { tf: 22, tflite: 15, size: 4, array: Uint32Array, tfName: 'DT_UINT32' },
  uint64: { tf: 23, tflite: 12, size: 8, array: BigUint64Array, tfName: 'DT_UINT64' },
  int4: { tf: 29, tflite: 17, size: 1, array: Int8Array, tfName: 'DT_INT4' },
  uint4: { tf: 30, size: 1, array: Uint8Array, tfName: 'DT_UINT4' },
};

const BY_TF = new Map<number, DType>(Object.entries(DTYPES).map(([k, v]) => [v.tf, k as DType]));
const BY_TFLITE = new Map<number, DType>(
  Object.entries(DTYPES)
    .filter(([, v]) => v.tflite !== undefined)
    .map(([k, v]) => [v.tflite as number, k as DType]),
);

/** TF1 reference types are the base type + 100. */
export const TF_REF_OFFSET = 100;

/** DType of a TensorFlow DataType number (reference types map to their base type), or undefined. */
export function dtypeFromTf(n: number): DType | undefined {
  return BY_TF.get(n >= TF_REF_OFFSET ? n - TF_REF_OFFSET : n);
}

export function dtypeFromTflite(n: number): DType | undefined {
  return BY_TFLITE.get(n);
}

export function tfDataType(d: DType): number {
  return DTYPES[d].tf;
}

export function tfliteType(d: DType): number | undefined {
  return DTYPES[d].tflite;
}

/** "DT_FLOAT", "DT_FLOAT_REF", or "DT_INVALID"; unknown numbers print as the number. */
export function tfDataTypeName(n: number): string {
  if (n === 0) return 'DT_INVALID';
  const d = dtypeFromTf(n);
  if (!d) return String(n);
  return n >= TF_REF_OFFSET ? `${DTYPES[d].tfName}_REF` : DTYPES[d].tfName;
}

export function elementSize(d: DType): number {
  return DTYPES[d].size;
}

export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16';
}

export function isInteger(d: DType): boolean {
  return (
    d === 'int8' || d === 'int16' || d === 'int32' || d === 'int64' || d === 'uint8' || d === 'uint16' || d === 'uint32' || d === 'uint64'
  );
}

/** A view (no copy) of `bytes` as the dtype's typed array; copies only when misaligned. */
export function typedView(d: DType, bytes: Uint8Array): TypedArray {
  const info = DTYPES[d];
  if (!info.array) throw new Error(`typedView: ${d} has no fixed-size elements`);
  const ctor = info.array;
  const n = bytes.byteLength / ctor.BYTES_PER_ELEMENT;
  if (!Number.isInteger(n)) throw new Error(`typedView: ${bytes.byteLength} bytes is not a whole number of ${d}`);
  if (bytes.byteOffset % ctor.BYTES_PER_ELEMENT === 0) return new ctor(bytes.buffer, bytes.byteOffset, n);
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new ctor(copy.buffer, 0, n);
}

/** A new zero-filled typed array for `count` elements of `d`. */
export function allocTyped(d: DType, count: number): TypedArray {
  const info = DTYPES[d];
  if (!info.array) throw new Error(`allocTyped: ${d} has no fixed-size elements`);
  const perElement = d === 'complex64' || d === 'complex128' ? 2 : 1;
  return new info.array(count * perElement);
}
