// --verify on quantized models: outputs pass by SQNR against the TF reference, int8/uint8 model
// inputs and outputs go through the parameters stored in the file, and an int8 model calibrated on
// data is checked on that data.

import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_MIN_SQNR, optimize } from '../../src/api/optimize.js';
import { fixture, need, sharedData } from '../helpers/shared.js';
import { tmpDir } from '../helpers/tmp.js';

const KWS = fixture('mlcommons-tiny-kws/kws_ref_model');
const CALIBRATION = sharedData('kws-mfcc/calibration.npy');

test('int8 with int8 input and uint8 output: verified on calibration rows by SQNR, above the default', async (t) => {
  if (!need(t, KWS, CALIBRATION)) return;
  const r = await optimize(KWS, {
    output: path.join(tmpDir(t), 'k.tflite'),
    quantize: { mode: 'int8', representative: CALIBRATION, calibration: 'mse', inferenceInputType: 'int8', inferenceOutputType: 'uint8' },
    verify: { samples: 10 },
  });
  const v = r.verify;
  assert.ok(v);
  assert.equal(v.minSqnr, DEFAULT_MIN_SQNR.int8);
  assert.equal(v.samples, 10);
  const [o] = v.outputs;
  // Dequantized softmax against TF on real speech features: measured 24 dB; random inputs would
  // lie outside the calibrated ranges and measure nothing useful.
  assert.ok(o.pass && o.sqnr > 18 && Number.isFinite(o.sqnr), JSON.stringify(o));
  assert.ok(o.maxAbs > 1e-3, 'quantized, not float by accident');
});

test('float16 and dynamic verify by SQNR; an explicit tolerance brings the float test back (and fails)', async (t) => {
  if (!need(t, KWS)) return;
  const dir = tmpDir(t);
  const f16 = await optimize(KWS, { output: path.join(dir, 'h.tflite'), quantize: { mode: 'float16' }, verify: true });
  assert.ok(f16.verify?.pass && (f16.verify.outputs[0].sqnr ?? 0) > 40, JSON.stringify(f16.verify));
  const dyn = await optimize(KWS, { output: path.join(dir, 'd.tflite'), quantize: { mode: 'dynamic' }, verify: true });
  assert.ok(dyn.verify?.pass && dyn.verify.outputs[0].sqnr > DEFAULT_MIN_SQNR.dynamic, JSON.stringify(dyn.verify));
  const strict = await optimize(KWS, { output: path.join(dir, 's.tflite'), quantize: { mode: 'dynamic' }, verify: { atol: 1e-5, rtol: 1e-5 } });
  assert.equal(strict.verify?.minSqnr, undefined);
  assert.equal(strict.verify?.pass, false);
});
