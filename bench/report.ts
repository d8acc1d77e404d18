// From bench/results.json to docs/benchmarks.md and docs/benchmarks-scaling.svg: the goals the
// issue sets, judged on the numbers; the tables; the scaling plot. Deterministic (the same results
// give the same bytes), so a test can check the committed docs against the committed results.
//   node dist/bench/report.js [RESULTS.json]   rewrite the docs from a results file

import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../src/util/package.js';
import type { BenchResults, GoalRecord, LatencyEntry } from './results.js';
import type { StageLine } from './stages.js';

const MODES = ['none', 'dynamic', 'float16', 'int8'] as const;
const MiB = 2 ** 20;

// --- Goals ------------------------------------------------------------------------------------

const fmt = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

function floatConversion(r: BenchResults, model: string) {
  return r.conversions.find((c) => c.model === model && c.mode === 'none' && !c.variant && c.ok);
}

function scalingModels(r: BenchResults) {
  return r.models.filter((m) => m.scaling).sort((a, b) => a.weightsBytes - b.weightsBytes);
}

/** The latency entry of our file that corresponds to the official one (its mode, made as it was). */
function oursAgainstOfficial(r: BenchResults, model: string, mode: string): LatencyEntry | undefined {
  const of = (m: string) => r.latency.find((l) => l.model === model && l.mode === m && l.ok);
  return of(`${mode}-as-official`) ?? of(mode);
}

/** Our median may exceed the official one by this much and still count as "not slower": timer and scheduling noise. */
export const LATENCY_TOLERANCE = 0.05;

export function evaluateGoals(r: BenchResults): GoalRecord[] {
  const goals: GoalRecord[] = [];
  const mnv2 = r.models.find((m) => m.name.startsWith('mobilenetv2'));
  const c = mnv2 && floatConversion(r, mnv2.name);
  goals.push({
    goal: 'float conversion of the MobileNetV2-shaped model, wall time including Node start-up',
    measured: c ? `${fmt(c.wallMs)} ms (CPU ${fmt(c.cpuMs)} ms; in-process conversion ${fmt(c.convertMs)} ms)` : 'not measured',
    target: '< 1000 ms',
    pass: !!c && c.wallMs < 1000,
    note: '`tfconv optimize` in a fresh process, spawn to exit, fastest of the runs.',
  });
  const scaling = scalingModels(r);
  const big = scaling[scaling.length - 1];
  const bc = big && floatConversion(r, big.name);
  const rate = bc ? big.weightsBytes / 1e6 / (bc.wallMs / 1000) : NaN;
  goals.push({
    goal: `weights converted per second on the largest model (${big ? `${big.name}, ${fmt(big.weightsBytes / MiB, 1)} MiB of float32 weights` : 'none'})`,
    measured: bc ? `${fmt(rate)} MB/s (wall ${fmt(bc.wallMs)} ms; ${fmt(big.weightsBytes / 1e6 / (bc.convertMs / 1000))} MB/s on the in-process conversion time)` : 'not measured',
    target: '>= 200 MB/s',
    pass: rate >= 200,
    note: 'Weight bytes over the wall time of the whole `tfconv optimize` process (reading the SavedModel, converting, writing the .tflite).',
  });
  // Node's own ~60-90 MiB (runtime, modules) dominates small models; the goal is about scaling.
  const heavy = scaling.filter((m) => m.weightsBytes >= 200e6).map((m) => ({ m, c: floatConversion(r, m.name) }));
  const ratios = heavy.map(({ m, c: x }) => ({ name: m.name, ratio: x ? (x.peakRssMiB * MiB) / m.weightsBytes : NaN }));
  goals.push({
    goal: 'peak RSS of the float conversion against the weights, on the models with 200 MB of weights or more',
    measured: ratios.length ? ratios.map((x) => `${x.name} ${fmt(x.ratio, 2)}x`).join(', ') : 'not measured',
    target: '<= 2.5x',
    pass: ratios.length > 0 && ratios.every((x) => x.ratio <= 2.5),
    note: "The child process's maxRSS (Node's own 60-90 MiB included) over 4 bytes x parameters; smaller models are in the scaling table, where that fixed part dominates.",
  });
  const cal = r.calibration;
  goals.push({
    goal: 'calibration cost per sample against one float inference',
    measured: cal.length ? cal.map((x) => `${x.model} ${x.method} ${fmt(x.ratio, 2)}x`).join(', ') : 'not measured',
    target: '<= 2x',
    pass: cal.length > 0 && cal.every((x) => x.ratio <= 2),
    note: 'Running the model with every float activation exposed and feeding the range collector, against a plain float inference; same runtime, same samples, interleaved.',
  });
  const pairs = r.models.filter((m) => m.official).map((m) => {
    const ours = oursAgainstOfficial(r, m.name, (m.official as { mode: string }).mode);
    const off = r.latency.find((l) => l.model === m.name && l.mode === 'official' && l.ok);
    return { name: m.name, ratio: ours && off ? ours.medianMs / off.medianMs : NaN };
  });
  goals.push({
    goal: 'our .tflite against the official one, median latency in the same runtime and process',
    measured: pairs.length ? pairs.map((p) => `${p.name} ${fmt(p.ratio, 2)}x`).join(', ') : 'not measured',
    target: `<= 1x (within ${LATENCY_TOLERANCE * 100}% noise)`,
    pass: pairs.length > 0 && pairs.every((p) => p.ratio <= 1 + LATENCY_TOLERANCE),
    note: 'Ours over official; both loaded in one TFLite WASM runtime and run in interleaved rounds.',
  });
  return goals;
}

