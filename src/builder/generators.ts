// Model families for tests and benchmarks, each a BuiltModel to pass to writeModel():
//
//   buildMobileNetV2Like  Keras's MobileNetV2 (keras.applications, TF 2.6): same layers, names,
//                         shapes and parameter count (3,538,984 at alpha 1.0, 224, 1000 classes);
//   buildResNetLike       a CIFAR-style ResNet of basic blocks (the MLPerf Tiny ResNet-8 is
//                         blocks [1, 1, 1], width 16);
//   buildScaledMlpOrCnn   a model of about `targetParams` parameters, up to ~100M (400 MB), with
//                         no tensor larger than 4096 x 4096 floats, so writing stays lean.

import { err } from '../errors/index.js';
import { type BuiltModel, ModelBuilder, type SymbolicTensor } from './model.js';

export interface MobileNetV2Options {
  /** Width multiplier (default 1.0). */
  alpha?: number;
  /** Input height and width (default 224). */
  resolution?: number;
  /** Output classes (default 1000). */
  classes?: number;
  seed?: number;
}

/** keras.applications.mobilenet_v2._make_divisible. */
function makeDivisible(v: number, divisor: number): number {
  let out = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (out < 0.9 * v) out += divisor;
  return out;
}

/** keras.applications.imagenet_utils.correct_pad for a 3x3 window. */
function correctPad(x: SymbolicTensor): [[number, number], [number, number]] {
  const adjust = [1 - ((x.shape[1] as number) % 2), 1 - ((x.shape[2] as number) % 2)];
  return [
    [1 - (adjust[0] as number), 1],
    [1 - (adjust[1] as number), 1],
  ];
}

export function buildMobileNetV2Like(options: MobileNetV2Options = {}): BuiltModel {
  const alpha = options.alpha ?? 1;
  const res = options.resolution ?? 224;
  const classes = options.classes ?? 1000;
  if (!(alpha > 0)) throw err.badModelSpec('mobilenetv2', `alpha must be positive, got ${alpha}`);
  if (!Number.isInteger(res) || res < 32) throw err.badModelSpec('mobilenetv2', `resolution must be an integer >= 32, got ${res}`);
  const m = new ModelBuilder({ name: `mobilenetv2_${alpha.toFixed(2)}_${res}`, seed: options.seed ?? 0 });
  const bn = (x: SymbolicTensor, name: string) => m.batchNormalization(x, { epsilon: 1e-3, name });
  const relu6 = (x: SymbolicTensor, name: string) => m.relu(x, { maxValue: 6, name });

  let x = m.input([res, res, 3]);
  x = m.conv2d(x, { filters: makeDivisible(32 * alpha, 8), kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'Conv1' });
  x = relu6(bn(x, 'bn_Conv1'), 'Conv1_relu');

  const block = (input: SymbolicTensor, filters: number, stride: number, expansion: number, id: number): SymbolicTensor => {
    const inChannels = input.shape[3] as number;
    const pointwise = makeDivisible(Math.trunc(filters * alpha), 8);
    let prefix = `block_${id}_`;
    let y = input;
    if (id > 0) {
      y = m.conv2d(y, { filters: expansion * inChannels, kernelSize: 1, padding: 'same', useBias: false, name: `${prefix}expand` });
      y = relu6(bn(y, `${prefix}expand_BN`), `${prefix}expand_relu`);
    } else {
      prefix = 'expanded_conv_';
    }
    if (stride === 2) y = m.zeroPadding2d(y, correctPad(y), { name: `${prefix}pad` });
    y = m.depthwiseConv2d(y, { kernelSize: 3, strides: stride, useBias: false, padding: stride === 1 ? 'same' : 'valid', name: `${prefix}depthwise` });
    y = relu6(bn(y, `${prefix}depthwise_BN`), `${prefix}depthwise_relu`);
    y = m.conv2d(y, { filters: pointwise, kernelSize: 1, padding: 'same', useBias: false, name: `${prefix}project` });
    y = bn(y, `${prefix}project_BN`);
    if (inChannels === pointwise && stride === 1) return m.add([input, y], { name: `${prefix}add` });
    return y;
  };

  const plan: [number, number, number][] = [
    // filters, stride, expansion; one row per block (block ids 0..16)
    [16, 1, 1],
    [24, 2, 6], [24, 1, 6],
    [32, 2, 6], [32, 1, 6], [32, 1, 6],
    [64, 2, 6], [64, 1, 6], [64, 1, 6], [64, 1, 6],
    [96, 1, 6], [96, 1, 6], [96, 1, 6],
    [160, 2, 6], [160, 1, 6], [160, 1, 6],
    [320, 1, 6],
  ];
  plan.forEach(([f, s, e], id) => (x = block(x, f, s, e, id)));

  x = m.conv2d(x, { filters: alpha > 1 ? makeDivisible(1280 * alpha, 8) : 1280, kernelSize: 1, useBias: false, name: 'Conv_1' });
  x = relu6(bn(x, 'Conv_1_bn'), 'out_relu');
  x = m.globalAveragePooling2d(x);
  x = m.dense(x, { units: classes, activation: 'softmax', name: 'predictions' });
  return m.build(x);
}

