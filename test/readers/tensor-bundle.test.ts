import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { toFloat64 } from '../../src/core/tensor.js';
import { crc32c, maskCrc, unmaskCrc } from '../../src/readers/tensor-bundle/crc32c.js';
import { TensorBundle, dataFilename, savedModelVariablesPrefix } from '../../src/readers/tensor-bundle/index.js';
import { SnappyError, snappyUncompress } from '../../src/readers/tensor-bundle/snappy.js';
import { SHARED_DIR, fixture, need } from '../helpers/shared.js';
import { HALF_PLUS_TWO_TF1, HALF_PLUS_TWO_TF2, KWS, savedModelsWithVariables } from './bundle-helpers.js';
import snappy from 'snappyjs';

test('crc32c: standard check value and masking as LevelDB defines it', () => {
  // CRC-32C check value of "123456789" (RFC 3720 appendix B.4 test vector).
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  // Extending equals hashing the concatenation.
  assert.equal(crc32c(Buffer.from('6789'), crc32c(Buffer.from('12345'))), 0xe3069283);
  // 32 zero bytes: RFC 3720 B.4 gives 0x8a9136aa.
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  for (const v of [0, 1, 0xe3069283, 0xffffffff, 0x12345678]) assert.equal(unmaskCrc(maskCrc(v)), v);
  // mask = rotr15(crc) + 0xa282ead8
  assert.equal(maskCrc(0), 0xa282ead8);
  assert.equal(maskCrc(0x00008000), (0x00000001 + 0xa282ead8) >>> 0);
});

test('snappy: round trip, and a preamble claiming a huge length is refused before allocating', () => {
  const data = Buffer.from('layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE'.repeat(50));
  assert.deepEqual(Buffer.from(snappyUncompress(snappy.compress(data))), data);
  // varint32 0xfffffff0 then nothing.
  assert.throws(() => snappyUncompress(Uint8Array.of(0xf0, 0xff, 0xff, 0xff, 0x0f)), SnappyError);
  assert.throws(() => snappyUncompress(Uint8Array.of(0x80, 0x80)), SnappyError);
});

test('half_plus_two TF1 (Snappy index block): a=0.5, a2=0.5, b=2, c=3, c2=3', (t) => {
  if (!need(t, HALF_PLUS_TWO_TF1)) return;
  const b = TensorBundle.open(savedModelVariablesPrefix(HALF_PLUS_TWO_TF1));
  assert.deepEqual(b.indexBlocks, { data: 1, snappy: 1 });
  assert.equal(b.numShards, 1);
  assert.deepEqual(b.keys(), ['a', 'a2', 'b', 'c', 'c2']);
  const want: Record<string, number> = { a: 0.5, a2: 0.5, b: 2, c: 3, c2: 3 };
  for (const [k, v] of Object.entries(want)) {
    const t = b.read(k);
    assert.equal(t.dtype, 'float32');
    assert.deepEqual(t.shape, []);
    assert.deepEqual([...toFloat64(t)], [v], k);
  }
  assert.deepEqual(b.entry('c'), {
    key: 'c',
    dtype: 'float32',
    shape: [],
    shardId: 0,
    offset: 12,
    size: 4,
    crc32c: b.entry('c').crc32c,
    sliced: false,
  });
});

test('half_plus_two TF2 (Snappy index block): a=0.5, b=2, c=3 and the object graph string tensor', (t) => {
  if (!need(t, HALF_PLUS_TWO_TF2)) return;
  const b = TensorBundle.open(savedModelVariablesPrefix(HALF_PLUS_TWO_TF2));
  assert.deepEqual(b.indexBlocks, { data: 1, snappy: 1 });
  assert.deepEqual(b.keys(), [
    '_CHECKPOINTABLE_OBJECT_GRAPH',
    'a/.ATTRIBUTES/VARIABLE_VALUE',
    'b/.ATTRIBUTES/VARIABLE_VALUE',
    'c/.ATTRIBUTES/VARIABLE_VALUE',
  ]);
  assert.deepEqual([...toFloat64(b.read('a/.ATTRIBUTES/VARIABLE_VALUE'))], [0.5]);
  assert.deepEqual([...toFloat64(b.read('b/.ATTRIBUTES/VARIABLE_VALUE'))], [2]);
  assert.deepEqual([...toFloat64(b.read('c/.ATTRIBUTES/VARIABLE_VALUE'))], [3]);
  const og = b.read('_CHECKPOINTABLE_OBJECT_GRAPH');
  assert.equal(og.dtype, 'string');
  assert.deepEqual(og.shape, []);
  assert.ok(Array.isArray(og.data) && og.data.length === 1);
  // The entry size is the varint length, the 4-byte length checksum and the bytes.
  const len = og.data[0].length;
  assert.equal(b.entry('_CHECKPOINTABLE_OBJECT_GRAPH').size, len + 4 + (len < 128 ? 1 : len < 16384 ? 2 : 3));
});

