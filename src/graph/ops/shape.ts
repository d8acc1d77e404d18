// Shape and data-movement ops: what TensorFlow's shape functions (array_ops.cc) compute for
// them, and folding by moving the source elements (exact for every dtype). Values of
// Shape/Size/Rank come from the input shapes alone, which is what turns Keras' dynamic
// `tf.shape(x)[0]` chains into static shapes.

import { type DType, allocTyped, isFloat, isInteger } from '../../core/dtype.js';
import { type TensorValue, numElements } from '../../core/tensor.js';
import type { Node, Shape } from '../ir.js';
import { axisIn, fail, fmt, ints, isStatic, knownInts, knownScalar, mergeDim } from './check.js';
import { affineTable, concatValues, dimGather, reshapeValue, takeElements, transposeValue } from './kernels.js';
import type { InferInput, InferOutput, OpTable, TfOpSemantics } from './types.js';
import { broadcastShapes, makeValue, numbers, sameShape, strides, typeAttr, typeAttrOr } from './util.js';

// ------------------------------------------------------------------------------------------
// Shapes as values
// ------------------------------------------------------------------------------------------

function intValue(dtype: DType, shape: Shape, vals: number[]): TensorValue {
  return makeValue(dtype, shape, vals);
}

const shapeOp: TfOpSemantics = {
  infer: (n, [x]) => {
    const dtype = typeAttrOr(n, 'out_type', 'int32');
    if (x.shape === null) return [{ dtype, shape: [-1] }];
    return [{ dtype, shape: [x.shape.length], value: isStatic(x.shape) ? intValue(dtype, [x.shape.length], x.shape) : null }];
  },
};

const shapeN: TfOpSemantics = {
  numOutputs: (n) => n.attrInt('N', 1),
  infer: (n, xs) => xs.map((x) => (shapeOp.infer(n, [x]) as InferOutput[])[0]),
};

const size: TfOpSemantics = {
  infer: (n, [x]) => {
    const dtype = typeAttrOr(n, 'out_type', 'int32');
    return [{ dtype, shape: [], value: isStatic(x.shape) ? intValue(dtype, [], [numElements(x.shape)]) : null }];
  },
};

const rank: TfOpSemantics = {
  infer: (_n, [x]) => [{ dtype: 'int32', shape: [], value: x.shape ? intValue('int32', [], [x.shape.length]) : null }],
};

// ------------------------------------------------------------------------------------------
// Identity-like
// ------------------------------------------------------------------------------------------

const identity: TfOpSemantics = {
  infer: (_n, [x]) => [{ dtype: x.dtype, shape: sameShape(x.shape) }],
  evaluate: (_n, [x]) => [x],
};

const identityN: TfOpSemantics = {
  numOutputs: (n) => Math.max(n.attrTypes('T').length, 1),
  infer: (_n, xs) => xs.map((x) => ({ dtype: x.dtype, shape: sameShape(x.shape) })),
  evaluate: (_n, xs) => xs,
};

const ensureShape: TfOpSemantics = {
  infer: (n, [x]) => {
    const a = n.attrs.shape;
    const want = a?.value === 'shape' && a.shape && !a.shape.unknown_rank ? a.shape.dim.map((d) => d.size) : null;
    if (want === null || x.shape === null) return [{ dtype: x.dtype, shape: sameShape(x.shape ?? want) }];
    if (want.length !== x.shape.length) throw fail(n, `shape ${fmt(x.shape)} is not compatible with the required ${fmt(want)}`);
    const s = x.shape as Shape;
    return [{ dtype: x.dtype, shape: want.map((d, i) => mergeDim(n, s[i], d, `shape ${fmt(s)} is not compatible with the required ${fmt(want)} in dim ${i}`)) }];
  },
  evaluate: (_n, [x]) => [x],
};

// ------------------------------------------------------------------------------------------
// Reshape family
// ------------------------------------------------------------------------------------------

function reshapeTarget(n: Node, x: Shape | null, target: number[]): Shape {
  let unknownAt = -1;
  let known = 1;
  target.forEach((d, i) => {
    if (d === -1) {
      if (unknownAt >= 0) throw fail(n, `only one input size may be -1, not both ${unknownAt} and ${i}`);
      unknownAt = i;
    } else if (d < 0) {
      throw fail(n, `size ${i} must be non-negative, not ${d}`);
    } else {
      known *= d;
    }
  });
  const out = target.slice();
  if (!isStatic(x)) return out;
  const total = numElements(x);
  if (unknownAt >= 0) {
    if (known === 0) {
      if (total === 0) throw fail(n, `cannot infer the missing size for an empty tensor ${fmt(x)} unless all specified sizes are non-zero`);
      throw fail(n, `cannot reshape a tensor with ${total} elements to shape ${fmt(target)}`);
    }
    if (total % known !== 0) throw fail(n, `cannot reshape a tensor with ${total} elements to shape ${fmt(target)}`);
    out[unknownAt] = total / known;
  } else if (known !== total) {
    throw fail(n, `cannot reshape a tensor with ${total} elements to shape ${fmt(target)} (${known} elements)`);
  }
  return out;
}

const reshape: TfOpSemantics = {
  infer: (n, [x, s]) => {
    const target = knownInts(s);
    if (target === null) {
      const len = s.shape?.length === 1 ? s.shape[0] : -1;
      return [{ dtype: x.dtype, shape: len >= 0 ? new Array<number>(len).fill(-1) : null }];
    }
    return [{ dtype: x.dtype, shape: reshapeTarget(n, x.shape, target) }];
  },
  evaluate: (n, [x, s]) => [reshapeValue(x, reshapeTarget(n, x.shape, ints(s)))],
};

function squeezeShape(n: Node, x: Shape | null): Shape | null {
  if (x === null) return null;
  const dims = n.attrInts('squeeze_dims', []).map((d) => axisIn(n, d, x.length, 'squeeze dimension'));
  const out: Shape = [];
  for (let i = 0; i < x.length; i++) {
    const explicit = dims.includes(i);
    const d = x[i];
    if (d === -1) {
      if (explicit) continue;
      if (dims.length === 0) return null;
    } else if (d === 1) {
      if (explicit || dims.length === 0) continue;
    } else if (explicit) {
      throw fail(n, `cannot squeeze dim[${i}] of ${fmt(x)}: expected a dimension of 1, got ${d}`);
    }
    out.push(d);
  }
  return out;
}

const squeeze: TfOpSemantics = {
  infer: (n, [x]) => [{ dtype: x.dtype, shape: squeezeShape(n, x.shape) }],
  evaluate: (n, [x]) => [reshapeValue(x, squeezeShape(n, x.shape) as Shape)],
};

function expandDimsShape(n: Node, x: Shape | null, dim: number | null): Shape | null {
  if (x === null) return null;
  if (dim === null) return null;
  const r = x.length;
  if (dim < -r - 1 || dim > r) throw fail(n, `dim ${dim} is out of range [${-r - 1}, ${r}] for input ${fmt(x)}`);
  const at = dim < 0 ? dim + r + 1 : dim;
  return [...x.slice(0, at), 1, ...x.slice(at)];
}

const expandDims: TfOpSemantics = {
  infer: (n, [x, d]) => [{ dtype: x.dtype, shape: expandDimsShape(n, x.shape, knownScalar(n, d, 'dim')) }],
  evaluate: (n, [x, d]) => [reshapeValue(x, expandDimsShape(n, x.shape, ints(d)[0]) as Shape)],
};

// ------------------------------------------------------------------------------------------
// Transpose, concat, pack/unpack, split
// ------------------------------------------------------------------------------------------

function checkPerm(n: Node, perm: number[], r: number): void {
  if (perm.length !== r) throw fail(n, `perm ${fmt(perm)} must have one entry per input dimension (rank ${r})`);
  const seen = new Set<number>();
  for (const p of perm) {
    if (p < 0 || p >= r) throw fail(n, `perm entry ${p} is out of range [0, ${r})`);
    if (seen.has(p)) throw fail(n, `perm entry ${p} appears more than once`);
    seen.add(p);
  }
}

