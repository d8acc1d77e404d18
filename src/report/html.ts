// The report as one self-contained HTML page: inline CSS, charts drawn here as SVG (per-layer
// SQNR bars, float-vs-quantized scatter per output, size breakdown), no script that runs and
// nothing fetched (a Content-Security-Policy says so). The report's JSON rides along in a
// non-executed <script type="application/json"> for tools that want the numbers.

import { formatBytes } from '../util/format.js';
import { type LayerReport, type OutputReport, type QuantReport, ownSqnr } from './report.js';
import { aloneText, belowText, formatDb, layerName, quantText, worstFirst } from './text.js';
import { reportJsonValue } from './json.js';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** Coordinates: two decimals are plenty and keep the file small and stable. */
function c(v: number): string {
  return (Math.round(v * 100) / 100).toString();
}

function num(v: number | null): string {
  if (v === null) return '-';
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(2) : v.toPrecision(4).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  return out;
}

const COLORS = { ok: '#2f7ed8', bad: '#d9534f', exact: '#8fbc8f', grid: '#e3e3e3', axis: '#555', weights: '#2f7ed8', graph: '#f0ad4e', line: '#999' };

function sqnrChart(r: QuantReport): string {
  const layers = r.layers;
  const W = 960;
  const H = 320;
  const left = 56;
  const right = 12;
  const top = 16;
  const labels = layers.length <= 80;
  const bottom = labels ? 120 : 28;
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  const values = layers.flatMap((l) => [l.sqnr, l.alone?.sqnr ?? null]).filter((v): v is number => v !== null);
  const hi = Math.max(r.sqnrThreshold + 5, ...values.map((v) => v + 2), 10);
  const lo = Math.min(0, ...values);
  const y = (v: number): number => top + plotH - ((v - lo) / (hi - lo)) * plotH;
  const slot = plotW / Math.max(1, layers.length);
  const bw = Math.max(1, slot * 0.75);
  let s = `<svg id="chart-sqnr" class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="SQNR per layer">`;
  for (const t of niceTicks(lo, hi)) {
    s += `<line x1="${left}" x2="${W - right}" y1="${c(y(t))}" y2="${c(y(t))}" stroke="${COLORS.grid}"/>`;
    s += `<text x="${left - 6}" y="${c(y(t) + 4)}" text-anchor="end" class="tick">${t}</text>`;
  }
  s += `<text x="12" y="${c(top + plotH / 2)}" transform="rotate(-90 12 ${c(top + plotH / 2)})" text-anchor="middle" class="axis-label">SQNR (dB)</text>`;
  layers.forEach((l, i) => {
    const x = left + i * slot + (slot - bw) / 2;
    const title = `#${l.index} ${l.op} ${layerName(l, 80)}: ${l.identical ? 'exact' : `${formatDb(l.sqnr)} dB`}`;
    if (l.sqnr !== null) {
      const y0 = y(Math.max(lo, 0));
      const y1 = y(l.sqnr);
      const fill = l.belowThreshold ? COLORS.bad : COLORS.ok;
      s += `<rect class="bar" data-layer="${l.index}" x="${c(x)}" y="${c(Math.min(y0, y1))}" width="${c(bw)}" height="${c(Math.max(0.5, Math.abs(y0 - y1)))}" fill="${fill}"><title>${esc(title)}</title></rect>`;
    } else {
      // Exact (no error) or not measured: a short marker so the slot is not silently empty.
      s += `<rect class="bar none" data-layer="${l.index}" x="${c(x)}" y="${c(top)}" width="${c(bw)}" height="3" fill="${l.identical ? COLORS.exact : COLORS.grid}"><title>${esc(title)}</title></rect>`;
    }
    if (l.alone && l.alone.sqnr !== null) {
      const ya = y(l.alone.sqnr);
      s += `<rect class="alone" data-layer="${l.index}" x="${c(x - 1)}" y="${c(ya - 1.5)}" width="${c(bw + 2)}" height="3" fill="#222"><title>${esc(`#${l.index} alone: ${formatDb(l.alone.sqnr)} dB`)}</title></rect>`;
    }
    if (labels) {
      const lx = left + i * slot + slot / 2;
      const ly = top + plotH + 10;
      s += `<text x="${c(lx)}" y="${c(ly)}" transform="rotate(-55 ${c(lx)} ${c(ly)})" text-anchor="end" class="label">${esc(`${l.index} ${layerName(l, 15)}`)}</text>`;
    }
  });
  const ty = y(r.sqnrThreshold);
  s += `<line id="threshold" x1="${left}" x2="${W - right}" y1="${c(ty)}" y2="${c(ty)}" stroke="${COLORS.bad}" stroke-dasharray="5 4"/>`;
  s += `<text x="${left + 4}" y="${c(ty - 4)}" class="tick" fill="${COLORS.bad}">threshold ${r.sqnrThreshold} dB</text>`;
  s += `<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="${COLORS.axis}"/>`;
  s += `<line x1="${left}" x2="${W - right}" y1="${c(y(Math.max(lo, 0)))}" y2="${c(y(Math.max(lo, 0)))}" stroke="${COLORS.axis}"/>`;
  s += '</svg>';
  return s;
}

