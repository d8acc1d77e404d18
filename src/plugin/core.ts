// The build plugin, once for every bundler (unplugin adapts it to Vite, Rollup, Rolldown, webpack
// and esbuild). Two ways in:
//
//   import kwsUrl from './models/kws?tflite&quantize=dynamic'   // resolved beside the importer
//   tfconv({ models: ['models/kws'] }) + import models from 'tfconv/models'  // { kws: url }
//
// Either way the model is converted at build time through the content-keyed cache (api/cache.ts,
// node_modules/.cache/tfconv by default), so an unchanged model is converted once; the .tflite is
// emitted as an asset with a content hash in its name and the module's default export is its URL.
// The model's files are added to the bundler's watch list, so dev servers and watch builds
// reconvert when they change. A failure is a build error that names the model.

import path from 'node:path';
import type { UnpluginBuildContext, UnpluginContextMeta, UnpluginOptions } from 'unplugin';
import { type CachedConversion, convertCached, defaultCacheDir, sha256 } from '../api/cache.js';
import type { OptimizeOptions } from '../api/optimize.js';
import { err } from '../errors/index.js';
import { type TfconvModelOptions, parseModelQuery, toOptimizeOptions } from './options.js';

export type { TfconvModelOptions } from './options.js';

export interface TfconvModelEntry extends TfconvModelOptions {
  /** SavedModel directory or GraphDef .pb, relative to the root. */
  model: string;
  /** Key in `tfconv/models` and the asset's base name (default: the model's base name). */
  name?: string;
}

export interface TfconvPluginOptions {
  /** Models converted and emitted on every build, whether imported or not; their URLs are the
   * default export of the virtual module 'tfconv/models'. */
  models?: Array<string | TfconvModelEntry>;
  /** Options for every model; an import query or a `models` entry overrides them. */
  defaults?: TfconvModelOptions;
  /** Where `models` are resolved from (default: Vite's root, webpack's context, or the cwd). */
  root?: string;
  /** Converted models are kept here (default: node_modules/.cache/tfconv under the root's package). */
  cacheDir?: string;
  /**
   * Output name for webpack and esbuild, `[name]` and `[hash]` replaced (default
   * 'assets/[name]-[hash].tflite'). Vite and Rollup name it with their own assetFileNames.
   */
  fileName?: string;
  /** One line per model converted or taken from the cache (default: stderr). */
  log?: (message: string) => void;
}

const QUERY_RE = /\?(?:.*&)?tflite(?:[=&]|$)/;
const PREFIX = '\0tfconv:';
const MODELS_ID = 'tfconv/models';
const MODELS_RESOLVED = '\0tfconv-models';

interface Emitted {
  code: string;
  conversion: CachedConversion;
}