// --- Markdown ---------------------------------------------------------------------------------

const bytes = (n: number): string => (n >= MiB ? `${(n / MiB).toFixed(n >= 100 * MiB ? 0 : 1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);
const ms = (x: number): string => (!Number.isFinite(x) ? '-' : x === 0 ? '0' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));
const params = (n: number | undefined): string => (n === undefined ? '-' : n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(1)} k`);
const cell = (s: string): string => s.replace(/\|/g, '\\|');

/** A Markdown table; columns whose cells all look like numbers are right-aligned. */
function table(head: string[], rows: string[][]): string[] {
  const numeric = head.map((_, i) => rows.length > 0 && rows.every((r) => /^(|-|n\/a|failed|[\d.,]+( ?(ms|x|MiB|KiB|B|M|k))?)$/.test(r[i] ?? '')));
  return [`| ${head.join(' | ')} |`, `|${numeric.map((n) => (n ? '---:' : '---')).join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
}

/** NaN in memory, null once through JSON: either way not a number to print. */
const missing = (x: number | null): boolean => x === null || Number.isNaN(x);

function stageTable(lines: StageLine[], weightsBytes: number): string[] {
  return table(
    ['stage', 'ms', 'RSS after (MiB)', 'in ArrayBuffers (MiB)', 'peak RSS so far (MiB)', 'peak / weights'],
    lines.map((l) => [
      l.stage.startsWith(' ') ? `&nbsp;&nbsp;${l.stage.trim()}` : l.stage,
      ms(l.ms),
      missing(l.rssMiB) ? '' : fmt(l.rssMiB),
      missing(l.arrayBuffersMiB) ? '' : fmt(l.arrayBuffersMiB),
      missing(l.peakRssMiB) ? '' : fmt(l.peakRssMiB),
      missing(l.peakRssMiB) ? '' : `${fmt((l.peakRssMiB * MiB) / weightsBytes, 2)}x`,
    ]),
  );
}

export function benchmarksMarkdown(r: BenchResults, svgName = 'benchmarks-scaling.svg'): string {
  const out: string[] = [];
  const m = r.machine;
  const date = r.date.slice(0, 10);
  out.push('# Benchmarks', '');
  out.push('<!-- Generated by bench/report.ts from bench/results.json (`npm run bench`); do not edit. -->', '');
  out.push(
    `Measured by \`npm run bench\` on ${date}${r.quick ? ' (quick run)' : ''}; the run took ${Math.round(r.durationS / 60)} min. ` +
      `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, tfconv ${m.tfconv}.`,
    '',
    `The machine was shared with other work: the 1-minute load average was ${m.loadStart} when the run started and ${m.loadEnd ?? '?'} when it ended, ` +
      `on ${m.cores} cores. Wall times include waiting for a CPU, so every conversion runs several times and the fastest run counts; ` +
      'CPU times (user + system) are what the work itself cost. The raw numbers are in [bench/results.json](../bench/results.json).',
    '',
  );
  out.push('Rerun: `npm run bench` (everything, as here), `npm run bench -- --quick` (a few minutes: the fixtures with an official .tflite, ' +
    'MobileNetV2 and the scaling family up to 25 M parameters, one run each; writes `bench/results/`), `npm run bench -- --only NAME` (models whose name contains NAME). ' +
    'Synthetic models are generated by our SavedModel writer on first use, with fixed seeds, into `.cache/bench/` (never committed).', '');

  out.push('## Goals', '');
  out.push(...table(['goal', 'measured', 'target', 'met'], r.goals.map((g) => [g.goal, g.measured, g.target, g.pass ? 'yes' : '**no**'])), '');
  for (const g of r.goals) out.push(`- *${g.goal}*: ${g.note}`);
  out.push('');

  // Scaling
  const scaling = scalingModels(r);
  if (scaling.length) {
    out.push('## Scaling: time and memory against model size', '');
    out.push(
      'The float conversion (`tfconv optimize MODEL -o OUT.tflite`) of a family of Keras-layout MLPs (784 -> w -> ... -> 10, widths up to 4096) ' +
        'from 1 M to 100 M parameters. Wall time is spawn to exit; the in-process time is what tfconv itself reports (without Node start-up and module loading).',
      '',
    );
    out.push(`![time and peak memory against parameters](${svgName})`, '');
    out.push(
      ...table(
        ['model', 'parameters', 'weights', 'wall ms', 'in-process ms', 'CPU ms', 'peak RSS', 'peak / weights', 'MB/s (wall)'],
        scaling.map((s) => {
          const c = floatConversion(r, s.name);
          return [
            s.name,
            params(s.params),
            bytes(s.weightsBytes),
            c ? ms(c.wallMs) : 'failed',
            c ? ms(c.convertMs) : '-',
            c ? ms(c.cpuMs) : '-',
            c ? `${fmt(c.peakRssMiB)} MiB` : '-',
            c ? `${fmt((c.peakRssMiB * MiB) / s.weightsBytes, 2)}x` : '-',
            c ? fmt(s.weightsBytes / 1e6 / (c.wallMs / 1000)) : '-',
          ];
        }),
      ),
      '',
    );
  }

  // Conversions
  out.push('## Every model, every mode', '');
  out.push(
    `Modes: \`none\` (float), \`dynamic\` (int8 weights), \`float16\` (float16 weights), \`int8\` (full integer, ${'`--representative`'} with 100 calibration samples: ` +
      'the KWS calibration set for KWS, seeded random inputs otherwise; the QAT micro_speech graph uses its learned ranges). ' +
      'Fixtures are real TensorFlow-written models from `../shared/fixtures`; generated models come from `src/builder/generators.ts`. ' +
      '`weights` is 4 bytes per parameter for generated models; for fixtures, the size of the variables data (SavedModels) or of the whole frozen `.pb` (GraphDefs).',
    '',
  );
  const modelRow = (name: string) => r.models.find((x) => x.name === name);
  const byMode = (title: string, value: (c: BenchResults['conversions'][number]) => string) => {
    out.push(`### ${title}`, '');
    out.push(
      ...table(
        ['model', 'weights', ...MODES],
        r.models.map((mr) => [
          mr.name,
          bytes(mr.weightsBytes),
          ...MODES.map((mode) => {
            const c = r.conversions.find((x) => x.model === mr.name && x.mode === mode && !x.variant);
            return !c ? '-' : c.ok ? value(c) : 'failed';
          }),
        ]),
      ),
      '',
    );
  };
  byMode('Wall time, spawn to exit (ms, fastest run)', (c) => ms(c.wallMs));
  byMode('CPU time, user + system (ms)', (c) => ms(c.cpuMs));
  byMode('Peak RSS (MiB)', (c) => fmt(c.peakRssMiB));
  byMode('Output size', (c) => bytes(c.outputBytes));
  const failed = r.conversions.filter((c) => !c.ok);
  if (failed.length) {
    out.push('Conversions that failed, with tfconv\'s message:', '');
    for (const f of failed) out.push(`- ${f.model} [${f.mode}${f.variant ? ', as official' : ''}]: ${f.error}`);
    out.push('');
  }

  // Latency
  out.push('## Inference latency in the TFLite WASM runtime', '');
  out.push(
    "Median milliseconds per inference (batch 1, one thread, XNNPACK on) in `@tensorflow/tfjs-tflite`'s WebAssembly build of TFLite, " +
      'after two warm-up runs. All files of one model are loaded in one process and run in interleaved rounds, so load on the machine hits them alike ' +
      '(files of more than 256 MiB together do not fit one WebAssembly instance and are measured one per process).',
    '',
  );
  out.push(
    ...table(
      ['model', ...MODES, 'official'],
      r.models.map((mr) => [
        mr.name,
        ...[...MODES, 'official'].map((mode) => {
          const l = r.latency.find((x) => x.model === mr.name && x.mode === mode);
          return !l ? '-' : l.ok ? ms(l.medianMs) : 'failed';
        }),
      ]),
    ),
    '',
  );
  out.push(
    "`dynamic` files run TFLite's hybrid kernels (int8 weights, float activations; the ops TFLiteConverter writes for dynamic range), " +
      'which this build does not hand to XNNPACK: in this runtime they are much slower than float. They pay off on native TFLite builds with optimized hybrid kernels, and in size.',
    '',
  );
  const lfail = r.latency.filter((l) => !l.ok);
  if (lfail.length) {
    out.push('Files the runtime could not run:', '');
    for (const l of lfail) out.push(`- ${l.model} [${l.mode}]: ${l.error}`);
    out.push('');
  }

  // Official
  const officials = r.models.filter((x) => x.official);
  if (officials.length) {
    out.push('## Ours against the official .tflite', '');
    out.push('Where a fixture comes with the .tflite its authors made with TensorFlow\'s converter, both files run in the same process, interleaved.', '');
    out.push(
      ...table(
        ['model', 'official file', 'ours: median ms', 'official: median ms', 'ours / official', 'size: ours', 'size: official', 'how they were made'],
        officials.map((mr) => {
          const o = mr.official as NonNullable<typeof mr.official>;
          const ours = oursAgainstOfficial(r, mr.name, o.mode);
          const off = r.latency.find((l) => l.model === mr.name && l.mode === 'official');
          const conv = r.conversions.find((c) => c.model === mr.name && c.mode === o.mode && (c.variant === 'official' || !r.conversions.some((x) => x.model === mr.name && x.variant)));
          return [
            mr.name,
            `\`${o.file}\``,
            ours?.ok ? ms(ours.medianMs) : 'failed',
            off?.ok ? ms(off.medianMs) : 'failed',
            ours?.ok && off?.ok ? `${fmt(ours.medianMs / off.medianMs, 2)}x` : '-',
            conv?.ok ? bytes(conv.outputBytes) : '-',
            off?.bytes ? bytes(off.bytes) : '-',
            o.note,
          ];
        }),
      ),
      '',
    );
  }

  // Calibration
  if (r.calibration.length) {
    out.push('## Calibration cost per sample', '');
    out.push(
      'int8 calibration runs the float model with every float activation exposed and feeds each to a range collector. ' +
        'Per sample, against one plain float inference of the same model in the same runtime (fastest of several interleaved rounds; turning statistics into ranges is spread over the samples):',
      '',
    );
    out.push(
      ...table(
        ['model', 'method', 'tensors', 'samples', 'float ms/sample', 'calibration ms/sample', 'ratio'],
        r.calibration.map((x) => [x.model, x.method, String(x.tensors), String(x.samples), ms(x.floatMs), ms(x.calibrationMs), `${fmt(x.ratio, 2)}x`]),
      ),
      '',
    );
  }

  // Stages
  if (r.stages && r.stages.cli.length) {
    const s = r.stages;
    out.push(`## Where the time and memory go (${s.model}, ${bytes(s.weightsBytes)} of weights)`, '');
    out.push(
      'Stage by stage in one process (`node dist/bench/stages.js MODEL`), without Node start-up. `RSS after` and `in ArrayBuffers` are read after the stage; ' +
        'the peak so far is the process maxRSS, so the stage where it jumps is the one that needed the memory.',
      '',
    );
    out.push('As the CLI runs it (the frozen TF graph let go before the passes, the dead weights collected before export):', '');
    out.push(...stageTable(s.cli, s.weightsBytes), '');
    if (s.api.length) {
      out.push('As `optimize()` runs by default (the frozen TF graph, with the weights in checkpoint layout, kept in the result for verification and reports):', '');
      out.push(...stageTable(s.api, s.weightsBytes), '');
    }
    out.push(MEMORY_NOTES, '');
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

const MEMORY_NOTES =
  'Reading the tables: the weights are held once in checkpoint layout (read from `variables.data`), once in TFLite layout ' +
  '(lowering transposes dense and convolution weights) and once as the bytes of the .tflite file. The API keeps the first in ' +
  '`conversion.prepared` (verification and the TF reference run that graph), so all three meet when the FlatBuffer is built. ' +
  "The CLI calls `optimize(model, { keepPrepared: false })`: the originals are garbage once lowering has replaced them, so the " +
  "peak, about twice the weights plus Node's own memory, is at the end of lowering, and one full collection frees the originals " +
  'before the FlatBuffer is built. `in ArrayBuffers` lags behind frees (V8 releases buffers in the background). Writing the file ' +
  "goes through the kernel's page cache, and its time depends on how much the kernel is writing back at that moment.";

// --- Scaling plot -----------------------------------------------------------------------------

interface Series {
  label: string;
  color: string;
  dash?: string;
  points: [number, number][];
  markers?: boolean;
}

function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const k of [1, 2, 5]) {
      const v = k * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) ticks.push(v);
    }
  }
  return ticks;
}

