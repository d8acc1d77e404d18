// Convolutions, pooling, matmuls and batch norm: one-op GraphDefs converted with the real pipeline,
// run in the TFLite WASM runtime and compared with the TF reference (tfjs) on seeded inputs.
// Tolerances: float32 kernels summing up to a few hundred products differ by rounding order only,
// so 1e-4 absolute (values are O(1)-O(10)).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphDefBuilder, T, a, checkOp, convert, f32, i32, opsOf, randomValue, runTflite } from './harness.js';

const ATOL = 1e-4;

function conv2d(opts: { padding: string; strides?: number[]; dilations?: number[]; explicit?: number[]; x?: number[]; w?: number[] }) {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', opts.x ?? [1, 9, 10, 3]);
  const w = b.weights('w', opts.w ?? [3, 3, 3, 4], 11);
  b.op('y', 'Conv2D', [x, w], {
    ...T(),
    padding: a.s(opts.padding),
    strides: a.ints(opts.strides ?? [1, 1, 1, 1]),
    dilations: a.ints(opts.dilations ?? [1, 1, 1, 1]),
    data_format: a.s('NHWC'),
    use_cudnn_on_gpu: a.b(true),
    explicit_paddings: a.ints(opts.explicit ?? []),
  });
  return b.build();
}

test('Conv2D SAME -> CONV_2D', async (t) => {
  await checkOp(t, conv2d({ padding: 'SAME' }), ['y'], { ops: ['CONV_2D@1'], atol: ATOL });
});

test('Conv2D VALID, strides 2x3 -> CONV_2D', async (t) => {
  await checkOp(t, conv2d({ padding: 'VALID', strides: [1, 2, 3, 1] }), ['y'], { ops: ['CONV_2D@1'], atol: ATOL });
});

test('Conv2D SAME, strides 2, even input -> CONV_2D', async (t) => {
  await checkOp(t, conv2d({ padding: 'SAME', strides: [1, 2, 2, 1], x: [1, 8, 8, 3] }), ['y'], { ops: ['CONV_2D@1'], atol: ATOL });
});

test('Conv2D dilations 2x1 -> CONV_2D with dilation factors', async (t) => {
  await checkOp(t, conv2d({ padding: 'SAME', dilations: [1, 2, 1, 1] }), ['y'], { ops: ['CONV_2D@1'], atol: ATOL });
});

test('Conv2D EXPLICIT padding (asymmetric) -> PAD + CONV_2D VALID', async (t) => {
  await checkOp(t, conv2d({ padding: 'EXPLICIT', explicit: [0, 0, 1, 2, 0, 1, 0, 0] }), ['y'], { ops: ['PAD@1', 'CONV_2D@1'], atol: ATOL });
});

test('Conv2D EXPLICIT padding equal to SAME folds into CONV_2D SAME', async (t) => {
  await checkOp(t, conv2d({ padding: 'EXPLICIT', explicit: [0, 0, 1, 1, 1, 1, 0, 0] }), ['y'], { ops: ['CONV_2D@1'], atol: ATOL });
});

test('Conv2D + BiasAdd + Relu -> one CONV_2D with bias and fused RELU', async (t) => {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', [1, 6, 6, 2]);
  const conv = b.op('conv', 'Conv2D', [x, b.weights('w', [3, 3, 2, 5], 3)], { ...T(), padding: a.s('SAME'), strides: a.ints([1, 1, 1, 1]), data_format: a.s('NHWC') });
  const bias = b.op('bias', 'BiasAdd', [conv, b.weights('b', [5], 4)], { ...T(), data_format: a.s('NHWC') });
  b.op('y', 'Relu', [bias], T());
  const c = await checkOp(t, b.build(), ['y'], { ops: ['CONV_2D@1'], atol: ATOL });
  assert.equal(c.graph.nodes[0].options.fused_activation_function, 1);
});

