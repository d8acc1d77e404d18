// A small functional API for building Keras-like models: each call adds one layer and returns the
// symbolic tensor it produces, with its shape known (batch dimension -1). Layers get Keras's
// default names ("conv2d", "conv2d_1", "batch_normalization", ...) unless named, and declare
// their variables (Keras's attribute names, shapes, trainability and initializers); nothing is
// computed until the model is written, so a model of any size costs only its description.

import { err } from '../errors/index.js';
import { type Initializer, glorotNormal, heNormal } from './random.js';

export type Padding = 'same' | 'valid';
export type Activation = 'linear' | 'relu' | 'relu6' | 'softmax';

/** The output of a layer: shape with -1 for the batch dimension. */
export interface SymbolicTensor {
  readonly layer: string;
  readonly shape: readonly number[];
}

/** TensorFlow's VariableSynchronization and VariableAggregation numbers (variable.proto). */
export const SYNC_AUTO = 0;
export const SYNC_ON_READ = 3;
export const AGG_NONE = 0;
export const AGG_MEAN = 2;

export interface VariableSpec {
  /** Layer name and Keras attribute name ("kernel", "moving_mean"). */
  layer: string;
  attribute: string;
  /** The variable's name and VarHandleOp shared_name: "<layer>/<attribute>". */
  name: string;
  shape: number[];
  trainable: boolean;
  synchronization: number;
  aggregation: number;
  init: Initializer;
}

export type LayerConfig =
  | { kind: 'input' }
  | { kind: 'conv2d'; filters: number; kernel: [number, number]; strides: [number, number]; padding: Padding; useBias: boolean; activation: Activation }
  | { kind: 'depthwise_conv2d'; kernel: [number, number]; strides: [number, number]; padding: Padding; depthMultiplier: number; useBias: boolean; activation: Activation }
  | { kind: 'batch_normalization'; epsilon: number }
  | { kind: 'activation'; activation: Activation }
  | { kind: 'max_pooling2d' | 'average_pooling2d'; pool: [number, number]; strides: [number, number]; padding: Padding }
  | { kind: 'global_average_pooling2d' }
  | { kind: 'flatten' }
  | { kind: 'dense'; units: number; useBias: boolean; activation: Activation }
  | { kind: 'add' }
  | { kind: 'concatenate' }
  | { kind: 'dropout'; rate: number }
  | { kind: 'zero_padding2d'; padding: [[number, number], [number, number]] };

export interface Layer {
  name: string;
  /** Keras class name ("Conv2D", "ReLU"). */
  className: string;
  config: LayerConfig;
  inputs: SymbolicTensor[];
  output: SymbolicTensor;
  variables: VariableSpec[];
}

export interface BuiltModel {
  /** The Keras model name: the name scope of every op in the model function ("model"). */
  name: string;
  seed: number;
  /** In creation order (a topological order), inputs first. */
  layers: Layer[];
  inputs: SymbolicTensor[];
  /** Sorted by layer name: the order of the signature's outputs and of the functions' results. */
  outputs: SymbolicTensor[];
  /** Every variable, in layer order (Keras's model.variables). */
  variables: VariableSpec[];
  /** Number of scalar parameters, trainable and not. */
  paramCount: number;
}

export interface ModelBuilderOptions {
  /** Keras model name (default "model"). */
  name?: string;
  /** Seed of every weight (default 0). */
  seed?: number;
}

export interface ConvOptions {
  filters: number;
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  padding?: Padding;
  useBias?: boolean;
  activation?: Activation;
  name?: string;
}

export interface DepthwiseOptions {
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  padding?: Padding;
  depthMultiplier?: number;
  useBias?: boolean;
  activation?: Activation;
  name?: string;
}

export interface PoolOptions {
  poolSize?: number | [number, number];
  /** Default: the pool size (as Keras). */
  strides?: number | [number, number];
  padding?: Padding;
  name?: string;
}

export interface DenseOptions {
  units: number;
  useBias?: boolean;
  activation?: Activation;
  name?: string;
}

