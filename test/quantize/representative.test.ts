// Representative data: .npy, .npz, .json and image directories turned into samples shaped like the
// model's inputs; every bad file is one BAD_INPUT_DATA line naming the file, input and expectation.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { TensorValue } from '../../src/core/tensor.js';
import { convertToGraphs } from '../../src/convert/convert.js';
import { ErrorCode, TfconvError } from '../../src/errors/index.js';
import { Graph, Tensor } from '../../src/graph/ir.js';
import { encodeNpy, encodeNpz, readTensorFile } from '../../src/io/index.js';
import { imageToTensor } from '../../src/quantize/images.js';
import { loadRepresentative } from '../../src/quantize/representative.js';
import { fixture, need, sharedData } from '../helpers/shared.js';
import { tmpDir } from '../helpers/tmp.js';

const CALIBRATION = sharedData('kws-mfcc/calibration.npy');
const MULTI = fixture('tf-rust-keras/keras_multiple_inputs_saved_model');

/** A graph with one float input 'input_1' of `shape` (what kws looks like to the loader). */
function oneInput(shape: number[]): Graph {
  const g = new Graph();
  const x = new Tensor('serving_default_input_1', 'float32', shape);
  g.inputs = [x];
  g.outputs = [x];
  g.signature = { key: 'serving_default', inputs: [{ key: 'input_1', tensor: x }], outputs: [] };
  return g;
}
const KWS_SHAPE = [1, 49, 10, 1];

const f32 = (shape: number[], f: (i: number) => number = (i) => i): TensorValue => ({
  dtype: 'float32',
  shape,
  data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => f(i)),
});

function throwsData(f: () => unknown, re: RegExp, code: string = ErrorCode.BAD_INPUT_DATA): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof TfconvError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'));
    return true;
  });
}

test('.npy: the leading dimension counts samples; [N, 49, 10, 1] and [N, 1, 49, 10, 1] fit an input of [1, 49, 10, 1]', (t) => {
  if (!need(t, CALIBRATION)) return;
  const g = oneInput(KWS_SHAPE);
  const r = loadRepresentative({ representative: CALIBRATION }, g);
  assert.equal(r.count, 200);
  assert.equal(r.random, false);
  const all = readTensorFile(CALIBRATION).get('') as TensorValue;
  const s7 = r.sample(7)[0];
  assert.deepEqual(s7.shape, KWS_SHAPE);
  assert.deepEqual(Array.from(s7.data as Float32Array), Array.from((all.data as Float32Array).subarray(7 * 490, 8 * 490)));
  assert.equal(loadRepresentative({ representative: CALIBRATION, calibrationSamples: 50 }, g).count, 50);
  assert.match(loadRepresentative({ representative: CALIBRATION, calibrationSamples: 50 }, g).description, /calibration\.npy \(50 of 200 samples\)/);

  const dir = tmpDir(t);
  const flat = path.join(dir, 'flat.npy');
  fs.writeFileSync(flat, encodeNpy(f32([3, 49, 10])));
  throwsData(() => loadRepresentative({ representative: flat }, g), /flat\.npy: the array has shape \[3, 49, 10\]: samples of shape \[49, 10\] do not fit input 'input_1' of shape \[1, 49, 10, 1\] \(expected \[N, 49, 10, 1\]\)/);
  const batched = path.join(dir, 'batched.npy');
  fs.writeFileSync(batched, encodeNpy(f32([2, 1, 49, 10, 1])));
  assert.deepEqual(loadRepresentative({ representative: batched }, g).sample(1)[0].shape, KWS_SHAPE);
  const f64 = path.join(dir, 'f64.npy');
  fs.writeFileSync(f64, encodeNpy({ dtype: 'float64', shape: [2, 49, 10, 1], data: new Float64Array(980).fill(0.5) }));
  const s = loadRepresentative({ representative: f64 }, g).sample(1)[0];
  assert.equal(s.dtype, 'float32');
  const empty = path.join(dir, 'empty.npy');
  fs.writeFileSync(empty, encodeNpy(f32([0, 49, 10, 1])));
  throwsData(() => loadRepresentative({ representative: empty }, g), /empty\.npy: holds no samples/);
  const scalar = path.join(dir, 'scalar.npy');
  fs.writeFileSync(scalar, encodeNpy(f32([])));
  throwsData(() => loadRepresentative({ representative: scalar }, g), /scalar\.npy: the array is a scalar/);
});

