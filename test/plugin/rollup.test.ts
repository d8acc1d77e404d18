// tfconv/rollup and tfconv/rolldown. Rollup itself is not a dependency of the project; Rolldown
// (Vite 8's bundler, Rollup's plugin API) is installed with Vite, so both entry points run in it:
// the built ES module is imported, and the URL it exports is read back as the emitted file.
// tfconv/esbuild has no bundler here: its test is the plugin object's shape (docs/api.md says so).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import tfconvEsbuild from '../../src/plugin/esbuild.js';
import tfconvRolldown from '../../src/plugin/rolldown.js';
import tfconvRollup from '../../src/plugin/rollup.js';
import { need } from '../helpers/shared.js';
import { KWS, PluginLog, directBytes, makeApp } from './app.js';

interface RolldownApi {
  rolldown(options: { input: string; cwd?: string; plugins: unknown[]; logLevel?: string }): Promise<{
    write(o: { dir: string; format: 'es' }): Promise<unknown>;
    close(): Promise<void>;
  }>;
}

async function loadRolldown(): Promise<RolldownApi | undefined> {
  try {
    return (await import('rolldown' as string)) as RolldownApi;
  } catch {
    return undefined;
  }
}

for (const [name, plugin] of [
  ['rollup', tfconvRollup],
  ['rolldown', tfconvRolldown],
] as const) {
  test(`tfconv/${name} in Rolldown: the built module exports the URL of the emitted model`, async (t) => {
    if (!need(t, KWS)) return;
    const rolldown = await loadRolldown();
    if (!rolldown) return t.skip('rolldown (installed with vite 8) is missing');
    const app = makeApp(t, { 'src/index.js': "import kwsUrl from '../models/kws?tflite';\nexport default kwsUrl;\n" });
    const log = new PluginLog();
    const bundle = await rolldown.rolldown({ input: path.join(app.root, 'src/index.js'), cwd: app.root, plugins: [plugin({ log: log.log, root: app.root })], logLevel: 'silent' });
    await bundle.write({ dir: path.join(app.root, 'dist'), format: 'es' });
    await bundle.close();
    assert.equal(log.converted, 1);
    const url = ((await import(pathToFileURL(path.join(app.root, 'dist', 'index.js')).href)) as { default: string }).default;
    const file = fileURLToPath(url);
    assert.match(path.relative(path.join(app.root, 'dist'), file), /^assets\/kws-[\w-]+\.tflite$/);
    assert.deepEqual(fs.readFileSync(file), await directBytes(t, app.kws));
  });
}

test('tfconv/esbuild is an esbuild plugin object (esbuild is not installed here)', () => {
  const p = tfconvEsbuild() as { name: string; setup: unknown };
  assert.equal(p.name, 'tfconv');
  assert.equal(typeof p.setup, 'function');
});
