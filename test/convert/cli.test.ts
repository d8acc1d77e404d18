// `tfconv optimize` as users run it: the same bytes from two processes (and from the API) for
// several models, one-line errors with exit 1 (2 for usage) and no stack trace, and no output
// file, not even a temporary one, when a conversion fails before writing.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { convertModel } from '../../src/convert/convert.js';
import { BufferIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { PACKAGE_ROOT } from '../../src/util/package.js';
import { fixture, need } from '../helpers/shared.js';
import { tmpDir } from '../helpers/tmp.js';

const BIN = path.join(PACKAGE_ROOT, 'bin', 'tfconv.js');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const MODELS: { name: string; rel: string; args: string[]; api: Parameters<typeof convertModel>[1] }[] = [
  { name: 'kws', rel: 'mlcommons-tiny-kws/kws_ref_model', args: [], api: {} },
  {
    name: 'two-signatures',
    rel: 'tfjs-node-saved-models/module_with_multiple_signatures',
    args: ['--all-signatures'],
    api: { allSignatures: true },
  },
  {
    name: 'micro-speech',
    rel: 'siliconlabs-micro-speech-tf1/model.pb',
    args: ['--input-arrays', 'Reshape_2', '--output-arrays', 'labels_softmax'],
    api: { inputArrays: ['Reshape_2'], outputArrays: ['labels_softmax'] },
  },
  { name: 'lstm', rel: 'tf2onnx-test-models/lstm/frozen.pb', args: ['--input-shape', 'keep_prob='], api: { inputShapes: { keep_prob: [] } } },
];

test('two processes and two conversions in one process give byte-identical files, for several models', async (t) => {
  const dir = tmpDir(t);
  const present = MODELS.filter((m) => fs.existsSync(fixture(m.rel)));
  if (present.length < MODELS.length && !need(t, ...MODELS.map((m) => fixture(m.rel)))) return;
  const jobs = present.flatMap((m) => [1, 2].map((k) => run(['optimize', fixture(m.rel), '-o', path.join(dir, `${m.name}-${k}.tflite`), '-q', ...m.args])));
  const results = await Promise.all(jobs);
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  for (const m of present) {
    const a = fs.readFileSync(path.join(dir, `${m.name}-1.tflite`));
    const b = fs.readFileSync(path.join(dir, `${m.name}-2.tflite`));
    assert.ok(a.equals(b), `${m.name}: two processes, same bytes`);
    // Twice more in this process (caches, module state and the order of work must not matter).
    const api = convertModel(fixture(m.rel), m.api).bytes;
    const again = convertModel(fixture(m.rel), m.api).bytes;
    assert.ok(a.equals(Buffer.from(api)), `${m.name}: CLI and API, same bytes`);
    assert.ok(a.equals(Buffer.from(again)), `${m.name}: second conversion in one process, same bytes`);
  }
  // -q prints nothing; nothing but the outputs is left in the directory.
  assert.deepEqual(results.map((r) => r.stdout + r.stderr).filter(Boolean), []);
  assert.deepEqual(fs.readdirSync(dir).sort(), present.flatMap((m) => [`${m.name}-1.tflite`, `${m.name}-2.tflite`]).sort());
});

test('errors are one line with exit 1, usage errors exit 2, and nothing is written', async (t) => {
  const dir = tmpDir(t);
  const out = path.join(dir, 'out.tflite');
  const kws = fixture('mlcommons-tiny-kws/kws_ref_model');
  if (!need(t, kws)) return;
  const cases: { args: string[]; code: number; line: RegExp }[] = [
    { args: ['optimize', path.join(dir, 'missing'), '-o', out], code: 1, line: /^tfconv: error: .*missing: no such file or directory$/ },
    { args: ['optimize', kws, '-o', out, '--signature', 'nope'], code: 1, line: /^tfconv: error: .*no SignatureDef 'nope'; available: .*'serving_default'/ },
    { args: ['optimize', kws, '-o', out, '--input-shape', 'input_1=1,2'], code: 2, line: /^tfconv: error: --input-shape: input_1=1,2 does not fit input 'input_1', declared \[\?,49,10,1\]$/ },
    { args: ['optimize', kws, '-o', out, '--input-shape', 'nonsense'], code: 2, line: /^tfconv: error: --input-shape: 'nonsense' is not NAME=D1,D2,\.\.\.$/ },
    { args: ['optimize', kws, '-o', out, '--skip-pass', 'nope'], code: 2, line: /^tfconv: error: --skip-pass: unknown pass 'nope'/ },
    { args: ['optimize', kws, '-o', out, '--verify', '--verify-fill', 'x=1'], code: 2, line: /^tfconv: error: --verify-fill: 'x' is not an input of the model; inputs: 'input_1'$/ },
    { args: ['optimize', kws, '-o', path.join(dir, 'no-such-dir', 'out.tflite')], code: 1, line: /^tfconv: error: .*out\.tflite: cannot write: directory .*no-such-dir does not exist$/ },
    { args: ['optimize', kws, '-o', path.join(kws, 'variables', 'x.tflite')], code: 1, line: /inside the SavedModel's variables\/ directory/ },
  ];
  for (const c of cases) {
    const io = new BufferIO();
    const code = await main(c.args, io);
    const lines = io.errText.split('\n').filter((l) => l && !l.startsWith('Run tfconv --help'));
    assert.equal(code, c.code, `${c.args.join(' ')}: ${io.errText}`);
    assert.equal(lines.length, 1, io.errText);
    assert.match(lines[0], c.line);
    assert.doesNotMatch(io.errText, /\n\s+at |internal error/);
  }
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('a failed --verify keeps the complete file for inspection and exits 1 with one line', async (t) => {
  const lstm = fixture('tf2onnx-test-models/lstm/frozen.pb');
  if (!need(t, lstm)) return;
  const dir = tmpDir(t);
  const out = path.join(dir, 'lstm.tflite');
  // keep_prob drawn at random: the dropout really drops, differently in TF and in TFLite.
  const io = new BufferIO();
  assert.equal(await main(['optimize', lstm, '-o', out, '-q', '--input-shape', 'keep_prob=', '--verify'], io), 1);
  assert.match(io.errText, /^tfconv: error: verification failed: serving_default\/output \(max abs [0-9.e+-]+\) above atol 0\.00001 \+ rtol 0\.00001 x max\|reference\|\n$/);
  assert.ok(fs.readFileSync(out).equals(Buffer.from(convertModel(lstm, { inputShapes: { keep_prob: [] } }).bytes)));
  assert.deepEqual(fs.readdirSync(dir), ['lstm.tflite']);
  // With keep_prob held at 1 the same file verifies.
  const ok = new BufferIO();
  assert.equal(await main(['optimize', lstm, '-o', out, '--input-shape', 'keep_prob=', '--verify', '--verify-fill', 'keep_prob=1'], ok), 0, ok.errText);
  assert.match(ok.out, /serving_default\/output: max abs [0-9.e+-]+, max rel [0-9.e+-]+, SQNR [0-9.]+ dB {2}ok/);
  assert.match(ok.out, /note: signature 'serving_default' has random ops/);
});
