// fuse-activation: a RELU, RELU6 or RELU_N1_TO_1 that is the only reader of an op with a
// fused_activation_function option becomes that option.
//
// Before: y = RELU(CONV_2D(x, W, b){act=NONE})     After: y = CONV_2D(x, W, b){act=RELU}
//
// TANH is deliberately not fused: TFLite's conv, depthwise, pooling and elementwise kernels
// compute their activation range by clamping and treat TANH as "no clamp", so a fused TANH would
// silently be dropped, and FULLY_CONNECTED refuses the model (both checked in
// test/passes/fuse-activation.test.ts against the runtime).

import { type Graph, type Node, mergeProvenance } from '../graph/ir.js';
import { ACTIVATION } from '../lower/helpers.js';
import { sameStaticShape, soleReader } from './match.js';
import type { Pass } from './pass.js';

/** TFLite activation ops and the fused_activation_function value each becomes. */
export const FUSABLE_ACTIVATIONS: Record<string, number> = {
  'tfl.RELU': ACTIVATION.RELU,
  'tfl.RELU6': ACTIVATION.RELU6,
  'tfl.RELU_N1_TO_1': ACTIVATION.RELU_N1_TO_1,
};

/** Ops whose kernels apply a fused clamp activation (float and quantized). */
export const ACTIVATION_HOSTS = new Set([
  'tfl.CONV_2D',
  'tfl.DEPTHWISE_CONV_2D',
  'tfl.FULLY_CONNECTED',
  // Not TRANSPOSE_CONV: its fused activation needs version 4 (TFLite 2.13), and older kernels,
  // which have no such option, would load the model and silently skip the activation.
  'tfl.ADD',
  'tfl.SUB',
  'tfl.MUL',
  'tfl.DIV',
  'tfl.AVERAGE_POOL_2D',
  'tfl.MAX_POOL_2D',
  // Not CONCATENATION: the schema has the option, but TFLite's kernel refuses to prepare any
  // activation other than NONE (concatenation.cc), so the model would not load.
]);

export const fuseActivation: Pass = {
  name: 'fuse-activation',
  kind: 'fuse',
  idempotent: true,
  summary: 'fold RELU, RELU6 and RELU_N1_TO_1 into the fused activation of the op before them',
  apply(g: Graph) {
    const readers = g.consumerMap();
    const dead = new Set<Node>();
    for (const host of g.nodes) {
      if (!ACTIVATION_HOSTS.has(host.op) || host.options.fused_activation_function || host.outputs.length !== 1) continue;
      const y = host.output(0);
      const act = soleReader(g, readers, y);
      if (!act || !(act.op in FUSABLE_ACTIVATIONS) || dead.has(act) || !sameStaticShape(act.output(0), y)) continue;
      if (y.dtype !== act.output(0).dtype) continue;
      host.options = { ...host.options, fused_activation_function: FUSABLE_ACTIVATIONS[act.op] };
      g.replaceAllUses(act.output(0), y);
      mergeProvenance(host, act);
      dead.add(act);
    }
    g.removeNodes(dead);
    return { graph: g, rewrites: dead.size };
  },
};
