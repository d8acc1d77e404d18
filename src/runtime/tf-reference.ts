// The TensorFlow side of "does the converted model compute what TensorFlow computes": a frozen
// GraphDef executed by tfjs-converter's graph executor on the tfjs WebAssembly backend (XNNPACK
// kernels), in Node, without libtensorflow (@tensorflow/tfjs-node cannot be installed here and is
// never required). It is an independent implementation of TF op semantics, not TensorFlow itself.
//
// Our decoded GraphDef is handed to tfjs in the form its Python converter writes (model.json):
// nodes with attrs in protobuf-JSON form (dtypes as 'DT_FLOAT', strings base64, int64 as decimal
// strings, shapes as {dim: [{size}]}), Const values moved to weightSpecs/weightData keyed by node
// name. tfjs has no int64/float64/uint8: such values are computed as int32/float32 (int64 checked
// to fit) and fetched values are given back in the dtype the graph declares where that is known.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as TfCore from '@tensorflow/tfjs-core';
import type * as TfConverter from '@tensorflow/tfjs-converter';
import { type DType, type TypedArray, dtypeFromTf, tfDataTypeName } from '../core/dtype.js';
import { type TensorValue, numElements } from '../core/tensor.js';
import { TfconvError, err, isTfconvError } from '../errors/index.js';
import { castTensor, isCastable } from '../io/cast.js';
import { expandFakeQuant } from './tf-reference-fake-quant.js';
import { shapeFromProto, tensorFromProto } from '../proto/tensor-proto.js';
import type { AttrValue, FunctionDef, GraphDef, NameAttrList, NodeDef, TensorProto, TensorShapeProto } from '../proto/types.js';

const require = createRequire(import.meta.url);

export type TfReferenceBackend = 'wasm' | 'cpu';

export interface TfReferenceOptions {
  /** tfjs backend: 'wasm' (default; XNNPACK, much faster) or 'cpu' (plain JS kernels, a second opinion). */
  backend?: TfReferenceBackend;
}

// --- tfjs set-up (once per process) --------------------------------------------------------------

type TfjsDtype = 'float32' | 'int32' | 'bool' | 'string' | 'complex64';

interface Tfjs {
  tf: typeof TfCore;
  converter: typeof TfConverter;
  /** tfjs ops the installed tfjs-converter can execute (read from its op tables). */
  supportedOps: ReadonlySet<string> | null;
}

let tfjsLoaded: Tfjs | undefined;
const backendReady = new Map<TfReferenceBackend, Promise<void>>();

function loadTfjs(): Tfjs {
  if (tfjsLoaded) return tfjsLoaded;
  const tf = require('@tensorflow/tfjs-core') as typeof TfCore;
  const converter = require('@tensorflow/tfjs-converter') as typeof TfConverter;
  // Production mode silences tfjs's console nags (the cpu backend's "install tfjs-node" banner).
  tf.enableProdMode();
  tfjsLoaded = { tf, converter, supportedOps: readSupportedOps() };
  return tfjsLoaded;
}

/** Make `backend` the active tfjs backend (tfjs has one active backend per process). */
async function useBackend(backend: TfReferenceBackend): Promise<Tfjs> {
  const t = loadTfjs();
  let ready = backendReady.get(backend);
  if (!ready) {
    ready = (async () => {
      if (backend === 'wasm') {
        const wasm = require('@tensorflow/tfjs-backend-wasm') as { setWasmPaths(prefix: string): void };
        // In Node the backend reads its .wasm with fs from this prefix (never fetches).
        wasm.setWasmPaths(`${path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}${path.sep}`);
      } else {
        require('@tensorflow/tfjs-backend-cpu');
      }
    })();
    backendReady.set(backend, ready);
  }
  await ready;
  if (t.tf.getBackend() !== backend) {
    const ok = await withoutNewProcessHandlers(() => t.tf.setBackend(backend));
    if (!ok) throw err.runtimeFailed('TF reference', `the tfjs ${backend} backend failed to initialise`);
  }
  return t;
}

/**
 * The wasm backend's Emscripten glue (Node build) installs process-wide 'uncaughtException' and
 * 'unhandledRejection' handlers that rethrow, which would turn any stray error anywhere in the
 * process into a crash with exit code 7. They serve no purpose for us: remove what it added.
 */
