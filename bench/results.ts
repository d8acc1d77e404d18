// The shape of bench/results.json: everything one `npm run bench` measured, with the machine and
// the date, from which bench/report.ts writes docs/benchmarks.md and the scaling plot.

import type { CalibrationBenchLine } from './calibration.js';
import type { MachineInfo } from './common.js';
import type { ConversionRecord } from './convert.js';
import type { LatencyRecord } from './latency.js';
import type { StageLine } from './stages.js';

export interface ModelRecord {
  name: string;
  kind: 'fixture' | 'generated';
  /** Path relative to ../shared/fixtures (fixtures) or the generator (generated). */
  source: string;
  params?: number;
  weightsBytes: number;
  scaling?: boolean;
  official?: { file: string; mode: string; note: string };
}

export interface LatencyEntry extends LatencyRecord {
  model: string;
  /** A conversion mode, or 'official'. */
  mode: string;
}

export interface GoalRecord {
  goal: string;
  measured: string;
  target: string;
  pass: boolean;
  /** How it was measured and what to read into it. */
  note: string;
}

export interface BenchResults {
  schema: 1;
  date: string;
  quick: boolean;
  durationS: number;
  machine: MachineInfo;
  models: ModelRecord[];
  conversions: Omit<ConversionRecord, 'output'>[];
  latency: LatencyEntry[];
  calibration: CalibrationBenchLine[];
  /** Stage by stage, on the largest model: the CLI's path, and the API's (frozen TF graph kept). */
  stages: { model: string; weightsBytes: number; cli: StageLine[]; api: StageLine[] } | null;
  goals: GoalRecord[];
}
