// The error a layer adds by itself. In the whole quantized model a layer's values also carry the
// error of everything before it; to see its own, the float model's operator (with any FAKE_QUANT
// fused after it in a QAT graph) runs alone, as a one-operator float model in the runtime, on the
// quantized model's own (dequantized) values of the layer's inputs. The quantized layer's output
// against that is the error of this layer alone: its weights, its integer arithmetic, its output
// scale. Both sides come from the runtime's kernels; nothing is simulated.

import { type TfliteModel, newBuffer, newSubGraph, newTfliteModel, writeTflite } from '../tflite/index.js';
import type { Matching } from './match.js';
import type { ReportModel } from './model.js';

/** Ops whose options point at other subgraphs or that keep state: not run alone. */
const NOT_ALONE = new Set(['WHILE', 'IF', 'CALL_ONCE', 'CALL', 'VAR_HANDLE', 'READ_VARIABLE', 'ASSIGN_VARIABLE']);
const EDGE = new Set(['QUANTIZE', 'DEQUANTIZE']);

export interface LocalLayer {
  /** Operator index in the quantized model. */
  op: number;
  /** The float operator (and the FAKE_QUANTs fused after it) as a model of its own. */
  bytes: Uint8Array;
  /** Per input of that model: the quantized model tensor whose (dequantized) values it takes. */
  feeds: number[];
  /** Per output of that model: the quantized model tensor it is compared with. */
  outputs: number[];
}

export function localLayers(fm: ReportModel, qm: ReportModel, matching: Matching): LocalLayer[] {
  const fProducer = new Map<number, number>();
  for (const o of fm.ops) for (const t of o.outputs) fProducer.set(t, o.index);
  const out: LocalLayer[] = [];
  const seen = new Set<number>();
  for (const l of matching.layers) {
    if (l.floatTensor === null || l.floatSource === null || seen.has(l.op)) continue;
    const q = qm.ops[l.op];
    if (EDGE.has(q.op) || q.outputs.length !== 1) continue;
    const fOp = fProducer.get(l.floatSource);
    if (fOp === undefined) continue;
    const f = fm.ops[fOp];
    const src = fm.file.subgraphs[0].operators[fOp];
    if (NOT_ALONE.has(f.op) || src.intermediates.length > 0 || f.outputs.length !== 1) continue;
    // The chain: the float operator, then the FAKE_QUANTs between its output and floatTensor.
    const chain = [fOp];
    for (let t = l.floatSource; t !== l.floatTensor; ) {
      const next = fm.ops.find((o) => o.op === 'FAKE_QUANT' && o.inputs[0] === t);
      if (!next) break;
      chain.push(next.index);
      t = next.outputs[0];
    }
    const last = fm.ops[chain[chain.length - 1]].outputs[0];
    if (last !== l.floatTensor) continue;
    const fLive = [...new Set(f.inputs.filter((i) => i >= 0 && !fm.tensors[i].constant))];
    const qLive = [...new Set(q.inputs.filter((i) => i >= 0 && !qm.tensors[i].constant))];
    // Inputs pair up by position; the float side must take floats, the sizes must agree.
    if (fLive.length !== qLive.length || fLive.some((t, k) => fm.tensors[t].dtype !== 'float32' || size(fm, t) !== size(qm, qLive[k]))) continue;
    seen.add(l.op);
    out.push({ op: l.op, bytes: extract(fm, chain, fLive, [last]), feeds: qLive, outputs: [l.tensor] });
  }
  return out;
}

function size(m: ReportModel, t: number): number {
  return m.tensors[t].shape.reduce((a, b) => a * b, 1);
}

/** Operators `ops` of subgraph 0 as a model of their own, with `inputs` and `outputs`. */
function extract(m: ReportModel, ops: readonly number[], inputs: readonly number[], outputs: readonly number[]): Uint8Array {
  const file = m.file;
  const sg = file.subgraphs[0];
  const model: TfliteModel = newTfliteModel({ description: 'tfconv report: one layer' });
  const sub = newSubGraph({ name: 'layer' });
  const codes = new Map<number, number>();
  const mapped = new Map<number, number>();
  const tensor = (i: number): number => {
    if (i < 0) return -1;
    const known = mapped.get(i);
    if (known !== undefined) return known;
    const t = sg.tensors[i];
    let buffer = 0;
    const data = file.buffers[t.buffer]?.data;
    if (t.buffer > 0 && data && data.length > 0) {
      buffer = model.buffers.length;
      model.buffers.push(newBuffer({ data }));
    }
    const k = sub.tensors.length;
    sub.tensors.push({ ...t, buffer });
    mapped.set(i, k);
    return k;
  };
  sub.inputs = inputs.map(tensor);
  for (const i of ops) {
    const o = sg.operators[i];
    let code = codes.get(o.opcodeIndex);
    if (code === undefined) {
      code = model.operatorCodes.length;
      model.operatorCodes.push({ ...file.operatorCodes[o.opcodeIndex] });
      codes.set(o.opcodeIndex, code);
    }
    sub.operators.push({ ...o, opcodeIndex: code, inputs: o.inputs.map(tensor), outputs: o.outputs.map(tensor), intermediates: [] });
  }
  sub.outputs = outputs.map(tensor);
  model.subgraphs.push(sub);
  return writeTflite(model);
}
