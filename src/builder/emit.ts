// The model's inference function, as Keras traces it into `__inference__wrapped_model_N` (the
// model's default save signature): every op under the name scope "<model>/<layer>/", named as
// the Keras 2.6 layer's call() names it (Conv2D/ReadVariableOp, Conv2D, BiasAdd/ReadVariableOp,
// BiasAdd, Relu; batch norm's ReadVariableOp, ReadVariableOp_1, FusedBatchNormV3/ReadVariableOp,
// FusedBatchNormV3/ReadVariableOp_1, FusedBatchNormV3; depthwise/Shape and
// depthwise/dilation_rate constants beside DepthwiseConv2dNative; Flatten's Const + Reshape; ...).
//
// Variables come in as resource arguments, one per read, named after the read
// ("model_conv2d_conv2d_readvariableop_resource") in order of first use: the order of the
// function's captures, of the calling StatefulPartitionedCall's trailing inputs and of the
// concrete function's bound_inputs.

import type { AttrValue, FunctionDef } from '../proto/types.js';
import { DT, attrB, attrF, attrI, attrInts, attrS, attrTensor, attrType, int32Tensor, tensorProto } from './attrs.js';
import type { Activation, BuiltModel, Layer, SymbolicTensor, VariableSpec } from './model.js';
import { FunctionBuilder, bodyRef, normalizeArgName } from './nodes.js';

const T_FLOAT = attrType(DT.FLOAT);
const NHWC = attrS('NHWC');

export interface EmittedFunction {
  def: FunctionDef;
  /** Variables in the order of the function's resource arguments. */
  captured: VariableSpec[];
}

/** Attributes TF 2.x puts on functions traced eagerly (tf.function). */
export const EAGER_FUNCTION_ATTRS: Record<string, AttrValue> = { _construction_context: attrS('kEagerRuntime') };

export function emitModelFunction(model: BuiltModel, functionName: string): EmittedFunction {
  const fb = new FunctionBuilder(functionName);
  const refs = new Map<string, string>();
  const captured: VariableSpec[] = [];
  const reads: string[] = [];

  for (const x of model.inputs) {
    refs.set(x.layer, fb.arg({ name: x.layer, type: DT.FLOAT, shape: x.shape, argAttr: { shape: x.shape, userName: x.layer } }));
  }
  const ref = (x: SymbolicTensor): string => refs.get(x.layer) as string;

  /** A ReadVariableOp of `v` named `node`, through a new resource argument. */
  const read = (node: string, v: VariableSpec): string => {
    const arg = fb.arg({ name: `${normalizeArgName(node)}_resource`, type: DT.RESOURCE, shape: [], handle: { dtype: DT.FLOAT, shape: v.shape } });
    captured.push(v);
    reads.push(node);
    return bodyRef(fb.node({ name: node, op: 'ReadVariableOp', inputs: [arg], attrs: { dtype: T_FLOAT }, shapes: [v.shape] }));
  };

  const activation = (scope: string, x: string, act: Activation, shape: readonly number[]): string => {
    if (act === 'linear') return x;
    const op = act === 'relu' ? 'Relu' : act === 'relu6' ? 'Relu6' : 'Softmax';
    return bodyRef(fb.node({ name: `${scope}${op}`, op, inputs: [x], attrs: { T: T_FLOAT }, shapes: [shape] }));
  };

  for (const layer of model.layers) {
    if (layer.config.kind === 'input') continue;
    const scope = `${model.name}/${layer.name}/`;
    refs.set(layer.name, emitLayer(fb, layer, scope, layer.inputs.map(ref), read, activation));
  }

  const outputs = model.outputs.map((o, i) => {
    const name = i === 0 ? 'Identity' : `Identity_${i}`;
    const inputs = [ref(o), ...(reads.length > 0 ? ['^NoOp'] : [])];
    fb.node({ name, op: 'Identity', inputs, attrs: { T: T_FLOAT }, shapes: [o.shape] });
    return { name: name.toLowerCase(), type: DT.FLOAT, ref: `${name}:output:0` };
  });
  if (reads.length > 0) {
    fb.node({
      name: 'NoOp',
      op: 'NoOp',
      inputs: [...reads].sort().map((r) => `^${r}`),
      attrs: { _acd_function_control_output: attrB(true) },
      shapes: [],
    });
  }
  return { def: fb.finish({ outputs, controlOutputs: reads, attrs: EAGER_FUNCTION_ATTRS }), captured };
}

