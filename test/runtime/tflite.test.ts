import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { ErrorCode, TfconvError } from '../../src/errors/index.js';
import { TfliteRuntime } from '../../src/runtime/tflite.js';
import { seededFloats } from '../helpers/random.js';
import { fixture, need } from '../helpers/shared.js';
import { throwsOneLine } from '../helpers/errors.js';

const HELLO = fixture('tflite-micro-models/hello_world_float.tflite');
const HELLO_INT8 = fixture('tflite-micro-models/hello_world_int8.tflite');
const REGRESSION = fixture('tf2onnx-test-models/regression/tflite/model.tflite');
const MULTI_ADD = fixture('litert-testdata/tflite_testdata/multi_add.bin');
const MNIST = fixture('ai-edge-quantizer-testmodels/conv_fc_mnist.tflite');

const f32 = (shape: number[], values: number[]) => ({ dtype: 'float32' as const, shape, data: new Float32Array(values) });

test('hello_world_float: the real interpreter computes about sin(x)', async (t) => {
  if (!need(t, HELLO)) return;
  const rt = await TfliteRuntime.load();
  const m = rt.loadModel(fs.readFileSync(HELLO), { name: 'hello_world_float.tflite' });
  t.after(() => m.dispose());
  assert.deepEqual(m.inputs, [{ name: 'serving_default_dense_input:0', id: 0, dtype: 'float32', shape: [1, 1] }]);
  assert.deepEqual(m.outputs, [{ name: 'StatefulPartitionedCall:0', id: 9, dtype: 'float32', shape: [1, 1] }]);
  const [y] = m.run([f32([1, 1], [1.57])]);
  assert.deepEqual(y.shape, [1, 1]);
  // The model is a 3-layer MLP fitted to sin on [0, 2pi]: 0.9955 at 1.57; within 0.06 everywhere.
  assert.ok(Math.abs((y.data as Float32Array)[0] - Math.sin(1.57)) < 0.01);
  for (let x = 0; x <= 6.28; x += 0.05) {
    const [v] = m.run({ 'serving_default_dense_input:0': f32([1, 1], [x]) });
    assert.ok(Math.abs((v.data as Float32Array)[0] - Math.sin(x)) < 0.06, `x=${x}`);
  }
});

test('hello_world_int8: int8 in, int8 out, dequantizes to about sin(x)', async (t) => {
  if (!need(t, HELLO_INT8)) return;
  const rt = await TfliteRuntime.load();
  const m = rt.loadModel(fs.readFileSync(HELLO_INT8));
  t.after(() => m.dispose());
  assert.equal(m.inputs[0].dtype, 'int8');
  // Quantization parameters from the file (INVENTORY.txt): in 0.0244801/-128, out 0.00829096/5.
  for (let x = 0; x <= 6.28; x += 0.1) {
    const q = Math.max(-128, Math.min(127, Math.round(x / 0.0244801) - 128));
    const [y] = m.run([{ dtype: 'int8', shape: [1, 1], data: new Int8Array([q]) }]);
    assert.equal(y.dtype, 'int8');
    assert.ok(Math.abs(((y.data as Int8Array)[0] - 5) * 0.00829096 - Math.sin(x)) < 0.15, `x=${x}`);
  }
});

test('official regression .tflite: pred = W*X + b exactly in float32, scalar tensors', async (t) => {
  if (!need(t, REGRESSION)) return;
  const rt = await TfliteRuntime.load();
  const m = rt.loadModel(fs.readFileSync(REGRESSION));
  t.after(() => m.dispose());
  assert.deepEqual(m.inputs.map((i) => [i.name, i.shape]), [['X:0', []]]);
  // W and b as stored in the frozen GraphDef the file was converted from.
  const W = Math.fround(0.21396178007125854);
  const b = Math.fround(1.0495253801345825);
  for (const x of [-1000, -3.5, 0, 0.1, 1, 2.5, 1e6]) {
    const [y] = m.run([f32([], [x])]);
    assert.deepEqual(y.shape, []);
    assert.equal((y.data as Float32Array)[0], Math.fround(Math.fround(Math.fround(x) * W) + b), `x=${x}`);
  }
});

