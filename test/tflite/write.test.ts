import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ErrorCode, TfconvError } from '../../src/errors/index.js';
import { FbReader } from '../../src/tflite/flatbuffer.js';
import { type TfliteModel, builtinCodeOf, minRuntimeVersion, newTfliteModel } from '../../src/tflite/model.js';
import { filledOptionsOf } from '../../src/tflite/op-options.js';
import { readTflite } from '../../src/tflite/read.js';
import {
  BuiltinOperator,
  BuiltinOptions,
  type BuiltinOptionsValue,
  TensorType,
  newBuffer,
  newBuiltinOptionsValue,
  newModel,
  newOperator,
  newOperatorCode,
  newSubGraph,
  newTensor,
} from '../../src/tflite/schema.generated.js';
import { TFLITE_MAX_BYTES, estimateSize, writeTflite, writeTfliteFile } from '../../src/tflite/write.js';
import { fixture, need } from '../helpers/shared.js';
import { INVALID_FIXTURES, allTfliteFixtures, rel } from './fixtures.js';

const read = (p: string): TfliteModel => readTflite(new Uint8Array(fs.readFileSync(p)), p);

/** What the writer is documented to change: opcode fields, filled options, the sentinel buffer. */
function expectedAfterWrite(m: TfliteModel): TfliteModel {
  return {
    ...m,
    buffers: m.buffers.length === 0 ? [newBuffer()] : m.buffers,
    operatorCodes: m.operatorCodes.map((oc) => {
      const code = builtinCodeOf(oc);
      return { ...oc, builtinCode: code, deprecatedBuiltinCode: Math.min(code, 127) };
    }),
    subgraphs: m.subgraphs.map((sg) => ({
      ...sg,
      operators: sg.operators.map((op) => {
        if (op.builtinOptions !== undefined) return op;
        const t = filledOptionsOf(builtinCodeOf(m.operatorCodes[op.opcodeIndex]));
        if (t === undefined) return op;
        const v = newBuiltinOptionsValue(t);
        if (v.type !== 'unknown') {
          const o = v.value as unknown as Record<string, unknown>;
          for (const k of Object.keys(o)) o[k] = typeof o[k] === 'boolean' ? false : typeof o[k] === 'number' ? 0 : o[k];
        }
        return { ...op, builtinOptions: v };
      }),
    })),
  };
}

test('round trip: every official fixture reads back with the same structure and buffer bytes', (t) => {
  const files = allTfliteFixtures();
  if (files.length === 0) return void t.skip('no shared fixtures');
  let n = 0;
  for (const f of files) {
    if (INVALID_FIXTURES.includes(rel(f))) continue;
    const original = read(f);
    const bytes = writeTflite(original);
    const back = readTflite(bytes, `${rel(f)} (rewritten)`);
    assert.deepStrictEqual(back, expectedAfterWrite(original), rel(f));
    // Same bytes again: the writer is deterministic and idempotent on its own output.
    assert.deepStrictEqual(writeTflite(original), bytes, `${rel(f)}: not deterministic`);
    assert.deepStrictEqual(writeTflite(back), bytes, `${rel(f)}: not idempotent`);
    n++;
  }
  assert.ok(n >= 120, `only ${n} fixtures round-tripped`);
});

test('buffer data start on 16-byte boundaries and buffer 0 is the empty sentinel', (t) => {
  const f = fixture('tflite-support-official-tflite/mobilenet_v2_1.0_224_quant.tflite');
  if (!need(t, f)) return;
  const bytes = writeTflite(read(f));
  const m = readTflite(bytes, 'rewritten');
  assert.equal(m.buffers[0].data.length, 0);
  let checked = 0;
  for (const b of m.buffers) {
    if (b.data.length === 0) continue;
    assert.equal(b.data.byteOffset % 16, 0, 'data offset in the file');
    checked++;
  }
  assert.ok(checked > 100, `${checked} buffers with data`);
  assert.equal(bytes.length % 16, 0);
  assert.equal(Buffer.from(bytes.subarray(4, 8)).toString('latin1'), 'TFL3');
});

test('newTfliteModel: version 3 and the sentinel buffer; the minimal model verifies', () => {
  const m = newTfliteModel();
  assert.equal(m.version, 3);
  assert.deepEqual(readTflite(writeTflite(m), 'm'), m);
});

