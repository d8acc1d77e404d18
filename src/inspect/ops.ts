// Which ops a set of outputs really needs: a walk backwards from output tensors through data and
// control inputs, into every function a reached node calls (call ops' `f`, If/While/Case branches,
// direct calls) and, inside a function, back from its return values and control returns.
// Fed tensors (the signature inputs) cut the walk, as a TensorFlow session prunes the graph at its
// feeds: a TF1 signature may feed an Identity whose producer then never runs.
// Each node is counted once however many times it is reached or its function is called.

import type { FunctionDef, GraphDef, NodeDef } from '../proto/index.js';
import { byCodePoint } from '../util/compare.js';
import { calledFunctions, parseTensorName } from '../readers/graphdef.js';

export interface ReachableOps {
  /** Op type -> number of distinct nodes reached, in the graph and in function bodies. */
  counts: Map<string, number>;
  /** Graph nodes reached. */
  graphNodes: number;
  /** Function-body nodes reached. */
  functionNodes: number;
  /** Functions reached, in code-point order. */
  functions: string[];
  /** Output names that name no node of the graph. */
  unresolved: string[];
  /** Functions called by a reached node but absent from the library. */
  missingFunctions: string[];
}

/** One fetch: output tensors to compute and the tensors fed (a signature's outputs and inputs). */
export interface Fetch {
  outputs: readonly string[];
  feeds?: readonly string[];
}

/** The nodes that run for any of the fetches, each counted once. */
export function reachableOps(
  graph: GraphDef,
  library: ReadonlyMap<string, FunctionDef>,
  fetches: readonly Fetch[],
): ReachableOps {
  const counts = new Map<string, number>();
  const count = (n: NodeDef): void => {
    counts.set(n.op, (counts.get(n.op) ?? 0) + 1);
  };
  const visitedFns = new Set<string>();
  const missing = new Set<string>();
  let functionNodes = 0;

  // Iterative (explicit stacks): a long chain of nodes must not overflow the call stack.
  const pendingFns: string[] = [];
  const enqueueCalls = (n: NodeDef): void => {
    for (const f of calledFunctions(n, library)) {
      if (!visitedFns.has(f)) {
        visitedFns.add(f);
        pendingFns.push(f);
      }
    }
  };

  const byName = new Map<string, NodeDef>();
  for (const n of graph.node) byName.set(n.name, n);
  const unresolved: string[] = [];
  const counted = new Set<string>();
  for (const fetch of fetches) {
    // Each fetch walks on its own: a tensor fed by one signature may be computed for another.
    const fed = new Set((fetch.feeds ?? []).map(tensorKey));
    const seen = new Set<string>();
    const stack: string[] = [];
    for (const o of fetch.outputs) {
      const ref = parseTensorName(o);
      if (!byName.has(ref.node)) {
        if (!unresolved.includes(o)) unresolved.push(o);
      } else if (!fed.has(tensorKey(o))) stack.push(ref.node);
    }
    while (stack.length > 0) {
      const name = stack.pop() as string;
      if (seen.has(name)) continue;
      const n = byName.get(name);
      if (!n) continue;
      seen.add(name);
      if (!counted.has(name)) {
        counted.add(name);
        count(n);
        enqueueCalls(n);
      }
      for (const i of n.input) {
        if (!fed.has(tensorKey(i))) stack.push(parseTensorName(i).node);
      }
    }
  }

  while (pendingFns.length > 0) {
    const fname = pendingFns.pop() as string;
    const f = library.get(fname);
    if (!f) {
      missing.add(fname);
      continue;
    }
    const body = new Map<string, NodeDef>();
    for (const n of f.node_def) body.set(n.name, n);
    const fseen = new Set<string>();
    const fstack: string[] = [];
    for (const k of Object.keys(f.ret)) fstack.push(parseTensorName(f.ret[k] as string).node);
    for (const k of Object.keys(f.control_ret)) fstack.push(f.control_ret[k] as string);
    while (fstack.length > 0) {
      const name = fstack.pop() as string;
      if (fseen.has(name)) continue;
      const n = body.get(name);
      // Not a body node: a function argument, which the caller provides.
      if (!n) continue;
      fseen.add(name);
      count(n);
      functionNodes++;
      enqueueCalls(n);
      for (const i of n.input) fstack.push(parseTensorName(i).node);
    }
  }

  return {
    counts,
    graphNodes: counted.size,
    functionNodes,
    functions: [...visitedFns].filter((f) => !missing.has(f)).sort(byCodePoint),
    unresolved,
    missingFunctions: [...missing].sort(byCodePoint),
  };
}

/** "x" and "x:0" are the same tensor; a control input ("^x") is no tensor and never fed. */
function tensorKey(name: string): string {
  const ref = parseTensorName(name);
  return ref.control ? `^${ref.node}` : `${ref.node}:${ref.output}`;
}
