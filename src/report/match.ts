// Which tensor of the float model each layer of the quantized model stands for.
//
// A layer is an operator's output tensor. Pairs come, in order of trust, from
//   map        the exact correspondence the quantizer kept (tfconv optimize --report)
//   name       the same tensor name in both files (the same converter named both)
//   alignment  an order-preserving alignment of the two operator sequences: compatible op types
//              and output sizes, scored by how many TF node / Keras layer names the tensor names
//              share (the official converter joins fused nodes' names with ';')
//   input      a model input matched by SignatureDef key, name, then position
// QUANTIZE and DEQUANTIZE outputs stand for whatever their input stands for; a float tensor read
// only by a FAKE_QUANT (QAT) is compared after it. Layers left without
// a partner are listed as unmatched, on both sides.

import { numElements } from '../core/tensor.js';
import type { ReportModel } from './model.js';

export type MatchKind = 'map' | 'name' | 'alignment' | 'input' | 'propagated';

export interface LayerPair {
  /** Operator index in the quantized model. */
  op: number;
  /** Output tensor index in the quantized model. */
  tensor: number;
  /** Float model tensor index, or null when unmatched. */
  floatTensor: number | null;
  /** The float operator's own output when floatTensor is the FAKE_QUANT after it (else floatTensor). */
  floatSource: number | null;
  match: MatchKind | null;
}

export interface Matching {
  layers: LayerPair[];
  /** Float model operators whose output no layer of the quantized model matched (indices). */
  unmatchedFloat: number[];
  /** Quantized model input index -> float model input index (or -1). */
  inputs: number[];
  /** Quantized model output index -> float model output index (or -1). */
  outputs: number[];
}

const EDGE_OPS = new Set(['QUANTIZE', 'DEQUANTIZE']);
/** Ops the converters write interchangeably for one TF op. */
const EQUIVALENT: readonly (readonly string[])[] = [
  ['AVERAGE_POOL_2D', 'MEAN'],
  // TOCO writes a one-input-channel Conv2D as DEPTHWISE_CONV_2D.
  ['CONV_2D', 'DEPTHWISE_CONV_2D'],
  ['RESHAPE', 'SQUEEZE', 'EXPAND_DIMS'],
];
/** Alignment needs n x m cells; past this the name matches and in-order op matches alone are used. */
const MAX_ALIGNMENT_CELLS = 16_000_000;

/** The TF node names a TFLite tensor name stands for ("a;b;c" from TFLite's converter). */
export function tfNodesOfName(name: string): string[] {
  const out: string[] = [];
  for (const part of name.split(';')) {
    const p = part.replace(/:\d+$/, '').trim();
    if (p && !out.includes(p)) out.push(p);
  }
  return out;
}

/**
 * The Keras layer of a TF node name: the path component after the model's own name, once the
 * function-call scopes are gone ('StatefulPartitionedCall/.../functional_1/conv2d/Conv2D' ->
 * 'conv2d'). Null for names that are not in a model/layer/op layout (TF1 graphs: 'Conv2D').
 */
export function kerasLayerOf(node: string): { model: string; layer: string } | null {
  const parts = node.split('/').filter((p) => p !== '');
  while (parts.length && /^(Stateful)?PartitionedCall(_\d+)?$/.test(parts[0])) parts.shift();
  if (parts.length < 3) return null;
  return { model: parts[0], layer: parts[1] };
}

export function kerasLayersOf(nodes: readonly string[]): string[] {
  const out: string[] = [];
  for (const n of nodes) {
    const l = kerasLayerOf(n)?.layer;
    if (l && !out.includes(l)) out.push(l);
  }
  return out;
}

/** Node names without call scopes, for comparing names written by different converters. */
function nameTokens(name: string): Set<string> {
  const out = new Set<string>();
  for (const n of tfNodesOfName(name)) {
    const parts = n.split('/').filter((p) => p !== '');
    while (parts.length > 1 && /^(Stateful)?PartitionedCall(_\d+)?$/.test(parts[0])) parts.shift();
    out.add(parts.join('/'));
    const l = kerasLayerOf(n);
    if (l) out.add(`layer:${l.layer}`);
  }
  return out;
}

