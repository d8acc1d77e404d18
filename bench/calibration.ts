// Calibration cost per sample against one float inference, on the MLPerf Tiny KWS model and its
// calibration data (goal: <= 2x). Both run the same samples in the same TFLite runtime,
// interleaved sample by sample so machine load hits both alike; medians over rounds.
//   node dist/bench/calibration.js
// Exported as calibrationBench() for bench/run.ts; prints one line per method.

import fs from 'node:fs';
import type { TensorValue } from '../src/core/tensor.js';
import { convertToGraphs, exportGraphs } from '../src/convert/convert.js';
import { readTensorFile } from '../src/io/index.js';
import { type RangeCollector, createCollector } from '../src/quantize/calibrate.js';
import { CALIBRATION_METHODS } from '../src/quantize/options.js';
import { IntermediateRunner } from '../src/runtime/intermediates.js';
import { TfliteRuntime } from '../src/runtime/tflite.js';
import { fixture, sharedData } from '../test/helpers/shared.js';

export interface CalibrationBenchLine {
  method: string;
  floatMs: number;
  calibrationMs: number;
  ratio: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function calibrationBench(log: (line: string) => void = console.log): Promise<CalibrationBenchLine[]> {
  const model = fixture('mlcommons-tiny-kws/kws_ref_model');
  const data = sharedData('kws-mfcc/calibration.npy');
  if (!fs.existsSync(model) || !fs.existsSync(data)) {
    log(`calibration: skipped (missing ${model} or ${data})`);
    return [];
  }
  const g = convertToGraphs(model).graphs[0];
  const arr = readTensorFile(data).get('') as TensorValue;
  const per = 49 * 10;
  const samples: TensorValue[] = Array.from({ length: arr.shape[0] }, (_, i) => ({
    dtype: 'float32',
    shape: [1, 49, 10, 1],
    data: (arr.data as Float32Array).subarray(i * per, (i + 1) * per),
  }));
  const rt = await TfliteRuntime.load();
  const float = rt.loadModel(exportGraphs([g]).bytes, { name: 'kws float' });
  // What calibration exposes: every float activation (as int8's planning asks for on this model).
  const runner = await IntermediateRunner.forGraph(g, { select: (t) => t.dtype === 'float32' });
  const out: CalibrationBenchLine[] = [];
  try {
    for (const method of CALIBRATION_METHODS) {
      const collectors = new Map<unknown, RangeCollector>(runner.tensors.map((t) => [t, createCollector(method)]));
      const floatTimes: number[] = [];
      const calTimes: number[] = [];
      for (let round = 0; round < 7; round++) {
        let f = 0;
        let c = 0;
        for (const x of samples) {
          let t = performance.now();
          float.run([x]);
          f += performance.now() - t;
          t = performance.now();
          runner.run([x], (tensor, values) => (collectors.get(tensor) as RangeCollector).add(values as Float32Array));
          c += performance.now() - t;
        }
        // Round 0 warms both up (JIT, first-run allocations).
        if (round > 0) {
          floatTimes.push(f / samples.length);
          calTimes.push(c / samples.length);
        }
      }
      for (const c of collectors.values()) c.range();
      const line = { method, floatMs: median(floatTimes), calibrationMs: median(calTimes), ratio: median(calTimes) / median(floatTimes) };
      out.push(line);
      log(
        `calibration: kws ${method}: ${line.calibrationMs.toFixed(3)} ms/sample vs float inference ${line.floatMs.toFixed(3)} ms/sample = ${line.ratio.toFixed(2)}x (goal <= 2x; ${runner.tensors.length} tensors, ${samples.length} samples)`,
      );
    }
  } finally {
    runner.dispose();
    float.dispose();
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await calibrationBench();
}