function scatterChart(o: OutputReport, i: number): string {
  const S = 320;
  const pad = 44;
  const plot = S - pad - 12;
  let lo = Infinity;
  let hi = -Infinity;
  for (const [a, b] of o.points) {
    lo = Math.min(lo, a, b);
    hi = Math.max(hi, a, b);
  }
  if (!Number.isFinite(lo)) {
    lo = 0;
    hi = 1;
  }
  if (hi - lo < 1e-12) {
    lo -= 0.5;
    hi += 0.5;
  }
  const m = (hi - lo) * 0.04;
  lo -= m;
  hi += m;
  const px = (v: number): number => pad + ((v - lo) / (hi - lo)) * plot;
  const py = (v: number): number => 12 + plot - ((v - lo) / (hi - lo)) * plot;
  let s = `<svg id="chart-scatter-${i}" class="chart chart-scatter" viewBox="0 0 ${S} ${S}" width="${S}" height="${S}" role="img" aria-label="float vs quantized values of ${esc(o.key)}">`;
  for (const t of niceTicks(lo, hi, 4)) {
    s += `<line x1="${c(px(t))}" x2="${c(px(t))}" y1="12" y2="${12 + plot}" stroke="${COLORS.grid}"/>`;
    s += `<line x1="${pad}" x2="${pad + plot}" y1="${c(py(t))}" y2="${c(py(t))}" stroke="${COLORS.grid}"/>`;
    s += `<text x="${c(px(t))}" y="${12 + plot + 14}" text-anchor="middle" class="tick">${num(t)}</text>`;
    s += `<text x="${pad - 4}" y="${c(py(t) + 4)}" text-anchor="end" class="tick">${num(t)}</text>`;
  }
  s += `<line class="diagonal" x1="${c(px(lo))}" y1="${c(py(lo))}" x2="${c(px(hi))}" y2="${c(py(hi))}" stroke="${COLORS.line}" stroke-dasharray="4 3"/>`;
  for (const [a, b] of o.points) s += `<circle class="pt" cx="${c(px(a))}" cy="${c(py(b))}" r="2"/>`;
  s += `<text x="${pad + plot / 2}" y="${S - 2}" text-anchor="middle" class="axis-label">float</text>`;
  s += `<text x="10" y="${12 + plot / 2}" transform="rotate(-90 10 ${12 + plot / 2})" text-anchor="middle" class="axis-label">quantized</text>`;
  s += '</svg>';
  return s;
}

function sizeChart(r: QuantReport): string {
  const W = 960;
  const rowH = 34;
  const left = 90;
  const right = 150;
  const H = 2 * rowH + 50;
  const max = Math.max(r.float.size.total, r.quantized.size.total, 1);
  const scale = (W - left - right) / max;
  let s = `<svg id="chart-size" class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="size breakdown">`;
  [
    ['float', r.float.size],
    ['quantized', r.quantized.size],
  ].forEach(([name, size], k) => {
    const z = size as QuantReport['float']['size'];
    const yy = 10 + k * (rowH + 6);
    const ww = z.weights * scale;
    const gw = z.graph * scale;
    s += `<text x="${left - 8}" y="${yy + rowH / 2 + 5}" text-anchor="end" class="label">${name}</text>`;
    s += `<rect class="seg weights" x="${left}" y="${yy}" width="${c(ww)}" height="${rowH}" fill="${COLORS.weights}"><title>weights ${esc(formatBytes(z.weights))}</title></rect>`;
    s += `<rect class="seg graph" x="${c(left + ww)}" y="${yy}" width="${c(gw)}" height="${rowH}" fill="${COLORS.graph}"><title>graph ${esc(formatBytes(z.graph))}</title></rect>`;
    s += `<text x="${c(left + ww + gw + 8)}" y="${yy + rowH / 2 + 5}" class="label">${esc(formatBytes(z.total))}</text>`;
  });
  const ly = H - 14;
  s += `<rect x="${left}" y="${ly - 10}" width="12" height="12" fill="${COLORS.weights}"/><text x="${left + 18}" y="${ly}" class="label">weights (constant data)</text>`;
  s += `<rect x="${left + 210}" y="${ly - 10}" width="12" height="12" fill="${COLORS.graph}"/><text x="${left + 228}" y="${ly}" class="label">graph (operators, tensors, metadata)</text>`;
  s += '</svg>';
  return s;
}

