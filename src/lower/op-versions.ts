// TFLite op versions: the lowest version whose kernel supports the features a node uses, as
// TFLite's own versioning rules decide (tensorflow/lite/tools/versioning/op_version.cc), and the
// oldest runtime that has every (op, version) of a model (runtime_version.cc). A version the
// runtime lacks makes the model unloadable, so "latest" is never the answer.

import type { Graph, Node } from '../graph/ir.js';

/** Version rules per op: the first rule that matches gives the version; default 1. */
type Rule = { when: (n: Node) => boolean; version: number };

const inType = (n: Node, i: number): string | undefined => n.inputs[i]?.dtype;

const RULES: Record<string, Rule[]> = {
  // Filled in op by op with the features tfconv emits; float32 kernels are version 1.
  STRIDED_SLICE: [{ when: (n) => (n.inputs[0]?.rank ?? 0) > 4, version: 4 }],
  TRANSPOSE: [{ when: (n) => (n.inputs[0]?.rank ?? 0) > 4, version: 4 }],
  TRANSPOSE_CONV: [{ when: (n) => n.inputs.length > 3 && n.inputs[3] !== null, version: 3 }],
  FULLY_CONNECTED: [{ when: (n) => n.options.keep_num_dims === true, version: 5 }],
  RESIZE_BILINEAR: [{ when: (n) => n.options.half_pixel_centers === true, version: 3 }],
  RESIZE_NEAREST_NEIGHBOR: [{ when: (n) => n.options.half_pixel_centers === true, version: 3 }],
  GATHER: [{ when: (n) => Number(n.options.batch_dims ?? 0) !== 0, version: 5 }],
  CAST: [{ when: (n) => inType(n, 0) === 'int8' || inType(n, 0) === 'uint16', version: 2 }],
  FAKE_QUANT: [{ when: (n) => n.options.narrow_range === true, version: 2 }],
};

export function opVersion(n: Node): number {
  const name = n.op.slice('tfl.'.length);
  for (const r of RULES[name] ?? []) if (r.when(n)) return r.version;
  return 1;
}

/** Runtime versions that introduced an (op, version); absent pairs date from 1.5.0. */
const RUNTIME: Record<string, string> = {
  'FULLY_CONNECTED/5': '2.0.0',
  'TRANSPOSE_CONV/3': '2.5.0',
  'STRIDED_SLICE/4': '2.3.0',
  'TRANSPOSE/4': '2.3.0',
  'RESIZE_BILINEAR/3': '2.2.0',
  'RESIZE_NEAREST_NEIGHBOR/3': '2.3.0',
  'GATHER/5': '2.6.0',
  'CAST/2': '2.7.0',
  'FAKE_QUANT/2': '1.10.0',
  'RANDOM_UNIFORM/1': '2.8.0',
};

export function minRuntimeVersionOf(graphs: readonly Graph[]): string {
  let best = '1.5.0';
  for (const g of graphs) {
    for (const n of g.nodes) {
      if (!n.isTflite) continue;
      const v = RUNTIME[`${n.op.slice(4)}/${n.version}`];
      if (v && compareVersions(v, best) > 0) best = v;
    }
  }
  return best;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}
