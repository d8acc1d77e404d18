// The fuzzer's own parts: cases are a function of (seed, case) alone, and the structure-aware
// mutators produce what they claim (edits that keep every enclosing length right, tables and
// string tensors whose checksums match, FlatBuffer maps of the real layout).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { CaseMaker, describePlan } from '../../src/fuzz/cases.js';
import { defaultFixturesDir, loadCorpus } from '../../src/fuzz/corpus.js';
import { mapFlatBuffer } from '../../src/fuzz/mutate/flatbuffer.js';
import { decodeStringTensor, encodeStringTensor, layoutTable, parseTable } from '../../src/fuzz/mutate/leveldb.js';
import { nestField } from '../../src/fuzz/mutate/proto.js';
import { encodeVarint, lengthPrefixStart, parseAll, splice } from '../../src/fuzz/protowire.js';
import { Rng, caseSeed } from '../../src/fuzz/rng.js';
import { ErrorCode, TfconvError } from '../../src/errors/index.js';
import { BundleEntryCodec, GraphDefCodec, SavedModelCodec } from '../../src/proto/index.js';
import type { AttrValue, GraphDef } from '../../src/proto/types.js';
import { unmaskCrc } from '../../src/readers/tensor-bundle/crc32c.js';
import { TensorBundle, savedModelVariablesPrefix } from '../../src/readers/tensor-bundle/index.js';
import { fixture, need } from '../helpers/shared.js';
import { tmpDir } from '../helpers/tmp.js';
import { copyModel } from '../readers/bundle-helpers.js';

const KWS = fixture('mlcommons-tiny-kws/kws_ref_model');
const TIMES_THREE = fixture('tfjs-node-saved-models/times_three_float');
const KWS_INT8 = fixture('mlcommons-tiny-kws/kws_ref_model_int8_matching.tflite');

test('a case is a function of (seed, case number): two makers agree, other numbers differ', (t) => {
  const dir = defaultFixturesDir();
  if (!need(t, dir)) return;
  const corpus = loadCorpus(dir);
  const a = new CaseMaker(corpus, 5);
  const b = new CaseMaker(corpus, 5);
  const seen = new Set<string>();
  for (const k of [0, 1, 2, 17, 999, 123456]) {
    const pa = a.make(k);
    const pb = b.make(k);
    assert.equal(describePlan(pa), describePlan(pb));
    assert.deepEqual([...pa.changes.keys()], [...pb.changes.keys()]);
    for (const [rel, bytes] of pa.changes) assert.deepEqual(bytes, pb.changes.get(rel), `case ${k} ${rel}`);
    seen.add(describePlan(pa));
  }
  assert.equal(seen.size, 6);
  // Replaying a case does not depend on what was made before it (mutators never touch the
  // parsed originals they share): 200 cases made in order and in reverse by another maker agree.
  const forward = Array.from({ length: 200 }, (_, k) => a.make(k));
  const c = new CaseMaker(corpus, 5);
  for (let k = 199; k >= 0; k--) {
    const p = c.make(k);
    const q = forward[k] as (typeof forward)[number];
    assert.equal(describePlan(p), describePlan(q));
    for (const [rel, bytes] of p.changes) assert.deepEqual(bytes, q.changes.get(rel), `case ${k} ${rel}`);
  }
  assert.notEqual(caseSeed(5, 1), caseSeed(6, 1));
  assert.notEqual(caseSeed(5, 1), caseSeed(5, 2));
});

test('Rng: ranges, weights and streams', () => {
  const r = new Rng(42);
  const counts = [0, 0, 0];
  for (let i = 0; i < 30000; i++) {
    const x = r.int(3);
    assert.ok(x >= 0 && x < 3);
    counts[x]++;
    assert.equal(r.weighted([['never', 0], ['always', 1]] as const), 'always');
  }
  for (const c of counts) assert.ok(Math.abs(c - 10000) < 500, JSON.stringify(counts));
  assert.deepEqual(new Rng(7).bytes(16), new Rng(7).bytes(16));
  assert.notDeepEqual(new Rng(7).bytes(16), new Rng(8).bytes(16));
});

test('protowire: an edit deep inside saved_model.pb keeps every enclosing length right', (t) => {
  if (!need(t, TIMES_THREE)) return;
  const b = new Uint8Array(fs.readFileSync(path.join(TIMES_THREE, 'saved_model.pb')));
  const before = SavedModelCodec.decode(b, 'before');
  const fields = parseAll(b);
  // A node name of the graph: SavedModel.meta_graphs(2).graph_def(2).node(1).name(1).
  const name = fields.find((f) => f.fieldNo === 1 && f.wireType === 2 && f.depth === 3 && f.parent?.fieldNo === 1 && f.parent.parent?.fieldNo === 2);
  assert.ok(name);
  const old = new TextDecoder().decode(b.subarray(name.valueStart, name.valueEnd));
  const longer = new TextEncoder().encode(`${old}_renamed_by_the_fuzzer_${'x'.repeat(200)}`);
  const out = splice(b, name.parent, lengthPrefixStart(b, name), name.valueEnd, Uint8Array.from([...encodeVarint(longer.length), ...longer]));
  const after = SavedModelCodec.decode(out, 'after');
  const names = (sm: typeof before) => (sm.meta_graphs[0]?.graph_def as GraphDef).node.map((n) => n.name);
  assert.deepEqual(names(after), names(before).map((n) => (n === old ? new TextDecoder().decode(longer) : n)));
  assert.equal(after.meta_graphs[0]?.graph_def?.library?.function.length, before.meta_graphs[0]?.graph_def?.library?.function.length);
});