function table(head: string[], rows: string[][], cls = ''): string {
  return `<div class="scroll"><table${cls ? ` class="${cls}"` : ''}><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.join('')}</tr>`)
    .join('')}</tbody></table></div>`;
}

const td = (s: string, cls = ''): string => `<td${cls ? ` class="${cls}"` : ''}>${esc(s)}</td>`;

function layerRow(l: LayerReport): string[] {
  return [
    td(String(l.index), 'n'),
    td(l.op),
    `<td title="${esc(l.tfNodes.join('\n'))}">${esc(layerName(l))}</td>`,
    td(`[${l.shape.join(',')}]`),
    td(l.dtype),
    td(quantText(l.quantization), 'n'),
    td(l.floatRange ? `${num(l.floatRange[0])} .. ${num(l.floatRange[1])}` : '-', 'n'),
    td(aloneText(l), l.belowThreshold && l.alone ? 'n bad' : 'n'),
    td(formatDb(l.sqnr, l.identical), l.belowThreshold && !l.alone ? 'n bad' : 'n'),
    td(num(l.mse), 'n'),
    td(num(l.maxAbs), 'n'),
    td(l.cosine === null ? '-' : l.cosine.toFixed(5), 'n'),
    td(l.match ?? 'unmatched'),
  ];
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#222;margin:24px auto;max-width:1000px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#555;margin:0 0 12px}.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.card{border:1px solid #ddd;border-radius:6px;padding:8px 12px;flex:1 1 0;min-width:120px}.card b{display:block;font-size:20px}
table{border-collapse:collapse;font-size:12.5px;margin:6px 0;width:100%}th,td{border-bottom:1px solid #eee;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f6f6f6;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}td.bad{color:#c9302c;font-weight:600}td.nowrap{white-space:nowrap}
.chart{max-width:100%;height:auto;display:block}.chart text{font-size:11px;fill:#444}.chart .axis-label{font-size:12px;fill:#333}
.chart circle.pt{fill:#2f7ed8;fill-opacity:.55}.scatters{display:flex;flex-wrap:wrap;gap:16px}.scatters figure{margin:0}
figcaption{font-size:12.5px;color:#444;max-width:320px}code{background:#f3f3f3;padding:1px 4px;border-radius:3px;word-break:break-all}
.scroll{overflow-x:auto}.note{color:#8a6d3b;background:#fcf8e3;border:1px solid #faebcc;padding:6px 10px;border-radius:4px;margin:6px 0}
`;

