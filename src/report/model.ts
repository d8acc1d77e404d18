// What a report needs to know of one .tflite file, read from the file itself: subgraph 0's
// operators and tensors (name, dtype, shape, quantization parameters), its inputs and outputs
// with their SignatureDef keys, constant values as floats, and where its bytes go.

import { type DType, dtypeFromTflite, elementSize, typedView } from '../core/dtype.js';
import { type TensorValue, numElements, toFloat64 } from '../core/tensor.js';
import { err } from '../errors/index.js';
import { type TfliteModel, operatorName, readTflite } from '../tflite/index.js';

export interface TensorQuant {
  scale: number[];
  zeroPoint: number[];
  /** Quantized dimension when there is more than one scale. */
  axis?: number;
}

export interface ModelTensor {
  index: number;
  name: string;
  /** null for a TFLite type tfconv does not know. */
  dtype: DType | null;
  shape: number[];
  /** Parameters from the file; null when the tensor is not quantized. */
  quant: TensorQuant | null;
  constant: boolean;
}

export interface ModelOp {
  index: number;
  op: string;
  inputs: number[];
  outputs: number[];
}

export interface ModelIO {
  tensor: number;
  /** SignatureDef key, or the tensor name when the file has no SignatureDef for subgraph 0. */
  key: string;
}

export interface ModelBytes {
  /** The whole file. */
  total: number;
  /** Data of constant tensors (weights, biases, lookup tables). */
  weights: number;
  /** Everything else: operators, tensors, metadata, FlatBuffer overhead. */
  graph: number;
}

export interface ReportModel {
  /** Names the model in messages (its file, or 'float' / 'quantized'). */
  label: string;
  bytes: Uint8Array;
  file: TfliteModel;
  tensors: ModelTensor[];
  ops: ModelOp[];
  inputs: ModelIO[];
  outputs: ModelIO[];
  /** Subgraphs beyond the first (the runtime only runs subgraph 0; the report covers that one). */
  extraSubgraphs: number;
  size: ModelBytes;
  /** Operator histogram over every subgraph, keys sorted. */
  opCounts: Record<string, number>;
}

export function readReportModel(bytes: Uint8Array, label: string): ReportModel {
  const file = readTflite(bytes, label);
  const sg = file.subgraphs[0];
  if (!sg) throw err.badTflite(label, 'has no subgraph to run');
  const tensors: ModelTensor[] = sg.tensors.map((t, index) => {
    const q = t.quantization;
    const quant: TensorQuant | null =
      q && q.scale.length > 0 && q.zeroPoint.length > 0
        ? { scale: q.scale.slice(), zeroPoint: q.zeroPoint.map(Number), ...(q.scale.length > 1 ? { axis: q.quantizedDimension } : {}) }
        : null;
    return {
      index,
      name: t.name ?? `tensor_${index}`,
      dtype: dtypeFromTflite(t.type) ?? null,
      shape: t.shape.slice(),
      quant,
      constant: t.buffer > 0 && (file.buffers[t.buffer]?.data.length ?? 0) > 0,
    };
  });
  const ops = sg.operators.map((o, index) => ({ index, op: operatorName(file.operatorCodes[o.opcodeIndex]), inputs: o.inputs.slice(), outputs: o.outputs.slice() }));
  const sig = file.signatureDefs.find((s) => s.subgraphIndex === 0);
  const io = (list: number[], side: 'inputs' | 'outputs'): ModelIO[] =>
    list.map((tensor) => ({ tensor, key: sig?.[side].find((m) => m.tensorIndex === tensor)?.name ?? tensors[tensor]?.name ?? `tensor_${tensor}` }));

  // A buffer shared by several constants counts once.
  const seen = new Set<number>();
  let weights = 0;
  for (const s of file.subgraphs) {
    for (const t of s.tensors) {
      if (t.buffer <= 0 || seen.has(t.buffer)) continue;
      seen.add(t.buffer);
      weights += file.buffers[t.buffer]?.data.length ?? 0;
    }
  }
  const counts = new Map<string, number>();
  for (const s of file.subgraphs) {
    for (const o of s.operators) {
      const name = operatorName(file.operatorCodes[o.opcodeIndex]);
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
  }
  const opCounts: Record<string, number> = {};
  for (const k of [...counts.keys()].sort()) opCounts[k] = counts.get(k) as number;
  return {
    label,
    bytes,
    file,
    tensors,
    ops,
    inputs: io(sg.inputs, 'inputs'),
    outputs: io(sg.outputs, 'outputs'),
    extraSubgraphs: file.subgraphs.length - 1,
    size: { total: bytes.length, weights, graph: bytes.length - weights },
    opCounts,
  };
}

/** The values of a constant tensor as real numbers (dequantized with the file's parameters), or null. */
export function constantValues(m: ReportModel, index: number): Float64Array | null {
  const t = m.tensors[index];
  const ft = m.file.subgraphs[0].tensors[index];
  if (!t || !t.constant || t.dtype === null) return null;
  const data = m.file.buffers[ft.buffer]?.data;
  const n = numElements(t.shape);
  // Sparse or otherwise packed buffers do not hold one value per element: not analysed.
  if (!data || ft.sparsity || data.length !== n * elementSize(t.dtype)) return null;
  let values: Float64Array;
  try {
    values = toFloat64({ dtype: t.dtype, shape: t.shape, data: typedView(t.dtype, data) } as TensorValue);
  } catch {
    return null;
  }
  return t.quant ? dequantizeInPlace(values, t.quant, t.shape) : values;
}

/** (q - zero point) * scale, per tensor or per channel of `quant.axis`. */
export function dequantizeInPlace(v: Float64Array, quant: TensorQuant, shape: readonly number[]): Float64Array {
  if (quant.scale.length === 1 || quant.axis === undefined) {
    const s = quant.scale[0];
    const z = quant.zeroPoint[0] ?? 0;
    for (let i = 0; i < v.length; i++) v[i] = (v[i] - z) * s;
    return v;
  }
  const channels = shape[quant.axis] ?? 1;
  const inner = shape.slice(quant.axis + 1).reduce((a, b) => a * b, 1);
  for (let i = 0; i < v.length; i++) {
    const c = Math.floor(i / inner) % channels;
    v[i] = (v[i] - (quant.zeroPoint[c] ?? quant.zeroPoint[0] ?? 0)) * (quant.scale[c] ?? quant.scale[0]);
  }
  return v;
}

/** Whether a tensor's runtime values are quantized integers standing for real numbers. */
export function isQuantizedValue(t: ModelTensor): boolean {
  return t.quant !== null && (t.dtype === 'int8' || t.dtype === 'uint8' || t.dtype === 'int16' || t.dtype === 'int32');
}
