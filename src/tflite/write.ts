// Serializes a TfliteModel into .tflite bytes, deterministically (same model, same bytes).
//
// What the writer guarantees beyond the model it is given, as TFLite's own converter does:
// - buffers[0] is the empty sentinel buffer (inserted, and every buffer index shifted, if the
//   model's first buffer has data);
// - buffer data start on 16-byte boundaries (schema: force_align 16), always stored inline;
// - deprecated_builtin_code = min(builtin_code, 127);
// - every op whose options table carries fields gets one (op-options.ts); a missing table is
//   written with every field zero, which is what TFLite's parser uses for a missing table;
// - optionally, min_runtime_version metadata.
// A model that would pass 2 GiB is refused before anything is built.

import { Builder } from 'flatbuffers';
import { err } from '../errors/index.js';
import { writeFileAtomic } from '../writers/atomic-file.js';
import { FbFormatError, FbWriter } from './flatbuffer.js';
import { type TfliteModel, builtinCodeOf, deprecatedBuiltinCodeFor, withMinRuntimeVersion } from './model.js';
import { filledOptionsOf } from './op-options.js';
import {
  type BuiltinOptionsValue,
  FILE_IDENTIFIER,
  type Operator,
  newBuffer,
  newBuiltinOptionsValue,
  writeModel,
} from './schema.generated.js';

export interface WriteTfliteOptions {
  /** Store this min_runtime_version (e.g. '2.3.0') in the model's metadata. */
  minRuntimeVersion?: string;
}

/** The FlatBuffers limit: offsets are signed 32-bit. */
export const TFLITE_MAX_BYTES = 2 ** 31 - 1;

export function writeTflite(model: TfliteModel, options: WriteTfliteOptions = {}): Uint8Array {
  // The schema's default (0) is never what anyone means: TFLite refuses such a file.
  if (model.version === 0) throw err.unwritableTflite('Model.version is 0; TFLite requires schema version 3 (newTfliteModel() sets it)');
  const m = prepare(model, options);
  const estimate = estimateSize(m);
  if (estimate > TFLITE_MAX_BYTES) throw err.modelTooLarge(estimate);
  // A multiple of 16: FlatBuffers align from the end of the buffer, so the file (its last bytes)
  // then starts 16-aligned too, and so does every buffer's data in the returned view.
  const b = new Builder(Math.ceil(Math.max(1024, estimate) / 16) * 16);
  try {
    const root = writeModel(new FbWriter(b), m);
    b.finish(root, FILE_IDENTIFIER);
  } catch (e) {
    if (e instanceof FbFormatError) throw err.unwritableTflite(e.why);
    if (e instanceof Error && /beyond 2 gigabytes/.test(e.message)) throw err.modelTooLarge(estimate);
    throw e;
  }
  // A view of the file's bytes at the end of the builder's buffer, not a copy: the buffer was
  // sized by the estimate, so its unused head is small, while a copy would hold every weight a
  // second time at the peak of the conversion.
  return b.asUint8Array();
}

/** Unused builder space at the head of the buffer kept rather than copied away. */
const SMALL_HEAD_BYTES = 64 * 1024;

/** Writes the model to `file` atomically (a temporary file in the same directory, then rename). */
export function writeTfliteFile(file: string, model: TfliteModel, options: WriteTfliteOptions = {}): Uint8Array {
  const bytes = writeTflite(model, options);
  writeFileAtomic(file, bytes);
  return bytes;
}

/** The model as it will be written; `model` itself is never modified. */
function prepare(model: TfliteModel, options: WriteTfliteOptions): TfliteModel {
  let m = options.minRuntimeVersion === undefined ? model : withMinRuntimeVersion(model, options.minRuntimeVersion);

  let buffers = m.buffers.map((b) => (b.offset !== 0 || b.size !== 0 ? { ...b, offset: 0, size: 0 } : b));
  let shift = 0;
  if (buffers.length === 0) {
    buffers = [newBuffer()];
  } else if (buffers[0].data.length > 0) {
    buffers = [newBuffer(), ...buffers];
    shift = 1;
  }

  m = {
    ...m,
    buffers,
    operatorCodes: m.operatorCodes.map((oc) => {
      const code = builtinCodeOf(oc);
      return { ...oc, builtinCode: code, deprecatedBuiltinCode: deprecatedBuiltinCodeFor(code) };
    }),
    subgraphs: m.subgraphs.map((sg) => ({
      ...sg,
      tensors: shift ? sg.tensors.map((t) => ({ ...t, buffer: t.buffer + shift })) : sg.tensors,
      operators: sg.operators.map((op) => prepareOperator(op, m)),
    })),
    metadata: shift ? m.metadata.map((e) => ({ ...e, buffer: e.buffer + shift })) : m.metadata,
    metadataBuffer: shift ? m.metadataBuffer.map((i) => i + shift) : m.metadataBuffer,
  };
  return m;
}

