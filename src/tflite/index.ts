// The TFLite FlatBuffer layer: the model type and its rules, the verifying reader, the
// deterministic writer, and the generated object API of schemas/tflite.fbs.

export * from './schema.generated.js';
export * from './model.js';
export { BUILTIN_OPTIONS_OF, filledOptionsOf } from './op-options.js';
export { readTflite, readTfliteFile } from './read.js';
export { TFLITE_MAX_BYTES, type WriteTfliteOptions, estimateSize, writeTflite, writeTfliteFile } from './write.js';