function emitLayer(
  fb: FunctionBuilder,
  layer: Layer,
  scope: string,
  inputs: string[],
  read: (node: string, v: VariableSpec) => string,
  activation: (scope: string, x: string, act: Activation, shape: readonly number[]) => string,
): string {
  const out = layer.output.shape;
  const x = inputs[0] as string;
  const variable = (attribute: string): VariableSpec => layer.variables.find((v) => v.attribute === attribute) as VariableSpec;
  const node = (name: string, op: string, ins: string[], attrs: Record<string, AttrValue>, shapes: (readonly number[] | null)[] = [out]) =>
    bodyRef(fb.node({ name: `${scope}${name}`, op, inputs: ins, attrs, shapes }));
  const biasAdd = (y: string): string => node('BiasAdd', 'BiasAdd', [y, read(`${scope}BiasAdd/ReadVariableOp`, variable('bias'))], { T: T_FLOAT, data_format: NHWC });
  const c = layer.config;

  switch (c.kind) {
    case 'input':
      return x;
    case 'conv2d': {
      const kernel = read(`${scope}Conv2D/ReadVariableOp`, variable('kernel'));
      let y = node('Conv2D', 'Conv2D', [x, kernel], {
        T: T_FLOAT,
        strides: attrInts([1, c.strides[0], c.strides[1], 1]),
        padding: attrS(c.padding.toUpperCase()),
        use_cudnn_on_gpu: attrB(true),
        explicit_paddings: attrInts([]),
        data_format: NHWC,
        dilations: attrInts([1, 1, 1, 1]),
      });
      if (c.useBias) y = biasAdd(y);
      return activation(scope, y, c.activation, out);
    }
    case 'depthwise_conv2d': {
      const v = variable('depthwise_kernel');
      const kernel = read(`${scope}depthwise/ReadVariableOp`, v);
      // tf.nn.depthwise_conv2d's name scope leaves these two constants behind, unused.
      constant(fb, `${scope}depthwise/Shape`, [4], v.shape);
      constant(fb, `${scope}depthwise/dilation_rate`, [2], [1, 1]);
      let y = node('depthwise', 'DepthwiseConv2dNative', [x, kernel], {
        T: T_FLOAT,
        strides: attrInts([1, c.strides[0], c.strides[1], 1]),
        padding: attrS(c.padding.toUpperCase()),
        explicit_paddings: attrInts([]),
        data_format: NHWC,
        dilations: attrInts([1, 1, 1, 1]),
      });
      if (c.useBias) y = biasAdd(y);
      return activation(scope, y, c.activation, out);
    }
    case 'batch_normalization': {
      const channels = out[3] as number;
      const gamma = read(`${scope}ReadVariableOp`, variable('gamma'));
      const beta = read(`${scope}ReadVariableOp_1`, variable('beta'));
      const mean = read(`${scope}FusedBatchNormV3/ReadVariableOp`, variable('moving_mean'));
      const variance = read(`${scope}FusedBatchNormV3/ReadVariableOp_1`, variable('moving_variance'));
      const v = [channels];
      return node(
        'FusedBatchNormV3',
        'FusedBatchNormV3',
        [x, gamma, beta, mean, variance],
        {
          T: T_FLOAT,
          U: T_FLOAT,
          epsilon: attrF(c.epsilon),
          exponential_avg_factor: attrF(1),
          data_format: NHWC,
          is_training: attrB(false),
        },
        [out, v, v, v, v, null],
      );
    }
    case 'activation':
      return activation(scope, x, c.activation, out);
    case 'max_pooling2d':
      return node('MaxPool', 'MaxPool', [x], {
        T: T_FLOAT,
        ksize: attrInts([1, c.pool[0], c.pool[1], 1]),
        strides: attrInts([1, c.strides[0], c.strides[1], 1]),
        padding: attrS(c.padding.toUpperCase()),
        explicit_paddings: attrInts([]),
        data_format: NHWC,
      });
    case 'average_pooling2d':
      return node('AvgPool', 'AvgPool', [x], {
        T: T_FLOAT,
        ksize: attrInts([1, c.pool[0], c.pool[1], 1]),
        strides: attrInts([1, c.strides[0], c.strides[1], 1]),
        padding: attrS(c.padding.toUpperCase()),
        data_format: NHWC,
      });
    case 'global_average_pooling2d': {
      const axes = constant(fb, `${scope}Mean/reduction_indices`, [2], [1, 2]);
      return node('Mean', 'Mean', [x, axes], { T: T_FLOAT, Tidx: attrType(DT.INT32), keep_dims: attrB(false) });
    }
    case 'flatten': {
      const shape = constant(fb, `${scope}Const`, [2], [-1, out[1] as number]);
      return node('Reshape', 'Reshape', [x, shape], { T: T_FLOAT, Tshape: attrType(DT.INT32) });
    }
    case 'dense': {
      const kernel = read(`${scope}MatMul/ReadVariableOp`, variable('kernel'));
      let y = node('MatMul', 'MatMul', [x, kernel], { T: T_FLOAT, transpose_a: attrB(false), transpose_b: attrB(false) });
      if (c.useBias) y = biasAdd(y);
      return activation(scope, y, c.activation, out);
    }
    case 'add': {
      // Keras's Add layer: output = inputs[0]; output += inputs[i] (ops "add", "add_1", ...).
      let y = x;
      for (let i = 1; i < inputs.length; i++) y = node(i === 1 ? 'add' : `add_${i - 1}`, 'AddV2', [y, inputs[i] as string], { T: T_FLOAT });
      return y;
    }
    case 'concatenate': {
      const axis = constant(fb, `${scope}concat/axis`, [], [out.length - 1]);
      return node('concat', 'ConcatV2', [...inputs, axis], { N: attrI(inputs.length), T: T_FLOAT, Tidx: attrType(DT.INT32) });
    }
    case 'dropout':
      return node('Identity', 'Identity', [x], { T: T_FLOAT });
    case 'zero_padding2d': {
      const p = c.padding;
      const paddings = constant(fb, `${scope}Pad/paddings`, [4, 2], [0, 0, p[0][0], p[0][1], p[1][0], p[1][1], 0, 0]);
      return node('Pad', 'Pad', [x, paddings], { T: T_FLOAT, Tpaddings: attrType(DT.INT32) });
    }
  }
}

function constant(fb: FunctionBuilder, name: string, shape: number[], values: readonly number[]): string {
  return bodyRef(
    fb.node({ name, op: 'Const', attrs: { dtype: attrType(DT.INT32), value: attrTensor(tensorProto(int32Tensor(shape, values))) }, shapes: [shape] }),
  );
}
