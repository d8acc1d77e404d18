// Prepare: from a SavedModel signature (or a GraphDef and the arrays the user names) to one flat,
// frozen GraphDef holding only what the outputs need. This graph is what the TF reference runs
// and what the converter imports. The steps, in order:
//
//   prune            - drop what the outputs do not need before inlining (savers, restore fns);
//   cut              - inner tensors named as inputs become Placeholders;
//   inline-functions - calls replaced by bodies, recursively;
//   freeze-variables - variable reads become constants (needs inlining: reads sit in bodies);
//   defaults         - PlaceholderWithDefault not fed becomes Identity of its default;
//   default attrs    - attributes stripped as defaults (TF2 saves) are written out again;
//   prune            - again, now that bodies are visible (training-only branches vanish).

import { type DType, dtypeFromTf } from '../core/dtype.js';
import { err } from '../errors/index.js';
import { parseTensorRef, tensorName } from '../graph/from-graphdef.js';
import { numbers } from '../graph/ops/util.js';
import { shapeFromProto, tensorFromProto } from '../proto/tensor-proto.js';
import type { AttrValue, GraphDef, MetaGraphDef, NodeDef, TensorShapeProto } from '../proto/types.js';
import { defaultsFromOpDefs, restoreDefaultAttrs } from './default-attrs.js';
import { type FrozenRead, freezeVariables, type VariableLookup } from './freeze-variables.js';
import { inlineFunctions } from './inline-functions.js';
import { outputArgsFromOpDefs } from './op-output-args.js';
import { droppedUpdates, pruneGraphDef } from './prune.js';

export type { FrozenRead, VariableLookup } from './freeze-variables.js';

export interface GraphEndpoint {
  /** Signature key (or the tensor name for GraphDefs). */
  key: string;
  /** Tensor name in the prepared graph, e.g. "serving_default_x:0". */
  name: string;
}

export interface PreparedInput extends GraphEndpoint {
  dtype: DType;
  /** Declared shape; -1 unknown dims; null unknown rank. */
  shape: number[] | null;
}

export interface PreparedGraph {
  graphDef: GraphDef;
  inputs: PreparedInput[];
  outputs: GraphEndpoint[];
  signatureKey: string;
  /** True when the graph is a SavedModel signature (false: a GraphDef, its key is made up). */
  fromSignature: boolean;
  source: string;
  /** What the user should know about this graph (variable updates the conversion leaves out). */
  notes: string[];
  /** Const nodes that were variable reads, and the variable each read (graph order). */
  frozenReads: FrozenRead[];
}

export interface PrepareOptions {
  /** Tensor names that become the inputs (may be inner tensors: everything upstream is cut). */
  inputArrays?: string[];
  /** Tensor names that become the outputs. */
  outputArrays?: string[];
  /** Names the model file in errors. */
  source: string;
}

/** Prepare one SignatureDef of a MetaGraph. */
export function prepareSignature(
  mg: MetaGraphDef,
  signatureKey: string,
  variables: VariableLookup,
  options: PrepareOptions,
): PreparedGraph {
  const sig = mg.signature_def[signatureKey];
  if (!sig) throw err.unknownSignature(options.source, signatureKey, Object.keys(mg.signature_def).sort());
  const gd = mg.graph_def;
  if (!gd) throw err.notAModel(options.source, 'the MetaGraph has no graph');

  const sortedKeys = (m: Record<string, unknown>): string[] => Object.keys(m).sort();
  const inputs: GraphEndpoint[] = options.inputArrays
    ? options.inputArrays.map((n) => ({ key: n, name: n }))
    : sortedKeys(sig.inputs).map((k) => ({ key: k, name: sig.inputs[k].name ?? '' }));
  const outputs: GraphEndpoint[] = options.outputArrays
    ? options.outputArrays.map((n) => ({ key: n, name: n }))
    : sortedKeys(sig.outputs).map((k) => ({ key: k, name: sig.outputs[k].name ?? '' }));
  for (const e of [...inputs, ...outputs]) {
    if (!e.name) throw err.notAModel(options.source, `signature '${signatureKey}' has a sparse or composite tensor '${e.key}', which TFLite cannot take`);
  }
  const opDefs = mg.meta_info_def?.stripped_op_list?.op ?? [];
  return { ...prepare(gd, inputs, outputs, signatureKey, variables, options.source, outputArgsFromOpDefs(opDefs), defaultsFromOpDefs(opDefs)), fromSignature: true };
}