const num = (x: number): string => (Math.round(x * 10) / 10).toString();

function tickLabel(v: number, unit: string): string {
  if (unit === 'params') return v >= 1e6 ? `${Number((v / 1e6).toPrecision(3))}M` : `${Number((v / 1e3).toPrecision(3))}k`;
  return `${Number(v.toPrecision(3))}`;
}

/** A log axis range around the data: the 1-2-5 ticks just outside its smallest and largest value. */
function logRange(values: number[]): [number, number] {
  const v = values.filter((x) => x > 0 && Number.isFinite(x));
  const steps = (lo: number, hi: number) => logTicks(lo, hi);
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  const below = steps(lo / 10, lo).filter((t) => t <= lo);
  const above = steps(hi, hi * 10).filter((t) => t >= hi);
  return [below[below.length - 1] ?? lo, above[0] ?? hi];
}

function panel(x0: number, y0: number, w: number, h: number, title: string, yUnit: string, yLabel: string, series: Series[], xs: [number, number], ys: [number, number]): string[] {
  const [xlo, xhi] = xs;
  const [ylo, yhi] = ys;
  const px = (v: number) => x0 + ((Math.log10(v) - Math.log10(xlo)) / (Math.log10(xhi) - Math.log10(xlo))) * w;
  const py = (v: number) => y0 + h - ((Math.log10(v) - Math.log10(ylo)) / (Math.log10(yhi) - Math.log10(ylo))) * h;
  const o: string[] = [];
  const clip = `clip-${x0}`;
  o.push(`<clipPath id="${clip}"><rect x="${x0}" y="${y0}" width="${w}" height="${h}"/></clipPath>`);
  o.push(`<text x="${num(x0 + w / 2)}" y="${num(y0 - 12)}" text-anchor="middle" font-weight="bold">${title}</text>`);
  o.push(`<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="none" stroke="#888"/>`);
  for (const t of logTicks(xlo, xhi)) {
    o.push(`<line x1="${num(px(t))}" y1="${y0}" x2="${num(px(t))}" y2="${y0 + h}" stroke="#e4e4e4"/>`);
    o.push(`<text x="${num(px(t))}" y="${y0 + h + 16}" text-anchor="middle">${tickLabel(t, 'params')}</text>`);
  }
  for (const t of logTicks(ylo, yhi)) {
    o.push(`<line x1="${x0}" y1="${num(py(t))}" x2="${x0 + w}" y2="${num(py(t))}" stroke="#e4e4e4"/>`);
    o.push(`<text x="${x0 - 6}" y="${num(py(t) + 4)}" text-anchor="end">${tickLabel(t, yUnit)}</text>`);
  }
  o.push(`<text x="${num(x0 + w / 2)}" y="${y0 + h + 36}" text-anchor="middle">parameters (float32 weights = 4 bytes each)</text>`);
  o.push(`<text transform="translate(${x0 - 46},${num(y0 + h / 2)}) rotate(-90)" text-anchor="middle">${yLabel}</text>`);
  let ly = y0 + 14;
  for (const s of series) {
    const pts = s.points.filter(([x, y]) => x > 0 && y > 0 && Number.isFinite(y));
    if (pts.length === 0) continue;
    o.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''} clip-path="url(#${clip})" points="${pts.map(([x, y]) => `${num(px(x))},${num(py(y))}`).join(' ')}"/>`);
    if (s.markers !== false) for (const [x, y] of pts) o.push(`<circle cx="${num(px(x))}" cy="${num(py(y))}" r="3.5" fill="${s.color}"/>`);
    o.push(`<line x1="${x0 + 10}" y1="${ly - 4}" x2="${x0 + 34}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    o.push(`<text x="${x0 + 40}" y="${ly}">${s.label}</text>`);
    ly += 16;
  }
  return o;
}