export function createTfconvPlugin(options: TfconvPluginOptions = {}, meta: UnpluginContextMeta): UnpluginOptions {
  const log = options.log ?? ((m: string) => process.stderr.write(`[tfconv] ${m}\n`));
  let root = options.root !== undefined ? path.resolve(options.root) : process.cwd();
  let viteServe = false;
  let viteBase = '/';
  if (meta.framework === 'webpack' && options.root === undefined) root = meta.webpack.compiler.context ?? root;
  const cacheDir = (): string => (options.cacheDir !== undefined ? path.resolve(root, options.cacheDir) : defaultCacheDir(root));
  // One conversion per key at a time, even when several modules import the same model at once.
  const inflight = new Map<string, Promise<CachedConversion>>();

  const entries = (options.models ?? []).map((e) => (typeof e === 'string' ? { model: e } : e));
  const names = new Set<string>();
  for (const e of entries) {
    const name = e.name ?? baseName(e.model);
    if (names.has(name)) throw err.badModelQuery(e.model, 'name', `two models are named '${name}'; give one a name`);
    names.add(name);
  }

  async function convert(ctx: UnpluginBuildContext, model: string, shown: string, opts: OptimizeOptions): Promise<CachedConversion> {
    const started = performance.now();
    let c: CachedConversion;
    try {
      const dir = cacheDir();
      const key = JSON.stringify([model, opts, dir]);
      let p = inflight.get(key);
      if (!p) {
        p = convertCached(model, opts, dir);
        inflight.set(key, p);
        p.finally(() => inflight.delete(key)).catch(() => {});
      }
      c = await p;
    } catch (e) {
      throw err.buildConversion(shown, e);
    }
    for (const f of c.files) ctx.addWatchFile(f);
    if (c.cached) log(`${shown}: from cache (${c.key.slice(0, 12)})`);
    else {
      log(`${shown}: converted in ${(performance.now() - started).toFixed(0)} ms (${c.bytes.length} bytes)`);
      for (const n of c.result?.notes ?? []) log(`${shown}: note: ${n}`);
    }
    return c;
  }

  /** Emits the converted model; returns a JS expression for its URL. */
  function emit(ctx: UnpluginBuildContext, c: CachedConversion, name: string): string {
    const fw = meta.framework;
    if (fw === 'vite' && viteServe) {
      // The dev server has no emitted files: it serves the cache entry itself through /@fs/.
      return JSON.stringify(`${viteBase}@fs${toPosix(c.file).replace(/^(?!\/)/, '/')}`);
    }
    if (fw === 'vite' || fw === 'rollup' || fw === 'rolldown') {
      // The native Rollup context returns the reference id the unplugin type leaves out.
      const ref = (ctx.emitFile as unknown as (f: { type: 'asset'; name: string; source: Uint8Array }) => string)({
        type: 'asset',
        name: `${name}.tflite`,
        source: c.bytes,
      });
      return `import.meta.ROLLUP_FILE_URL_${ref}`;
    }
    const fileName = (options.fileName ?? 'assets/[name]-[hash].tflite').replace(/\[name\]/g, name).replace(/\[hash\]/g, sha256(c.bytes).slice(0, 8));
    if (fw === 'webpack' || fw === 'rspack') {
      // Through the loader's own emitFile, so webpack keeps the asset with the module and emits
      // it again when a watch rebuild takes the module from its cache.
      const native = ctx.getNativeBuildContext?.();
      const loader = native && (native.framework === 'webpack' || native.framework === 'rspack') ? native.loaderContext : undefined;
      if (loader) loader.emitFile(fileName, Buffer.from(c.bytes));
      else ctx.emitFile({ type: 'asset', fileName, source: c.bytes });
      return `__webpack_public_path__ + ${JSON.stringify(fileName)}`;
    }
    // esbuild (and others): written into outdir; the URL is relative to the output bundle.
    ctx.emitFile({ type: 'asset', fileName, source: c.bytes });
    return `new URL(${JSON.stringify(`./${fileName}`)}, import.meta.url).href`;
  }

  async function loadModule(ctx: UnpluginBuildContext, id: string): Promise<Emitted> {
    const body = id.slice(PREFIX.length);
    const q = body.indexOf('?');
    const model = q < 0 ? body : body.slice(0, q);
    const query = q < 0 ? '' : body.slice(q + 1);
    const shown = path.relative(root, model) || model;
    const opts = { ...(options.defaults ?? {}), ...parseModelQuery(query, shown) };
    const c = await convert(ctx, model, shown, toOptimizeOptions(opts, path.dirname(model)));
    return { code: `export default ${emit(ctx, c, baseName(model))};\n`, conversion: c };
  }

  async function loadModelsList(ctx: UnpluginBuildContext): Promise<string> {
    const parts: string[] = [];
    for (const e of entries) {
      const model = path.resolve(root, e.model);
      const name = e.name ?? baseName(e.model);
      const { model: _m, name: _n, ...own } = e;
      const c = await convert(ctx, model, e.model, toOptimizeOptions({ ...(options.defaults ?? {}), ...own }, root));
      parts.push(`  ${JSON.stringify(name)}: ${emit(ctx, c, name)},`);
    }
    return `export default {\n${parts.join('\n')}\n};\n`;
  }

  return {
    name: 'tfconv',
    enforce: 'pre',
    async buildStart() {
      // The listed models are converted (and their errors reported) on every build, imported or
      // not; the module 'tfconv/models' converts again through the cache to get their URLs.
      if (entries.length > 0 && !viteServe) await loadModelsList(this);
    },
    resolveId: {
      filter: { id: /\?(?:.*&)?tflite(?:[=&]|$)|^tfconv\/models$/ },
      handler(id, importer) {
        if (id === MODELS_ID) return MODELS_RESOLVED;
        if (!QUERY_RE.test(id)) return null;
        const q = id.indexOf('?');
        const spec = id.slice(0, q);
        const query = new URLSearchParams(id.slice(q + 1));
        const from = importer && !importer.startsWith('\0') ? path.dirname(cleanId(importer)) : root;
        let model: string;
        if (spec.startsWith('.')) model = path.resolve(from, spec);
        else if (path.isAbsolute(spec)) model = spec.startsWith(root) || meta.framework !== 'vite' ? spec : path.join(root, spec);
        else model = path.resolve(root, spec);
        query.sort();
        return `${PREFIX}${model}?${query.toString()}`;
      },
    },
    load: {
      filter: { id: /^\0tfconv(?::|-models$)/ },
      async handler(id) {
        if (id === MODELS_RESOLVED) return loadModelsList(this);
        if (!id.startsWith(PREFIX)) return null;
        return (await loadModule(this, id)).code;
      },
    },
    vite: {
      configResolved(config) {
        viteServe = config.command === 'serve';
        viteBase = config.base.endsWith('/') ? config.base : `${config.base}/`;
        if (options.root === undefined) root = config.root;
      },
    },
  };
}

/** kws_ref_model/, kws/saved_model.pb, frozen.pb -> kws_ref_model, kws, frozen. */
function baseName(model: string): string {
  const p = model.replace(/[\\/]+$/, '');
  const base = path.basename(p) === 'saved_model.pb' ? path.basename(path.dirname(p)) : path.basename(p);
  return base.replace(/\.(pb|tflite)$/i, '').replace(/[^\w.-]/g, '_') || 'model';
}

/** An importer id without query or hash. */
function cleanId(id: string): string {
  return id.replace(/[?#].*$/, '');
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}
