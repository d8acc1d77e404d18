// TFLite nodes for op-version tests: built from a short spec, or read back from a .tflite file
// (tensor types, shapes, quantization and builtin options as the op_version rules see them).

import type { DType } from '../../src/core/dtype.js';
import { numElements } from '../../src/core/tensor.js';
import { Graph, Node, type QuantParams, Tensor, type TfliteOptions } from '../../src/graph/ir.js';
import { makeValue } from '../../src/graph/ops/util.js';
import { type TfliteModel, builtinCodeOf, operatorName, tensorDType } from '../../src/tflite/index.js';

export interface TSpec {
  dtype: DType;
  shape: number[];
  quant?: QuantParams;
  /** A constant (weights, bias, axes): filled with `data` or small values. */
  constant?: boolean;
  data?: number[];
}

/** Per-tensor quantization. */
export const q = (scale = 0.05, zeroPoint = 0): QuantParams => ({ scale: [scale], zeroPoint: [zeroPoint] });
/** Per-channel quantization along `axis` with `n` channels (zero points 0, as TFLite requires). */
export const qc = (n: number, axis = 0, scale = 0.02): QuantParams => ({
  scale: Array.from({ length: n }, (_, i) => scale * (1 + i / n)),
  zeroPoint: new Array<number>(n).fill(0),
  axis,
});

export const t = (dtype: DType, shape: number[], extra: Partial<TSpec> = {}): TSpec => ({ dtype, shape, ...extra });
export const c = (dtype: DType, shape: number[], extra: Partial<TSpec> = {}): TSpec => ({ dtype, shape, constant: true, ...extra });

function tensorOf(name: string, s: TSpec): Tensor {
  const x = new Tensor(name, s.dtype, s.shape.slice());
  x.signature = s.shape.slice();
  if (s.quant) x.quant = { ...s.quant, scale: s.quant.scale.slice(), zeroPoint: s.quant.zeroPoint.slice() };
  if (s.constant) {
    const n = numElements(s.shape);
    const data = s.data ?? Array.from({ length: n }, (_, i) => (s.dtype === 'bool' ? i % 2 : (i % 5) - 2));
    x.value = makeValue(s.dtype, s.shape.slice(), data);
  }
  return x;
}

/** A tfl.<op> node over tensors made from the specs (null = an absent optional input). */
export function tnode(op: string, inputs: (TSpec | null)[], outputs: TSpec[], options: TfliteOptions = {}): Node {
  const n = new Node(
    op.toLowerCase(),
    `tfl.${op}`,
    inputs.map((s, i) => (s ? tensorOf(`in${i}`, s) : null)),
    outputs.map((s, i) => tensorOf(`out${i}`, s)),
  );
  n.options = options;
  return n;
}

/** A one-node graph: non-constant inputs become graph inputs, outputs graph outputs. */
export function oneNodeGraph(n: Node): Graph {
  const g = new Graph();
  g.inputs = n.inputs.filter((x): x is Tensor => x !== null && !x.value);
  g.nodes = [n];
  g.outputs = n.outputs.slice();
  // The WASM runtime refuses a SignatureDef without inputs: constant-only graphs get none.
  g.signature = g.inputs.length === 0 ? null : {
    key: 'serving_default',
    inputs: g.inputs.map((x, i) => ({ key: `in${i}`, tensor: x })),
    outputs: g.outputs.map((x, i) => ({ key: `out${i}`, tensor: x })),
  };
  return g;
}

const snake = (s: string): string => s.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`);

export interface FileOperator {
  node: Node;
  subgraph: number;
  opcodeIndex: number;
}

/** Every builtin operator of a model as a Node, with what op_version.cc reads from the file. */
export function nodesOfModel(m: TfliteModel): FileOperator[] {
  const out: FileOperator[] = [];
  m.subgraphs.forEach((sg, si) => {
    const tensors = sg.tensors.map((ft, i) => {
      const dtype = tensorDType(ft.type) ?? 'float32';
      const x = new Tensor(ft.name ?? `t${i}`, dtype, ft.shape.slice());
      const qp = ft.quantization;
      // op_signature.cc tests the presence of the table (input_quantized), then its scales.
      if (qp) x.quant = { scale: qp.scale.slice(), zeroPoint: qp.zeroPoint.slice(), axis: qp.quantizedDimension };
      return x;
    });
    for (const op of sg.operators) {
      const oc = m.operatorCodes[op.opcodeIndex];
      const name = operatorName(oc);
      const isCustom = builtinCodeOf(oc) === 32;
      const n = new Node(
        name,
        isCustom ? `tfl.custom:${name}` : `tfl.${name}`,
        op.inputs.map((i) => (i < 0 ? null : tensors[i])),
        op.outputs.map((i) => tensors[i]),
      );
      const opts: TfliteOptions = {};
      const bo = op.builtinOptions;
      if (bo && bo.type !== 'unknown' && typeof bo.value === 'object') {
        for (const [k, v] of Object.entries(bo.value as unknown as Record<string, unknown>)) {
          if (typeof v === 'number' || typeof v === 'boolean') opts[snake(k)] = v;
        }
      }
      n.options = opts;
      out.push({ node: n, subgraph: si, opcodeIndex: op.opcodeIndex });
    }
  });
  return out;
}
