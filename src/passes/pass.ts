// The contract every pass keeps (onnx-optimizer's pass.h is the model): a name equal to its file
// name and its --skip-pass value, what kind of pass it is, whether running it twice changes
// nothing more, and `apply`, which takes a graph and returns the graph and how many rewrites it
// made. A pass that does not apply returns 0 and changes nothing; it never throws for that.

import type { Graph } from '../graph/ir.js';

export type PassKind = 'prepare' | 'fold' | 'lower' | 'fuse' | 'cleanup' | 'finalize';

export interface PassContext {
  /** Allow ops without a TFLite builtin to become custom ops. */
  allowCustomOps: boolean;
  /** Progress/diagnostics sink; passes stay silent unless something is worth saying. */
  log: (message: string) => void;
  /** What the graph is, for errors that name it ("signature 'classify_x_to_y'"). */
  where?: string;
  /** What the user can do instead, appended to unsupported-op errors (asked only on failure). */
  hint?: () => string | undefined;
}

export interface PassResult {
  graph: Graph;
  rewrites: number;
}

export interface Pass {
  name: string;
  kind: PassKind;
  /** True when a second run right after the first never rewrites anything. */
  idempotent: boolean;
  /** One line: what it does. Shown by `tfconv optimize --list-passes`. */
  summary: string;
  apply: (graph: Graph, ctx: PassContext) => PassResult;
  /**
   * TF ops this pass rewrites away when their operands allow it (Identity, Switch/Merge with a
   * constant predicate, inference batch norm). The early support check does not report them:
   * the lowering's own check, which runs after every such pass, still does if one is left.
   */
  handles?: readonly string[];
}
