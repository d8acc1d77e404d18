// `tfconv optimize --quantize int8` from the command line: the output line, the notes on stderr,
// no progress bar without a terminal, and one-line errors with the right exit codes.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { BufferIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { encodeNpy } from '../../src/io/index.js';
import { readTflite } from '../../src/tflite/index.js';
import { fixture, need, sharedData } from '../helpers/shared.js';
import { tmpDir } from '../helpers/tmp.js';

const KWS = fixture('mlcommons-tiny-kws/kws_ref_model');
const CALIBRATION = sharedData('kws-mfcc/calibration.npy');

test('optimize --quantize int8: writes an int8 model, notes on stderr, no progress bar off a terminal', async (t) => {
  if (!need(t, KWS, CALIBRATION)) return;
  const out = path.join(tmpDir(t), 'kws_int8.tflite');
  const io = new BufferIO();
  const code = await main(
    ['optimize', KWS, '-o', out, '--quantize', 'int8', '--representative', CALIBRATION, '--calibration', 'percentile', '--calibration-samples', '50', '--inference-input-type', 'int8'],
    io,
  );
  assert.equal(code, 0, io.errText);
  assert.match(io.out, /kws_int8\.tflite \(45\.\d KiB, 0\.48x of float 95\.0 KiB, 14 ops/);
  assert.match(io.out, /ops: CONV_2D x5, DEPTHWISE_CONV_2D x4, DEQUANTIZE x1, FULLY_CONNECTED x1, MEAN x1, RESHAPE x1, SOFTMAX x1/);
  assert.match(io.errText, /tfconv: note: int8: calibrated \(percentile 99\.99\) on calibration\.npy \(50 of 200 samples\), [\d.]+ ms\/sample/);
  assert.doesNotMatch(io.errText, /calibrating/);
  const m = readTflite(new Uint8Array(fs.readFileSync(out)), out);
  assert.equal(m.subgraphs[0].tensors[m.subgraphs[0].inputs[0]].type, 9);
});

test('optimize --quantize int8: bad data and bad options are one-line errors', async (t) => {
  if (!need(t, KWS)) return;
  const dir = tmpDir(t);
  const bad = path.join(dir, 'bad.npy');
  fs.writeFileSync(bad, encodeNpy({ dtype: 'float32', shape: [2, 10, 49], data: new Float32Array(980) }));
  const cases: [string[], number, RegExp][] = [
    [['--quantize', 'int8'], 1, /^tfconv: error: int8 quantization needs representative data: pass --representative PATH/],
    [['--quantize', 'int8', '--representative', bad], 1, /^tfconv: error: .*bad\.npy: the array has shape \[2, 10, 49\]: samples of shape \[10, 49\] do not fit input 'input_1' of shape \[1, 49, 10, 1\]/],
    [['--quantize', 'int8', '--representative', 'random', '--exclude-nodes', '('], 2, /^tfconv: error: --exclude-nodes: not a valid regular expression/],
    [['--quantize', 'dynamic', '--representative', 'random'], 2, /^tfconv: error: --representative: applies to --quantize int8 only/],
    [['--quantize', 'int8', '--representative', 'random', '--percentile', '30'], 2, /^tfconv: error: --percentile: must be in \(50, 100\]/],
  ];
  for (const [args, exit, re] of cases) {
    const io = new BufferIO();
    const code = await main(['optimize', KWS, '-o', path.join(dir, 'x.tflite'), ...args], io);
    assert.equal(code, exit, `${args.join(' ')}: ${io.errText}`);
    assert.match(io.errText, re);
    // One line (usage errors add the CLI's "Run tfconv --help" hint).
    const lines = io.errText.trim().split('\n');
    assert.equal(lines.length, exit === 2 ? 2 : 1, io.errText);
    if (exit === 2) assert.match(lines[1], /^Run tfconv --help/);
  }
  assert.ok(!fs.existsSync(path.join(dir, 'x.tflite')));
});