test('nestField: a recursive message (AttrValue.func) nests as deep as asked; past 100 levels decoding stops, as protoc does', () => {
  const attr = (depth: number): AttrValue => ({ value: 'func', func: { name: `f${depth}`, attr: depth > 0 ? { k: attr(depth - 1) } : {} } });
  const g = { node: [{ name: 'n', op: 'NoOp', input: [], device: '', attr: { a: attr(1) } }] };
  const b = GraphDefCodec.encode(g as never);
  const fields = parseAll(b);
  // The outer func field (AttrValue field 10) and the func inside its attr map.
  const funcs = fields.filter((f) => f.fieldNo === 10 && f.wireType === 2);
  assert.equal(funcs.length, 2);
  const [outer, inner] = funcs as [(typeof funcs)[0], (typeof funcs)[0]];
  const deep = GraphDefCodec.decode(nestField(b, outer, inner, 30), 'nested');
  let depth = 0;
  for (let v: AttrValue | undefined = deep.node[0]?.attr.a; v?.func; v = v.func.attr.k) depth++;
  assert.equal(depth, 31);
  assert.throws(
    () => GraphDefCodec.decode(nestField(b, outer, inner, 300), 'nested.pb'),
    (e: unknown) => e instanceof TfconvError && e.code === ErrorCode.BAD_PROTOBUF && e.message === 'nested.pb: not a valid GraphDef protobuf (messages nested more than 100 deep)',
  );
});

test('layoutTable: variables.index re-laid out (small blocks, Snappy) reads back as the same bundle', (t) => {
  if (!need(t, KWS)) return;
  const m = copyModel(KWS, path.join(tmpDir(t), 'kws'));
  const prefix = savedModelVariablesPrefix(m);
  const original = TensorBundle.open(prefix);
  const parsed = parseTable(new Uint8Array(fs.readFileSync(`${prefix}.index`)));
  assert.ok(parsed && parsed.entries.length === original.keys().length + 1);
  fs.writeFileSync(`${prefix}.index`, layoutTable(parsed.entries, { perBlock: 7, restartInterval: 3, snappy: (i) => i % 2 === 1 }));
  const again = TensorBundle.open(prefix);
  assert.deepEqual(again.keys(), original.keys());
  assert.ok(again.indexBlocks.snappy > 0 && again.indexBlocks.data > 10, JSON.stringify(again.indexBlocks));
  for (const k of again.keys()) assert.deepEqual(again.entry(k), original.entry(k));
  assert.equal(again.read('layer_with_weights-18/kernel/.ATTRIBUTES/VARIABLE_VALUE').shape.join('x'), '64x12');
});

test('encodeStringTensor: the object graph string tensor round-trips with its stored CRC', (t) => {
  if (!need(t, KWS)) return;
  const prefix = savedModelVariablesPrefix(KWS);
  const parsed = parseTable(new Uint8Array(fs.readFileSync(`${prefix}.index`)));
  const e = parsed?.entries.find((x) => new TextDecoder().decode(x.key) === '_CHECKPOINTABLE_OBJECT_GRAPH');
  assert.ok(e);
  const p = BundleEntryCodec.decode(e.value, 'entry');
  const data = new Uint8Array(fs.readFileSync(`${prefix}.data-00000-of-00001`));
  const bytes = data.subarray(p.offset, p.offset + p.size);
  const strings = decodeStringTensor(bytes, 1);
  assert.ok(strings && strings.length === 1);
  const enc = encodeStringTensor(strings);
  assert.deepEqual(enc.bytes, bytes);
  assert.equal(enc.crc, unmaskCrc(p.crc32c >>> 0));
});

test('mapFlatBuffer: every table, offset and vector of a real .tflite is found', (t) => {
  if (!need(t, KWS_INT8)) return;
  const map = mapFlatBuffer(new Uint8Array(fs.readFileSync(KWS_INT8)));
  const labels = new Set(map.fields.map((f) => f.label));
  for (const l of ['Model.subgraphs', 'Model.buffers', 'SubGraph.tensors', 'Tensor.shape', 'Operator.inputs', 'Buffer.data', 'QuantizationParameters.scale']) {
    assert.ok(labels.has(l), l);
  }
  // 1 model, 1 subgraph, its tensors and operators, buffers, op codes, quantization tables...
  assert.ok(map.tables.length > 100, String(map.tables.length));
  assert.ok(map.fields.filter((f) => f.offset === 'tables').length >= 4);
  for (const f of map.fields) assert.ok(f.pos > 0 && f.pos + f.size <= fs.statSync(KWS_INT8).size);
});
