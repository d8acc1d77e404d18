// resolve-switch-merge: TF1 control flow whose predicate is a known constant becomes plain data
// flow. The op semantics (src/graph/ops/control.ts) mark the untaken output of such a Switch
// dead, and deadness flows to everything computed from it; this pass makes every reader of a
// Merge with exactly one live input read that input, every reader of a Switch's taken output
// read the Switch's data, and drops what is left (the dead branch). Keras' learning phase
// (`keras_learning_phase`, a PlaceholderWithDefault(False) that prepare turns into its default)
// and tf.cond on constants look like this.
//
// Before: (f, t) = Switch(x, False); a = Identity(f); b = Mul(t, 2); (y, i) = Merge(a, b)
// After:  y = Identity(x)    i = 0 (a constant)
//
// A Merge with several live inputs (a predicate that is not a constant, or control_flow_v1's
// Merge of four placeholders, which TFLite's converter refuses too) is left alone: the support
// check reports it. A graph output that is dead (only ever computed on the untaken branch) is an
// error: the converted model could never produce it.

import { err } from '../errors/index.js';
import { i32Const } from '../graph/build.js';
import type { Graph, Tensor } from '../graph/ir.js';
import type { InferredTensor } from '../graph/infer.js';
import { inferForChecks } from './check-supported.js';
import type { Pass } from './pass.js';

export const SWITCH_OPS: ReadonlySet<string> = new Set(['Switch', 'RefSwitch']);
export const MERGE_OPS: ReadonlySet<string> = new Set(['Merge', 'RefMerge']);

export const resolveSwitchMerge: Pass = {
  name: 'resolve-switch-merge',
  kind: 'fold',
  idempotent: true,
  summary: 'resolve TF1 Switch/Merge with a constant predicate: keep the taken branch, drop the other',
  handles: [...SWITCH_OPS, ...MERGE_OPS],
  apply(g: Graph) {
    if (!g.nodes.some((n) => SWITCH_OPS.has(n.op) || MERGE_OPS.has(n.op))) return { graph: g, rewrites: 0 };
    const inferred = inferForChecks(g);
    // Shapes are not all known yet (an input of unknown rank): the conversion stops for that.
    if (!inferred) return { graph: g, rewrites: 0 };
    const { tensors } = inferred;
    const info = (t: Tensor | null): InferredTensor | undefined => (t ? tensors.get(t) : undefined);

    for (const [i, out] of g.outputs.entries()) {
      if (info(out)?.dead) {
        const key = g.signature?.outputs[i]?.key ?? out.name;
        throw err.badGraph(out.producer?.name ?? out.name, `output '${key}' is only computed on the untaken branch of a Switch whose predicate is a constant, so it never has a value`, out.producer?.op);
      }
    }

    let rewrites = 0;
    for (const n of g.nodes) {
      if (MERGE_OPS.has(n.op)) {
        const live = n.inputs.map((t, i) => ({ t, i })).filter(({ t }) => t !== null && !info(t)?.dead);
        if (live.length !== 1) continue;
        const { t, i } = live[0];
        g.replaceAllUses(n.output(0), t as Tensor);
        if (n.outputs[1]) g.replaceAllUses(n.outputs[1], i32Const(g, `${n.name}/value_index`, [i], []));
        rewrites++;
      } else if (SWITCH_OPS.has(n.op)) {
        const deadOutputs = n.outputs.filter((t) => info(t)?.dead);
        if (deadOutputs.length !== 1) continue;
        const taken = n.outputs.find((t) => !info(t)?.dead) as Tensor;
        g.replaceAllUses(taken, n.input(0));
        rewrites++;
      }
    }
    // What only the dead branches needed is no longer reachable from any output.
    if (rewrites) g.sortAndPrune();
    return { graph: g, rewrites };
  },
};
