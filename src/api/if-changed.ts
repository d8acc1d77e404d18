// optimizeIfChanged(): `tfconv optimize --if-changed`, for npm scripts that run before every
// build. The conversion is skipped when the output is newer than every file of the model (and of
// the representative data) and was written by the same tfconv version with the same options. The
// options used are remembered in a small record in the cache directory, keyed by the output path,
// together with the output's size and time, so an output replaced by something else is redone.

import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_VERSION } from '../util/package.js';
import { defaultCacheDir, inputFiles, optionsKey, sha256, writeJsonAtomic } from './cache.js';
import { type OptimizeOptions, type OptimizeResult, optimize } from './optimize.js';
import { checkOutputPath, defaultOutputPath } from './output-path.js';

export interface IfChangedOptions extends OptimizeOptions {
  /** Where the records of past conversions are kept (default: see defaultCacheDir). */
  cacheDir?: string;
}

export type IfChangedResult =
  | { skipped: true; output: string; reason: string }
  | (OptimizeResult & { skipped: false; reason: string });

interface Stamp {
  tfconv: string;
  options: string;
  output: string;
  size: number;
  mtimeMs: number;
}

export async function optimizeIfChanged(model: string, options: IfChangedOptions = {}): Promise<IfChangedResult> {
  const { cacheDir, ...optimizeOptions } = options;
  const given = optimizeOptions.output ?? defaultOutputPath(model);
  const output = path.resolve(given);
  checkOutputPath(given, model);
  const recordFile = path.join(cacheDir ?? defaultCacheDir(), 'if-changed', `${sha256(output).slice(0, 32)}.json`);
  const key = optionsKey(optimizeOptions);
  const why = staleness(model, optimizeOptions, output, recordFile, key);
  if (why === null) return { skipped: true, output: given, reason: 'the output is newer than the model and the options are unchanged' };

  const result = await optimize(model, { ...optimizeOptions, output: given });
  // Only a conversion that fully succeeded is remembered: a failed verification is redone next time.
  if (!result.verify || result.verify.pass) {
    const st = fs.statSync(output);
    const rec: Stamp = { tfconv: PACKAGE_VERSION, options: key, output, size: st.size, mtimeMs: st.mtimeMs };
    writeJsonAtomic(recordFile, rec);
  }
  return { ...result, skipped: false, reason: why };
}

/** Why the output must be (re)made, or null when it is up to date. */
function staleness(model: string, options: OptimizeOptions, output: string, recordFile: string, key: string): string | null {
  let out: fs.Stats;
  try {
    out = fs.statSync(output);
  } catch {
    return 'no output yet';
  }
  let rec: Partial<Stamp>;
  try {
    rec = JSON.parse(fs.readFileSync(recordFile, 'utf8')) as Partial<Stamp>;
  } catch {
    return 'no record of the options the output was made with';
  }
  if (rec.tfconv !== PACKAGE_VERSION) return `made by tfconv ${rec.tfconv ?? 'unknown'}, this is ${PACKAGE_VERSION}`;
  if (rec.options !== key) return 'the options changed';
  if (rec.size !== out.size || rec.mtimeMs !== out.mtimeMs) return 'the output was changed since tfconv wrote it';
  for (const f of inputFiles(model, options)) {
    if (fs.statSync(f).mtimeMs >= out.mtimeMs) return `${f} is newer than the output`;
  }
  return null;
}