test('multi_add.bin: four inputs by name, two outputs, exact float32 sums', async (t) => {
  if (!need(t, MULTI_ADD)) return;
  const rt = await TfliteRuntime.load();
  const m = rt.loadModel(fs.readFileSync(MULTI_ADD));
  t.after(() => m.dispose());
  assert.deepEqual(m.inputs.map((i) => i.name), ['a', 'b', 'c', 'd']);
  assert.deepEqual(m.outputs.map((o) => o.name), ['x', 'y']);
  const shape = [1, 8, 8, 3];
  const [a, b, c, d] = [1, 2, 3, 4].map((s) => seededFloats(192, s, -1, 1));
  const [x, y] = m.run({ d: f32(shape, [...d]), c: f32(shape, [...c]), b: f32(shape, [...b]), a: f32(shape, [...a]) });
  for (let i = 0; i < 192; i++) {
    const bc = Math.fround(b[i] + c[i]);
    assert.equal((x.data as Float32Array)[i], Math.fround(a[i] + bc));
    assert.equal((y.data as Float32Array)[i], Math.fround(d[i] + bc));
  }
  const [onlyY] = m.run({ a: f32(shape, [...a]), b: f32(shape, [...b]), c: f32(shape, [...c]), d: f32(shape, [...d]) }, { outputs: ['y'] });
  assert.deepEqual(onlyY, y);
});

test('same model, same inputs, same output bits (conv MNIST, two loads)', async (t) => {
  if (!need(t, MNIST)) return;
  const rt = await TfliteRuntime.load();
  const bytes = fs.readFileSync(MNIST);
  const input = { dtype: 'float32' as const, shape: [1, 28, 28, 1], data: seededFloats(784, 7, -1, 1).map((v) => (v + 1) / 2) };
  const m1 = rt.loadModel(bytes);
  const m2 = rt.loadModel(bytes);
  t.after(() => (m1.dispose(), m2.dispose()));
  const r1 = m1.run([input])[0];
  const r2 = m1.run([input])[0];
  const r3 = m2.run([input])[0];
  assert.deepEqual(r1.shape, [1, 10]);
  const sum = (r1.data as Float32Array).reduce((s, v) => s + v, 0);
  assert.ok(Math.abs(sum - 1) < 1e-5, 'softmax output sums to 1');
  assert.deepEqual(Buffer.from((r2.data as Float32Array).buffer), Buffer.from((r1.data as Float32Array).buffer));
  assert.deepEqual(Buffer.from((r3.data as Float32Array).buffer), Buffer.from((r1.data as Float32Array).buffer));
});

test('inputs that do not fit are one-line BAD_INPUT_DATA errors naming the input', async (t) => {
  if (!need(t, MULTI_ADD)) return;
  const rt = await TfliteRuntime.load();
  const m = rt.loadModel(fs.readFileSync(MULTI_ADD));
  t.after(() => m.dispose());
  const s = [1, 8, 8, 3];
  const z = () => f32(s, new Array(192).fill(0));
  throwsOneLine(() => m.run([z(), z(), z()]), ErrorCode.BAD_INPUT_DATA, /takes 4 inputs \('a', 'b', 'c', 'd'\), got 3/);
  throwsOneLine(() => m.run({ a: z(), b: z(), c: z() }), ErrorCode.BAD_INPUT_DATA, /^input 'd': no value given/);
  throwsOneLine(() => m.run({ a: z(), b: z(), c: z(), d: z(), e: z() }), ErrorCode.BAD_INPUT_DATA, /^input 'e': the model has no such input/);
  throwsOneLine(() => m.run([z(), z(), z(), f32([1, 64, 3], new Array(192).fill(0))]), ErrorCode.BAD_INPUT_DATA, /^input 'd': expected shape \[1, 8, 8, 3\], got \[1, 64, 3\]/);
  throwsOneLine(() => m.run([z(), { dtype: 'int32', shape: s, data: new Int32Array(192) }, z(), z()]), ErrorCode.BAD_INPUT_DATA, /^input 'b': expected float32, got int32/);
  throwsOneLine(() => m.run([z(), z(), z(), z()], { outputs: ['nope'] }), ErrorCode.RUNTIME_FAILED, /no output "nope"; outputs: 'x', 'y'/);
});

test('int64 inputs/outputs are detected and refused with a clear error', async (t) => {
  const file = fixture('litert-testdata/java_testdata/int64.bin');
  if (!need(t, file)) return;
  const rt = await TfliteRuntime.load();
  const m = rt.loadModel(fs.readFileSync(file), { name: 'int64.bin' });
  t.after(() => m.dispose());
  assert.equal(m.inputs[0].dtype, null);
  assert.equal(m.outputs[0].dtype, null);
  throwsOneLine(
    () => m.run([{ dtype: 'int64', shape: [1, 8, 8, 3], data: new BigInt64Array(192) }]),
    ErrorCode.BAD_INPUT_DATA,
    /^input 'input': has a type the TFLite WASM runtime cannot read or write .*int64, float16 and string ones are not/,
  );
});

