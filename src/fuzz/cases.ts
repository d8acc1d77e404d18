// A fuzz case from (seed, case number) alone: which fixture, which of its files, which mutations.
// Structure-aware mutators need the original parsed (protobuf fields, LevelDB entries, FlatBuffer
// map); that is done once per file and cached, never changing what a case does.

import fs from 'node:fs';
import path from 'node:path';
import type { Corpus, FileFormat, Subject, SubjectFile } from './corpus.js';
import { type WireField, parseAll } from './protowire.js';
import { Rng, caseSeed } from './rng.js';
import { type Mutated, genericMutation } from './mutate/bytes.js';
import { type FbMap, flatBufferMutation, mapFlatBuffer } from './mutate/flatbuffer.js';
import { graphDefMutation, savedModelGraphMutation } from './mutate/graph.js';
import { type ParsedTable, bundleMutation, indexMutation, parseTable } from './mutate/leveldb.js';
import { protoMutation } from './mutate/proto.js';

export interface CasePlan {
  k: number;
  subject: Subject;
  file: SubjectFile;
  /** New contents by path relative to the subject root; null deletes the file. */
  changes: Map<string, Uint8Array | null>;
  /** What was done, in order. */
  mutations: string[];
}

interface Parsed {
  bytes: Uint8Array;
  wire?: WireField[];
  table?: ParsedTable | null;
  fb?: FbMap;
}

export class CaseMaker {
  private readonly cache = new Map<string, Parsed>();

  constructor(
    readonly corpus: Corpus,
    readonly seed: number,
  ) {
    if (corpus.subjects.length === 0) throw new Error(`no fuzz fixtures under ${corpus.fixturesDir}`);
  }

  /** The original bytes of a subject's file. */
  original(subject: Subject, rel: string): Uint8Array {
    return this.parsed(subject, rel).bytes;
  }

  private parsed(subject: Subject, rel: string): Parsed {
    const key = `${subject.id}\0${rel}`;
    let p = this.cache.get(key);
    if (!p) {
      const file = subject.kind === 'savedmodel' ? path.join(subject.source, rel) : subject.source;
      p = { bytes: new Uint8Array(fs.readFileSync(file)) };
      this.cache.set(key, p);
    }
    return p;
  }

  make(k: number): CasePlan {
    const rng = new Rng(caseSeed(this.seed, k));
    const subject = rng.weighted(this.corpus.subjects.map((s) => [s, s.weight] as const));
    const file = rng.weighted(subject.files.map((f) => [f, f.weight] as const));
    const changes = new Map<string, Uint8Array | null>();
    const mutations: string[] = [];
    const first = this.structured(subject, file, rng, changes);
    mutations.push(first);
    // Sometimes a second or third byte-level mutation on top of the first.
    const more = rng.weighted<number>([
      [0, 75],
      [1, 18],
      [2, 7],
    ]);
    for (let i = 0; i < more; i++) {
      const cur = changes.has(file.rel) ? changes.get(file.rel) : this.original(subject, file.rel);
      if (cur === null || cur === undefined) break;
      const m = genericMutation(cur, rng);
      changes.set(file.rel, m.bytes);
      mutations.push(m.desc);
    }
    return { k, subject, file, changes, mutations };
  }

  /** The first mutation: structure-aware for the file's format most of the time. */
  private structured(subject: Subject, file: SubjectFile, rng: Rng, changes: Map<string, Uint8Array | null>): string {
    const p = this.parsed(subject, file.rel);
    const set = (m: Mutated): string => {
      changes.set(file.rel, m.bytes);
      return m.desc;
    };
    const kind = rng.weighted<'generic' | 'structure' | 'semantic'>(WEIGHTS[file.format]);
    if (kind === 'generic') return set(genericMutation(p.bytes, rng));
    switch (file.format) {
      case 'savedmodel-pb':
      case 'graphdef-pb': {
        if (kind === 'semantic') {
          const m = file.format === 'graphdef-pb' ? graphDefMutation(p.bytes, rng) : savedModelGraphMutation(p.bytes, rng);
          if (m) return set(m);
        }
        p.wire ??= parseAll(p.bytes);
        return set(protoMutation(p.bytes, rng, p.wire));
      }
      case 'bundle-index':
        if (p.table === undefined) p.table = parseTable(p.bytes);
        return set(indexMutation(p.bytes, rng, p.table));
      case 'bundle-data': {
        const indexRel = path.posix.join(path.posix.dirname(file.rel), 'variables.index');
        const ip = this.parsed(subject, indexRel);
        if (ip.table === undefined) ip.table = parseTable(ip.bytes);
        const m = bundleMutation(ip.bytes, p.bytes, rng, ip.table);
        if (!m) return set(genericMutation(p.bytes, rng));
        changes.set(indexRel, m.index);
        changes.set(file.rel, m.data);
        return `${m.desc} (index and shard rewritten together)`;
      }
      case 'tflite':
        p.fb ??= mapFlatBuffer(p.bytes);
        return set(flatBufferMutation(p.bytes, rng, p.fb));
      default:
        return set(genericMutation(p.bytes, rng));
    }
  }
}

const WEIGHTS: Record<FileFormat, readonly (readonly ['generic' | 'structure' | 'semantic', number])[]> = {
  'savedmodel-pb': [
    ['generic', 25],
    ['structure', 40],
    ['semantic', 35],
  ],
  'graphdef-pb': [
    ['generic', 25],
    ['structure', 35],
    ['semantic', 40],
  ],
  'bundle-index': [
    ['generic', 25],
    ['structure', 75],
  ],
  'bundle-data': [
    ['generic', 35],
    ['structure', 65],
  ],
  tflite: [
    ['generic', 35],
    ['structure', 65],
  ],
  other: [['generic', 1]],
};

/** A short description of a plan for reports. */
export function describePlan(p: CasePlan): string {
  return `${p.subject.id} :: ${p.file.rel} :: ${p.mutations.join(' + ')}`;
}
