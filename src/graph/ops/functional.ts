// Functional control flow (While/If and their stateless forms) and TensorList handles, as they
// appear in Keras RNN layers saved as SavedModels. Shapes follow TF's registered shape
// functions: they read the `output_shapes` attribute, not the function bodies; handles are
// scalar variants and are never folded.

import { type DType, dtypeFromTf } from '../../core/dtype.js';
import type { Node, Shape } from '../ir.js';
import { fail, knownInts } from './check.js';
import type { InferInput, InferOutput, OpTable, TfOpSemantics } from './types.js';
import { sameShape, typeAttr } from './util.js';

/** The `output_shapes` attribute: one partial shape per output (-1 dims, null = unknown rank). */
function outputShapes(n: Node): (Shape | null)[] {
  const a = n.attrs.output_shapes;
  if (a?.value !== 'list' || !a.list) return [];
  return a.list.shape.map((s) => (s.unknown_rank ? null : s.dim.map((d) => d.size)));
}

function typeList(n: Node, attr: string): DType[] {
  return n.attrTypes(attr).map((t) => {
    const d = dtypeFromTf(t);
    if (!d) throw fail(n, `attribute '${attr}' has unknown dtype ${t}`);
    return d;
  });
}

const whileOp: TfOpSemantics = {
  numOutputs: (n) => n.attrTypes('T').length,
  infer: (n, xs) => {
    const declared = outputShapes(n);
    const types = typeList(n, 'T');
    return xs.map((x, i) => ({ dtype: types[i] ?? x.dtype, shape: declared.length ? declared[i] : sameShape(x.shape) }));
  },
  stateful: true,
};

const ifOp: TfOpSemantics = {
  numOutputs: (n) => n.attrTypes('Tout').length,
  infer: (n) => {
    const declared = outputShapes(n);
    return typeList(n, 'Tout').map((dtype, i) => ({ dtype, shape: declared[i] ?? null }));
  },
  stateful: true,
};

const handle = (): InferOutput[] => [{ dtype: 'variant', shape: [] }];

/** An element_shape input as a shape: -1 dims unknown; a scalar -1 means unknown rank. */
function elementShape(x: InferInput | undefined): Shape | null {
  const v = knownInts(x);
  if (v === null || (x?.value?.shape.length === 0 && v[0] === -1)) return null;
  return v;
}

const tensorListOps: OpTable = {
  TensorListReserve: { infer: handle },
  TensorListFromTensor: { infer: handle },
  TensorListSetItem: { infer: handle },
  TensorListPushBack: { infer: handle },
  EmptyTensorList: { infer: handle },
  TensorListGetItem: {
    infer: (n, [, , s]) => [{ dtype: typeAttr(n, 'element_dtype'), shape: elementShape(s) }],
  },
  TensorListStack: {
    infer: (n, [, s]) => {
      const e = elementShape(s);
      return [{ dtype: typeAttr(n, 'element_dtype'), shape: e === null ? null : [n.attrInt('num_elements', -1), ...e] }];
    },
  },
  TensorListLength: { infer: () => [{ dtype: 'int32', shape: [] }] },
};

/** ConcatOffset: where each input starts in a concatenation (a gradient helper). */
const concatOffset: TfOpSemantics = {
  numOutputs: (n) => n.attrInt('N', 2),
  infer: (n, [axisIn, ...xs]) => {
    const dtype = xs[0].dtype;
    const axis = knownInts(axisIn);
    const shapes = xs.map((x) => knownInts(x));
    if (axis === null || shapes.some((s) => s === null)) return xs.map((x) => ({ dtype, shape: sameShape(x.shape) }));
    const rank = (shapes[0] as number[]).length;
    const ax = axis[0] < 0 ? axis[0] + rank : axis[0];
    if (ax < 0 || ax >= rank) throw fail(n, `concat dimension ${axis[0]} is out of range for rank ${rank}`);
    let at = 0;
    return shapes.map((s) => {
      const off = new Array<number>(rank).fill(0);
      off[ax] = at;
      at += (s as number[])[ax];
      return { dtype, shape: [rank], value: { dtype, shape: [rank], data: dtype === 'int64' ? BigInt64Array.from(off.map(BigInt)) : Int32Array.from(off) } };
    });
  },
};

const stridedSliceGrad: TfOpSemantics = {
  infer: (n, [s, , , , dy]) => {
    const v = knownInts(s);
    return [{ dtype: dy.dtype, shape: v ?? (s.shape?.length === 1 ? new Array<number>(s.shape[0]).fill(-1) : null) }];
  },
};

export const functionalOps: OpTable = {
  While: whileOp,
  StatelessWhile: whileOp,
  If: ifOp,
  StatelessIf: ifOp,
  ...tensorListOps,
  ConcatOffset: concatOffset,
  StridedSliceGrad: stridedSliceGrad,
};