test('a first buffer with data is moved behind a new empty sentinel and every index follows', () => {
  const data = new Uint8Array([1, 2, 3, 4]);
  const model = newModel({
    version: 3,
    buffers: [newBuffer({ data }), newBuffer({ data: new Uint8Array([9]) })],
    operatorCodes: [newOperatorCode({ builtinCode: BuiltinOperator.ADD, version: 1 })],
    subgraphs: [
      newSubGraph({
        tensors: [
          newTensor({ shape: [1], type: TensorType.FLOAT32, buffer: 0, name: 'c' }),
          newTensor({ shape: [1], type: TensorType.FLOAT32, buffer: 1, name: 'd' }),
        ],
        outputs: [1],
      }),
    ],
    metadata: [{ name: 'x', buffer: 1 }],
    metadataBuffer: [0],
  });
  const m = readTflite(writeTflite(model), 'm');
  assert.equal(m.buffers.length, 3);
  assert.equal(m.buffers[0].data.length, 0);
  assert.deepEqual([...m.buffers[m.subgraphs[0].tensors[0].buffer].data], [1, 2, 3, 4]);
  assert.deepEqual([...m.buffers[m.subgraphs[0].tensors[1].buffer].data], [9]);
  assert.equal(m.metadata[0].buffer, 2);
  assert.deepEqual(m.metadataBuffer, [1]);
  assert.deepEqual([...model.buffers[0].data], [1, 2, 3, 4], 'input model untouched');
  assert.equal(model.subgraphs[0].tensors[0].buffer, 0, 'input model untouched');
});

test('operator codes: deprecated_builtin_code = min(code, 127), readers take the max', () => {
  const model = newModel({
    version: 3,
    operatorCodes: [
      newOperatorCode({ builtinCode: BuiltinOperator.CONV_2D }),
      newOperatorCode({ builtinCode: BuiltinOperator.CUMSUM }),
      newOperatorCode({ builtinCode: BuiltinOperator.CUSTOM, customCode: 'MyOp' }),
    ],
  });
  const bytes = writeTflite(model);
  const m = readTflite(bytes, 'm');
  assert.deepEqual(
    m.operatorCodes.map((o) => [o.deprecatedBuiltinCode, o.builtinCode, o.customCode]),
    [
      [3, 3, undefined],
      [127, 128, undefined],
      [32, 32, 'MyOp'],
    ],
  );
  // An old-style file: only deprecated_builtin_code set. The reader's builtinCodeOf takes the max.
  assert.equal(builtinCodeOf(newOperatorCode({ deprecatedBuiltinCode: 9, builtinCode: 0 })), 9);
});

test('options: always written for ops that have a table with fields, zero-filled when missing', () => {
  const model = newModel({
    version: 3,
    buffers: [newBuffer()],
    operatorCodes: [
      newOperatorCode({ builtinCode: BuiltinOperator.SOFTMAX }),
      newOperatorCode({ builtinCode: BuiltinOperator.RELU }),
      newOperatorCode({ builtinCode: BuiltinOperator.CONV_2D }),
      newOperatorCode({ builtinCode: BuiltinOperator.RESHAPE }),
    ],
    subgraphs: [
      newSubGraph({
        tensors: [newTensor({ shape: [1, 4], name: 'x' }), newTensor({ shape: [1, 4], name: 'y' })],
        inputs: [0],
        outputs: [1],
        operators: [
          newOperator({ opcodeIndex: 0, inputs: [0], outputs: [1] }),
          newOperator({ opcodeIndex: 1, inputs: [0], outputs: [1] }),
          newOperator({ opcodeIndex: 2, inputs: [0], outputs: [1] }),
          newOperator({ opcodeIndex: 3, inputs: [0], outputs: [1] }),
        ],
      }),
    ],
  });
  const ops = readTflite(writeTflite(model), 'm').subgraphs[0].operators;
  assert.deepEqual(ops[0].builtinOptions, { type: BuiltinOptions.SoftmaxOptions, value: { beta: 0 } });
  assert.equal(ops[1].builtinOptions, undefined, 'RELU has no options table');
  const conv = ops[2].builtinOptions as Extract<BuiltinOptionsValue, { type: BuiltinOptions.Conv2DOptions }>;
  assert.equal(conv.type, BuiltinOptions.Conv2DOptions);
  // Explicit zeros even where the schema default is 1: TFLite reads a missing table as zeros.
  assert.equal(conv.value.dilationWFactor, 0);
  assert.equal(ops[3].builtinOptions, undefined, 'RESHAPE takes its shape from the second input');
});

