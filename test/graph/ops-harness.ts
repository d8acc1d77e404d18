// Running single TF ops in tests: build a node with attributes, call the semantics entry's
// infer/evaluate directly (to see -1 dims) or through the real driver (inferGraph).

import assert from 'node:assert/strict';
import type { DType } from '../../src/core/dtype.js';
import { tfDataType } from '../../src/core/dtype.js';
import type { TensorValue } from '../../src/core/tensor.js';
import { ErrorCode, TfconvError } from '../../src/errors/index.js';
import { type InferResult, inferGraph } from '../../src/graph/infer.js';
import { Graph, Node, type Shape, Tensor } from '../../src/graph/ir.js';
import { tfOps } from '../../src/graph/ops/index.js';
import type { InferInput, InferOutput } from '../../src/graph/ops/types.js';
import { makeValue } from '../../src/graph/ops/util.js';
import type { AttrValue } from '../../src/proto/types.js';

/** A tensor value from plain numbers (int64 as BigInt64Array). */
export function tv(dtype: DType, shape: Shape, data: number[]): TensorValue {
  return makeValue(dtype, shape, data);
}

export const f32 = (shape: Shape, data: number[]): TensorValue => tv('float32', shape, data);
export const i32 = (shape: Shape, data: number[]): TensorValue => tv('int32', shape, data);

/** Attribute builders in the decoded-NodeDef form. */
export const a = {
  i: (i: number): AttrValue => ({ value: 'i', i }),
  f: (f: number): AttrValue => ({ value: 'f', f: Math.fround(f) }),
  b: (b: boolean): AttrValue => ({ value: 'b', b }),
  s: (s: string): AttrValue => ({ value: 's', s: new TextEncoder().encode(s) }),
  type: (d: DType): AttrValue => ({ value: 'type', type: tfDataType(d) }),
  ints: (i: number[]): AttrValue => ({ value: 'list', list: { s: [], i, f: [], b: [], type: [], shape: [], tensor: [], func: [] } }),
  types: (t: DType[]): AttrValue => ({
    value: 'list',
    list: { s: [], i: [], f: [], b: [], type: t.map(tfDataType), shape: [], tensor: [], func: [] },
  }),
  shape: (dims: number[]): AttrValue => ({ value: 'shape', shape: { dim: dims.map((size) => ({ size, name: '' })), unknown_rank: false } }),
};

/** An input for infer: a known value, or only dtype and shape. */
export type In = TensorValue | { dtype: DType; shape: Shape | null };

function isValue(x: In): x is TensorValue {
  return 'data' in x;
}

function toInfer(x: In): InferInput {
  return isValue(x) ? { dtype: x.dtype, shape: x.shape, value: x } : { dtype: x.dtype, shape: x.shape, value: null };
}

export function node(op: string, attrs: Record<string, AttrValue> = {}, name = `test_${op}`): Node {
  return new Node(name, op, [], [], attrs);
}

/** infer of one op, called directly (unknown dims stay -1). */
export function infer(op: string, inputs: In[], attrs: Record<string, AttrValue> = {}): InferOutput[] {
  const sem = tfOps[op];
  assert.ok(sem, `no semantics for ${op}`);
  return sem.infer(node(op, attrs), inputs.map(toInfer));
}

/** Output shapes of infer. */
export function shapes(op: string, inputs: In[], attrs: Record<string, AttrValue> = {}): (Shape | null)[] {
  return infer(op, inputs, attrs).map((o) => o.shape);
}

/** evaluate of one op on known values. */
export function evaluate(op: string, inputs: TensorValue[], attrs: Record<string, AttrValue> = {}): TensorValue[] {
  const sem = tfOps[op];
  assert.ok(sem?.evaluate, `no evaluate for ${op}`);
  return sem.evaluate(node(op, attrs), inputs);
}

/** The single output's numbers (int64 converted to Number). */
export function nums(v: TensorValue): number[] {
  return Array.from(v.data as ArrayLike<number | bigint>, (x) => Number(x));
}

/** evaluate and also check the output agrees with infer's shape and dtype. */
export function run(op: string, inputs: TensorValue[], attrs: Record<string, AttrValue> = {}): TensorValue[] {
  const outs = evaluate(op, inputs, attrs);
  const inferred = infer(op, inputs, attrs);
  assert.equal(outs.length, inferred.length, `${op}: evaluate and infer disagree on the output count`);
  outs.forEach((o, i) => {
    assert.deepEqual(o.shape, inferred[i].shape, `${op} output ${i}: evaluate shape vs infer shape`);
    assert.equal(o.dtype, inferred[i].dtype, `${op} output ${i}: evaluate dtype vs infer dtype`);
  });
  return outs;
}

/** Asserts a TfconvError SHAPE_ERROR naming the test node, with a message matching `re`. */
export function assertShapeError(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TfconvError, `expected TfconvError, got ${String(e)}`);
    assert.equal(e.code, ErrorCode.SHAPE_ERROR);
    assert.match(e.message, /^node 'test_\w+' \(\w+\): /);
    assert.match(e.message, re);
    return true;
  });
}

/** Approximate equality of number arrays (for values computed in float64 by hand). */
export function close(actual: ArrayLike<number>, expected: number[], tol = 1e-6): void {
  assert.equal(actual.length, expected.length, `length ${actual.length} vs ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const x = actual[i];
    const y = expected[i];
    if (Number.isNaN(y)) assert.ok(Number.isNaN(x), `[${i}] ${x} is not NaN`);
    else assert.ok(Math.abs(x - y) <= tol * Math.max(1, Math.abs(y)), `[${i}] ${x} vs ${y}`);
  }
}

/** A one-node (or few-node) graph run through the real driver. */
export class GraphBuilder {
  readonly g = new Graph();
  private n = 0;

  input(name: string, dtype: DType, shape: Shape | null): Tensor {
    const t = new Tensor(name, dtype, shape);
    this.g.inputs.push(t);
    return t;
  }

  constant(value: TensorValue): Tensor {
    return this.g.constant(`c${this.n++}`, value);
  }

  add(op: string, inputs: Tensor[], attrs: Record<string, AttrValue> = {}, outputs?: number): Tensor[] {
    const name = `${op.toLowerCase()}_${this.n++}`;
    const sem = tfOps[op];
    const count = outputs ?? (sem?.numOutputs ? sem.numOutputs(new Node(name, op, [], [], attrs)) : 1);
    const outs = Array.from({ length: count }, (_, i) => new Tensor(i ? `${name}:${i}` : name, 'float32', null));
    this.g.addNode(new Node(name, op, inputs, outs, attrs));
    return outs;
  }

  infer(unknownDim = 1): InferResult {
    return inferGraph(this.g, { unknownDim });
  }
}
