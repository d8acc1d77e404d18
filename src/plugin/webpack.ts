// `import tfconv from 'tfconv/webpack'`: the tfconv build plugin for webpack (see docs/api.md).

import type { WebpackPluginInstance } from 'unplugin';
import { type TfconvPluginOptions, tfconvUnplugin } from './index.js';

export type { TfconvModelEntry, TfconvModelOptions, TfconvPluginOptions } from './index.js';

const tfconv: (options?: TfconvPluginOptions) => WebpackPluginInstance = tfconvUnplugin.webpack;
export default tfconv;