export interface ResNetOptions {
  /** Basic blocks per stage (default [1, 1, 1]); a number n means [n, n, n]. */
  blocks?: number | number[];
  /** Filters of the first stage; each later stage doubles them (default 16). */
  width?: number;
  /** Input height and width (default 32), 3 channels. */
  resolution?: number;
  classes?: number;
  seed?: number;
}

/**
 * Conv 3x3 + BN + ReLU stem, then stages of basic blocks (conv 3x3 + BN + ReLU + conv 3x3 + BN,
 * plus a 1x1 conv + BN shortcut where the shape changes, Add, ReLU), the first block of every
 * stage after the first with stride 2; global average pooling and a softmax classifier.
 */
export function buildResNetLike(options: ResNetOptions = {}): BuiltModel {
  const stages = typeof options.blocks === 'number' ? [options.blocks, options.blocks, options.blocks] : (options.blocks ?? [1, 1, 1]);
  const width = options.width ?? 16;
  const res = options.resolution ?? 32;
  if (stages.length === 0 || stages.some((b) => !Number.isInteger(b) || b < 1)) {
    throw err.badModelSpec('resnet', `blocks must be positive integers, got ${JSON.stringify(options.blocks)}`);
  }
  const m = new ModelBuilder({ name: 'model', seed: options.seed ?? 0 });
  let x = m.input([res, res, 3]);
  x = m.relu(m.batchNormalization(m.conv2d(x, { filters: width, kernelSize: 3, padding: 'same' })));
  stages.forEach((count, s) => {
    const filters = width * 2 ** s;
    for (let b = 0; b < count; b++) {
      const stride = s > 0 && b === 0 ? 2 : 1;
      let y = m.conv2d(x, { filters, kernelSize: 3, strides: stride, padding: 'same' });
      y = m.relu(m.batchNormalization(y));
      y = m.batchNormalization(m.conv2d(y, { filters, kernelSize: 3, padding: 'same' }));
      let shortcut = x;
      if (stride !== 1 || x.shape[3] !== filters) {
        shortcut = m.batchNormalization(m.conv2d(x, { filters, kernelSize: 1, strides: stride, padding: 'same' }));
      }
      x = m.relu(m.add([shortcut, y]));
    }
  });
  x = m.globalAveragePooling2d(x);
  x = m.dense(x, { units: options.classes ?? 10, activation: 'softmax' });
  return m.build(x);
}

export interface ScaledOptions {
  /** About how many parameters (16 thousand to a few hundred million). */
  targetParams: number;
  /** 'mlp' (default): Dense layers on a 784-feature input; 'cnn': 3x3 convolutions with batch norm. */
  kind?: 'mlp' | 'cnn';
  seed?: number;
}

const MAX_WIDTH = 4096;

function roundTo(v: number, k: number): number {
  return Math.max(k, Math.round(v / k) * k);
}

/**
 * A model of about `targetParams` parameters. The MLP is 784 -> w -> (w -> w) x d -> 10 with ReLU;
 * the CNN is a 32x32x3 input, a stem conv, d conv 3x3 (c -> c) + BN + ReLU layers with a max pool
 * after every two while the map is larger than 4x4, global average pooling and Dense 10. Widths
 * are capped (4096 features, 1024 channels) and depth grows instead, so no single tensor
 * exceeds 64 MiB.
 */
export function buildScaledMlpOrCnn(options: ScaledOptions): BuiltModel {
  const target = options.targetParams;
  if (!Number.isFinite(target) || target < 1000 || target > 2e9) {
    throw err.badModelSpec('scaled', `targetParams must be between 1000 and 2e9, got ${target}`);
  }
  const m = new ModelBuilder({ name: 'model', seed: options.seed ?? 0 });
  if ((options.kind ?? 'mlp') === 'mlp') {
    // Small targets are dominated by the 784-wide input layer: the width keeps it near half.
    const w = Math.min(MAX_WIDTH, roundTo(Math.min(Math.sqrt(target / 4), target / (2 * 795)), 16));
    const fixed = 784 * w + w + 10 * w + 10;
    const depth = Math.max(0, Math.round((target - fixed) / (w * w + w)));
    let x = m.input([784]);
    x = m.dense(x, { units: w, activation: 'relu' });
    for (let i = 0; i < depth; i++) x = m.dense(x, { units: w, activation: 'relu' });
    x = m.dense(x, { units: 10, activation: 'softmax' });
    return m.build(x);
  }
  const c = Math.min(1024, roundTo(Math.sqrt(target / (9 * 6)), 16));
  const perLayer = 9 * c * c + c + 4 * c;
  const depth = Math.max(1, Math.round((target - 27 * c) / perLayer));
  let x = m.input([32, 32, 3]);
  x = m.relu(m.batchNormalization(m.conv2d(x, { filters: c, kernelSize: 3, padding: 'same' })));
  for (let i = 0; i < depth; i++) {
    x = m.relu(m.batchNormalization(m.conv2d(x, { filters: c, kernelSize: 3, padding: 'same' })));
    if (i % 2 === 1 && (x.shape[1] as number) > 4) x = m.maxPooling2d(x);
  }
  x = m.globalAveragePooling2d(x);
  x = m.dense(x, { units: 10, activation: 'softmax' });
  return m.build(x);
}
