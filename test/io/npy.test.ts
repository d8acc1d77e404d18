import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import type { DType } from '../../src/core/dtype.js';
import { type TensorValue, floatToHalf, tensorBytes } from '../../src/core/tensor.js';
import { ErrorCode, TfconvError } from '../../src/errors/index.js';
import { decodeNpy, encodeNpy, readTensorSource } from '../../src/io/index.js';
import { fixture, need, sharedData } from '../helpers/shared.js';

test('reads the KWS calibration set: (200, 49, 10, 1) float32 with the values numpy reads', (t) => {
  const file = sharedData('kws-mfcc/calibration.npy');
  if (!need(t, file)) return;
  const v = readTensorSource(file);
  assert.equal(v.dtype, 'float32');
  assert.deepEqual(v.shape, [200, 49, 10, 1]);
  const d = v.data as Float32Array;
  assert.equal(d.length, 98000);
  // Values and sums as numpy 2.4 reads them (np.load(...).reshape(-1)[:4], .astype(float64).sum()).
  assert.deepEqual([...d.subarray(0, 4)], [-38.06861877441406, 8.159453392028809, 4.2249436378479, 2.0622406005859375]);
  assert.deepEqual([...d.subarray(d.length - 2)], [-0.4369538426399231, -1.1512351036071777]);
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const x of d) {
    sum += x;
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  // numpy sums pairwise, we sum in order: equal to far better than float32 resolution.
  assert.ok(Math.abs(sum - -90237.06572170465) < 1e-3);
  assert.equal(min, -123.56968688964844);
  assert.equal(max, 21.168371200561523);
});

test('reads the TF.NET reference weights kernel1.npy (100, 10) and bias0.npy (100,)', (t) => {
  const dir = fixture('tfnet-keras/simple_model_from_auto_compile');
  if (!need(t, `${dir}/kernel1.npy`, `${dir}/bias0.npy`)) return;
  const k = readTensorSource(`${dir}/kernel1.npy`);
  assert.equal(k.dtype, 'float32');
  assert.deepEqual(k.shape, [100, 10]);
  const kd = k.data as Float32Array;
  assert.deepEqual([...kd.subarray(0, 3)], [-0.17666904628276825, 0.1871311068534851, -0.01935177855193615]);
  assert.equal(kd[99 * 10 + 9], -0.13068222999572754);
  assert.ok(Math.abs(kd.reduce((s, x) => s + x, 0) - -19.055615066958126) < 1e-6);
  const b = readTensorSource(`${dir}/bias0.npy`);
  assert.deepEqual(b.shape, [100]);
  assert.deepEqual([...(b.data as Float32Array).subarray(0, 3)], [0.08347001671791077, 0.07402898371219635, 0.022620318457484245]);
});

test('writes exactly the bytes np.save writes (header padding included)', (t) => {
  const file = sharedData('kws-mfcc/calibration.npy');
  if (!need(t, file)) return;
  const original = fs.readFileSync(file);
  const again = encodeNpy(decodeNpy(original, file));
  assert.equal(Buffer.compare(Buffer.from(again), original), 0);
  // np.save(f, np.array([[1.5, -2.25, 3.0]], np.float32)): 128-byte header then 12 bytes.
  const small = encodeNpy({ dtype: 'float32', shape: [1, 3], data: new Float32Array([1.5, -2.25, 3]) });
  assert.equal(small.byteLength, 140);
  const header = Buffer.from(small.subarray(10, 128)).toString('latin1');
  assert.equal(header, `${"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3), }".padEnd(117)}\n`);
  assert.deepEqual([...small.subarray(0, 10)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0x76, 0]);
  // 0-d and 1-d shapes print as Python tuples do.
  const scalar = encodeNpy({ dtype: 'float64', shape: [], data: new Float64Array([3.25]) });
  assert.match(Buffer.from(scalar).toString('latin1', 10, 70), /'shape': \(\), \}\s+$/);
  const vec = encodeNpy({ dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) });
  assert.match(Buffer.from(vec).toString('latin1', 10, 70), /^\{'descr': '\|b1', 'fortran_order': False, 'shape': \(3,\), \}/);
});

