// check-supported: fail early, with every unsupported op listed at once, before folding, lowering
// and verification spend time on a graph that cannot be converted. An op is fine here when the
// lowering table has it (its own operand checks run in legalize, once constants are folded),
// when a pipeline pass rewrites it away (Pass.handles), or when fold-constants will compute it
// (its semantics can evaluate it and every input is, or will be, a constant).
//
// With allowCustomOps nothing is reported: legalize writes such ops as CUSTOM ops.

import { ErrorCode, TfconvError, err } from '../errors/index.js';
import type { Graph, Node, Tensor } from '../graph/ir.js';
import { type InferResult, type InferredTensor, inferGraph } from '../graph/infer.js';
import { tfOps } from '../graph/ops/index.js';
import { LOWERINGS } from '../lower/table.js';
import type { Unsupported } from './legalize.js';
import type { Pass, PassContext } from './pass.js';

/** TF nodes that no lowering, pass or folding will turn into TFLite ops, grouped by op. */
export function unsupportedEarly(g: Graph, handled: ReadonlySet<string>): Unsupported[] {
  const tensors = inferForChecks(g)?.tensors ?? new Map<Tensor, InferredTensor>();
  const foldable = new Set<Node>();
  const known = (t: Tensor | null): boolean =>
    t === null || t.isConstant || (t.producer !== null && foldable.has(t.producer)) || (tensors.get(t)?.value ?? null) !== null;
  const byOp = new Map<string, Unsupported>();
  // Nodes are in topological order, so producers are classified before their readers.
  for (const n of g.nodes) {
    if (n.isTflite) continue;
    const sem = tfOps[n.op];
    if (sem?.evaluate && !sem.stateful && n.inputs.every(known)) {
      foldable.add(n);
      continue;
    }
    if (n.outputs.length > 0 && n.outputs.every((t) => (tensors.get(t)?.value ?? null) !== null)) {
      foldable.add(n);
      continue;
    }
    if (LOWERINGS[n.op] || handled.has(n.op)) continue;
    const reason = controlFlowReason(n);
    const key = reason ? `${n.op} (${reason})` : n.op;
    const u = byOp.get(key) ?? { op: key, count: 0, examples: [] };
    u.count++;
    if (u.examples.length < 2) u.examples.push(n.name);
    byOp.set(key, u);
  }
  return [...byOp.values()].sort((a, b) => b.count - a.count || a.op.localeCompare(b.op));
}

/**
 * Inference for the check stage, which runs before missing input shapes are reported: a graph
 * with an input of unknown rank may fail to infer, and then the checks work without values (the
 * missing shape is the error the user sees next).
 */
export function inferForChecks(g: Graph): InferResult | null {
  try {
    return inferGraph(g, { unknownDim: 1 });
  } catch (e) {
    if (e instanceof TfconvError && e.code === ErrorCode.SHAPE_ERROR && g.inputs.some((t) => t.shape === null)) return null;
    throw e;
  }
}

/** Why a TF1 control-flow op is still there after resolve-switch-merge. */
function controlFlowReason(n: Node): string | null {
  if (n.op === 'Switch' || n.op === 'RefSwitch') return 'TF1 control flow: its predicate is not a constant';
  if (n.op === 'Merge' || n.op === 'RefMerge') return 'TF1 control flow: more than one input can be live';
  return null;
}

/** The error for unsupported ops, with the context the converter put in the pass context. */
export function unsupportedError(ops: Unsupported[], ctx: PassContext) {
  const hint = ctx.hint?.();
  return err.unsupportedOps(ops, { ...(ctx.where ? { where: ctx.where } : {}), ...(hint ? { hint } : {}) });
}

/** The pass, given the passes that run after it (read when it runs): the ops they handle are fine. */
export function checkSupportedPass(later: () => readonly Pass[]): Pass {
  return {
    name: 'check-supported',
    kind: 'prepare',
    idempotent: true,
    summary: 'list every op that cannot be converted, before any expensive work',
    apply(g: Graph, ctx: PassContext) {
      if (ctx.allowCustomOps) return { graph: g, rewrites: 0 };
      const handled = new Set(later().flatMap((p) => p.handles ?? []));
      const missing = unsupportedEarly(g, handled);
      if (missing.length) throw unsupportedError(missing, ctx);
      return { graph: g, rewrites: 0 };
    },
  };
}
