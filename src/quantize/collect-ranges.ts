// Calibration runs: the FLOAT graph in the real TFLite runtime (a debug copy with the wanted
// tensors exposed, src/runtime/intermediates.ts), every representative sample once, each exposed
// tensor's values fed to its range collector. Progress bar on stderr when allowed.

import cliProgress from 'cli-progress';
import { err } from '../errors/index.js';
import type { Graph, Tensor } from '../graph/ir.js';
import { IntermediateRunner } from '../runtime/intermediates.js';
import { type CollectorOptions, type RangeCollector, type TensorRange, createCollector } from './calibrate.js';
import type { CalibrationMethod } from './options.js';
import type { Representative } from './representative.js';

export interface CollectOptions extends CollectorOptions {
  method: CalibrationMethod;
  /** Draw a progress bar on stderr. */
  progress?: boolean;
}

export interface CollectedRanges {
  ranges: Map<Tensor, TensorRange>;
  /** Non-finite values skipped, by tensor (only tensors that had some). */
  nonFinite: Map<Tensor, number>;
  /** Wall time of the runs and statistics (ms), and how many samples. */
  ms: number;
  samples: number;
}

export async function collectRanges(g: Graph, tensors: ReadonlySet<Tensor>, data: Representative, o: CollectOptions): Promise<CollectedRanges> {
  if (data.count === 0) throw err.noRepresentativeData();
  const runner = await IntermediateRunner.forGraph(g, { select: (t) => tensors.has(t), name: `${g.name} (calibration copy)` });
  const collectors = new Map<Tensor, RangeCollector>();
  for (const t of runner.tensors) collectors.set(t, createCollector(o.method, o));
  const bar = o.progress ? new cliProgress.SingleBar({ stream: process.stderr, format: 'tfconv: calibrating {bar} {value}/{total} samples', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic) : null;
  bar?.start(data.count, 0);
  const t0 = performance.now();
  try {
    for (let i = 0; i < data.count; i++) {
      const sample = data.sample(i);
      runner.run(sample, (t, values) => {
        // Only float32 tensors are selected for ranges; bigint arrays never reach here.
        (collectors.get(t) as RangeCollector).add(values as Float32Array);
      });
      bar?.increment();
    }
  } finally {
    bar?.stop();
    runner.dispose();
  }
  const ms = performance.now() - t0;
  const ranges = new Map<Tensor, TensorRange>();
  const nonFinite = new Map<Tensor, number>();
  for (const t of tensors) {
    const c = collectors.get(t);
    if (!c) throw err.internal(`calibration did not see tensor '${t.name}'`);
    ranges.set(t, c.range());
    if (c.nonFinite) nonFinite.set(t, c.nonFinite);
  }
  return { ranges, nonFinite, ms, samples: data.count };
}
