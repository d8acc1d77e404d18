import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ErrorCode, TfconvError } from '../../src/errors/index.js';
import { type TfliteInspectJson, inspectTflite } from '../../src/inspect/tflite.js';
import { fixture, need } from '../helpers/shared.js';

const plain = { color: false };
const near = (a: number, b: number, rel = 1e-5): boolean => Math.abs(a - b) <= rel * Math.abs(b);

test('inspect kws int8: operators, I/O quantization, per-channel weights', (t) => {
  const f = fixture('mlcommons-tiny-kws/kws_ref_model_int8_matching.tflite');
  if (!need(t, f)) return;
  const { json, text } = inspectTflite(f, plain);
  assert.equal(json.format, 'tflite');
  assert.equal(json.sizeBytes, 59648);
  assert.equal(json.size.weightsBytes + json.size.graphBytes, 59648);
  assert.equal(json.schemaVersion, 3);
  assert.equal(json.description, 'MLIR Converted.');
  assert.equal(json.minRuntimeVersion, '1.5.0');
  const sg = json.subgraphs[0];
  assert.deepEqual(sg.opCounts, { AVERAGE_POOL_2D: 1, CONV_2D: 5, DEPTHWISE_CONV_2D: 4, FULLY_CONNECTED: 1, RESHAPE: 1, SOFTMAX: 1 });
  const input = sg.tensors[sg.inputs[0]];
  assert.equal(input.dtype, 'int8');
  assert.deepEqual(input.shapeSignature, [-1, 49, 10, 1]);
  assert.ok(input.quantization?.kind === 'per-tensor');
  assert.ok(near(input.quantization.scale, 0.574836), String(input.quantization.scale));
  assert.equal(input.quantization.zeroPoint, 87);
  const output = sg.tensors[sg.outputs[0]];
  assert.deepEqual(output.quantization, { kind: 'per-tensor', scale: 1 / 256, zeroPoint: -128 });
  // Every conv / depthwise weight is per-channel over its 64 output channels (axis 0 for
  // CONV_2D [out, h, w, in], axis 3 for DEPTHWISE_CONV_2D [1, h, w, out]).
  for (const op of sg.operators) {
    if (op.op !== 'CONV_2D' && op.op !== 'DEPTHWISE_CONV_2D') continue;
    const w = sg.tensors[op.inputs[1]];
    assert.equal(w.dtype, 'int8');
    assert.ok(w.quantization?.kind === 'per-channel', `${op.op} #${op.index}`);
    assert.equal(w.quantization.count, 64);
    assert.equal(w.quantization.axis, op.op === 'CONV_2D' ? 0 : 3);
    assert.equal(w.shape[w.quantization.axis], 64);
    assert.equal(w.quantization.zeroPointMin, 0);
    assert.equal(w.quantization.zeroPointMax, 0);
    assert.ok(w.quantization.scaleMin > 0 && w.quantization.scaleMin <= w.quantization.scaleMax);
    assert.equal(w.bufferBytes, w.shape.reduce((a, b) => a * b, 1));
    const bias = sg.tensors[op.inputs[2]];
    assert.equal(bias.dtype, 'int32');
    assert.ok(bias.quantization?.kind === 'per-channel' && bias.quantization.count === 64);
  }
  assert.deepEqual(
    sg.operators.filter((o) => o.op === 'CONV_2D').map((o) => o.options),
    ['Conv2DOptions', 'Conv2DOptions', 'Conv2DOptions', 'Conv2DOptions', 'Conv2DOptions'],
  );
  assert.match(text, /ops: AVERAGE_POOL_2D x1, CONV_2D x5, DEPTHWISE_CONV_2D x4, FULLY_CONNECTED x1, RESHAPE x1, SOFTMAX x1/);
  assert.match(text, /input\s+│ 0\s+│ input_1\s+│ int8 │ \[-1, 49, 10, 1\] │ scale=0\.574836 zp=87/);
  assert.match(text, /per-channel axis=0 n=64/);
  assert.doesNotMatch(text, /\u001b\[/, 'no colour codes when color is false');
});

test('inspect person_detect (TOCO int8, no signatures)', (t) => {
  const f = fixture('tflite-micro-models/person_detect.tflite');
  if (!need(t, f)) return;
  const { json } = inspectTflite(f, plain);
  assert.equal(json.description, 'TOCO Converted.');
  assert.equal(json.minRuntimeVersion, null);
  assert.deepEqual(json.signatureDefs, []);
  const sg = json.subgraphs[0];
  assert.equal(sg.name, null);
  assert.equal(sg.tensors.length, 89);
  assert.deepEqual(sg.opCounts, { AVERAGE_POOL_2D: 1, CONV_2D: 14, DEPTHWISE_CONV_2D: 14, RESHAPE: 1, SOFTMAX: 1 });
  assert.deepEqual(
    json.operatorCodes.map((c) => `${c.op}/v${c.version}`),
    ['AVERAGE_POOL_2D/v2', 'CONV_2D/v2', 'DEPTHWISE_CONV_2D/v3', 'RESHAPE/v1', 'SOFTMAX/v2'],
  );
  const input = sg.tensors[sg.inputs[0]];
  assert.deepEqual([input.name, input.dtype, input.shape], ['input', 'int8', [1, 96, 96, 1]]);
  assert.ok(input.quantization?.kind === 'per-tensor' && near(input.quantization.scale, 0.00784314) && input.quantization.zeroPoint === -1);
  const output = sg.tensors[sg.outputs[0]];
  assert.deepEqual(output.quantization, { kind: 'per-tensor', scale: 0.00390625, zeroPoint: -128 });
});

test('inspect MobileNetV1 0.25 uint8 with TFLite Support metadata', (t) => {
  const f = fixture('tflite-support-official-tflite/mobilenet_v1_0.25_224_quant.tflite');
  if (!need(t, f)) return;
  const { json, text } = inspectTflite(f, plain);
  const sg = json.subgraphs[0];
  const input = sg.tensors[sg.inputs[0]];
  assert.deepEqual([input.dtype, input.shape], ['uint8', [1, 224, 224, 3]]);
  assert.deepEqual(input.quantization, { kind: 'per-tensor', scale: 0.0078125, zeroPoint: 128 });
  const output = sg.tensors[sg.outputs[0]];
  assert.deepEqual([output.dtype, output.shape], ['uint8', [1, 1001]]);
  assert.deepEqual(sg.opCounts, { AVERAGE_POOL_2D: 1, CONV_2D: 15, DEPTHWISE_CONV_2D: 13, RESHAPE: 1, SOFTMAX: 1 });
  assert.equal(json.metadata.length, 1);
  assert.equal(json.metadata[0].name, 'TFLITE_METADATA');
  assert.equal(json.metadata[0].sizeBytes, 1048);
  assert.equal(json.metadata[0].value, null);
  // uint8 weights are per-tensor with a non-zero zero point (TOCO's asymmetric scheme).
  const w = sg.tensors[sg.operators[0].inputs[1]];
  assert.equal(w.dtype, 'uint8');
  assert.equal(w.quantization?.kind, 'per-tensor');
  assert.match(text, /TFLITE_METADATA/);
});

test('inspect the ai-edge-quantizer a8w8 model: per-channel conv weights, signature', (t) => {
  const f = fixture('ai-edge-quantizer-testmodels/conv_fc_mnist_srq_a8w8.tflite');
  if (!need(t, f)) return;
  const { json } = inspectTflite(f, plain);
  const sg = json.subgraphs[0];
  assert.deepEqual(sg.opCounts, { AVERAGE_POOL_2D: 1, CONV_2D: 1, FULLY_CONNECTED: 2, RESHAPE: 1, SOFTMAX: 1 });
  const input = sg.tensors[sg.inputs[0]];
  assert.deepEqual(input.shapeSignature, [-1, 28, 28, 1]);
  assert.ok(input.quantization?.kind === 'per-tensor' && near(input.quantization.scale, 0.00392129) && input.quantization.zeroPoint === -128);
  const output = sg.tensors[sg.outputs[0]];
  assert.ok(output.quantization?.kind === 'per-tensor' && near(output.quantization.scale, 0.00390625) && output.quantization.zeroPoint === -128);
  const conv = sg.operators.find((o) => o.op === 'CONV_2D');
  assert.ok(conv);
  const w = sg.tensors[conv.inputs[1]];
  assert.ok(w.quantization?.kind === 'per-channel');
  assert.equal(w.quantization.axis, 0);
  assert.equal(w.quantization.count, w.shape[0]);
  assert.deepEqual(json.signatureDefs, [
    { key: 'serving_default', subgraphIndex: 0, inputs: [{ name: 'conv2d_input', tensorIndex: 0 }], outputs: [{ name: 'dense_1', tensorIndex: 12 }] },
  ]);
  assert.deepEqual(
    json.metadata.map((m) => [m.name, m.value]),
    [
      ['min_runtime_version', '1.5.0'],
      ['CONVERSION_METADATA', null],
    ],
  );
});

test('colour only when asked; JSON is plain data and deterministic', (t) => {
  const f = fixture('tflite-micro-models/hello_world_float.tflite');
  if (!need(t, f)) return;
  const a = inspectTflite(f, { color: true });
  const b = inspectTflite(f, plain);
  assert.match(a.text, /\u001b\[/);
  assert.doesNotMatch(b.text, /\u001b\[/);
  assert.deepEqual(JSON.parse(JSON.stringify(a.json)), b.json);
  assert.equal(JSON.stringify(inspectTflite(f, plain).json), JSON.stringify(b.json));
});

test('inspect errors: missing file, directory, not a model', (t) => {
  assert.throws(
    () => inspectTflite('/nonexistent/model.tflite', plain),
    (e: unknown) => e instanceof TfconvError && e.code === ErrorCode.FILE_NOT_FOUND,
  );
  const bad = fixture('litert-testdata/java_testdata/invalid_model.bin');
  if (!need(t, bad)) return;
  assert.throws(
    () => inspectTflite(bad, plain),
    (e: unknown) => e instanceof TfconvError && e.code === ErrorCode.BAD_TFLITE && e.message.startsWith(bad),
  );
  assert.throws(
    () => inspectTflite(path.dirname(bad), plain),
    (e: unknown) => e instanceof TfconvError && e.code === ErrorCode.NOT_A_MODEL,
  );
});

// ---------------------------------------------------------------------------------------------
// Cross-check with shared/fixtures/INVENTORY.txt (written by an independent throwaway reader)
// ---------------------------------------------------------------------------------------------

interface InventoryEntry {
  file: string;
  description: string | null;
  size: number;
  subgraphs: Array<{ tensors: number; ops: number; opCounts: Record<string, number> }>;
  opcodes: string[];
}

function parseInventory(text: string): InventoryEntry[] {
  const section = text.slice(text.indexOf('## TFLite flatbuffers'));
  const out: InventoryEntry[] = [];
  let cur: InventoryEntry | undefined;
  for (const line of section.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /^ {2}\.\/(\S+)$/.exec(line))) {
      cur = undefined;
      out.push((cur = { file: m[1], description: null, size: -1, subgraphs: [], opcodes: [] }));
    } else if (cur && (m = /^ {2}TFLite ident=b'TFL3' version=\d+ description=(?:'(.*)'|None) size=(\d+)$/.exec(line))) {
      cur.description = m[1] ?? null;
      cur.size = Number(m[2]);
    } else if (cur && (m = /^ {4}subgraph \d+ .* tensors=(\d+) ops=(\d+)$/.exec(line))) {
      cur.subgraphs.push({ tensors: Number(m[1]), ops: Number(m[2]), opCounts: {} });
    } else if (cur && (m = /^ {6}ops: (.*)$/.exec(line))) {
      const sg = cur.subgraphs[cur.subgraphs.length - 1];
      for (const part of m[1].split(', ').filter(Boolean)) {
        const i = part.lastIndexOf(':');
        sg.opCounts[part.slice(0, i)] = Number(part.slice(i + 1));
      }
    } else if (cur && (m = /^ {4}opcodes: (.*)$/.exec(line))) {
      cur.opcodes = m[1].split(', ').filter(Boolean);
    }
  }
  return out.filter((e) => e.size >= 0);
}

test('inspect agrees with INVENTORY.txt on every TFLite fixture (sizes, subgraphs, op counts, opcodes)', (t) => {
  const inv = fixture('INVENTORY.txt');
  if (!need(t, inv)) return;
  const entries = parseInventory(fs.readFileSync(inv, 'utf8'));
  assert.ok(entries.length >= 120, `${entries.length} entries parsed`);
  for (const e of entries) {
    const { json } = inspectTflite(fixture(e.file), plain);
    assert.equal(json.sizeBytes, e.size, e.file);
    assert.equal(json.description, e.description, e.file);
    // The inventory names custom ops CUSTOM(code); inspect names them by their code.
    const counts = (s: TfliteInspectJson['subgraphs'][number]): Record<string, number> => {
      const c: Record<string, number> = {};
      for (const op of s.operators) {
        const k = op.customCode === null ? op.op : `CUSTOM(${op.customCode})`;
        c[k] = (c[k] ?? 0) + 1;
      }
      return c;
    };
    assert.deepEqual(
      json.subgraphs.map((s) => ({ tensors: s.tensors.length, ops: s.operators.length, opCounts: counts(s) })),
      e.subgraphs,
      e.file,
    );
    json.subgraphs.forEach((s) => assert.equal(Object.values(s.opCounts).reduce((a, b) => a + b, 0), s.operators.length));
    const opcodes = json.operatorCodes.map((c) => `${c.customCode === null ? c.op : `CUSTOM(${c.customCode})`}/v${c.version}`);
    assert.deepEqual(opcodes, e.opcodes, e.file);
  }
});
