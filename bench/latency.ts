// Inference latency in the TFLite WASM runtime (TFLite's own interpreter with XNNPACK, one
// thread): every .tflite of one model (each mode, and the official file where there is one)
// loaded in the same process and run in interleaved rounds, so machine load hits all of them
// alike. Reported: the median and the fastest single inference after two warm-up runs.
//   node dist/bench/latency.js JOB.json   (internal: bench/run.ts writes the job)

import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DType } from '../src/core/dtype.js';
import type { TensorValue } from '../src/core/tensor.js';
import { type LoadedTflite, TfliteRuntime } from '../src/runtime/tflite.js';
import { firstErrorLine, measureNode, median, round } from './common.js';

export interface LatencyJob {
  /** Seconds of measuring per model (rounds continue until it is spent). */
  budgetS: number;
  files: { label: string; file: string }[];
}

export interface LatencyRecord {
  label: string;
  file: string;
  ok: boolean;
  error?: string;
  medianMs: number;
  minMs: number;
  runs: number;
  loadMs: number;
  /** Size of the file. */
  bytes: number;
}

function seededInputs(m: LoadedTflite): TensorValue[] {
  let s = 12345;
  const next = () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s / 2 ** 32;
  };
  return m.inputs.map((i) => {
    const dtype = i.dtype as DType | null;
    if (dtype === null) throw new Error(`input '${i.name}' has a type the WASM runtime cannot feed`);
    const n = i.shape.reduce((a, b) => a * b, 1);
    let data: TensorValue['data'];
    if (dtype === 'float32') data = Float32Array.from({ length: n }, () => next() * 2 - 1);
    else if (dtype === 'int8') data = Int8Array.from({ length: n }, () => Math.floor(next() * 256) - 128);
    else if (dtype === 'uint8') data = Uint8Array.from({ length: n }, () => Math.floor(next() * 256));
    else if (dtype === 'int16') data = Int16Array.from({ length: n }, () => Math.floor(next() * 65536) - 32768);
    else if (dtype === 'int32') data = new Int32Array(n);
    else if (dtype === 'bool') data = new Uint8Array(n);
    else throw new Error(`input '${i.name}' is ${dtype}, which this benchmark does not generate`);
    return { dtype, shape: i.shape.slice(), data };
  });
}

async function child(jobFile: string, outFile: string): Promise<void> {
  const job = JSON.parse(fs.readFileSync(jobFile, 'utf8')) as LatencyJob;
  const rt = await TfliteRuntime.load();
  const live: { rec: LatencyRecord; model: LoadedTflite; inputs: TensorValue[]; times: number[] }[] = [];
  const records: LatencyRecord[] = [];
  for (const f of job.files) {
    const rec: LatencyRecord = { label: f.label, file: f.file, ok: false, medianMs: NaN, minMs: NaN, runs: 0, loadMs: NaN, bytes: 0 };
    records.push(rec);
    try {
      const bytes = fs.readFileSync(f.file);
      rec.bytes = bytes.length;
      const t = performance.now();
      const model = rt.loadModel(bytes, { name: f.label });
      rec.loadMs = round(performance.now() - t, 1);
      const inputs = seededInputs(model);
      // Two warm-up runs: the first allocates and packs weights (XNNPACK).
      for (let k = 0; k < 2; k++) model.runVisit(inputs, () => {}, { outputs: [0] });
      live.push({ rec, model, inputs, times: [] });
    } catch (e) {
      rec.error = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    }
  }
  const deadline = performance.now() + job.budgetS * 1000;
  for (let round = 0; live.length > 0 && round < 1000; round++) {
    for (const l of [...live]) {
      const t = performance.now();
      try {
        l.model.runVisit(l.inputs, () => {}, { outputs: [0] });
      } catch (e) {
        l.rec.error = (e instanceof Error ? e.message : String(e)).split('\n')[0];
        live.splice(live.indexOf(l), 1);
        continue;
      }
      l.times.push(performance.now() - t);
    }
    if (round >= 4 && performance.now() > deadline) break;
  }
  for (const l of live) {
    l.rec.ok = true;
    l.rec.runs = l.times.length;
    l.rec.medianMs = round(median(l.times), 3);
    l.rec.minMs = round(Math.min(...l.times), 3);
    l.model.dispose();
  }
  fs.writeFileSync(outFile, JSON.stringify(records));
}

/**
 * Files larger than this together do not fit one WebAssembly instance (each is copied into its
 * heap and its weights repacked): they are measured one per process, not interleaved.
 */
export const SHARED_INSTANCE_BYTES = 256 * 2 ** 20;

/** Measure one model's files in a child process of their own (one each, when they are large). */
export function latencyBench(job: LatencyJob, log: (s: string) => void): LatencyRecord[] {
  const total = job.files.reduce((n, f) => n + (fs.existsSync(f.file) ? fs.statSync(f.file).size : 0), 0);
  if (total > SHARED_INSTANCE_BYTES && job.files.length > 1) {
    return job.files.flatMap((f) => latencyBench({ ...job, files: [f] }, log));
  }
  return latencyProcess(job, log);
}

function latencyProcess(job: LatencyJob, log: (s: string) => void): LatencyRecord[] {
  const dir = fs.mkdtempSync(`${fs.realpathSync(process.env.TMPDIR ?? '/tmp')}/tfconv-bench-latency-`);
  try {
    const jobFile = `${dir}/job.json`;
    const outFile = `${dir}/out.json`;
    fs.writeFileSync(jobFile, JSON.stringify(job));
    const r = measureNode(fileURLToPath(import.meta.url), [jobFile, outFile]);
    if (!r.ok || !fs.existsSync(outFile)) {
      const why = firstErrorLine(r);
      log(`latency: ${job.files.map((f) => f.label).join(', ')}: FAILED: ${why}`);
      return job.files.map((f) => ({ label: f.label, file: f.file, ok: false, error: why, medianMs: NaN, minMs: NaN, runs: 0, loadMs: NaN, bytes: 0 }));
    }
    const recs = JSON.parse(fs.readFileSync(outFile, 'utf8')) as LatencyRecord[];
    for (const x of recs) {
      log(x.ok ? `latency: ${x.label}: median ${x.medianMs} ms, fastest ${x.minMs} ms (${x.runs} runs; load ${x.loadMs} ms)` : `latency: ${x.label}: FAILED: ${x.error}`);
    }
    return recs;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await child(process.argv[2], process.argv[3]);
