// A flat inference GraphDef (what src/prepare makes of a model) written back as a TF2 SavedModel
// in the builder's layout (./savedmodel.ts), with chosen constants turned into variables so that
// TensorFlow can load the model and train them:
//
// - the graph becomes the model function `__inference__wrapped_model_1000`: its input
//   Placeholders become arguments (named by signature key), each variable a trailing resource
//   argument, and every Const that stands for a variable read a ReadVariableOp of its argument;
//   references take the function-body form ("node:output_arg:index", from each op's OpDef);
//   IdentityN nodes left by inlining are bypassed (their consumers read what they forward);
//   `_class` colocation attributes, which name nodes of the original functions, are dropped;
// - the outputs go through Identity nodes that wait for every variable read (Keras's traced
//   functions do the same), and the serving_default signature names them by key;
// - the root object is a plain trackable (`_generic_user_object`, what tf.Module saves as) with
//   the lists `variables` and `trainable_variables`: checkpoint keys are
//   "variables/<i>/.ATTRIBUTES/VARIABLE_VALUE", and `tf.saved_model.load(dir).trainable_variables`
//   is the list to train.

import { type DType, tfDataType } from '../core/dtype.js';
import type { TensorValue } from '../core/tensor.js';
import { err } from '../errors/index.js';
import { parseTensorRef } from '../graph/from-graphdef.js';
import type { FunctionDef, GraphDef, NodeDef, OpDef } from '../proto/types.js';
import { argSize, outputArgsFromOpDefs } from '../prepare/op-output-args.js';
import { DT, attrB, attrType } from './attrs.js';
import { EAGER_FUNCTION_ATTRS } from './emit.js';
import { FunctionBuilder, normalizeArgName } from './nodes.js';
import { BUILDER_OPS, opDef } from './op-defs.js';
import {
  FUNCTION_NAMES,
  type IoSpec,
  type SavedModelLayout,
  type SavedVariableSpec,
  type TrackableSpec,
  assembleSavedModel,
  variableList,
} from './savedmodel.js';

/** A variable of the written model: float32, with its value. */
export interface GraphModelVariable extends SavedVariableSpec {
  value: TensorValue;
}

export interface GraphModel {
  /** Flat (no function calls), frozen: variable reads are Const nodes listed in `reads`. */
  graphDef: GraphDef;
  /** In argument order: the signature key, the input Placeholder node, dtype and signature shape. */
  inputs: { key: string; node: string; dtype: DType; shape: number[] }[];
  /** In result order: the signature key, the tensor ("node" or "node:k"), dtype and signature shape. */
  outputs: { key: string; tensor: string; dtype: DType; shape: number[] }[];
  /** Const nodes that read a variable (several may read one). */
  reads: { node: string; variable: string }[];
  /** Every variable, in the order of the top-level VarHandleOps and of the `variables` list. */
  variables: GraphModelVariable[];
  /** OpDefs of the graph's ops (the source model's stripped_op_list); the builder's table fills gaps. */
  opDefs: readonly OpDef[];
  /** Names the model in errors. */
  source: string;
}

const SYNC_AUTO = 0;
const AGG_NONE = 0;

/** A variable with TensorFlow's defaults (trainable unless said, no synchronization or aggregation). */
export function graphVariable(name: string, value: TensorValue, trainable = true, synchronization = SYNC_AUTO, aggregation = AGG_NONE): GraphModelVariable {
  return { name, shape: value.shape.slice(), trainable, synchronization, aggregation, value };
}

export function graphSavedModel(m: GraphModel): SavedModelLayout {
  for (const v of m.variables) {
    if (v.value.dtype !== 'float32') throw err.internal(`variable ${v.name} is ${v.value.dtype}; the writer holds float32 variables only`);
  }
  const opDefs = new Map<string, OpDef>();
  for (const d of m.opDefs) opDefs.set(d.name, d);
  const modelFunction = modelFunctionOf(m, opDefs);
  const known = new Map<string, TrackableSpec>();
  const children: [string, TrackableSpec][] = [
    ['variables', variableList(m.variables, known)],
    ['trainable_variables', variableList(m.variables.filter((v) => v.trainable), known)],
  ];
  const io = (x: { key: string; dtype: DType; shape: number[] }): IoSpec => ({ key: x.key, dtype: tfDataType(x.dtype), shape: x.shape });
  const byName = new Map(m.variables.map((v) => [v.name, v]));
  return assembleSavedModel({
    inputs: m.inputs.map(io),
    outputs: m.outputs.map(io),
    variables: m.variables,
    modelFunction,
    root: { identifier: '_generic_user_object', children },
    value: (v) => (byName.get(v.name) as GraphModelVariable).value,
    extraOpDefs: opDefs,
  });
}

