// `import tfconv from 'tfconv/rolldown'`: the tfconv build plugin for Rolldown (see docs/api.md).

import type { RolldownPlugin } from 'unplugin';
import { type TfconvPluginOptions, tfconvUnplugin } from './index.js';

export type { TfconvModelEntry, TfconvModelOptions, TfconvPluginOptions } from './index.js';

const tfconv: (options?: TfconvPluginOptions) => RolldownPlugin = tfconvUnplugin.rolldown;
export default tfconv;
