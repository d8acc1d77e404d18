// fold-pad-into-conv: a constant zero PAD of height and width in front of a VALID conv or
// depthwise conv is dropped when it pads exactly as SAME would; the conv becomes SAME.
//
// Before: y = CONV_2D(PAD(x, [[0,0],[1,1],[1,1],[0,0]]), W, b){VALID}   (3x3, stride 1)
// After:  y = CONV_2D(x, W, b){SAME}

import { type Graph, type Node, mergeProvenance } from '../graph/ir.js';
import { numbers } from '../graph/ops/util.js';
import { PADDING } from '../lower/helpers.js';
import { soleReader } from './match.js';
import type { Pass } from './pass.js';

const CONVS = new Set(['tfl.CONV_2D', 'tfl.DEPTHWISE_CONV_2D']);

/** TF's SAME padding for one spatial dimension: [before, after]. */
export function samePadding(inSize: number, filter: number, stride: number, dilation: number): [number, number] {
  const out = Math.ceil(inSize / stride);
  const effective = (filter - 1) * dilation + 1;
  const total = Math.max((out - 1) * stride + effective - inSize, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

export const foldPadIntoConv: Pass = {
  name: 'fold-pad-into-conv',
  kind: 'fuse',
  idempotent: true,
  summary: 'drop a zero PAD before a VALID conv when it equals SAME padding',
  apply(g: Graph) {
    const readers = g.consumerMap();
    const dead = new Set<Node>();
    for (const pad of g.nodes) {
      if (pad.op !== 'tfl.PAD') continue;
      const padded = pad.output(0);
      const conv = soleReader(g, readers, padded);
      if (!conv || !CONVS.has(conv.op) || conv.inputs[0] !== padded || conv.options.padding !== PADDING.VALID) continue;
      const p = pad.inputs[1]?.value;
      const x = pad.input(0);
      const w = conv.inputs[1]?.value;
      if (!p || !w || !x.shape || x.shape.length !== 4) continue;
      const v = numbers(p);
      if (v[0] || v[1] || v[6] || v[7]) continue;
      const kh = w.shape[1];
      const kw = w.shape[2];
      const sh = Number(conv.options.stride_h ?? 1);
      const sw = Number(conv.options.stride_w ?? 1);
      const dh = Number(conv.options.dilation_h_factor ?? 1);
      const dw = Number(conv.options.dilation_w_factor ?? 1);
      // With stride 1, SAME pads (k - 1) * d at any size; with a larger stride it depends on the
      // size, so a height or width known only at run time (-1 in the signature) cannot be judged
      // from its batch-1 value.
      const dynamic = (i: number): boolean => (x.signature?.[i] ?? 0) < 0;
      if ((dynamic(1) && sh !== 1) || (dynamic(2) && sw !== 1)) continue;
      const [ht, hb] = samePadding(x.shape[1], kh, sh, dh);
      const [wl, wr] = samePadding(x.shape[2], kw, sw, dw);
      if (v[2] !== ht || v[3] !== hb || v[4] !== wl || v[5] !== wr) continue;
      conv.inputs[0] = x;
      conv.options = { ...conv.options, padding: PADDING.SAME };
      mergeProvenance(conv, pad);
      dead.add(pad);
    }
    g.removeNodes(dead);
    return { graph: g, rewrites: dead.size };
  },
};