const transpose: TfOpSemantics = {
  infer: (n, [x, p]) => {
    const perm = knownInts(p);
    const r = x.shape?.length ?? (p.shape?.length === 1 ? p.shape[0] : -1);
    if (perm === null) return [{ dtype: x.dtype, shape: r >= 0 ? new Array<number>(r).fill(-1) : null }];
    if (x.shape === null) return [{ dtype: x.dtype, shape: new Array<number>(perm.length).fill(-1) }];
    checkPerm(n, perm, x.shape.length);
    const s = x.shape;
    return [{ dtype: x.dtype, shape: perm.map((i) => s[i]) }];
  },
  evaluate: (_n, [x, p]) => [transposeValue(x, ints(p))],
};

function concatShape(n: Node, xs: InferInput[], axisValue: number | null): Shape | null {
  const known = xs.map((x) => x.shape).filter((s): s is Shape => s !== null);
  if (known.length === 0) return null;
  const r = known[0].length;
  if (r === 0) throw fail(n, "can't concatenate scalars (use Pack/tf.stack instead)");
  for (const s of known) if (s.length !== r) throw fail(n, `all inputs must have the same rank: ${fmt(known[0])} vs ${fmt(s)}`);
  if (axisValue === null) return new Array<number>(r).fill(-1);
  const axis = axisIn(n, axisValue, r, 'concat axis');
  const out = new Array<number>(r).fill(-1);
  let sum = 0;
  let sumKnown = known.length === xs.length;
  for (const s of known) {
    for (let d = 0; d < r; d++) {
      if (d === axis) continue;
      out[d] = mergeDim(n, out[d], s[d], `dimension ${d} of the inputs must match except along axis ${axis}; got ${fmt(known[0])} and ${fmt(s)}`);
    }
    if (s[axis] < 0) sumKnown = false;
    else sum += s[axis];
  }
  out[axis] = sumKnown ? sum : -1;
  return out;
}

function concatOp(axisFirst: boolean): TfOpSemantics {
  const split = <T>(xs: T[]): { values: T[]; axis: T } =>
    axisFirst ? { axis: xs[0], values: xs.slice(1) } : { axis: xs[xs.length - 1], values: xs.slice(0, -1) };
  return {
    infer: (n, xs) => {
      const { values, axis } = split(xs);
      if (values.length === 0) throw fail(n, 'needs at least one value input');
      return [{ dtype: values[0].dtype, shape: concatShape(n, values, knownScalar(n, axis, 'axis')) }];
    },
    evaluate: (n, xs) => {
      const { values, axis } = split(xs);
      const shape = concatShape(n, values.map((v) => ({ dtype: v.dtype, shape: v.shape, value: v })), ints(axis)[0]) as Shape;
      const a = axisIn(n, ints(axis)[0], shape.length);
      return [concatValues(values, a, shape)];
    },
  };
}

function packShape(n: Node, xs: InferInput[]): { shape: Shape | null; axis: number } {
  let base: Shape | null = null;
  for (const x of xs) {
    if (x.shape === null) continue;
    if (base === null) base = x.shape.slice();
    else {
      if (x.shape.length !== base.length) throw fail(n, `all inputs must have the same shape: ${fmt(base)} vs ${fmt(x.shape)}`);
      const b: Shape = base;
      base = b.map((d, i) => mergeDim(n, d, (x.shape as Shape)[i], `all inputs must have the same shape: ${fmt(b)} vs ${fmt(x.shape)}`));
    }
  }
  const a = n.attrInt('axis', 0);
  if (base === null) return { shape: null, axis: a };
  const r = base.length + 1;
  if (a < -r || a >= r) throw fail(n, `axis ${a} is out of range [${-r}, ${r})`);
  const axis = a < 0 ? a + r : a;
  return { shape: [...base.slice(0, axis), xs.length, ...base.slice(axis)], axis };
}

const pack: TfOpSemantics = {
  infer: (n, xs) => [{ dtype: xs[0].dtype, shape: packShape(n, xs).shape }],
  evaluate: (n, xs) => {
    const { shape, axis } = packShape(n, xs.map((v) => ({ dtype: v.dtype, shape: v.shape, value: v })));
    const s = shape as Shape;
    const parts = xs.map((v) => reshapeValue(v, [...v.shape.slice(0, axis), 1, ...v.shape.slice(axis)]));
    return [concatValues(parts, axis, s)];
  },
};

/** Slice of `v` starting at `begin` with `size` per dimension (all in range). */
export function sliceValue(v: TensorValue, begin: number[], sizeOut: number[], stride?: number[]): TensorValue {
  const st = strides(v.shape);
  const tables = sizeOut.map((len, d) => affineTable(len, st[d] * (stride ? stride[d] : 1), begin[d] * st[d]));
  return takeElements(v, sizeOut, dimGather(sizeOut, tables));
}

const unpack: TfOpSemantics = {
  numOutputs: (n) => n.attrInt('num'),
  infer: (n, [x]) => {
    const num = n.attrInt('num');
    if (x.shape === null) return new Array(num).fill(0).map(() => ({ dtype: x.dtype, shape: null }));
    const axis = axisIn(n, n.attrInt('axis', 0), x.shape.length);
    const d = x.shape[axis];
    if (d !== -1 && d !== num) throw fail(n, `dimension ${axis} of ${fmt(x.shape)} must be num=${num}`);
    const s = [...x.shape.slice(0, axis), ...x.shape.slice(axis + 1)];
    return new Array(num).fill(0).map(() => ({ dtype: x.dtype, shape: s.slice() }));
  },
  evaluate: (n, [x]) => {
    const axis = axisIn(n, n.attrInt('axis', 0), x.shape.length);
    const out: TensorValue[] = [];
    const sizeOut = x.shape.slice();
    sizeOut[axis] = 1;
    const s = [...x.shape.slice(0, axis), ...x.shape.slice(axis + 1)];
    for (let i = 0; i < x.shape[axis]; i++) {
      const begin = new Array<number>(x.shape.length).fill(0);
      begin[axis] = i;
      out.push(reshapeValue(sliceValue(x, begin, sizeOut), s.slice()));
    }
    return out;
  },
};

/** Sizes of the pieces along the axis, with TF's checks. */
function splitSizes(n: Node, dim: number, numSplit: number, sizes: number[] | null): number[] {
  if (sizes === null) {
    if (dim === -1) return new Array<number>(numSplit).fill(-1);
    if (dim % numSplit !== 0) {
      throw fail(n, `number of ways to split should evenly divide the split dimension, but got split dimension size ${dim} and num_split ${numSplit}`);
    }
    return new Array<number>(numSplit).fill(dim / numSplit);
  }
  if (sizes.length !== numSplit) throw fail(n, `size_splits has ${sizes.length} entries but num_split is ${numSplit}`);
  let unknownAt = -1;
  let sum = 0;
  sizes.forEach((s, i) => {
    if (s === -1) {
      if (unknownAt >= 0) throw fail(n, 'there can only be one -1 in size_splits');
      unknownAt = i;
    } else if (s < 0) {
      throw fail(n, `size_splits entry ${i} is ${s}; sizes must be non-negative (or one -1)`);
    } else {
      sum += s;
    }
  });
  const out = sizes.slice();
  if (dim === -1) return out;
  if (unknownAt >= 0) {
    if (sum > dim) throw fail(n, `size_splits ${fmt(sizes)} add up to more than the split dimension size ${dim}`);
    out[unknownAt] = dim - sum;
  } else if (sum !== dim) {
    throw fail(n, `size_splits ${fmt(sizes)} must add up to the split dimension size ${dim}`);
  }
  return out;
}

function splitInfer(n: Node, x: InferInput, axisValue: number | null, numSplit: number, sizes: number[] | null): InferOutput[] {
  if (x.shape === null) return new Array(numSplit).fill(0).map(() => ({ dtype: x.dtype, shape: null }));
  if (axisValue === null) return new Array(numSplit).fill(0).map(() => ({ dtype: x.dtype, shape: new Array<number>((x.shape as Shape).length).fill(-1) }));
  const axis = axisIn(n, axisValue, x.shape.length, 'split dimension');
  const pieces = splitSizes(n, x.shape[axis], numSplit, sizes);
  return pieces.map((p) => {
    const s = (x.shape as Shape).slice();
    s[axis] = p;
    return { dtype: x.dtype, shape: s };
  });
}

