import assert from 'node:assert/strict';
import { test } from 'node:test';
import { floatToHalf } from '../../src/core/tensor.js';
import { ErrorCode, TfconvError } from '../../src/errors/index.js';
import { castTensor, decodeJsonTensors, encodeJsonTensors, tensorFromJson } from '../../src/io/index.js';

test('nested arrays: shape from the nesting, dtype inferred as numpy does or given', () => {
  assert.deepEqual(tensorFromJson([[1, 2], [3, 4]], 'x'), { dtype: 'int64', shape: [2, 2], data: new BigInt64Array([1n, 2n, 3n, 4n]) });
  assert.deepEqual(tensorFromJson([[1.57]], 'x'), { dtype: 'float64', shape: [1, 1], data: new Float64Array([1.57]) });
  assert.deepEqual(tensorFromJson([[1.57]], 'x', 'float32'), { dtype: 'float32', shape: [1, 1], data: new Float32Array([1.57]) });
  assert.deepEqual(tensorFromJson(true, 'x'), { dtype: 'bool', shape: [], data: new Uint8Array([1]) });
  assert.deepEqual(tensorFromJson([], 'x', 'int32'), { dtype: 'int32', shape: [0], data: new Int32Array(0) });
  assert.deepEqual(tensorFromJson(['NaN', '-Infinity', 2], 'x', 'float32').data, new Float32Array([NaN, -Infinity, 2]));
  assert.deepEqual(tensorFromJson(['9223372036854775807'], 'x', 'int64').data, new BigInt64Array([2n ** 63n - 1n]));
  const s = tensorFromJson(['héllo', { base64: 'AAE=' }], 'x');
  assert.equal(s.dtype, 'string');
  assert.deepEqual((s.data as Uint8Array[]).map((b) => [...b]), [[0x68, 0xc3, 0xa9, 0x6c, 0x6c, 0x6f], [0, 1]]);
});

test('flat data with a shape, and the object form with a dtype', () => {
  const v = tensorFromJson({ shape: [2, 3], data: [1, 2, 3, 4, 5, 6], dtype: 'int8' }, 'x');
  assert.deepEqual(v, { dtype: 'int8', shape: [2, 3], data: new Int8Array([1, 2, 3, 4, 5, 6]) });
  const m = decodeJsonTensors('{"a": [[1.5, 2]], "b": {"shape": [], "values": [7], "dtype": "uint8"}}', 'in.json');
  assert.deepEqual([...m.keys()], ['a', 'b']);
  assert.deepEqual(m.get('b'), { dtype: 'uint8', shape: [], data: new Uint8Array([7]) });
  const single = decodeJsonTensors('{"shape": [2], "data": [1, 0], "dtype": "bool"}', 'one.json');
  assert.deepEqual([...single.keys()], ['']);
});

test('ragged lists, values that do not fit, and mixed leaves are one-line errors naming the place', () => {
  const bad = (f: () => unknown, re: RegExp) =>
    assert.throws(f, (e: unknown) => e instanceof TfconvError && e.code === ErrorCode.BAD_INPUT_DATA && re.test(e.message) && !e.message.includes('\n'));
  bad(() => tensorFromJson([[1, 2], [3]], "input 'x'"), /^input 'x': ragged nesting at \[1\]: expected a list of 2, found a list of 1/);
  bad(() => tensorFromJson([[1], 2], 'x'), /ragged nesting at \[1\]/);
  bad(() => tensorFromJson([300], 'x', 'int8'), /value 300 at flat index 0 cannot become int8 \(outside \[-128, 127\]\)/);
  bad(() => tensorFromJson([1.5], 'x', 'int32'), /not a whole number/);
  bad(() => tensorFromJson([2], 'x', 'bool'), /expected true, false, 0 or 1/);
  bad(() => tensorFromJson([1, true], 'x'), /mixes numbers, bools and strings/);
  bad(() => tensorFromJson({ shape: [3], data: [1, 2] }, 'x'), /"shape" \[3\] needs 3 values but "data" has 2/);
  bad(() => tensorFromJson([9007199254740993], 'x', 'int64'), /write it as a string/);
  bad(() => decodeJsonTensors('{"x": [1,', 'in.json'), /^in\.json: not valid JSON/);
  bad(() => decodeJsonTensors('[1, 2]', 'in.json'), /expected a JSON object of tensors/);
});

test('JSON output reads back to the same bits (shortest float32 text, specials as strings)', () => {
  const tensors = new Map([
    ['y:0', { dtype: 'float32' as const, shape: [1, 3], data: new Float32Array([0.9955142140388489, NaN, -Infinity]) }],
    ['ids', { dtype: 'int64' as const, shape: [2], data: new BigInt64Array([2n ** 62n, -3n]) }],
    ['h', { dtype: 'float16' as const, shape: [1], data: new Uint16Array([floatToHalf(0.1)]) }],
    ['m', { dtype: 'bool' as const, shape: [], data: new Uint8Array([1]) }],
  ]);
  const text = encodeJsonTensors(tensors);
  assert.equal(
    text,
    '{\n' +
      '  "y:0": {"dtype": "float32", "shape": [1,3], "data": [[0.9955142,"NaN","-Infinity"]]},\n' +
      '  "ids": {"dtype": "int64", "shape": [2], "data": ["4611686018427387904",-3]},\n' +
      '  "h": {"dtype": "float16", "shape": [1], "data": [0.1]},\n' +
      '  "m": {"dtype": "bool", "shape": [], "data": true}\n' +
      '}\n',
  );
  assert.deepEqual(decodeJsonTensors(text, 'out.json'), tensors);
});

test('castTensor converts user data to the input type, checking every value', () => {
  const f64 = { dtype: 'float64' as const, shape: [2], data: new Float64Array([0.1, 3]) };
  assert.deepEqual(castTensor(f64, 'float32', 'x').data, new Float32Array([0.1, 3]));
  const i64 = { dtype: 'int64' as const, shape: [2], data: new BigInt64Array([-5n, 2n ** 31n]) };
  assert.throws(() => castTensor(i64, 'int32', "input 'ids'"), /input 'ids': value 2147483648 at flat index 1 cannot become int32/);
  assert.deepEqual(castTensor({ ...i64, data: new BigInt64Array([-5n, 7n]) }, 'int32', 'x').data, new Int32Array([-5, 7]));
  assert.throws(() => castTensor({ dtype: 'string', shape: [1], data: [new Uint8Array(1)] }, 'float32', 'x'), /cannot convert string to float32/);
});
