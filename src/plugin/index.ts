// The bundler-independent plugin instance; each bundler has its own entry point (tfconv/vite,
// tfconv/rollup, tfconv/webpack, tfconv/esbuild) that picks its adapter from here.

import { createUnplugin } from 'unplugin';
import { type TfconvPluginOptions, createTfconvPlugin } from './core.js';

export type { TfconvModelEntry, TfconvModelOptions, TfconvPluginOptions } from './core.js';

export const tfconvUnplugin = createUnplugin<TfconvPluginOptions | undefined, false>((options, meta) => createTfconvPlugin(options ?? {}, meta));
