import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { Builder } from 'flatbuffers';
import { ErrorCode, TfconvError } from '../../src/errors/index.js';
import { FB_MAX_DEPTH, FbReader, FbWriter } from '../../src/tflite/flatbuffer.js';
import { type TfliteModel, builtinCodeOf, operatorName } from '../../src/tflite/model.js';
import { readTflite } from '../../src/tflite/read.js';
import {
  BuiltinOperator,
  BuiltinOptions,
  TensorType,
  newBuffer,
  newModel,
  newOperator,
  newOperatorCode,
  newSubGraph,
  newTensor,
  writeModel,
} from '../../src/tflite/schema.generated.js';
import { writeTflite } from '../../src/tflite/write.js';
import { fixture, need } from '../helpers/shared.js';
import { INVALID_FIXTURES, allTfliteFixtures, rel } from './fixtures.js';

const isBad = (re?: RegExp) => (e: unknown) => e instanceof TfconvError && e.code === ErrorCode.BAD_TFLITE && (re === undefined || re.test(e.message));

test('every official fixture reads; the intentionally invalid ones give BAD_TFLITE', (t) => {
  const files = allTfliteFixtures();
  if (files.length === 0) return void t.skip('no shared fixtures');
  let ok = 0;
  for (const f of files) {
    const bytes = fs.readFileSync(f);
    if (INVALID_FIXTURES.includes(rel(f))) {
      assert.throws(() => readTflite(bytes, f), isBad(), rel(f));
      continue;
    }
    const m = readTflite(bytes, f);
    assert.ok(m.version === 3 || m.version === 2, `${rel(f)}: version ${m.version}`);
    ok++;
  }
  assert.equal(ok, files.length - INVALID_FIXTURES.length);
  assert.ok(ok >= 120, `${ok} fixtures`);
});

test('kws int8: operators, I/O quantization and per-channel weights', (t) => {
  const f = fixture('mlcommons-tiny-kws/kws_ref_model_int8_matching.tflite');
  if (!need(t, f)) return;
  const m = readTflite(fs.readFileSync(f), f);
  assert.equal(m.description, 'MLIR Converted.');
  const sg = m.subgraphs[0];
  const ops = sg.operators.map((op) => operatorName(m.operatorCodes[op.opcodeIndex]));
  assert.deepEqual(ops, [
    'CONV_2D',
    'DEPTHWISE_CONV_2D',
    'CONV_2D',
    'DEPTHWISE_CONV_2D',
    'CONV_2D',
    'DEPTHWISE_CONV_2D',
    'CONV_2D',
    'DEPTHWISE_CONV_2D',
    'CONV_2D',
    'AVERAGE_POOL_2D',
    'RESHAPE',
    'FULLY_CONNECTED',
    'SOFTMAX',
  ]);
  const input = sg.tensors[sg.inputs[0]];
  assert.equal(input.type, TensorType.INT8);
  assert.deepEqual(input.shape, [1, 49, 10, 1]);
  assert.deepEqual(input.shapeSignature, [-1, 49, 10, 1]);
  assert.ok(Math.abs(input.quantization!.scale[0] - 0.574836) < 1e-6);
  assert.deepEqual(input.quantization!.zeroPoint, [87]);
  const output = sg.tensors[sg.outputs[0]];
  assert.equal(output.quantization!.scale[0], 1 / 256);
  assert.deepEqual(output.quantization!.zeroPoint, [-128]);
  // The first conv: 10x4 kernel, 64 filters, stride 2, per-channel along the output channels.
  const conv = sg.operators[0];
  const w = sg.tensors[conv.inputs[1]];
  assert.deepEqual(w.shape, [64, 10, 4, 1]);
  assert.equal(w.quantization!.scale.length, 64);
  assert.equal(w.quantization!.quantizedDimension, 0);
  assert.equal(m.buffers[w.buffer].data.length, 64 * 10 * 4);
  assert.equal(conv.builtinOptions?.type, BuiltinOptions.Conv2DOptions);
  if (conv.builtinOptions?.type === BuiltinOptions.Conv2DOptions) {
    assert.equal(conv.builtinOptions.value.strideW, 2);
    assert.equal(conv.builtinOptions.value.strideH, 2);
  }
  // Buffer data are views into the file, not copies.
  const bytes = fs.readFileSync(f);
  const m2 = readTflite(bytes, f);
  assert.equal(m2.buffers[w.buffer].data.buffer, bytes.buffer);
});

