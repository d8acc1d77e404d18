// Calibration cost per sample against one float inference, on the MLPerf Tiny KWS model and its
// calibration data (goal: <= 2x). Both run the same samples in the same TFLite runtime,
// interleaved sample by sample so machine load hits both alike; the fastest of several rounds
// (other processes only ever add time). Each method runs in its own process, as it does for a
// user (one method per run: the JIT then sees one kind of collector).
//   node dist/bench/calibration.js
// Exported as calibrationBench() for bench/run.ts; prints one line per method.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TensorValue } from '../src/core/tensor.js';
import { convertToGraphs, exportGraphs } from '../src/convert/convert.js';
import { readTensorFile } from '../src/io/index.js';
import { type RangeCollector, createCollector } from '../src/quantize/calibrate.js';
import { CALIBRATION_METHODS, type CalibrationMethod } from '../src/quantize/options.js';
import { IntermediateRunner } from '../src/runtime/intermediates.js';
import { TfliteRuntime } from '../src/runtime/tflite.js';
import { fixture, sharedData } from '../test/helpers/shared.js';

export interface CalibrationBenchLine {
  method: string;
  floatMs: number;
  calibrationMs: number;
  ratio: number;
}

export async function calibrationBench(log: (line: string) => void = console.log): Promise<CalibrationBenchLine[]> {
  const out: CalibrationBenchLine[] = [];
  for (const method of CALIBRATION_METHODS) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), method], { encoding: 'utf8' });
    if (r.status !== 0) {
      log(`calibration: ${method}: failed (${r.stderr.trim().split('\n').pop()})`);
      continue;
    }
    const line = r.stdout.trim().split('\n').find((l) => l.startsWith('{'));
    if (!line) {
      log(r.stdout.trim());
      continue;
    }
    const result = JSON.parse(line) as CalibrationBenchLine & { text: string };
    log(result.text);
    out.push({ method: result.method, floatMs: result.floatMs, calibrationMs: result.calibrationMs, ratio: result.ratio });
  }
  return out;
}

/** One method, in this process: prints the result as one JSON line (with its text). */
async function benchMethod(method: CalibrationMethod): Promise<void> {
  const model = fixture('mlcommons-tiny-kws/kws_ref_model');
  const data = sharedData('kws-mfcc/calibration.npy');
  if (!fs.existsSync(model) || !fs.existsSync(data)) {
    console.log(`calibration: skipped (missing ${model} or ${data})`);
    return;
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
  try {
    const collectors = new Map<unknown, RangeCollector>(runner.tensors.map((t) => [t, createCollector(method)]));
    const floatTimes: number[] = [];
    const calTimes: number[] = [];
    for (let round = 0; round < 9; round++) {
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
    // Turning statistics into ranges is paid once per calibration: spread over the samples.
    const t = performance.now();
    for (const c of collectors.values()) c.range();
    const rangeMs = (performance.now() - t) / samples.length;
    const floatMs = Math.min(...floatTimes);
    const calibrationMs = Math.min(...calTimes) + rangeMs;
    const line: CalibrationBenchLine = { method, floatMs, calibrationMs, ratio: calibrationMs / floatMs };
    const text =
      `calibration: kws ${method}: ${calibrationMs.toFixed(3)} ms/sample vs float inference ${floatMs.toFixed(3)} ms/sample = ` +
      `${line.ratio.toFixed(2)}x (goal <= 2x; ${runner.tensors.length} tensors, ${samples.length} samples; ranges ${(rangeMs * samples.length).toFixed(0)} ms once)`;
    console.log(JSON.stringify({ ...line, text }));
  } finally {
    runner.dispose();
    float.dispose();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const method = process.argv[2] as CalibrationMethod | undefined;
  if (method) await benchMethod(method);
  else await calibrationBench();
}
