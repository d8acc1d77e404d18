// Conversion cost per model and mode, as a user pays it: `tfconv optimize` in a child process of
// its own, timed from spawn to exit (Node's start-up and module loading included), with the
// child's peak RSS and CPU time (bench/probe.ts). Each conversion runs a few times; the fastest
// counts (other processes only ever add time) and the largest peak RSS.

import fs from 'node:fs';
import path from 'node:path';
import { BENCH_CACHE, BIN, type ChildMeasure, firstErrorLine, measureNode, round } from './common.js';
import { type BenchModel, CALIBRATION_SAMPLES, MODES, type Mode } from './models.js';

export interface ConversionRecord {
  model: string;
  mode: Mode;
  /** 'official': made the way the model's official .tflite was (e.g. int8 input and output). */
  variant?: 'official';
  ok: boolean;
  error?: string;
  /** Fastest run, spawn to exit. */
  wallMs: number;
  wallRuns: number[];
  /** CPU time (user + system) of the fastest run. */
  cpuMs: number;
  /** What tfconv reports as the conversion's own time (without start-up), fastest run. */
  convertMs: number;
  /** Largest peak RSS over the runs. */
  peakRssMiB: number;
  outputBytes: number;
  ops: number;
  /** 1-minute load average before the fastest run. */
  load: number;
  /** The .tflite written (kept for the latency benchmark). */
  output: string;
}

export function modeArgs(m: BenchModel, mode: Mode): string[] {
  if (mode === 'none') return [];
  if (mode !== 'int8') return ['--quantize', mode];
  const calibrated = m.int8Args.includes('--representative');
  return ['--quantize', 'int8', ...m.int8Args, ...(calibrated ? ['--calibration-samples', String(CALIBRATION_SAMPLES)] : [])];
}

function outputFile(model: string, mode: Mode, variant?: string): string {
  const slug = model.replace(/[^a-zA-Z0-9.-]+/g, '_');
  return path.join(BENCH_CACHE, 'out', `${slug}--${mode}${variant ? `--${variant}` : ''}.tflite`);
}

/** How many times a conversion runs: fewer for the large ones, once in a quick run. */
function repetitions(m: BenchModel, mode: Mode, quick: boolean): number {
  if (quick) return 1;
  if (mode === 'int8') return m.weightsBytes > 50e6 ? 1 : 2;
  return m.weightsBytes > 50e6 ? 3 : 5;
}

export function convertOne(m: BenchModel, mode: Mode, extra: string[], variant: 'official' | undefined, reps: number): ConversionRecord {
  const output = outputFile(m.name, mode, variant);
  fs.mkdirSync(path.dirname(output), { recursive: true });
  const args = ['optimize', m.path, '-o', output, ...m.args, ...(variant ? [] : modeArgs(m, mode)), ...extra];
  const runs: ChildMeasure[] = [];
  for (let i = 0; i < reps; i++) {
    const r = measureNode(BIN, args);
    runs.push(r);
    if (!r.ok) break;
  }
  const failed = runs.find((r) => !r.ok);
  const base = { model: m.name, mode, ...(variant ? { variant } : {}), output };
  if (failed) {
    return { ...base, ok: false, error: firstErrorLine(failed).replace(/^tfconv: error: /, ''), wallMs: NaN, wallRuns: [], cpuMs: NaN, convertMs: NaN, peakRssMiB: NaN, outputBytes: 0, ops: 0, load: failed.load };
  }
  const best = runs.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
  // "<model> -> <output> (13.34 MiB, 65 ops, 311 ms)"; with quantization "(..., 0.27x of float ..., N ops, M ms)".
  const parsed = (r: ChildMeasure) => /(\d+) ops, (\d+) ms\)/.exec(r.stdout);
  const head = parsed(best);
  return {
    ...base,
    ok: true,
    wallMs: best.wallMs,
    wallRuns: runs.map((r) => r.wallMs),
    cpuMs: best.cpuMs,
    convertMs: Math.min(...runs.map((r) => Number(parsed(r)?.[2] ?? NaN))),
    peakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB)),
    outputBytes: fs.statSync(output).size,
    ops: head ? Number(head[1]) : 0,
    load: best.load,
  };
}

/** Every mode of every model, and the official-matching variants; logs one line per conversion. */
export function convertBench(models: readonly BenchModel[], options: { quick: boolean; log: (s: string) => void }): ConversionRecord[] {
  const out: ConversionRecord[] = [];
  const say = (r: ConversionRecord, m: BenchModel) => {
    const what = `${r.model} [${r.mode}${r.variant ? ', as official' : ''}]`;
    if (!r.ok) options.log(`convert: ${what}: FAILED: ${r.error}`);
    else {
      const mbps = r.mode === 'none' && m.weightsBytes > 0 ? `, ${round(m.weightsBytes / 1e6 / (r.wallMs / 1000), 0)} MB/s of weights` : '';
      options.log(
        `convert: ${what}: ${r.wallMs.toFixed(0)} ms wall (runs ${r.wallRuns.map((x) => x.toFixed(0)).join(', ')}; load ${r.load}), ` +
          `${r.cpuMs.toFixed(0)} ms CPU, peak RSS ${r.peakRssMiB.toFixed(0)} MiB, ${(r.outputBytes / 2 ** 20).toFixed(2)} MiB out${mbps}`,
      );
    }
  };
  for (const m of models) {
    for (const mode of MODES) {
      const r = convertOne(m, mode, [], undefined, repetitions(m, mode, options.quick));
      say(r, m);
      out.push(r);
    }
    if (m.official && m.official.args.length > 0) {
      const calibrated = m.official.args.includes('--representative') ? ['--calibration-samples', String(CALIBRATION_SAMPLES)] : [];
      const args = [...(m.official.mode === 'none' ? [] : ['--quantize', m.official.mode]), ...m.official.args, ...calibrated];
      const r = convertOne(m, m.official.mode, args, 'official', repetitions(m, m.official.mode, options.quick));
      say(r, m);
      out.push(r);
    }
  }
  return out;
}
