// --quantize int8: full-integer post-training quantization with calibration.
//
// For each converted float graph: plan which nodes run in int8 (rules table + exclusions),
// refuse early under --full-integer if some would stay float, load the representative data,
// run the float graph in the TFLite runtime to collect activation ranges (minmax, percentile or
// entropy), rewrite a copy of the graph to int8 (./int8-rewrite.ts), and choose op versions for
// the int8 kernels. The float graphs given in are left untouched.
//
// Models with learned ranges (QAT: FakeQuant/QuantizeAndDequantize ops) are quantized from those
// ranges without calibration (./qat-int8.ts).

import type { ConvertedGraphs } from '../convert/convert.js';
import { err } from '../errors/index.js';
import { cloneGraph } from '../graph/clone.js';
import type { Graph, Tensor } from '../graph/ir.js';
import { chooseOpVersions } from '../passes/choose-op-versions.js';
import { globalAvgPoolToMean } from '../passes/global-avg-pool-to-mean.js';
import { collectRanges } from './collect-ranges.js';
import type { QuantizeContext, QuantizeResult } from './index.js';
import { type FloatNode, type Int8Plan, type Int8Selection, planInt8, quantizeGraphInt8, tensorsNeedingRanges } from './int8-rewrite.js';
import type { QuantizeOptions } from './options.js';
import { hasLearnedRanges } from './qat.js';
import { quantizeQatInt8 } from './qat-int8.js';
import { loadRepresentative } from './representative.js';

export async function quantizeInt8(c: ConvertedGraphs, options: QuantizeOptions, ctx: QuantizeContext): Promise<QuantizeResult> {
  if (c.graphs.some(hasLearnedRanges)) return quantizeQatInt8(c, options, ctx);
  const sel = selectionOf(options);
  const method = options.calibration ?? 'minmax';
  const notes: string[] = [];
  const graphs: Graph[] = [];
  const tensorMaps: Map<Tensor, Tensor>[] = [];
  for (const float of c.graphs) {
    const { graph: g, tensors: copyOf } = cloneGraph(float);
    // Before planning: it changes which op (and rule) a global average pool gets.
    globalAvgPoolToMean.apply(g, { allowCustomOps: true, log: ctx.log });
    const plan = planInt8(g, sel);
    if (options.fullInteger) checkFullInteger(plan);
    const data = loadRepresentative(options, g);
    // Calibrate on the float graph itself (untouched), then map the ranges to the copy.
    const need = tensorsNeedingRanges(g, plan);
    const back = new Map([...copyOf].map(([f, q]) => [q, f]));
    const collected = await collectRanges(float, new Set([...need].map((t) => back.get(t) ?? t)), data, {
      method,
      ...(options.percentile !== undefined ? { percentile: options.percentile } : {}),
      progress: ctx.progress,
    });
    const ranges = new Map([...collected.ranges].map(([f, r]) => [copyOf.get(f) ?? f, r]));
    const report = quantizeGraphInt8(g, plan, ranges, {
      inferenceInputType: options.inferenceInputType ?? 'float32',
      inferenceOutputType: options.inferenceOutputType ?? 'float32',
    });
    chooseOpVersions.apply(g, { allowCustomOps: true, log: ctx.log });
    graphs.push(g);
    tensorMaps.push(copyOf);

    const where = c.graphs.length > 1 ? `${g.signature?.key ?? g.name}: ` : '';
    const perSample = collected.samples ? collected.ms / collected.samples : 0;
    notes.push(`${where}int8: calibrated (${method}${method === 'percentile' ? ` ${options.percentile ?? 99.99}` : ''}) on ${data.description}, ${perSample.toFixed(2)} ms/sample`);
    if (data.random) {
      notes.push(`${where}int8: calibration used seeded RANDOM inputs, not real data: activation ranges (and accuracy) will not match real inputs; pass --representative PATH`);
    }
    const kept = describeFloatNodes(plan.float);
    if (kept) notes.push(`${where}int8: kept in float (between DEQUANTIZE/QUANTIZE): ${kept}`);
    for (const u of plan.unmatchedExclusions) notes.push(`${where}int8: ${u.startsWith('--') ? u : `--exclude-ops ${u}`} matched no node`);
    if (collected.nonFinite.size) {
      const total = [...collected.nonFinite.values()].reduce((a, b) => a + b, 0);
      notes.push(`${where}int8: ${total} NaN/infinite activation values in ${collected.nonFinite.size} tensor(s) were ignored by calibration`);
    }
    if (report.clampedBias) notes.push(`${where}int8: ${report.clampedBias} bias value(s) did not fit int32 and were clamped`);
  }
  return { graphs, notes, tensorMaps };
}

function selectionOf(o: QuantizeOptions): Int8Selection {
  const sel: Int8Selection = {};
  if (o.excludeOps?.length) sel.excludeOps = o.excludeOps;
  if (o.excludeNodes !== undefined) {
    try {
      sel.excludeNodes = new RegExp(o.excludeNodes);
    } catch (e) {
      throw err.badOption('exclude-nodes', `not a valid regular expression (${(e as Error).message})`);
    }
  }
  return sel;
}

function checkFullInteger(plan: Int8Plan): void {
  const excluded = plan.float.filter((f) => f.reason === 'excluded');
  if (excluded.length) {
    throw err.badOption(
      'full-integer',
      `conflicts with the exclusions, which keep ${excluded.length} node(s) in float (e.g. '${excluded[0].node.name}', ${excluded[0].detail})`,
    );
  }
  if (plan.float.length === 0) return;
  const byOp = new Map<string, { op: string; nodes: string[]; why: string }>();
  for (const f of plan.float) {
    const op = f.node.op.replace(/^tfl\./, '');
    const e = byOp.get(op) ?? { op, nodes: [], why: f.detail.startsWith(`${op} has no int8 kernel`) ? 'no int8 kernel' : f.detail };
    e.nodes.push(f.node.name);
    byOp.set(op, e);
  }
  throw err.notFullInteger([...byOp.values()].sort((a, b) => b.nodes.length - a.nodes.length || a.op.localeCompare(b.op)));
}

/** "EXP x2 (no int8 kernel), SOFTMAX x1 (--exclude-ops Softmax)". */
function describeFloatNodes(float: readonly FloatNode[]): string {
  const groups = new Map<string, number>();
  for (const f of float) {
    const op = f.node.op.replace(/^tfl\./, '');
    const why = f.reason === 'excluded' ? f.detail : f.detail.startsWith(`${op} has no int8 kernel`) ? 'no int8 kernel' : f.detail;
    const key = `${op}\u0000${why}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return [...groups]
    .map(([k, n]) => {
      const [op, why] = k.split('\u0000');
      return `${op} x${n} (${why})`;
    })
    .join(', ');
}
