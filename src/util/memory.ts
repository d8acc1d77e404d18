// Releasing a large model's dead weights before the next large allocation. During a conversion
// the checkpoint-layout weights die as lowering replaces them, and a quantized model's float
// weights die as quantization replaces them; but V8 frees an ArrayBuffer only when a full
// collection has found it dead, and that collection is scheduled by heuristics and finished by
// background threads. On a busy machine it may not have finished when the FlatBuffer builder asks
// for as much memory again, and the peak then holds both (measured: 3.2x the weights of a
// 100M-parameter model instead of 2.2x). One explicit full collection at those points makes the
// peak the same on a busy machine as on an idle one. It costs a few milliseconds (the JS heap is
// small; the weights live outside it), so it is only done when there is much to free.

import v8 from 'node:v8';
import vm from 'node:vm';
import type { Graph } from '../graph/ir.js';

/** Below this many bytes of constants a collection is not worth its time. */
export const COLLECT_ABOVE_BYTES = 64 * 2 ** 20;

let gc: (() => void) | null | undefined;

/** A full, synchronous garbage collection; false when the runtime offers none. */
export function collectGarbage(): boolean {
  if (gc === undefined) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (typeof exposed === 'function') gc = exposed;
    else {
      try {
        // As jest's leak detector does: the flag makes contexts created from now on see gc().
        v8.setFlagsFromString('--expose-gc');
        gc = vm.runInNewContext('gc') as () => void;
      } catch {
        gc = null;
      }
    }
  }
  if (!gc) return false;
  gc();
  return true;
}

/** Bytes of constant data in the graphs (each tensor once). */
export function constantBytes(graphs: readonly Graph[]): number {
  const seen = new Set<unknown>();
  let n = 0;
  for (const g of graphs) {
    for (const node of g.nodes) {
      for (const t of node.inputs) {
        if (!t?.value || seen.has(t)) continue;
        seen.add(t);
        const d = t.value.data;
        if (!Array.isArray(d)) n += d.byteLength;
      }
    }
  }
  return n;
}

/** collectGarbage() when the graphs hold enough constant data for dead copies of it to matter. */
export function releaseDeadWeights(graphs: readonly Graph[]): void {
  if (constantBytes(graphs) >= COLLECT_ABOVE_BYTES) collectGarbage();
}
