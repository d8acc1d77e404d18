// Building blocks of the lowering table: a TF node becomes one or more TFLite nodes. Simple
// lowerings are one line (`same('RELU')`); the hard ones (weight layouts, padding) use these
// helpers in a few lines of code.
//
// What a TF node must satisfy to be lowered is a list of named constraints: the support check
// reports the first one that fails (as the reason in the unsupported-ops error) and the generated
// docs list them all, so the two cannot drift apart.

import { type TensorValue, numElements } from '../core/tensor.js';
import { err } from '../errors/index.js';
import { i32Const, tflNode } from '../graph/build.js';
import type { Graph, Node, Tensor, TfliteOptions } from '../graph/ir.js';
import { numbers, strides } from '../graph/ops/util.js';

/** A condition on a TF node, with the sentence the user sees when it does not hold. */
export interface Constraint {
  /** Why the node cannot be lowered when `holds` is false, e.g. "the axis (input 1) must be a constant". */
  reason: string;
  holds: (n: Node) => boolean;
}

export interface Lowering {
  /** The TFLite builtin(s) this lowering produces, for the support table and the docs. */
  tfl: string[];
  /** What a node must satisfy; `check` reports the first that fails. */
  constraints: Constraint[];
  /** Why this node cannot be lowered, or null. Checked for every node before any rewrite. */
  check: (n: Node) => string | null;
  /** The TFLite nodes replacing `n`, in order; they must produce n's output tensors. */
  lower: (n: Node, g: Graph) => Node[];
  /** One line for the docs: what the lowering does beyond a one-to-one mapping. */
  note?: string;
}

/** A lowering with its check derived from its constraints. */
export function lowering(def: {
  tfl: string[];
  constraints?: Constraint[];
  lower: (n: Node, g: Graph) => Node[];
  note?: string;
  /** A more specific reason than the failing constraint's, for the error (the docs keep the constraint's). */
  explain?: (n: Node) => string | null;
}): Lowering {
  const constraints = def.constraints ?? [];
  return {
    tfl: def.tfl,
    constraints,
    check: (n) => {
      const failed = constraints.find((c) => !c.holds(n));
      return failed ? (def.explain?.(n) ?? failed.reason) : null;
    },
    lower: def.lower,
    ...(def.note ? { note: def.note } : {}),
  };
}

export const ACTIVATION = { NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3, TANH: 4, SIGN_BIT: 5 } as const;
export const PADDING = { SAME: 0, VALID: 1 } as const;

// --- Constraints ---------------------------------------------------------------------------------

export const constraint = (reason: string, holds: (n: Node) => boolean): Constraint => ({ reason, holds });

/** Input `i` is a constant (axes, shapes, paddings: TFLite needs them static here). */
export const constInput = (i: number, what: string): Constraint => constraint(`${what} (input ${i}) must be a constant`, (n) => !!n.inputs[i]?.value);

export const nhwc: Constraint = constraint('data_format must be NHWC', (n) => n.attrString('data_format', 'NHWC') === 'NHWC');

/** A [N, H, W, C] attribute (strides, ksize, dilations) that is 1 along N and C. */
export const spatialOnly = (attr: string): Constraint =>
  constraint(`${attr} must be 1 in the batch and channel dimensions`, (n) => {
    const v = n.attrInts(attr, [1, 1, 1, 1]);
    return v.length === 4 && v[0] === 1 && v[3] === 1;
  });

/** The output shape is fully known (lowerings that write the shape into the model as a constant). */
export const staticOutput: Constraint = constraint('the output shape must be known when converting (a shape computed at run time is not supported)', (n) => {
  const s = n.outputs[0]?.shape;
  return !!s && s.every((d) => d >= 0);
});

// --- Lowerings -------------------------------------------------------------------------------------

/** Same inputs and outputs, a TFLite op and its options. */
export function same(tfl: string, options: (n: Node) => TfliteOptions = () => ({}), constraints: Constraint[] = []): Lowering {
  return lowering({ tfl: [tfl], constraints, lower: (n, g) => [tflNode(g, n.name, tfl, n.inputs, n.outputs, options(n))] });
}

/**
 * Same, with the inputs at `constIdx` required to be constants (named in the reason) and turned
 * into int32 (shapes, axes, paddings: TFLite kernels want int32 there).
 */
export function withInt32Inputs(
  tfl: string,
  constIdx: [number, string][],
  options: (n: Node) => TfliteOptions = () => ({}),
  extra: { clamp?: boolean; constraints?: Constraint[]; note?: string } = {},
): Lowering {
  const idx = constIdx.map(([i]) => i);
  return lowering({
    tfl: [tfl],
    constraints: [...constIdx.map(([i, what]) => constInput(i, what)), ...(extra.constraints ?? [])],
    lower: (n, g) => {
      const inputs = n.inputs.map((t, i) => (t && idx.includes(i) ? asInt32(g, t, { clamp: extra.clamp }) : t));
      return [tflNode(g, n.name, tfl, inputs, n.outputs, options(n))];
    },
    note: extra.note,
  });
}