test('old files: deprecated_builtin_code only; opcodes over 127: builtin_code', (t) => {
  const f = fixture('tflite-support-official-tflite/mobilenet_v1_0.25_224_quant.tflite');
  if (!need(t, f)) return;
  const m = readTflite(fs.readFileSync(f), f);
  // TOCO wrote only the deprecated field.
  assert.ok(m.operatorCodes.every((oc) => oc.builtinCode === 0 || oc.builtinCode === oc.deprecatedBuiltinCode));
  assert.deepEqual(
    m.operatorCodes.map((oc) => BuiltinOperator[builtinCodeOf(oc)]),
    ['AVERAGE_POOL_2D', 'CONV_2D', 'DEPTHWISE_CONV_2D', 'SOFTMAX', 'RESHAPE'],
  );
  const cumsum = readTflite(writeTflite(newModel({ version: 3, operatorCodes: [newOperatorCode({ builtinCode: BuiltinOperator.CALL_ONCE })] })), 'x');
  assert.equal(builtinCodeOf(cumsum.operatorCodes[0]), BuiltinOperator.CALL_ONCE);
  assert.equal(cumsum.operatorCodes[0].deprecatedBuiltinCode, 127);
});

// ---------------------------------------------------------------------------------------------
// The verifier, on hand-made damage to a small valid model
// ---------------------------------------------------------------------------------------------

function smallModel(): TfliteModel {
  return newModel({
    version: 3,
    description: 'small',
    buffers: [newBuffer(), newBuffer({ data: new Uint8Array([0, 0, 128, 63]) })],
    operatorCodes: [newOperatorCode({ builtinCode: BuiltinOperator.ADD })],
    subgraphs: [
      newSubGraph({
        name: 'main',
        tensors: [
          newTensor({ shape: [1], type: TensorType.FLOAT32, name: 'x' }),
          newTensor({ shape: [1], type: TensorType.FLOAT32, name: 'one', buffer: 1 }),
          newTensor({ shape: [1], type: TensorType.FLOAT32, name: 'y' }),
        ],
        inputs: [0],
        outputs: [2],
        operators: [newOperator({ opcodeIndex: 0, inputs: [0, 1], outputs: [2] })],
      }),
    ],
  });
}

/** Positions inside a file written from smallModel(), found with the verifying reader. */
function locate(bytes: Uint8Array) {
  const r = new FbReader(bytes);
  const root = r.root('TFL3');
  const sg = r.vecTables(root, 2, 'subgraphs')[0];
  const [tensor, constant] = r.vecTables(sg, 0, 'tensors');
  const op = r.vecTables(sg, 3, 'operators')[0];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const target = (fieldPos: number): number => fieldPos + dv.getUint32(fieldPos, true);
  return {
    root,
    dv,
    shapeVector: target(r.fieldPos(tensor, 0, 4, 'shape')),
    nameString: target(r.fieldPos(tensor, 3, 4, 'name')),
    constantBufferField: r.fieldPos(constant, 2, 4, 'buffer'),
    optionsTypeField: r.fieldPos(op, 3, 1, 'builtin_options_type'),
  };
}

test('verifier: size, identifier and root offset', () => {
  const good = writeTflite(smallModel());
  assert.throws(() => readTflite(good.subarray(0, 7), 'f'), isBad(/file has 7 bytes; a FlatBuffer needs at least 8/));
  const id = good.slice();
  id.set(Buffer.from('TFL2'), 4);
  assert.throws(() => readTflite(id, 'f'), isBad(/at byte 4: file identifier is "TFL2", expected "TFL3"/));
  const root = good.slice();
  new DataView(root.buffer).setUint32(0, good.length + 100, true);
  assert.throws(() => readTflite(root, 'f'), isBad(/root table offset \d+ is outside the file/));
  assert.throws(() => readTflite(good.subarray(0, good.length - 8), 'f'), isBad());
});

