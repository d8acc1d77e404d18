// Convolutions, pooling, matmuls and batch norm: one-op GraphDefs converted with the real pipeline,
// run in the TFLite WASM runtime and compared with the TF reference (tfjs) on seeded inputs.
// Tolerances: float32 kernels summing up to a few hundred products differ by rounding order only,
// so 1e-4 absolute (values are O(1)-O(10)).

import { test } from 'node:test';
import { GraphDefBuilder, T, a, checkOp } from './harness.js';

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