/** Keras's default name stem of each layer class. */
const STEMS: Record<string, string> = {
  Conv2D: 'conv2d',
  DepthwiseConv2D: 'depthwise_conv2d',
  BatchNormalization: 'batch_normalization',
  ReLU: 're_lu',
  Activation: 'activation',
  Softmax: 'softmax',
  MaxPooling2D: 'max_pooling2d',
  AveragePooling2D: 'average_pooling2d',
  GlobalAveragePooling2D: 'global_average_pooling2d',
  Flatten: 'flatten',
  Dense: 'dense',
  Add: 'add',
  Concatenate: 'concatenate',
  Dropout: 'dropout',
  ZeroPadding2D: 'zero_padding2d',
};

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.\-]*$/;

export class ModelBuilder {
  readonly name: string;
  readonly seed: number;
  private readonly layers: Layer[] = [];
  private readonly byName = new Map<string, Layer>();
  private readonly stemCounts = new Map<string, number>();
  private inputCount = 0;

  constructor(options: ModelBuilderOptions = {}) {
    this.name = options.name ?? 'model';
    this.seed = options.seed ?? 0;
    if (!NAME_PATTERN.test(this.name)) throw err.badModelSpec(this.name, 'a model name must be letters, digits, "_", "." or "-"');
    if (!Number.isInteger(this.seed) || this.seed < 0 || this.seed > 0xffffffff) {
      throw err.badModelSpec(this.name, `seed must be an integer in 0..2^32-1, got ${this.seed}`);
    }
  }