/** The file offset of OperatorCode[index].version, read through the FlatBuffer's vtables. */
function opcodeVersionOffset(b: Uint8Array, index: number): number {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const field = (table: number, slot: number): number => {
    const vt = table - dv.getInt32(table, true);
    const off = 4 + 2 * slot < dv.getUint16(vt, true) ? dv.getUint16(vt + 4 + 2 * slot, true) : 0;
    return off === 0 ? 0 : table + off;
  };
  const root = dv.getUint32(0, true);
  const codesField = field(root, 1); // Model.operator_codes
  const codes = codesField + dv.getUint32(codesField, true);
  const entry = codes + 4 + 4 * index;
  const code = entry + dv.getUint32(entry, true);
  return field(code, 2); // OperatorCode.version
}

test("a newer op version than the runtime has fails to load with the runtime's own message", async (t) => {
  if (!need(t, REGRESSION)) return;
  const bytes = new Uint8Array(fs.readFileSync(REGRESSION));
  // Opcode 1 of this file is ADD (builtin code 0) with an explicit version 1; this build has ADD 1-4.
  const at = opcodeVersionOffset(bytes, 1);
  assert.ok(at > 0);
  assert.equal(new DataView(bytes.buffer).getInt32(at, true), 1);
  new DataView(bytes.buffer).setInt32(at, 5, true);
  const rt = await TfliteRuntime.load();
  throwsOneLine(() => rt.loadModel(bytes, { name: 'model_add_v5.tflite' }), ErrorCode.RUNTIME_FAILED, /^model_add_v5\.tflite: TFLite cannot load the model: Didn't find op for builtin opcode 'ADD' version '5'/);
});

test('other real load failures carry the runtime message; an abort does not break later loads', async (t) => {
  const person = fixture('tflite-micro-models/person_detect.tflite');
  const flex = fixture('litert-testdata/tflite_testdata/multi_add_flex.bin');
  const custom = fixture('tflite-micro-models/audio_preprocessor_float.tflite');
  if (!need(t, person, flex, custom, HELLO)) return;
  const rt = await TfliteRuntime.load();
  throwsOneLine(() => rt.loadModel(fs.readFileSync(person)), ErrorCode.RUNTIME_FAILED, /quantized_dimension must be in range \[0, 1\)\. Was 3; Tensor 33 has invalid quantization parameters/);
  throwsOneLine(() => rt.loadModel(fs.readFileSync(custom)), ErrorCode.RUNTIME_FAILED, /Encountered unresolved custom op: SignalWindow/);
  throwsOneLine(() => rt.loadModel(new TextEncoder().encode('not a model at all')), ErrorCode.RUNTIME_FAILED, /Can't initialize model/);
  // The Flex delegate is a dlopen, which aborts this WASM instance; the runtime replaces it.
  throwsOneLine(() => rt.loadModel(fs.readFileSync(flex)), ErrorCode.RUNTIME_FAILED, /aborted while trying to load the model: .*dlopen.*Flex delegate/);
  const m = rt.loadModel(fs.readFileSync(HELLO));
  assert.ok(Math.abs((m.run([f32([1, 1], [1.57])])[0].data as Float32Array)[0] - Math.sin(1.57)) < 0.01);
  m.dispose();
});

test('the XNNPACK INFO line and other runtime logs never reach stdout/stderr', async (t) => {
  if (!need(t, HELLO)) return;
  const rt = await TfliteRuntime.load();
  const written: string[] = [];
  const out = process.stdout.write;
  const errw = process.stderr.write;
  const capture = (chunk: unknown) => (written.push(String(chunk)), true);
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  try {
    const m = rt.loadModel(fs.readFileSync(HELLO));
    m.run([f32([1, 1], [0.5])]);
    m.dispose();
    assert.throws(() => rt.loadModel(new Uint8Array(64)));
  } finally {
    process.stdout.write = out;
    process.stderr.write = errw;
  }
  assert.deepEqual(written, []);
});

test('300 loads and disposals keep the WebAssembly heap bounded; dispose is idempotent', async (t) => {
  if (!need(t, MNIST)) return;
  const rt = await TfliteRuntime.load();
  const bytes = fs.readFileSync(MNIST); // 205 KB: a leak of the model bytes alone would be 60 MB
  const input = { dtype: 'float32' as const, shape: [1, 28, 28, 1], data: new Float32Array(784) };
  const warm = rt.loadModel(bytes);
  warm.run([input]);
  warm.dispose();
  const before = rt.heapBytes;
  for (let i = 0; i < 300; i++) {
    const m = rt.loadModel(bytes);
    m.run([input]);
    m.dispose();
    m.dispose();
  }
  assert.ok(rt.heapBytes - before <= 4 * 2 ** 20, `heap grew from ${before} to ${rt.heapBytes}`);
  const m = rt.loadModel(bytes);
  m.dispose();
  throwsOneLine(() => m.run([input]), ErrorCode.RUNTIME_FAILED, /the model was disposed/);
});