function splitEval(n: Node, x: TensorValue, axisValue: number, numSplit: number, sizes: number[] | null): TensorValue[] {
  const axis = axisIn(n, axisValue, x.shape.length, 'split dimension');
  const pieces = splitSizes(n, x.shape[axis], numSplit, sizes);
  let at = 0;
  return pieces.map((p) => {
    const begin = new Array<number>(x.shape.length).fill(0);
    begin[axis] = at;
    at += p;
    const s = x.shape.slice();
    s[axis] = p;
    return sliceValue(x, begin, s);
  });
}

const split: TfOpSemantics = {
  numOutputs: (n) => n.attrInt('num_split'),
  infer: (n, [a, x]) => splitInfer(n, x, knownScalar(n, a, 'split dimension'), n.attrInt('num_split'), null),
  evaluate: (n, [a, x]) => splitEval(n, x, ints(a)[0], n.attrInt('num_split'), null),
};

const splitV: TfOpSemantics = {
  numOutputs: (n) => n.attrInt('num_split'),
  infer: (n, [x, s, a]) => {
    const sizes = knownInts(s);
    const ns = n.attrInt('num_split');
    if (sizes === null && x.shape !== null) {
      // Sizes unknown: only the rank is known.
      return new Array(ns).fill(0).map(() => ({ dtype: x.dtype, shape: new Array<number>((x.shape as Shape).length).fill(-1) }));
    }
    return splitInfer(n, x, knownScalar(n, a, 'split dimension'), ns, sizes);
  },
  evaluate: (n, [x, s, a]) => splitEval(n, x, ints(a)[0], n.attrInt('num_split'), ints(s)),
};

// ------------------------------------------------------------------------------------------
// Slice and StridedSlice
// ------------------------------------------------------------------------------------------

function sliceShape(n: Node, x: Shape | null, begin: number[] | null, sz: number[] | null): Shape | null {
  const r = x?.length ?? begin?.length ?? sz?.length ?? -1;
  if (r < 0) return null;
  if (begin && begin.length !== r) throw fail(n, `begin ${fmt(begin)} must have one entry per input dimension (rank ${r})`);
  if (sz && sz.length !== r) throw fail(n, `size ${fmt(sz)} must have one entry per input dimension (rank ${r})`);
  const out: Shape = [];
  for (let i = 0; i < r; i++) {
    const d = x ? x[i] : -1;
    const b = begin ? begin[i] : -1;
    const s = sz ? sz[i] : -1;
    if (begin && b < 0) throw fail(n, `begin[${i}] = ${b} must be non-negative`);
    if (sz && s < -1) throw fail(n, `size[${i}] = ${s} must be non-negative or -1`);
    if (s >= 0) {
      if (d >= 0 && b >= 0 && b + s > d) throw fail(n, `expected begin[${i}] + size[${i}] (${b} + ${s}) <= input dimension ${d}`);
      out.push(s);
    } else if (s === -1 && d >= 0 && b >= 0) {
      if (b > d) throw fail(n, `expected begin[${i}] = ${b} <= input dimension ${d}`);
      out.push(d - b);
    } else {
      out.push(-1);
    }
  }
  return out;
}

const slice: TfOpSemantics = {
  infer: (n, [x, b, s]) => [{ dtype: x.dtype, shape: sliceShape(n, x.shape, knownInts(b), knownInts(s)) }],
  evaluate: (n, [x, b, s]) => {
    const begin = ints(b);
    const shape = sliceShape(n, x.shape, begin, ints(s)) as Shape;
    return [sliceValue(x, begin, shape)];
  },
};

interface StridedPlan {
  /** Shape of the strided view over every input dimension. */
  processing: Shape;
  final: Shape;
  begin: number[];
  strides: number[];
}

/** TensorFlow's ValidateStridedSliceOp (util/strided_slice_op.cc), step for step. */
export function stridedSlicePlan(
  n: Node,
  input: Shape,
  beginIn: number[] | null,
  endIn: number[] | null,
  stridesIn: number[],
  masks: { begin: number; end: number; ellipsis: number; newAxis: number; shrink: number },
): StridedPlan {
  const sparseDims0 = stridesIn.length;
  if ((beginIn && beginIn.length !== sparseDims0) || (endIn && endIn.length !== sparseDims0) || sparseDims0 >= 32) {
    throw fail(n, `expected begin, end and strides to be 1-D tensors of equal size (< 32), got ${beginIn?.length}, ${endIn?.length} and ${sparseDims0}`);
  }
  if (masks.ellipsis & (masks.ellipsis - 1)) throw fail(n, 'multiple ellipses in the slice spec are not allowed');
  let ellipsisMask = masks.ellipsis;
  let sparseDims = sparseDims0;
  let numAddAxisAfterEllipsis = 0;
  let ellipsisSeen = false;
  for (let i = 0; i < sparseDims; i++) {
    if (ellipsisSeen && (1 << i) & masks.newAxis) numAddAxisAfterEllipsis++;
    if ((1 << i) & ellipsisMask) ellipsisSeen = true;
  }
  if (!ellipsisSeen) {
    ellipsisMask |= 1 << sparseDims;
    sparseDims++;
  }
  // Dense spec.
  const dims = input.length;
  const begin = new Array<number>(dims).fill(0);
  const end = new Array<number>(dims).fill(0);
  const stride = new Array<number>(dims).fill(1);
  let beginMask = 0;
  let endMask = 0;
  let shrinkMask = 0;
  const NEW_AXIS = -2;
  const SHRINK = -1;
  const gather: number[] = [];
  let full = 0;
  for (let i = 0; i < sparseDims; i++) {
    if ((1 << i) & ellipsisMask) {
      const next = Math.min(dims - (sparseDims - i) + 1 + numAddAxisAfterEllipsis, dims);
      for (; full < next; full++) {
        begin[full] = end[full] = 0;
        stride[full] = 1;
        beginMask |= 1 << full;
        endMask |= 1 << full;
        gather.push(full);
      }
    } else if ((1 << i) & masks.newAxis) {
      gather.push(NEW_AXIS);
    } else {
      if (full === dims) throw fail(n, `index out of range using input dim ${full}; input ${fmt(input)} has only ${dims} dims`);
      if (beginIn) begin[full] = beginIn[i];
      if (endIn) end[full] = endIn[i];
      stride[full] = stridesIn[i];
      if (masks.begin & (1 << i)) beginMask |= 1 << full;
      if (masks.end & (1 << i)) endMask |= 1 << full;
      if (masks.shrink & (1 << i)) {
        gather.push(SHRINK);
        shrinkMask |= 1 << full;
      } else {
        gather.push(full);
      }
      full++;
    }
  }
  // Canonical begin/end and the processing shape.
  const processing: Shape = [];
  const known = beginIn !== null && endIn !== null;
  for (let i = 0; i < dims; i++) {
    const s = stride[i];
    const d = input[i];
    if (s === 0) throw fail(n, `strides[${i}] must be non-zero`);
    const shrinkI = (shrinkMask & (1 << i)) !== 0;
    if (d === -1) {
      processing.push(shrinkI ? 1 : -1);
      continue;
    }
    const bm = (beginMask & (1 << i)) !== 0;
    const em = (endMask & (1 << i)) !== 0;
    const lo = s > 0 ? 0 : -1;
    const hi = s > 0 ? d : d - 1;
    const canonical = (x: number, c: 0 | 1): number => {
      const masked = c === 0 ? bm : em;
      if (masked) return s > 0 ? (c === 0 ? lo : hi) : c === 0 ? hi : lo;
      const fwd = x < 0 ? d + x : x;
      return fwd < lo ? lo : fwd > hi ? hi : fwd;
    };
    if (shrinkI && s <= 0) throw fail(n, 'only stride 1 is allowed on non-range indexing (shrink_axis_mask)');
    let interval: number | null = null;
    if (known) {
      if (shrinkI) {
        const fwd = begin[i] < 0 ? d + begin[i] : begin[i];
        begin[i] = fwd;
        end[i] = fwd + 1;
        if (fwd < 0 || fwd >= d) throw fail(n, `slice index ${fwd} of dimension ${i} is out of bounds for ${fmt(input)}`);
      } else {
        begin[i] = canonical(begin[i], 0);
        end[i] = canonical(end[i], 1);
      }
      interval = end[i] - begin[i];
    } else if (shrinkI) {
      interval = 1;
    } else if (bm && em && d > 0) {
      interval = s < 0 ? -d : d;
    }
    if (interval === null) processing.push(-1);
    else if (interval === 0 || interval < 0 !== s < 0) processing.push(0);
    else processing.push(Math.trunc(interval / s) + (interval % s !== 0 ? 1 : 0));
  }
  const final: Shape = [];
  for (const g of gather) {
    if (g >= 0) final.push(processing[g]);
    else if (g === NEW_AXIS) final.push(1);
  }
  return { processing, final, begin, strides: stride };
}

