// The report as terminal tables (cli-table3): model level first, then the worst layers, the
// weights whose channels one scale would serve badly, and what to exclude.

import { makeTable } from '../inspect/common.js';
import { formatBytes } from '../util/format.js';
import { type LayerReport, type QuantReport, ownSqnr } from './report.js';

export interface ReportTextOptions {
  /** ANSI colour (a terminal). */
  color?: boolean;
  /** Layers shown, worst first (default 20; 0 = all). */
  top?: number;
}

export function formatDb(v: number | null, identical = false): string {
  if (identical) return 'exact';
  return v === null ? '-' : v.toFixed(2);
}

function num(v: number | null): string {
  if (v === null) return '-';
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(2) : v.toPrecision(4).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

function shape(s: readonly number[]): string {
  return `[${s.join(',')}]`;
}

/**
 * The name people know a layer by: its Keras layer ('conv2d_3', '+2' for the batch norm and
 * activation fused into it), else its TF node, shortened from the left.
 */
export function layerName(l: Pick<LayerReport, 'kerasLayers' | 'tfNodes' | 'tensor'>, max = 32): string {
  if (l.kerasLayers.length) {
    const more = l.kerasLayers.length > 1 ? ` +${l.kerasLayers.length - 1}` : '';
    const first = l.kerasLayers[0];
    return first.length + more.length <= max ? `${first}${more}` : `${first.slice(0, Math.max(1, max - more.length - 1))}…${more}`;
  }
  const s = l.tfNodes[0] ?? l.tensor;
  return s.length > max ? `…${s.slice(s.length - max + 1)}` : s;
}

export function quantText(q: LayerReport['quantization']): string {
  if (!q) return '-';
  if (q.channels === 1) return `${num(q.scale)} / ${q.zeroPoint}`;
  return `${q.channels} ch ${num(q.scaleMin)}..${num(q.scaleMax)}`;
}

/** Worst first: lowest own SQNR (alone, else in the model); exact and unmeasured layers last, in graph order. */
export function worstFirst(layers: readonly LayerReport[]): LayerReport[] {
  const key = (l: LayerReport): number => ownSqnr(l) ?? Infinity;
  const model = (l: LayerReport): number => (l.sqnr === null ? Infinity : l.sqnr);
  return layers.slice().sort((a, b) => key(a) - key(b) || model(a) - model(b) || a.index - b.index);
}

/** "12.34" / "exact" / "-" for the layer run alone. */
export function aloneText(l: LayerReport): string {
  return l.alone ? formatDb(l.alone.sqnr, l.alone.identical) : '-';
}

/** "alone 8.36 dB, in model 9.64 dB: --exclude-nodes '...'" for a layer below the threshold. */
export function belowText(l: LayerReport): string {
  const db = l.alone ? `alone ${aloneText(l)} dB, in model ${formatDb(l.sqnr)} dB` : `in model ${formatDb(l.sqnr)} dB (cannot run alone)`;
  const what =
    l.op === 'QUANTIZE'
      ? 'rounding to int8 (not excludable: check the input range)'
      : l.excludeNodes === undefined
        ? `no TF node name known to exclude (--exclude-ops ${l.op} keeps every ${l.op} float)`
        : `--exclude-nodes '${l.excludeNodes}'`;
  return `${db}: ${what}`;
}

export function reportText(r: QuantReport, o: ReportTextOptions = {}): string {
  const color = o.color === true;
  const red = (s: string): string => (color ? `\x1b[31m${s}\x1b[39m` : s);
  const bold = (s: string): string => (color ? `\x1b[1m${s}\x1b[22m` : s);
  let out = '';
  out += `${bold('Quantization report')}: ${r.quantized.file} against ${r.float.file}\n`;
  out += `data: ${r.data.description}${r.timing ? `; ${(r.timing.ms / 1000).toFixed(2)} s (${r.timing.perSampleMs.toFixed(2)} ms/sample, both models, runtime values)` : ''}\n`;
  for (const n of r.notes) out += `note: ${n}\n`;

  out += `\n${bold('Size')}\n`;
  const size = makeTable(['', 'float', 'quantized', 'ratio'], color, ['left', 'right', 'right', 'right']);
  const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}x` : '-');
  size.push(['total', formatBytes(r.float.size.total), formatBytes(r.quantized.size.total), ratio(r.quantized.size.total, r.float.size.total)]);
  size.push(['weights', formatBytes(r.float.size.weights), formatBytes(r.quantized.size.weights), ratio(r.quantized.size.weights, r.float.size.weights)]);
  size.push(['graph', formatBytes(r.float.size.graph), formatBytes(r.quantized.size.graph), ratio(r.quantized.size.graph, r.float.size.graph)]);
  out += `${size.toString()}\n`;

  const ops = [...new Set([...Object.keys(r.float.ops), ...Object.keys(r.quantized.ops)])].sort();
  out += `\n${bold('Ops')}\n`;
  const opt = makeTable(['op', 'float', 'quantized'], color, ['left', 'right', 'right']);
  for (const k of ops) opt.push([k, String(r.float.ops[k] ?? 0), String(r.quantized.ops[k] ?? 0)]);
  out += `${opt.toString()}\n`;
  if (r.floatOps.length) {
    const groups = new Map<string, number>();
    for (const f of r.floatOps) groups.set(`${f.op} (${f.kind})`, (groups.get(`${f.op} (${f.kind})`) ?? 0) + 1);
    out += `ops that stayed float: ${[...groups].map(([k, v]) => `${k} x${v}`).join(', ')}\n`;
  } else {
    out += 'ops that stayed float: none\n';
  }

  out += `\n${bold('Outputs')}\n`;
  const ot = makeTable(['output', 'shape', 'SQNR dB', 'MSE', 'max |err|', 'cosine', 'top-1'], color, ['left', 'left', 'right', 'right', 'right', 'right', 'right']);
  for (const x of r.outputs) {
    ot.push([x.key, shape(x.shape), formatDb(x.sqnr), num(x.mse), num(x.maxAbs), x.cosine === null ? '-' : x.cosine.toFixed(5), x.top1 === null ? '-' : `${(100 * x.top1).toFixed(1)}%`]);
  }
  out += `${ot.toString()}\n`;
  const quantizedInputs = r.inputs.filter((i) => i.quantization && !i.identical);
  for (const i of quantizedInputs) out += `input '${i.key}' fed as ${i.dtype} (${quantText(i.quantization)}): SQNR ${formatDb(i.sqnr)} dB from rounding the samples alone\n`;

  const top = o.top ?? 20;
  const sorted = worstFirst(r.layers);
  const shown = top > 0 ? sorted.slice(0, top) : sorted;
  out += `\n${bold(`Layers, worst first`)} (${shown.length} of ${r.layers.length}; SQNR in dB: "alone" = the error the layer adds itself (against its float op run on the same quantized inputs); "in model" = against the float model, with the error it inherits; below ${r.sqnrThreshold} dB in red)\n`;
  const lt = makeTable(['#', 'op', 'layer', 'shape', 'dtype', 'scale / zp', 'float range', 'alone', 'in model', 'MSE', 'max |err|', 'cosine'], color, [
    'right', 'left', 'left', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right',
  ]);
  for (const l of shown) {
    lt.push([
      String(l.index),
      l.op,
      layerName(l),
      shape(l.shape),
      l.dtype,
      quantText(l.quantization),
      l.floatRange ? `${num(l.floatRange[0])}..${num(l.floatRange[1])}` : '-',
      l.belowThreshold && l.alone ? red(aloneText(l)) : aloneText(l),
      l.belowThreshold && !l.alone ? red(formatDb(l.sqnr)) : formatDb(l.sqnr, l.identical),
      num(l.mse),
      num(l.maxAbs),
      l.cosine === null ? '-' : l.cosine.toFixed(5),
    ]);
  }
  out += `${lt.toString()}\n`;

  const weights = r.layers.filter((l) => l.weights);
  if (weights.length) {
    out += `\n${bold('Weights')} (per output channel: spread = largest / smallest channel max |w|; what-if SQNR of int8 with one scale vs one per channel)\n`;
    const wt = makeTable(['#', 'op', 'layer', 'channels', 'spread', 'one scale dB', 'per channel dB', 'stored', 'stored dB', ''], color, [
      'right', 'left', 'left', 'right', 'right', 'right', 'right', 'left', 'right', 'left',
    ]);
    for (const l of weights) {
      const w = l.weights as NonNullable<LayerReport['weights']>;
      wt.push([
        String(l.index),
        l.op,
        layerName(l),
        String(w.channels),
        w.spread.toFixed(1),
        formatDb(w.perTensorSqnr),
        formatDb(w.perChannelSqnr),
        w.stored,
        formatDb(w.storedSqnr),
        w.flagged ? (w.stored === 'per-tensor' ? red('one scale loses precision') : 'one scale would lose precision') : '',
      ]);
    }
    out += `${wt.toString()}\n`;
  }

  const below = r.layers.filter((l) => l.belowThreshold);
  out += `\n${bold(`Below ${r.sqnrThreshold} dB`)}: ${below.length ? `${below.length} layer${below.length === 1 ? '' : 's'}` : 'none'}\n`;
  for (const l of worstFirst(below)) out += `  #${l.index} ${l.op} ${layerName(l, 60)}: ${belowText(l)}\n`;
  if (r.excludeNodes) out += `to keep all of them in float: --exclude-nodes '${r.excludeNodes}'\n`;

  if (r.unmatched.quantized.length || r.unmatched.float.length) {
    out += `\n${bold('Unmatched')}\n`;
    for (const u of r.unmatched.quantized) out += `  quantized #${u.index} ${u.op} '${u.tensor}': no float tensor matched\n`;
    for (const u of r.unmatched.float) out += `  float #${u.index} ${u.op} '${u.tensor}': no layer of the quantized model matched\n`;
  }
  return out;
}
