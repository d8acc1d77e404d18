import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import { BufferIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { encodeNpy, encodeNpz, readTensorFile, readTensorSource } from '../../src/io/index.js';
import { seededFloats } from '../helpers/random.js';
import { fixture, need } from '../helpers/shared.js';

const REG_PB = fixture('tf2onnx-test-models/regression/graphdef/frozen.pb');
const REG_TFLITE = fixture('tf2onnx-test-models/regression/tflite/model.tflite');
const HELLO = fixture('tflite-micro-models/hello_world_float.tflite');
const MULTI_ADD_BIN = fixture('litert-testdata/tflite_testdata/multi_add.bin');
const MULTI_ADD_PB = fixture('litert-testdata/tflite_testdata/multi_add.pb');
const FC = fixture('tf2onnx-test-models/fc-layers/frozen.pb');

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = new BufferIO();
  const code = await main(['run', ...argv], io);
  return { code, out: io.out, err: io.errText };
}

function tmpDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfconv-run-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('regression: the frozen graph (TF reference) and the official .tflite print the same numbers', async (t) => {
  if (!need(t, REG_PB, REG_TFLITE)) return;
  const dir = tmpDir(t);
  const graph = await run(REG_PB, '--input-exprs', 'X=2.5', '-o', path.join(dir, 'graph.npy'));
  const lite = await run(REG_TFLITE, '--input-exprs', 'X=2.5', '-o', path.join(dir, 'lite.npy'));
  assert.equal(graph.code, 0, graph.err);
  assert.equal(lite.code, 0, lite.err);
  // 0.21396178 * 2.5 + 1.0495254 in float32; both name the output pred:0.
  assert.equal(graph.out, `pred:0: float32 []\n1.5844299\nWrote ${path.join(dir, 'graph.npy')}\n`);
  assert.equal(lite.out, `pred:0: float32 []\n1.5844299\nWrote ${path.join(dir, 'lite.npy')}\n`);
  assert.deepEqual(fs.readFileSync(path.join(dir, 'graph.npy')), fs.readFileSync(path.join(dir, 'lite.npy')));
  // A batch through the graph from a .npy file: same values as one-by-one through TFLite.
  const xs = new Float32Array([-3, 0, 0.5, 7]);
  fs.writeFileSync(path.join(dir, 'xs.npy'), encodeNpy({ dtype: 'float32', shape: [4], data: xs }));
  const batch = await run(REG_PB, '-i', `X=${path.join(dir, 'xs.npy')}`, '--output-arrays', 'pred', '-o', path.join(dir, 'batch.json'));
  assert.equal(batch.code, 0, batch.err);
  const got = readTensorSource(`${path.join(dir, 'batch.json')}:pred`).data as Float32Array;
  for (let i = 0; i < xs.length; i++) {
    const one = await run(REG_TFLITE, '--input-exprs', `X:0=${xs[i]}`, '-o', path.join(dir, 'one.npy'));
    assert.equal(one.code, 0, one.err);
    assert.equal((readTensorSource(path.join(dir, 'one.npy')).data as Float32Array)[0], got[i]);
  }
});

test('hello_world_float on x=[[1.57]] prints about sin(1.57) (within 0.01)', async (t) => {
  if (!need(t, HELLO)) return;
  // The signature key (dense_input), the tensor name, and the name without ":0" all work.
  for (const key of ['dense_input', 'serving_default_dense_input:0', 'serving_default_dense_input']) {
    const r = await run(HELLO, '--input-exprs', `${key}=[[1.57]]`);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '', 'no runtime log lines leak out');
    const m = /^StatefulPartitionedCall:0: float32 \[1, 1\]\n\[\[([-\d.e]+)\]\]\n$/.exec(r.out);
    assert.ok(m, r.out);
    assert.ok(Math.abs(Number(m[1]) - Math.sin(1.57)) < 0.01);
  }
});

test('multi_add: npz inputs in, npz outputs out; the .bin and the .pb give identical files', async (t) => {
  if (!need(t, MULTI_ADD_BIN, MULTI_ADD_PB)) return;
  const dir = tmpDir(t);
  const shape = [1, 8, 8, 3];
  const ins = new Map(['a', 'b', 'c', 'd'].map((k, i) => [k, { dtype: 'float32' as const, shape, data: seededFloats(192, 21 + i, -1, 1) }]));
  const inFile = path.join(dir, 'in.npz');
  fs.writeFileSync(inFile, encodeNpz(ins, { compress: true }));
  const args = ['a', 'b', 'c', 'd'].flatMap((k) => ['-i', `${k}=${inFile}:${k}`]);
  const lite = await run(MULTI_ADD_BIN, ...args, '-o', path.join(dir, 'lite.npz'));
  assert.equal(lite.code, 0, lite.err);
  assert.match(lite.out, /^x: float32 \[1, 8, 8, 3\] \(192 values\)\n {2}\[[^\n]+, \.\.\.\]\n {2}min [-\d.e]+ {2}max [-\d.e]+ {2}mean [-\d.e]+\ny: float32 \[1, 8, 8, 3\] \(192 values\)\n/);
  const outs = readTensorFile(path.join(dir, 'lite.npz'));
  assert.deepEqual([...outs.keys()], ['x', 'y']);
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((k) => ins.get(k)?.data as Float32Array);
  const x = outs.get('x')?.data as Float32Array;
  const y = outs.get('y')?.data as Float32Array;
  for (let i = 0; i < 192; i++) {
    assert.equal(x[i], Math.fround(a[i] + Math.fround(b[i] + c[i])));
    assert.equal(y[i], Math.fround(d[i] + Math.fround(b[i] + c[i])));
  }
  const graph = await run(MULTI_ADD_PB, ...args, '--output-arrays', 'x,y', '-o', path.join(dir, 'graph.npz'));
  assert.equal(graph.code, 0, graph.err);
  assert.deepEqual(fs.readFileSync(path.join(dir, 'graph.npz')), fs.readFileSync(path.join(dir, 'lite.npz')));
  // A directory gets one .npy per output, named after the tensor.
  const perOutput = await run(MULTI_ADD_PB, ...args, '--output-arrays', 'x:0,y:0', '-o', path.join(dir, 'each'));
  assert.equal(perOutput.code, 0, perOutput.err);
  assert.deepEqual(fs.readdirSync(path.join(dir, 'each')).sort(), ['x_0.npy', 'y_0.npy']);
  assert.deepEqual(readTensorSource(path.join(dir, 'each', 'y_0.npy')), outs.get('y'));
});

