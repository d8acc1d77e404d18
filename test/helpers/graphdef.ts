// Small GraphDefs written by tests: TF nodes with their attributes, saved as a real .pb file so
// the whole pipeline (reader, prepare, import, passes, TF reference) sees what TF would write.

import fs from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { TensorValue } from '../../src/core/tensor.js';
import { constNode } from '../../src/prepare/freeze-variables.js';
import { GraphDefCodec } from '../../src/proto/index.js';
import type { AttrValue, GraphDef, NodeDef } from '../../src/proto/types.js';
import { tmpDir } from './tmp.js';

export const DT = { FLOAT: 1, INT32: 3, BOOL: 10, INT64: 9 } as const;

export const type = (t: number): AttrValue => ({ value: 'type', type: t });
export const int = (i: number): AttrValue => ({ value: 'i', i });
export const bool = (b: boolean): AttrValue => ({ value: 'b', b });
export const shape = (dims: number[]): AttrValue => ({ value: 'shape', shape: { dim: dims.map((size) => ({ size, name: '' })), unknown_rank: false } });

export function node(name: string, op: string, input: string[], attr: Record<string, AttrValue> = {}): NodeDef {
  return { name, op, input, device: '', attr, experimental_debug_info: null };
}

export function placeholder(name: string, dims: number[], dtype: number = DT.FLOAT): NodeDef {
  return node(name, 'Placeholder', [], { dtype: type(dtype), shape: shape(dims) });
}

export function constant(name: string, value: TensorValue): NodeDef {
  return constNode(name, value);
}

export function graphDef(nodes: NodeDef[]): GraphDef {
  return { node: nodes, versions: null, version: 0, library: null };
}

/** Write `nodes` as a GraphDef .pb in a temporary directory; returns its path. */
export function writeGraphDef(t: TestContext, nodes: NodeDef[]): string {
  const file = path.join(tmpDir(t), 'graph.pb');
  fs.writeFileSync(file, GraphDefCodec.encode(graphDef(nodes)));
  return file;
}