test('round-trips every numpy dtype we have, scalars and empty arrays', () => {
  const cases: TensorValue[] = [
    { dtype: 'float32', shape: [2, 2], data: new Float32Array([1, -0, NaN, Infinity]) },
    { dtype: 'float64', shape: [], data: new Float64Array([Math.PI]) },
    { dtype: 'float16', shape: [3], data: new Uint16Array([floatToHalf(0.5), floatToHalf(-65504), 0x7e00]) },
    { dtype: 'int8', shape: [2], data: new Int8Array([-128, 127]) },
    { dtype: 'uint8', shape: [2], data: new Uint8Array([0, 255]) },
    { dtype: 'int16', shape: [1, 2], data: new Int16Array([-32768, 32767]) },
    { dtype: 'uint16', shape: [1], data: new Uint16Array([65535]) },
    { dtype: 'int32', shape: [0, 3], data: new Int32Array(0) },
    { dtype: 'uint32', shape: [1], data: new Uint32Array([4294967295]) },
    { dtype: 'int64', shape: [2], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]) },
    { dtype: 'uint64', shape: [1], data: new BigUint64Array([2n ** 64n - 1n]) },
    { dtype: 'bool', shape: [2, 1], data: new Uint8Array([1, 0]) },
    { dtype: 'complex64', shape: [1], data: new Float32Array([1.5, -2]) },
    { dtype: 'string', shape: [2], data: [new TextEncoder().encode('héllo'), new Uint8Array([1, 2])] },
  ];
  for (const c of cases) {
    const back = decodeNpy(encodeNpy(c), c.dtype);
    assert.equal(back.dtype, c.dtype);
    assert.deepEqual(back.shape, c.shape);
    if (Array.isArray(c.data)) assert.deepEqual((back.data as Uint8Array[]).map((s) => [...s]), c.data.map((s) => [...s]));
    else assert.deepEqual(Buffer.from(tensorBytes(back)), Buffer.from(tensorBytes(c)), c.dtype);
  }
});

/** A .npy file with a hand-written header, for the format variants numpy can produce. */
function npyWith(header: string, body: Uint8Array, major = 1): Uint8Array {
  const text = Buffer.from(`${header}\n`, 'latin1');
  const lenBytes = major === 1 ? 2 : 4;
  const out = new Uint8Array(8 + lenBytes + text.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const dv = new DataView(out.buffer);
  if (lenBytes === 2) dv.setUint16(8, text.length, true);
  else dv.setUint32(8, text.length, true);
  out.set(text, 8 + lenBytes);
  out.set(body, 8 + lenBytes + text.length);
  return out;
}

test('reads v2/v3 headers, big-endian data, Python 2 long shapes and fixed-width strings', () => {
  const body = new Uint8Array([1, 0, 2, 0, 3, 0]);
  for (const major of [2, 3]) {
    const v = decodeNpy(npyWith("{'descr': '<i2', 'fortran_order': False, 'shape': (3,), }", body, major), `v${major}`);
    assert.deepEqual([...(v.data as Int16Array)], [1, 2, 3]);
  }
  const be = decodeNpy(npyWith("{'descr': '>i4', 'fortran_order': False, 'shape': (2L,), }", new Uint8Array([0, 0, 1, 2, 0xff, 0xff, 0xff, 0xfe])), 'be');
  assert.deepEqual([...(be.data as Int32Array)], [258, -2]);
  const s = decodeNpy(npyWith("{'descr': '|S2', 'fortran_order': False, 'shape': (2,), }", new Uint8Array([0x61, 0x62, 0x63, 0])), 's');
  assert.deepEqual((s.data as Uint8Array[]).map((x) => Buffer.from(x).toString()), ['ab', 'c']);
  const u = decodeNpy(npyWith("{'descr': '<U2', 'fortran_order': False, 'shape': (2,), }", new Uint8Array([0x61, 0, 0, 0, 0xe9, 0, 0, 0, 0x63, 0, 0, 0, 0, 0, 0, 0])), 'u');
  assert.deepEqual((u.data as Uint8Array[]).map((x) => Buffer.from(x).toString()), ['aé', 'c']);
});

test('rejects Fortran order, objects, records, bad magic and lengths that do not match', () => {
  const expectBad = (bytes: Uint8Array, re: RegExp) => {
    assert.throws(
      () => decodeNpy(bytes, 'x.npy'),
      (e: unknown) => e instanceof TfconvError && e.code === ErrorCode.BAD_INPUT_DATA && re.test(e.message) && e.message.startsWith('x.npy: '),
    );
  };
  const f32 = new Uint8Array(12);
  expectBad(npyWith("{'descr': '<f4', 'fortran_order': True, 'shape': (3, 1), }", f32), /Fortran \(column-major\) order/);
  expectBad(npyWith("{'descr': '|O', 'fortran_order': False, 'shape': (3,), }", f32), /Python objects/);
  expectBad(npyWith("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (3,), }", f32), /structured array/);
  expectBad(npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", f32), /data is 12 bytes but shape \(4\) of float32 needs 16/);
  expectBad(npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f32), /4 bytes after the array data/);
  expectBad(npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (9007199254740991, 9007199254740991), }", f32), /too large/);
  expectBad(npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), ", f32), /not a Python dict literal/);
  expectBad(npyWith("{'descr': '<V2', 'fortran_order': False, 'shape': (3,), }", f32), /dtype '<V2' is not supported/);
  expectBad(new TextEncoder().encode('{"x": 1}'), /no \\x93NUMPY magic/);
  const huge = npyWith("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", f32);
  new DataView(huge.buffer).setUint16(8, 60000, true);
  expectBad(huge, /header claims 60000 bytes/);
  assert.throws(() => encodeNpy({ dtype: 'bfloat16' as DType, shape: [1], data: new Uint16Array(1) }), /numpy has no bfloat16 dtype/);
});
