// --quantize int8: full-integer quantization, one quantizer for calibrated and QAT graphs.
//
// For each converted float graph, on a copy: learned ranges (QAT: FAKE_QUANT nodes, recorded
// weight ranges; ./qat.ts) and --input-range become ranges on their tensors; plan which nodes run
// in int8 (rules table + exclusions); refuse early under --full-integer if some would stay float;
// take every activation range the plan needs from the learned ranges, and calibrate only the
// others on the representative data (the float graph itself runs in the TFLite runtime: minmax,
// percentile, entropy or mse); rewrite the copy to int8 (./int8-rewrite.ts) and choose op
// versions for the int8 kernels. The float graphs given in are left untouched.
//
// Without representative data, every needed range must be learned (or given with --input-range):
// the missing ones are named in one line.

import type { ConvertedGraphs } from '../convert/convert.js';
import { err } from '../errors/index.js';
import { cloneGraph } from '../graph/clone.js';
import type { Graph, Tensor } from '../graph/ir.js';
import { chooseOpVersions } from '../passes/choose-op-versions.js';
import { globalAvgPoolToMean } from '../passes/global-avg-pool-to-mean.js';
import { collectRanges } from './collect-ranges.js';
import type { QuantizeContext, QuantizeResult } from './index.js';
import {
  type ActivationRange,
  type FloatNode,
  type Int8Plan,
  type Int8RewriteReport,
  type Int8Selection,
  planInt8,
  quantizeGraphInt8,
  tensorsNeedingRanges,
} from './int8-rewrite.js';
import type { QuantizeOptions } from './options.js';
import { applyInputRanges, hasLearnedRanges, importQatRanges, learnedActivationRange } from './qat.js';
import { loadRepresentative } from './representative.js';
import { type Int8Rule, int8RuleFor } from './rules.js';

/** The note when a QAT graph needed no calibration although data was given. */
export const REPRESENTATIVE_UNUSED = '--representative not used: every activation has a learned range';

export async function quantizeInt8(c: ConvertedGraphs, options: QuantizeOptions, ctx: QuantizeContext): Promise<QuantizeResult> {
  const sel = selectionOf(options);
  const method = options.calibration ?? 'minmax';
  const io = { inferenceInputType: options.inferenceInputType ?? 'float32', inferenceOutputType: options.inferenceOutputType ?? 'float32' };
  const notes: string[] = [];
  const graphs: Graph[] = [];
  const tensorMaps: Map<Tensor, Tensor>[] = [];
  let unusedData = options.representative !== undefined;
  for (const float of c.graphs) {
    const where = c.graphs.length > 1 ? `${float.signature?.key ?? float.name}: ` : '';
    const { graph: g, tensors: copyOf } = cloneGraph(float);
    const qat = hasLearnedRanges(g);
    const imported = importQatRanges(g);
    // A FAKE_QUANT's output now stands for its input (the tensor it quantized).
    for (const [f, q] of copyOf) {
      const to = imported.replaced.get(q);
      if (to) copyOf.set(f, to);
    }
    const given = applyInputRanges(g, options.inputRanges ?? {});
    // Before planning: it changes which op (and rule) a global average pool gets.
    globalAvgPoolToMean.apply(g, { allowCustomOps: true, log: ctx.log });
    const plan = planInt8(g, sel);
    if (options.fullInteger) checkFullInteger(plan);

    const need = tensorsNeedingRanges(g, plan, io);
    const ranges = learnedRanges(g, plan, need);
    const missing = [...need].filter((t) => !ranges.has(t));
    if (qat) notes.push(`${where}int8 from learned ranges: ${imported.removed} FakeQuant range${imported.removed === 1 ? '' : 's'} used, ${missing.length ? `${missing.length} calibrated` : 'no calibration'}`);
    if (missing.length > 0) {
      // Nothing learned or given at all: this is plain post-training quantization.
      if (options.representative === undefined && (qat || given > 0)) throw missingRanges(g, missing);
      const data = loadRepresentative(options, g);
      unusedData = false;
      // Calibrate on the float graph itself (untouched), then map the ranges to the copy.
      const back = new Map<Tensor, Tensor>();
      for (const [f, q] of copyOf) if (!back.has(q)) back.set(q, f);
      const collected = await collectRanges(float, new Set(missing.map((t) => back.get(t) ?? t)), data, {
        method,
        ...(options.percentile !== undefined ? { percentile: options.percentile } : {}),
        progress: ctx.progress,
      });
      for (const t of missing) {
        const r = collected.ranges.get(back.get(t) ?? t);
        if (r) ranges.set(t, r);
      }
      const perSample = collected.samples ? collected.ms / collected.samples : 0;
      notes.push(`${where}int8: calibrated (${method}${method === 'percentile' ? ` ${options.percentile ?? 99.99}` : ''}) on ${data.description}, ${perSample.toFixed(2)} ms/sample`);
      if (data.random) {
        notes.push(`${where}int8: calibration used seeded RANDOM inputs, not real data: activation ranges (and accuracy) will not match real inputs; pass --representative PATH`);
      }
      if (collected.nonFinite.size) {
        const total = [...collected.nonFinite.values()].reduce((a, b) => a + b, 0);
        notes.push(`${where}int8: ${total} NaN/infinite activation values in ${collected.nonFinite.size} tensor(s) were ignored by calibration`);
      }
    }
    const report = quantizeGraphInt8(g, plan, ranges, io);
    chooseOpVersions.apply(g, { allowCustomOps: true, log: ctx.log });
    graphs.push(g);
    tensorMaps.push(copyOf);

    notes.push(...weightNotes(report, where));
    if (imported.conflicts.length) {
      notes.push(`${where}tensors with two different learned ranges keep the first: ${imported.conflicts.slice(0, 3).map((n) => `'${n}'`).join(', ')}`);
    }
    const kept = describeFloatNodes(plan.float);
    if (kept) notes.push(`${where}int8: kept in float (between DEQUANTIZE/QUANTIZE): ${kept}`);
    for (const u of plan.unmatchedExclusions) notes.push(`${where}int8: ${u.startsWith('--') ? u : `--exclude-ops ${u}`} matched no node`);
    if (report.clampedBias) notes.push(`${where}int8: ${report.clampedBias} bias value(s) did not fit int32 and were clamped`);
  }
  if (unusedData) notes.push(REPRESENTATIVE_UNUSED);
  return { graphs, notes, tensorMaps };
}

