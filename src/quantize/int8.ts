// --quantize int8. Models with learned ranges (QAT: FakeQuant/QuantizeAndDequantize ops) are
// quantized from those ranges without calibration (./qat-int8.ts); calibration for other models
// is still scaffolding and says so clearly instead of writing a float model.

import type { ConvertedGraphs } from '../convert/convert.js';
import { err } from '../errors/index.js';
import type { QuantizeContext, QuantizeResult } from './index.js';
import type { QuantizeOptions } from './options.js';
import { hasLearnedRanges } from './qat.js';
import { quantizeQatInt8 } from './qat-int8.js';

export async function quantizeInt8(c: ConvertedGraphs, options: QuantizeOptions, ctx: QuantizeContext): Promise<QuantizeResult> {
  if (c.graphs.some(hasLearnedRanges)) return quantizeQatInt8(c, options, ctx);
  throw err.notSupported('--quantize int8', 'quantization mode');
}