  /** A model input of the given shape without the batch dimension (float32). */
  input(shape: readonly number[], options: { name?: string } = {}): SymbolicTensor {
    let name = options.name;
    if (name === undefined) {
      do name = `input_${++this.inputCount}`;
      while (this.byName.has(name));
    }
    if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw err.badModelSpec(name, `input shape must be positive integers (without the batch dimension), got [${shape.join(', ')}]`);
    }
    return this.addLayer(name, 'InputLayer', { kind: 'input' }, [], [-1, ...shape], []);
  }

  conv2d(x: SymbolicTensor, o: ConvOptions): SymbolicTensor {
    const name = this.layerName('Conv2D', o.name);
    const [h, w, c] = this.rank4(name, x);
    const kernel = pair(name, 'kernelSize', o.kernelSize);
    const strides = pair(name, 'strides', o.strides ?? 1);
    const padding = o.padding ?? 'valid';
    positive(name, 'filters', o.filters);
    const useBias = o.useBias ?? true;
    const out = [-1, convDim(name, h, kernel[0], strides[0], padding), convDim(name, w, kernel[1], strides[1], padding), o.filters];
    const vars = [this.variable(name, 'kernel', [kernel[0], kernel[1], c, o.filters], heNormal(kernel[0] * kernel[1] * c))];
    if (useBias) vars.push(this.variable(name, 'bias', [o.filters], BIAS_INIT));
    const config: LayerConfig = { kind: 'conv2d', filters: o.filters, kernel, strides, padding, useBias, activation: o.activation ?? 'linear' };
    return this.addLayer(name, 'Conv2D', config, [x], out, vars);
  }

  depthwiseConv2d(x: SymbolicTensor, o: DepthwiseOptions): SymbolicTensor {
    const name = this.layerName('DepthwiseConv2D', o.name);
    const [h, w, c] = this.rank4(name, x);
    const kernel = pair(name, 'kernelSize', o.kernelSize);
    const strides = pair(name, 'strides', o.strides ?? 1);
    const padding = o.padding ?? 'valid';
    const mult = o.depthMultiplier ?? 1;
    positive(name, 'depthMultiplier', mult);
    const useBias = o.useBias ?? true;
    const out = [-1, convDim(name, h, kernel[0], strides[0], padding), convDim(name, w, kernel[1], strides[1], padding), c * mult];
    const vars = [this.variable(name, 'depthwise_kernel', [kernel[0], kernel[1], c, mult], heNormal(kernel[0] * kernel[1]))];
    if (useBias) vars.push(this.variable(name, 'bias', [c * mult], BIAS_INIT));
    const config: LayerConfig = { kind: 'depthwise_conv2d', kernel, strides, padding, depthMultiplier: mult, useBias, activation: o.activation ?? 'linear' };
    return this.addLayer(name, 'DepthwiseConv2D', config, [x], out, vars);
  }

  /**
   * Inference-mode batch normalization over the channels (FusedBatchNormV3, is_training false).
   * gamma, beta and the moving statistics are drawn away from 1 and 0 so that folding them into
   * the preceding layer changes numbers.
   */
  batchNormalization(x: SymbolicTensor, o: { epsilon?: number; name?: string } = {}): SymbolicTensor {
    const name = this.layerName('BatchNormalization', o.name);
    const [, , c] = this.rank4(name, x);
    const epsilon = o.epsilon ?? 0.001;
    if (!(epsilon > 0)) throw err.badModelSpec(name, `epsilon must be positive, got ${epsilon}`);
    const vars = [
      this.variable(name, 'gamma', [c], { kind: 'uniform', low: 0.5, high: 1.5 }),
      this.variable(name, 'beta', [c], { kind: 'normal', std: 0.1 }),
      this.variable(name, 'moving_mean', [c], { kind: 'normal', std: 0.1 }, false),
      this.variable(name, 'moving_variance', [c], { kind: 'uniform', low: 0.5, high: 2 }, false),
    ];
    return this.addLayer(name, 'BatchNormalization', { kind: 'batch_normalization', epsilon }, [x], [...x.shape], vars);
  }

  /** Keras ReLU layer; maxValue 6 gives Relu6 (as keras.backend.relu does). */
  relu(x: SymbolicTensor, o: { maxValue?: 6; name?: string } = {}): SymbolicTensor {
    const name = this.layerName('ReLU', o.name);
    return this.addLayer(name, 'ReLU', { kind: 'activation', activation: o.maxValue === 6 ? 'relu6' : 'relu' }, [x], [...x.shape], []);
  }

  /** Keras Activation layer. */
  activation(x: SymbolicTensor, activation: Activation, o: { name?: string } = {}): SymbolicTensor {
    const name = this.layerName('Activation', o.name);
    return this.addLayer(name, 'Activation', { kind: 'activation', activation }, [x], [...x.shape], []);
  }

  /** Keras Softmax layer over the last axis. */
  softmax(x: SymbolicTensor, o: { name?: string } = {}): SymbolicTensor {
    const name = this.layerName('Softmax', o.name);
    return this.addLayer(name, 'Softmax', { kind: 'activation', activation: 'softmax' }, [x], [...x.shape], []);
  }

  maxPooling2d(x: SymbolicTensor, o: PoolOptions = {}): SymbolicTensor {
    return this.pool(x, 'MaxPooling2D', 'max_pooling2d', o);
  }

  averagePooling2d(x: SymbolicTensor, o: PoolOptions = {}): SymbolicTensor {
    return this.pool(x, 'AveragePooling2D', 'average_pooling2d', o);
  }

  globalAveragePooling2d(x: SymbolicTensor, o: { name?: string } = {}): SymbolicTensor {
    const name = this.layerName('GlobalAveragePooling2D', o.name);
    const [, , c] = this.rank4(name, x);
    return this.addLayer(name, 'GlobalAveragePooling2D', { kind: 'global_average_pooling2d' }, [x], [-1, c], []);
  }

  flatten(x: SymbolicTensor, o: { name?: string } = {}): SymbolicTensor {
    const name = this.layerName('Flatten', o.name);
    const n = x.shape.slice(1).reduce((p, d) => p * d, 1);
    return this.addLayer(name, 'Flatten', { kind: 'flatten' }, [x], [-1, n], []);
  }

  dense(x: SymbolicTensor, o: DenseOptions): SymbolicTensor {
    const name = this.layerName('Dense', o.name);
    if (x.shape.length !== 2) throw err.badModelSpec(name, `Dense takes a [batch, features] input, got [${x.shape.join(', ')}] (flatten first)`);
    positive(name, 'units', o.units);
    const inDim = x.shape[1];
    const useBias = o.useBias ?? true;
    const vars = [this.variable(name, 'kernel', [inDim, o.units], glorotNormal(inDim, o.units))];
    if (useBias) vars.push(this.variable(name, 'bias', [o.units], BIAS_INIT));
    return this.addLayer(name, 'Dense', { kind: 'dense', units: o.units, useBias, activation: o.activation ?? 'linear' }, [x], [-1, o.units], vars);
  }

  /** Elementwise sum of same-shaped tensors (a residual connection). */
  add(xs: SymbolicTensor[], o: { name?: string } = {}): SymbolicTensor {
    const name = this.layerName('Add', o.name);
    if (xs.length < 2) throw err.badModelSpec(name, `Add takes at least 2 inputs, got ${xs.length}`);
    for (const x of xs) {
      if (!sameShape(x.shape, xs[0].shape)) {
        throw err.badModelSpec(name, `Add inputs must have the same shape, got [${xs[0].shape.join(', ')}] and [${x.shape.join(', ')}]`);
      }
    }
    return this.addLayer(name, 'Add', { kind: 'add' }, xs, [...xs[0].shape], []);
  }

  /** Concatenation along the last axis. */
  concatenate(xs: SymbolicTensor[], o: { name?: string } = {}): SymbolicTensor {
    const name = this.layerName('Concatenate', o.name);
    if (xs.length < 2) throw err.badModelSpec(name, `Concatenate takes at least 2 inputs, got ${xs.length}`);
    const rank = xs[0].shape.length;
    for (const x of xs) {
      if (x.shape.length !== rank || x.shape.slice(0, -1).some((d, i) => d !== xs[0].shape[i])) {
        throw err.badModelSpec(name, `Concatenate inputs must agree on all but the last axis, got [${xs[0].shape.join(', ')}] and [${x.shape.join(', ')}]`);
      }
    }
    const last = xs.reduce((s, x) => s + (x.shape[rank - 1] as number), 0);
    return this.addLayer(name, 'Concatenate', { kind: 'concatenate' }, xs, [...xs[0].shape.slice(0, -1), last], []);
  }

  /** Dropout: training-only, so the saved inference function is an Identity (as Keras traces it). */
  dropout(x: SymbolicTensor, rate: number, o: { name?: string } = {}): SymbolicTensor {
    const name = this.layerName('Dropout', o.name);
    if (!(rate >= 0 && rate < 1)) throw err.badModelSpec(name, `rate must be in [0, 1), got ${rate}`);
    return this.addLayer(name, 'Dropout', { kind: 'dropout', rate }, [x], [...x.shape], []);
  }

  /** Zero padding of height and width: a number, [rows, cols], or [[top, bottom], [left, right]]. */
  zeroPadding2d(x: SymbolicTensor, padding: number | [number, number] | [[number, number], [number, number]] = 1, o: { name?: string } = {}): SymbolicTensor {
    const name = this.layerName('ZeroPadding2D', o.name);
    const [h, w, c] = this.rank4(name, x);
    const p: [[number, number], [number, number]] =
      typeof padding === 'number'
        ? [[padding, padding], [padding, padding]]
        : typeof padding[0] === 'number'
          ? [[padding[0], padding[0]], [padding[1] as number, padding[1] as number]]
          : (padding as [[number, number], [number, number]]);
    if (p.flat().some((v) => !Number.isInteger(v) || v < 0)) throw err.badModelSpec(name, 'padding must be non-negative integers');
    return this.addLayer(name, 'ZeroPadding2D', { kind: 'zero_padding2d', padding: p }, [x], [-1, h + p[0][0] + p[0][1], w + p[1][0] + p[1][1], c], []);
  }

  /** The finished model; `outputs` are the model's outputs (the signature names them by layer). */
  build(outputs: SymbolicTensor | SymbolicTensor[]): BuiltModel {
    const outs = (Array.isArray(outputs) ? outputs : [outputs]).slice();
    const inputs = this.layers.filter((l) => l.config.kind === 'input').map((l) => l.output);
    if (inputs.length === 0) throw err.badModelSpec(this.name, 'the model has no input');
    if (outs.length === 0) throw err.badModelSpec(this.name, 'the model has no output');
    for (const o of outs) {
      if (this.byName.get(o.layer)?.output !== o) throw err.badModelSpec(o.layer, 'is not a layer output of this model');
      if (this.byName.get(o.layer)?.config.kind === 'input') throw err.badModelSpec(o.layer, 'an input cannot be an output');
    }
    if (new Set(outs.map((o) => o.layer)).size !== outs.length) throw err.badModelSpec(this.name, 'an output is listed twice');
    outs.sort((a, b) => (a.layer < b.layer ? -1 : a.layer > b.layer ? 1 : 0));
    const needed = this.reachable(outs);
    const unused = inputs.filter((i) => !needed.has(i.layer));
    if (unused.length > 0) throw err.badModelSpec(unused[0].layer, 'the outputs do not depend on this input');
    const layers = this.layers.filter((l) => needed.has(l.name));
    const variables = layers.flatMap((l) => l.variables);
    const paramCount = variables.reduce((s, v) => s + v.shape.reduce((p, d) => p * d, 1), 0);
    return { name: this.name, seed: this.seed, layers, inputs, outputs: outs, variables, paramCount };
  }

  // --- internals ---

  private reachable(outs: SymbolicTensor[]): Set<string> {
    const seen = new Set<string>();
    const stack = outs.map((o) => o.layer);
    while (stack.length > 0) {
      const n = stack.pop() as string;
      if (seen.has(n)) continue;
      seen.add(n);
      for (const i of this.byName.get(n)?.inputs ?? []) stack.push(i.layer);
    }
    return seen;
  }

  private pool(x: SymbolicTensor, className: 'MaxPooling2D' | 'AveragePooling2D', kind: 'max_pooling2d' | 'average_pooling2d', o: PoolOptions): SymbolicTensor {
    const name = this.layerName(className, o.name);
    const [h, w, c] = this.rank4(name, x);
    const pool = pair(name, 'poolSize', o.poolSize ?? 2);
    const strides = pair(name, 'strides', o.strides ?? pool);
    const padding = o.padding ?? 'valid';
    const out = [-1, convDim(name, h, pool[0], strides[0], padding), convDim(name, w, pool[1], strides[1], padding), c];
    return this.addLayer(name, className, { kind, pool, strides, padding }, [x], out, []);
  }

  private rank4(name: string, x: SymbolicTensor): [number, number, number] {
    if (x.shape.length !== 4) throw err.badModelSpec(name, `takes a [batch, height, width, channels] input, got [${x.shape.join(', ')}]`);
    return [x.shape[1], x.shape[2], x.shape[3]] as [number, number, number];
  }

  private variable(layer: string, attribute: string, shape: number[], init: Initializer, trainable = true): VariableSpec {
    return {
      layer,
      attribute,
      name: `${layer}/${attribute}`,
      shape,
      trainable,
      // Keras's BatchNormalization moving statistics are ON_READ/MEAN, everything else AUTO/NONE.
      synchronization: trainable ? SYNC_AUTO : SYNC_ON_READ,
      aggregation: trainable ? AGG_NONE : AGG_MEAN,
      init,
    };
  }

  private layerName(className: string, given: string | undefined): string {
    if (given !== undefined) {
      if (!NAME_PATTERN.test(given)) throw err.badModelSpec(given, 'a layer name must be letters, digits, "_", "." or "-"');
      if (this.byName.has(given)) throw err.badModelSpec(given, 'a layer of this name already exists');
      return given;
    }
    const stem = STEMS[className] as string;
    for (;;) {
      const k = this.stemCounts.get(stem) ?? 0;
      this.stemCounts.set(stem, k + 1);
      const name = k === 0 ? stem : `${stem}_${k}`;
      if (!this.byName.has(name)) return name;
    }
  }

  private addLayer(name: string, className: string, config: LayerConfig, inputs: SymbolicTensor[], shape: number[], vars: VariableSpec[]): SymbolicTensor {
    for (const x of inputs) {
      if (this.byName.get(x.layer)?.output !== x) throw err.badModelSpec(name, `input '${x.layer}' is not an output of this model builder`);
    }
    const output: SymbolicTensor = Object.freeze({ layer: name, shape: Object.freeze([...shape]) });
    const layer: Layer = { name, className, config, inputs, output, variables: vars };
    this.layers.push(layer);
    this.byName.set(name, layer);
    return output;
  }
}

/** Biases start small and non-zero, so bias folding and fusion are visible in the numbers. */
const BIAS_INIT: Initializer = { kind: 'normal', std: 0.05 };

function pair(layer: string, what: string, v: number | [number, number]): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (p.some((d) => !Number.isInteger(d) || d < 1)) throw err.badModelSpec(layer, `${what} must be positive integers, got ${JSON.stringify(v)}`);
  return p;
}

function positive(layer: string, what: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw err.badModelSpec(layer, `${what} must be a positive integer, got ${v}`);
}

/** Output size of a convolution or pooling window, as TensorFlow computes it (dilation 1). */
function convDim(layer: string, size: number, k: number, s: number, padding: Padding): number {
  const out = padding === 'same' ? Math.ceil(size / s) : Math.floor((size - k) / s) + 1;
  if (out < 1) throw err.badModelSpec(layer, `a ${k}-wide window does not fit an input of size ${size} with '${padding}' padding`);
  return out;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