test('.npz and .json: one array per signature input key; missing keys and mismatched counts are errors', (t) => {
  if (!need(t, MULTI)) return;
  const g = convertToGraphs(MULTI).graphs[0];
  const keys = g.signature?.inputs.map((e) => e.key) as string[];
  assert.deepEqual(keys, ['test_in1', 'test_in2']);
  const dir = tmpDir(t);
  const good = path.join(dir, 'good.npz');
  fs.writeFileSync(good, encodeNpz(new Map([['test_in1', f32([4, 5])], ['test_in2', f32([4, 5], (i) => -i)]])));
  const r = loadRepresentative({ representative: good }, g);
  assert.equal(r.count, 4);
  const [a, b] = r.sample(2);
  assert.deepEqual(a.shape, [1, 5]);
  assert.deepEqual(Array.from(b.data as Float32Array), [-10, -11, -12, -13, -14]);

  const missing = path.join(dir, 'missing.npz');
  fs.writeFileSync(missing, encodeNpz(new Map([['test_in1', f32([4, 5])], ['x', f32([4, 5])]])));
  throwsData(() => loadRepresentative({ representative: missing }, g), /missing\.npz: no key 'test_in2' for model input 'test_in2'; keys: 'test_in1', 'x'/);
  const counts = path.join(dir, 'counts.npz');
  fs.writeFileSync(counts, encodeNpz(new Map([['test_in1', f32([4, 5])], ['test_in2', f32([3, 5])]])));
  throwsData(() => loadRepresentative({ representative: counts }, g), /key 'test_in2' has 3 samples but 'test_in1' has 4/);
  const npy = path.join(dir, 'one.npy');
  fs.writeFileSync(npy, encodeNpy(f32([4, 5])));
  throwsData(() => loadRepresentative({ representative: npy }, g), /a \.npy file holds one array but the model has 2 inputs \('test_in1', 'test_in2'\)/);

  const json = path.join(dir, 'data.json');
  fs.writeFileSync(json, JSON.stringify({ test_in1: [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]], test_in2: [[0, 0, 0, 0, 0], [1, 1, 1, 1, 1]] }));
  const rj = loadRepresentative({ representative: json }, g);
  assert.equal(rj.count, 2);
  assert.deepEqual(Array.from(rj.sample(1)[0].data as Float32Array), [6, 7, 8, 9, 10]);
  const badShape = path.join(dir, 'bad.json');
  fs.writeFileSync(badShape, JSON.stringify({ test_in1: [[1, 2, 3]], test_in2: [[1, 2, 3]] }));
  throwsData(() => loadRepresentative({ representative: badShape }, g), /bad\.json: key 'test_in1' has shape \[1, 3\]: samples of shape \[3\] do not fit input 'test_in1' of shape \[1, 5\] \(expected \[N, 5\]\)/);
});

test('paths: missing file, unknown type, no data at all, random', (t) => {
  const g = oneInput(KWS_SHAPE);
  const dir = tmpDir(t);
  throwsData(() => loadRepresentative({ representative: path.join(dir, 'nope.npy') }, g), /nope\.npy: no such representative data file or image directory/, ErrorCode.FILE_NOT_FOUND);
  const txt = path.join(dir, 'data.txt');
  fs.writeFileSync(txt, '1 2 3');
  throwsData(() => loadRepresentative({ representative: txt }, g), /data\.txt: unknown representative data type; expected \.npy, \.npz, \.json, an image directory, or random/);
  throwsData(() => loadRepresentative({}, g), /needs representative data/, ErrorCode.NO_REPRESENTATIVE_DATA);
  const r = loadRepresentative({ representative: 'random', seed: 9 }, g);
  assert.equal(r.count, 100);
  assert.equal(r.random, true);
  assert.deepEqual(r.sample(3)[0].data, loadRepresentative({ representative: 'random', seed: 9 }, g).sample(3)[0].data);
  assert.notDeepEqual(r.sample(3)[0].data, r.sample(4)[0].data);
});

function png(w: number, h: number, px: (x: number, y: number) => [number, number, number, number], colorType = 6): Buffer {
  const p = new PNG({ width: w, height: h, colorType: colorType as 6 });
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [r, g, b, a] = px(x, y);
      p.data.set([r, g, b, a], (y * w + x) * 4);
    }
  }
  return PNG.sync.write(p, { colorType: colorType as 6 });
}

