// Runs a pipeline: each pass once, or, for passes that are not idempotent, until they stop
// rewriting (bounded, so a pass that oscillates is caught as a bug instead of hanging).

import { err } from '../errors/index.js';
import type { Graph } from '../graph/ir.js';
import type { Pass, PassContext } from './pass.js';

const MAX_ROUNDS = 32;

export interface PassRun {
  name: string;
  rewrites: number;
  ms: number;
}

export function runPasses(graph: Graph, passes: readonly Pass[], ctx: PassContext, skip: ReadonlySet<string> = new Set()): { graph: Graph; runs: PassRun[] } {
  const runs: PassRun[] = [];
  let g = graph;
  for (const p of passes) {
    if (skip.has(p.name)) continue;
    const t0 = performance.now();
    let total = 0;
    for (let round = 0; ; round++) {
      if (round >= MAX_ROUNDS) throw err.internal(`pass ${p.name} did not reach a fixed point in ${MAX_ROUNDS} rounds`);
      const r = p.apply(g, ctx);
      g = r.graph;
      total += r.rewrites;
      if (p.idempotent || r.rewrites === 0) break;
    }
    runs.push({ name: p.name, rewrites: total, ms: performance.now() - t0 });
  }
  return { graph: g, runs };
}
