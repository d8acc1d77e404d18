// Per-tensor values from the real TFLite runtime. The interpreter keeps (and lets us read) a
// tensor only when it is an output of the subgraph, so we run a debug copy of the model whose
// subgraph 0 lists every readable non-constant tensor among its outputs. Nothing else about the
// model changes: the kernels, the XNNPACK path and the arithmetic are the ones the real model
// uses, so what calibration and per-layer reports see is what the device will compute.
//
//   exposeTensors(model)        a TfliteModel -> the debug copy and which tensor each output is
//   IntermediateRunner.forGraph a Graph (float or quantized) -> a loaded debug model whose
//                               outputs map back to the graph's Tensor objects
//   runner.run(inputs, visit)   one inference; visit(tensor, values) for every exposed tensor

import { type DType, type TypedArray, dtypeFromTflite } from '../core/dtype.js';
import type { TensorValue } from '../core/tensor.js';
import { err } from '../errors/index.js';
import { graphsToTfliteIndexed } from '../export/to-tflite.js';
import type { Graph, Tensor } from '../graph/ir.js';
import { type TfliteModel as TfliteFile, writeTflite } from '../tflite/index.js';
import { type LoadedTflite, TfliteRuntime } from './tflite.js';

/** Element types the WASM runtime can hand back through its API (see tflite.ts). */
const READABLE: ReadonlySet<DType> = new Set<DType>(['float32', 'int32', 'int16', 'int8', 'uint8', 'bool']);

export interface ExposedModel {
  /** The debug copy: subgraph 0's outputs are its original outputs, then every exposed tensor. */
  model: TfliteFile;
  /** Subgraph-0 tensor index of each output of the debug copy, in output order. */
  outputTensors: number[];
  /** How many of those are the model's own outputs (they come first). */
  originalOutputs: number;
}

export interface ExposeOptions {
  /** Which subgraph-0 tensors to expose (default: every readable non-constant tensor). */
  select?: (tensorIndex: number) => boolean;
}

/** A copy of `model` whose subgraph 0 also outputs every selected intermediate tensor. */
export function exposeTensors(model: TfliteFile, options: ExposeOptions = {}): ExposedModel {
  const sg = model.subgraphs[0];
  if (!sg) throw err.internal('exposeTensors: the model has no subgraph');
  const outputs = sg.outputs.slice();
  const present = new Set(outputs);
  sg.tensors.forEach((t, i) => {
    if (present.has(i)) return;
    const constant = t.buffer > 0 && (model.buffers[t.buffer]?.data.length ?? 0) > 0;
    const dtype = dtypeFromTflite(t.type);
    if (constant || t.isVariable || !dtype || !READABLE.has(dtype)) return;
    if (options.select && !options.select(i)) return;
    present.add(i);
    outputs.push(i);
  });
  const copy: TfliteFile = { ...model, subgraphs: model.subgraphs.map((s, k) => (k === 0 ? { ...s, outputs } : s)) };
  return { model: copy, outputTensors: outputs, originalOutputs: sg.outputs.length };
}

export interface RunnerOptions {
  /** Which graph tensors to report (default: every non-constant tensor the runtime can read). */
  select?: (t: Tensor) => boolean;
  /** Names the model in errors. */
  name?: string;
}

/** Called once per exposed tensor per run; `values` is valid only during the call. */
export type TensorVisitor = (tensor: Tensor, values: TypedArray, shape: readonly number[]) => void;

/** A graph loaded in the TFLite runtime with every selected tensor readable after each run. */
export class IntermediateRunner {
  /** The graph tensors reported by run(), in the order visit sees them. */
  readonly tensors: readonly Tensor[];

  private constructor(
    private readonly model: LoadedTflite,
    private readonly graph: Graph,
    private readonly outputOf: (Tensor | null)[],
    private readonly inputOrder: Tensor[],
  ) {
    this.tensors = outputOf.filter((t): t is Tensor => t !== null);
  }

  /**
   * Export `graph` alone (it becomes subgraph 0), expose its tensors and load the result. The
   * graph is not modified. Dispose the runner when done.
   */
  static async forGraph(graph: Graph, options: RunnerOptions = {}): Promise<IntermediateRunner> {
    const { model, tensorIndex } = graphsToTfliteIndexed([graph], { description: 'tfconv debug copy' });
    const byIndex = new Map<number, Tensor>();
    for (const [t, i] of tensorIndex[0]) byIndex.set(i, t);
    const exposed = exposeTensors(model, {
      select: (i) => {
        const t = byIndex.get(i);
        return t !== undefined && !t.isConstant && (options.select?.(t) ?? true);
      },
    });
    const bytes = writeTflite(exposed.model);
    const runtime = await TfliteRuntime.load();
    const loaded = runtime.loadModel(bytes, { name: options.name ?? `${graph.name} (debug copy)` });
    // The model's own outputs come first; they are reported too when selected.
    const outputOf = exposed.outputTensors.map((i, k) => {
      const t = byIndex.get(i) ?? null;
      if (t === null) return null;
      if (k < exposed.originalOutputs && (t.isConstant || !(options.select?.(t) ?? true))) return null;
      return t;
    });
    const inputOrder = graph.inputs.slice();
    if (loaded.inputs.length !== inputOrder.length) {
      loaded.dispose();
      throw err.internal(`debug copy of '${graph.name}' has ${loaded.inputs.length} inputs, the graph ${inputOrder.length}`);
    }
    return new IntermediateRunner(loaded, graph, outputOf, inputOrder);
  }

  /** The graph this runner runs. */
  get source(): Graph {
    return this.graph;
  }

  /**
   * One inference. Inputs by graph input Tensor, by signature input key, or in graph input
   * order. `visit` gets every reported tensor's values (a view, valid only during the call).
   */
  run(inputs: readonly TensorValue[] | ReadonlyMap<Tensor, TensorValue> | Readonly<Record<string, TensorValue>>, visit: TensorVisitor): void {
    const ordered = this.orderInputs(inputs);
    this.model.runVisit(ordered, (k, _dtype, shape, view) => {
      const t = this.outputOf[k];
      if (t) visit(t, view, shape);
    });
  }

  /** One inference returning copies of the graph's own outputs (in graph output order). */
  runOutputs(inputs: readonly TensorValue[] | ReadonlyMap<Tensor, TensorValue> | Readonly<Record<string, TensorValue>>): TensorValue[] {
    const ordered = this.orderInputs(inputs);
    return this.model.run(ordered, { outputs: this.graph.outputs.map((_, i) => i) });
  }

  dispose(): void {
    this.model.dispose();
  }

  private orderInputs(inputs: readonly TensorValue[] | ReadonlyMap<Tensor, TensorValue> | Readonly<Record<string, TensorValue>>): TensorValue[] {
    if (Array.isArray(inputs)) return inputs as TensorValue[];
    if (inputs instanceof Map) {
      return this.inputOrder.map((t) => {
        const v = inputs.get(t);
        if (!v) throw err.badInput(t.name, 'no value given');
        return v;
      });
    }
    const byKey = inputs as Readonly<Record<string, TensorValue>>;
    const sig = this.graph.signature;
    return this.inputOrder.map((t) => {
      const key = sig?.inputs.find((e) => e.tensor === t)?.key ?? t.name;
      const v = byKey[key] ?? byKey[t.name];
      if (!v) throw err.badInput(key, `no value given (inputs: ${this.inputOrder.map((x) => `'${sig?.inputs.find((e) => e.tensor === x)?.key ?? x.name}'`).join(', ')})`);
      return v;
    });
  }
}