/** Prepare a frozen GraphDef: inputs default to its Placeholders, outputs to unconsumed nodes. */
export function prepareGraphDef(gd: GraphDef, options: PrepareOptions): PreparedGraph {
  const outputs = (options.outputArrays ?? candidateOutputs(gd)).map((n) => ({ key: n.replace(/:0$/, ''), name: n }));
  if (outputs.length === 0) throw err.notAModel(options.source, 'the graph has no outputs; name them with --output-arrays');
  const inputs = options.inputArrays?.map((n) => ({ key: n.replace(/:0$/, ''), name: n }));
  // A GraphDef carries no variable values: a graph that still reads variables was not frozen.
  const noVariables: VariableLookup = (name, n) => {
    throw err.notAModel(options.source, `reads variable '${name}' (${n.op}), and a GraphDef holds no variable values; freeze the graph first, or convert the SavedModel it came from`);
  };
  return { ...prepare(gd, inputs ?? null, outputs, 'serving_default', noVariables, options.source, {}), fromSignature: false };
}

const NON_OUTPUTS = new Set(['NoOp', 'Const', 'Placeholder', 'PlaceholderWithDefault', 'Assert', 'SaveV2', 'RestoreV2', 'Assign', 'AssignVariableOp', 'VarHandleOp', 'VariableV2']);

/** Nodes nothing consumes: the likely outputs of a frozen graph. */
export function candidateOutputs(gd: GraphDef): string[] {
  const consumed = new Set<string>();
  for (const n of gd.node) for (const s of n.input) consumed.add((parseTensorRef(s.replace(/^\^/, '')) ?? { node: s }).node);
  return gd.node.filter((n) => !consumed.has(n.name) && !NON_OUTPUTS.has(n.op)).map((n) => n.name);
}

function prepare(
  gd: GraphDef,
  inputs: GraphEndpoint[] | null,
  outputs: GraphEndpoint[],
  signatureKey: string,
  variables: VariableLookup,
  source: string,
  outputArgs: ReturnType<typeof outputArgsFromOpDefs>,
  defaultAttrs: ReturnType<typeof defaultsFromOpDefs> = {},
): Omit<PreparedGraph, 'fromSignature'> {
  const outNames = outputs.map((o) => o.name);
  const inNames = inputs?.map((i) => i.name) ?? [];
  // Inputs are roots too: a signature input nothing reads is still an input of the model.
  const roots = [...outNames, ...inNames];
  let g = pruneGraphDef(gd, roots, inNames);
  g = { ...g, library: gd.library };
  // The original graph: a cut node's shape may come from a constant the prune just dropped.
  g = cutAtInputs(g, inNames, source, gd);
  g = inlineFunctions(g, { outputArgs });
  // Updates a TF2 function body runs for its side effect (an optimizer step in a `train`
  // signature) cannot be kept: variables become constants. Said, not silently dropped.
  const updates = droppedUpdates(g, outNames, inNames, pruneGraphDef(g, roots, inNames));
  const reads: FrozenRead[] = [];
  g = freezeVariables(g, variables, source, reads);
  g = defaultsForUnfedPlaceholders(g, new Set(inNames.map((n) => (parseTensorRef(n) as { node: string }).node)));
  g = restoreDefaultAttrs(g, defaultAttrs);
  g = pruneGraphDef(g, roots, inNames);
  const notes = updates.size
    ? [
        `signature '${signatureKey}' updates variables (${[...updates].map(([op, names]) => `${op} x${names.length}`).join(', ')}); the converted model computes its outputs from the saved values and does not update them`,
      ]
    : [];

  const byName = new Map(g.node.map((n) => [n.name, n]));
  const resolvedInputs: PreparedInput[] = (inputs ?? placeholderInputs(g)).map((i) => {
    const n = byName.get((parseTensorRef(i.name) as { node: string }).node);
    if (!n) throw err.badGraph(i.name, `input '${i.name}' is not in the graph`);
    return { ...i, dtype: placeholderDtype(n), shape: n.attr.shape?.shape ? shapeFromProto(n.attr.shape.shape) : null };
  });
  // Reads the final prune dropped are not part of the graph.
  const kept = new Set(g.node.map((n) => n.name));
  const frozenReads = reads.filter((r) => kept.has(r.node));
  return { graphDef: g, inputs: resolvedInputs, outputs, signatureKey, source, notes, frozenReads };
}

