// Activation ranges from representative data: one collector per tensor, fed every value the
// float model produced for it, and asked for a range at the end.
//
//   minmax      TFLite's calibrator: the min of the minima and the max of the maxima.
//   percentile  the p-th and (100-p)-th percentiles of the value distribution (default p 99.99):
//               a few outliers no longer stretch the range.
//   entropy     the clipping threshold that minimises the KL divergence between the value
//               histogram and its quantized form (TensorRT's calibrator, as ONNX Runtime and
//               MXNet implement it): symmetric on |x| for two-sided tensors (128 levels a side),
//               one-sided for tensors that are >= 0 (or <= 0) such as ReLU outputs (256 levels).
//
// Percentile and entropy build their histogram in one pass: the bins cover [0, R] on each side of
// zero and R doubles (merging bin pairs) when a larger value arrives, so no value is stored and
// no second inference is needed. Non-finite values are skipped and counted.

import { err } from '../errors/index.js';
import type { CalibrationMethod } from './options.js';

export interface TensorRange {
  min: number;
  max: number;
}

export interface RangeCollector {
  /** Add the values one run produced for the tensor. */
  add(values: ArrayLike<number>): void;
  /** The range to quantize with (always includes 0). */
  range(): TensorRange;
  /** Values seen (finite ones). */
  readonly count: number;
  /** NaN / infinite values seen and skipped. */
  readonly nonFinite: number;
}

export interface CollectorOptions {
  /** For 'percentile': the percentile kept, in (50, 100]. Default 99.99. */
  percentile?: number;
  /** Histogram bins on each side of zero (percentile, entropy). Default 2048, as TensorRT. */
  bins?: number;
}

export const DEFAULT_PERCENTILE = 99.99;

export function createCollector(method: CalibrationMethod, options: CollectorOptions = {}): RangeCollector {
  if (method === 'minmax') return new MinMaxCollector();
  const h = new HistogramCollector(options.bins ?? 2048);
  if (method === 'percentile') return withRange(h, () => h.percentileRange(options.percentile ?? DEFAULT_PERCENTILE));
  return withRange(h, () => h.entropyRange());
}

function withRange(h: HistogramCollector, range: () => TensorRange): RangeCollector {
  return {
    add: (v) => h.add(v),
    range,
    get count() {
      return h.count;
    },
    get nonFinite() {
      return h.nonFinite;
    },
  };
}

/** Ranges always include 0 (so that 0, e.g. padding, is exact). */
function withZero(min: number, max: number): TensorRange {
  return { min: Math.min(min, 0), max: Math.max(max, 0) };
}

export class MinMaxCollector implements RangeCollector {
  private min = Infinity;
  private max = -Infinity;
  count = 0;
  nonFinite = 0;

  add(values: ArrayLike<number>): void {
    let mn = this.min;
    let mx = this.max;
    let bad = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < mn) mn = v;
      if (v > mx) mx = v;
      // NaN fails both comparisons; +-Infinity is caught below.
      if (v !== v) bad++;
    }
    if (mn === -Infinity || mx === Infinity) {
      // Rare: redo the pass skipping non-finite values.
      mn = this.min;
      mx = this.max;
      bad = 0;
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (!Number.isFinite(v)) {
          bad++;
          continue;
        }
        if (v < mn) mn = v;
        if (v > mx) mx = v;
      }
    }
    this.min = mn;
    this.max = mx;
    this.nonFinite += bad;
    this.count += values.length - bad;
  }

  range(): TensorRange {
    if (this.count === 0) return { min: 0, max: 0 };
    return withZero(this.min, this.max);
  }
}

/**
 * A histogram over [-bound, bound] with `bins` bins on each side of zero, centred (bin `bins`
 * starts at 0), sharing one bin width; `pos` and `neg` are views of each side by distance from 0.
 */
export class HistogramCollector {
  /** 2 x bins counts: index bins + floor(x / width). */
  private readonly h: Float64Array;
  /** Upper edge of the last bin; 0 until a non-zero value arrives. */
  bound = 0;
  min = Infinity;
  max = -Infinity;
  count = 0;
  nonFinite = 0;

  constructor(readonly bins: number) {
    if (!Number.isInteger(bins) || bins < 16) throw err.internal(`histogram needs at least 16 bins, got ${bins}`);
    this.h = new Float64Array(2 * bins);
  }