export function scalingSvg(r: BenchResults): string {
  const rows = scalingModels(r)
    .map((m) => ({ m, c: floatConversion(r, m.name) }))
    .filter((x): x is { m: (typeof x)['m']; c: NonNullable<(typeof x)['c']> } => !!x.c && x.m.params !== undefined);
  const W = 900;
  const H = 380;
  const o: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
  ];
  if (rows.length === 0) {
    o.push('<text x="20" y="40">no scaling measurements</text>', '</svg>');
    return `${o.join('\n')}\n`;
  }
  const xs = logRange(rows.map((x) => x.m.params as number));
  const goalTime = (p: number) => (4 * p) / 200e6;
  const time: Series[] = [
    { label: 'wall, spawn to exit', color: '#1f77b4', points: rows.map((x) => [x.m.params as number, x.c.wallMs / 1000]) },
    { label: 'in-process conversion', color: '#2ca02c', points: rows.map((x) => [x.m.params as number, x.c.convertMs / 1000]) },
    { label: 'CPU (user + system)', color: '#9467bd', points: rows.map((x) => [x.m.params as number, x.c.cpuMs / 1000]) },
    { label: 'goal: 200 MB/s of weights', color: '#d62728', dash: '5,4', markers: false, points: xs.map((p) => [p, goalTime(p)]) },
  ];
  // Axes fit the measurements; the goal lines are drawn across and clipped.
  const ts = logRange(time.filter((x) => x.markers !== false).flatMap((x) => x.points.map((p) => p[1])));
  const mem: Series[] = [
    { label: 'peak RSS', color: '#1f77b4', points: rows.map((x) => [x.m.params as number, x.c.peakRssMiB]) },
    { label: 'goal: 2.5 x weights', color: '#d62728', dash: '5,4', markers: false, points: xs.map((p) => [p, (2.5 * 4 * p) / MiB]) },
    { label: 'weights (4 B x parameters)', color: '#7f7f7f', dash: '2,3', markers: false, points: xs.map((p) => [p, (4 * p) / MiB]) },
  ];
  const ms2 = logRange(mem.filter((x) => x.markers !== false).flatMap((x) => x.points.map((p) => p[1])));
  o.push(...panel(70, 40, 340, 270, 'Float conversion time', 's', 'seconds', time, xs, ts));
  o.push(...panel(530, 40, 340, 270, 'Peak memory (RSS)', 'MiB', 'MiB', mem, xs, ms2));
  o.push(`<text x="${W / 2}" y="${H - 8}" text-anchor="middle" fill="#555">tfconv ${r.machine.tfconv}, ${r.date.slice(0, 10)}, ${r.machine.cpu} (${r.machine.cores} cores); log-log axes</text>`);
  o.push('</svg>');
  return `${o.join('\n')}\n`;
}

export function writeReport(r: BenchResults, files: { md: string; svg: string }): string[] {
  fs.mkdirSync(path.dirname(files.md), { recursive: true });
  fs.writeFileSync(files.md, benchmarksMarkdown(r, path.relative(path.dirname(files.md), files.svg)));
  fs.writeFileSync(files.svg, scalingSvg(r));
  return [files.md, files.svg];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2] ?? path.join(PACKAGE_ROOT, 'bench', 'results.json');
  const r = JSON.parse(fs.readFileSync(file, 'utf8')) as BenchResults;
  r.goals = evaluateGoals(r);
  const committed = path.resolve(file) === path.join(PACKAGE_ROOT, 'bench', 'results.json');
  const written = committed
    ? writeReport(r, { md: path.join(PACKAGE_ROOT, 'docs', 'benchmarks.md'), svg: path.join(PACKAGE_ROOT, 'docs', 'benchmarks-scaling.svg') })
    : writeReport(r, { md: file.replace(/\.json$/, '.md'), svg: file.replace(/\.json$/, '-scaling.svg') });
  console.log(`wrote ${written.join(', ')}`);
}
