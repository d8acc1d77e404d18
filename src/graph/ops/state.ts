// Random and stateful ops: shapes and dtypes only, never folded. They appear in frozen TF1
// graphs (dropout's RandomUniform behind keep_prob, variables of unfrozen training graphs) and
// must not stop shape inference of everything around them.

import type { Node, Shape } from '../ir.js';
import { fail, fmt, knownInts } from './check.js';
import type { InferInput, OpTable, TfOpSemantics } from './types.js';
import { sameShape, typeAttr, typeAttrOr } from './util.js';

/** The output shape given by a shape-vector input. */
function shapeFromInput(n: Node, s: InferInput): Shape | null {
  const dims = knownInts(s);
  if (dims === null) return s.shape?.length === 1 && s.shape[0] >= 0 ? new Array<number>(s.shape[0]).fill(-1) : null;
  if (s.shape && s.shape.length > 1) throw fail(n, `shape must be a vector, got ${fmt(s.shape)}`);
  dims.forEach((d, i) => {
    if (d < 0) throw fail(n, `shape[${i}] = ${d} must be non-negative`);
  });
  return dims;
}

function random(dtypeAttr: string): TfOpSemantics {
  return {
    infer: (n, [s]) => [{ dtype: typeAttr(n, dtypeAttr), shape: shapeFromInput(n, s) }],
    stateful: true,
  };
}

/** An op whose output is shaped like one of its inputs (a variable update returns the variable). */
function likeInput(i: number): TfOpSemantics {
  return {
    infer: (_n, xs) => [{ dtype: xs[i].dtype, shape: sameShape(xs[i].shape) }],
    stateful: true,
  };
}

function declaredShape(n: Node): Shape | null {
  const a = n.attrs.shape;
  if (a?.value !== 'shape' || !a.shape || a.shape.unknown_rank) return null;
  return a.shape.dim.map((d) => d.size);
}

const variable: TfOpSemantics = {
  numOutputs: () => 1,
  infer: (n) => [{ dtype: typeAttr(n, 'dtype'), shape: declaredShape(n) }],
  stateful: true,
};

const noOutputs: TfOpSemantics = { numOutputs: () => 0, infer: () => [], stateful: true };

export const stateOps: OpTable = {
  RandomUniform: random('dtype'),
  RandomStandardNormal: random('dtype'),
  TruncatedNormal: random('dtype'),
  RandomUniformInt: random('Tout'),
  StatelessRandomUniform: random('dtype'),
  StatelessRandomNormal: random('dtype'),
  StatelessTruncatedNormal: random('dtype'),
  StatelessRandomUniformV2: random('dtype'),
  StatelessRandomNormalV2: random('dtype'),
  StatelessTruncatedNormalV2: random('dtype'),
  RandomShuffle: likeInput(0),
  Multinomial: {
    infer: (n, [logits, k]) => {
      const count = knownInts(k);
      return [{ dtype: typeAttrOr(n, 'output_dtype', 'int64'), shape: [logits.shape?.[0] ?? -1, count ? count[0] : -1] }];
    },
    stateful: true,
  },
  Variable: variable,
  VariableV2: variable,
  VarHandleOp: { infer: () => [{ dtype: 'resource', shape: [] }], stateful: true },
  ReadVariableOp: { infer: (n) => [{ dtype: typeAttr(n, 'dtype'), shape: null }], stateful: true },
  Assign: likeInput(1),
  AssignAdd: likeInput(0),
  AssignSub: likeInput(0),
  ApplyGradientDescent: likeInput(0),
  AssignVariableOp: noOutputs,
  AssignAddVariableOp: noOutputs,
  AssignSubVariableOp: noOutputs,
  ResourceApplyGradientDescent: noOutputs,
  DisableCopyOnRead: noOutputs,
  VarIsInitializedOp: { infer: () => [{ dtype: 'bool', shape: [] }], stateful: true },
  // Reads rows of a resource variable; readers freeze it into GatherV2 on the variable's value.
  ResourceGather: {
    infer: (n) => [{ dtype: typeAttr(n, 'dtype'), shape: null }],
    stateful: true,
  },
};
