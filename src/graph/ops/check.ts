// Small pieces every family uses to read constant inputs and to report inconsistent shapes
// the way TensorFlow's shape functions do: one SHAPE_ERROR naming the node and op.

import type { TensorValue } from '../../core/tensor.js';
import { type TfconvError, err } from '../../errors/index.js';
import type { Node, Shape } from '../ir.js';
import type { InferInput } from './types.js';
import { numbers } from './util.js';

/** A shape error for this node: `throw fail(node, '...')`. */
export function fail(node: Node, why: string): TfconvError {
  return err.shapeError(node.name, node.op, why);
}

/** "[2,-1,3]" for messages; "<unknown rank>" for null. */
export function fmt(shape: Shape | null): string {
  return shape === null ? '<unknown rank>' : `[${shape.join(',')}]`;
}

/** The integer values of an input when known (constant or folded), else null. */
export function knownInts(x: InferInput | undefined): number[] | null {
  return x?.value ? Array.from(numbers(x.value)) : null;
}

/** The integer values of a tensor value. */
export function ints(v: TensorValue): number[] {
  return Array.from(numbers(v));
}

/** A scalar (or one-element) integer input's value when known. */
export function knownScalar(node: Node, x: InferInput | undefined, what: string): number | null {
  const v = knownInts(x);
  if (v === null) return null;
  if (v.length !== 1) throw fail(node, `${what} must be a scalar, got shape ${fmt(x?.value?.shape ?? null)}`);
  return v[0];
}

/** Every dimension known. */
export function isStatic(shape: Shape | null): shape is Shape {
  return shape !== null && shape.every((d) => d >= 0);
}

/** Two dimensions that must agree (-1 = unknown matches anything); the known one wins. */
export function mergeDim(node: Node, a: number, b: number, what: string): number {
  if (a === -1) return b;
  if (b === -1 || a === b) return a;
  throw fail(node, `${what}: ${a} vs ${b}`);
}

/** Normalise an axis against a rank, with TF's message on failure. */
export function axisIn(node: Node, axis: number, rank: number, what = 'axis'): number {
  if (axis < -rank || axis >= rank) throw fail(node, `${what} ${axis} is out of range [${-rank}, ${rank})`);
  return axis < 0 ? axis + rank : axis;
}

/** TF's data_format attribute, defaulting to NHWC; other layouts are a clear error. */
export function requireNhwc(node: Node, attr = 'data_format'): void {
  const f = node.attrString(attr, 'NHWC');
  if (f !== 'NHWC' && f !== 'NWC' && f !== 'NDHWC') {
    throw fail(node, `data_format ${f} is not supported (only channels-last NHWC); re-export the model with channels_last`);
  }
}
