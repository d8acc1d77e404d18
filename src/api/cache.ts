// What a conversion depends on, and a cache of converted models keyed by it. The key is a sha256
// over the tfconv version, the options that change the output (normalized), and the path and
// content of every file the model is made of; the build plugin keeps converted .tflite files under
// it, so an unchanged model is never converted twice. `optimize --if-changed` uses the same
// options key, with file times instead of contents (see if-changed.ts).

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { err } from '../errors/index.js';
import { detectModel } from '../readers/detect.js';
import { PACKAGE_VERSION } from '../util/package.js';
import { writeFileAtomic } from '../writers/atomic-file.js';
import { type OptimizeOptions, type OptimizeResult, optimize } from './optimize.js';

/** Options that do not change the output bytes, and are left out of the key. */
const NOT_IN_KEY = new Set(['output', 'log', 'progress', 'keepPrepared']);

/**
 * The options as a canonical JSON value: keys sorted, unset and default-valued entries (undefined,
 * false, [] and {}) dropped, so `{ allowCustomOps: false }` and `{}` give the same key. Array order
 * is kept (signature order is the subgraph order). A representative-data path is made absolute.
 */
export function normalizeOptions(options: OptimizeOptions): unknown {
  const top: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (!NOT_IN_KEY.has(k)) top[k] = v;
  const q = options.quantize;
  if (q?.representative !== undefined && q.representative !== 'random') {
    top.quantize = { ...q, representative: path.resolve(q.representative) };
  }
  return canonical(top) ?? {};
}

function canonical(v: unknown): unknown {
  if (v === undefined || v === null || v === false || typeof v === 'function') return undefined;
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map((x) => canonical(x) ?? null);
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      const c = canonical((v as Record<string, unknown>)[k]);
      if (c !== undefined) out[k] = c;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return v;
}

export function optionsKey(options: OptimizeOptions): string {
  return sha256(JSON.stringify({ tfconv: PACKAGE_VERSION, options: normalizeOptions(options) }));
}

/**
 * Every file the conversion reads: all regular files of the SavedModel directory (the one actually
 * used, for a TF Serving base directory), or the GraphDef file; plus representative data given as
 * a path. Sorted, absolute.
 */
export function inputFiles(model: string, options: OptimizeOptions = {}): string[] {
  const detected = detectModel(model);
  const files: string[] = [];
  if (detected.kind === 'savedmodel') walk(detected.path, files);
  else files.push(path.resolve(detected.path));
  const rep = options.quantize?.representative;
  if (rep !== undefined && rep !== 'random') {
    const r = path.resolve(rep);
    if (!fs.existsSync(r)) throw err.fileNotFound(rep, 'representative data file or directory');
    if (fs.statSync(r).isDirectory()) walk(r, files);
    else files.push(r);
  }
  return [...new Set(files)].sort();
}

function walk(dir: string, out: string[]): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.resolve(dir, e.name);
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      continue; // a dangling symlink is not part of the model
    }
    if (st.isDirectory()) walk(p, out);
    else if (st.isFile()) out.push(p);
  }
}

export interface CacheKey {
  key: string;
  /** The files the key covers (what a watcher should watch). */
  files: string[];
}

/** sha256 over the version, the normalized options, and each input file's path and content. */
export function cacheKey(model: string, options: OptimizeOptions = {}): CacheKey {
  const files = inputFiles(model, options);
  const h = createHash('sha256');
  h.update(JSON.stringify({ tfconv: PACKAGE_VERSION, options: normalizeOptions(options) }));
  // Paths are relative to the model, so the same model copied elsewhere hits the same entry.
  const base = path.resolve(detectModel(model).path);
  for (const f of files) {
    h.update(`\n${path.relative(base, f)}\n`);
    h.update(fs.readFileSync(f));
  }
  return { key: h.digest('hex'), files };
}

/**
 * The default cache directory: $TFCONV_CACHE_DIR, else node_modules/.cache/tfconv in the nearest
 * directory at or above `from` that has a package.json, else the user's cache directory.
 */
export function defaultCacheDir(from: string = process.cwd()): string {
  if (process.env.TFCONV_CACHE_DIR) return path.resolve(process.env.TFCONV_CACHE_DIR);
  let dir = path.resolve(from);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return path.join(dir, 'node_modules', '.cache', 'tfconv');
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  const xdg = process.env.XDG_CACHE_HOME;
  return path.join(xdg ? path.resolve(xdg) : path.join(os.homedir(), '.cache'), 'tfconv');
}

export interface CachedConversion {
  /** The converted model in the cache (do not modify it). */
  file: string;
  bytes: Uint8Array;
  key: string;
  /** The files the model is made of, for watchers. */
  files: string[];
  /** True when the cache had it and nothing was converted. */
  cached: boolean;
  /** The conversion, when one ran. */
  result?: OptimizeResult;
}

/**
 * The model converted with `options`, from the cache when an entry with the same key exists;
 * otherwise converted (with optimize) straight into the cache. `options.output` is ignored.
 */
export async function convertCached(model: string, options: OptimizeOptions = {}, cacheDir: string = defaultCacheDir()): Promise<CachedConversion> {
  const { key, files } = cacheKey(model, options);
  const file = path.join(cacheDir, `${key}.tflite`);
  if (fs.existsSync(file)) {
    return { file, bytes: new Uint8Array(fs.readFileSync(file)), key, files, cached: true };
  }
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
  } catch (e) {
    throw err.writeFailed(cacheDir, e instanceof Error ? e.message : String(e));
  }
  const result = await optimize(model, { ...options, output: file });
  if (result.verify && !result.verify.pass) {
    // A model that failed verification must not be served from the cache next time as if it passed.
    fs.rmSync(file, { force: true });
  }
  return { file, bytes: result.conversion.bytes, key, files, cached: false, result };
}

/** Records a small JSON value atomically (cache bookkeeping). */
export function writeJsonAtomic(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
