// `tfconv inspect` for .tflite files: what the model holds, as JSON (schema in
// docs/inspect-json.md) and as text tables.

import type Table from 'cli-table3';
import { formatBytes } from '../util/format.js';
import { makeTable } from './common.js';
import {
  type TfliteModel,
  builtinCodeOf,
  isQuantized,
  minRuntimeVersion,
  operatorName,
  tensorDType,
  tensorTypeName,
  MIN_RUNTIME_VERSION,
} from '../tflite/model.js';
import { readTflite, readTfliteFile } from '../tflite/read.js';
import { BuiltinOperator, BuiltinOptions, QuantizationDetails, type Tensor } from '../tflite/schema.generated.js';

export type TfliteInspectQuantization =
  | { kind: 'per-tensor'; scale: number; zeroPoint: number }
  | {
      kind: 'per-channel';
      axis: number;
      count: number;
      scaleMin: number;
      scaleMax: number;
      zeroPointMin: number;
      zeroPointMax: number;
    }
  | { kind: 'other'; details: string };

export interface TfliteInspectTensor {
  index: number;
  name: string | null;
  shape: number[];
  /** With -1 for dimensions unknown at conversion; null when the file stores none. */
  shapeSignature: number[] | null;
  /** tfconv's dtype name ('float32', 'int8', ...), or 'unknown(N)'. */
  dtype: string;
  /** TFLite's TensorType name ('FLOAT32', 'INT8', ...), or 'UNKNOWN(N)'. */
  tfliteType: string;
  isVariable: boolean;
  buffer: number;
  /** Bytes of constant data (0 for activations). */
  bufferBytes: number;
  quantization: TfliteInspectQuantization | null;
  sparse: boolean;
}

export interface TfliteInspectOperator {
  index: number;
  opcodeIndex: number;
  /** 'CONV_2D', the custom code of a custom op, or 'UNKNOWN(N)'. */
  op: string;
  builtinCode: number;
  version: number;
  customCode: string | null;
  inputs: number[];
  outputs: number[];
  /** The builtin options table's name, e.g. 'Conv2DOptions', or null. */
  options: string | null;
}

export interface TfliteInspectSubgraph {
  index: number;
  name: string | null;
  inputs: number[];
  outputs: number[];
  /** Operators per op name, keys sorted. */
  opCounts: Record<string, number>;
  operators: TfliteInspectOperator[];
  tensors: TfliteInspectTensor[];
}

export interface TfliteInspectJson {
  format: 'tflite';
  file: string;
  sizeBytes: number;
  /** weightsBytes: constant buffer data; graphBytes: everything else. */
  size: { weightsBytes: number; graphBytes: number };
  schemaVersion: number;
  description: string | null;
  minRuntimeVersion: string | null;
  operatorCodes: Array<{ index: number; op: string; builtinCode: number; version: number; customCode: string | null }>;
  subgraphs: TfliteInspectSubgraph[];
  signatureDefs: Array<{
    key: string | null;
    subgraphIndex: number;
    inputs: Array<{ name: string | null; tensorIndex: number }>;
    outputs: Array<{ name: string | null; tensorIndex: number }>;
  }>;
  metadata: Array<{ name: string | null; bufferIndex: number; sizeBytes: number; value: string | null }>;
}

export interface InspectOptions {
  color: boolean;
}

/** Inspects the .tflite file at `file`. */
export function inspectTflite(file: string, opts: InspectOptions): { json: TfliteInspectJson; text: string } {
  const { model, bytes } = readTfliteFile(file);
  return inspectTfliteModel(model, bytes.byteLength, file, opts);
}

/** Inspects .tflite bytes already in memory (`file` names them in messages and output). */
export function inspectTfliteBytes(bytes: Uint8Array, file: string, opts: InspectOptions): { json: TfliteInspectJson; text: string } {
  return inspectTfliteModel(readTflite(bytes, file), bytes.byteLength, file, opts);
}

function inspectTfliteModel(m: TfliteModel, sizeBytes: number, file: string, opts: InspectOptions): { json: TfliteInspectJson; text: string } {
  const json = toJson(m, sizeBytes, file);
  return { json, text: toText(json, opts) };
}

