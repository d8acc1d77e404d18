// Where a conversion spends its time and memory, stage by stage: convert (read, prepare, import,
// passes, with each pass's time), export, FlatBuffer write and file write, with the resident set
// size, the memory in ArrayBuffers (model weights live there) and the process's peak RSS after
// each. Run after a build, on any model (e.g. a generated one in `npm run bench`'s cache):
//   node [--expose-gc] dist/bench/stages.js MODEL [--keep-prepared] [--gc] [--json]
// By default it follows the CLI (optimize with keepPrepared: false): the frozen TF graph (the
// weights in checkpoint layout) is let go before the passes and the dead weights are collected
// before export; --keep-prepared follows the API's default, which keeps the frozen graph.
// With --gc (needs --expose-gc) each stage is followed by a full collection, so the figures
// show what is still referenced rather than garbage not yet collected. Peak RSS comes from
// process.resourceUsage().maxRSS: it never goes down, so the stage where it jumps is the stage
// that needed the memory.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DESCRIPTION, convertToGraphs } from '../src/convert/convert.js';
import { graphsToTflite } from '../src/export/to-tflite.js';
import { minRuntimeVersionOf } from '../src/lower/op-versions.js';
import { releaseDeadWeights } from '../src/util/memory.js';
import { writeTflite } from '../src/tflite/index.js';
import { writeFileAtomic } from '../src/writers/atomic-file.js';

export interface StageLine {
  stage: string;
  ms: number;
  rssMiB: number;
  arrayBuffersMiB: number;
  heapUsedMiB: number;
  peakRssMiB: number;
}

const MiB = 2 ** 20;
const round1 = (x: number) => Math.round(x * 10) / 10;

export function stageProfile(model: string, opts: { gc?: boolean; keepPrepared?: boolean } = {}): StageLine[] {
  const lines: StageLine[] = [];
  const gc = opts.gc ? (globalThis as { gc?: () => void }).gc : undefined;
  let t = performance.now();
  const mark = (stage: string) => {
    const ms = performance.now() - t;
    gc?.();
    const m = process.memoryUsage();
    lines.push({
      stage,
      ms: round1(ms),
      rssMiB: round1(m.rss / MiB),
      arrayBuffersMiB: round1(m.arrayBuffers / MiB),
      heapUsedMiB: round1(m.heapUsed / MiB),
      peakRssMiB: round1((process.resourceUsage().maxRSS * 1024) / MiB),
    });
    t = performance.now();
  };
  mark('start');
  const converted = convertToGraphs(model, { keepPrepared: opts.keepPrepared === true });
  mark('convert (read, prepare, import, passes)');
  // The passes that took a millisecond or more, under the line of the stage they belong to.
  for (const run of converted.passRuns.flat()) {
    if (run.ms >= 1) lines.push({ stage: `  pass ${run.name}`, ms: round1(run.ms), rssMiB: NaN, arrayBuffersMiB: NaN, heapUsedMiB: NaN, peakRssMiB: NaN });
  }
  // As optimize() with keepPrepared: false (the CLI) does.
  if (!opts.keepPrepared) {
    releaseDeadWeights(converted.graphs);
    mark('collect the dead original weights');
  }
  const tfl = graphsToTflite(converted.graphs, { description: DESCRIPTION });
  mark('export (graph -> TfliteModel)');
  const bytes = writeTflite(tfl, { minRuntimeVersion: minRuntimeVersionOf(converted.graphs) });
  mark('FlatBuffer (TfliteModel -> bytes)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfconv-stages-'));
  try {
    writeFileAtomic(path.join(dir, 'model.tflite'), bytes);
    mark(`write file (${(bytes.length / MiB).toFixed(1)} MiB)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const model = process.argv[2];
  if (!model) {
    console.log('usage: node [--expose-gc] dist/bench/stages.js MODEL [--keep-prepared] [--gc] [--json]');
    process.exit(2);
  }
  const lines = stageProfile(model, { gc: process.argv.includes('--gc'), keepPrepared: process.argv.includes('--keep-prepared') });
  if (process.argv.includes('--json')) console.log(JSON.stringify(lines));
  else {
    const f = (x: number) => (Number.isNaN(x) ? '' : x.toFixed(1));
    console.log(`${'stage'.padEnd(42)} ${'ms'.padStart(8)} ${'RSS'.padStart(8)} ${'ArrayBuf'.padStart(8)} ${'heap'.padStart(8)} ${'peak'.padStart(8)}  (MiB)`);
    for (const l of lines) console.log(`${l.stage.padEnd(42)} ${f(l.ms).padStart(8)} ${f(l.rssMiB).padStart(8)} ${f(l.arrayBuffersMiB).padStart(8)} ${f(l.heapUsedMiB).padStart(8)} ${f(l.peakRssMiB).padStart(8)}`);
  }
}
