// The plugin in a real Vite (the build API and the dev server) on a tiny app that imports a copy
// of kws_ref_model (mlcommons tiny, a TF 2.3 Keras SavedModel).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { build, createServer } from 'vite';
import tfconv from '../../src/plugin/vite.js';
import type { TfconvPluginOptions } from '../../src/plugin/vite.js';
import { need } from '../helpers/shared.js';
import { KWS, PluginLog, SMALL, addBrokenModel, checkRunsLikeReference, directBytes, listFiles, makeApp } from './app.js';

const INDEX_HTML = '<!doctype html><html><body><script type="module" src="/src/index.js"></script></body></html>\n';

async function viteBuild(root: string, input: string, options: TfconvPluginOptions): Promise<number> {
  const t0 = performance.now();
  await build({
    root,
    configFile: false,
    logLevel: 'silent',
    plugins: [tfconv(options)],
    build: { outDir: 'dist', emptyOutDir: true, rollupOptions: { input: path.join(root, input) } },
  });
  return performance.now() - t0;
}

test('vite build: ?tflite emits a hashed .tflite the TFLite runtime runs; a second build converts nothing', async (t) => {
  if (!need(t, KWS)) return;
  const app = makeApp(t, {
    'index.html': INDEX_HTML,
    'src/index.js': "import kwsUrl from '../models/kws?tflite';\ndocument.title = kwsUrl;\n",
  });
  const log = new PluginLog();
  const first = await viteBuild(app.root, 'index.html', { log: log.log });
  assert.equal(log.converted, 1, log.lines.join('\n'));

  const assets = listFiles(path.join(app.root, 'dist', 'assets'));
  const tflite = assets.filter((f) => f.endsWith('.tflite'));
  assert.equal(tflite.length, 1, assets.join(', '));
  assert.match(tflite[0], /^kws-[\w-]{8}\.tflite$/);
  const bytes = fs.readFileSync(path.join(app.root, 'dist', 'assets', tflite[0]));
  assert.deepEqual(bytes, await directBytes(t, app.kws), 'the asset is exactly what optimize() writes');
  const js = assets.filter((f) => f.endsWith('.js')).map((f) => fs.readFileSync(path.join(app.root, 'dist', 'assets', f), 'utf8')).join('\n');
  assert.ok(js.includes(`/assets/${tflite[0]}`), 'the bundle holds the asset URL');
  await checkRunsLikeReference(bytes, app.kws);
  // The cache is the app's own, keyed by content.
  assert.equal(listFiles(path.join(app.root, 'node_modules', '.cache', 'tfconv')).filter((f) => f.endsWith('.tflite')).length, 1);

  log.reset();
  const second = await viteBuild(app.root, 'index.html', { log: log.log });
  assert.equal(log.converted, 0, log.lines.join('\n'));
  assert.equal(log.fromCache, 1);
  assert.deepEqual(listFiles(path.join(app.root, 'dist', 'assets')), assets, 'the same files, with the same names');
  t.diagnostic(`vite build with kws_ref_model: first ${first.toFixed(0)} ms (converts), second ${second.toFixed(0)} ms (cache)`);
});

test('vite build: a models list is emitted and its URLs come from tfconv/models; query options are checked', async (t) => {
  if (!need(t, KWS)) return;
  const app = makeApp(t, {
    'src/list.js': "import models from 'tfconv/models';\nexport const url = models.keyword;\n",
    'src/bad-query.js': "import u from '../models/kws?tflite&frobnicate=1';\nexport default u;\n",
  });
  const log = new PluginLog();
  await viteBuild(app.root, 'src/list.js', { log: log.log, models: [{ model: 'models/kws', name: 'keyword' }] });
  // buildStart converts, the module then takes it from the cache.
  assert.equal(log.converted, 1, log.lines.join('\n'));
  const tflite = listFiles(path.join(app.root, 'dist', 'assets')).filter((f) => f.endsWith('.tflite'));
  assert.equal(tflite.length, 1);
  assert.match(tflite[0], /^keyword-[\w-]{8}\.tflite$/);
  const js = listFiles(path.join(app.root, 'dist')).filter((f) => f.endsWith('.js')).map((f) => fs.readFileSync(path.join(app.root, 'dist', f), 'utf8')).join('\n');
  assert.ok(js.includes(tflite[0]), 'the list module holds the asset URL');

  await assert.rejects(viteBuild(app.root, 'src/bad-query.js', { log: log.log }), (e: Error) => {
    assert.match(e.message, /models\/kws: option 'frobnicate': not an option of \?tflite imports/);
    return true;
  });
});

test('vite build: a model that fails to convert is a build error naming it', async (t) => {
  if (!need(t, KWS)) return;
  const app = makeApp(t, { 'src/broken.js': "import u from '../models/broken?tflite';\nexport default u;\n" });
  addBrokenModel(app);
  await assert.rejects(viteBuild(app.root, 'src/broken.js', { log: () => {} }), (e: Error) => {
    assert.match(e.message, /tfconv: cannot convert models\/broken: \S*models\/broken\/saved_model\.pb: not a valid SavedModel protobuf/);
    return true;
  });
});

test('vite dev server: serves the converted model, and converts again when the model files change', async (t) => {
  if (!need(t, KWS, SMALL)) return;
  const app = makeApp(t, { 'src/index.js': "import kwsUrl from '../models/kws?tflite';\nexport default kwsUrl;\n" });
  const log = new PluginLog();
  const server = await createServer({
    root: app.root,
    configFile: false,
    logLevel: 'silent',
    plugins: [tfconv({ log: log.log })],
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false },
  });
  t.after(() => server.close());
  await server.listen();
  const address = server.httpServer?.address();
  assert.ok(address && typeof address === 'object');
  const origin = `http://127.0.0.1:${address.port}`;

  const url1 = ((await server.ssrLoadModule('/src/index.js')) as { default: string }).default;
  assert.match(url1, /^\/@fs\/.*\/node_modules\/\.cache\/tfconv\/[0-9a-f]{64}\.tflite$/);
  const served = new Uint8Array(await (await fetch(origin + url1)).arrayBuffer());
  assert.deepEqual(Buffer.from(served), await directBytes(t, app.kws));
  assert.equal(log.converted, 1);

  // Replace the model with another SavedModel: the watched files change, the module is
  // invalidated and the next load converts the new model.
  for (const f of listFiles(app.kws)) fs.rmSync(path.join(app.kws, f));
  fs.cpSync(SMALL, app.kws, { recursive: true });
  let url2 = url1;
  for (let i = 0; i < 100 && url2 === url1; i++) {
    await new Promise((r) => setTimeout(r, 50));
    url2 = ((await server.ssrLoadModule('/src/index.js')) as { default: string }).default;
  }
  assert.notEqual(url2, url1, 'the dev server noticed the change');
  assert.equal(log.converted, 2, log.lines.join('\n'));
  const served2 = Buffer.from(await (await fetch(origin + url2)).arrayBuffer());
  assert.deepEqual(served2, await directBytes(t, app.kws));
});