test('verifier: vtables, vectors and strings are checked before use', () => {
  const good = writeTflite(smallModel());
  const at = locate(good);

  const vt = good.slice();
  new DataView(vt.buffer).setInt32(at.root.pos, at.root.pos + 1, true); // vtable at -1
  assert.throws(() => readTflite(vt, 'f'), isBad(/vtable offset points outside the file/));

  const odd = good.slice();
  new DataView(odd.buffer).setInt32(at.root.pos, 1, true);
  assert.throws(() => readTflite(odd, 'f'), isBad(/not 2-byte aligned/));

  const vec = good.slice();
  new DataView(vec.buffer).setUint32(at.shapeVector, 0x7fffffff, true);
  assert.throws(() => readTflite(vec, 'f'), isBad(/Tensor.shape: vector of 2147483647 elements of 4 bytes at \d+ runs past the end of the file/));

  const str = good.slice();
  const len = new DataView(str.buffer).getUint32(at.nameString, true);
  str[at.nameString + 4 + len] = 0x41;
  assert.throws(() => readTflite(str, 'f'), isBad(/Tensor.name: string at \d+ is not zero-terminated/));
});

test('references: a tensor pointing past the buffers is refused', () => {
  const bytes = writeTflite(smallModel());
  const at = locate(bytes);
  assert.ok(at.constantBufferField > 0);
  at.dv.setUint32(at.constantBufferField, 7, true);
  assert.throws(() => readTflite(bytes, 'f'), isBad(/subgraph 0 tensor 1 refers to buffer 7 but the model has 2 buffers/));
});

test('an unknown union type is kept as unknown and cannot be written back', () => {
  const bytes = writeTflite(smallModel());
  const at = locate(bytes);
  assert.ok(at.optionsTypeField > 0, 'ADD has an AddOptions table');
  bytes[at.optionsTypeField] = 200;
  const m = readTflite(bytes, 'f');
  assert.deepEqual(m.subgraphs[0].operators[0].builtinOptions, { type: 'unknown', code: 200 });
  assert.throws(
    () => writeTflite(m),
    (e: unknown) => e instanceof TfconvError && e.code === ErrorCode.UNWRITABLE_TFLITE && /union type 200 is unknown/.test(e.message),
  );
});

test('nesting depth is bounded', () => {
  const bytes = writeTflite(smallModel());
  const r = new FbReader(bytes);
  const root = r.root('TFL3');
  assert.throws(() => r.table(root.pos, FB_MAX_DEPTH + 1, 'x'), /nested deeper than 64/);
});

test('offsets shared many times cannot blow a small file up into a huge model', () => {
  // One tensor table with a 1000-element shape, referenced 20000 times by the subgraph: 84 KB of
  // file that would decode into 20 million numbers.
  const b = new Builder(1024);
  const w = new FbWriter(b);
  const shape = w.vec_i32(Array.from({ length: 1000 }, () => 1), 'shape');
  b.startObject(1);
  b.addFieldOffset(0, shape, 0);
  const tensor = b.endObject();
  const tensors = w.offsets(Array.from({ length: 20000 }, () => tensor));
  b.startObject(1);
  b.addFieldOffset(0, tensors, 0);
  const sg = b.endObject();
  const sgs = w.offsets([sg]);
  b.startObject(3);
  b.addFieldOffset(2, sgs, 0);
  b.finish(b.endObject(), 'TFL3');
  const bytes = b.asUint8Array();
  assert.ok(bytes.length < 100_000);
  assert.throws(() => readTflite(bytes, 'f'), isBad(/more elements than the file can hold/));
});

test('buffers stored after the FlatBuffer (offset/size) are resolved as views, with bounds checks', () => {
  const payload = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  const build = (offset: number): Uint8Array => {
    const m = smallModel();
    m.buffers[1] = newBuffer({ offset, size: payload.length });
    const b = new Builder(1024);
    b.finish(writeModel(new FbWriter(b), m), 'TFL3');
    return b.asUint8Array().slice();
  };
  const fb = build(1 << 20); // same layout whatever the (non-default) offset value
  const start = Math.ceil(fb.length / 16) * 16;
  const file = new Uint8Array(start + payload.length);
  file.set(build(start));
  file.set(payload, start);
  const m = readTflite(file, 'f');
  assert.deepEqual([...m.buffers[1].data], [...payload]);
  assert.equal(m.buffers[1].data.buffer, file.buffer);
  assert.equal(m.buffers[1].offset, 0);
  // Written back, the data is inline.
  const again = readTflite(writeTflite(m), 'g');
  assert.deepEqual([...again.buffers[1].data], [...payload]);
  // An offset past the end of the file.
  assert.throws(() => readTflite(file.subarray(0, file.length - 1), 'f'), isBad(/buffer 1 stored at bytes \d+\.\.\d+ is past the end of the file/));
});
