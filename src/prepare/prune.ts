// prune: keep only the nodes the given outputs need through data edges, and drop every control
// edge. Everything else (savers, initializers, training ops, asserts wired by control deps)
// goes. Works on GraphDefs, before and after inlining.

import { parseTensorRef } from '../graph/from-graphdef.js';
import { err } from '../errors/index.js';
import type { GraphDef, NodeDef } from '../proto/types.js';

/**
 * @param outputs tensor names the graph must still compute
 * @param stopAt tensor names that become inputs: what only they need is dropped too
 */
export function pruneGraphDef(gd: GraphDef, outputs: readonly string[], stopAt: readonly string[] = []): GraphDef {
  const byName = new Map<string, NodeDef>();
  for (const n of gd.node) {
    // Which of two same-named nodes an input means is undecidable; TensorFlow refuses such graphs.
    if (byName.has(n.name)) throw err.badGraph(n.name, 'two nodes have this name', n.op);
    byName.set(n.name, n);
  }
  const stopNodes = new Set(stopAt.map((s) => parseTensorRef(s)?.node ?? s));
  const keep = new Set<string>();
  const stack: string[] = [];
  for (const o of outputs) {
    const r = parseTensorRef(o);
    if (!r || !byName.has(r.node)) throw err.badGraph(o, `output tensor '${o}' is not in the graph`);
    stack.push(r.node);
  }
  while (stack.length) {
    const name = stack.pop() as string;
    if (keep.has(name)) continue;
    keep.add(name);
    if (stopNodes.has(name)) continue;
    const n = byName.get(name) as NodeDef;
    for (const s of n.input) {
      const r = parseTensorRef(s);
      if (!r) continue;
      if (!byName.has(r.node)) throw err.badGraph(name, `input '${s}' refers to a node that does not exist`, n.op);
      if (!keep.has(r.node)) stack.push(r.node);
    }
  }
  const node = gd.node
    .filter((n) => keep.has(n.name))
    .map((n) => (n.input.some((s) => s.startsWith('^')) ? { ...n, input: n.input.filter((s) => !s.startsWith('^')) } : n));
  return { ...gd, node };
}

/** Ops that change a variable: dropped by pruning when no output depends on them through data. */
const UPDATE_OP = /^(Assign|ResourceApply|Apply|ResourceSparseApply|SparseApply|ResourceScatter|Scatter|ResourceStridedSliceAssign)/;

/**
 * Variable updates that running `outputs` would execute in TensorFlow (reached through data or
 * control edges, as a TF2 function runs every stateful op of its body) but that pruning drops
 * because no output reads them: op type -> node names.
 */
export function droppedUpdates(gd: GraphDef, outputs: readonly string[], stopAt: readonly string[], kept: GraphDef): Map<string, string[]> {
  const byName = new Map(gd.node.map((n) => [n.name, n]));
  const keptNames = new Set(kept.node.map((n) => n.name));
  const stopNodes = new Set(stopAt.map((s) => parseTensorRef(s)?.node ?? s));
  const seen = new Set<string>();
  const stack = outputs.map((o) => parseTensorRef(o)?.node ?? o);
  const out = new Map<string, string[]>();
  while (stack.length) {
    const name = stack.pop() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    const n = byName.get(name);
    if (!n) continue;
    if (UPDATE_OP.test(n.op) && !keptNames.has(name)) out.set(n.op, [...(out.get(n.op) ?? []), name]);
    if (stopNodes.has(name)) continue;
    for (const s of n.input) stack.push((parseTensorRef(s.replace(/^\^/, '')) ?? { node: s }).node);
  }
  return out;
}