/**
 * The learned range of every needed tensor that has one. A range also reaches the input of an op
 * whose output shares the input's parameters (RESHAPE, pooling, ...) when only the output was
 * fake-quantized: the kernel copies integers, so both sides are on one grid.
 */
function learnedRanges(g: Graph, plan: Int8Plan, need: ReadonlySet<Tensor>): Map<Tensor, ActivationRange> {
  const ranges = new Map<Tensor, ActivationRange>();
  const asRange = (t: Tensor): ActivationRange | null => {
    const r = learnedActivationRange(t);
    return r ? { min: r.min[0], max: r.max[0], learned: { numBits: r.numBits, narrowRange: r.narrowRange } } : null;
  };
  for (const t of need) {
    const r = asRange(t);
    if (r) ranges.set(t, r);
  }
  for (let k = g.nodes.length - 1; k >= 0; k--) {
    const n = g.nodes[k];
    if (!plan.quantized.has(n)) continue;
    const o = (int8RuleFor(n.op) as Int8Rule).output;
    if (o.kind !== 'same') continue;
    const x = n.inputs[o.input];
    if (!x || x.isConstant || !need.has(x) || ranges.has(x)) continue;
    const r = ranges.get(n.output(0)) ?? asRange(n.output(0));
    if (r) ranges.set(x, r);
  }
  return ranges;
}

/** One line naming the tensors without a range, and how to give them one. */
function missingRanges(g: Graph, missing: Tensor[]) {
  const names = missing.slice(0, 4).map((t) => `'${t.name}'`).join(', ');
  const inputs = missing.filter((t) => g.inputs.includes(t));
  const hint = inputs.length
    ? `; give graph inputs a range with --input-range ${inputs[0].name}=MIN,MAX`
    : '; pass --representative PATH to calibrate them';
  return err.quantization(`${missing.length} tensor${missing.length === 1 ? ' has' : 's have'} no learned quantization range (${names}${missing.length > 4 ? ', ...' : ''})${hint}`);
}

function weightNotes(r: Int8RewriteReport, where: string): string[] {
  const notes: string[] = [];
  for (const q of r.requantizedWeights) {
    if (q.why === 'asymmetric') {
      notes.push(
        `${where}'${q.name}' was trained with an asymmetric range, which TFLite's int8 kernels do not take (weights need zero point 0): moved to zero point 0${q.channels > 1 ? ' per channel' : ''}, ` +
          `${q.channels - q.inexact} of ${q.channels} channel${q.channels === 1 ? ' keeps its' : 's keep their'} trained levels` +
          `${q.clamped ? ` (${q.clamped} extreme weight${q.clamped === 1 ? '' : 's'} clamped to the int8 range)` : ' exactly'}, ${q.inexact} requantized symmetric`,
      );
    } else if (q.why === 'per-channel') {
      notes.push(`${where}'${q.name}' was trained with per-channel ranges, but the int8 kernel takes one weight scale: requantized symmetric per tensor`);
    } else {
      notes.push(`${where}'${q.name}' was trained with ranges along another axis than the int8 kernel's: requantized symmetric per output channel`);
    }
  }
  if (r.derivedWeights.length) {
    notes.push(
      `${where}${r.derivedWeights.length} weight tensor${r.derivedWeights.length === 1 ? ' carries' : 's carry'} no learned range (none was trained, or a batch norm was folded into ` +
        `fake-quantized weights); quantized symmetric from ${r.derivedWeights.length === 1 ? 'its' : 'their'} values (e.g. '${r.derivedWeights[0]}')`,
    );
  }
  return notes;
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