function depthwise(opts: { padding: string; strides?: number[]; dilations?: number[]; m: number; x?: number[] }) {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', opts.x ?? [1, 9, 8, 3]);
  b.op('y', 'DepthwiseConv2dNative', [x, b.weights('w', [3, 3, 3, opts.m], 5)], {
    ...T(),
    padding: a.s(opts.padding),
    strides: a.ints(opts.strides ?? [1, 1, 1, 1]),
    dilations: a.ints(opts.dilations ?? [1, 1, 1, 1]),
    data_format: a.s('NHWC'),
    explicit_paddings: a.ints([]),
  });
  return b.build();
}

test('DepthwiseConv2dNative, depth multiplier 2 -> DEPTHWISE_CONV_2D', async (t) => {
  const c = await checkOp(t, depthwise({ padding: 'SAME', m: 2 }), ['y'], { ops: ['DEPTHWISE_CONV_2D@1'], atol: ATOL });
  assert.equal(c.graph.nodes[0].options.depth_multiplier, 2);
});

test('DepthwiseConv2dNative VALID, strides 2, multiplier 3 -> DEPTHWISE_CONV_2D', async (t) => {
  await checkOp(t, depthwise({ padding: 'VALID', strides: [1, 2, 2, 1], m: 3 }), ['y'], { ops: ['DEPTHWISE_CONV_2D@1'], atol: ATOL });
});

test('DepthwiseConv2dNative dilated -> DEPTHWISE_CONV_2D version 2', async (t) => {
  await checkOp(t, depthwise({ padding: 'SAME', dilations: [1, 2, 2, 1], m: 1 }), ['y'], { ops: ['DEPTHWISE_CONV_2D@2'], atol: ATOL });
});

function transposeConv(opts: { padding: string; strides: number[]; out: number[]; x: number[]; after?: string }) {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', opts.x);
  const sizes = b.const('sizes', i32([4], opts.out));
  // Filter [H, W, out channels, in channels].
  const y = b.op(opts.after ? 'tconv' : 'y', 'Conv2DBackpropInput', [sizes, b.weights('w', [3, 3, opts.out[3], opts.x[3]], 6), x], {
    ...T(),
    padding: a.s(opts.padding),
    strides: a.ints(opts.strides),
    dilations: a.ints([1, 1, 1, 1]),
    data_format: a.s('NHWC'),
    explicit_paddings: a.ints([]),
  });
  if (opts.after === 'BiasAdd') b.op('y', 'BiasAdd', [y, b.weights('b', [opts.out[3]], 8)], { ...T(), data_format: a.s('NHWC') });
  if (opts.after === 'Relu') b.op('y', 'Relu', [y], T());
  return b.build();
}

test('Conv2DBackpropInput SAME, strides 2 -> TRANSPOSE_CONV (output_shape, weights, input)', async (t) => {
  await checkOp(t, transposeConv({ padding: 'SAME', strides: [1, 2, 2, 1], x: [1, 4, 5, 3], out: [1, 8, 10, 2] }), ['y'], { ops: ['TRANSPOSE_CONV@1'], atol: ATOL });
});

test('Conv2DBackpropInput VALID, strides 2 -> TRANSPOSE_CONV', async (t) => {
  await checkOp(t, transposeConv({ padding: 'VALID', strides: [1, 2, 2, 1], x: [1, 4, 4, 2], out: [1, 9, 9, 3] }), ['y'], { ops: ['TRANSPOSE_CONV@1'], atol: ATOL });
});

test('Conv2DBackpropInput + BiasAdd -> TRANSPOSE_CONV with its bias input (version 3)', async (t) => {
  const c = await checkOp(t, transposeConv({ padding: 'SAME', strides: [1, 1, 1, 1], x: [1, 4, 4, 2], out: [1, 4, 4, 3], after: 'BiasAdd' }), ['y'], {
    ops: ['TRANSPOSE_CONV@3'],
    atol: ATOL,
  });
  assert.deepEqual(c.graph.nodes[0].inputs[3]?.shape, [3]);
});

test('Conv2DBackpropInput + Relu keeps the RELU: a fused activation needs TRANSPOSE_CONV v4, which older kernels ignore', async (t) => {
  await checkOp(t, transposeConv({ padding: 'SAME', strides: [1, 2, 2, 1], x: [1, 3, 3, 2], out: [1, 6, 6, 2], after: 'Relu' }), ['y'], {
    ops: ['TRANSPOSE_CONV@1', 'RELU@1'],
    atol: ATOL,
  });
});

