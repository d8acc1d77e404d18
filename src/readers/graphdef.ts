// Frozen GraphDef (.pb) files, and the small graph helpers every reader of a TensorFlow graph needs:
// tensor-name parsing, the function library by name, and which functions a node calls.

import fs from 'node:fs';
import { err } from '../errors/index.js';
import { type AttrValue, type FunctionDef, type GraphDef, GraphDefCodec, type NodeDef, SavedModelCodec } from '../proto/index.js';
import { detectModel } from './detect.js';

/**
 * Reads a binary GraphDef. The path must be a file that detectModel classifies as a GraphDef
 * (not a SavedModel directory, not a .tflite, not text format).
 */
export function readGraphDef(file: string): GraphDef {
  const detected = detectModel(file);
  if (detected.kind === 'savedmodel') {
    throw err.notAModel(file, 'is a SavedModel, not a GraphDef file; read it as a SavedModel');
  }
  if (detected.kind === 'tflite') throw err.notAModel(file, 'is a TFLite model, not a GraphDef file');
  const bytes = readBytes(detected.path);
  let graph: GraphDef;
  try {
    graph = GraphDefCodec.decode(bytes, detected.path);
    checkGraphDef(graph, detected.path, 'GraphDef');
  } catch (e) {
    if (looksLikeSavedModel(bytes)) {
      throw err.notAModel(
        file,
        'holds a SavedModel proto, not a GraphDef; name it saved_model.pb inside a directory (with its variables/) and pass the directory',
      );
    }
    throw e;
  }
  return graph;
}

/** A renamed saved_model.pb is a common mistake; say so instead of "not a valid GraphDef". */
function looksLikeSavedModel(bytes: Uint8Array): boolean {
  try {
    const sm = SavedModelCodec.decode(bytes, '');
    return sm.meta_graphs.length > 0 && sm.meta_graphs.every((mg) => mg.meta_info_def !== null && (mg.graph_def?.node.length ?? 0) > 0);
  } catch {
    return false;
  }
}

/** Reads a whole file; a failure to read (a directory, no permission) is the user's input error. */
export function readBytes(file: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw err.fileNotFound(file);
    throw err.notAModel(file, `cannot read the file (${code ?? String(e)})`);
  }
}

/**
 * Rejects what decodes as protobuf but is no graph: bytes of another message type, or garbage
 * that happens to parse, give nodes without names or ops. An empty graph is refused too, since
 * nothing could be converted or inspected from it.
 */
export function checkGraphDef(graph: GraphDef, file: string, message: string, where = '', allowEmpty = false): void {
  const lib = graph.library?.function ?? [];
  if (!allowEmpty && graph.node.length === 0 && lib.length === 0) {
    throw err.badProtobuf(file, message, `${where}the graph has no nodes`);
  }
  const check = (nodes: NodeDef[], scope: string): void => {
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i] as NodeDef;
      if (!n.name) throw err.badProtobuf(file, message, `${where}${scope}node #${i} has no name`);
      if (!n.op) throw err.badProtobuf(file, message, `${where}${scope}node '${n.name}' has no op`);
    }
  };
  check(graph.node, '');
  for (const f of lib) {
    if (!f.signature?.name) throw err.badProtobuf(file, message, `${where}a library function has no name`);
    check(f.node_def, `function '${f.signature.name}': `);
  }
}

// ---------------------------------------------------------------------------------------------
// Graph helpers
// ---------------------------------------------------------------------------------------------

export interface TensorRef {
  /** Producing node (in a function body: the node, or an argument name). */
  node: string;
  /** Output index in a graph ("x:1" -> 1); in a function body the part after the node, e.g. "z:0". */
  output: string;
  /** "^node": a control edge, no data. */
  control: boolean;
}

/**
 * Parses an input or tensor name: "node", "node:1", "^node" in graphs; "node:out_arg:2" or "arg"
 * in function bodies.
 */
export function parseTensorName(name: string): TensorRef {
  const control = name.startsWith('^');
  const s = control ? name.slice(1) : name;
  const colon = s.indexOf(':');
  if (colon < 0) return { node: s, output: control ? '' : '0', control };
  return { node: s.slice(0, colon), output: s.slice(colon + 1), control };
}

/** The graph's function library by name. */
export function functionLibrary(graph: GraphDef | null): Map<string, FunctionDef> {
  const map = new Map<string, FunctionDef>();
  for (const f of graph?.library?.function ?? []) map.set(f.signature?.name ?? '', f);
  return map;
}

/**
 * Names of the functions a node calls: every func-valued attr (PartitionedCall and
 * StatefulPartitionedCall `f`, If/StatelessIf branches, While cond/body, Case branches, ...), and
 * the op itself when it names a library function (a direct call, as TF1 function graphs do).
 */
export function calledFunctions(node: NodeDef, library: ReadonlyMap<string, FunctionDef>): string[] {
  const out: string[] = [];
  if (library.has(node.op)) out.push(node.op);
  for (const key of Object.keys(node.attr).sort()) {
    collectFuncs(node.attr[key] as AttrValue, out);
  }
  return out;
}

function collectFuncs(v: AttrValue, out: string[]): void {
  if (v.value === 'func' && v.func?.name) {
    out.push(v.func.name);
    // Function attrs of a called function may themselves name functions (e.g. a While body's attrs).
    for (const key of Object.keys(v.func.attr).sort()) collectFuncs(v.func.attr[key] as AttrValue, out);
  } else if (v.value === 'list' && v.list) {
    for (const f of v.list.func) {
      if (f.name) out.push(f.name);
    }
  }
}

/** Counts per op type, keys in code-point order. */
export type OpCounts = Record<string, number>;

export function countOps(nodes: Iterable<NodeDef>): Map<string, number> {
  const m = new Map<string, number>();
  for (const n of nodes) m.set(n.op, (m.get(n.op) ?? 0) + 1);
  return m;
}
