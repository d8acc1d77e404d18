import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { type DType, DTYPES, allocTyped } from '../../src/core/dtype.js';
import { type TensorValue, numElements, tensorBytes } from '../../src/core/tensor.js';
import { ErrorCode, isTfconvError } from '../../src/errors/index.js';
import { readTable } from '../../src/readers/tensor-bundle/table.js';
import { TensorBundle, savedModelVariablesPrefix } from '../../src/readers/tensor-bundle/index.js';
import { writeTensorBundle } from '../../src/writers/tensor-bundle.js';
import { SHARED_DIR, need } from '../helpers/shared.js';
import { HALF_PLUS_TWO_TF1, HALF_PLUS_TWO_TF2, KWS, assertSameTensor, savedModelsWithVariables, scratch } from '../readers/bundle-helpers.js';

/** The fixture's tensors in the order TensorFlow appended them to the shard. */
function inDataOrder(b: TensorBundle): [string, TensorValue][] {
  return b
    .keys()
    .sort((x, y) => b.entry(x).offset - b.entry(y).offset)
    .map((k) => [k, b.read(k)]);
}

test('re-writing every fixture bundle in TensorFlow\'s data order gives TensorFlow\'s bytes', (t) => {
  const root = path.join(SHARED_DIR, 'fixtures');
  if (!need(t, root)) return;
  const out = scratch(t);
  let identical = 0;
  for (const [i, dir] of savedModelsWithVariables(root).entries()) {
    const src = TensorBundle.open(savedModelVariablesPrefix(dir));
    const prefix = path.join(out, String(i), 'variables');
    writeTensorBundle(prefix, inDataOrder(src), { keepOrder: true });
    const data = (p: string) => fs.readFileSync(`${p}.data-00000-of-00001`);
    assert.ok(data(prefix).equals(data(savedModelVariablesPrefix(dir))), `${dir}: data shard`);
    const ours = fs.readFileSync(`${prefix}.index`);
    const theirs = fs.readFileSync(`${savedModelVariablesPrefix(dir)}.index`);
    if (src.indexBlocks.snappy === 0) {
      assert.ok(ours.equals(theirs), `${dir}: index bytes`);
      identical++;
    } else {
      // TensorFlow compressed this index with Snappy (we never do): same entries, byte for byte.
      const a = readTable(`${prefix}.index`).entries;
      const b = readTable(`${savedModelVariablesPrefix(dir)}.index`).entries;
      assert.deepEqual(a.map((e) => [Buffer.from(e.key), Buffer.from(e.value)]), b.map((e) => [Buffer.from(e.key), Buffer.from(e.value)]), dir);
    }
  }
  assert.ok(identical >= 20, `${identical} indexes byte-identical`);
});

/** A tensor of every dtype a bundle holds, with recognisable bytes. */
function sampleTensors(): Map<string, TensorValue> {
  const out = new Map<string, TensorValue>();
  const numeric = (Object.keys(DTYPES) as DType[]).filter((d) => DTYPES[d].size > 0);
  for (const [i, dtype] of numeric.entries()) {
    const shape = [2, 3];
    const data = allocTyped(dtype, numElements(shape));
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    for (let j = 0; j < bytes.length; j++) bytes[j] = (j * 37 + i * 11) & 0xff;
    out.set(`numeric/${dtype}`, { dtype, shape, data });
  }
  out.set('scalar/bool', { dtype: 'bool', shape: [], data: Uint8Array.of(1) });
  out.set('empty/float32', { dtype: 'float32', shape: [3, 0], data: new Float32Array(0) });
  const enc = new TextEncoder();
  out.set('strings/mixed', {
    dtype: 'string',
    shape: [2, 2],
    data: [enc.encode(''), enc.encode('naïve ✓'), new Uint8Array(300).fill(0xab), Uint8Array.of(0, 0xff, 0x80)],
  });
  out.set('strings/scalar', { dtype: 'string', shape: [], data: [enc.encode('x')] });
  out.set('strings/empty', { dtype: 'string', shape: [0], data: [] });
  // Keys are sorted by their UTF-8 bytes, as LevelDB compares them.
  out.set('zeta/ünïcode', { dtype: 'int32', shape: [1], data: Int32Array.of(-7) });
  return out;
}

test('every numeric dtype, bool, strings, scalars and empty tensors round-trip with CRCs verified', (t) => {
  const prefix = path.join(scratch(t), 'variables');
  const tensors = sampleTensors();
  const r = writeTensorBundle(prefix, tensors);
  assert.equal(r.entries.length, tensors.size);
  const b = TensorBundle.open(prefix);
  assert.deepEqual(b.keys(), [...tensors.keys()].sort((a, c) => Buffer.compare(Buffer.from(a), Buffer.from(c))));
  for (const [k, v] of tensors) assertSameTensor(b.read(k), v, k);
  // complex128 is 16 bytes per element, int4 one byte per element (as TensorFlow stores them).
  assert.equal(b.entry('numeric/complex128').size, 6 * 16);
  assert.equal(b.entry('numeric/int4').size, 6);
  // 300-byte string: its length takes a 2-byte varint; lengths, checksum, bytes.
  assert.equal(b.entry('strings/mixed').size, 1 + 1 + 2 + 1 + 4 + (0 + 10 + 300 + 3));
  assert.equal(b.entry('strings/empty').size, 4);
});