function matmul(opts: { ta?: boolean; tb?: boolean; constB?: boolean; a: number[]; b: number[]; bias?: boolean; relu?: boolean }) {
  const b = new GraphDefBuilder();
  const x = b.placeholder('a', 'float32', opts.a);
  const w = opts.constB === false ? b.placeholder('b', 'float32', opts.b) : b.weights('w', opts.b, 9);
  const last = opts.bias || opts.relu;
  let y = b.op(last ? 'mm' : 'y', 'MatMul', [x, w], { ...T(), transpose_a: a.b(opts.ta ?? false), transpose_b: a.b(opts.tb ?? false) });
  if (opts.bias) y = b.op(opts.relu ? 'biasadd' : 'y', 'BiasAdd', [y, b.weights('bias', [opts.tb ? opts.b[0] : opts.b[1]], 10)], { ...T(), data_format: a.s('NHWC') });
  if (opts.relu) b.op('y', 'Relu', [y], T());
  return b.build();
}

test('MatMul with constant weights -> FULLY_CONNECTED', async (t) => {
  await checkOp(t, matmul({ a: [3, 7], b: [7, 5] }), ['y'], { ops: ['FULLY_CONNECTED@1'], atol: ATOL });
});

test('MatMul transpose_b -> FULLY_CONNECTED with the weights as they are', async (t) => {
  await checkOp(t, matmul({ a: [3, 7], b: [5, 7], tb: true }), ['y'], { ops: ['FULLY_CONNECTED@1'], atol: ATOL });
});

test('MatMul transpose_a -> BATCH_MATMUL adj_x', async (t) => {
  await checkOp(t, matmul({ a: [7, 3], b: [7, 5], ta: true }), ['y'], { ops: ['BATCH_MATMUL@1'], atol: ATOL });
});

test('MatMul of two inputs (transpose_a and transpose_b) -> BATCH_MATMUL', async (t) => {
  await checkOp(t, matmul({ a: [7, 3], b: [5, 7], ta: true, tb: true, constB: false }), ['y'], { ops: ['BATCH_MATMUL@1'], atol: ATOL });
});

test('MatMul of two inputs -> BATCH_MATMUL', async (t) => {
  await checkOp(t, matmul({ a: [3, 7], b: [7, 5], constB: false }), ['y'], { ops: ['BATCH_MATMUL@1'], atol: ATOL });
});

test('MatMul + BiasAdd + Relu -> one FULLY_CONNECTED with bias and RELU', async (t) => {
  const c = await checkOp(t, matmul({ a: [2, 6], b: [6, 4], bias: true, relu: true }), ['y'], { ops: ['FULLY_CONNECTED@1'], atol: ATOL });
  assert.equal(c.graph.nodes[0].options.fused_activation_function, 1);
});

function batchMatmul(opts: { x: number[]; y: number[]; adjX?: boolean; adjY?: boolean; constY?: boolean; bias?: number }) {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', opts.x);
  const w = opts.constY ? b.weights('w', opts.y, 12) : b.placeholder('w', 'float32', opts.y);
  const y = b.op(opts.bias ? 'bmm' : 'y', 'BatchMatMulV2', [x, w], { ...T(), adj_x: a.b(opts.adjX ?? false), adj_y: a.b(opts.adjY ?? false) });
  if (opts.bias) b.op('y', 'BiasAdd', [y, b.weights('b', [opts.bias], 13)], { ...T(), data_format: a.s('NHWC') });
  return b.build();
}

test('BatchMatMulV2 broadcasting [1, 3, 4] by [2, 4, 5] -> BATCH_MATMUL', async (t) => {
  await checkOp(t, batchMatmul({ x: [1, 3, 4], y: [2, 4, 5] }), ['y'], { ops: ['BATCH_MATMUL@1'], atol: ATOL });
});

