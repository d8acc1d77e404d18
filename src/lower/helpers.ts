// Building blocks of the lowering table: a TF node becomes one or more TFLite nodes. Simple
// lowerings are one line (`same('RELU')`); the hard ones (weight layouts, padding) use these
// helpers in a few lines of code.

import { type TensorValue, numElements } from '../core/tensor.js';
import { err } from '../errors/index.js';
import { i32Const, tflNode } from '../graph/build.js';
import type { Graph, Node, Tensor, TfliteOptions } from '../graph/ir.js';
import { numbers, strides } from '../graph/ops/util.js';

export interface Lowering {
  /** The TFLite builtin(s) this lowering produces, for the support table and the docs. */
  tfl: string[];
  /** Why this node cannot be lowered, or null. Checked for every node before any rewrite. */
  check?: (n: Node) => string | null;
  /** The TFLite nodes replacing `n`, in order; they must produce n's output tensors. */
  lower: (n: Node, g: Graph) => Node[];
}

export const ACTIVATION = { NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3, TANH: 4, SIGN_BIT: 5 } as const;
export const PADDING = { SAME: 0, VALID: 1 } as const;

/** Same inputs and outputs, a TFLite op and its options. */
export function same(tfl: string, options: (n: Node) => TfliteOptions = () => ({})): Lowering {
  return {
    tfl: [tfl],
    lower: (n, g) => [tflNode(g, n.name, tfl, n.inputs, n.outputs, options(n))],
  };
}

/** Same, with the inputs at `constIdx` turned into int32 constants (shapes, axes, paddings). */
export function withInt32Inputs(tfl: string, constIdx: number[], options: (n: Node) => TfliteOptions = () => ({})): Lowering {
  return {
    tfl: [tfl],
    lower: (n, g) => {
      const inputs = n.inputs.map((t, i) => (t && constIdx.includes(i) ? asInt32(g, t) : t));
      return [tflNode(g, n.name, tfl, inputs, n.outputs, options(n))];
    },
  };
}

/** An int32 version of an integer tensor (TFLite kernels take int32 shapes and axes). */
export function asInt32(g: Graph, t: Tensor): Tensor {
  if (t.dtype === 'int32' || !t.value) return t;
  if (t.dtype !== 'int64') return t;
  const v = numbers(t.value);
  for (const x of v) if (x > 2147483647 || x < -2147483648) throw err.badGraph(t.name, `value ${x} does not fit int32`);
  return g.constant(`${t.name}_int32`, { dtype: 'int32', shape: t.value.shape.slice(), data: Int32Array.from(v) });
}

/** The numbers of a constant input, or an error naming the node. */
export function constValues(n: Node, i: number, what: string): number[] {
  const t = n.inputs[i];
  if (!t?.value) throw err.badGraph(n.name, `${what} (input ${i}) must be a constant for TFLite`, n.op);
  return Array.from(numbers(t.value));
}

export function requireConstInput(n: Node, i: number, what: string): string | null {
  return n.inputs[i]?.value ? null : `${what} must be a constant`;
}

export function padding(n: Node): number {
  const p = n.attrString('padding', 'VALID');
  return p === 'SAME' ? PADDING.SAME : PADDING.VALID;
}

/** Transpose a constant along `perm` (row-major). */
export function transposeValue(v: TensorValue, perm: number[]): TensorValue {
  if (Array.isArray(v.data)) throw err.internal('transposeValue: string tensors');
  const shape = perm.map((p) => v.shape[p]);
  const src = v.data;
  const ctor = src.constructor as new (n: number) => typeof src;
  const out = new ctor(src.length);
  const inStrides = strides(v.shape);
  const permStrides = perm.map((p) => inStrides[p]);
  const n = numElements(shape);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  let srcOff = 0;
  for (let i = 0; i < n; i++) {
    (out as Float32Array)[i] = (src as Float32Array)[srcOff];
    // Odometer increment of the output index, tracking the source offset incrementally.
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      srcOff += permStrides[d];
      if (idx[d] < shape[d]) break;
      srcOff -= permStrides[d] * shape[d];
      idx[d] = 0;
    }
  }
  return { dtype: v.dtype, shape, data: out };
}

/** A zero float32 bias of `n` elements. */
export function zeroBias(g: Graph, name: string, n: number): Tensor {
  return g.constant(name, { dtype: 'float32', shape: [n], data: new Float32Array(n) });
}

/** A RESHAPE of `x` to the static `shape` producing tensor `out`. */
export function reshapeNode(g: Graph, name: string, x: Tensor, out: Tensor, shape: number[]): Node {
  return tflNode(g, name, 'RESHAPE', [x, i32Const(g, `${name}/shape`, shape)], [out], { new_shape: shape });
}
