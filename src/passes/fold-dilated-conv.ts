// fold-dilated-conv: TF's atrous convolution (tf.nn.atrous_conv2d, TF1 Keras dilation_rate)
// computes a dilated conv as SpaceToBatchND -> VALID conv -> BatchToSpaceND. That is exactly a
// conv with dilations = block_shape on the original input, padded by paddings - crops: one
// CONV_2D (or DEPTHWISE_CONV_2D) instead of three ops and two batch reshuffles.
//
// Before: y = BatchToSpaceND(Conv2D(SpaceToBatchND(x, [bh, bw], P), W){VALID}, [bh, bw], C)
//         (optionally a BiasAdd of a constant between the conv and BatchToSpaceND)
// After:  y = Conv2D(x, W){dilations [1, bh, bw, 1], padding P - C: SAME, VALID or EXPLICIT}
//
// Why exact: the VALID conv on the space-to-batch phases is the dilated conv of the padded input,
// phase by phase; batch-to-space interleaves the phases back, and cropping rows from an output
// edge is starting the window that many rows later, i.e. padding that edge less. It applies only
// when every padding minus its crop is >= 0, the conv has stride 1 and no dilation of its own, and
// every intermediate tensor is read only by the next op of the chain.

import type { Graph, Node, Tensor } from '../graph/ir.js';
import { numbers } from '../graph/ops/util.js';
import { samePadding } from './fold-pad-into-conv.js';
import { type Readers, soleReader } from './match.js';
import type { Pass } from './pass.js';

const CONVS = new Set(['Conv2D', 'DepthwiseConv2dNative']);

function constInts(t: Tensor | null | undefined): number[] | null {
  return t?.value ? Array.from(numbers(t.value)) : null;
}

interface Chain {
  s2b: Node;
  conv: Node;
  bias: Node | null;
  b2s: Node;
  /** Padding of the dilated conv on x: [top, bottom, left, right]. */
  pads: [number, number, number, number];
  block: [number, number];
}

function matchChain(g: Graph, readers: Readers, s2b: Node): Chain | null {
  if (s2b.op !== 'SpaceToBatchND') return null;
  const x = s2b.input(0);
  const block = constInts(s2b.inputs[1]);
  const paddings = constInts(s2b.inputs[2]);
  if (x.rank !== 4 || !block || block.length !== 2 || !paddings || paddings.length !== 4) return null;
  const conv = soleReader(g, readers, s2b.output(0));
  if (!conv || !CONVS.has(conv.op) || conv.inputs[0] !== s2b.output(0) || !conv.inputs[1]?.value) return null;
  if (conv.attrString('padding', 'VALID') !== 'VALID' || conv.attrString('data_format', 'NHWC') !== 'NHWC') return null;
  if (!conv.attrInts('strides', [1, 1, 1, 1]).every((s) => s === 1) || !conv.attrInts('dilations', [1, 1, 1, 1]).every((d) => d === 1)) return null;
  let last = conv;
  let next = soleReader(g, readers, conv.output(0));
  let bias: Node | null = null;
  if (next?.op === 'BiasAdd' && next.inputs[0] === conv.output(0) && next.inputs[1]?.value && next.attrString('data_format', 'NHWC') === 'NHWC') {
    bias = next;
    last = next;
    next = soleReader(g, readers, next.output(0));
  }
  const b2s = next;
  if (!b2s || b2s.op !== 'BatchToSpaceND' || b2s.inputs[0] !== last.output(0)) return null;
  const block2 = constInts(b2s.inputs[1]);
  const crops = constInts(b2s.inputs[2]);
  if (!block2 || block2.join() !== block.join() || !crops || crops.length !== 4) return null;
  const pads = paddings.map((p, i) => p - crops[i]) as [number, number, number, number];
  if (pads.some((p) => p < 0)) return null;
  return { s2b, conv, bias, b2s, pads, block: [block[0], block[1]] };
}

export const foldDilatedConv: Pass = {
  name: 'fold-dilated-conv',
  kind: 'fuse',
  idempotent: true,
  summary: 'turn SpaceToBatchND -> conv -> BatchToSpaceND (atrous convolution) into one dilated conv',
  apply(g: Graph) {
    const readers = g.consumerMap();
    const dead = new Set<Node>();
    for (const s2b of g.nodes) {
      const m = matchChain(g, readers, s2b);
      if (!m || dead.has(m.conv)) continue;
      const { conv, bias, b2s, pads, block } = m;
      const x = s2b.input(0);
      const w = conv.input(1).value as NonNullable<Tensor['value']>;
      const [h, wd] = [(x.shape as number[])[1], (x.shape as number[])[2]];
      const [sameH, sameW] = [samePadding(h, w.shape[0], 1, block[0]), samePadding(wd, w.shape[1], 1, block[1])];
      const padding = pads.every((p) => p === 0)
        ? 'VALID'
        : pads.join() === [...sameH, ...sameW].join()
          ? 'SAME'
          : 'EXPLICIT';
      conv.inputs[0] = x;
      conv.attrs = {
        ...conv.attrs,
        dilations: intList([1, block[0], block[1], 1]),
        padding: { value: 's', s: new TextEncoder().encode(padding) },
        explicit_paddings: intList(padding === 'EXPLICIT' ? [0, 0, ...pads, 0, 0] : []),
      };
      // The last op of the chain now produces what BatchToSpaceND produced (its name, its readers).
      const last = bias ?? conv;
      const y = b2s.output(0);
      last.outputs[0] = y;
      y.producer = last;
      y.outputIndex = 0;
      if (bias) bias.inputs[0] = conv.output(0);
      dead.add(s2b);
      dead.add(b2s);
    }
    g.removeNodes(dead);
    return { graph: g, rewrites: dead.size / 2 };
  },
};

function intList(i: number[]) {
  return { value: 'list' as const, list: { s: [], i, f: [], b: [], type: [], shape: [], tensor: [], func: [] } };
}
