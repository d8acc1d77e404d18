// `import tfconv from 'tfconv/esbuild'`: the tfconv build plugin for esbuild (see docs/api.md).

import type { EsbuildPlugin } from 'unplugin';
import { type TfconvPluginOptions, tfconvUnplugin } from './index.js';

export type { TfconvModelEntry, TfconvModelOptions, TfconvPluginOptions } from './index.js';

const tfconv: (options?: TfconvPluginOptions) => EsbuildPlugin = tfconvUnplugin.esbuild;
export default tfconv;
