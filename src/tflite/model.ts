// The in-memory TFLite model every part of tfconv shares: the generated object API of our schema
// (schemas/tflite.fbs), plus the few rules of the format that are not in the schema.

import { type DType, dtypeFromTflite } from '../core/dtype.js';
import { err } from '../errors/index.js';
import {
  BuiltinOperator,
  type Model,
  type OperatorCode,
  type QuantizationParameters,
  TensorType,
  newBuffer,
  newMetadata,
  newModel,
} from './schema.generated.js';

/**
 * A TFLite model. As returned by readTflite:
 * - `operatorCodes[i].builtinCode` is the real operator (the max of the file's
 *   deprecated_builtin_code and builtin_code); writeTflite derives deprecated_builtin_code.
 * - Every `buffers[i].data` holds the bytes (a view into the file, never a copy), including data
 *   the file stored after the FlatBuffer (`offset`/`size`); those two fields are then 0.
 *   Likewise `customOptions` for ops whose options were stored outside.
 * - Vectors are always arrays (empty when the file had none); strings, tables and unions are
 *   undefined when absent. A union type this schema does not know is `{ type: 'unknown', code }`.
 */
export type TfliteModel = Model;

/** The schema version TFLite writes and its interpreter requires. */
export const TFLITE_SCHEMA_VERSION = 3;

/** The metadata entry TFLite's converter adds: the oldest runtime able to run the model. */
export const MIN_RUNTIME_VERSION = 'min_runtime_version';

/** TFLite stores the min_runtime_version string zero-padded to this many bytes. */
export const MIN_RUNTIME_VERSION_BYTES = 16;

/** A new empty model as TFLite expects one: schema version 3 and the empty sentinel buffer 0. */
export function newTfliteModel(init: Partial<TfliteModel> = {}): TfliteModel {
  return newModel({ version: TFLITE_SCHEMA_VERSION, buffers: [newBuffer()], ...init });
}

/** The real builtin operator of an operator code (readers take the max of both fields). */
export function builtinCodeOf(oc: OperatorCode): number {
  return Math.max(oc.deprecatedBuiltinCode, oc.builtinCode);
}

/** The value old readers see: min(code, PLACEHOLDER_FOR_GREATER_OP_CODES = 127). */
export function deprecatedBuiltinCodeFor(code: number): number {
  return Math.min(code, BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES);
}

/** 'CONV_2D', the custom code for custom ops, or 'UNKNOWN(n)' for a code newer than our schema. */
export function operatorName(oc: OperatorCode): string {
  const code = builtinCodeOf(oc);
  if (code === BuiltinOperator.CUSTOM) return oc.customCode ?? 'CUSTOM';
  return BuiltinOperator[code] ?? `UNKNOWN(${code})`;
}

/** 'FLOAT32', 'INT8', ... or 'UNKNOWN(n)'. */
export function tensorTypeName(t: number): string {
  return TensorType[t] ?? `UNKNOWN(${t})`;
}

/** tfconv's dtype of a TFLite tensor type, or undefined for a type tfconv does not know. */
export function tensorDType(t: number): DType | undefined {
  return dtypeFromTflite(t);
}

/** True when the parameters carry at least one scale (TFLite's test for "quantized"). */
export function isQuantized(q: QuantizationParameters | undefined): q is QuantizationParameters {
  return q !== undefined && q.scale.length > 0 && q.zeroPoint.length > 0;
}

/** The min_runtime_version string stored in the model's metadata, if any. */
export function minRuntimeVersion(model: TfliteModel): string | undefined {
  const m = model.metadata.find((e) => e.name === MIN_RUNTIME_VERSION);
  if (!m) return undefined;
  const b = model.buffers[m.buffer];
  if (!b) return undefined;
  const end = b.data.indexOf(0);
  return Buffer.from(b.data.subarray(0, end < 0 ? b.data.length : end)).toString('latin1');
}

/**
 * A copy of `model` whose min_runtime_version metadata says `version` (replacing the entry's
 * buffer, or adding an entry and a buffer), stored as TFLite does: the ASCII string zero-padded
 * to 16 bytes.
 */
export function withMinRuntimeVersion(model: TfliteModel, version: string): TfliteModel {
  if (!/^[0-9A-Za-z.\-_]{1,16}$/.test(version)) {
    throw err.internal(`min_runtime_version must be 1-16 characters of [0-9A-Za-z._-], got ${JSON.stringify(version)}`);
  }
  const data = new Uint8Array(MIN_RUNTIME_VERSION_BYTES);
  data.set(Buffer.from(version, 'latin1'));
  const buffers = [...model.buffers];
  const metadata = [...model.metadata];
  const entry = metadata.find((e) => e.name === MIN_RUNTIME_VERSION);
  if (entry && entry.buffer > 0 && entry.buffer < buffers.length) {
    buffers[entry.buffer] = newBuffer({ data });
  } else {
    const e = newMetadata({ name: MIN_RUNTIME_VERSION, buffer: buffers.length });
    buffers.push(newBuffer({ data }));
    if (entry) metadata[metadata.indexOf(entry)] = e;
    else metadata.push(e);
  }
  return { ...model, buffers, metadata };
}