test('min_runtime_version is written as TFLite does: metadata entry -> 16-byte zero-padded buffer', (t) => {
  const f = fixture('tflite-micro-models/person_detect.tflite');
  if (!need(t, f)) return;
  const original = read(f);
  assert.equal(minRuntimeVersion(original), undefined);
  const m = readTflite(writeTflite(original, { minRuntimeVersion: '1.14.0' }), 'm');
  assert.equal(minRuntimeVersion(m), '1.14.0');
  const entry = m.metadata.find((e) => e.name === 'min_runtime_version');
  assert.ok(entry);
  assert.deepEqual([...m.buffers[entry.buffer].data], [...Buffer.from('1.14.0'), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  // Replacing keeps one entry.
  const again = readTflite(writeTflite(m, { minRuntimeVersion: '2.3.0' }), 'm2');
  assert.equal(again.metadata.filter((e) => e.name === 'min_runtime_version').length, 1);
  assert.equal(minRuntimeVersion(again), '2.3.0');
  assert.equal(again.buffers.length, m.buffers.length);
  // The same layout as the official kws file (MLIR converter).
  const kws = fixture('mlcommons-tiny-kws/kws_ref_model_int8_matching.tflite');
  if (fs.existsSync(kws)) {
    const k = read(kws);
    const e = k.metadata.find((x) => x.name === 'min_runtime_version');
    assert.ok(e);
    assert.equal(k.buffers[e.buffer].data.length, 16);
    assert.equal(minRuntimeVersion(k), '1.5.0');
  }
});

test('description and signature defs are written and read back', (t) => {
  const f = fixture('ai-edge-quantizer-testmodels/two_signatures.tflite');
  if (!need(t, f)) return;
  const m = read(f);
  const back = readTflite(writeTflite({ ...m, description: 'tfconv test' }), 'm');
  assert.equal(back.description, 'tfconv test');
  assert.deepEqual(
    back.signatureDefs.map((s) => [s.signatureKey, s.subgraphIndex, s.inputs.map((i) => [i.name, i.tensorIndex]), s.outputs.map((o) => [o.name, o.tensorIndex])]),
    [
      ['add', 0, [['x', 0]], [['add_result', 2]]],
      ['multiply', 1, [['x', 0]], [['multiply_result', 2]]],
    ],
  );
});

test('a model over 2 GiB is refused before anything is built', () => {
  const big = new Uint8Array(64 * 1024 * 1024); // shared by every buffer: no 2 GiB allocation here
  const buffers = [newBuffer(), ...Array.from({ length: 33 }, () => newBuffer({ data: big }))];
  const model = newModel({ version: 3, buffers });
  assert.ok(estimateSize(model) > TFLITE_MAX_BYTES);
  assert.throws(
    () => writeTflite(model),
    (e: unknown) => e instanceof TfconvError && e.code === ErrorCode.MODEL_TOO_LARGE && /limited to 2 GiB/.test(e.message),
  );
});

test('the size estimate bounds the real size', (t) => {
  const files = allTfliteFixtures().filter((f) => !INVALID_FIXTURES.includes(rel(f)));
  if (files.length === 0) return void t.skip('no shared fixtures');
  for (const f of files) {
    const m = read(f);
    assert.ok(estimateSize(m) >= writeTflite(m).length, rel(f));
  }
});

test('values that do not fit their field and unknown union types are refused with UNWRITABLE_TFLITE', () => {
  const bad = (m: TfliteModel, re: RegExp): void =>
    assert.throws(
      () => writeTflite(m),
      (e: unknown) => e instanceof TfconvError && e.code === ErrorCode.UNWRITABLE_TFLITE && re.test(e.message),
    );
  bad(newModel(), /Model.version is 0; TFLite requires schema version 3/);
  bad(newModel({ version: 3, operatorCodes: [newOperatorCode({ builtinCode: BuiltinOperator.ADD, version: 2 ** 31 })] }), /OperatorCode.version: 2147483648 does not fit in i32/);
  bad(
    newModel({ version: 3, subgraphs: [newSubGraph({ tensors: [newTensor({ shape: [1.5] })] })] }),
    /Tensor.shape: 1.5 does not fit in i32/,
  );
  bad(
    newModel({
      version: 3,
      operatorCodes: [newOperatorCode({ builtinCode: BuiltinOperator.ADD })],
      subgraphs: [newSubGraph({ operators: [newOperator({ builtinOptions: { type: 'unknown', code: 200 } })] })],
    }),
    /union type 200 is unknown/,
  );
});

test('writeTfliteFile writes atomically and leaves no temporary file', (t) => {
  const f = fixture('tflite-micro-models/hello_world_float.tflite');
  if (!need(t, f)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfconv-tflite-'));
  try {
    const out = path.join(dir, 'out.tflite');
    const bytes = writeTfliteFile(out, read(f));
    assert.deepEqual(new Uint8Array(fs.readFileSync(out)), bytes);
    assert.deepEqual(fs.readdirSync(dir), ['out.tflite']);
    // The written file verifies from its root (the reader checks every table).
    new FbReader(bytes).root('TFL3');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