  /** Counts of x >= 0 by distance from 0 (bin i covers [i w, (i+1) w)). */
  get pos(): Float64Array {
    return this.h.subarray(this.bins);
  }

  /** Counts of x < 0 by distance from 0 (bin i covers [-(i+1) w, -i w)). */
  get neg(): Float64Array {
    return this.h.slice(0, this.bins).reverse();
  }

  add(values: ArrayLike<number>): void {
    const n = this.bins;
    const top = 2 * n;
    const h = this.h;
    let perUnit = this.bound > 0 ? n / this.bound : 0;
    let mn = this.min;
    let mx = this.max;
    // One pass: values inside the bound are binned at once; the rest (rare after the first
    // sample: larger values, and non-finite ones) are handled after it.
    let outside: number[] | null = null;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < mn) mn = v;
      if (v > mx) mx = v;
      const b = v * perUnit + n;
      if (b >= 0 && b < top && (perUnit > 0 || v === 0)) h[b | 0]++;
      else (outside ??= []).push(v);
    }
    let bad = 0;
    if (outside) {
      let maxAbs = 0;
      for (const v of outside) if (Number.isFinite(v) && Math.abs(v) > maxAbs) maxAbs = Math.abs(v);
      if (maxAbs > this.bound) this.grow(maxAbs);
      perUnit = this.bound > 0 ? n / this.bound : 0;
      for (const v of outside) {
        if (!Number.isFinite(v)) {
          bad++;
          continue;
        }
        const b = Math.floor(v * perUnit + n);
        h[b < 0 ? 0 : b >= top ? top - 1 : b]++;
      }
      if (bad) {
        // +-Infinity took part in min/max above: recompute them over finite values only.
        mn = this.min;
        mx = this.max;
        for (let i = 0; i < values.length; i++) {
          const v = values[i];
          if (!Number.isFinite(v)) continue;
          if (v < mn) mn = v;
          if (v > mx) mx = v;
        }
      }
    }
    this.min = mn;
    this.max = mx;
    this.nonFinite += bad;
    this.count += values.length - bad;
  }

  /** Widen the bound to at least `maxAbs` by doubling, merging 2^k bins into one (about 0). */
  private grow(maxAbs: number): void {
    if (this.bound === 0) {
      this.bound = maxAbs;
      return;
    }
    let k = 0;
    while (this.bound * 2 ** k < maxAbs) k++;
    const n = this.bins;
    const h = this.h;
    const old = h.slice();
    h.fill(0);
    // Bin b holds [j w, (j+1) w) with j = b - n; after widening by 2^k it belongs to j >> k
    // (an arithmetic shift floors negative j too).
    for (let b = 0; b < 2 * n; b++) if (old[b] !== 0) h[n + ((b - n) >> k)] += old[b];
    this.bound *= 2 ** k;
  }

  /** [q_(100-p), q_p] of the value distribution, interpolated within bins, within [min, max]. */
  percentileRange(p: number): TensorRange {
    if (this.count === 0) return { min: 0, max: 0 };
    if (!(p > 50 && p <= 100)) throw err.badOption('percentile', `must be in (50, 100], got ${p}`);
    const tail = ((100 - p) / 100) * this.count;
    const hi = this.upperValue(this.pos, this.neg, tail);
    const lo = -this.upperValue(this.neg, this.pos, tail);
    return withZero(Math.max(lo, this.min), Math.min(hi, this.max));
  }

  /**
   * The value v with `tail` of the mass above it, counting `side` as the positive half (the other
   * half lies below every bin of `side`).
   */
  private upperValue(side: Float64Array, other: Float64Array, tail: number): number {
    const w = this.bound / this.bins;
    let acc = 0;
    for (let i = this.bins - 1; i >= 0; i--) {
      const c = side[i];
      if (acc + c > tail) {
        // Linear within the bin: the part of it above v holds tail - acc.
        const frac = c > 0 ? (tail - acc) / c : 0;
        return (i + 1 - frac) * w;
      }
      acc += c;
    }
    // The tail reaches below zero: take it from the other side, in the negative direction.
    for (let i = 0; i < this.bins; i++) {
      const c = other[i];
      if (acc + c > tail) {
        const frac = c > 0 ? (tail - acc) / c : 0;
        return -(i + frac) * w;
      }
      acc += c;
    }
    return 0;
  }

  /** The KL-optimal clipping range (see the file comment). */
  entropyRange(): TensorRange {
    if (this.count === 0 || this.bound === 0) return withZero(this.min === Infinity ? 0 : this.min, this.max === -Infinity ? 0 : this.max);
    const w = this.bound / this.bins;
    const sum = (h: Float64Array): number => h.reduce((a, b) => a + b, 0);
    const negMass = sum(this.neg);
    const posMass = sum(this.pos) - this.pos[0]; // exact zeros land in pos[0] and count for neither side
    const total = negMass + posMass;
    // One-sided when the other side holds (almost) nothing: all 256 levels go to one side.
    if (negMass <= 1e-6 * total) return withZero(this.min, Math.min(this.max, klThreshold(this.pos, 256) * w));
    if (posMass <= 1e-6 * total) return withZero(Math.max(this.min, -klThreshold(this.neg, 256) * w), this.max);
    const mag = new Float64Array(this.bins);
    for (let i = 0; i < this.bins; i++) mag[i] = this.pos[i] + this.neg[i];
    const t = klThreshold(mag, 128) * w;
    return withZero(Math.max(this.min, -t), Math.min(this.max, t));
  }
}