function stridedMasks(n: Node): { begin: number; end: number; ellipsis: number; newAxis: number; shrink: number } {
  return {
    begin: n.attrInt('begin_mask', 0),
    end: n.attrInt('end_mask', 0),
    ellipsis: n.attrInt('ellipsis_mask', 0),
    newAxis: n.attrInt('new_axis_mask', 0),
    shrink: n.attrInt('shrink_axis_mask', 0),
  };
}

const stridedSlice: TfOpSemantics = {
  infer: (n, [x, b, e, s]) => {
    const st = knownInts(s);
    if (x.shape === null || st === null) return [{ dtype: x.dtype, shape: null }];
    return [{ dtype: x.dtype, shape: stridedSlicePlan(n, x.shape, knownInts(b), knownInts(e), st, stridedMasks(n)).final }];
  },
  evaluate: (n, [x, b, e, s]) => {
    const plan = stridedSlicePlan(n, x.shape, ints(b), ints(e), ints(s), stridedMasks(n));
    return [reshapeValue(sliceValue(x, plan.begin, plan.processing, plan.strides), plan.final)];
  },
};

// ------------------------------------------------------------------------------------------
// Pad, Tile, Reverse, BroadcastTo
// ------------------------------------------------------------------------------------------

function paddingPairs(n: Node, x: Shape | null, p: InferInput | TensorValue, what = 'paddings'): number[][] | null {
  const v = 'data' in p ? ints(p) : knownInts(p);
  if (v === null) return null;
  const r = v.length / 2;
  if (!Number.isInteger(r) || (x !== null && r !== x.length)) {
    throw fail(n, `${what} must be a matrix of shape [${x?.length ?? 'rank'},2], got ${v.length} values for input ${fmt(x)}`);
  }
  const pairs: number[][] = [];
  for (let i = 0; i < r; i++) pairs.push([v[2 * i], v[2 * i + 1]]);
  return pairs;
}

type PadMode = 'CONSTANT' | 'REFLECT' | 'SYMMETRIC';

function padShape(n: Node, x: Shape | null, pairs: number[][] | null, mode: PadMode): Shape | null {
  if (pairs === null) return x === null ? null : new Array<number>(x.length).fill(-1);
  return pairs.map(([a, b], i) => {
    if (a < 0 || b < 0) throw fail(n, `paddings must be non-negative, got ${a}, ${b} for dimension ${i}`);
    const d = x ? x[i] : -1;
    if (d >= 0 && mode !== 'CONSTANT') {
      const limit = mode === 'REFLECT' ? d - 1 : d;
      if (a > limit || b > limit) {
        throw fail(n, `paddings ${a}, ${b} of dimension ${i} must be no greater than ${limit} (size ${d}) in ${mode} mode`);
      }
    }
    return d < 0 ? -1 : a + d + b;
  });
}

function padValue(v: TensorValue, pairs: number[][], shape: Shape, mode: PadMode, fill: TensorValue | null): TensorValue {
  const st = strides(v.shape);
  const tables = shape.map((len, d) => {
    const t = new Float64Array(len);
    const size = v.shape[d];
    const before = pairs[d][0];
    for (let i = 0; i < len; i++) {
      let j = i - before;
      if (j < 0 || j >= size) {
        if (mode === 'CONSTANT') {
          t[i] = -Infinity;
          continue;
        }
        if (j < 0) j = mode === 'REFLECT' ? -j : -j - 1;
        else j = mode === 'REFLECT' ? 2 * (size - 1) - j : 2 * size - 1 - j;
      }
      t[i] = j * st[d];
    }
    return t;
  });
  return takeElements(v, shape, dimGather(shape, tables), fill);
}

function padOp(mode: 'CONSTANT' | 'MIRROR', withValue: boolean): TfOpSemantics {
  const modeOf = (n: Node): PadMode => {
    if (mode === 'CONSTANT') return 'CONSTANT';
    const m = n.attrString('mode');
    if (m !== 'REFLECT' && m !== 'SYMMETRIC') throw fail(n, `mode must be REFLECT or SYMMETRIC, got ${m}`);
    return m;
  };
  return {
    infer: (n, [x, p, c]) => {
      if (withValue && c?.shape && c.shape.length !== 0) throw fail(n, `constant_values must be a scalar, got ${fmt(c.shape)}`);
      return [{ dtype: x.dtype, shape: padShape(n, x.shape, paddingPairs(n, x.shape, p), modeOf(n)) }];
    },
    evaluate: (n, [x, p, c]) => {
      const pairs = paddingPairs(n, x.shape, p) as number[][];
      const m = modeOf(n);
      return [padValue(x, pairs, padShape(n, x.shape, pairs, m) as Shape, m, withValue ? c : null)];
    },
  };
}

function tileShape(n: Node, x: Shape | null, m: number[] | null, mLen: number): Shape | null {
  if (m === null) {
    const r = x?.length ?? mLen;
    return r >= 0 ? new Array<number>(r).fill(-1) : null;
  }
  if (x !== null && m.length !== x.length) throw fail(n, `multiples ${fmt(m)} must have one entry per input dimension ${fmt(x)}`);
  return m.map((k, i) => {
    if (k < 0) throw fail(n, `multiples[${i}] = ${k} must be non-negative`);
    const d = x ? x[i] : -1;
    return d < 0 ? -1 : d * k;
  });
}

const tile: TfOpSemantics = {
  infer: (n, [x, m]) => [{ dtype: x.dtype, shape: tileShape(n, x.shape, knownInts(m), m.shape?.length === 1 ? m.shape[0] : -1) }],
  evaluate: (n, [x, m]) => {
    const shape = tileShape(n, x.shape, ints(m), -1) as Shape;
    const st = strides(x.shape);
    const tables = shape.map((len, d) => {
      const t = new Float64Array(len);
      for (let i = 0; i < len; i++) t[i] = (i % x.shape[d]) * st[d];
      return t;
    });
    return [takeElements(x, shape, dimGather(shape, tables))];
  },
};

const reverseV2: TfOpSemantics = {
  infer: (n, [x, a]) => {
    const axes = knownInts(a);
    if (axes && x.shape) for (const ax of axes) axisIn(n, ax, x.shape.length);
    return [{ dtype: x.dtype, shape: sameShape(x.shape) }];
  },
  evaluate: (n, [x, a]) => {
    const axes = new Set(ints(a).map((ax) => axisIn(n, ax, x.shape.length)));
    const st = strides(x.shape);
    const tables = x.shape.map((len, d) => (axes.has(d) ? affineTable(len, -st[d], (len - 1) * st[d]) : affineTable(len, st[d])));
    return [takeElements(x, x.shape.slice(), dimGather(x.shape, tables))];
  },
};

/** Tables that read `v` broadcast to `shape` (size-1 and missing leading dimensions repeat). */
export function broadcastValue(v: TensorValue, shape: Shape): TensorValue {
  const pad = shape.length - v.shape.length;
  const inShape = [...new Array<number>(pad).fill(1), ...v.shape];
  const st = strides(inShape);
  const tables = shape.map((len, d) => affineTable(len, inShape[d] === 1 ? 0 : st[d]));
  return takeElements(v, shape, dimGather(shape, tables));
}

function broadcastToShape(n: Node, x: Shape | null, target: number[]): Shape {
  if (x === null) return target.slice();
  if (x.length > target.length) throw fail(n, `cannot broadcast ${fmt(x)} to ${fmt(target)}: the target has lower rank`);
  const pad = target.length - x.length;
  return target.map((t, i) => {
    const d = i < pad ? 1 : x[i - pad];
    if (t < 0) throw fail(n, `target shape ${fmt(target)} has a negative dimension`);
    if (d !== -1 && d !== 1 && d !== t) throw fail(n, `cannot broadcast ${fmt(x)} to ${fmt(target)}`);
    return t;
  });
}

