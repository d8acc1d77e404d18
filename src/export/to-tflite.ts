// Graphs of tfl.* nodes -> a TfliteModel (one subgraph and SignatureDef per graph). Tensor,
// buffer and operator-code order follow the graph's order, so the same graph always gives the
// same bytes. Options are given by their schema names (snake_case) in the graph and must all
// exist in the op's options table: a misspelt option is a bug, not a silent default.

import { DTYPES, tfliteType } from '../core/dtype.js';
import { type TensorValue, tensorBytes } from '../core/tensor.js';
import { err } from '../errors/index.js';
import type { Graph, Node, Tensor } from '../graph/ir.js';
import {
  BUILTIN_OPTIONS_OF,
  BuiltinOperator,
  BuiltinOptions,
  type BuiltinOptionsValue,
  type TfliteModel,
  newBuffer,
  newBuiltinOptionsValue,
  newOperator,
  newOperatorCode,
  newQuantizationParameters,
  newSignatureDef,
  newSubGraph,
  newTensor,
  newTensorMap,
  newTfliteModel,
} from '../tflite/index.js';

export interface ExportOptions {
  description: string;
}

export function graphsToTflite(graphs: readonly Graph[], options: ExportOptions): TfliteModel {
  return graphsToTfliteIndexed(graphs, options).model;
}

/** The model, and for each graph (= subgraph) the index of every graph tensor in its subgraph. */
export interface IndexedExport {
  model: TfliteModel;
  tensorIndex: Map<Tensor, number>[];
}

/**
 * graphsToTflite, also returning where each Tensor went: what lets a run of the written model
 * (intermediate tensors, per-layer reports) be mapped back to the graph.
 */
export function graphsToTfliteIndexed(graphs: readonly Graph[], options: ExportOptions): IndexedExport {
  const model = newTfliteModel({ description: options.description });
  const tensorIndex: Map<Tensor, number>[] = [];
  const opcodeIndex = new Map<string, number>();

  graphs.forEach((g, subgraphIndex) => {
    const sub = newSubGraph({ name: g.name });
    const index = new Map<Tensor, number>();
    tensorIndex.push(index);
    const add = (t: Tensor | null): number => {
      if (t === null) return -1;
      const known = index.get(t);
      if (known !== undefined) return known;
      const i = sub.tensors.length;
      index.set(t, i);
      sub.tensors.push(tensorOf(t, model));
      return i;
    };
    sub.inputs = g.inputs.map(add);
    for (const n of g.nodes) {
      const inputs = n.inputs.map(add);
      const outputs = n.outputs.map(add);
      sub.operators.push(
        newOperator({
          opcodeIndex: opcodeFor(n, model, opcodeIndex),
          inputs,
          outputs,
          ...optionsOf(n),
          ...(n.customOptions ? { customOptions: n.customOptions } : {}),
        }),
      );
    }
    sub.outputs = g.outputs.map(add);
    model.subgraphs.push(sub);
    if (g.signature) {
      model.signatureDefs.push(
        newSignatureDef({
          signatureKey: g.signature.key,
          subgraphIndex,
          inputs: g.signature.inputs.map((e) => newTensorMap({ name: e.key, tensorIndex: add(e.tensor) })),
          outputs: g.signature.outputs.map((e) => newTensorMap({ name: e.key, tensorIndex: add(e.tensor) })),
        }),
      );
    }
  });
  return { model, tensorIndex };
}

