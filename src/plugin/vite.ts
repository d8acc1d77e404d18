// `import tfconv from 'tfconv/vite'`: the tfconv build plugin for Vite (see docs/api.md).

import type { VitePlugin } from 'unplugin';
import { type TfconvPluginOptions, tfconvUnplugin } from './index.js';

export type { TfconvModelEntry, TfconvModelOptions, TfconvPluginOptions } from './index.js';

const tfconv: (options?: TfconvPluginOptions) => VitePlugin = tfconvUnplugin.vite;
export default tfconv;
