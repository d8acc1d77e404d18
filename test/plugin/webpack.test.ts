// The plugin in real webpack (the Node API: run and watch) on a tiny app that imports a copy of
// kws_ref_model (mlcommons tiny, a TF 2.3 Keras SavedModel).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import webpack from 'webpack';
import tfconv from '../../src/plugin/webpack.js';
import type { TfconvPluginOptions } from '../../src/plugin/webpack.js';
import { need } from '../helpers/shared.js';
import { KWS, PluginLog, SMALL, addBrokenModel, checkRunsLikeReference, directBytes, listFiles, makeApp } from './app.js';

function config(root: string, entry: string, options: TfconvPluginOptions): webpack.Configuration {
  return {
    context: root,
    mode: 'production',
    entry,
    output: { path: path.join(root, 'dist'), publicPath: '/static/', clean: true },
    plugins: [tfconv(options)],
    infrastructureLogging: { level: 'none' },
  };
}

async function webpackBuild(root: string, entry: string, options: TfconvPluginOptions): Promise<{ ms: number; stats: webpack.Stats }> {
  const t0 = performance.now();
  const compiler = webpack(config(root, entry, options));
  const stats = await new Promise<webpack.Stats>((resolve, reject) => compiler.run((e, s) => (e || !s ? reject(e) : resolve(s))));
  await new Promise<void>((resolve) => compiler.close(() => resolve()));
  return { ms: performance.now() - t0, stats };
}

test('webpack: ?tflite emits a hashed .tflite the TFLite runtime runs; a second build converts nothing', async (t) => {
  if (!need(t, KWS)) return;
  const app = makeApp(t, { 'src/index.js': "import kwsUrl from '../models/kws?tflite';\nconsole.log(kwsUrl);\n" });
  const log = new PluginLog();
  const first = await webpackBuild(app.root, './src/index.js', { log: log.log });
  assert.equal(first.stats.hasErrors(), false, first.stats.toString('errors-only'));
  assert.equal(log.converted, 1, log.lines.join('\n'));

  const files = listFiles(path.join(app.root, 'dist'));
  const tflite = files.filter((f) => f.endsWith('.tflite'));
  assert.equal(tflite.length, 1, files.join(', '));
  assert.match(tflite[0], /^assets\/kws-[0-9a-f]{8}\.tflite$/);
  const bytes = fs.readFileSync(path.join(app.root, 'dist', tflite[0]));
  assert.deepEqual(bytes, await directBytes(t, app.kws), 'the asset is exactly what optimize() writes');
  const main = fs.readFileSync(path.join(app.root, 'dist', 'main.js'), 'utf8');
  assert.ok(main.includes(`"/static/${tflite[0]}"`), `the bundle holds the asset URL: ${main}`);
  await checkRunsLikeReference(bytes, app.kws);

  log.reset();
  const second = await webpackBuild(app.root, './src/index.js', { log: log.log });
  assert.equal(second.stats.hasErrors(), false);
  assert.equal(log.converted, 0, log.lines.join('\n'));
  assert.equal(log.fromCache, 1);
  assert.deepEqual(listFiles(path.join(app.root, 'dist')), files);
  t.diagnostic(`webpack build with kws_ref_model: first ${first.ms.toFixed(0)} ms (converts), second ${second.ms.toFixed(0)} ms (cache)`);
});

test('webpack: a model that fails to convert is a build error naming it', async (t) => {
  if (!need(t, KWS)) return;
  const app = makeApp(t, { 'src/broken.js': "import u from '../models/broken?tflite';\nconsole.log(u);\n" });
  addBrokenModel(app);
  const { stats } = await webpackBuild(app.root, './src/broken.js', { log: () => {} });
  assert.equal(stats.hasErrors(), true);
  const text = stats.toString('errors-only');
  assert.match(text, /tfconv: cannot convert models\/broken: \S*models\/broken\/saved_model\.pb: not a valid SavedModel protobuf/);
  assert.doesNotMatch(text, /\n\s+at /, 'no stack trace for a bad model');
});

test('webpack watch: a change to the model files converts again and emits the new model', async (t) => {
  if (!need(t, KWS, SMALL)) return;
  const app = makeApp(t, {
    'src/index.js': "import kwsUrl from '../models/kws?tflite';\nimport models from 'tfconv/models';\nconsole.log(kwsUrl, models.kws);\n",
  });
  const log = new PluginLog();
  const compiler = webpack(config(app.root, './src/index.js', { log: log.log, models: ['models/kws'] }));
  const builds: webpack.Stats[] = [];
  let onBuild: (() => void) | undefined;
  const watching = compiler.watch({ aggregateTimeout: 50 }, (e, s) => {
    if (e) throw e;
    if (s) builds.push(s);
    onBuild?.();
  });
  t.after(() => new Promise<void>((resolve) => (watching ? watching.close(() => resolve()) : resolve())));
  const waitBuilds = async (n: number): Promise<void> => {
    for (let i = 0; i < 200 && builds.length < n; i++) await new Promise<void>((r) => ((onBuild = r), setTimeout(r, 50)));
    assert.ok(builds.length >= n, `build ${n} did not happen`);
  };

  await waitBuilds(1);
  assert.equal(builds[0].hasErrors(), false, builds[0].toString('errors-only'));
  assert.equal(log.converted, 1, log.lines.join('\n'));
  const before = listFiles(path.join(app.root, 'dist')).filter((f) => f.endsWith('.tflite'));
  assert.equal(before.length, 1);

  // Another SavedModel in the same place: different bytes, so a different asset name.
  for (const f of listFiles(app.kws)) fs.rmSync(path.join(app.kws, f));
  fs.cpSync(SMALL, app.kws, { recursive: true });
  await waitBuilds(2);
  assert.equal(builds[1].hasErrors(), false, builds[1].toString('errors-only'));
  assert.equal(log.converted, 2, log.lines.join('\n'));
  const after = listFiles(path.join(app.root, 'dist')).filter((f) => f.endsWith('.tflite'));
  assert.equal(after.length, 1, after.join(', '));
  assert.notEqual(after[0], before[0]);
  assert.deepEqual(fs.readFileSync(path.join(app.root, 'dist', after[0])), await directBytes(t, app.kws));
});