export function reportHtml(r: QuantReport): string {
  const worst = worstFirst(r.layers).find((l) => ownSqnr(l) !== null);
  const main = r.outputs[0];
  const cards = [
    main ? `<div class="card">output SQNR<b>${esc(formatDb(main.sqnr))} dB</b>${esc(main.key)}</div>` : '',
    main && main.top1 !== null ? `<div class="card">top-1 agreement<b>${(100 * main.top1).toFixed(1)}%</b>${r.data.samples} samples</div>` : '',
    `<div class="card">size<b>${r.sizeRatio.toFixed(2)}x</b>${esc(formatBytes(r.quantized.size.total))} of ${esc(formatBytes(r.float.size.total))}</div>`,
    worst ? `<div class="card">worst layer<b>${esc(formatDb(ownSqnr(worst)))} dB</b>#${worst.index} ${esc(worst.op)} ${esc(layerName(worst, 24))}</div>` : '',
    `<div class="card">below ${r.sqnrThreshold} dB<b>${r.layers.filter((l) => l.belowThreshold).length}</b>of ${r.layers.length} layers</div>`,
  ].join('');

  const ops = [...new Set([...Object.keys(r.float.ops), ...Object.keys(r.quantized.ops)])].sort();
  const outputsTable = table(
    ['output', 'shape', 'SQNR dB', 'MSE', 'max |err|', 'cosine', 'top-1'],
    r.outputs.map((o) => [
      td(o.key),
      td(`[${o.shape.join(',')}]`),
      td(formatDb(o.sqnr), 'n'),
      td(num(o.mse), 'n'),
      td(num(o.maxAbs), 'n'),
      td(o.cosine === null ? '-' : o.cosine.toFixed(5), 'n'),
      td(o.top1 === null ? '-' : `${(100 * o.top1).toFixed(1)}%`, 'n'),
    ]),
  );
  const scatters = r.outputs
    .map(
      (o, i) =>
        `<figure>${scatterChart(o, i)}<figcaption><b>${esc(o.key)}</b>: ${o.points.length} of the values (float on x, quantized on y; on the dashed line they agree); SQNR ${esc(formatDb(o.sqnr))} dB</figcaption></figure>`,
    )
    .join('');
  const weights = r.layers.filter((l) => l.weights);
  const weightsTable = table(
    ['#', 'op', 'layer', 'channels', 'spread', 'one scale dB', 'per channel dB', 'stored', 'stored dB', ''],
    weights.map((l) => {
      const w = l.weights as NonNullable<LayerReport['weights']>;
      return [
        td(String(l.index), 'n'),
        td(l.op),
        `<td title="${esc(l.tfNodes.join('\n'))}">${esc(layerName(l))}</td>`,
        td(String(w.channels), 'n'),
        td(w.spread.toFixed(1), 'n'),
        td(formatDb(w.perTensorSqnr), 'n'),
        td(formatDb(w.perChannelSqnr), 'n'),
        td(w.stored),
        td(formatDb(w.storedSqnr), 'n'),
        td(w.flagged ? (w.stored === 'per-tensor' ? 'one scale: loses precision' : 'one scale would lose precision') : '', w.flagged && w.stored === 'per-tensor' ? 'bad' : 'nowrap'),
      ];
    }),
  );
  const below = worstFirst(r.layers.filter((l) => l.belowThreshold));
  const exclusions = below.length
    ? `<ul>${below.map((l) => `<li>#${l.index} ${esc(l.op)} ${esc(layerName(l, 60))}: <code>${esc(belowText(l))}</code></li>`).join('')}</ul>${
        r.excludeNodes ? `<p>To keep all of them in float: <code>--exclude-nodes '${esc(r.excludeNodes)}'</code></p>` : ''
      }`
    : '<p>none</p>';
  const unmatched = [
    ...r.unmatched.quantized.map((u) => `<li>quantized #${u.index} ${esc(u.op)} <code>${esc(u.tensor)}</code>: no float tensor matched</li>`),
    ...r.unmatched.float.map((u) => `<li>float #${u.index} ${esc(u.op)} <code>${esc(u.tensor)}</code>: no layer of the quantized model matched</li>`),
  ];
  const floatOps = r.floatOps.length ? table(['#', 'op', 'tensor', 'kind'], r.floatOps.map((f) => [td(String(f.index), 'n'), td(f.op), td(f.tensor), td(f.kind)])) : '<p>none: every operator computes in integers</p>';
  const json = JSON.stringify(reportJsonValue(r)).replace(/</g, '\\u003c');

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Quantization report: ${esc(r.quantized.file)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>Quantization report</h1>
<p class="meta"><code>${esc(r.quantized.file)}</code> against <code>${esc(r.float.file)}</code><br>${esc(r.data.description)}: both models run in the TFLite runtime, every layer's values read from it</p>
${r.notes.map((n) => `<p class="note">${esc(n)}</p>`).join('\n')}
<div class="cards">${cards}</div>
<h2>SQNR per layer</h2>
<p class="meta">Each operator's output in graph order; higher is better (signal power over quantization-error power, in dB). Bars: the layer in the quantized model (with the error it inherits); black marks: the error the layer adds itself (its float operator run in the runtime on the same quantized inputs). Red: below the ${r.sqnrThreshold} dB threshold.</p>
${sqnrChart(r)}
<h2>Outputs</h2>
${outputsTable}
<div class="scatters">${scatters}</div>
<h2>Size</h2>
${sizeChart(r)}
${table(
  ['op', 'float', 'quantized'],
  ops.map((k) => [td(k), td(String(r.float.ops[k] ?? 0), 'n'), td(String(r.quantized.ops[k] ?? 0), 'n')]),
)}
<h2>Ops that stayed float</h2>
${floatOps}
<h2>Layers, worst first</h2>
${table(['#', 'op', 'layer', 'shape', 'dtype', 'scale / zp', 'float range', 'alone dB', 'in model dB', 'MSE', 'max |err|', 'cosine', 'matched by'], worstFirst(r.layers).map(layerRow))}
<h2>Weights</h2>
<p class="meta">Per output channel: spread = largest / smallest channel max |w|; what-if SQNR of int8 weights with one scale and with one per channel; "stored" is what the quantized file holds.</p>
${weights.length ? weightsTable : '<p>no layer with constant weights</p>'}
<h2>Below ${r.sqnrThreshold} dB</h2>
${exclusions}
${unmatched.length ? `<h2>Unmatched</h2><ul>${unmatched.join('')}</ul>` : ''}
<script type="application/json" id="tfconv-report">${json}</script>
</body>
</html>
`;
}
