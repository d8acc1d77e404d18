// NodeDef lists for the top-level graph and for function bodies, written as TensorFlow writes
// them: every attribute of the op present (defaults filled in from the OpDef), attribute maps in
// sorted key order (TF serializes SavedModels deterministically, which sorts map keys), and an
// `_output_shapes` attribute on every node. References inside a function body name the output
// argument ("conv/Conv2D:output:0"); at top level they are "node" or "node:1".

import type { AttrValue, FunctionDef, NodeDef, ResourceDtypeAndShape } from '../proto/types.js';
import { DT, attrShapes, shapeOrUnknown, shapeProto } from './attrs.js';
import { attrDefaults, attrNames, outputArg } from './op-defs.js';

export type Shape = readonly number[] | null;

export interface NodeSpec {
  name: string;
  op: string;
  /** Data inputs (references made with ref()/arg names) followed by "^control" inputs. */
  inputs?: string[];
  attrs?: Record<string, AttrValue>;
  /** Output shapes for `_output_shapes` (null: unknown rank). Omit to write no `_output_shapes`. */
  shapes?: Shape[];
  device?: string;
}

export function sortedAttrs(attrs: Record<string, AttrValue>): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const k of Object.keys(attrs).sort()) out[k] = attrs[k] as AttrValue;
  return out;
}

/** A NodeDef with every attribute of its op (defaults where not given) and `_output_shapes`. */
export function makeNode(spec: NodeSpec): NodeDef {
  const attrs: Record<string, AttrValue> = { ...attrDefaults(spec.op), ...(spec.attrs ?? {}) };
  for (const a of attrNames(spec.op)) {
    if (attrs[a] === undefined) throw new Error(`builder: node ${spec.name} (${spec.op}) lacks attribute ${a}`);
  }
  if (spec.shapes) attrs._output_shapes = attrShapes(spec.shapes);
  return {
    name: spec.name,
    op: spec.op,
    input: spec.inputs ?? [],
    device: spec.device ?? '',
    attr: sortedAttrs(attrs),
    experimental_debug_info: null,
  };
}

/** Top-level graph reference to output `index` of `node`. */
export function graphRef(node: NodeDef | string, index = 0): string {
  const name = typeof node === 'string' ? node : node.name;
  return index === 0 ? name : `${name}:${index}`;
}

/** Function-body reference to flat output `index` of `node` ("node:arg:i"). */
export function bodyRef(node: NodeDef, index = 0): string {
  const o = outputArg(node.op, node.attr, index);
  return `${node.name}:${o.arg}:${o.index}`;
}

/**
 * An argument name as TensorFlow derives it from a tensor or node name when it builds a
 * FunctionDef (graph_to_function_def NormalizeName): lower case, every other character '_'.
 */
export function normalizeArgName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

export interface FunctionArg {
  name: string;
  type: number;
  /** The shape recorded in `_input_shapes` (resource handles: [] scalar). */
  shape: Shape;
  /** For resource arguments: the variable's dtype and shape (ArgDef.handle_data). */
  handle?: { dtype: number; shape: readonly number[] };
  /** arg_attr: `_output_shapes`, and `_user_specified_name` if given. */
  argAttr?: { shape: Shape; userName?: string };
}

/** Builds one FunctionDef: arguments, body nodes, results. */
export class FunctionBuilder {
  readonly nodes: NodeDef[] = [];
  readonly args: FunctionArg[] = [];
  private readonly nodeNames = new Set<string>();
  private readonly argNames = new Set<string>();

  constructor(readonly name: string) {}

  /** Add an argument; its name is made unique the way TensorFlow does ("x", "x_1", ...). */
  arg(a: FunctionArg): string {
    let name = a.name;
    for (let k = 1; this.argNames.has(name); k++) name = `${a.name}_${k}`;
    this.argNames.add(name);
    this.args.push({ ...a, name });
    return name;
  }

  node(spec: NodeSpec): NodeDef {
    if (this.nodeNames.has(spec.name)) throw new Error(`builder: duplicate node ${spec.name} in ${this.name}`);
    this.nodeNames.add(spec.name);
    const n = makeNode(spec);
    this.nodes.push(n);
    return n;
  }

  /** Add a NodeDef as it is (a node of an existing graph, its references already in body form). */
  raw(n: NodeDef): NodeDef {
    if (this.nodeNames.has(n.name)) throw new Error(`builder: duplicate node ${n.name} in ${this.name}`);
    this.nodeNames.add(n.name);
    this.nodes.push(n);
    return n;
  }

  /** Whether a node of this name exists. */
  hasNode(name: string): boolean {
    return this.nodeNames.has(name);
  }

  finish(spec: {
    outputs: { name: string; type: number; ref: string }[];
    controlOutputs: string[];
    attrs: Record<string, AttrValue>;
  }): FunctionDef {
    const argAttr: Record<string, { attr: Record<string, AttrValue> }> = {};
    this.args.forEach((a, i) => {
      if (!a.argAttr) return;
      const attr: Record<string, AttrValue> = { _output_shapes: attrShapes([a.argAttr.shape]) };
      if (a.argAttr.userName !== undefined) attr._user_specified_name = { value: 's', s: new TextEncoder().encode(a.argAttr.userName) };
      argAttr[String(i)] = { attr: sortedAttrs(attr) };
    });
    const controlOutputs = [...spec.controlOutputs].sort();
    return {
      signature: {
        name: this.name,
        input_arg: this.args.map((a) => ({
          name: a.name,
          description: '',
          type: a.type,
          type_attr: '',
          number_attr: '',
          type_list_attr: '',
          is_ref: false,
          handle_data: a.handle ? [{ dtype: a.handle.dtype, shape: shapeProto(a.handle.shape) } satisfies ResourceDtypeAndShape] : [],
        })),
        output_arg: spec.outputs.map((o) => ({
          name: o.name,
          description: '',
          type: o.type,
          type_attr: '',
          number_attr: '',
          type_list_attr: '',
          is_ref: false,
          handle_data: [],
        })),
        control_output: controlOutputs,
        attr: [],
        summary: '',
        description: '',
        is_commutative: false,
        is_aggregate: false,
        is_stateful: true,
        allows_uninitialized_input: false,
      },
      attr: sortedAttrs({
        ...spec.attrs,
        _input_shapes: { value: 'list', list: emptyList({ shape: this.args.map((a) => shapeOrUnknown(a.shape)) }) },
      }),
      arg_attr: argAttr,
      resource_arg_unique_id: {},
      node_def: this.nodes,
      ret: Object.fromEntries(spec.outputs.map((o) => [o.name, o.ref]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))),
      control_ret: Object.fromEntries(controlOutputs.map((c) => [c, c])),
    };
  }
}

function emptyList(v: { shape: ReturnType<typeof shapeOrUnknown>[] }) {
  return { s: [], i: [], f: [], b: [], type: [], shape: v.shape, tensor: [], func: [] };
}

export const RESOURCE = DT.RESOURCE;
