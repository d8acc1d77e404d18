// Static shape, dtype and value inference over a graph of TF ops, driven by the op semantics
// table. Values of small tensors computed from constants are carried along (Shape -> StridedSlice
// -> Pack chains), which is what lets Keras' dynamic reshapes become static.
//
// Unknown input dimensions are given a concrete size (`unknownDim`). Running twice with two
// different sizes tells which dimensions of every tensor follow the unknown ones: that is
// TFLite's shape_signature (-1 there), while `shape` holds the batch-1 sizes.

import type { DType } from '../core/dtype.js';
import { type TensorValue, numElements } from '../core/tensor.js';
import { TfconvError, err } from '../errors/index.js';
import type { Graph, Node, Shape, Tensor } from './ir.js';
import { tfOps } from './ops/index.js';
import type { InferInput } from './ops/types.js';

export interface InferredTensor {
  dtype: DType;
  shape: Shape | null;
  value: TensorValue | null;
  /** Never computed at run time (the untaken side of a Switch with a known predicate). */
  dead?: boolean;
  /** The dtype follows from an op without semantics: a guess from its attributes. */
  guessed?: boolean;
}

export interface InferOptions {
  /** Size given to unknown (-1) input dimensions. */
  unknownDim: number;
  /** Largest tensor (elements) whose value is computed; bigger ones are left to fold-constants. */
  maxValueElements: number;
  /**
   * Values that would grow past `elements` and to more than `factor` times their inputs (Fill,
   * Tile, Range of a few constants) are not computed: a few bytes of a file must not turn into
   * gigabytes of memory here, and TFLite computes such tensors more cheaply than it stores them.
   */
  growth?: { elements: number; factor: number };
}

export interface InferResult {
  tensors: Map<Tensor, InferredTensor>;
  /** Nodes whose op has no semantics entry, in graph order. */
  unknownOps: Node[];
}

const DEFAULTS: InferOptions = { unknownDim: 1, maxValueElements: 1 << 16 };

export function inferGraph(g: Graph, options: Partial<InferOptions> = {}): InferResult {
  const opts = { ...DEFAULTS, ...options };
  const info = new Map<Tensor, InferredTensor>();
  const unknownOps: Node[] = [];

  const lookup = (t: Tensor): InferredTensor => {
    const known = info.get(t);
    if (known) return known;
    if (t.value) return { dtype: t.dtype, shape: t.value.shape, value: t.value };
    // A graph input: fix unknown dimensions. Once shapes were annotated, `shape` holds the batch-1
    // sizes and `signature` remembers which dimensions were unknown; a later run must see them as
    // unknown again, or the second annotation would lose the -1s of shape_signature.
    const declared = t.signature && t.shape && t.signature.length === t.shape.length ? t.signature : t.shape;
    const shape = declared === null ? null : declared.map((d) => (d < 0 ? opts.unknownDim : d));
    const r = { dtype: t.dtype, shape, value: null };
    info.set(t, r);
    return r;
  };

  for (const node of g.nodes) {
    const sem = tfOps[node.op];
    if (!sem) {
      if (!node.isTflite) unknownOps.push(node);
      for (const t of node.outputs) info.set(t, { dtype: t.dtype, shape: t.shape, value: null, guessed: true });
      continue;
    }
    const inputs: InferInput[] = node.inputs.map((t) =>
      t ? lookup(t) : { dtype: 'float32' as DType, shape: null, value: null },
    );
    if (!sem.acceptsDeadInputs && inputs.some((x) => x.dead)) {
      for (const t of node.outputs) info.set(t, { dtype: t.dtype, shape: null, value: null, dead: true });
      continue;
    }
    const outs = guarded(node, 'shape inference', () => sem.infer(node, inputs));
    // A guess upstream makes every dtype computed from it a guess too.
    const guessed = inputs.some((x) => x.guessed);
    let values: TensorValue[] | null = null;
    const foldable =
      sem.evaluate !== undefined &&
      !sem.stateful &&
      inputs.every((x) => x.value !== null) &&
      outs.every((o) => o.shape !== null && !o.shape.includes(-1) && numElements(o.shape) <= opts.maxValueElements) &&
      (opts.growth === undefined || !grows(inputs, outs, opts.growth));
    if (foldable) {
      const evaluate = sem.evaluate as NonNullable<typeof sem.evaluate>;
      values = guarded(node, 'computing its value', () => evaluate(node, inputs.map((x) => x.value as TensorValue)));
    }
    node.outputs.forEach((t, i) => {
      const o = outs[i];
      if (!o) {
        // Name the highest output read and who reads it: that reference is the mistake.
        let at = i;
        let reader: string | undefined;
        for (let j = node.outputs.length - 1; j >= i; j--) {
          const c = g.consumers(node.outputs[j] as Tensor)[0];
          if (c || g.isGraphOutput(node.outputs[j] as Tensor)) {
            at = j;
            reader = c ? `'${c.node.name}'` : 'the graph outputs';
            break;
          }
        }
        throw err.shapeError(
          node.name,
          node.op,
          `${node.op} produces ${outs.length} output${outs.length === 1 ? '' : 's'} but output ${at} is read${reader ? ` (by ${reader})` : ''}`,
        );
      }
      const value = values ? values[i] : (o.value ?? null);
      const r: InferredTensor = { dtype: o.dtype, shape: o.shape, value };
      if (o.dead) r.dead = true;
      if (guessed) r.guessed = true;
      info.set(t, r);
    });
  }
  return { tensors: info, unknownOps };
}

