// remove-identity: ops that pass their input through unchanged at inference time disappear and
// their readers read the input directly.
//
// Before: y = Identity(x); z = Relu(y)        After: z = Relu(x)
// IdentityN passes input i to output i; Print passes input 0. A graph output keeps its name.

import type { Graph, Tensor } from '../graph/ir.js';
import { err } from '../errors/index.js';
import type { Pass } from './pass.js';

const PASS_THROUGH = new Set([
  'Identity',
  'IdentityN',
  'StopGradient',
  'PreventGradient',
  'CheckNumerics',
  'Snapshot',
  'Print',
  'EnsureShape',
  'DebugIdentity',
  'DebugIdentityV2',
]);

export const removeIdentity: Pass = {
  name: 'remove-identity',
  kind: 'cleanup',
  idempotent: true,
  summary: 'drop Identity, IdentityN, StopGradient, CheckNumerics, Snapshot, Print and the like',
  handles: [...PASS_THROUGH],
  apply(g: Graph) {
    let rewrites = 0;
    const dead = new Set<(typeof g.nodes)[number]>();
    for (const n of g.nodes) {
      if (!PASS_THROUGH.has(n.op)) continue;
      const passes = n.op === 'IdentityN' ? n.outputs.length : 1;
      for (let i = 0; i < passes; i++) {
        const from = n.outputs[i];
        const to = n.inputs[i];
        if (!from) continue;
        // An identity with nothing to pass on (a damaged graph: a placeholder turned Identity).
        if (!to) throw err.badGraph(n.name, `${n.op} has no input ${i} to pass through`, n.op);
        keepOutputName(g, from, to);
        g.replaceAllUses(from, to);
      }
      dead.add(n);
      rewrites++;
    }
    g.removeNodes(dead);
    return { graph: g, rewrites };
  },
};

/**
 * When `from` is a graph output and `to` is computed by a node and not itself a graph output or
 * input, `to` takes the output's name, so the converted model's outputs are named like the
 * signature's tensors.
 */
function keepOutputName(g: Graph, from: Tensor, to: Tensor): void {
  if (g.isGraphOutput(from) && to.producer && !g.isGraphOutput(to)) to.name = from.name;
}
