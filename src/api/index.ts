// The public API: `import { optimize, inspect, run, report, qat } from 'tfconv'`. The CLI is a thin layer over
// these functions and takes the same options. Every failure a user can cause is a TfconvError
// with a stable `code` (see docs/api.md).

export { optimize, type OptimizeOptions, type OptimizeResult } from './optimize.js';
export { optimizeIfChanged, type IfChangedOptions, type IfChangedResult } from './if-changed.js';
export { inspect, inspectText, type InspectOptions, type InspectReport, type InspectTextOptions } from './inspect.js';
export { report, type ReportModelSource } from './report.js';
export {
  DEFAULT_SQNR_THRESHOLD,
  type QuantReport,
  type ReportOptions,
  type ReportTextOptions,
  reportHtml,
  reportJson,
  reportText,
  writeReport,
} from '../report/index.js';
export type { InputReport, LayerReport, OutputReport, FloatOp, ModelSummary, LayerQuantization } from '../report/report.js';
export type { WeightReport } from '../report/weights.js';
export { run, type NamedTensor, type RunInput, type RunOptions, type TensorValue } from './run.js';
export { qat, type QatOptions, type QatResult } from './qat.js';
export { type CacheKey, type CachedConversion, cacheKey, convertCached, defaultCacheDir, inputFiles } from './cache.js';
export { ErrorCode, type ErrorSubject, TfconvError, isTfconvError } from '../errors/index.js';
export type { QuantizeOptions } from '../quantize/options.js';
export type { VerifyOptions, VerifyReport } from '../verify/verify.js';
export type { DType } from '../core/dtype.js';

export { PACKAGE_VERSION as version } from '../util/package.js';