/**
 * Runs an op's infer or evaluate. A TfconvError is the op's own check; anything else is a check
 * that was missing, most often an input or attribute the op needs and the node lacks (a broken
 * or hostile graph), so the error names the node and says what it has.
 */
function guarded<T>(node: Node, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof TfconvError) throw e;
    throw err.shapeError(
      node.name,
      node.op,
      `${what} failed (the node has ${node.inputs.length} input${node.inputs.length === 1 ? '' : 's'} and attributes [${Object.keys(node.attrs).sort().join(', ')}]; is one missing or of the wrong kind?): ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

function grows(inputs: readonly InferInput[], outs: readonly { shape: Shape | null }[], g: { elements: number; factor: number }): boolean {
  const inElements = inputs.reduce((s, x) => s + (x.value ? numElements(x.value.shape) : 0), 0);
  const outElements = outs.reduce((s, o) => s + (o.shape ? numElements(o.shape) : 0), 0);
  return outElements > g.elements && outElements > g.factor * inElements;
}

/**
 * Set every tensor's dtype, static shape (unknown dims as batch 1) and TFLite shape signature.
 * Tensors of ops without semantics keep what they had.
 */
export function annotateShapes(g: Graph): InferResult {
  const one = inferGraph(g, { unknownDim: 1 });
  const two = inferAtOtherSize(g);
  for (const [t, a] of one.tensors) {
    const b = two?.tensors.get(t);
    t.dtype = a.dtype;
    t.shape = a.shape;
    t.signature =
      a.shape && b?.shape && b.shape.length === a.shape.length
        ? a.shape.map((d, i) => (d === (b.shape as Shape)[i] ? d : -1))
        : a.shape;
  }
  for (const t of g.inputs) {
    if (one.tensors.has(t)) continue;
    // An input nothing reads still gets batch-1 sizes.
    t.signature = two ? ((t.signature ?? t.shape)?.slice() ?? null) : (t.shape?.map((d) => (d < 0 ? 1 : d)) ?? null);
    t.shape = t.shape?.map((d) => (d < 0 ? 1 : d)) ?? null;
  }
  return one;
}

/**
 * The size unknown dimensions get in the second inference. Any size other than 1 shows which
 * dimensions follow the batch; for unknown heights and widths it must also survive strides and
 * pools (SAME with stride s maps both 1 and 2 to 1 for s >= 2), so it is a prime above the usual
 * total stride of a network's downsampling (32).
 */
export const OTHER_SIZE = 37;

/**
 * Inference with unknown dimensions at OTHER_SIZE instead of 1, or null when the graph cannot run
 * at another size: it fixes the batch somewhere (a Reshape to a constant [1, ...]), so no
 * dimension is really dynamic and shape signatures must not claim one (an input resized to that
 * batch would fail in that node).
 */
export function inferAtOtherSize(g: Graph, options: Partial<InferOptions> = {}): InferResult | null {
  try {
    return inferGraph(g, { ...options, unknownDim: OTHER_SIZE });
  } catch (e) {
    if (e instanceof TfconvError && e.code === 'SHAPE_ERROR') return null;
    throw e;
  }
}
