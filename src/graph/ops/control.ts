// TF1 control flow (Switch/Merge) and ops with no data outputs. A Switch whose predicate is a
// known constant has one live output; the other is marked dead, deadness flows to everything
// computed from it (the driver does that), and Merge forwards its one live input. A pass can
// then replace each Merge by its live input and drop the dead branch.

import type { Shape } from '../ir.js';
import { fail, fmt } from './check.js';
import type { InferInput, InferOutput, OpTable, TfOpSemantics } from './types.js';
import { makeValue, numbers, sameShape } from './util.js';

const switchOp: TfOpSemantics = {
  numOutputs: () => 2,
  infer: (n, [data, pred]) => {
    if (pred.shape !== null && pred.shape.length !== 0) throw fail(n, `pred must be a scalar, got ${fmt(pred.shape)}`);
    const live = (): InferOutput => ({ dtype: data.dtype, shape: sameShape(data.shape), value: data.value });
    if (!pred.value) return [live(), live()];
    const taken = numbers(pred.value)[0] !== 0 ? 1 : 0;
    const dead: InferOutput = { dtype: data.dtype, shape: null, dead: true };
    // Outputs: 0 = output_false, 1 = output_true.
    return taken === 1 ? [dead, live()] : [live(), dead];
  },
};

function mergeShapes(xs: InferInput[]): Shape | null {
  let out: Shape | null = xs[0].shape;
  for (const x of xs.slice(1)) {
    if (out === null || x.shape === null || x.shape.length !== out.length) return null;
    const s: Shape = x.shape;
    out = out.map((d, i) => (d === s[i] ? d : -1));
  }
  return out === null ? null : out.slice();
}

const mergeOp: TfOpSemantics = {
  numOutputs: () => 2,
  acceptsDeadInputs: true,
  infer: (_n, xs) => {
    const live = xs.map((x, i) => ({ x, i })).filter(({ x }) => !x.dead);
    const dtype = xs[0].dtype;
    if (live.length === 0) {
      return [
        { dtype, shape: null, dead: true },
        { dtype: 'int32', shape: null, dead: true },
      ];
    }
    if (live.length === 1) {
      const { x, i } = live[0];
      return [
        { dtype: x.dtype, shape: sameShape(x.shape), value: x.value },
        { dtype: 'int32', shape: [], value: makeValue('int32', [], [i]) },
      ];
    }
    return [
      { dtype, shape: mergeShapes(live.map(({ x }) => x)) },
      { dtype: 'int32', shape: [] },
    ];
  },
};

/** Ops that only have effects (control outputs): zero data outputs, never folded. */
const noOutputs: TfOpSemantics = {
  numOutputs: () => 0,
  infer: () => [],
  stateful: true,
};

/** Print forwards its first input and logs the rest. */
const print: TfOpSemantics = {
  infer: (_n, [x]) => [{ dtype: x.dtype, shape: sameShape(x.shape) }],
  stateful: true,
};

export const controlOps: OpTable = {
  Switch: switchOp,
  RefSwitch: switchOp,
  Merge: mergeOp,
  RefMerge: mergeOp,
  NoOp: noOutputs,
  Assert: noOutputs,
  PrintV2: noOutputs,
  ControlTrigger: noOutputs,
  Print: print,
};
