// Graph edits every quantization mode makes: put a quantized constant in place of a float one,
// and DEQUANTIZE a constant for readers that need float (inserted before the first of them, so
// the node order stays topological).

import type { TensorValue } from '../core/tensor.js';
import { tflNode } from '../graph/build.js';
import { type Graph, type Node, type QuantParams, Tensor } from '../graph/ir.js';
import { chooseOpVersions } from '../passes/choose-op-versions.js';
import type { QuantizedConstant } from './math.js';

/** A new constant tensor holding `value`, with `quant` (null for float16). */
export function constantTensor(g: Graph, name: string, value: TensorValue, quant: QuantParams | null): Tensor {
  const t = g.constant(name, value);
  t.quant = quant;
  return t;
}

/** A quantized constant as a tensor (TFLite's parameters: scales, zero points, axis). */
export function quantizedTensor(g: Graph, name: string, q: QuantizedConstant): Tensor {
  return constantTensor(g, name, q.value, {
    scale: q.params.scale.slice(),
    zeroPoint: q.params.zeroPoint.slice(),
    ...(q.params.axis !== undefined ? { axis: q.params.axis } : {}),
  });
}

/**
 * Make the given readers read DEQUANTIZE(q) instead of their current input; one DEQUANTIZE per
 * quantized constant, placed before the earliest reader. Returns the float tensor.
 */
export function dequantizeFor(g: Graph, q: Tensor, readers: readonly { node: Node; index: number }[], name: string): Tensor {
  const shape = (q.shape ?? []).slice();
  const out = new Tensor(name, 'float32', shape);
  out.signature = shape.slice();
  const dq = tflNode(g, `${name}`, 'DEQUANTIZE', [q], [out]);
  for (const r of readers) r.node.inputs[r.index] = out;
  const first = Math.min(...readers.map((r) => g.nodes.indexOf(r.node)).filter((i) => i >= 0));
  g.nodes.splice(Number.isFinite(first) ? first : g.nodes.length, 0, dq);
  return out;
}

/** The readers of every constant, in node order (deterministic). */
export function constantReaders(g: Graph): Map<Tensor, { node: Node; index: number }[]> {
  const m = new Map<Tensor, { node: Node; index: number }[]>();
  for (const n of g.nodes) {
    n.inputs.forEach((t, index) => {
      if (!t?.value) return;
      let l = m.get(t);
      if (!l) m.set(t, (l = []));
      l.push({ node: n, index });
    });
  }
  return m;
}

/** Op versions follow the new tensor types (hybrid, int8, float16 kernels). */
export function refreshOpVersions(g: Graph): void {
  chooseOpVersions.apply(g, { allowCustomOps: true, log: () => {} });
}