async function withoutNewProcessHandlers<T>(fn: () => Promise<T>): Promise<T> {
  const emitter: NodeJS.EventEmitter = process;
  const events = ['uncaughtException', 'unhandledRejection'];
  const before = new Map(events.map((e) => [e, new Set(emitter.listeners(e))]));
  try {
    return await fn();
  } finally {
    for (const e of events) {
      for (const l of emitter.listeners(e)) if (!before.get(e)?.has(l)) emitter.removeListener(e, l as (...args: unknown[]) => void);
    }
  }
}

/** The TF ops the TF reference can execute (null if tfjs's tables could not be read). */
export function tfReferenceSupportedOps(): ReadonlySet<string> | null {
  return loadTfjs().supportedOps;
}

/**
 * The ops the installed tfjs-converter maps: the op tables (dist/operations/op_list/*.js) that
 * its OperationMapper imports (some tables, e.g. ragged, exist but are not mapped), so the check
 * follows the installed version. null if they cannot be read: tfjs's own error is then the check.
 */
const IGNORED_BY_TFJS = ['FakeQuantWithMinMaxVars'];

function readSupportedOps(): ReadonlySet<string> | null {
  try {
    const opsDir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-converter/package.json')), 'dist', 'operations');
    const mapper = fs.readFileSync(path.join(opsDir, 'operation_mapper.js'), 'utf8');
    const tables = [...mapper.matchAll(/from ['"]\.\/op_list\/([a-z_]+)['"]/g)].map((m) => m[1]);
    if (tables.length < 5) return null;
    const ops = new Set<string>();
    for (const t of tables) {
      for (const m of fs.readFileSync(path.join(opsDir, 'op_list', `${t}.js`), 'utf8').matchAll(/['"]tfOpName['"]\s*:\s*['"]([A-Za-z0-9_]+)['"]/g)) ops.add(m[1]);
    }
    // Mapped but not computed: tfjs runs FakeQuantWithMinMaxVars as an identity ("currently
    // ignored"). Those with constant ranges are expanded before tfjs sees the graph
    // (./tf-reference-fake-quant.ts); any other would make the reference silently unquantized.
    for (const op of IGNORED_BY_TFJS) ops.delete(op);
    return ops.size >= 50 ? ops : null;
  } catch {
    return null;
  }
}

// --- GraphDef -> tfjs model artifacts -------------------------------------------------------

/** What tfjs-converter's python converter writes: model.json's topology and the weights. */
export interface TfjsArtifacts {
  modelTopology: {
    node: TfjsNode[];
    library?: { function: unknown[] };
    versions: { producer?: number; minConsumer?: number; badConsumers?: number[] };
  };
  weightSpecs: { name: string; shape: number[]; dtype: TfjsDtype }[];
  weightData: ArrayBuffer;
}

export interface TfjsNode {
  name: string;
  op: string;
  input: string[];
  device?: string;
  attr: Record<string, unknown>;
}

/** Convert a frozen GraphDef (and its function library) to tfjs GraphModel artifacts. */
export function graphToTfjsArtifacts(graph: GraphDef): TfjsArtifacts {
  const specs: TfjsArtifacts['weightSpecs'] = [];
  const chunks: Uint8Array[] = [];
  const weightOf = new Map<string, string>();
  const addWeight = (node: NodeDef, where: string) => {
    const value = node.attr.value?.tensor;
    if (!value) throw err.badGraph(node.name, 'Const node has no value', 'Const');
    const prev = weightOf.get(node.name);
    if (prev !== undefined) {
      throw err.badGraph(node.name, `Const name is used both in ${prev} and in ${where}; tfjs keys constants by node name (inline functions first)`, 'Const');
    }
    weightOf.set(node.name, where);
    const { spec, bytes } = weightFromTensor(node.name, value);
    specs.push(spec);
    chunks.push(bytes);
  };

  const nodes = graph.node.map((n) => {
    if (n.op === 'Const') addWeight(n, 'the graph');
    return nodeToJson(n);
  });
  const functions = (graph.library?.function ?? []).map((f) => {
    const renamed = withUniqueConstNames(f);
    for (const n of renamed.node_def) if (n.op === 'Const') addWeight(n, `function '${f.signature.name}'`);
    return functionToJson(renamed);
  });

  const total = chunks.reduce((s, c) => s + c.byteLength, 0);
  const weightData = new ArrayBuffer(total);
  const all = new Uint8Array(weightData);
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.byteLength;
  }
  const v = graph.versions;
  const modelTopology: TfjsArtifacts['modelTopology'] = {
    node: nodes,
    // tfjs reads versions.producer/minConsumer unconditionally.
    versions: v ? { producer: v.producer, minConsumer: v.min_consumer, badConsumers: v.bad_consumers } : {},
  };
  if (functions.length > 0) modelTopology.library = { function: functions };
  return { modelTopology, weightSpecs: specs, weightData };
}

/**
 * tfjs looks every Const up by node name in one weight map, also inside functions, where names
 * like "Const" repeat from function to function: prefix a function's constants with its name
 * (and rewrite the references to them inside that function).
 */
function withUniqueConstNames(f: FunctionDef): FunctionDef {
  const consts = new Set(f.node_def.filter((n) => n.op === 'Const').map((n) => n.name));
  if (consts.size === 0) return f;
  const prefix = `${f.signature.name}/`;
  const ref = (input: string): string => {
    const ctrl = input.startsWith('^') ? '^' : '';
    const body = ctrl ? input.slice(1) : input;
    const cut = body.indexOf(':');
    const node = cut < 0 ? body : body.slice(0, cut);
    return consts.has(node) ? `${ctrl}${prefix}${node}${cut < 0 ? '' : body.slice(cut)}` : input;
  };
  return {
    ...f,
    node_def: f.node_def.map((n) => ({ ...n, name: consts.has(n.name) ? prefix + n.name : n.name, input: n.input.map(ref) })),
    ret: Object.fromEntries(Object.entries(f.ret).map(([k, v]) => [k, ref(v)])),
  };
}

function weightFromTensor(node: string, tp: TensorProto): { spec: TfjsArtifacts['weightSpecs'][number]; bytes: Uint8Array } {
  const v = tensorFromProto(tp, node);
  const shape = v.shape;
  if (v.dtype === 'string') {
    const strings = v.data as Uint8Array[];
    const size = strings.reduce((s, b) => s + 4 + b.byteLength, 0);
    const bytes = new Uint8Array(size);
    const dv = new DataView(bytes.buffer);
    let o = 0;
    for (const b of strings) {
      dv.setUint32(o, b.byteLength, true);
      bytes.set(b, o + 4);
      o += 4 + b.byteLength;
    }
    return { spec: { name: node, shape, dtype: 'string' }, bytes };
  }
  if (v.dtype === 'complex64' || v.dtype === 'complex128') {
    const f = Float32Array.from(v.data as Float32Array | Float64Array);
    return { spec: { name: node, shape, dtype: 'complex64' }, bytes: new Uint8Array(f.buffer) };
  }
  const target = tfjsDtypeOf(v.dtype);
  if (!target) throw err.badGraph(node, `constants of type ${v.dtype} cannot run in the TF reference (tfjs)`, 'Const');
  const t = toTfjsValue(v, target, `Const '${node}'`);
  const data = t.data as TypedArray;
  return { spec: { name: node, shape, dtype: target }, bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** The tfjs dtype that holds values of a TF dtype (as tfjs-converter maps DataType). */
function tfjsDtypeOf(d: DType): TfjsDtype | undefined {
  switch (d) {
    case 'float32':
    case 'float64':
    case 'float16':
    case 'bfloat16':
      return 'float32';
    case 'int32':
    case 'int64':
    case 'int8':
    case 'int16':
    case 'uint8':
    case 'uint16':
    case 'uint32':
    case 'uint64':
      return 'int32';
    case 'bool':
      return 'bool';
    case 'string':
      return 'string';
    case 'complex64':
    case 'complex128':
      return 'complex64';
    default:
      return undefined;
  }
}

function toTfjsValue(v: TensorValue, target: TfjsDtype, what: string): TensorValue {
  if (target === 'string' || target === 'complex64') return v;
  const d: DType = target;
  if (v.dtype === d) return v;
  try {
    return castTensor(v, d, what);
  } catch (e) {
    if (isTfconvError(e) && (v.dtype === 'int64' || v.dtype === 'uint64' || v.dtype === 'uint32')) {
      throw new TfconvError(e.code, `${e.message}; tfjs has no 64-bit integers, so the TF reference computes ${v.dtype} as int32`, e.subject);
    }
    throw e;
  }
}

function nodeToJson(n: NodeDef): TfjsNode {
  const attr: Record<string, unknown> = {};
  for (const [k, a] of Object.entries(n.attr)) {
    // A Const's value lives in the weights, as in model.json.
    if (n.op === 'Const' && k === 'value') continue;
    attr[k] = attrToJson(a);
  }
  const out: TfjsNode = { name: n.name, op: n.op, input: [...n.input], attr };
  if (n.device) out.device = n.device;
  return out;
}

function functionToJson(f: FunctionDef): unknown {
  const arg = (a: FunctionDef['signature']['input_arg'][number]) => ({
    name: a.name,
    type: tfDataTypeName(a.type),
    ...(a.type_attr ? { typeAttr: a.type_attr } : {}),
    ...(a.number_attr ? { numberAttr: a.number_attr } : {}),
    ...(a.type_list_attr ? { typeListAttr: a.type_list_attr } : {}),
  });
  return {
    signature: { name: f.signature.name, inputArg: f.signature.input_arg.map(arg), outputArg: f.signature.output_arg.map(arg) },
    attr: Object.fromEntries(Object.entries(f.attr).map(([k, a]) => [k, attrToJson(a)])),
    nodeDef: f.node_def.map(nodeToJson),
    ret: { ...f.ret },
  };
}

function b64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

function shapeToJson(s: TensorShapeProto): unknown {
  return s.unknown_rank ? { unknownRank: true } : { dim: s.dim.map((d) => ({ size: String(d.size) })) };
}

function funcToJson(f: NameAttrList): unknown {
  return { name: f.name, attr: Object.fromEntries(Object.entries(f.attr).map(([k, a]) => [k, attrToJson(a)])) };
}

function tensorToJson(t: TensorProto): unknown {
  const out: Record<string, unknown> = { dtype: tfDataTypeName(t.dtype) };
  if (t.tensor_shape) out.tensorShape = shapeToJson(t.tensor_shape);
  if (t.tensor_content.byteLength > 0) out.tensorContent = b64(t.tensor_content);
  if (t.float_val.length) out.floatVal = t.float_val;
  if (t.double_val.length) out.doubleVal = t.double_val;
  if (t.int_val.length) out.intVal = t.int_val;
  if (t.int64_val.length) out.int64Val = t.int64_val.map(String);
  if (t.bool_val.length) out.boolVal = t.bool_val;
  if (t.half_val.length) out.halfVal = t.half_val;
  if (t.string_val.length) out.stringVal = t.string_val.map(b64);
  return out;
}

function attrToJson(a: AttrValue): unknown {
  switch (a.value) {
    case 's':
      return { s: b64(a.s ?? new Uint8Array(0)) };
    case 'i':
      return { i: String(a.i ?? 0) };
    case 'f':
      return { f: a.f ?? 0 };
    case 'b':
      return { b: a.b ?? false };
    case 'type':
      return { type: tfDataTypeName(a.type ?? 0) };
    case 'shape':
      return { shape: a.shape ? shapeToJson(a.shape) : { unknownRank: true } };
    case 'tensor':
      return { tensor: a.tensor ? tensorToJson(a.tensor) : {} };
    case 'func':
      return { func: a.func ? funcToJson(a.func) : {} };
    case 'placeholder':
      return { placeholder: a.placeholder ?? '' };
    case 'list': {
      const l = a.list;
      if (!l) return { list: {} };
      return {
        list: {
          s: l.s.map(b64),
          i: l.i.map(String),
          f: l.f,
          b: l.b,
          type: l.type.map(tfDataTypeName),
          shape: l.shape.map(shapeToJson),
          tensor: l.tensor.map(tensorToJson),
          func: l.func.map(funcToJson),
        },
      };
    }
    default:
      return {};
  }
}

// --- Running ------------------------------------------------------------------------------------

const FUNCTION_OPS = new Set(['StatefulPartitionedCall', 'PartitionedCall']);
const VARIABLE_OPS = new Set(['VarHandleOp', 'ReadVariableOp', 'AssignVariableOp', 'VariableV2', 'Variable', 'VarIsInitializedOp', 'Assign', 'AssignAddVariableOp', 'AssignSubVariableOp']);
/** Attributes that carry a node's output dtype, most specific first. */
const OUTPUT_TYPE_ATTRS = ['dtype', 'out_type', 'output_type', 'DstT', 'Tout', 'T'];

/** A GraphDef loaded into tfjs, for running many batches. Call dispose() when done. */
export class TfReferenceModel {
  private useAsync = false;
  private disposed = false;

  private constructor(
    private readonly tfjs: Tfjs,
    private readonly backend: TfReferenceBackend,
    private readonly graph: GraphDef,
    private readonly nodes: ReadonlyMap<string, NodeDef>,
    private readonly model: TfConverter.GraphModel,
  ) {}

  static async load(original: GraphDef, options: TfReferenceOptions = {}): Promise<TfReferenceModel> {
    const backend = options.backend ?? 'wasm';
    // tfjs ignores FakeQuantWithMinMaxVars: spell fake quantization out in ops it computes.
    const graph = expandFakeQuant(original);
    const tfjs = await useBackend(backend);
    const nodes = new Map<string, NodeDef>();
    for (const n of graph.node) {
      if (nodes.has(n.name)) throw err.badGraph(n.name, 'two nodes have this name');
      nodes.set(n.name, n);
    }
    const artifacts = graphToTfjsArtifacts(graph);
    let model: TfConverter.GraphModel;
    try {
      model = tfjs.converter.loadGraphModelSync(artifacts as unknown as TfCore.io.ModelArtifacts) as TfConverter.GraphModel;
    } catch (e) {
      throw err.runtimeFailed('TF reference (tfjs)', `cannot load the graph: ${firstLine(e)}`);
    }
    return new TfReferenceModel(tfjs, backend, graph, nodes, model);
  }

  /**
   * Run the graph: `feeds` by tensor name ("x:0" or "x"), `fetches` as tensor names. Returns the
   * fetched values in order.
   */
  async run(feeds: Readonly<Record<string, TensorValue>>, fetches: readonly string[]): Promise<TensorValue[]> {
    if (this.disposed) throw err.runtimeFailed('TF reference (tfjs)', 'the model was disposed');
    if (fetches.length === 0) throw err.badOption('output-arrays', 'no tensors to fetch');
    const tf = this.tfjs.tf;
    const fed = new Map<string, string>(); // node name -> feed key
    for (const key of Object.keys(feeds)) {
      const { node, index } = parseTensorName(key);
      const n = this.nodes.get(node);
      if (!n) throw err.badInput(key, `the graph has no node '${node}'; placeholders: ${this.placeholderList()}`);
      if (index !== 0 && n.op === 'Placeholder') throw err.badInput(key, `'${node}' has one output, ':0'`);
      fed.set(node, key);
    }
    for (const f of fetches) {
      const { node } = parseTensorName(f);
      if (!this.nodes.has(node)) throw err.runtimeFailed('TF reference (tfjs)', `cannot fetch '${f}': the graph has no node '${node}'`);
    }
    this.checkExecutable(fetches, fed);

    const inputs: Record<string, TfCore.Tensor> = {};
    const owned: TfCore.Tensor[] = [];
    try {
      for (const [key, value] of Object.entries(feeds)) {
        const { node } = parseTensorName(key);
        const n = this.nodes.get(node) as NodeDef;
        checkFeedShape(key, n, value);
        const want = n.op.startsWith('Placeholder') && n.attr.dtype?.type !== undefined ? dtypeFromTf(n.attr.dtype.type) : value.dtype;
        const target = want ? tfjsDtypeOf(want) : undefined;
        if (!target) throw err.badInput(key, `tensors of type ${want ?? 'unknown'} cannot be fed to the TF reference (tfjs)`);
        if (want && value.dtype !== want && !(isCastable(value.dtype) && isCastable(want))) {
          throw err.badInput(key, `expected ${want}, got ${value.dtype}`);
        }
        const v = toTfjsValue(want && want !== value.dtype && isCastable(want) ? castTensor(value, want, `input '${key}'`) : value, target, `input '${key}'`);
        const t =
          target === 'string'
            ? tf.tensor(v.data as Uint8Array[], v.shape, 'string')
            : target === 'complex64'
              ? complexTensor(tf, v)
              : tf.tensor(v.data as Float32Array | Int32Array | Uint8Array, v.shape, target);
        owned.push(t);
        inputs[key] = t;
      }
      const names = [...fetches];
      let outs: TfCore.Tensor | TfCore.Tensor[];
      try {
        if (this.tfjs.tf.getBackend() !== this.backend) await useBackend(this.backend);
        outs = await this.execute(inputs, names);
      } catch (e) {
        throw isTfconvError(e) ? e : err.runtimeFailed('TF reference (tfjs)', firstLine(e));
      }
      const list = Array.isArray(outs) ? outs : [outs];
      owned.push(...list);
      const results: TensorValue[] = [];
      for (let i = 0; i < list.length; i++) results.push(await this.readOutput(list[i], names[i]));
      return results;
    } finally {
      for (const t of owned) t.dispose();
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.dispose();
  }

  private async execute(inputs: Record<string, TfCore.Tensor>, names: string[]): Promise<TfCore.Tensor | TfCore.Tensor[]> {
    if (!this.useAsync) {
      try {
        // execute() caches the execution order per input/output set; graphs with control flow
        // or dynamic-shape ops need executeAsync(), which tfjs says in its error.
        return this.model.execute(inputs, names);
      } catch (e) {
        if (!/executeAsync/.test(e instanceof Error ? e.message : String(e))) throw e;
        this.useAsync = true;
      }
    }
    return this.model.executeAsync(inputs, names);
  }

  private async readOutput(t: TfCore.Tensor, name: string): Promise<TensorValue> {
    const shape = [...t.shape];
    if (t.dtype === 'string') {
      const data = (await t.data()) as unknown as Uint8Array[];
      return { dtype: 'string', shape, data: data.map((b) => new Uint8Array(b)) };
    }
    if (t.dtype === 'complex64') {
      throw err.runtimeFailed('TF reference (tfjs)', `output '${name}' is complex; complex outputs are not supported`);
    }
    const raw = (await t.data()) as Float32Array | Int32Array | Uint8Array;
    const dtype: DType = t.dtype === 'bool' ? 'bool' : t.dtype === 'int32' ? 'int32' : 'float32';
    const value: TensorValue = { dtype, shape, data: raw.slice() };
    // Give back the graph's own dtype where tfjs computed it in a wider one (int64 as int32, ...).
    const declared = this.declaredDtype(name);
    const widened =
      (dtype === 'int32' && declared !== undefined && ['int64', 'uint64', 'int8', 'uint8', 'int16', 'uint16', 'uint32'].includes(declared)) ||
      (dtype === 'float32' && declared !== undefined && ['float64', 'float16', 'bfloat16'].includes(declared));
    return widened ? castTensor(value, declared as DType, `output '${name}'`) : value;
  }

  private declaredDtype(tensor: string): DType | undefined {
    const n = this.nodes.get(parseTensorName(tensor).node);
    if (!n) return undefined;
    for (const a of OUTPUT_TYPE_ATTRS) {
      const t = n.attr[a]?.type;
      if (t !== undefined && n.attr[a]?.value === 'type') return dtypeFromTf(t);
    }
    return undefined;
  }

  /** Every op the fetches need (through inputs, control inputs and called functions) must be one tfjs has. */
  private checkExecutable(fetches: readonly string[], fed: ReadonlyMap<string, string>): void {
    const supported = this.tfjs.supportedOps;
    const seen = new Set<string>();
    const stack = fetches.map((f) => parseTensorName(f).node);
    const unsupported = new Map<string, string[]>();
    const missing: NodeDef[] = [];
    const functions = new Map((this.graph.library?.function ?? []).map((f) => [f.signature.name, f]));
    const checkedFunctions = new Set<string>();
    const noteOp = (n: NodeDef, inFunction?: string) => {
      if (supported && !supported.has(n.op) && !functions.has(n.op)) {
        const list = unsupported.get(n.op) ?? [];
        list.push(inFunction ? `${inFunction}/${n.name}` : n.name);
        unsupported.set(n.op, list);
      }
      for (const a of Object.values(n.attr)) {
        const fn = a.value === 'func' ? a.func?.name : undefined;
        for (const name of [fn, ...(a.value === 'list' ? (a.list?.func ?? []).map((f) => f.name) : [])]) {
          const f = name ? functions.get(name) : undefined;
          if (f && !checkedFunctions.has(f.signature.name)) {
            checkedFunctions.add(f.signature.name);
            for (const fn of f.node_def) noteOp(fn, f.signature.name);
          }
        }
      }
      const called = functions.get(n.op);
      if (called && !checkedFunctions.has(called.signature.name)) {
        checkedFunctions.add(called.signature.name);
        for (const fn of called.node_def) noteOp(fn, called.signature.name);
      }
    };
    while (stack.length > 0) {
      const name = stack.pop() as string;
      if (seen.has(name)) continue;
      seen.add(name);
      const n = this.nodes.get(name);
      if (!n) throw err.badGraph(name, 'is an input of another node but is not in the graph');
      if (fed.has(name)) continue;
      if (n.op === 'Placeholder') missing.push(n);
      noteOp(n);
      for (const i of n.input) stack.push(parseTensorName(i.startsWith('^') ? i.slice(1) : i).node);
    }
    if (unsupported.size > 0) {
      const ops = [...unsupported].sort((a, b) => a[0].localeCompare(b[0])).map(([op, names]) => ({ op, count: names.length, examples: names.slice(0, 2) }));
      const needsInline = ops.some((o) => FUNCTION_OPS.has(o.op));
      const needsFreeze = ops.some((o) => VARIABLE_OPS.has(o.op));
      const hint = needsInline || needsFreeze ? 'inline functions and freeze variables first' : 'the TF reference cannot check this graph';
      throw err.runtimeUnsupportedOps('the TF reference (tfjs)', ops, hint);
    }
    if (missing.length > 0) {
      const p = missing.sort((a, b) => a.name.localeCompare(b.name))[0];
      throw err.badInput(`${p.name}:0`, `the graph needs a value for it (${describePlaceholder(p)}); missing: ${missing.map((m) => `'${m.name}:0'`).join(', ')}`);
    }
  }

  private placeholderList(): string {
    const ps = this.graph.node.filter((n) => n.op === 'Placeholder').map((n) => `'${n.name}:0'`);
    return ps.length === 0 ? 'none' : ps.join(', ');
  }
}

/** Load, run once, dispose: the TF reference on one batch. */
export async function runTfReference(
  graph: GraphDef,
  feeds: Readonly<Record<string, TensorValue>>,
  fetches: readonly string[],
  options: TfReferenceOptions = {},
): Promise<TensorValue[]> {
  const m = await TfReferenceModel.load(graph, options);
  try {
    return await m.run(feeds, fetches);
  } finally {
    m.dispose();
  }
}

/** "name:1" -> {node: "name", index: 1}; "name" -> index 0. */
export function parseTensorName(t: string): { node: string; index: number } {
  const m = /^(.*):(\d+)$/.exec(t);
  return m ? { node: m[1], index: Number(m[2]) } : { node: t, index: 0 };
}

function describePlaceholder(n: NodeDef): string {
  const d = n.attr.dtype?.type !== undefined ? dtypeFromTf(n.attr.dtype.type) ?? 'unknown type' : 'unknown type';
  const s = n.attr.shape?.shape ? shapeFromProto(n.attr.shape.shape) : null;
  return `${d}, shape ${s === null ? 'unknown' : `[${s.join(', ')}]`}`;
}

function checkFeedShape(key: string, n: NodeDef, v: TensorValue): void {
  const declared = n.op.startsWith('Placeholder') && n.attr.shape?.shape ? shapeFromProto(n.attr.shape.shape) : null;
  if (Array.isArray(v.data) ? v.data.length !== numElements(v.shape) : v.data.length !== numElements(v.shape) * (v.dtype.startsWith('complex') ? 2 : 1)) {
    throw err.badInput(key, `holds ${v.data.length} values for shape [${v.shape.join(', ')}]`);
  }
  if (declared === null) return;
  if (declared.length !== v.shape.length || declared.some((d, i) => d >= 0 && d !== v.shape[i])) {
    throw err.badInput(key, `expected shape [${declared.join(', ')}] (-1: any), got [${v.shape.join(', ')}]`);
  }
}

function complexTensor(tf: typeof TfCore, v: TensorValue): TfCore.Tensor {
  const d = v.data as Float32Array | Float64Array;
  const re = new Float32Array(d.length / 2);
  const im = new Float32Array(d.length / 2);
  for (let i = 0; i < re.length; i++) {
    re[i] = d[2 * i];
    im[i] = d[2 * i + 1];
  }
  return tf.tidy(() => tf.complex(tf.tensor(re, v.shape), tf.tensor(im, v.shape)));
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}
