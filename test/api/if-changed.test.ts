// `tfconv optimize --if-changed` and optimizeIfChanged(): skipped only when the output is newer
// than every model file and was made with the same options; the cache key behind the plugin.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cacheKey, optimizeIfChanged } from '../../src/api/index.js';
import { BufferIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { fixture, need } from '../helpers/shared.js';
import { tmpDir } from '../helpers/tmp.js';

const SMALL = fixture('tf-rust-keras/keras_single_input_saved_model');

function setup(t: import('node:test').TestContext): { model: string; out: string; cacheDir: string } {
  const dir = tmpDir(t, 'tfconv-if-changed-');
  const model = path.join(dir, 'model');
  fs.cpSync(SMALL, model, { recursive: true });
  return { model, out: path.join(dir, 'out', 'model.tflite'), cacheDir: path.join(dir, 'cache') };
}

/** Sets every file of the model (or the output) to `secondsFromNow`. */
function touch(p: string, secondsFromNow: number): void {
  const when = new Date(Date.now() + secondsFromNow * 1000);
  const files = fs.statSync(p).isDirectory() ? (fs.readdirSync(p, { recursive: true }) as string[]).map((f) => path.join(p, f)) : [p];
  for (const f of files) if (fs.statSync(f).isFile()) fs.utimesSync(f, when, when);
}

test('optimizeIfChanged: converts, skips when nothing changed, converts again on a touched model or other options', async (t) => {
  if (!need(t, SMALL)) return;
  const { model, out, cacheDir } = setup(t);
  fs.mkdirSync(path.dirname(out));

  const first = await optimizeIfChanged(model, { output: out, cacheDir });
  assert.equal(first.skipped, false);
  assert.equal(first.reason, 'no output yet');
  const bytes = fs.readFileSync(out);

  const second = await optimizeIfChanged(model, { output: out, cacheDir, allowCustomOps: false, skipPasses: [] });
  assert.equal(second.skipped, true, 'default-valued options are the same options');

  await new Promise((r) => setTimeout(r, 20));
  touch(model, 0);
  const third = await optimizeIfChanged(model, { output: out, cacheDir });
  assert.equal(third.skipped, false);
  assert.match(third.reason, /is newer than the output/);
  assert.deepEqual(fs.readFileSync(out), bytes, 'same model, same bytes');
  touch(out, 120);
  assert.equal((await optimizeIfChanged(model, { output: out, cacheDir })).skipped, false, 'an output touched by someone else is redone');
  assert.equal((await optimizeIfChanged(model, { output: out, cacheDir })).skipped, true);

  const other = await optimizeIfChanged(model, { output: out, cacheDir, signatures: ['serving_default'] });
  assert.equal(other.skipped, false);
  assert.equal(other.reason, 'the options changed');
  assert.equal((await optimizeIfChanged(model, { output: out, cacheDir, signatures: ['serving_default'] })).skipped, true);

  fs.rmSync(out);
  assert.equal((await optimizeIfChanged(model, { output: out, cacheDir, signatures: ['serving_default'] })).reason, 'no output yet');
});

test('tfconv optimize --if-changed: one line saying it was skipped, exit 0', async (t) => {
  if (!need(t, SMALL)) return;
  const { model, out, cacheDir } = setup(t);
  fs.mkdirSync(path.dirname(out));
  const prev = process.env.TFCONV_CACHE_DIR;
  process.env.TFCONV_CACHE_DIR = cacheDir;
  t.after(() => (prev === undefined ? delete process.env.TFCONV_CACHE_DIR : (process.env.TFCONV_CACHE_DIR = prev)));
  const cli = async (...argv: string[]) => {
    const io = new BufferIO();
    const code = await main(argv, io);
    return { code, out: io.out, err: io.errText };
  };
  const a = await cli('optimize', model, '-o', out, '--if-changed');
  assert.equal(a.code, 0, a.err);
  assert.match(a.out, /-> .*model\.tflite \(\d/);
  const b = await cli('optimize', model, '-o', out, '--if-changed');
  assert.equal(b.code, 0, b.err);
  assert.equal(b.out, `${model} -> ${out}: up to date (the output is newer than the model and the options are unchanged); skipped\n`);
  const c = await cli('optimize', model, '-o', out, '--if-changed', '--allow-custom-ops');
  assert.match(c.out, /-> .*model\.tflite \(\d/, 'another option converts again');
  const d = await cli('optimize', model, '-o', out, '--if-changed', '-q', '--allow-custom-ops');
  assert.equal(d.out, '');
  assert.equal(d.code, 0);
});

test('cacheKey: content, not paths or times; options normalized; the version is in it', async (t) => {
  if (!need(t, SMALL)) return;
  const { model } = setup(t);
  const k = cacheKey(model);
  assert.equal(cacheKey(SMALL).key, k.key, 'a copy of the model has the same key');
  assert.deepEqual(k.files.map((f) => path.relative(model, f)), ['saved_model.pb', path.join('variables', 'variables.data-00000-of-00001'), path.join('variables', 'variables.index')]);
  touch(model, 30);
  assert.equal(cacheKey(model).key, k.key, 'times do not matter');
  assert.equal(cacheKey(model, { allowCustomOps: false, inputShapes: {} }).key, k.key);
  assert.notEqual(cacheKey(model, { allowCustomOps: true }).key, k.key);
  assert.notEqual(cacheKey(model, { signatures: ['serving_default'] }).key, k.key);
  fs.appendFileSync(path.join(model, 'saved_model.pb'), Buffer.from([0]));
  assert.notEqual(cacheKey(model).key, k.key, 'a changed byte changes the key');
});