test('float64 .npy inputs are converted to the float32 input; wrong shapes and keys are one-line errors, exit 1', async (t) => {
  if (!need(t, FC, HELLO)) return;
  const dir = tmpDir(t);
  const x64 = path.join(dir, 'x64.npy');
  fs.writeFileSync(x64, encodeNpy({ dtype: 'float64', shape: [2, 784], data: Float64Array.from(seededFloats(1568, 5, -1, 1)) }));
  const ok = await run(FC, '-i', `X:0=${x64}`);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /^output:0: float32 \[2, 10\]\n\[\[/);

  const cases: [string[], RegExp][] = [
    [[HELLO, '-i', `dense_input=${path.join(dir, 'missing.npy')}`], /missing\.npy: no such file/],
    [[HELLO, '-i', `dense_input=${x64}`], /^tfconv: error: input 'serving_default_dense_input:0': expected shape \[1, 1\], got \[2, 784\]/],
    [[HELLO, '--input-exprs', 'nope=[[1]]'], /^tfconv: error: input 'nope': the model has no such input; inputs: 'serving_default_dense_input:0' \(float32 \[1, 1\]\)/],
    [[HELLO], /^tfconv: error: input 'serving_default_dense_input:0': no value given/],
    [[HELLO, '--input-exprs', 'dense_input=[[1], [2, 3]]'], /ragged nesting/],
    [[FC, '-i', `X:0=${x64}`, '--output-arrays', 'nothere:0'], /cannot fetch 'nothere:0'/],
    [[fixture('tf-serving-half-plus-two/saved_model_half_plus_two_cpu'), '--input-exprs', 'nope=[[1]]'], /^tfconv: error: input 'nope': signature 'serving_default' has no such input; inputs: x$/m],
  ];
  for (const [argv, re] of cases) {
    const r = await run(...argv);
    assert.equal(r.code, 1, `${argv.join(' ')}: ${r.err}`);
    assert.match(r.err, re);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
  }
});

test('malformed flags are usage errors, exit 2', async (t) => {
  if (!need(t, HELLO)) return;
  const cases: [string[], RegExp][] = [
    [[HELLO, '--input', 'no-equals-sign.npy'], /--input: expected KEY=FILE, got 'no-equals-sign\.npy'/],
    [[HELLO, '--input-exprs', 'x=[[1.57]'], /--input-exprs: 'x': not a JSON literal/],
    [[HELLO, '--input-exprs', 'x=1', '--input-exprs', 'x=2'], /input 'x' is given twice/],
    [[HELLO, '--input-exprs', 'dense_input=[[1]]', '--out', 'result.txt'], /--out: 'result\.txt': expected OUT\.npy, OUT\.npz, OUT\.json or a directory/],
    [[HELLO, '--bogus'], /Unknown argument: bogus/],
  ];
  for (const [argv, re] of cases) {
    const r = await run(...argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
    assert.match(r.err, re);
    assert.doesNotMatch(r.err, /\n\s+at /);
  }
  const two = await run(MULTI_ADD_BIN, ...['a', 'b', 'c', 'd'].flatMap((k) => ['--input-exprs', `${k}=${JSON.stringify(Array(1).fill(Array(8).fill(Array(8).fill([0, 0, 0]))))}`]), '-o', 'out.npy');
  assert.equal(two.code, 2, two.err);
  assert.match(two.err, /--out: a \.npy file holds one array but there are 2 outputs/);
  assert.equal(two.out, '');
});

test('run: a SavedModel signature runs in the TF reference (half_plus_two: y = 0.5x + 2; TF2 half_plus_three)', async (t) => {
  const tf1 = fixture('tf-serving-half-plus-two/saved_model_half_plus_two_cpu');
  const tf2 = fixture('tf-serving-half-plus-two/saved_model_half_plus_two_tf2_cpu');
  if (!need(t, tf1, tf2)) return;
  const a = await run(tf1, '--input-exprs', 'x=[[1], [2], [-4]]');
  assert.equal(a.code, 0, a.err);
  assert.equal(a.out, 'y: float32 [3, 1]\n[[2.5], [3], [0]]\n');
  const b = await run(tf2, '--input-exprs', 'x=[3]');
  assert.equal(b.code, 0, b.err);
  assert.equal(b.out, 'y: float32 [1]\n[3.5]\n');
  const c = await run(tf1, '--signature-def', 'regress_x2_to_y3', '--input-exprs', 'inputs=[[4]]');
  assert.equal(c.code, 0, c.err);
  assert.equal(c.out, 'outputs: float32 [1, 1]\n[[5]]\n');
});