test('kws_ref_model: all 141 variables read with CRC verified; shapes and plausible values', (t) => {
  if (!need(t, KWS)) return;
  const b = TensorBundle.open(savedModelVariablesPrefix(KWS));
  assert.equal(b.keys().length, 142); // 141 variables + the object graph
  assert.deepEqual(b.indexBlocks, { data: 1, snappy: 0 });
  const all = b.readAll();
  assert.equal(all.size, 142);
  let floats = 0;
  for (const [k, v] of all) {
    if (k === '_CHECKPOINTABLE_OBJECT_GRAPH') continue;
    if (v.dtype === 'float32') {
      floats++;
      for (const x of toFloat64(v)) assert.ok(Number.isFinite(x), `${k} has a non-finite value`);
    }
  }
  assert.equal(floats, 140); // all but optimizer/iter (int64)
  const iter = all.get('optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE');
  assert.equal(iter?.dtype, 'int64');
  assert.ok(iter && (iter.data as BigInt64Array)[0] > 0n);
  const dense = b.entry('layer_with_weights-18/kernel/.ATTRIBUTES/VARIABLE_VALUE');
  assert.deepEqual(dense.shape, [64, 12]);
  assert.equal(dense.size, 64 * 12 * 4);
  assert.deepEqual(b.entry('layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE').shape, [10, 4, 1, 64]);
  // Batch-norm moving variances are strictly positive in a trained model.
  for (const [k, v] of all) {
    if (k.endsWith('moving_variance/.ATTRIBUTES/VARIABLE_VALUE')) {
      for (const x of toFloat64(v)) assert.ok(x > 0, `${k}: ${x}`);
    }
  }
  // Every byte of the shard belongs to exactly one tensor.
  const total = [...b.keys()].reduce((s, k) => s + b.entry(k).size, 0);
  assert.equal(total, 321307);
  assert.equal(b.shardFile(0), dataFilename(savedModelVariablesPrefix(KWS), 0, 1));
});

test('every SavedModel with variables under the shared fixtures: the bundle opens and every tensor reads', (t) => {
  const root = path.join(SHARED_DIR, 'fixtures');
  if (!need(t, root)) return;
  const dirs = savedModelsWithVariables(root);
  assert.ok(dirs.length >= 25, `found ${dirs.length} SavedModels with variables`);
  let tensors = 0;
  const dtypes = new Set<string>();
  for (const d of dirs) {
    const b = TensorBundle.open(savedModelVariablesPrefix(d));
    assert.equal(b.opaqueKeyCount, 0, d);
    for (const [k, v] of b.readAll()) {
      tensors++;
      dtypes.add(v.dtype);
      assert.deepEqual(v.shape, b.entry(k).shape);
    }
  }
  assert.ok(tensors >= 350, `${tensors} tensors`);
  for (const d of ['float32', 'int64', 'string']) assert.ok(dtypes.has(d), `fixtures include ${d}`);
});

test('tf2onnx regression checkpoint: a plain (non-SavedModel) V2 checkpoint prefix opens too', (t) => {
  const prefix = fixture('tf2onnx-test-models/regression/checkpoint/model');
  if (!need(t, `${prefix}.index`)) return;
  const b = TensorBundle.open(prefix);
  assert.equal(b.keys().length, 2);
  for (const v of b.readAll().values()) assert.equal(v.dtype, 'float32');
});