test('several shards: balanced, named -NNNNN-of-NNNNN, and every tensor reads back', (t) => {
  if (!need(t, KWS)) return;
  const values = TensorBundle.open(savedModelVariablesPrefix(KWS)).readAll();
  const prefix = path.join(scratch(t), 'variables');
  const r = writeTensorBundle(prefix, values, { shards: 3 });
  assert.deepEqual(r.dataFiles.map((f) => path.basename(f)), [0, 1, 2].map((i) => `variables.data-0000${i}-of-00003`));
  const b = TensorBundle.open(prefix);
  assert.equal(b.numShards, 3);
  const sizes = r.dataFiles.map((f) => fs.statSync(f).size);
  assert.equal(sizes.reduce((s, x) => s + x, 0), 321307);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) < 64 * 64 * 4 * 2, `shard sizes ${sizes}`);
  const shardsUsed = new Set(b.keys().map((k) => b.entry(k).shardId));
  assert.deepEqual([...shardsUsed].sort(), [0, 1, 2]);
  for (const [k, v] of values) assertSameTensor(b.read(k), v, k);
});

test('same input, same bytes; map order does not matter unless keepOrder is asked for', (t) => {
  const d = scratch(t);
  const tensors = sampleTensors();
  const reversed = new Map([...tensors].reverse());
  writeTensorBundle(path.join(d, 'a', 'v'), tensors);
  writeTensorBundle(path.join(d, 'b', 'v'), reversed);
  writeTensorBundle(path.join(d, 'c', 'v'), reversed, { keepOrder: true });
  const read = (x: string, f: string) => fs.readFileSync(path.join(d, x, `v.${f}`));
  for (const f of ['index', 'data-00000-of-00001']) assert.ok(read('a', f).equals(read('b', f)), f);
  assert.ok(!read('a', 'data-00000-of-00001').equals(read('c', 'data-00000-of-00001')));
  assert.equal(read('a', 'data-00000-of-00001').length, read('c', 'data-00000-of-00001').length);
});

test('tensors given as functions are produced one at a time, in data order', (t) => {
  const prefix = path.join(scratch(t), 'variables');
  const calls: string[] = [];
  const make = (k: string, n: number) => () => {
    calls.push(k);
    return { dtype: 'float32' as const, shape: [n], data: new Float32Array(n).fill(n) };
  };
  writeTensorBundle(prefix, [
    ['w2', make('w2', 3)],
    ['w1', make('w1', 2)],
    ['w3', make('w3', 1)],
  ]);
  assert.deepEqual(calls, ['w1', 'w2', 'w3']);
  const b = TensorBundle.open(prefix);
  assert.deepEqual([...tensorBytes(b.read('w2'))], [...new Uint8Array(Float32Array.of(3, 3, 3).buffer)]);
});

test('a failure midway leaves no files, and an earlier bundle at the prefix untouched', (t) => {
  if (!need(t, HALF_PLUS_TWO_TF1, HALF_PLUS_TWO_TF2)) return;
  const d = scratch(t);
  const prefix = path.join(d, 'variables');
  const before = TensorBundle.open(savedModelVariablesPrefix(HALF_PLUS_TWO_TF1)).readAll();
  writeTensorBundle(prefix, before);
  const listing = fs.readdirSync(d).sort();
  const indexBytes = fs.readFileSync(`${prefix}.index`);

  assert.throws(
    () =>
      writeTensorBundle(prefix, [
        ['a', { dtype: 'float32', shape: [1], data: Float32Array.of(1) }],
        ['b', () => ({ dtype: 'float32', shape: [2], data: Float32Array.of(1) })], // wrong size
      ]),
    (e: unknown) => isTfconvError(e) && e.code === ErrorCode.INTERNAL && /'b' is float32\[2\] but holds 4 bytes/.test(e.message),
  );
  assert.deepEqual(fs.readdirSync(d).sort(), listing);
  assert.ok(fs.readFileSync(`${prefix}.index`).equals(indexBytes));
  assert.equal(TensorBundle.open(prefix).readAll().size, 5);

  const bad: [string, TensorValue][] = [['', { dtype: 'float32', shape: [], data: Float32Array.of(0) }]];
  assert.throws(() => writeTensorBundle(prefix, bad), /reserved for the bundle header/);
  assert.throws(() => writeTensorBundle(prefix, [['r', { dtype: 'resource', shape: [], data: new Uint8Array(0) }]]), /resource/);
  assert.deepEqual(fs.readdirSync(d).sort(), listing);
});