const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;

/**
 * An int32 version of an int64 constant (TFLite kernels take int32 shapes, axes and paddings).
 * With `clamp`, values beyond int32 become its limits (slice bounds, which kernels clamp anyway);
 * otherwise such a value is an error naming the tensor.
 */
export function asInt32(g: Graph, t: Tensor, options: { clamp?: boolean } = {}): Tensor {
  if (t.dtype !== 'int64' || !t.value) return t;
  const v = numbers(t.value);
  const out = new Int32Array(v.length);
  v.forEach((x, i) => {
    if (x > INT32_MAX || x < INT32_MIN) {
      if (!options.clamp) throw err.badGraph(t.name, `value ${x} does not fit int32, which TFLite needs here`);
      out[i] = x > INT32_MAX ? INT32_MAX : INT32_MIN;
    } else out[i] = x;
  });
  return g.constant(`${t.name}_int32`, { dtype: 'int32', shape: t.value.shape.slice(), data: out });
}

/** The numbers of a constant input (the constraints have checked it is one). */
export function constValues(n: Node, i: number, what: string): number[] {
  const t = n.inputs[i];
  if (!t?.value) throw err.badGraph(n.name, `${what} (input ${i}) must be a constant for TFLite`, n.op);
  return Array.from(numbers(t.value));
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
  // Weight layouts (HWIO -> OHWI, [in, out] -> [out, in]) are matrix transposes once adjacent
  // dimensions are merged: those move as bit patterns in cache-sized tiles, which is what keeps
  // a 400 MB model's weights from taking seconds here.
  const m = mergedPermutation(v.shape, perm);
  const width = src.BYTES_PER_ELEMENT;
  if (m.shape.length <= 2 && src.length === numElements(shape) && (width === 1 || width === 2 || width === 4)) {
    const from = bitView(src, width);
    const to = bitView(out, width);
    if (m.shape.length === 2) transposeMatrix(from, to, m.shape[0], m.shape[1]);
    else to.set(from);
    return { dtype: v.dtype, shape, data: out };
  }
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

/**
 * The same permutation on fewer dimensions: size-1 dimensions dropped and dimensions that stay
 * adjacent and in order merged, e.g. [3,0,1,2] on [H,W,I,O] is [1,0] on [H*W*I, O].
 */
export function mergedPermutation(shape: readonly number[], perm: readonly number[]): { shape: number[]; perm: number[] } {
  const kept = perm.filter((p) => shape[p] !== 1);
  const runs: number[][] = [];
  for (const p of kept) {
    const last = runs[runs.length - 1];
    if (last && last[last.length - 1] + 1 === p) last.push(p);
    else runs.push([p]);
  }
  // Runs in input order get the new dimension numbers; the output visits them in `runs` order.
  const byStart = [...runs].sort((a, b) => a[0] - b[0]);
  return {
    shape: byStart.map((r) => r.reduce((n, p) => n * shape[p], 1)),
    perm: runs.map((r) => byStart.indexOf(r)),
  };
}

type BitView = Uint8Array | Uint16Array | Uint32Array;

/** The elements of `a` as unsigned integers of their width (bit patterns, exact for every dtype). */
function bitView(a: { buffer: ArrayBufferLike; byteOffset: number; length: number }, width: 1 | 2 | 4): BitView {
  if (width === 4) return new Uint32Array(a.buffer as ArrayBuffer, a.byteOffset, a.length);
  if (width === 2) return new Uint16Array(a.buffer as ArrayBuffer, a.byteOffset, a.length);
  return new Uint8Array(a.buffer as ArrayBuffer, a.byteOffset, a.length);
}

/**
 * out = transpose of the rows x cols matrix `src`, in tiles so both sides stay in cache; within a
 * tile the writes are sequential (measured: about 2x a plain copy, against 3x with sequential
 * reads and 5x+ untiled, on a 4096 x 4096 float32 matrix).
 */
function transposeMatrix(src: BitView, out: BitView, rows: number, cols: number): void {
  const T = 64;
  for (let c0 = 0; c0 < cols; c0 += T) {
    const c1 = Math.min(cols, c0 + T);
    for (let r0 = 0; r0 < rows; r0 += T) {
      const r1 = Math.min(rows, r0 + T);
      for (let c = c0; c < c1; c++) {
        let o = c * rows + r0;
        let s = r0 * cols + c;
        for (let r = r0; r < r1; r++, o++, s += cols) out[o] = src[s];
      }
    }
  }
}

/** A zero float32 bias of `n` elements. */
export function zeroBias(g: Graph, name: string, n: number): Tensor {
  return g.constant(name, { dtype: 'float32', shape: [n], data: new Float32Array(n) });
}

/** A RESHAPE of `x` to the static `shape` producing tensor `out`. */
export function reshapeNode(g: Graph, name: string, x: Tensor, out: Tensor, shape: number[]): Node {
  return tflNode(g, name, 'RESHAPE', [x, i32Const(g, `${name}/shape`, shape)], [out], { new_shape: shape });
}