const broadcastTo: TfOpSemantics = {
  infer: (n, [x, s]) => {
    const target = knownInts(s);
    if (target === null) return [{ dtype: x.dtype, shape: s.shape?.length === 1 && s.shape[0] >= 0 ? new Array<number>(s.shape[0]).fill(-1) : null }];
    return [{ dtype: x.dtype, shape: broadcastToShape(n, x.shape, target) }];
  },
  evaluate: (n, [x, s]) => [broadcastValue(x, broadcastToShape(n, x.shape, ints(s)))],
};

const broadcastArgs: TfOpSemantics = {
  infer: (n, [a, b]) => {
    const dtype = typeAttrOr(n, 'T', a.dtype);
    const va = knownInts(a);
    const vb = knownInts(b);
    if (va && vb) {
      const s = broadcastShapes(n, va, vb) as Shape;
      return [{ dtype, shape: [s.length], value: makeValue(dtype, [s.length], s) }];
    }
    const la = a.shape?.[0] ?? -1;
    const lb = b.shape?.[0] ?? -1;
    return [{ dtype, shape: [la >= 0 && lb >= 0 ? Math.max(la, lb) : -1] }];
  },
};

/** TF's BCast gradient reduction indices (util/bcast.cc). */
export function gradientReduceIndices(n: Node, sx: number[], sy: number[]): [number[], number[]] {
  if (sx.length === sy.length && sx.every((d, i) => d === sy[i])) return [[], []];
  const r = Math.max(sx.length, sy.length);
  const rx: number[] = [];
  const ry: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = i < r - sx.length ? 1 : sx[i - (r - sx.length)];
    const y = i < r - sy.length ? 1 : sy[i - (r - sy.length)];
    if (x === y) {
      if (x === 1) {
        rx.push(i);
        ry.push(i);
      }
    } else if (x === 1) rx.push(i);
    else if (y === 1) ry.push(i);
    else throw fail(n, `incompatible shapes: ${fmt(sx)} vs ${fmt(sy)}`);
  }
  return [rx, ry];
}

const broadcastGradientArgs: TfOpSemantics = {
  numOutputs: () => 2,
  infer: (n, [a, b]) => {
    const dtype = typeAttrOr(n, 'T', a.dtype);
    const va = knownInts(a);
    const vb = knownInts(b);
    if (!va || !vb) return [{ dtype, shape: [-1] }, { dtype, shape: [-1] }];
    const [rx, ry] = gradientReduceIndices(n, va, vb);
    return [
      { dtype, shape: [rx.length], value: makeValue(dtype, [rx.length], rx) },
      { dtype, shape: [ry.length], value: makeValue(dtype, [ry.length], ry) },
    ];
  },
};

// ------------------------------------------------------------------------------------------
// Gather
// ------------------------------------------------------------------------------------------

function gatherPlan(n: Node, params: Shape | null, indices: Shape | null, axisValue: number | null, batchDimsAttr: number) {
  if (params === null || indices === null || axisValue === null) return null;
  const axis = axisIn(n, axisValue, params.length);
  let batchDims = batchDimsAttr;
  if (batchDims < 0) batchDims += indices.length;
  if (batchDims < 0 || batchDims > indices.length) throw fail(n, `batch_dims ${batchDimsAttr} is out of range for indices ${fmt(indices)}`);
  if (batchDims > axis) throw fail(n, `batch_dims (${batchDims}) must be less than or equal to axis (${axis})`);
  for (let i = 0; i < batchDims; i++) {
    mergeDim(n, params[i], indices[i], `params ${fmt(params)} and indices ${fmt(indices)} must agree in batch dimension ${i}`);
  }
  const shape = [...params.slice(0, axis), ...indices.slice(batchDims), ...params.slice(axis + 1)];
  return { axis, batchDims, shape };
}

function gatherEval(n: Node, p: TensorValue, idx: TensorValue, axis: number, batchDims: number, shape: Shape): TensorValue {
  const iv = numbers(idx);
  const batch = numElements(p.shape.slice(0, batchDims));
  const outer = numElements(p.shape.slice(batchDims, axis));
  const g = p.shape[axis];
  const inner = numElements(p.shape.slice(axis + 1));
  const perBatch = numElements(idx.shape.slice(batchDims));
  const src = new Float64Array(numElements(shape));
  let k = 0;
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < perBatch; j++) {
        const at = iv[b * perBatch + j];
        if (!(at >= 0 && at < g)) throw fail(n, `indices[${b * perBatch + j}] = ${at} is not in [0, ${g})`);
        const base = ((b * outer + o) * g + at) * inner;
        for (let t = 0; t < inner; t++) src[k++] = base + t;
      }
    }
  }
  return takeElements(p, shape, src);
}

const gatherV2: TfOpSemantics = {
  infer: (n, [p, i, a]) => {
    const plan = gatherPlan(n, p.shape, i.shape, knownScalar(n, a, 'axis'), n.attrInt('batch_dims', 0));
    return [{ dtype: p.dtype, shape: plan ? plan.shape : null }];
  },
  evaluate: (n, [p, i, a]) => {
    const plan = gatherPlan(n, p.shape, i.shape, ints(a)[0], n.attrInt('batch_dims', 0));
    if (!plan) throw fail(n, 'cannot gather');
    return [gatherEval(n, p, i, plan.axis, plan.batchDims, plan.shape)];
  },
};

const gather: TfOpSemantics = {
  infer: (n, [p, i]) => {
    const plan = gatherPlan(n, p.shape, i.shape, 0, 0);
    return [{ dtype: p.dtype, shape: plan ? plan.shape : null }];
  },
  evaluate: (n, [p, i]) => [gatherEval(n, p, i, 0, 0, [...i.shape, ...p.shape.slice(1)])],
};

function gatherNdShape(n: Node, p: Shape | null, i: Shape | null): Shape | null {
  if (n.attrInt('batch_dims', 0) !== 0) throw fail(n, 'batch_dims other than 0 is not supported');
  if (p === null || i === null) return null;
  if (i.length < 1) throw fail(n, `indices must be at least a vector, got ${fmt(i)}`);
  const k = i[i.length - 1];
  if (k === -1) return null;
  if (k > p.length) throw fail(n, `index innermost dimension ${k} must be <= params rank ${p.length}`);
  return [...i.slice(0, -1), ...p.slice(k)];
}

const gatherNd: TfOpSemantics = {
  infer: (n, [p, i]) => [{ dtype: p.dtype, shape: gatherNdShape(n, p.shape, i.shape) }],
  evaluate: (n, [p, i]) => {
    const shape = gatherNdShape(n, p.shape, i.shape) as Shape;
    const k = i.shape[i.shape.length - 1];
    const iv = numbers(i);
    const st = strides(p.shape);
    const inner = numElements(p.shape.slice(k));
    const count = numElements(i.shape.slice(0, -1));
    const src = new Float64Array(count * inner);
    for (let c = 0; c < count; c++) {
      let base = 0;
      for (let d = 0; d < k; d++) {
        const at = iv[c * k + d];
        if (!(at >= 0 && at < p.shape[d])) throw fail(n, `indices[${c}] = ${fmt(Array.from(iv.subarray(c * k, c * k + k)))} does not index into params ${fmt(p.shape)}`);
        base += at * st[d];
      }
      for (let t = 0; t < inner; t++) src[c * inner + t] = base + t;
    }
    return [takeElements(p, shape, src)];
  },
};

// ------------------------------------------------------------------------------------------
// Creation: Fill, Range, LinSpace, ZerosLike, OnesLike, OneHot
// ------------------------------------------------------------------------------------------

function shapeFromDims(n: Node, dims: number[]): Shape {
  dims.forEach((d, i) => {
    if (d < 0) throw fail(n, `dims[${i}] = ${d} must be non-negative`);
  });
  return dims.slice();
}

const fill: TfOpSemantics = {
  infer: (n, [d, v]) => {
    if (v.shape && v.shape.length !== 0) throw fail(n, `value must be a scalar, got ${fmt(v.shape)}`);
    const dims = knownInts(d);
    if (dims === null) return [{ dtype: v.dtype, shape: d.shape?.length === 1 && d.shape[0] >= 0 ? new Array<number>(d.shape[0]).fill(-1) : null }];
    return [{ dtype: v.dtype, shape: shapeFromDims(n, dims) }];
  },
  evaluate: (n, [d, v]) => {
    const shape = shapeFromDims(n, ints(d));
    return [takeElements(v, shape, new Float64Array(numElements(shape)))];
  },
};