/** Inner tensors named as inputs become Placeholders; what only they needed is already pruned. */
function cutAtInputs(gd: GraphDef, inNames: string[], source: string, original: GraphDef): GraphDef {
  if (inNames.length === 0) return gd;
  const cut = new Map<string, string>();
  const byName = new Map(original.node.map((n) => [n.name, n]));
  for (const name of inNames) {
    const r = parseTensorRef(name);
    if (!r) continue;
    if (r.index !== 0) throw err.badOption('input-arrays', `'${name}' is output ${r.index} of its node; only first outputs can be cut (${source})`);
    cut.set(r.node, tensorName(r));
  }
  return {
    ...gd,
    node: gd.node.map((n) => {
      if (!cut.has(n.name) || n.op === 'Placeholder') return n;
      const dtype = n.attr.T ?? n.attr.dtype ?? n.attr.DstT ?? n.attr.out_type ?? { value: 'type', type: 1 };
      const attr: Record<string, AttrValue> = { dtype };
      const shape = cutShape(n, byName);
      if (shape) attr.shape = { value: 'shape', shape };
      return { name: n.name, op: 'Placeholder', input: [], device: '', attr, experimental_debug_info: null };
    }),
  };
}

/**
 * The shape a cut tensor is known to have without running what is upstream: the node's recorded
 * _output_shapes, or, for a Reshape to a constant shape (micro_speech's Reshape_2 =
 * Reshape(x, [-1, 49, 40, 1])), that shape with its -1 as the unknown dimension.
 */
function cutShape(n: NodeDef, byName: ReadonlyMap<string, NodeDef>): TensorShapeProto | null {
  const recorded = n.attr._output_shapes?.list?.shape?.[0];
  if (recorded && !recorded.unknown_rank) return recorded;
  if (n.op === 'Reshape') {
    const ref = parseTensorRef(n.input[1] ?? '');
    const target = ref && ref.index === 0 ? byName.get(ref.node) : undefined;
    const proto = target?.op === 'Const' ? target.attr.value?.tensor : undefined;
    if (proto) {
      const v = tensorFromProto(proto, target?.name ?? '');
      if ((v.dtype === 'int32' || v.dtype === 'int64') && v.shape.length === 1) {
        const dims = Array.from(numbers(v));
        if (dims.filter((d) => d === -1).length <= 1 && dims.every((d) => d >= -1)) {
          return { dim: dims.map((size) => ({ size, name: '' })), unknown_rank: false };
        }
      }
    }
  }
  return recorded ?? null;
}

function defaultsForUnfedPlaceholders(gd: GraphDef, fed: Set<string>): GraphDef {
  return {
    ...gd,
    node: gd.node.map((n): NodeDef => {
      if (n.op !== 'PlaceholderWithDefault') return n;
      if (fed.has(n.name)) return { ...n, op: 'Placeholder', input: [] };
      return { ...n, op: 'Identity', attr: { T: n.attr.dtype } };
    }),
  };
}

function placeholderInputs(gd: GraphDef): GraphEndpoint[] {
  return gd.node.filter((n) => n.op === 'Placeholder').map((n) => ({ key: n.name, name: n.name }));
}

function placeholderDtype(n: NodeDef): DType {
  const t = n.attr.dtype?.type ?? n.attr.T?.type;
  return (t !== undefined ? dtypeFromTf(t) : undefined) ?? 'float32';
}
