// The project's demo model (fixtures/demo-cnn): a small CNN in the Keras layout, small enough to
// commit (8,282 parameters, about 90 KB on disk) and covering what the converter folds and fuses: convolutions with
// bias followed by batch norm (folded into the weights), ReLU (fused into the convolution),
// depthwise convolution, max and average pooling, flatten, dense and softmax.

import { type BuiltModel, ModelBuilder } from './model.js';

/** The seed the committed fixture was written with. */
export const DEMO_SEED = 20240601;

/**
 * input [-1, 28, 28, 1] -> Conv 3x3x8 + BN + ReLU -> MaxPool 2x2 -> DepthwiseConv 3x3 + BN + ReLU
 * -> Conv 1x1x16 + BN + ReLU -> AvgPool 2x2 -> Flatten -> Dense 10 -> Softmax
 */
export function buildDemoCnn(seed = DEMO_SEED): BuiltModel {
  const m = new ModelBuilder({ name: 'model', seed });
  const input = m.input([28, 28, 1]);
  let x = m.conv2d(input, { filters: 8, kernelSize: 3, padding: 'same' });
  x = m.batchNormalization(x);
  x = m.relu(x);
  x = m.maxPooling2d(x, { poolSize: 2 });
  x = m.depthwiseConv2d(x, { kernelSize: 3, padding: 'same' });
  x = m.batchNormalization(x);
  x = m.relu(x);
  x = m.conv2d(x, { filters: 16, kernelSize: 1 });
  x = m.batchNormalization(x);
  x = m.relu(x);
  x = m.averagePooling2d(x, { poolSize: 2 });
  x = m.flatten(x);
  x = m.dense(x, { units: 10 });
  x = m.softmax(x);
  return m.build(x);
}
