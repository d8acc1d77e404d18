// Parses ../shared/fixtures/INVENTORY.txt: the structure of every fixture as an independent
// (non-TensorFlow, non-tfconv) protobuf reader saw it. Tests compare what tfconv reads with it.

import fs from 'node:fs';
import { fixture } from './shared.js';

export interface InvTensor {
  key: string;
  name: string;
  /** tfconv dtype name ('float32'), 'INVALID', or a DataType number as text ('101'). */
  dtype: string;
  /** '[-1,49,10,1]', '[]', 'unknown_rank', or '?' (no shape recorded). */
  shape: string;
}

export interface InvSignature {
  key: string;
  method: string;
  inputs: InvTensor[];
  outputs: InvTensor[];
}

export interface InvMetaGraph {
  tags: string[];
  tfVersion: string;
  signatures: InvSignature[];
  nodes: number;
  functions: number;
  objectGraph: boolean;
  graphOps: Record<string, number>;
  functionOps: Record<string, number>;
}

export interface InvSavedModel {
  /** Relative to fixtures/, the directory holding saved_model.pb. */
  dir: string;
  schemaVersion: number;
  metaGraphs: InvMetaGraph[];
}

export interface InvGraphDef {
  file: string;
  nodes: number;
  functions: number;
  ops: Record<string, number>;
  inputs: { name: string; dtype: string; shape: string }[];
}

export const INVENTORY = fixture('INVENTORY.txt');

function parseOps(s: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of s.split(', ')) {
    const m = /^(\w+):(\d+)$/.exec(part.trim());
    if (!m) throw new Error(`INVENTORY: bad op count '${part}'`);
    out[m[1] as string] = Number(m[2]);
  }
  return out;
}

function parseTensor(line: string): { dir: 'in' | 'out'; t: InvTensor } {
  const m = /^ {4}(in|out) +(\S+): (\S+) (\S+) (\S+)$/.exec(line);
  if (!m) throw new Error(`INVENTORY: bad tensor line '${line}'`);
  return { dir: m[1] as 'in' | 'out', t: { key: m[2] as string, name: m[3] as string, dtype: m[4] as string, shape: m[5] as string } };
}

export function parseInventory(text = fs.readFileSync(INVENTORY, 'utf8')): {
  savedModels: InvSavedModel[];
  graphDefs: InvGraphDef[];
} {
  const lines = text.split('\n');
  const savedModels: InvSavedModel[] = [];
  const graphDefs: InvGraphDef[] = [];
  let section = '';
  let sm: InvSavedModel | undefined;
  let mg: InvMetaGraph | undefined;
  let sig: InvSignature | undefined;
  let gd: InvGraphDef | undefined;
  for (const line of lines) {
    if (line.startsWith('## ')) {
      section = line.slice(3);
      continue;
    }
    if (section === 'SavedModels') {
      let m: RegExpExecArray | null;
      if ((m = /^### \.\/(.+)\/saved_model\.pb$/.exec(line))) {
        sm = { dir: m[1] as string, schemaVersion: 0, metaGraphs: [] };
        savedModels.push(sm);
      } else if ((m = /^schema_version=(\d+)$/.exec(line)) && sm) {
        sm.schemaVersion = Number(m[1]);
      } else if ((m = /^MetaGraph tags=\[(.*)\] tf_version=(\S+) /.exec(line)) && sm) {
        const tags = (m[1] as string) === '' ? [] : (m[1] as string).split(', ').map((t) => t.slice(1, -1));
        mg = { tags, tfVersion: m[2] as string, signatures: [], nodes: 0, functions: 0, objectGraph: false, graphOps: {}, functionOps: {} };
        sm.metaGraphs.push(mg);
      } else if ((m = /^ {2}signature '(.*)' method=(.*)$/.exec(line)) && mg) {
        sig = { key: m[1] as string, method: m[2] as string, inputs: [], outputs: [] };
        mg.signatures.push(sig);
      } else if (/^ {4}(in|out) /.test(line) && sig) {
        const { dir, t } = parseTensor(line);
        (dir === 'in' ? sig.inputs : sig.outputs).push(t);
      } else if ((m = /^ {2}graph nodes=(\d+) functions=(\d+) objgraph=(yes|no)$/.exec(line)) && mg) {
        mg.nodes = Number(m[1]);
        mg.functions = Number(m[2]);
        mg.objectGraph = m[3] === 'yes';
      } else if ((m = /^ {2}graph ops: (.*)$/.exec(line)) && mg) {
        mg.graphOps = parseOps(m[1] as string);
      } else if ((m = /^ {2}function ops: (.*)$/.exec(line)) && mg) {
        mg.functionOps = parseOps(m[1] as string);
      }
    } else if (section.startsWith('GraphDefs')) {
      let m: RegExpExecArray | null;
      if ((m = /^### \.\/(.+\.pb)$/.exec(line))) {
        gd = { file: m[1] as string, nodes: 0, functions: 0, ops: {}, inputs: [] };
        graphDefs.push(gd);
      } else if ((m = /^GraphDef nodes=(\d+) functions=(\d+)$/.exec(line)) && gd) {
        gd.nodes = Number(m[1]);
        gd.functions = Number(m[2]);
      } else if ((m = /^ {2}ops: (.*)$/.exec(line)) && gd) {
        gd.ops = parseOps(m[1] as string);
      } else if ((m = /^ {2}input (\S+) dtype=(\S+) shape=(\S+)$/.exec(line)) && gd) {
        gd.inputs.push({ name: m[1] as string, dtype: m[2] as string, shape: m[3] as string });
      }
    }
  }
  return { savedModels, graphDefs };
}

/** INVENTORY's shape text as tfconv reports shapes: null for unknown rank or no shape recorded. */
export function inventoryShape(s: string): number[] | null {
  if (s === 'unknown_rank' || s === '?') return null;
  const m = /^\[(.*)\]$/.exec(s);
  if (!m) throw new Error(`INVENTORY: bad shape '${s}'`);
  return m[1] === '' ? [] : (m[1] as string).split(',').map(Number);
}
