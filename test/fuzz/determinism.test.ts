// Same input and options, same bytes: in every mode (float and each of QUANTIZE_MODES), twice in
// one process and once more in a fresh `tfconv optimize` process (which would catch anything
// seeded by time, process state or hash order). Modes that are not there yet say so and skip.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { type OptimizeOptions, optimize } from '../../src/api/optimize.js';
import { QUANTIZE_MODES, type QuantizeOptions } from '../../src/quantize/options.js';
import { PACKAGE_ROOT } from '../../src/util/package.js';
import { fixture, need } from '../helpers/shared.js';
import { tmpDir } from '../helpers/tmp.js';

const TFCONV = path.join(PACKAGE_ROOT, 'bin', 'tfconv.js');
const MODELS = [fixture('mlcommons-tiny-kws/kws_ref_model'), fixture('tfjs-node-saved-models/module_with_multiple_signatures'), fixture('litert-testdata/tflite_testdata/multi_add.pb')];

type Mode = 'float' | QuantizeOptions['mode'];

function options(mode: Mode): { api: Partial<OptimizeOptions>; cli: string[] } {
  if (mode === 'float') return { api: {}, cli: [] };
  // int8 calibrates on seeded random inputs: the seed is part of the options.
  const q: QuantizeOptions = mode === 'int8' ? { mode, representative: 'random', seed: 3 } : { mode };
  return { api: { quantize: q }, cli: ['--quantize', mode, ...(mode === 'int8' ? ['--representative', 'random', '--seed', '3'] : [])] };
}

for (const mode of ['float', ...QUANTIZE_MODES] as Mode[]) {
  test(`deterministic output, ${mode}: same model and options give the same bytes, in one process and in another`, { timeout: 300_000 }, async (t) => {
    if (!need(t, ...MODELS)) return;
    const dir = tmpDir(t);
    const o = options(mode);
    for (const [i, model] of MODELS.entries()) {
      const allSignatures = model.includes('module_with_multiple_signatures');
      const a = path.join(dir, `${i}-a.tflite`);
      await optimize(model, { ...o.api, allSignatures, output: a });
      const b = path.join(dir, `${i}-b.tflite`);
      await optimize(model, { ...o.api, allSignatures, output: b });
      const c = path.join(dir, `${i}-c.tflite`);
      const r = spawnSync(process.execPath, [TFCONV, 'optimize', model, '-o', c, '-q', ...(allSignatures ? ['--all-signatures'] : []), ...o.cli], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const bytes = fs.readFileSync(a);
      assert.ok(bytes.length > 0);
      assert.ok(fs.readFileSync(b).equals(bytes), `${model}: a second conversion in the same process gave other bytes`);
      assert.ok(fs.readFileSync(c).equals(bytes), `${model}: the CLI in a new process gave other bytes`);
    }
  });
}