/**
 * The number of bins i (numQuant <= i <= bins) whose clipped histogram P (outliers folded into
 * bin i-1) is closest in KL divergence to Q, P's values merged into numQuant levels and spread
 * back over the non-empty bins.
 */
export function klThreshold(hist: Float64Array, numQuant: number): number {
  const n = hist.length;
  if (n <= numQuant) return n;
  // Suffix sums: the mass beyond a candidate threshold.
  const beyond = new Float64Array(n + 1);
  for (let i = n - 1; i >= 0; i--) beyond[i] = beyond[i + 1] + hist[i];
  let best = n;
  let bestKl = Infinity;
  const p = new Float64Array(n);
  const q = new Float64Array(n);
  for (let i = numQuant; i <= n; i++) {
    for (let k = 0; k < i; k++) p[k] = hist[k];
    p[i - 1] += beyond[i];
    // Q: hist[0, i) merged into numQuant levels, each level's mass spread over its non-empty bins.
    const merge = i / numQuant;
    for (let j = 0; j < numQuant; j++) {
      const start = Math.floor(j * merge);
      const end = j === numQuant - 1 ? i : Math.floor((j + 1) * merge);
      let mass = 0;
      let nonEmpty = 0;
      for (let k = start; k < end; k++) {
        mass += hist[k];
        if (hist[k] !== 0) nonEmpty++;
      }
      const each = nonEmpty ? mass / nonEmpty : 0;
      for (let k = start; k < end; k++) q[k] = hist[k] !== 0 ? each : 0;
    }
    const kl = klDivergence(p, q, i);
    if (kl < bestKl) {
      bestKl = kl;
      best = i;
    }
  }
  return best;
}

/** KL(P || Q) over the first n bins, both normalised and smoothed (MXNet's eps scheme). */
function klDivergence(p: Float64Array, q: Float64Array, n: number): number {
  let pTotal = 0;
  let qTotal = 0;
  let pZeros = 0;
  let qZeros = 0;
  for (let k = 0; k < n; k++) {
    pTotal += p[k];
    qTotal += q[k];
    if (p[k] === 0) pZeros++;
    if (q[k] === 0) qZeros++;
  }
  if (pTotal <= 0 || qTotal <= 0 || pZeros === n || qZeros === n) return Infinity;
  // Empty bins get EPS; the others give up the same mass in total.
  const pEps1 = (EPS * pZeros) / (n - pZeros);
  const qEps1 = (EPS * qZeros) / (n - qZeros);
  let kl = 0;
  for (let k = 0; k < n; k++) {
    const ps = p[k] === 0 ? EPS : Math.max(p[k] / pTotal - pEps1, TINY);
    const qs = q[k] === 0 ? EPS : Math.max(q[k] / qTotal - qEps1, TINY);
    kl += ps * Math.log(ps / qs);
  }
  return kl;
}

const EPS = 1e-4;
const TINY = 1e-7;
