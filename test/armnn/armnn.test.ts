// A second, independent runtime: Arm NN 20.08 (Debian's python3-pyarmnn, its own TfLite parser and
// the CpuRef reference backend, no TFLite code) loads and runs our int8 KWS model and agrees with
// TFLite within 1 LSB. Skips with a message where pyarmnn is not installed (.ci/run installs it).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { TensorValue } from '../../src/core/tensor.js';
import { convertToGraphs, exportGraphs } from '../../src/convert/convert.js';
import { decodeNpy, encodeNpy, readTensorFile } from '../../src/io/index.js';
import { quantizeGraphs } from '../../src/quantize/index.js';
import { TfliteRuntime } from '../../src/runtime/tflite.js';
import { PACKAGE_ROOT } from '../../src/util/package.js';
import { feed, ioQuant } from '../helpers/quant-compare.js';
import { fixture, need, sharedData } from '../helpers/shared.js';
import { tmpDir } from '../helpers/tmp.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(PACKAGE_ROOT, 'test', 'armnn', 'run_tflite.py');
const KWS = fixture('mlcommons-tiny-kws/kws_ref_model');
const CALIBRATION = sharedData('kws-mfcc/calibration.npy');
const EVALUATION = sharedData('kws-mfcc/evaluation.npy');

function armnnMissing(): string | null {
  if (!fs.existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = spawnSync(PYTHON, ['-c', 'import pyarmnn'], { encoding: 'utf8' });
  return r.status === 0 ? null : 'pyarmnn is not installed (apt-get install -y python3-pyarmnn libarmnntfliteparser22 libarmnn-cpuref-backend22)';
}

test('Arm NN runs our int8 KWS model and agrees with TFLite within 1 LSB', async (t) => {
  const missing = armnnMissing();
  if (missing) {
    t.skip(missing);
    return;
  }
  if (!need(t, KWS, CALIBRATION, EVALUATION)) return;
  const dir = tmpDir(t);
  const converted = convertToGraphs(KWS);
  const rt = await TfliteRuntime.load();
  const evaluation = readTensorFile(EVALUATION).get('') as TensorValue;
  const n = 16;
  for (const io of ['int8', 'float32'] as const) {
    const q = await quantizeGraphs(converted, { mode: 'int8', representative: CALIBRATION, inferenceInputType: io, inferenceOutputType: io }, { log: () => {}, progress: false });
    const bytes = exportGraphs(q.graphs).bytes;
    const model = path.join(dir, `kws_${io}.tflite`);
    fs.writeFileSync(model, bytes);
    const quant = ioQuant(bytes);
    // The samples as the model takes them, and TFLite's answers.
    const inputs = Array.from({ length: n }, (_, i) =>
      feed({ dtype: 'float32', shape: [1, 49, 10, 1], data: (evaluation.data as Float32Array).slice(i * 490, (i + 1) * 490) }, quant.inputs[0]),
    );
    const m = rt.loadModel(bytes);
    const tflite = inputs.map((x) => Array.from(m.run([x])[0].data as ArrayLike<number>));
    m.dispose();
    const stacked: TensorValue = {
      dtype: inputs[0].dtype,
      shape: [n, 49, 10, 1],
      data: io === 'int8' ? Int8Array.from(inputs.flatMap((x) => Array.from(x.data as Int8Array))) : Float32Array.from(inputs.flatMap((x) => Array.from(x.data as Float32Array))),
    };
    const inFile = path.join(dir, `in_${io}.npy`);
    const outFile = path.join(dir, `out_${io}.npy`);
    fs.writeFileSync(inFile, encodeNpy(stacked));
    const r = spawnSync(PYTHON, [SCRIPT, model, inFile, outFile], { encoding: 'utf8' });
    assert.equal(r.status, 0, `Arm NN failed on the ${io} model: ${r.stderr.split('\n').filter((l) => l && !/Skipped|does not support/.test(l)).join(' | ')}`);
    const armnn = decodeNpy(new Uint8Array(fs.readFileSync(outFile)), outFile);
    assert.deepEqual(armnn.shape, [n, 12]);
    // 1 LSB of the output: 1 for int8 values, the output scale (1/256) for the float output.
    const lsb = io === 'int8' ? 1 : 1 / 256;
    let worst = 0;
    let exact = 0;
    tflite.forEach((row, i) =>
      row.forEach((v, k) => {
        const d = Math.abs(v - Number((armnn.data as ArrayLike<number>)[i * 12 + k]));
        worst = Math.max(worst, d);
        if (d === 0) exact++;
      }),
    );
    t.diagnostic(`${io} I/O: ${exact} of ${n * 12} outputs identical, largest difference ${(worst / lsb).toFixed(2)} LSB`);
    assert.ok(worst <= lsb * (1 + 1e-6), `${io}: Arm NN and TFLite differ by ${worst / lsb} LSB`);
  }
});
