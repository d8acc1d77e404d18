// Damaged bundles: every failure is one TfconvError naming the file and, for tensor data, the
// variable; nothing is allocated from a length that the file cannot back.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ErrorCode, TfconvError, isTfconvError } from '../../src/errors/index.js';
import { BundleEntryCodec, BundleHeaderCodec } from '../../src/proto/index.js';
import { crc32c, maskCrc } from '../../src/readers/tensor-bundle/crc32c.js';
import { TensorBundle, savedModelVariablesPrefix } from '../../src/readers/tensor-bundle/index.js';
import { TableBuilder } from '../../src/writers/leveldb-table.js';
import { need } from '../helpers/shared.js';
import { HALF_PLUS_TWO_TF1, KWS, copyModel, flipByte, scratch } from './bundle-helpers.js';

const DENSE = 'layer_with_weights-18/kernel/.ATTRIBUTES/VARIABLE_VALUE';

function expectError(fn: () => unknown, code: ErrorCode, ...parts: (string | RegExp)[]): TfconvError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(isTfconvError(caught), `expected a TfconvError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  for (const p of parts) {
    if (typeof p === 'string') assert.ok(caught.message.includes(p), `'${caught.message}' should mention '${p}'`);
    else assert.match(caught.message, p);
  }
  assert.doesNotMatch(caught.message, /\n/);
  return caught;
}

test('one flipped byte in a data shard: CRC error naming the variable; the other tensors still read', (t) => {
  if (!need(t, KWS)) return;
  const m = copyModel(KWS, path.join(scratch(t), 'kws'));
  const prefix = savedModelVariablesPrefix(m);
  const b = TensorBundle.open(prefix);
  const e = b.entry(DENSE);
  flipByte(b.shardFile(0), e.offset + 1000);
  const err = expectError(() => b.read(DENSE), ErrorCode.CRC_MISMATCH, `variable '${DENSE}'`, 'variables.data-00000-of-00001');
  assert.equal(err.subject.file, b.shardFile(0));
  assert.equal(b.read('layer_with_weights-18/bias/.ATTRIBUTES/VARIABLE_VALUE').shape[0], 12);
  expectError(() => b.readAll(), ErrorCode.CRC_MISMATCH, DENSE);
});

test('a flipped byte in a string tensor: the length checksum or the tensor CRC catches it', (t) => {
  if (!need(t, KWS)) return;
  const m = copyModel(KWS, path.join(scratch(t), 'kws'));
  const b = TensorBundle.open(savedModelVariablesPrefix(m));
  const e = b.entry('_CHECKPOINTABLE_OBJECT_GRAPH');
  flipByte(b.shardFile(0), e.offset); // inside the varint length
  expectError(() => b.read('_CHECKPOINTABLE_OBJECT_GRAPH'), ErrorCode.CRC_MISMATCH, '_CHECKPOINTABLE_OBJECT_GRAPH');
  flipByte(b.shardFile(0), e.offset); // restore
  flipByte(b.shardFile(0), e.offset + e.size - 1); // inside the string bytes
  expectError(() => b.read('_CHECKPOINTABLE_OBJECT_GRAPH'), ErrorCode.CRC_MISMATCH, "variable '_CHECKPOINTABLE_OBJECT_GRAPH'");
});

test('a flipped byte in variables.index: block CRC error naming the file', (t) => {
  if (!need(t, KWS, HALF_PLUS_TWO_TF1)) return;
  for (const src of [KWS, HALF_PLUS_TWO_TF1]) {
    const m = copyModel(src, path.join(scratch(t), 'model'));
    const index = `${savedModelVariablesPrefix(m)}.index`;
    flipByte(index, 40);
    const e = expectError(() => TensorBundle.open(savedModelVariablesPrefix(m)), ErrorCode.CRC_MISMATCH, index, 'data block at byte 0');
    assert.equal(e.subject.file, index);
  }
});

test('a truncated shard: shardTooShort naming the variable that needs the missing bytes', (t) => {
  if (!need(t, KWS)) return;
  const m = copyModel(KWS, path.join(scratch(t), 'kws'));
  const b = TensorBundle.open(savedModelVariablesPrefix(m));
  const e = b.entry(DENSE);
  fs.truncateSync(b.shardFile(0), e.offset + 10);
  const err = expectError(() => b.read(DENSE), ErrorCode.SHARD_TOO_SHORT, `'${DENSE}'`, `${e.offset + e.size}`, `only ${e.offset + 10}`);
  assert.equal(err.subject.node, DENSE);
  // A tensor wholly before the cut still reads.
  const early = b.keys().find((k) => b.entry(k).offset + b.entry(k).size <= e.offset) as string;
  assert.ok(b.read(early));
});

test('a missing shard file is FILE_NOT_FOUND naming the shard', (t) => {
  if (!need(t, HALF_PLUS_TWO_TF1)) return;
  const m = copyModel(HALF_PLUS_TWO_TF1, path.join(scratch(t), 'm'));
  const b = TensorBundle.open(savedModelVariablesPrefix(m));
  fs.rmSync(b.shardFile(0));
  expectError(() => b.read('a'), ErrorCode.FILE_NOT_FOUND, 'variables.data-00000-of-00001');
  expectError(() => TensorBundle.open(path.join(m, 'nope', 'variables')), ErrorCode.FILE_NOT_FOUND, 'variables.index');
});

test('truncated, empty and garbage indexes are clean BAD_BUNDLE errors', (t) => {
  if (!need(t, KWS)) return;
  const d = scratch(t);
  const orig = fs.readFileSync(`${savedModelVariablesPrefix(KWS)}.index`);
  const prefix = path.join(d, 'variables');
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty', new Uint8Array(0), /shorter than the 48-byte table footer/],
    ['cut footer', orig.subarray(0, orig.length - 10), /bad magic|points past|CRC/],
    ['only footer', orig.subarray(orig.length - 48), /points past/],
    ['garbage', Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff), /not a LevelDB table/],
  ];
  for (const [what, bytes, re] of cases) {
    fs.writeFileSync(`${prefix}.index`, bytes);
    let caught: unknown;
    try {
      TensorBundle.open(prefix);
    } catch (e) {
      caught = e;
    }
    assert.ok(isTfconvError(caught), `${what}: ${String(caught)}`);
    assert.ok(caught.code === ErrorCode.BAD_BUNDLE || caught.code === ErrorCode.CRC_MISMATCH, `${what}: ${caught.code}`);
    assert.match(caught.message, re, what);
  }
});

test('every truncation and every single-byte flip of a real index: success or a TfconvError, never a crash', (t) => {
  if (!need(t, HALF_PLUS_TWO_TF1)) return;
  const d = scratch(t);
  const orig = fs.readFileSync(`${savedModelVariablesPrefix(HALF_PLUS_TWO_TF1)}.index`);
  const prefix = path.join(d, 'variables');
  const fails = (bytes: Uint8Array): boolean => {
    fs.writeFileSync(`${prefix}.index`, bytes);
    try {
      TensorBundle.open(prefix).keys();
      return false;
    } catch (e) {
      if (!isTfconvError(e)) throw e;
      return true;
    }
  };
  for (let n = 0; n < orig.length; n++) assert.ok(fails(orig.subarray(0, n)), `truncated to ${n} bytes`);
  const footerAt = orig.length - 48;
  let footerFlipsCaught = 0;
  for (let i = 0; i < orig.length; i++) {
    for (const x of [0x01, 0x80, 0xff]) {
      const b = Buffer.from(orig);
      b[i] ^= x;
      // Every flip in the blocks is caught (by their CRCs); in the footer, flips in the zero
      // padding are harmless (TensorFlow ignores it too), the magic and handles are checked.
      if (i < footerAt) assert.ok(fails(b), `flip 0x${x.toString(16)} at byte ${i}`);
      else if (fails(b)) footerFlipsCaught++;
    }
  }
  assert.ok(footerFlipsCaught >= 3 * 8 + 9, `${footerFlipsCaught} footer flips caught`);
});

test('a Snappy block with a valid CRC but a bogus uncompressed length is BAD_BUNDLE, not an allocation', (t) => {
  if (!need(t, HALF_PLUS_TWO_TF1)) return;
  const d = scratch(t);
  const orig = Buffer.from(fs.readFileSync(`${savedModelVariablesPrefix(HALF_PLUS_TWO_TF1)}.index`));
  // The Snappy data block is at 0 (87 bytes, see the reader test); its preamble starts the block.
  assert.equal(orig[87], 1);
  const b = Buffer.from(orig);
  b.set([0xff, 0xff, 0xff, 0xff, 0x0f], 0); // claims 4 GiB
  b.writeUInt32LE(maskCrc(crc32c(b.subarray(0, 88))), 88);
  const prefix = path.join(d, 'variables');
  fs.writeFileSync(`${prefix}.index`, b);
  expectError(() => TensorBundle.open(prefix), ErrorCode.BAD_BUNDLE, /Snappy/);
});

/** A one-entry bundle index whose entry is whatever the test says. */
function indexWith(prefix: string, key: string, entry: Record<string, unknown>, header: Record<string, unknown> = { num_shards: 1 }): void {
  const table = new TableBuilder();
  table.add(new Uint8Array(0), BundleHeaderCodec.encode(header as never));
  table.add(Buffer.from(key), BundleEntryCodec.encode(entry as never));
  fs.writeFileSync(`${prefix}.index`, table.finish());
}

test('hostile entries: sizes, shards, dtypes and slices are checked before anything is read', (t) => {
  const d = scratch(t);
  const prefix = path.join(d, 'variables');
  fs.writeFileSync(`${prefix}.data-00000-of-00001`, new Uint8Array(16));
  const shape = (...dims: number[]) => ({ dim: dims.map((size) => ({ size })) });

  // A shape of 10^14 float32 elements with a matching size: refused as too short, never allocated.
  indexWith(prefix, 'huge', { dtype: 1, shape: shape(1e7, 1e7), size: 4e14, offset: 0 });
  expectError(() => TensorBundle.open(prefix).read('huge'), ErrorCode.SHARD_TOO_SHORT, "'huge'");

  indexWith(prefix, 'w', { dtype: 1, shape: shape(3), size: 8 });
  expectError(() => TensorBundle.open(prefix), ErrorCode.BAD_BUNDLE, "entry 'w' stores 8 bytes but float32[3] needs 12");

  indexWith(prefix, 'w', { dtype: 1, shape: shape(1), size: 4, shard_id: 3 });
  expectError(() => TensorBundle.open(prefix), ErrorCode.BAD_BUNDLE, 'shard 3', '1 shards');

  indexWith(prefix, 'w', { dtype: 77, shape: shape(1), size: 4 });
  expectError(() => TensorBundle.open(prefix), ErrorCode.BAD_BUNDLE, 'unknown dtype 77');

  indexWith(prefix, 'w', { dtype: 1, shape: shape(-1), size: 4 });
  expectError(() => TensorBundle.open(prefix), ErrorCode.BAD_BUNDLE, 'invalid shape');

  indexWith(prefix, 's', { dtype: 7, shape: shape(1000), size: 12 });
  expectError(() => TensorBundle.open(prefix), ErrorCode.BAD_BUNDLE, 'too few for 1000 strings');

  indexWith(prefix, 'part', { dtype: 1, shape: shape(4), slices: [{ extent: [{ start: 0, length: 2 }] }] });
  const b = TensorBundle.open(prefix);
  assert.equal(b.entry('part').sliced, true);
  expectError(() => b.read('part'), ErrorCode.BUNDLE_UNSUPPORTED, "variable 'part'", 'partitioned');
  assert.equal(b.readAll().size, 0);

  indexWith(prefix, 'w', { dtype: 1, shape: shape(1), size: 4 }, { num_shards: 1, endianness: 1 });
  expectError(() => TensorBundle.open(prefix), ErrorCode.BUNDLE_UNSUPPORTED, 'big-endian');

  indexWith(prefix, 'w', { dtype: 1, shape: shape(1), size: 4 }, { num_shards: 1, version: { producer: 9, min_consumer: 5 } });
  expectError(() => TensorBundle.open(prefix), ErrorCode.BUNDLE_UNSUPPORTED, 'version 5');

  // A string length (with a correct length checksum) larger than the bytes that follow it.
  const strings = Buffer.from([5, 0, 0, 0, 0, 0x61]);
  strings.writeUInt32LE(maskCrc(crc32c(Uint8Array.of(5, 0, 0, 0))), 1);
  fs.writeFileSync(`${prefix}.data-00000-of-00001`, strings);
  indexWith(prefix, 's', { dtype: 7, shape: shape(1), size: strings.length });
  expectError(() => TensorBundle.open(prefix).read('s'), ErrorCode.BAD_BUNDLE, "variable 's'", 'add up to 5 bytes but 1 follow');
  strings.writeUInt32LE(0, 1);
  fs.writeFileSync(`${prefix}.data-00000-of-00001`, strings);
  expectError(() => TensorBundle.open(prefix).read('s'), ErrorCode.CRC_MISMATCH, "string lengths of variable 's'");
});

test('blocks re-checksummed after damage (so only the parsers can notice): TfconvError or success', (t) => {
  if (!need(t, KWS)) return;
  const d = scratch(t);
  const orig = fs.readFileSync(`${savedModelVariablesPrefix(KWS)}.index`);
  const blockSize = 9240; // the single data block at 0 (see the reader test)
  assert.equal(orig[blockSize], 0);
  const prefix = path.join(d, 'variables');
  let seed = 12345;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const codes = new Map<string, number>();
  for (let i = 0; i < 300; i++) {
    const b = Buffer.from(orig);
    // Damage the restart array and entry headers more often than plain key/value bytes.
    const at = i % 3 === 0 ? blockSize - 1 - rand(64) : rand(blockSize);
    b[at] ^= 1 + rand(255);
    b.writeUInt32LE(maskCrc(crc32c(b.subarray(0, blockSize + 1))), blockSize + 1);
    fs.writeFileSync(`${prefix}.index`, b);
    let code = 'ok';
    try {
      TensorBundle.open(prefix);
    } catch (e) {
      if (!isTfconvError(e)) throw new Error(`flip at ${at}: ${String(e)}`);
      code = e.code;
    }
    codes.set(code, (codes.get(code) ?? 0) + 1);
  }
  assert.ok((codes.get(ErrorCode.BAD_BUNDLE) ?? 0) > 50, JSON.stringify([...codes]));
});