function tensorOf(t: Tensor, model: TfliteModel) {
  const type = tfliteType(t.dtype);
  if (type === undefined) throw err.badGraph(t.name, `TFLite has no tensor type for ${t.dtype}`);
  // Only a custom op's output may lack a shape: the app's kernel computes it when it runs.
  const custom = t.producer?.op.startsWith('tfl.custom:') === true;
  if (!t.shape && !custom) throw err.shapeError(t.producer?.name ?? t.name, t.producer?.op ?? 'tensor', `tensor '${t.name}' has no static shape`);
  let buffer = 0;
  if (t.value) {
    buffer = model.buffers.length;
    model.buffers.push(newBuffer({ data: bufferBytes(t.value) }));
  }
  // TFLite's form of a dimension known only at run time (a custom op's output): 1 in `shape`,
  // -1 in `shape_signature`; an unknown rank has no shape at all.
  const shape = t.shape?.map((d) => (d < 0 ? 1 : d)) ?? [];
  const signature = t.signature && t.shape && t.signature.length === t.shape.length ? t.signature.map((d, i) => ((t.shape as number[])[i] < 0 ? -1 : d)) : t.shape;
  const dynamic = signature !== null && signature.some((d, i) => d !== shape[i]);
  return newTensor({
    shape,
    ...(dynamic ? { shapeSignature: signature.slice() } : {}),
    type,
    buffer,
    name: t.name,
    hasRank: t.shape !== null,
    // A learned range without scales (QAT ranges on float tensors) is not TFLite quantization.
    ...(t.quant && t.quant.scale.length > 0
      ? {
          quantization: newQuantizationParameters({
            scale: t.quant.scale.slice(),
            zeroPoint: t.quant.zeroPoint.slice(),
            quantizedDimension: t.quant.axis ?? 0,
            min: t.quant.min?.slice() ?? [],
            max: t.quant.max?.slice() ?? [],
          }),
        }
      : {}),
  });
}

/** A constant's bytes as TFLite stores them; strings in TFLite's count/offsets/bytes layout. */
function bufferBytes(v: TensorValue): Uint8Array {
  if (!Array.isArray(v.data)) {
    const b = tensorBytes(v);
    if (DTYPES[v.dtype].size === 0) throw err.internal(`bufferBytes: ${v.dtype}`);
    return b;
  }
  const strings = v.data;
  const header = 4 * (strings.length + 2);
  const total = header + strings.reduce((s, x) => s + x.byteLength, 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setInt32(0, strings.length, true);
  let off = header;
  strings.forEach((s, i) => {
    dv.setInt32(4 * (i + 1), off, true);
    out.set(s, off);
    off += s.byteLength;
  });
  dv.setInt32(4 * (strings.length + 1), off, true);
  return out;
}

function opcodeFor(n: Node, model: TfliteModel, cache: Map<string, number>): number {
  const name = n.op.slice('tfl.'.length);
  const custom = name.startsWith('custom:') ? name.slice('custom:'.length) : undefined;
  const code = custom !== undefined ? BuiltinOperator.CUSTOM : (BuiltinOperator as unknown as Record<string, number>)[name];
  if (code === undefined) throw err.internal(`unknown TFLite builtin ${name} (node '${n.name}')`);
  const key = `${code}/${custom ?? ''}/${n.version}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const i = model.operatorCodes.length;
  model.operatorCodes.push(
    newOperatorCode({ builtinCode: code, version: n.version, ...(custom !== undefined ? { customCode: custom } : {}) }),
  );
  cache.set(key, i);
  return i;
}

const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

function optionsOf(n: Node): { builtinOptions?: BuiltinOptionsValue } {
  const name = n.op.slice('tfl.'.length);
  if (name.startsWith('custom:')) return {};
  const code = (BuiltinOperator as unknown as Record<string, number>)[name];
  const table = BUILTIN_OPTIONS_OF.get(code);
  if (table === undefined || table === BuiltinOptions.NONE) {
    if (Object.keys(n.options).length) throw err.internal(`${name} has no options table but node '${n.name}' sets options`);
    return {};
  }
  const opts = newBuiltinOptionsValue(table);
  if (opts.type === 'unknown') return {};
  const value = opts.value as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(n.options)) {
    const field = camel(k);
    if (!(field in value)) throw err.internal(`${name} options have no field '${k}' (node '${n.name}')`);
    // 64-bit fields (RandomOptions' seeds) are bigints in the object API; the graph holds numbers.
    value[field] = typeof value[field] === 'bigint' && typeof v === 'number' ? BigInt(v) : v;
  }
  return { builtinOptions: opts };
}