function toJson(m: TfliteModel, sizeBytes: number, file: string): TfliteInspectJson {
  const weightsBytes = m.buffers.reduce((s, b) => s + b.data.length, 0);
  const operatorCodes = m.operatorCodes.map((oc, index) => ({
    index,
    op: operatorName(oc),
    builtinCode: builtinCodeOf(oc),
    version: oc.version,
    customCode: oc.customCode ?? null,
  }));
  const subgraphs = m.subgraphs.map((sg, index): TfliteInspectSubgraph => {
    const operators = sg.operators.map((op, i): TfliteInspectOperator => {
      const oc = operatorCodes[op.opcodeIndex];
      const options = op.builtinOptions === undefined ? null : op.builtinOptions.type === 'unknown' ? `unknown(${op.builtinOptions.code})` : BuiltinOptions[op.builtinOptions.type];
      return {
        index: i,
        opcodeIndex: op.opcodeIndex,
        op: oc.op,
        builtinCode: oc.builtinCode,
        version: oc.version,
        customCode: oc.builtinCode === BuiltinOperator.CUSTOM ? oc.customCode : null,
        inputs: op.inputs,
        outputs: op.outputs,
        options,
      };
    });
    const counts = new Map<string, number>();
    for (const op of operators) counts.set(op.op, (counts.get(op.op) ?? 0) + 1);
    return {
      index,
      name: sg.name ?? null,
      inputs: sg.inputs,
      outputs: sg.outputs,
      opCounts: Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      operators,
      tensors: sg.tensors.map((t, i) => tensorJson(t, i, m)),
    };
  });
  return {
    format: 'tflite',
    file,
    sizeBytes,
    size: { weightsBytes, graphBytes: sizeBytes - weightsBytes },
    schemaVersion: m.version,
    description: m.description ?? null,
    minRuntimeVersion: minRuntimeVersion(m) ?? null,
    operatorCodes,
    subgraphs,
    signatureDefs: m.signatureDefs.map((s) => ({
      key: s.signatureKey ?? null,
      subgraphIndex: s.subgraphIndex,
      inputs: s.inputs.map((x) => ({ name: x.name ?? null, tensorIndex: x.tensorIndex })),
      outputs: s.outputs.map((x) => ({ name: x.name ?? null, tensorIndex: x.tensorIndex })),
    })),
    metadata: m.metadata.map((e) => {
      const b = m.buffers[e.buffer];
      return {
        name: e.name ?? null,
        bufferIndex: e.buffer,
        sizeBytes: b.data.length,
        value: e.name === MIN_RUNTIME_VERSION ? zeroTerminated(b.data) : null,
      };
    }),
  };
}

function zeroTerminated(data: Uint8Array): string {
  const end = data.indexOf(0);
  return Buffer.from(data.subarray(0, end < 0 ? data.length : end)).toString('latin1');
}

function tensorJson(t: Tensor, index: number, m: TfliteModel): TfliteInspectTensor {
  return {
    index,
    name: t.name ?? null,
    shape: t.shape,
    shapeSignature: t.shapeSignature.length > 0 ? t.shapeSignature : null,
    dtype: tensorDType(t.type) ?? `unknown(${t.type})`,
    tfliteType: tensorTypeName(t.type),
    isVariable: t.isVariable,
    buffer: t.buffer,
    bufferBytes: m.buffers[t.buffer].data.length,
    quantization: quantizationJson(t),
    sparse: t.sparsity !== undefined,
  };
}

function quantizationJson(t: Tensor): TfliteInspectQuantization | null {
  const q = t.quantization;
  if (q?.details !== undefined) {
    return { kind: 'other', details: q.details.type === 'unknown' ? `unknown(${q.details.code})` : QuantizationDetails[q.details.type] };
  }
  if (!isQuantized(q)) return null;
  if (q.scale.length === 1 && q.zeroPoint.length === 1) return { kind: 'per-tensor', scale: q.scale[0], zeroPoint: q.zeroPoint[0] };
  return {
    kind: 'per-channel',
    axis: q.quantizedDimension,
    count: q.scale.length,
    scaleMin: min(q.scale),
    scaleMax: max(q.scale),
    zeroPointMin: min(q.zeroPoint),
    zeroPointMax: max(q.zeroPoint),
  };
}

// Loops, not Math.min(...xs): a spread of a long vector overflows the stack.
function min(xs: number[]): number {
  let m = Infinity;
  for (const x of xs) if (x < m) m = x;
  return m;
}
function max(xs: number[]): number {
  let m = -Infinity;
  for (const x of xs) if (x > m) m = x;
  return m;
}

// ---------------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------------

const num = (x: number): string => (Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6))));
const shape = (s: number[]): string => `[${s.join(', ')}]`;

