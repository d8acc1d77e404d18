// Calibration cost per sample against one float inference (goal: <= 2x), on the MLPerf Tiny KWS
// model with its calibration data and on the MobileNetV2-shaped model with seeded inputs. Both
// sides run the same samples in the same TFLite runtime, interleaved sample by sample so machine
// load hits both alike; the fastest of several rounds (other processes only ever add time). Each
// method runs in its own process, as it does for a user (one method per run: the JIT then sees
// one kind of collector).
//   node dist/bench/calibration.js [METHOD [MODEL N]]   (MODEL N: N seeded normal samples)
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
  model: string;
  method: string;
  floatMs: number;
  calibrationMs: number;
  ratio: number;
  tensors: number;
  samples: number;
}

/** What to calibrate: the KWS fixture and its data, or a model with N seeded normal samples. */
export interface CalibrationTarget {
  name: string;
  model?: string;
  randomSamples?: number;
}

export async function calibrationBench(
  log: (line: string) => void = console.log,
  targets: readonly CalibrationTarget[] = [{ name: 'kws ds-cnn' }],
  methods: readonly CalibrationMethod[] = CALIBRATION_METHODS,
): Promise<CalibrationBenchLine[]> {
  const out: CalibrationBenchLine[] = [];
  for (const target of targets) for (const method of methods) {
    const extra = target.model ? [target.model, String(target.randomSamples ?? 16), target.name] : [];
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), method, ...extra], { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 });
    if (r.status !== 0) {
      log(`calibration: ${method}: failed (${r.stderr.trim().split('\n').pop()})`);
      continue;
    }
    const line = r.stdout.trim().split('\n').find((l) => l.startsWith('{'));
    if (!line) {
      log(r.stdout.trim());
      continue;
    }
    const { text, ...result } = JSON.parse(line) as CalibrationBenchLine & { text: string };
    log(text);
    out.push(result);
  }
  return out;
}

/** Seeded standard normal samples for the graph's one input. */
function randomSamples(shape: readonly number[], count: number): TensorValue[] {
  let s = 7;
  const uniform = () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  const n = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: count }, () => {
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    return { dtype: 'float32' as const, shape: shape.slice(), data };
  });
}

/** One method, in this process: prints the result as one JSON line (with its text). */
async function benchMethod(method: CalibrationMethod, modelArg?: string, count?: number, name = 'kws ds-cnn'): Promise<void> {
  const model = modelArg ?? fixture('mlcommons-tiny-kws/kws_ref_model');
  const data = sharedData('kws-mfcc/calibration.npy');
  if (!fs.existsSync(model) || (!modelArg && !fs.existsSync(data))) {
    console.log(`calibration: skipped (missing ${model} or ${data})`);
    return;
  }
  const g = convertToGraphs(model).graphs[0];
  let samples: TensorValue[];
  if (modelArg) {
    const input = g.inputs[0];
    samples = randomSamples((input.shape ?? []).map((d) => (d < 0 ? 1 : d)), count ?? 16);
  } else {
    const arr = readTensorFile(data).get('') as TensorValue;
    const per = 49 * 10;
    samples = Array.from({ length: arr.shape[0] }, (_, i) => ({
      dtype: 'float32',
      shape: [1, 49, 10, 1],
      data: (arr.data as Float32Array).subarray(i * per, (i + 1) * per),
    }));
  }
  // A large model's rounds are long (100 samples of MobileNetV2 take seconds): fewer suffice.
  const rounds = modelArg ? 3 : 9;
  const rt = await TfliteRuntime.load();
  const float = rt.loadModel(exportGraphs([g]).bytes, { name: `${name} float` });
  // What calibration exposes: every float activation (as int8's planning asks for on this model).
  const runner = await IntermediateRunner.forGraph(g, { select: (t) => t.dtype === 'float32' });
  try {
    const collectors = new Map<unknown, RangeCollector>(runner.tensors.map((t) => [t, createCollector(method)]));
    const floatTimes: number[] = [];
    const calTimes: number[] = [];
    for (let round = 0; round < rounds; round++) {
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
    const line: CalibrationBenchLine = { model: name, method, floatMs, calibrationMs, ratio: calibrationMs / floatMs, tensors: runner.tensors.length, samples: samples.length };
    const text =
      `calibration: ${name} ${method}: ${calibrationMs.toFixed(3)} ms/sample vs float inference ${floatMs.toFixed(3)} ms/sample = ` +
      `${line.ratio.toFixed(2)}x (goal <= 2x; ${runner.tensors.length} tensors, ${samples.length} samples; ranges ${(rangeMs * samples.length).toFixed(0)} ms once)`;
    console.log(JSON.stringify({ ...line, text }));
  } finally {
    runner.dispose();
    float.dispose();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const method = process.argv[2] as CalibrationMethod | undefined;
  if (method) await benchMethod(method, process.argv[3], process.argv[4] ? Number(process.argv[4]) : undefined, process.argv[5]);
  else await calibrationBench();
}