function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let common = 0;
  for (const x of a) if (b.has(x)) common++;
  return common / (a.size + b.size - common);
}

function compatible(a: string, b: string): boolean {
  return a === b || EQUIVALENT.some((g) => g.includes(a) && g.includes(b));
}

function ioPairs(qm: ReportModel, fm: ReportModel, side: 'inputs' | 'outputs'): number[] {
  const q = qm[side];
  const f = fm[side];
  const used = new Set<number>();
  const out = q.map((e) => {
    let k = f.findIndex((x, i) => !used.has(i) && x.key === e.key);
    if (k < 0) k = f.findIndex((x, i) => !used.has(i) && fm.tensors[x.tensor].name === qm.tensors[e.tensor].name);
    if (k >= 0) used.add(k);
    return k;
  });
  // Position for whatever is left (files of different converters name inputs differently).
  return out.map((k, i) => {
    if (k >= 0) return k;
    if (i < f.length && !used.has(i)) {
      used.add(i);
      return i;
    }
    return -1;
  });
}

/**
 * Pair the quantized model's layers with float model tensors. `map` (quantized tensor index ->
 * float tensor index) is trusted where it has an entry.
 */
export function matchLayers(fm: ReportModel, qm: ReportModel, map?: ReadonlyMap<number, number>): Matching {
  const inputs = ioPairs(qm, fm, 'inputs');
  const outputs = ioPairs(qm, fm, 'outputs');
  const partner = new Map<number, { f: number; kind: MatchKind; source?: number }>();
  inputs.forEach((k, i) => {
    if (k >= 0) partner.set(qm.inputs[i].tensor, { f: fm.inputs[k].tensor, kind: 'input' });
  });

  const qLayers = qm.ops.filter((o) => o.outputs.length > 0);
  const size = (m: ReportModel, t: number): number => numElements(m.tensors[t]?.shape ?? []);
  const fits = (q: number, f: number): boolean => size(qm, q) === size(fm, f);

  // 1. The quantizer's own correspondence.
  if (map) {
    for (const o of qLayers) {
      for (const t of o.outputs) {
        const f = map.get(t);
        if (f !== undefined && fits(t, f)) partner.set(t, { f, kind: 'map' });
      }
    }
  }

  // 2 and 3. Main operators of both models, aligned.
  const qMain = qLayers.filter((o) => !EDGE_OPS.has(o.op) && !partner.has(o.outputs[0]));
  const taken = new Set([...partner.values()].map((p) => p.f));
  const fMain = fm.ops.filter((o) => o.outputs.length > 0 && !EDGE_OPS.has(o.op) && !taken.has(o.outputs[0]));
  const fByName = new Map<string, number>();
  for (const o of fMain) fByName.set(fm.tensors[o.outputs[0]].name, o.outputs[0]);
  const qTokens = qMain.map((o) => nameTokens(qm.tensors[o.outputs[0]].name));
  const fTokens = fMain.map((o) => nameTokens(fm.tensors[o.outputs[0]].name));
  const score = (i: number, j: number): number => {
    const qo = qMain[i];
    const fo = fMain[j];
    if (!compatible(qo.op, fo.op) || !fits(qo.outputs[0], fo.outputs[0])) return -1;
    if (qm.tensors[qo.outputs[0]].name === fm.tensors[fo.outputs[0]].name) return 100;
    return 1 + (qo.op === fo.op ? 0.5 : 0) + jaccard(qTokens[i], fTokens[j]);
  };
  const n = qMain.length;
  const m = fMain.length;
  const pairs: [number, number][] = [];
  if (n * m <= MAX_ALIGNMENT_CELLS) {
    // Maximum-score order-preserving alignment (unmatched steps cost nothing).
    const best = new Float64Array((n + 1) * (m + 1));
    const W = m + 1;
    for (let i = 1; i <= n; i++) {
      for (let j = 1; j <= m; j++) {
        let v = Math.max(best[(i - 1) * W + j], best[i * W + j - 1]);
        const s = score(i - 1, j - 1);
        if (s > 0) v = Math.max(v, best[(i - 1) * W + j - 1] + s);
        best[i * W + j] = v;
      }
    }
    for (let i = n, j = m; i > 0 && j > 0; ) {
      const s = score(i - 1, j - 1);
      if (s > 0 && best[i * W + j] === best[(i - 1) * W + j - 1] + s) {
        pairs.push([i - 1, j - 1]);
        i--;
        j--;
      } else if (best[i * W + j] === best[(i - 1) * W + j]) i--;
      else j--;
    }
  } else {
    // Too large to align: same names, then the next compatible op in order.
    let j = 0;
    for (let i = 0; i < n; i++) {
      const byName = fByName.get(qm.tensors[qMain[i].outputs[0]].name);
      const k = byName !== undefined ? fMain.findIndex((o) => o.outputs[0] === byName) : -1;
      if (k >= j) {
        pairs.push([i, k]);
        j = k + 1;
        continue;
      }
      for (let k2 = j; k2 < m && k2 < j + 8; k2++) {
        if (score(i, k2) > 0) {
          pairs.push([i, k2]);
          j = k2 + 1;
          break;
        }
      }
    }
  }
  for (const [i, j] of pairs) {
    const q = qMain[i].outputs[0];
    const f = fMain[j].outputs[0];
    partner.set(q, { f, kind: qm.tensors[q].name === fm.tensors[f].name ? 'name' : 'alignment' });
  }

  // A float tensor whose only reader is a FAKE_QUANT (QAT graphs): the quantized model computes
  // the fake-quantized values (clamped to the learned range and rounded), so that is the float
  // value to compare with; the FAKE_QUANT belongs to the layer, as a fused activation does.
  const readers = new Map<number, number[]>();
  for (const o of fm.ops) for (const i of o.inputs) if (i >= 0) readers.set(i, [...(readers.get(i) ?? []), o.index]);
  const absorbed = new Set<number>();
  for (const [q, p] of partner) {
    let f = p.f;
    for (let guard = 0; guard < fm.ops.length; guard++) {
      const r = readers.get(f) ?? [];
      if (r.length !== 1 || fm.ops[r[0]].op !== 'FAKE_QUANT' || fm.outputs.some((o) => o.tensor === f)) break;
      absorbed.add(r[0]);
      f = fm.ops[r[0]].outputs[0];
    }
    if (f !== p.f) partner.set(q, { f, kind: p.kind, source: p.f });
  }

  // 4. QUANTIZE / DEQUANTIZE stand for their input.
  for (const o of qm.ops) {
    if (!EDGE_OPS.has(o.op) || partner.has(o.outputs[0])) continue;
    const p = partner.get(o.inputs[0]);
    if (p) partner.set(o.outputs[0], { f: p.f, kind: 'propagated', ...(p.source !== undefined ? { source: p.source } : {}) });
  }

  const layers: LayerPair[] = [];
  for (const o of qLayers) {
    for (const t of o.outputs) {
      if (t < 0 || qm.tensors[t]?.constant) continue;
      const p = partner.get(t);
      layers.push({ op: o.index, tensor: t, floatTensor: p?.f ?? null, floatSource: p?.source ?? p?.f ?? null, match: p?.kind ?? null });
    }
  }
  const used = new Set(layers.map((l) => l.floatTensor));
  const fakeQuantOf = new Map<number, number>();
  for (const i of absorbed) fakeQuantOf.set(fm.ops[i].inputs[0], fm.ops[i].outputs[0]);
  const isUsed = (t: number): boolean => used.has(t) || (fakeQuantOf.has(t) && isUsed(fakeQuantOf.get(t) as number));
  const unmatchedFloat = fm.ops
    .filter((o) => !EDGE_OPS.has(o.op) && !absorbed.has(o.index) && o.outputs.length > 0 && !isUsed(o.outputs[0]))
    .map((o) => o.index);
  return { layers, unmatchedFloat, inputs, outputs };
}
