// `import tfconv from 'tfconv/rollup'`: the tfconv build plugin for Rollup (see docs/api.md).

import type { RollupPlugin } from 'unplugin';
import { type TfconvPluginOptions, tfconvUnplugin } from './index.js';

export type { TfconvModelEntry, TfconvModelOptions, TfconvPluginOptions } from './index.js';

const tfconv: (options?: TfconvPluginOptions) => RollupPlugin = tfconvUnplugin.rollup;
export default tfconv;
