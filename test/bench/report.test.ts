// docs/benchmarks.md and docs/benchmarks-scaling.svg are generated from bench/results.json by
// bench/report.ts: the committed docs must be what the committed results give, and the goals must
// be judged as the report says.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { benchmarksMarkdown, evaluateGoals, scalingSvg } from '../../bench/report.js';
import type { BenchResults } from '../../bench/results.js';
import { PACKAGE_ROOT } from '../../src/util/package.js';

const RESULTS = path.join(PACKAGE_ROOT, 'bench', 'results.json');

test('docs/benchmarks.md and the scaling plot are what bench/report.ts makes of bench/results.json', (t) => {
  if (!fs.existsSync(RESULTS)) return void t.skip('no bench/results.json yet (npm run bench)');
  const r = JSON.parse(fs.readFileSync(RESULTS, 'utf8')) as BenchResults;
  assert.deepEqual(evaluateGoals(r), r.goals, 'goals as stored');
  assert.equal(fs.readFileSync(path.join(PACKAGE_ROOT, 'docs', 'benchmarks.md'), 'utf8'), benchmarksMarkdown(r), 'docs/benchmarks.md is stale: node dist/bench/report.js');
  assert.equal(fs.readFileSync(path.join(PACKAGE_ROOT, 'docs', 'benchmarks-scaling.svg'), 'utf8'), scalingSvg(r), 'the SVG is stale: node dist/bench/report.js');
});

function synthetic(over: { wallMs?: number; bigWallMs?: number; bigRssMiB?: number; ratio?: number; ours?: number }): BenchResults {
  const conv = (model: string, wallMs: number, peakRssMiB: number) => ({
    model, mode: 'none' as const, ok: true, wallMs, wallRuns: [wallMs], cpuMs: wallMs, convertMs: wallMs / 2, peakRssMiB, outputBytes: 1, ops: 1, load: 0,
  });
  const lat = (model: string, mode: string, medianMs: number) => ({ model, mode, label: `${model} [${mode}]`, file: 'x', ok: true, medianMs, minMs: medianMs, runs: 5, loadMs: 1, bytes: 1 });
  return {
    schema: 1, date: '2026-01-01T00:00:00.000Z', quick: false, durationS: 60,
    machine: { cpu: 'test', cores: 2, memoryGiB: 8, os: 'test', node: 'v20', tfconv: '0', loadStart: 0, loadEnd: 0 },
    models: [
      { name: 'mobilenetv2-1.0-224', kind: 'generated', source: 'g', params: 3.5e6, weightsBytes: 14e6 },
      { name: 'mlp-100M', kind: 'generated', source: 'g', params: 1e8, weightsBytes: 4e8, scaling: true },
      { name: 'kws', kind: 'fixture', source: 'f', weightsBytes: 3e5, official: { file: 'k.tflite', mode: 'int8', note: '' } },
    ],
    conversions: [conv('mobilenetv2-1.0-224', over.wallMs ?? 900, 150), conv('mlp-100M', over.bigWallMs ?? 1900, over.bigRssMiB ?? 900)],
    latency: [lat('kws', 'int8', over.ours ?? 1), lat('kws', 'official', 1)],
    calibration: [{ model: 'kws', method: 'minmax', floatMs: 1, calibrationMs: over.ratio ?? 1.5, ratio: over.ratio ?? 1.5, tensors: 1, samples: 1 }],
    stages: null,
    goals: [],
  };
}

test('goals: each passes at its threshold and fails beyond it', () => {
  const pass = (r: BenchResults) => evaluateGoals(r).map((g) => g.pass);
  assert.deepEqual(pass(synthetic({})), [true, true, true, true, true]);
  // 1 s for MobileNetV2; 200 MB/s on 400 MB = 2 s; 2.5 x 400 MB = 953.7 MiB; 2x calibration; 5% latency noise.
  assert.deepEqual(pass(synthetic({ wallMs: 1000, bigWallMs: 2001, bigRssMiB: 954, ratio: 2.01, ours: 1.06 })), [false, false, false, false, false]);
  assert.deepEqual(pass(synthetic({ wallMs: 999, bigWallMs: 2000, bigRssMiB: 953, ratio: 2, ours: 1.05 })), [true, true, true, true, true]);
  const s = synthetic({});
  s.goals = evaluateGoals(s);
  const md = benchmarksMarkdown(s);
  assert.match(md, /\| float conversion of the MobileNetV2-shaped model, wall time including Node start-up \| 900 ms/);
  assert.match(scalingSvg(synthetic({})), /^<svg [^>]*width="900"/);
});