function rangeSize(n: Node, dtype: DType, start: number, limit: number, delta: number): number {
  if (delta === 0) throw fail(n, 'requires delta != 0');
  if (delta > 0 && start > limit) throw fail(n, `requires start <= limit when delta > 0: ${start}/${limit}`);
  if (delta < 0 && start < limit) throw fail(n, `requires start >= limit when delta < 0: ${start}/${limit}`);
  if (isInteger(dtype)) return Math.trunc((Math.abs(limit - start) + Math.abs(delta) - 1) / Math.abs(delta));
  const q = dtype === 'float32' ? Math.fround(Math.fround(limit - start) / delta) : (limit - start) / delta;
  return Math.ceil(Math.abs(q));
}

const range: TfOpSemantics = {
  infer: (n, [s, l, d]) => {
    const dtype = typeAttrOr(n, 'Tidx', s.dtype);
    const vs = knownInts(s);
    const vl = knownInts(l);
    const vd = knownInts(d);
    if (!vs || !vl || !vd) return [{ dtype, shape: [-1] }];
    return [{ dtype, shape: [rangeSize(n, dtype, vs[0], vl[0], vd[0])] }];
  },
  evaluate: (n, [s, l, d]) => {
    const dtype = typeAttrOr(n, 'Tidx', s.dtype);
    const start = numbers(s)[0];
    const delta = numbers(d)[0];
    const count = rangeSize(n, dtype, start, numbers(l)[0], delta);
    const out = new Float64Array(count);
    // TF accumulates `val += delta` in the element type, so float ranges drift as TF's do.
    const round = dtype === 'float32' ? Math.fround : (x: number) => x;
    let val = start;
    for (let i = 0; i < count; i++) {
      out[i] = val;
      val = round(val + delta);
    }
    return [makeValue(dtype, [count], out)];
  },
};

const linSpace: TfOpSemantics = {
  infer: (n, [s, _e, num]) => {
    const k = knownScalar(n, num, 'num');
    if (k !== null && k <= 0) throw fail(n, `requires num > 0: ${k}`);
    return [{ dtype: s.dtype, shape: [k ?? -1] }];
  },
  evaluate: (n, [s, e, num]) => {
    const k = ints(num)[0];
    const start = numbers(s)[0];
    const stop = numbers(e)[0];
    const r = s.dtype === 'float32' ? Math.fround : (x: number) => x;
    const step = r((stop - start) / (k - 1));
    const out = new Float64Array(k);
    out[0] = start;
    for (let i = 1; i < k - 1; i++) out[i] = r(start + r(step * i));
    if (k > 1) out[k - 1] = stop;
    return [makeValue(s.dtype, [k], out)];
  },
};

function likeOp(one: boolean): TfOpSemantics {
  return {
    infer: (_n, [x]) => [{ dtype: x.dtype, shape: sameShape(x.shape) }],
    evaluate: (n, [x]) => {
      if (x.dtype === 'string') throw fail(n, 'string tensors are not supported');
      const k = numElements(x.shape);
      return [makeValue(x.dtype, x.shape.slice(), new Float64Array(k).fill(one ? 1 : 0))];
    },
  };
}

function oneHotShape(n: Node, idx: Shape | null, depth: number | null): Shape | null {
  if (idx === null) return null;
  const axis = n.attrInt('axis', -1);
  const r = idx.length + 1;
  if (axis < -1 || axis >= r) throw fail(n, `axis ${axis} must be -1 or in [0, ${r})`);
  if (depth !== null && depth < 0) throw fail(n, `depth must be non-negative, got ${depth}`);
  const at = axis === -1 ? idx.length : axis;
  return [...idx.slice(0, at), depth ?? -1, ...idx.slice(at)];
}

const oneHot: TfOpSemantics = {
  infer: (n, [i, d, on]) => [{ dtype: on.dtype, shape: oneHotShape(n, i.shape, knownScalar(n, d, 'depth')) }],
  evaluate: (n, [i, d, on, off]) => {
    const depth = ints(d)[0];
    const shape = oneHotShape(n, i.shape, depth) as Shape;
    const axis = n.attrInt('axis', -1);
    const at = axis === -1 ? i.shape.length : axis;
    const iv = numbers(i);
    const outer = numElements(i.shape.slice(0, at));
    const inner = numElements(i.shape.slice(at));
    const src = new Float64Array(numElements(shape));
    // Source 0 = on_value, 1 = off_value, read from a two-element concatenation.
    let k = 0;
    for (let o = 0; o < outer; o++) for (let c = 0; c < depth; c++) for (let t = 0; t < inner; t++) src[k++] = iv[o * inner + t] === c ? 0 : 1;
    const both = concatValues([reshapeValue(on, [1]), reshapeValue(off, [1])], 0, [2]);
    return [takeElements(both, shape, src)];
  },
};

// ------------------------------------------------------------------------------------------
// Cast
// ------------------------------------------------------------------------------------------

const INT_BITS: Partial<Record<DType, { bits: number; signed: boolean }>> = {
  int8: { bits: 8, signed: true },
  int16: { bits: 16, signed: true },
  int32: { bits: 32, signed: true },
  int64: { bits: 64, signed: true },
  uint8: { bits: 8, signed: false },
  uint16: { bits: 16, signed: false },
  uint32: { bits: 32, signed: false },
  uint64: { bits: 64, signed: false },
};

/**
 * Float -> integer as TF's CPU kernels do (a C++ static_cast compiled for x86-64): truncation;
 * NaN and values outside the intermediate register's range give its minimum (0x80..0), whose
 * low bits are what narrower types keep. uint32 goes through a 64-bit conversion.
 */
function floatToIntBits(x: number, to: { bits: number; signed: boolean }): bigint {
  const t = Math.trunc(x);
  const wide = to.bits === 64 || (to.bits === 32 && !to.signed) ? 64 : 32;
  const lo = -(2 ** (wide - 1));
  const hi = 2 ** (wide - 1);
  const r = Number.isNaN(t) || t < lo || t >= hi ? BigInt(lo) : BigInt(t);
  return to.signed ? BigInt.asIntN(to.bits, r) : BigInt.asUintN(to.bits, r);
}

/** Mantissa bits TF's Cast(Truncate=true) clears before converting (cast_op.h LSBZeroSetter). */
const TRUNCATED_BITS: Record<string, number> = {
  'float64>float32': 29,
  'float64>float16': 42,
  'float32>float16': 13,
  'float32>bfloat16': 16,
};

const tf32 = new Float32Array(1);
const tu32 = new Uint32Array(tf32.buffer);
const tf64 = new Float64Array(1);
const tu64 = new BigUint64Array(tf64.buffer);

/** Clear the low `bits` bits of each (non-NaN) float32/float64 value, as LSBZeroSetter does. */
function clearLowBits(vals: Float64Array, bits: number, wide: boolean): Float64Array {
  const out = new Float64Array(vals.length);
  const mask64 = ((1n << 64n) - 1n) ^ ((1n << BigInt(bits)) - 1n);
  for (let i = 0; i < vals.length; i++) {
    const x = vals[i];
    if (Number.isNaN(x)) {
      out[i] = x;
    } else if (wide) {
      tf64[0] = x;
      tu64[0] &= mask64;
      out[i] = tf64[0];
    } else {
      tf32[0] = x;
      tu32[0] = (tu32[0] >>> bits) << bits;
      out[i] = tf32[0];
    }
  }
  return out;
}