function prepareOperator(op: Operator, m: TfliteModel): Operator {
  let out = op;
  if (op.largeCustomOptionsOffset !== 0 || op.largeCustomOptionsSize !== 0) {
    out = { ...out, largeCustomOptionsOffset: 0, largeCustomOptionsSize: 0 };
  }
  const oc = m.operatorCodes[op.opcodeIndex];
  if (op.builtinOptions === undefined && oc !== undefined) {
    const type = filledOptionsOf(builtinCodeOf(oc));
    if (type !== undefined) out = { ...out, builtinOptions: zeroed(newBuiltinOptionsValue(type)) };
  }
  return out;
}

/** The options with every field zero / false / empty, as TFLite reads a missing table. */
function zeroed(v: BuiltinOptionsValue): BuiltinOptionsValue {
  if (v.type === 'unknown') return v;
  const value = v.value as unknown as Record<string, unknown>;
  for (const k of Object.keys(value)) {
    const x = value[k];
    if (typeof x === 'number') value[k] = 0;
    else if (typeof x === 'boolean') value[k] = false;
    else if (typeof x === 'bigint') value[k] = 0n;
    else if (Array.isArray(x)) value[k] = [];
  }
  return v;
}

const utf8Length = (s: string | undefined): number => (s === undefined ? 0 : Buffer.byteLength(s, 'utf8') + 8);

/**
 * An upper bound of the file size: every table, vtable, vector header and alignment pad counted
 * generously. Used to refuse models over 2 GiB up front and to size the builder once.
 */
export function estimateSize(m: TfliteModel): number {
  let n = 256 + utf8Length(m.description);
  for (const b of m.buffers) n += b.data.length + 16 + 48;
  for (const oc of m.operatorCodes) n += 48 + utf8Length(oc.customCode);
  n += 8 + 4 * m.metadataBuffer.length;
  for (const e of m.metadata) n += 32 + utf8Length(e.name);
  for (const s of m.signatureDefs) {
    n += 64 + utf8Length(s.signatureKey);
    for (const t of [...s.inputs, ...s.outputs]) n += 32 + utf8Length(t.name);
  }
  for (const sg of m.subgraphs) {
    n += 96 + utf8Length(sg.name) + 4 * (sg.inputs.length + sg.outputs.length);
    for (const t of sg.tensors) {
      n += 96 + utf8Length(t.name) + 8 * (t.shape.length + t.shapeSignature.length);
      const q = t.quantization;
      if (q) n += 96 + 8 * (q.min.length + q.max.length + q.scale.length + 2 * q.zeroPoint.length) + 32;
      if (q) n += estimateOptions(q.details);
      if (t.sparsity) n += estimateSparsity(t.sparsity);
      n += 48 * t.variantTensors.length + t.variantTensors.reduce((s, v) => s + 8 * v.shape.length, 0);
    }
    for (const op of sg.operators) {
      n += 128 + 4 * (op.inputs.length + op.outputs.length + op.intermediates.length) + op.mutatingVariableInputs.length + 8;
      n += op.customOptions.length + 16;
      n += estimateOptions(op.builtinOptions) + estimateOptions(op.builtinOptions2);
    }
  }
  return n;
}

function estimateSparsity(s: NonNullable<TfliteModel['subgraphs'][number]['tensors'][number]['sparsity']>): number {
  let n = 64 + 8 * (s.traversalOrder.length + s.blockMap.length);
  for (const d of s.dimMetadata) {
    n += 96;
    for (const u of [d.arraySegments, d.arrayIndices]) {
      if (u && u.type !== 'unknown') n += 16 + 4 * u.value.values.length;
    }
  }
  return n;
}

/** Options tables: a generous bound from their JSON size (vectors, strings and scalars). */
function estimateOptions(v: { type: unknown; value?: unknown } | undefined): number {
  if (v === undefined || v.value === undefined) return 0;
  let n = 64;
  for (const x of Object.values(v.value as Record<string, unknown>)) {
    if (Array.isArray(x)) n += 8 + 8 * x.length;
    else if (x instanceof Uint8Array) n += 8 + x.length;
    else if (typeof x === 'string') n += utf8Length(x);
    else n += 8;
  }
  return n;
}