/** The graph as the model function, with its captured variables in argument order. */
function modelFunctionOf(m: GraphModel, opDefs: ReadonlyMap<string, OpDef>): { def: FunctionDef; captured: SavedVariableSpec[] } {
  const gd = m.graphDef;
  const byName = new Map(gd.node.map((n) => [n.name, n]));
  const layouts = outputArgsFromOpDefs([...opDefs.values()]);
  const readOf = new Map(m.reads.map((r) => [r.node, r.variable]));
  const variableByName = new Map(m.variables.map((v) => [v.name, v]));
  const inputNodes = new Map(m.inputs.map((x) => [x.node, x]));

  /** "X:k" through IdentityN nodes (inlining's call results) to the tensor they forward. */
  const resolve = (ref: string): { node: string; index: number } => {
    let r = parseTensorRef(ref) ?? { node: ref, index: 0 };
    for (let hops = 0; hops < gd.node.length; hops++) {
      const n = byName.get(r.node);
      if (!n || n.op !== 'IdentityN') break;
      const data = n.input.filter((s) => !s.startsWith('^'));
      const next = data[r.index];
      if (next === undefined) throw err.badGraph(n.name, `output ${r.index} is read but it has ${data.length} inputs`, n.op);
      r = parseTensorRef(next) ?? { node: next, index: 0 };
    }
    return r;
  };

  const fb = new FunctionBuilder(FUNCTION_NAMES.model);
  // Argument names must differ from body node names (the input Placeholders are not in the body).
  const taken = new Set(gd.node.filter((n) => !inputNodes.has(n.name)).map((n) => n.name));
  const argName = (base: string): string => {
    let name = normalizeArgName(base) || 'arg';
    for (let k = 1; taken.has(name); k++) name = `${normalizeArgName(base)}_${k}`;
    taken.add(name);
    return name;
  };
  const argOfInput = new Map<string, string>();
  for (const x of m.inputs) {
    const shape = x.shape;
    argOfInput.set(x.node, fb.arg({ name: argName(x.key), type: tfDataType(x.dtype), shape, argAttr: { shape, userName: x.key } }));
  }
  const captured = m.variables;
  const resourceOf = new Map<string, string>();
  for (const v of captured) {
    resourceOf.set(v.name, fb.arg({ name: argName(`${v.name}_resource`), type: DT.RESOURCE, shape: [], handle: { dtype: DT.FLOAT, shape: v.shape } }));
  }

  /** The body reference to a graph tensor: an argument, or "node:output_arg:index". */
  const bodyRef = (ref: string): string => {
    const r = resolve(ref);
    const arg = argOfInput.get(r.node);
    if (arg !== undefined) {
      if (r.index !== 0) throw err.badGraph(r.node, `input Placeholder has no output ${r.index}`, 'Placeholder');
      return arg;
    }
    const n = byName.get(r.node);
    if (!n) throw err.badGraph(r.node, `is read but not in the graph (${m.source})`);
    if (readOf.has(n.name)) return `${n.name}:value:${r.index}`;
    return `${n.name}:${outputArgRef(n, r.index, opDefs, layouts, m.source)}`;
  };

  const reads: string[] = [];
  for (const n of gd.node) {
    if (inputNodes.has(n.name) || n.op === 'IdentityN') continue;
    const variable = readOf.get(n.name);
    if (variable !== undefined) {
      const v = variableByName.get(variable);
      if (!v) throw err.internal(`read ${n.name} names unknown variable ${variable}`);
      fb.node({ name: n.name, op: 'ReadVariableOp', inputs: [resourceOf.get(v.name) as string], attrs: { dtype: attrType(DT.FLOAT) }, shapes: [v.shape] });
      reads.push(n.name);
      continue;
    }
    const inputs: string[] = [];
    for (const s of n.input) {
      if (s.startsWith('^')) {
        // Control edges onto arguments or bypassed IdentityN nodes carry nothing in a function.
        const c = byName.get(s.slice(1));
        if (c && !inputNodes.has(c.name) && c.op !== 'IdentityN') inputs.push(s);
      } else {
        inputs.push(bodyRef(s));
      }
    }
    const attr = { ...n.attr };
    delete attr._class;
    fb.raw({ ...n, input: inputs, attr });
  }

  const unique = (base: string): string => {
    let name = base;
    for (let k = 1; fb.hasNode(name) || taken.has(name); k++) name = `${base}_${k}`;
    return name;
  };
  const noOp = reads.length > 0 ? unique('NoOp') : null;
  const outputs = m.outputs.map((o, i) => {
    const name = unique(i === 0 ? 'Identity' : `Identity_${i}`);
    const dtype = tfDataType(o.dtype);
    fb.node({ name, op: 'Identity', inputs: [bodyRef(o.tensor), ...(noOp ? [`^${noOp}`] : [])], attrs: { T: attrType(dtype) }, shapes: [o.shape] });
    return { name: i === 0 ? 'identity' : `identity_${i}`, type: dtype, ref: `${name}:output:0` };
  });
  if (noOp) {
    fb.node({ name: noOp, op: 'NoOp', inputs: [...reads].sort().map((r) => `^${r}`), attrs: { _acd_function_control_output: attrB(true) }, shapes: [] });
  }
  return { def: fb.finish({ outputs, controlOutputs: reads, attrs: EAGER_FUNCTION_ATTRS }), captured };
}

/** "output_arg:index" of flat output `index` of node `n`, from its op's OpDef. */
function outputArgRef(
  n: NodeDef,
  index: number,
  opDefs: ReadonlyMap<string, OpDef>,
  layouts: ReturnType<typeof outputArgsFromOpDefs>,
  source: string,
): string {
  const d = opDefs.get(n.op) ?? (BUILDER_OPS.includes(n.op) ? opDef(n.op) : undefined);
  if (!d) throw err.unsupportedForQat(source, `op ${n.op} (node '${n.name}')`, 'no OpDef is known for it (a frozen GraphDef carries none: use the SavedModel it came from)');
  const layout = layouts[n.op] ?? outputArgsFromOpDefs([d])[n.op] ?? d.output_arg.map((a) => ({ name: a.name }));
  let base = 0;
  for (const a of layout) {
    const size = argSize(a, n);
    if (index < base + size) return `${a.name}:${index - base}`;
    base += size;
  }
  throw err.badGraph(n.name, `output ${index} is read but ${n.op} has ${base} outputs`, n.op);
}
