// What tfconv knows about a TensorFlow op's semantics: how many outputs, their dtypes and static
// shapes, and (for ops that can be folded) how to compute them from constant inputs. One entry
// per op, grouped by family in the files beside this one; index.ts collects them.

import type { DType } from '../../core/dtype.js';
import type { TensorValue } from '../../core/tensor.js';
import type { Node, Shape } from '../ir.js';

/** What shape inference knows about one input. */
export interface InferInput {
  dtype: DType;
  shape: Shape | null;
  /** Known value (a constant, or folded from constants). */
  value: TensorValue | null;
  /**
   * A dead tensor: the untaken output of a Switch whose predicate is known, and everything
   * computed from it. Only ops with `acceptsDeadInputs` (Merge) ever see one.
   */
  dead?: boolean;
  /**
   * The dtype is a guess: the tensor comes (directly or through other ops) from an op tfconv has
   * no semantics for, whose output dtype was read from its attributes as best as could be.
   */
  guessed?: boolean;
}

export interface InferOutput {
  dtype: DType;
  shape: Shape | null;
  /**
   * A value infer already knows without `evaluate`: from input shapes only (Shape, Size, Rank),
   * or passed through from a live branch (Switch, Merge). Used when evaluate does not run.
   */
  value?: TensorValue | null;
  /** This output is dead (see InferInput.dead): a pass may prune what reads it. */
  dead?: boolean;
}

export interface TfOpSemantics {
  /** Number of outputs; default 1. */
  numOutputs?: (node: Node) => number;
  /** Output dtypes and shapes from the inputs. Throw err.shapeError on inconsistent inputs. */
  infer: (node: Node, inputs: InferInput[]) => InferOutput[];
  /** Compute the outputs from constant inputs; absent for ops never folded. */
  evaluate?: (node: Node, inputs: TensorValue[]) => TensorValue[];
  /** Stateful or random ops are never folded even with constant inputs. */
  stateful?: boolean;
  /**
   * The op takes dead inputs (Merge). Every other op with a dead input has only dead outputs and
   * its infer is not called, as TensorFlow's executor propagates deadness.
   */
  acceptsDeadInputs?: boolean;
}

export type OpTable = Record<string, TfOpSemantics>;
