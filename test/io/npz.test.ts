import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { halfToFloat, tensorBytes } from '../../src/core/tensor.js';
import { ErrorCode, TfconvError } from '../../src/errors/index.js';
import { decodeNpz, encodeNpz, readTensorFile, readTensorSource, writeTensorFile } from '../../src/io/index.js';
import { sharedData, need } from '../helpers/shared.js';

// Written by numpy 2.4.6 (np.savez / np.savez_compressed, ZIP64 local headers as numpy writes them):
//   a = {'x': np.array([[1.5, -2.25, 3.0]], np.float32), 'mask': np.array([True, False, True]),
//        'ids': np.array([[-(2**40), 7]], np.int64), 'half': np.array([0.5, -1, 65504, 1e-7], np.float16)}
//   np.savez('stored.npz', x=a['x'], mask=a['mask'], ids=a['ids'])
//   np.savez_compressed('deflated.npz', x=a['x'], half=a['half'], ids=a['ids'])
const STORED = Buffer.from('UEsDBC0AAAAAAAAAIQC1vSEZ//////////8FABQAeC5ucHkBABAAjAAAAAAAAACMAAAAAAAAAJNOVU1QWQEAdgB7J2Rlc2NyJzogJzxmNCcsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgxLCAzKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAKAADAPwAAEMAAAEBAUEsDBC0AAAAAAAAAIQAWk4y7//////////8IABQAbWFzay5ucHkBABAAgwAAAAAAAACDAAAAAAAAAJNOVU1QWQEAdgB7J2Rlc2NyJzogJ3xiMScsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgzLCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAKAQABUEsDBC0AAAAAAAAAIQDJa9OC//////////8HABQAaWRzLm5weQEAEACQAAAAAAAAAJAAAAAAAAAAk05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDEsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAP///wcAAAAAAAAAUEsBAi0DLQAAAAAAAAAhALW9IRmMAAAAjAAAAAUAAAAAAAAAAAAAAIABAAAAAHgubnB5UEsBAi0DLQAAAAAAAAAhABaTjLuDAAAAgwAAAAgAAAAAAAAAAAAAAIABwwAAAG1hc2subnB5UEsBAi0DLQAAAAAAAAAhAMlr04KQAAAAkAAAAAcAAAAAAAAAAAAAAIABgAEAAGlkcy5ucHlQSwUGAAAAAAMAAwCeAAAASQIAAAAA', 'base64');
const DEFLATED = Buffer.from('UEsDBC0AAAAIAAAAIQC1vSEZ//////////8FABQAeC5ucHkBABAAjAAAAAAAAABSAAAAAAAAAJvsF+obEMnIUMZQrZ6SWpxcpG6loG6TZqKuo6Cell9UUpSYF59flJIKEndLzClOBYoXZyQWpAL5GoY6CsaaOgq1CmQDLgaGA/YMDAIHGBgcHABQSwMELQAAAAgAAAAhAEY03TH//////////wgAFABoYWxmLm5weQEAEACIAAAAAAAAAEwAAAAAAAAAm+wX6hsQychQxlCtnpJanFykbqWgbpNmpK6joJ6WX1RSlJgXn1+UkgoSd0vMKU4FihdnJBakAvkaJjqaOgq1ChQALgYLhj3/q5kYAFBLAwQtAAAACAAAACEAyWvTgv//////////BwAUAGlkcy5ucHkBABAAkAAAAAAAAABQAAAAAAAAAJvsF+obEMnIUMZQrZ6SWpxcpG6loG6TaaGuo6Cell9UUpSYF59flJIKEndLzClOBYoXZyQWpAL5GoY6CkaaOgq1CmQDLgYQ+P//PzsDBAAAUEsBAi0DLQAAAAgAAAAhALW9IRlSAAAAjAAAAAUAAAAAAAAAAAAAAIABAAAAAHgubnB5UEsBAi0DLQAAAAgAAAAhAEY03TFMAAAAiAAAAAgAAAAAAAAAAAAAAIABiQAAAGhhbGYubnB5UEsBAi0DLQAAAAgAAAAhAMlr04JQAAAAkAAAAAcAAAAAAAAAAAAAAIABDwEAAGlkcy5ucHlQSwUGAAAAAAMAAwCeAAAAmAEAAAAA', 'base64');

test('reads numpy-written .npz archives, stored and deflated, keys in archive order', () => {
  const s = decodeNpz(STORED, 'stored.npz');
  assert.deepEqual([...s.keys()], ['x', 'mask', 'ids']);
  assert.deepEqual(s.get('x'), { dtype: 'float32', shape: [1, 3], data: new Float32Array([1.5, -2.25, 3]) });
  assert.deepEqual([...(s.get('mask')?.data as Uint8Array)], [1, 0, 1]);
  assert.deepEqual([...(s.get('ids')?.data as BigInt64Array)], [-(2n ** 40n), 7n]);
  const d = decodeNpz(DEFLATED, 'deflated.npz');
  assert.deepEqual([...d.keys()], ['x', 'half', 'ids']);
  assert.deepEqual([...(d.get('half')?.data as Uint16Array)].map(halfToFloat), [0.5, -1, 65504, 1.1920928955078125e-7]);
  assert.deepEqual(d.get('x'), s.get('x'));
});

test('a flipped byte in a member fails the CRC-32 check instead of giving wrong numbers', () => {
  const bad = Buffer.from(STORED);
  // The first member's float data ends just before the second local header.
  const second = bad.indexOf(Buffer.from('PK\x03\x04', 'latin1'), 4);
  bad[second - 1] ^= 0x40;
  assert.throws(
    () => decodeNpz(bad, 'bad.npz'),
    (e: unknown) => e instanceof TfconvError && e.code === ErrorCode.BAD_INPUT_DATA && /member 'x.npy' fails its CRC-32 check/.test(e.message),
  );
  assert.throws(() => decodeNpz(STORED.subarray(0, 300), 'cut.npz'), /not a valid .npz \(ZIP\) archive/);
});

test('writes archives numpy-compatible and deterministic; round-trips through files', (t) => {
  const s = decodeNpz(STORED, 'stored.npz');
  for (const compress of [false, true]) {
    const a = encodeNpz(s, { compress });
    const b = encodeNpz(s, { compress });
    assert.equal(Buffer.compare(Buffer.from(a), Buffer.from(b)), 0, 'same input, same bytes');
    assert.deepEqual(decodeNpz(a, 'again.npz'), s);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfconv-npz-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'out.npz');
  writeTensorFile(file, s, { compress: true });
  assert.deepEqual(readTensorFile(file), s);
  assert.deepEqual(readTensorSource(`${file}:ids`), s.get('ids'));
  assert.throws(() => readTensorSource(file), /holds 3 tensors; name one as .*out\.npz:KEY \(keys: 'x', 'mask', 'ids'\)/);
  assert.throws(() => readTensorSource(`${file}:nope`), /no key 'nope'; keys: 'x', 'mask', 'ids'/);
  assert.deepEqual(fs.readdirSync(dir), ['out.npz'], 'no temporary files left behind');
});

test('an npz of the real KWS calibration set round-trips bit-exactly', (t) => {
  const file = sharedData('kws-mfcc/calibration.npy');
  if (!need(t, file)) return;
  const v = readTensorSource(file);
  const back = decodeNpz(encodeNpz(new Map([['input_1', v]]), { compress: true }), 'kws.npz').get('input_1');
  assert.ok(back);
  assert.deepEqual(back.shape, v.shape);
  assert.equal(Buffer.compare(Buffer.from(tensorBytes(back)), Buffer.from(tensorBytes(v))), 0);
});