export function castValue(n: Node, v: TensorValue, to: DType, truncate: boolean): TensorValue {
  if (v.dtype === to) return v;
  const clear = truncate ? TRUNCATED_BITS[`${v.dtype}>${to}`] : undefined;
  if (clear !== undefined) {
    return makeValue(to, v.shape.slice(), clearLowBits(numbers(v), clear, v.dtype === 'float64'));
  }
  const unsupported = (d: DType): boolean => d === 'string' || d === 'complex64' || d === 'complex128' || !INT_BITS[d] && !isFloat(d) && d !== 'bool';
  if (unsupported(v.dtype) || unsupported(to) || Array.isArray(v.data)) throw fail(n, `cannot cast ${v.dtype} to ${to}`);
  const count = numElements(v.shape);
  const src = v.data;
  const bigSrc = src instanceof BigInt64Array || src instanceof BigUint64Array;
  if (to === 'bool') {
    const out = new Uint8Array(count);
    const f = numbers(v);
    for (let i = 0; i < count; i++) out[i] = bigSrc ? +((src as BigInt64Array)[i] !== 0n) : +(f[i] !== 0);
    return { dtype: 'bool', shape: v.shape.slice(), data: out };
  }
  const intTo = INT_BITS[to];
  if (intTo) {
    const out = allocTyped(to, count);
    const fromFloat = isFloat(v.dtype);
    const f = bigSrc ? null : numbers(v);
    for (let i = 0; i < count; i++) {
      let b: bigint;
      if (bigSrc) b = BigInt((src as BigInt64Array)[i]);
      else if (fromFloat) b = floatToIntBits((f as Float64Array)[i], intTo);
      else b = BigInt((f as Float64Array)[i]);
      b = intTo.signed ? BigInt.asIntN(intTo.bits, b) : BigInt.asUintN(intTo.bits, b);
      if (out instanceof BigInt64Array || out instanceof BigUint64Array) out[i] = b;
      else (out as Int32Array)[i] = Number(b);
    }
    return { dtype: to, shape: v.shape.slice(), data: out };
  }
  if (isFloat(to)) return makeValue(to, v.shape.slice(), numbers(v));
  throw fail(n, `cannot cast ${v.dtype} to ${to}`);
}

const cast: TfOpSemantics = {
  infer: (n, [x]) => [{ dtype: typeAttr(n, 'DstT'), shape: sameShape(x.shape) }],
  evaluate: (n, [x]) => [castValue(n, x, typeAttr(n, 'DstT'), n.attrBool('Truncate', false))],
};

// ------------------------------------------------------------------------------------------
// Select, Where
// ------------------------------------------------------------------------------------------

function selectShape(n: Node, c: Shape | null, t: Shape | null, e: Shape | null): Shape | null {
  let out: Shape | null = t ?? e;
  if (t && e) {
    if (t.length !== e.length) throw fail(n, `then ${fmt(t)} and else ${fmt(e)} must have the same shape`);
    out = t.map((d, i) => mergeDim(n, d, e[i], `then ${fmt(t)} and else ${fmt(e)} must have the same shape`));
  }
  if (c && out) {
    const o = out;
    if (c.length === 0) return o;
    if (c.length === 1 && o.length > 1) {
      mergeDim(n, c[0], o[0], `a vector condition ${fmt(c)} must match the first dimension of ${fmt(o)}`);
      return o;
    }
    if (c.length !== o.length) throw fail(n, `condition ${fmt(c)} must be a scalar, a vector of the first dimension, or the shape of ${fmt(o)}`);
    out = o.map((d, i) => mergeDim(n, d, c[i], `condition ${fmt(c)} and values ${fmt(o)} must have the same shape`));
  }
  return out;
}

const select: TfOpSemantics = {
  infer: (n, [c, t, e]) => [{ dtype: t.dtype, shape: selectShape(n, c.shape, t.shape, e.shape) }],
  evaluate: (n, [c, t, e]) => {
    const shape = selectShape(n, c.shape, t.shape, e.shape) as Shape;
    const cv = numbers(c);
    const count = numElements(shape);
    const inner = c.shape.length === 1 && shape.length > 1 ? count / Math.max(shape[0], 1) : 1;
    const scalar = c.shape.length === 0;
    const src = new Float64Array(count);
    for (let k = 0; k < count; k++) {
      const take = scalar ? cv[0] : inner > 1 ? cv[Math.floor(k / inner)] : cv[k];
      src[k] = take ? k : count + k;
    }
    const both = concatValues([reshapeValue(t, [count]), reshapeValue(e, [count])], 0, [2 * count]);
    return [takeElements(both, shape, src)];
  },
};

const selectV2: TfOpSemantics = {
  infer: (n, [c, t, e]) => [{ dtype: t.dtype, shape: broadcastShapes(n, c.shape, broadcastShapes(n, t.shape, e.shape)) }],
  evaluate: (n, [c, t, e]) => {
    const shape = broadcastShapes(n, c.shape, broadcastShapes(n, t.shape, e.shape)) as Shape;
    const count = numElements(shape);
    const cb = numbers(broadcastValue(c, shape));
    const src = new Float64Array(count);
    for (let k = 0; k < count; k++) src[k] = cb[k] ? k : count + k;
    const both = concatValues([reshapeValue(broadcastValue(t, shape), [count]), reshapeValue(broadcastValue(e, shape), [count])], 0, [2 * count]);
    return [takeElements(both, shape, src)];
  },
};

function whereCoords(x: TensorValue): number[] {
  const f = numbers(x);
  const st = strides(x.shape);
  const out: number[] = [];
  for (let k = 0; k < f.length; k++) {
    if (!f[k]) continue;
    let rem = k;
    for (const s of st) {
      const q = Math.floor(rem / s);
      out.push(q);
      rem -= q * s;
    }
  }
  return out;
}

const where: TfOpSemantics = {
  infer: (_n, [x]) => {
    if (x.shape === null) return [{ dtype: 'int64', shape: null }];
    // How many elements are true is only known from a known value.
    const rows = x.value ? numbers(x.value).reduce((c, e) => c + (e ? 1 : 0), 0) : -1;
    return [{ dtype: 'int64', shape: [rows, x.shape.length] }];
  },
  evaluate: (_n, [x]) => {
    const coords = whereCoords(x);
    const rows = numbers(x).reduce((c, e) => c + (e ? 1 : 0), 0);
    return [makeValue('int64', [rows, x.shape.length], coords)];
  },
};

// ------------------------------------------------------------------------------------------
// Resize, space <-> batch / depth
// ------------------------------------------------------------------------------------------

function resizeOp(keepType: boolean): TfOpSemantics {
  return {
    infer: (n, [img, s]) => {
      const dtype: DType = keepType ? img.dtype : 'float32';
      const size = knownInts(s);
      if (size && size.length !== 2) throw fail(n, `size must have 2 elements (new height, new width), got ${size.length}`);
      if (size && size.some((d) => d <= 0)) throw fail(n, `size ${fmt(size)} must be positive`);
      if (img.shape === null) return [{ dtype, shape: [-1, size?.[0] ?? -1, size?.[1] ?? -1, -1] }];
      if (img.shape.length !== 4) throw fail(n, `images must be 4-D [batch, height, width, channels], got ${fmt(img.shape)}`);
      return [{ dtype, shape: [img.shape[0], size?.[0] ?? -1, size?.[1] ?? -1, img.shape[3]] }];
    },
  };
}

function blockPairs(n: Node, x: Shape | null, block: number[] | null, pairs: number[][] | null, toBatch: boolean): Shape | null {
  if (x === null || block === null) return null;
  const m = block.length;
  if (x.length < m + 1) throw fail(n, `input ${fmt(x)} must have rank at least ${m + 1} for block_shape ${fmt(block)}`);
  if (block.some((b) => b < 1)) throw fail(n, `block_shape ${fmt(block)} must be positive`);
  const prod = block.reduce((a, b) => a * b, 1);
  const out = x.slice();
  if (toBatch) out[0] = x[0] < 0 ? -1 : x[0] * prod;
  else {
    if (x[0] >= 0 && x[0] % prod !== 0) throw fail(n, `input batch ${x[0]} must be divisible by the product of block_shape ${fmt(block)}`);
    out[0] = x[0] < 0 ? -1 : x[0] / prod;
  }
  for (let i = 0; i < m; i++) {
    const d = x[i + 1];
    const [a, b] = pairs ? pairs[i] : [-1, -1];
    if (pairs && (a < 0 || b < 0)) throw fail(n, `${toBatch ? 'paddings' : 'crops'} must be non-negative`);
    if (d < 0 || !pairs) {
      out[i + 1] = -1;
      continue;
    }
    if (toBatch) {
      const padded = d + a + b;
      if (padded % block[i] !== 0) throw fail(n, `padded spatial dimension ${i} (${padded}) must be divisible by block size ${block[i]}`);
      out[i + 1] = padded / block[i];
    } else {
      const full = d * block[i];
      if (a + b > full) throw fail(n, `crops ${a}+${b} are larger than dimension ${i} (${full})`);
      out[i + 1] = full - a - b;
    }
  }
  return out;
}