// tfjs (both backends) gets broadcasting of batch dimensions [2, 1] against [3] wrong: it returns
// 45 values for the [2, 3, 3, 5] result. Checked against a float64 hand computation instead.
test('BatchMatMulV2 broadcasting [2, 1, 3, 4] by [3, 4, 5] -> BATCH_MATMUL (hand-computed reference)', async (t) => {
  const c = convert(batchMatmul({ x: [2, 1, 3, 4], y: [3, 4, 5] }), ['y']);
  assert.deepEqual(opsOf(c), ['BATCH_MATMUL@1']);
  const x = randomValue('float32', [2, 1, 3, 4], 21);
  const w = randomValue('float32', [3, 4, 5], 22);
  const [got] = await runTflite(c, [x, w]);
  assert.deepEqual(got.shape, [2, 3, 3, 5]);
  const X = x.data as Float32Array;
  const W = w.data as Float32Array;
  const G = got.data as Float32Array;
  let maxErr = 0;
  let i = 0;
  for (let b0 = 0; b0 < 2; b0++) {
    for (let b1 = 0; b1 < 3; b1++) {
      for (let r = 0; r < 3; r++) {
        for (let col = 0; col < 5; col++) {
          let s = 0;
          for (let k = 0; k < 4; k++) s += X[b0 * 12 + r * 4 + k] * W[b1 * 20 + k * 5 + col];
          maxErr = Math.max(maxErr, Math.abs(G[i++] - s));
        }
      }
    }
  }
  t.diagnostic(`max abs error ${maxErr.toExponential(2)} against float64 (hand-computed) [BATCH_MATMUL@1]`);
  assert.ok(maxErr <= 1e-5);
});

test('BatchMatMulV2 adj_x and adj_y -> BATCH_MATMUL', async (t) => {
  await checkOp(t, batchMatmul({ x: [2, 4, 3], y: [2, 5, 4], adjX: true, adjY: true }), ['y'], { ops: ['BATCH_MATMUL@1'], atol: ATOL });
});

test('BatchMatMulV2 of rank 3 by a constant matrix (+ BiasAdd) -> FULLY_CONNECTED keep_num_dims (version 5)', async (t) => {
  const c = await checkOp(t, batchMatmul({ x: [2, 3, 6], y: [6, 4], constY: true, bias: 4 }), ['y'], { ops: ['FULLY_CONNECTED@5'], atol: ATOL });
  assert.equal(c.graph.nodes[0].options.keep_num_dims, true);
  assert.deepEqual(c.graph.outputs[0].shape, [2, 3, 4]);
});

test('BatchMatMulV2 by a constant matrix with adj_y -> FULLY_CONNECTED with the weights as they are', async (t) => {
  await checkOp(t, batchMatmul({ x: [2, 3, 6], y: [4, 6], constY: true, adjY: true }), ['y'], { ops: ['FULLY_CONNECTED@5'], atol: ATOL });
});

function batchNorm(op: string, opts: { afterConv: boolean }) {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', [1, 5, 5, 3]);
  const C = opts.afterConv ? 4 : 3;
  const inp = opts.afterConv
    ? b.op('conv', 'Conv2D', [x, b.weights('w', [3, 3, 3, 4], 14)], { ...T(), padding: a.s('SAME'), strides: a.ints([1, 1, 1, 1]), data_format: a.s('NHWC') })
    : x;
  const variance = b.const('var', f32([C], Array.from({ length: C }, (_, i) => 0.5 + i)));
  b.op('y', op, [inp, b.weights('gamma', [C], 15), b.weights('beta', [C], 16), b.weights('mean', [C], 17), variance], {
    ...T(),
    ...(op === 'FusedBatchNorm' ? {} : { U: a.type('float32') }),
    epsilon: a.f(0.001),
    is_training: a.b(false),
    data_format: a.s('NHWC'),
    exponential_avg_factor: a.f(1),
  });
  return b.build();
}

test('FusedBatchNormV3 after a conv folds into the CONV_2D weights and bias', async (t) => {
  await checkOp(t, batchNorm('FusedBatchNormV3', { afterConv: true }), ['y'], { ops: ['CONV_2D@1'], atol: ATOL });
});

test('FusedBatchNormV3 on an input stays MUL + ADD', async (t) => {
  await checkOp(t, batchNorm('FusedBatchNormV3', { afterConv: false }), ['y'], { ops: ['MUL@1', 'ADD@1'], atol: ATOL });
});

