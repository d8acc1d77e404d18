// The model builder: describe a Keras-like model in code, write it as a TensorFlow SavedModel.
export { ModelBuilder } from './model.js';
export type {
  Activation,
  BuiltModel,
  ConvOptions,
  DenseOptions,
  DepthwiseOptions,
  Layer,
  LayerConfig,
  ModelBuilderOptions,
  Padding,
  PoolOptions,
  SymbolicTensor,
  VariableSpec,
} from './model.js';
export { type SavedModelLayout, type WriteModelOptions, type WriteModelResult, buildSavedModel, writeModel } from './savedmodel.js';
export { type Initializer, generateTensor, glorotNormal, heNormal } from './random.js';
export { DEMO_SEED, buildDemoCnn } from './demo.js';
export {
  type MobileNetV2Options,
  type ResNetOptions,
  type ScaledOptions,
  buildMobileNetV2Like,
  buildResNetLike,
  buildScaledMlpOrCnn,
} from './generators.js';