function spaceBatchOp(toBatch: boolean): TfOpSemantics {
  return {
    infer: (n, [x, b, p]) => {
      const block = knownInts(b);
      const pairs = block ? paddingPairs(n, null, p, toBatch ? 'paddings' : 'crops') : null;
      if (pairs && block && pairs.length !== block.length) throw fail(n, `${toBatch ? 'paddings' : 'crops'} must be [${block.length},2]`);
      return [{ dtype: x.dtype, shape: blockPairs(n, x.shape, block, pairs, toBatch) }];
    },
  };
}

function depthSpaceOp(toDepth: boolean): TfOpSemantics {
  return {
    infer: (n, [x]) => {
      const bs = n.attrInt('block_size');
      if (bs < 2) throw fail(n, `block_size must be at least 2, got ${bs}`);
      if (n.attrString('data_format', 'NHWC') !== 'NHWC') throw fail(n, 'only data_format NHWC is supported');
      if (x.shape === null) return [{ dtype: x.dtype, shape: null }];
      if (x.shape.length !== 4) throw fail(n, `input must be 4-D, got ${fmt(x.shape)}`);
      const [b, h, w, c] = x.shape;
      const k = (d: number, f: (d: number) => number): number => (d < 0 ? -1 : f(d));
      if (toDepth) {
        if ((h >= 0 && h % bs) || (w >= 0 && w % bs)) throw fail(n, `height and width of ${fmt(x.shape)} must be divisible by block_size ${bs}`);
        return [{ dtype: x.dtype, shape: [b, k(h, (d) => d / bs), k(w, (d) => d / bs), k(c, (d) => d * bs * bs)] }];
      }
      if (c >= 0 && c % (bs * bs)) throw fail(n, `depth ${c} must be divisible by block_size squared (${bs * bs})`);
      return [{ dtype: x.dtype, shape: [b, k(h, (d) => d * bs), k(w, (d) => d * bs), k(c, (d) => d / (bs * bs))] }];
    },
  };
}

// ------------------------------------------------------------------------------------------
// DynamicStitch, InvertPermutation
// ------------------------------------------------------------------------------------------

function stitchParts<T extends { shape: Shape | null }>(n: Node, xs: T[]): { indices: T[]; data: T[] } {
  const k = n.attrInt('N', xs.length / 2);
  if (xs.length !== 2 * k) throw fail(n, `expects ${2 * k} inputs (N indices and N data), got ${xs.length}`);
  return { indices: xs.slice(0, k), data: xs.slice(k) };
}

const dynamicStitch: TfOpSemantics = {
  infer: (n, xs) => {
    const { indices, data } = stitchParts(n, xs);
    const d0 = data[0];
    const i0 = indices[0];
    const inner = d0.shape && i0.shape ? d0.shape.slice(i0.shape.length) : null;
    let max = -1;
    for (const i of indices) {
      const v = knownInts(i);
      if (v === null) return [{ dtype: d0.dtype, shape: inner ? [-1, ...inner] : null }];
      for (const x of v) max = Math.max(max, x);
    }
    return [{ dtype: d0.dtype, shape: inner ? [max + 1, ...inner] : null }];
  },
  evaluate: (n, xs) => {
    const { indices, data } = stitchParts(n, xs);
    const innerShape = data[0].shape.slice(indices[0].shape.length);
    const inner = numElements(innerShape);
    let max = -1;
    for (const i of indices) for (const x of numbers(i)) max = Math.max(max, x);
    // Later pieces win on duplicate indices, as in TF's kernel.
    const pick = new Float64Array((max + 1) * inner).fill(-Infinity);
    let offset = 0;
    const flat: TensorValue[] = [];
    indices.forEach((iv, p) => {
      const idx = numbers(iv);
      const d = data[p];
      idx.forEach((at, j) => {
        if (at < 0) throw fail(n, `index ${at} is negative`);
        for (let t = 0; t < inner; t++) pick[at * inner + t] = offset + j * inner + t;
      });
      offset += numElements(d.shape);
      flat.push(reshapeValue(d, [numElements(d.shape)]));
    });
    const all = concatValues(flat, 0, [offset]);
    return [takeElements(all, [max + 1, ...innerShape], pick)];
  },
};

const invertPermutation: TfOpSemantics = {
  infer: (n, [x]) => {
    if (x.shape && x.shape.length !== 1) throw fail(n, `x must be a vector, got ${fmt(x.shape)}`);
    return [{ dtype: x.dtype, shape: sameShape(x.shape) }];
  },
  evaluate: (n, [x]) => {
    const p = ints(x);
    checkPerm(n, p, p.length);
    const out = new Array<number>(p.length);
    p.forEach((v, i) => (out[v] = i));
    return [makeValue(x.dtype, [p.length], out)];
  },
};

/** First-occurrence order of distinct elements, and each element's index into them. */
function uniqueOf(x: TensorValue): { first: number[]; idx: number[] } {
  const key = (i: number): unknown => {
    const d = x.data as ArrayLike<unknown>;
    return Array.isArray(x.data) ? Buffer.from(x.data[i]).toString('latin1') : d[i];
  };
  const seen = new Map<unknown, number>();
  const first: number[] = [];
  const idx: number[] = [];
  const count = numElements(x.shape);
  for (let i = 0; i < count; i++) {
    const k = key(i);
    let at = seen.get(k);
    if (at === undefined) {
      at = first.length;
      seen.set(k, at);
      first.push(i);
    }
    idx.push(at);
  }
  return { first, idx };
}

const unique: TfOpSemantics = {
  numOutputs: () => 2,
  infer: (n, [x]) => {
    if (x.shape && x.shape.length !== 1) throw fail(n, `x must be a vector, got ${fmt(x.shape)}`);
    const idxType = typeAttrOr(n, 'out_idx', 'int32');
    return [
      { dtype: x.dtype, shape: [x.value ? uniqueOf(x.value).first.length : -1] },
      { dtype: idxType, shape: sameShape(x.shape) },
    ];
  },
  evaluate: (n, [x]) => {
    const { first, idx } = uniqueOf(x);
    return [takeElements(x, [first.length], first), makeValue(typeAttrOr(n, 'out_idx', 'int32'), [idx.length], idx)];
  },
};

export const shapeOps: OpTable = {
  Unique: unique,
  Shape: shapeOp,
  ShapeN: shapeN,
  Size: size,
  Rank: rank,
  Identity: identity,
  IdentityN: identityN,
  StopGradient: identity,
  PreventGradient: identity,
  Snapshot: identity,
  CheckNumerics: identity,
  PlaceholderWithDefault: identity,
  EnsureShape: ensureShape,
  Reshape: reshape,
  Squeeze: squeeze,
  ExpandDims: expandDims,
  Transpose: transpose,
  ConcatV2: concatOp(false),
  Concat: concatOp(true),
  Pack: pack,
  Unpack: unpack,
  Split: split,
  SplitV: splitV,
  Slice: slice,
  StridedSlice: stridedSlice,
  Pad: padOp('CONSTANT', false),
  PadV2: padOp('CONSTANT', true),
  MirrorPad: padOp('MIRROR', false),
  Tile: tile,
  ReverseV2: reverseV2,
  BroadcastTo: broadcastTo,
  BroadcastArgs: broadcastArgs,
  BroadcastGradientArgs: broadcastGradientArgs,
  GatherV2: gatherV2,
  Gather: gather,
  GatherNd: gatherNd,
  Fill: fill,
  Range: range,
  LinSpace: linSpace,
  ZerosLike: likeOp(false),
  OnesLike: likeOp(true),
  OneHot: oneHot,
  Cast: cast,
  Select: select,
  SelectV2: selectV2,
  Where: where,
  ResizeBilinear: resizeOp(false),
  ResizeNearestNeighbor: resizeOp(true),
  ResizeBicubic: resizeOp(false),
  ResizeArea: resizeOp(false),
  SpaceToBatchND: spaceBatchOp(true),
  BatchToSpaceND: spaceBatchOp(false),
  SpaceToDepth: depthSpaceOp(true),
  DepthToSpace: depthSpaceOp(false),
  DynamicStitch: dynamicStitch,
  InvertPermutation: invertPermutation,
};
