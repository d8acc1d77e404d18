// --quantize dynamic. Scaffolding until the mode lands: says so clearly instead of writing a float model.

import type { ConvertedGraphs } from '../convert/convert.js';
import { err } from '../errors/index.js';
import type { QuantizeContext, QuantizeResult } from './index.js';
import type { QuantizeOptions } from './options.js';

export async function quantizeDynamic(_c: ConvertedGraphs, _options: QuantizeOptions, _ctx: QuantizeContext): Promise<QuantizeResult> {
  throw err.notSupported('--quantize dynamic', 'quantization mode');
}
