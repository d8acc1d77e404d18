// `tfconv report` and `tfconv optimize --report` from the command line: tables on stdout, JSON
// with --json, files with --html / --report, no progress bar off a terminal, one-line errors.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { BufferIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { convertToGraphs, exportGraphs } from '../../src/convert/convert.js';
import { fixture, need, sharedData } from '../helpers/shared.js';
import { tmpDir } from '../helpers/tmp.js';

const KWS = fixture('mlcommons-tiny-kws/kws_ref_model');
const OFFICIAL = fixture('mlcommons-tiny-kws/kws_ref_model_int8_matching.tflite');
const CALIBRATION = sharedData('kws-mfcc/calibration.npy');

test('tfconv report: worst layers first in tables, --json, --html and --report files', async (t) => {
  if (!need(t, KWS, OFFICIAL, CALIBRATION)) return;
  const dir = tmpDir(t);
  const float = path.join(dir, 'kws.tflite');
  fs.writeFileSync(float, exportGraphs(convertToGraphs(KWS).graphs).bytes);
  const html = path.join(dir, 'r.html');
  const json = path.join(dir, 'r.json');
  const io = new BufferIO();
  const code = await main(['report', float, OFFICIAL, '--representative', CALIBRATION, '--samples', '40', '--html', html, '--report', json, '--top', '5'], io);
  assert.equal(code, 0, io.errText);
  assert.match(io.out, /^Quantization report: .*kws_ref_model_int8_matching\.tflite against .*kws\.tflite\n/);
  assert.match(io.out, /data: calibration\.npy \(40 of 200 samples\)/);
  assert.match(io.out, /Layers, worst first \(5 of 13;/);
  assert.match(io.out, /│ Identity │ \[1,12\] │ +\d+\.\d\d │/);
  assert.match(io.out, /ops that stayed float: none/);
  assert.match(io.out, /Below 15 dB: none/);
  // Worst first: the first row's own SQNR is the smallest shown.
  const alone = [...io.out.matchAll(/^│ +\d+ │ [A-Z_0-9]+ +│[^│]+│[^│]+│[^│]+│[^│]+│[^│]+│ +([\d.]+|exact) │/gm)].map((m) => Number(m[1]));
  assert.equal(alone.length, 5);
  assert.deepEqual(alone, alone.slice().sort((a, b) => a - b));
  assert.doesNotMatch(io.out, /\x1b\[/);
  assert.match(io.errText, new RegExp(`tfconv: wrote ${html.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.doesNotMatch(io.errText, /report .*samples/); // no progress bar off a terminal
  assert.match(fs.readFileSync(html, 'utf8'), /<svg id="chart-sqnr"/);
  const fromFile = JSON.parse(fs.readFileSync(json, 'utf8'));
  assert.equal(fromFile.layers.length, 13);

  const j = new BufferIO();
  assert.equal(await main(['report', float, OFFICIAL, '--representative', CALIBRATION, '--samples', '40', '--json'], j), 0, j.errText);
  assert.equal(j.out, fs.readFileSync(json, 'utf8'));
  assert.equal(JSON.parse(j.out).outputs[0].key, 'Identity');

  const quiet = new BufferIO();
  assert.equal(await main(['report', float, OFFICIAL, '--representative', CALIBRATION, '--samples', '5', '-q'], quiet), 0);
  assert.equal(quiet.out + quiet.errText, '');
});

test('tfconv optimize --report: the summary lines, and one-line errors', async (t) => {
  if (!need(t, KWS, CALIBRATION)) return;
  const dir = tmpDir(t);
  const out = path.join(dir, 'kws_int8.tflite');
  const html = path.join(dir, 'kws.html');
  const io = new BufferIO();
  const code = await main(['optimize', KWS, '-o', out, '--quantize', 'int8', '--representative', CALIBRATION, '--calibration-samples', '40', '--report', html], io);
  assert.equal(code, 0, io.errText);
  assert.match(io.out, /report: .*kws\.html: output SQNR dense \d+\.\d\d dB \(top-1 \d+\.\d%\) on 40 samples\n/);
  assert.match(io.out, /worst layers \(own error\): #\d+ [A-Z_0-9]+ \S+( \+\d)? \d+\.\d\d dB, /);
  assert.ok(fs.existsSync(html));

  const cases: [string[], number, RegExp][] = [
    [['optimize', KWS, '-o', out, '--report', html], 2, /--report: needs --quantize/],
    [['optimize', KWS, '-o', out, '--quantize', 'int8', '--representative', CALIBRATION, '--report', path.join(dir, 'r.csv')], 2, /'.*r\.csv' must end in \.json or \.html/],
    [['report', out, out], 1, /a quantization report runs the float and the quantized model on representative data/],
    [['report', out, out, '--representative', CALIBRATION, '--top', '-1'], 2, /--top: must be a non-negative integer/],
    [['report', path.join(dir, 'none.tflite'), out, '--representative', CALIBRATION], 1, /none\.tflite: no such file/],
  ];
  for (const [argv, exit, message] of cases) {
    const e = new BufferIO();
    assert.equal(await main(argv, e), exit, `${argv.join(' ')}: ${e.errText}`);
    assert.match(e.errText, message);
    assert.equal(e.errText.split('\n').filter((l) => l.startsWith('tfconv: error:')).length, 1);
  }
});