test('FusedBatchNorm (v1) on an input stays MUL + ADD', async (t) => {
  await checkOp(t, batchNorm('FusedBatchNorm', { afterConv: false }), ['y'], { ops: ['MUL@1', 'ADD@1'], atol: ATOL });
});

test('FusedBatchNormV3 lowered by the table (decompose-batch-norm skipped) gives the same MUL + ADD', async (t) => {
  await checkOp(t, batchNorm('FusedBatchNormV3', { afterConv: false }), ['y'], { ops: ['MUL@1', 'ADD@1'], atol: ATOL, skipPasses: ['decompose-batch-norm'] });
});

function pool(op: string, opts: { padding: string; ksize: number[]; strides: number[]; x: number[] }) {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', opts.x);
  b.op('y', op, [x], { ...T(), padding: a.s(opts.padding), ksize: a.ints(opts.ksize), strides: a.ints(opts.strides), data_format: a.s('NHWC') });
  return b.build();
}

test('AvgPool SAME (edge windows average only real elements) -> AVERAGE_POOL_2D', async (t) => {
  await checkOp(t, pool('AvgPool', { padding: 'SAME', ksize: [1, 3, 3, 1], strides: [1, 2, 2, 1], x: [1, 7, 8, 3] }), ['y'], { ops: ['AVERAGE_POOL_2D@1'], atol: 1e-5 });
});

test('AvgPool VALID -> AVERAGE_POOL_2D', async (t) => {
  await checkOp(t, pool('AvgPool', { padding: 'VALID', ksize: [1, 2, 3, 1], strides: [1, 2, 1, 1], x: [2, 6, 6, 2] }), ['y'], { ops: ['AVERAGE_POOL_2D@1'], atol: 1e-5 });
});

test('MaxPool SAME, strides 2 -> MAX_POOL_2D', async (t) => {
  await checkOp(t, pool('MaxPool', { padding: 'SAME', ksize: [1, 3, 3, 1], strides: [1, 2, 2, 1], x: [1, 7, 7, 4] }), ['y'], { ops: ['MAX_POOL_2D@1'], atol: 0 });
});

// tfjs has no grouped convolution: checked against a float64 hand computation. Groups split the
// input channels and the output channels into contiguous blocks (filter [H, W, C/G, O]).
test('Conv2D with 2 groups -> CONV_2D version 6 (hand-computed reference)', async (t) => {
  const [H, W, C, G, O, K] = [5, 6, 4, 2, 6, 3];
  const b = new GraphDefBuilder();
  b.op('y', 'Conv2D', [b.placeholder('x', 'float32', [1, H, W, C]), b.weights('w', [K, K, C / G, O], 1)], {
    ...T(),
    padding: a.s('VALID'),
    strides: a.ints([1, 1, 1, 1]),
    data_format: a.s('NHWC'),
  });
  const c = convert(b.build(), ['y']);
  assert.deepEqual(opsOf(c), ['CONV_2D@6']);
  const x = randomValue('float32', [1, H, W, C], 3);
  const X = x.data as Float32Array;
  const Wt = randomValue('float32', [K, K, C / G, O], 1).data as Float32Array;
  const [got] = await runTflite(c, [x]);
  const [OH, OW, cg, og] = [H - K + 1, W - K + 1, C / G, O / G];
  assert.deepEqual(got.shape, [1, OH, OW, O]);
  let maxErr = 0;
  let k = 0;
  for (let i = 0; i < OH; i++) {
    for (let j = 0; j < OW; j++) {
      for (let o = 0; o < O; o++) {
        const g = Math.floor(o / og);
        let s = 0;
        for (let u = 0; u < K; u++) for (let v = 0; v < K; v++) for (let ci = 0; ci < cg; ci++) s += X[((i + u) * W + (j + v)) * C + g * cg + ci] * Wt[((u * K + v) * cg + ci) * O + o];
        maxErr = Math.max(maxErr, Math.abs((got.data as Float32Array)[k++] - s));
      }
    }
  }
  t.diagnostic(`max abs error ${maxErr.toExponential(2)} against float64 (hand-computed) [CONV_2D@6]`);
  assert.ok(maxErr <= 1e-5);
});
