// transposeValue moves weights into TFLite layouts; its tiled matrix path must give exactly what
// the element-by-element odometer (kept for the other permutations) gives, for every dtype width.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TensorValue } from '../../src/core/tensor.js';
import { numElements } from '../../src/core/tensor.js';
import { transposeValue as foldTranspose } from '../../src/graph/ops/kernels.js';
import { mergedPermutation, transposeValue } from '../../src/lower/helpers.js';

test('mergedPermutation: weight layouts are matrix transposes; size-1 dims drop out', () => {
  assert.deepEqual(mergedPermutation([3, 3, 16, 32], [3, 0, 1, 2]), { shape: [144, 32], perm: [1, 0] });
  assert.deepEqual(mergedPermutation([784, 4096], [1, 0]), { shape: [784, 4096], perm: [1, 0] });
  assert.deepEqual(mergedPermutation([3, 3, 8, 2], [2, 0, 1, 3]), { shape: [9, 8, 2], perm: [1, 0, 2] });
  assert.deepEqual(mergedPermutation([3, 3, 1, 32], [3, 0, 1, 2]), { shape: [9, 32], perm: [1, 0] });
  assert.deepEqual(mergedPermutation([1, 5], [1, 0]), { shape: [5], perm: [0] });
  assert.deepEqual(mergedPermutation([2, 3, 4], [0, 1, 2]), { shape: [24], perm: [0] });
  assert.deepEqual(mergedPermutation([2, 3, 4], [2, 1, 0]), { shape: [2, 3, 4], perm: [2, 1, 0] });
});

test('transposeValue: the same elements as the folding kernel, for float32, int8, float16 bits and int64', () => {
  const cases: [number[], number[]][] = [
    [[37, 45], [1, 0]],
    [[64, 33], [1, 0]],
    [[3, 3, 5, 70], [3, 0, 1, 2]],
    [[3, 3, 1, 40], [3, 0, 1, 2]],
    [[3, 3, 6, 2], [2, 0, 1, 3]],
    [[1, 7], [1, 0]],
    [[4, 5, 6], [2, 0, 1]],
    [[0, 5], [1, 0]],
  ];
  const makers: [string, (n: number) => TensorValue['data']][] = [
    ['float32', (n) => Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 1000)],
    ['int8', (n) => Int8Array.from({ length: n }, (_, i) => (i * 7) % 256 - 128)],
    ['float16', (n) => Uint16Array.from({ length: n }, (_, i) => (i * 40503) & 0xffff)],
    ['int64', (n) => BigInt64Array.from({ length: n }, (_, i) => BigInt(i) * 3_000_000_000n)],
  ];
  for (const [shape, perm] of cases) {
    for (const [dtype, make] of makers) {
      const v = { dtype, shape, data: make(numElements(shape)) } as TensorValue;
      const got = transposeValue(v, perm);
      const want = foldTranspose(v, perm);
      assert.deepEqual(got.shape, want.shape, `${dtype} [${shape}] ${perm}`);
      assert.equal(got.data.constructor, v.data.constructor);
      assert.deepEqual(Array.from(got.data as ArrayLike<unknown>), Array.from(want.data as ArrayLike<unknown>), `${dtype} [${shape}] perm ${perm}`);
    }
  }
});

test('transposeValue: a view into a larger buffer is read from its own offset', () => {
  const backing = Float32Array.from({ length: 100 }, (_, i) => i);
  const v: TensorValue = { dtype: 'float32', shape: [4, 6], data: backing.subarray(10, 34) };
  const got = transposeValue(v, [1, 0]).data as Float32Array;
  assert.deepEqual(Array.from(got.subarray(0, 5)), [10, 16, 22, 28, 11]);
});