test('images: resized bilinearly to HxW, gray <-> RGB, normalised per channel; sorted by name', (t) => {
  const dir = tmpDir(t);
  // 4x2 RGB image: red ramps with x, green is constant, blue ramps with y.
  fs.writeFileSync(path.join(dir, 'b.png'), png(4, 2, (x, y) => [x * 60, 100, y * 200, 255]));
  fs.writeFileSync(path.join(dir, 'a.png'), png(4, 2, () => [10, 10, 10, 255]));
  const rgb = oneInput([1, 2, 4, 3]);
  const r = loadRepresentative({ representative: dir }, rgb);
  assert.equal(r.count, 2);
  assert.deepEqual(Array.from(r.sample(0)[0].data as Float32Array), new Array(24).fill(10)); // a.png first
  // Same size: no resampling; (v - mean) / std per channel.
  const norm = loadRepresentative({ representative: dir, imageMean: [0, 100, 0], imageStd: [60, 1, 200] }, rgb).sample(1)[0].data as Float32Array;
  assert.deepEqual(Array.from(norm.subarray(0, 12)), [0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0]);
  assert.deepEqual(Array.from(norm.subarray(12, 15)), [0, 0, 1]);

  // Downsampling 4 -> 2 with half-pixel centres averages pixel pairs: x = 0.5 and 2.5.
  const half = imageToTensor({ width: 4, height: 1, data: Uint8Array.from([0, 0, 0, 255, 60, 0, 0, 255, 120, 0, 0, 255, 180, 0, 0, 255]) }, { height: 1, width: 2, channels: 3 }, 'x');
  assert.deepEqual(Array.from(half), [30, 0, 0, 150, 0, 0]);
  // RGB -> gray uses TF's weights; a gray source stays exact.
  const gray = imageToTensor({ width: 1, height: 1, data: Uint8Array.from([100, 50, 200, 255]) }, { height: 1, width: 1, channels: 1 }, 'x');
  assert.ok(Math.abs(gray[0] - (0.2989 * 100 + 0.587 * 50 + 0.114 * 200)) < 1e-3);
  assert.deepEqual(Array.from(imageToTensor({ width: 1, height: 1, data: Uint8Array.from([77, 77, 77, 255]) }, { height: 1, width: 1, channels: 1 }, 'x')), [77]);

  // A grayscale PNG and a JPEG feed a 1-channel input of another size (kws' 49x10).
  const d2 = tmpDir(t);
  fs.writeFileSync(path.join(d2, 'g.png'), png(20, 98, (x, y) => [y, y, y, 255], 0));
  const j = jpeg.encode({ width: 16, height: 16, data: Buffer.alloc(16 * 16 * 4, 128) }, 95);
  fs.writeFileSync(path.join(d2, 'h.jpg'), j.data);
  const k = loadRepresentative({ representative: d2, imageMean: [127.5], imageStd: [127.5] }, oneInput(KWS_SHAPE));
  assert.equal(k.count, 2);
  const s0 = k.sample(0)[0];
  assert.deepEqual(s0.shape, KWS_SHAPE);
  const v = s0.data as Float32Array;
  assert.ok(v[0] < v[489], 'the vertical ramp survives resizing');
  const s1 = k.sample(1)[0].data as Float32Array;
  assert.ok(s1.every((x) => Math.abs(x - (128 - 127.5) / 127.5) < 0.05), 'flat gray JPEG');
});

test('images: empty directory, unreadable image, wrong input kind, bad --mean/--std', (t) => {
  const g = oneInput([1, 8, 8, 3]);
  const empty = tmpDir(t);
  fs.writeFileSync(path.join(empty, 'notes.txt'), 'not an image');
  throwsData(() => loadRepresentative({ representative: empty }, g), /holds no images \(\.png, \.jpg or \.jpeg\)/);
  const bad = tmpDir(t);
  fs.writeFileSync(path.join(bad, 'broken.png'), Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(40, 7)]));
  fs.writeFileSync(path.join(bad, 'cut.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3]));
  fs.writeFileSync(path.join(bad, 'plain.jpeg'), 'hello');
  const r = loadRepresentative({ representative: bad }, g);
  assert.equal(r.count, 3);
  throwsData(() => r.sample(0), /broken\.png: not a readable PNG image/);
  throwsData(() => r.sample(1), /cut\.jpg: not a readable JPEG image/);
  throwsData(() => r.sample(2), /plain\.jpeg: not a PNG or JPEG image/);
  const one = tmpDir(t);
  fs.writeFileSync(path.join(one, 'a.png'), png(2, 2, () => [1, 2, 3, 255]));
  throwsData(() => loadRepresentative({ representative: one }, oneInput([1, 5])), /images need an input of shape \[1, H, W, C\] or \[H, W, C\]; input 'input_1' has \[1, 5\]/);
  throwsData(() => loadRepresentative({ representative: one }, oneInput([1, 2, 2, 4])).sample(0), /the model input has 4 channels/);
  throwsData(() => loadRepresentative({ representative: one, imageMean: [1, 2] }, g).sample(0), /--mean: has 2 values but the model input has 3 channels/, ErrorCode.BAD_OPTION);
  throwsData(() => loadRepresentative({ representative: one, imageStd: [0] }, g).sample(0), /--std: must not be 0/, ErrorCode.BAD_OPTION);
});
