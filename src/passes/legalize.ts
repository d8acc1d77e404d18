// legalize: every remaining TF op becomes TFLite builtin op(s) through the lowering table
// (src/lower/table.ts). `checkSupported` runs first and reports every op that cannot be lowered
// in one error; with allowCustomOps those become CUSTOM ops named after the TF op instead.

import { unsupportedError } from './check-supported.js';
import { tflNode } from '../graph/build.js';
import { type Graph, type Node, provenance } from '../graph/ir.js';
import { LOWERINGS } from '../lower/table.js';
import type { Pass, PassContext } from './pass.js';

export interface Unsupported {
  op: string;
  count: number;
  examples: string[];
}

/** Every TF node the table cannot lower, grouped by op (with the reason when a check failed). */
export function unsupportedNodes(g: Graph): Unsupported[] {
  const byOp = new Map<string, Unsupported>();
  for (const n of g.nodes) {
    if (n.isTflite) continue;
    const l = LOWERINGS[n.op];
    const reason = l ? (l.check?.(n) ?? null) : 'no TFLite equivalent';
    if (l && reason === null) continue;
    const key = l ? `${n.op} (${reason})` : n.op;
    const u = byOp.get(key) ?? { op: key, count: 0, examples: [] };
    u.count++;
    if (u.examples.length < 2) u.examples.push(n.name);
    byOp.set(key, u);
  }
  return [...byOp.values()].sort((a, b) => b.count - a.count || a.op.localeCompare(b.op));
}

export function checkSupported(g: Graph, ctx: PassContext): void {
  const missing = unsupportedNodes(g);
  if (missing.length && !ctx.allowCustomOps) throw unsupportedError(missing, ctx);
}

export const legalize: Pass = {
  name: 'legalize',
  kind: 'lower',
  idempotent: true,
  summary: 'lower TF ops to TFLite builtin ops (custom ops with --allow-custom-ops)',
  apply(g: Graph, ctx: PassContext) {
    checkSupported(g, ctx);
    const out: Node[] = [];
    let rewrites = 0;
    for (const n of g.nodes) {
      if (n.isTflite) {
        out.push(n);
        continue;
      }
      const l = LOWERINGS[n.op];
      const lowered = l && (l.check?.(n) ?? null) === null ? l.lower(n, g) : [tflNode(g, n.name, `custom:${n.op}`, n.inputs, n.outputs)];
      // Each TFLite node remembers the TF node it came from (--exclude-nodes, reports).
      for (const m of lowered) if (m.origins.length === 0) m.origins = provenance(n).slice();
      out.push(...lowered);
      rewrites++;
    }
    g.nodes = out;
    return { graph: g, rewrites };
  },
};