/** MLIR names fused tensors by joining every source name with ';': keep the text readable. */
function shortName(name: string | null): string {
  if (name === null) return '';
  return name.length <= 72 ? name : `${name.slice(0, 34)}...${name.slice(-34)}`;
}

function quantText(q: TfliteInspectQuantization | null): string {
  if (q === null) return '';
  switch (q.kind) {
    case 'per-tensor':
      return `scale=${num(q.scale)} zp=${q.zeroPoint}`;
    case 'per-channel': {
      const zp = q.zeroPointMin === q.zeroPointMax ? `${q.zeroPointMin}` : `${q.zeroPointMin}..${q.zeroPointMax}`;
      return `per-channel axis=${q.axis} n=${q.count} scale=${num(q.scaleMin)}..${num(q.scaleMax)} zp=${zp}`;
    }
    case 'other':
      return q.details;
  }
}

function tensorType(t: TfliteInspectTensor): string {
  return t.dtype.startsWith('unknown') ? t.tfliteType : t.dtype;
}

function toText(j: TfliteInspectJson, opts: InspectOptions): string {
  const table = (head: string[]): Table.Table => makeTable(head, opts.color);
  const bold = (s: string): string => (opts.color ? `\u001b[1m${s}\u001b[22m` : s);
  const out: string[] = [];

  out.push(bold(`TFLite model ${j.file}`));
  out.push(`  size: ${formatBytes(j.sizeBytes)} (${j.sizeBytes} bytes: weights ${j.size.weightsBytes}, graph ${j.size.graphBytes})`);
  out.push('  (tensor names longer than 72 characters are shortened here; the JSON output has them whole)');
  out.push(`  schema version: ${j.schemaVersion}`);
  out.push(`  description: ${j.description ?? '(none)'}`);
  out.push(`  min runtime version: ${j.minRuntimeVersion ?? '(not recorded)'}`);

  if (j.signatureDefs.length > 0) {
    out.push('', bold('Signatures'));
    const t = table(['signature', 'subgraph', 'inputs', 'outputs']);
    for (const s of j.signatureDefs) {
      const io = (xs: Array<{ name: string | null; tensorIndex: number }>): string => xs.map((x) => `${x.name ?? '?'} -> ${x.tensorIndex}`).join('\n');
      t.push([s.key ?? '(unnamed)', s.subgraphIndex, io(s.inputs), io(s.outputs)]);
    }
    out.push(t.toString());
  }

  for (const sg of j.subgraphs) {
    out.push('', bold(`Subgraph ${sg.index}${sg.name ? ` '${sg.name}'` : ''}: ${sg.tensors.length} tensors, ${sg.operators.length} operators`));
    out.push(`  ops: ${Object.entries(sg.opCounts).map(([k, v]) => `${k} x${v}`).join(', ') || '(none)'}`);
    const io = table(['', 'tensor', 'name', 'type', 'shape', 'quantization']);
    for (const [kind, list] of [['input', sg.inputs], ['output', sg.outputs]] as const) {
      for (const i of list) {
        const t = sg.tensors[i];
        io.push([kind, i, shortName(t.name), tensorType(t), shape(t.shapeSignature ?? t.shape), quantText(t.quantization)]);
      }
    }
    out.push(io.toString());
    const ops = table(['#', 'op', 'version', 'inputs', 'outputs', 'options']);
    for (const op of sg.operators) ops.push([op.index, op.op, op.version, op.inputs.join(', '), op.outputs.join(', '), op.options ?? '']);
    out.push(ops.toString());
    const ts = table(['#', 'name', 'type', 'shape', 'quantization', 'data']);
    for (const t of sg.tensors) {
      ts.push([t.index, shortName(t.name), tensorType(t) + (t.isVariable ? ' (var)' : '') + (t.sparse ? ' (sparse)' : ''), shape(t.shape), quantText(t.quantization), t.bufferBytes ? formatBytes(t.bufferBytes) : '']);
    }
    out.push(ts.toString());
  }

  out.push('', bold('Operator codes'));
  const oc = table(['#', 'op', 'builtin code', 'version']);
  for (const c of j.operatorCodes) oc.push([c.index, c.op, c.builtinCode, c.version]);
  out.push(oc.toString());

  if (j.metadata.length > 0) {
    out.push('', bold('Metadata'));
    const md = table(['name', 'buffer', 'size', 'value']);
    for (const e of j.metadata) md.push([e.name ?? '', e.bufferIndex, e.sizeBytes, e.value ?? '']);
    out.push(md.toString());
  }
  return `${out.join('\n')}\n`;
}
