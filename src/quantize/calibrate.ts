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
//   mse         the asymmetric range whose 256-level grid gives the least expected squared error
//               over the value histogram: clipping error outside the range plus rounding error
//               (step^2 / 12) inside it. Unlike entropy it weighs errors by size, so a long thin
//               tail (MFCC energies, logits) is clipped only as far as it pays.
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

/** Interleaved counter copies in a histogram (see HistogramCollector.h). */
const LANES = 4;

export function createCollector(method: CalibrationMethod, options: CollectorOptions = {}): RangeCollector {
  if (method === 'minmax') return new MinMaxCollector();
  const h = new HistogramCollector(options.bins ?? 2048);
  if (method === 'percentile') return withRange(h, () => h.percentileRange(options.percentile ?? DEFAULT_PERCENTILE));
  if (method === 'mse') return withRange(h, () => h.mseRange());
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
  /**
   * LANES interleaved copies of the 2 x bins counts (index lane * 2 bins + bins + floor(x / width)):
   * ReLU outputs put half their values in one bin, and a single counter makes every increment wait
   * for the previous one; four counters run four times as fast. Summed when read.
   */
  private readonly h: Float64Array;
  /** Upper edge of the last bin; 0 until a non-zero value arrives. */
  bound = 0;
  min = Infinity;
  max = -Infinity;
  count = 0;
  nonFinite = 0;

  constructor(readonly bins: number) {
    if (!Number.isInteger(bins) || bins < 16) throw err.internal(`histogram needs at least 16 bins, got ${bins}`);
    this.h = new Float64Array(LANES * 2 * bins);
  }

  /** The 2 x bins counts, lanes summed. */
  private counts(): Float64Array {
    const w = 2 * this.bins;
    const out = this.h.slice(0, w);
    for (let lane = 1; lane < LANES; lane++) for (let b = 0; b < w; b++) out[b] += this.h[lane * w + b];
    return out;
  }

  /** Counts of x >= 0 by distance from 0 (bin i covers [i w, (i+1) w)). */
  get pos(): Float64Array {
    return this.counts().subarray(this.bins);
  }

  /** Counts of x < 0 by distance from 0 (bin i covers [-(i+1) w, -i w)). */
  get neg(): Float64Array {
    return this.counts().slice(0, this.bins).reverse();
  }

  add(values: ArrayLike<number>): void {
    const n = this.bins;
    const top = 2 * n;
    const h = this.h;
    let mn = this.min;
    let mx = this.max;
    // One pass: values inside the bound are binned at once; the rest (rare after the first
    // sample: larger values, and non-finite ones) are handled after it.
    let outside: number[] | null = null;
    const len = values.length;
    if (this.bound === 0) {
      outside = Array.from(values);
    } else {
      const perUnit = n / this.bound;
      let i = 0;
      for (; i + 3 < len; i += 4) {
        const v0 = values[i];
        const v1 = values[i + 1];
        const v2 = values[i + 2];
        const v3 = values[i + 3];
        if (v0 < mn) mn = v0;
        if (v0 > mx) mx = v0;
        if (v1 < mn) mn = v1;
        if (v1 > mx) mx = v1;
        if (v2 < mn) mn = v2;
        if (v2 > mx) mx = v2;
        if (v3 < mn) mn = v3;
        if (v3 > mx) mx = v3;
        const b0 = v0 * perUnit + n;
        const b1 = v1 * perUnit + n;
        const b2 = v2 * perUnit + n;
        const b3 = v3 * perUnit + n;
        if (b0 >= 0 && b0 < top) h[b0 | 0]++;
        else (outside ??= []).push(v0);
        if (b1 >= 0 && b1 < top) h[top + (b1 | 0)]++;
        else (outside ??= []).push(v1);
        if (b2 >= 0 && b2 < top) h[2 * top + (b2 | 0)]++;
        else (outside ??= []).push(v2);
        if (b3 >= 0 && b3 < top) h[3 * top + (b3 | 0)]++;
        else (outside ??= []).push(v3);
      }
      for (; i < len; i++) {
        const v = values[i];
        if (v < mn) mn = v;
        if (v > mx) mx = v;
        const b = v * perUnit + n;
        if (b >= 0 && b < top) h[b | 0]++;
        else (outside ??= []).push(v);
      }
    }
    let bad = 0;
    if (outside) {
      let maxAbs = 0;
      for (const v of outside) {
        if (!Number.isFinite(v)) continue;
        if (Math.abs(v) > maxAbs) maxAbs = Math.abs(v);
        if (v < mn) mn = v;
        if (v > mx) mx = v;
      }
      if (maxAbs > this.bound) this.grow(maxAbs);
      const perUnit = this.bound > 0 ? n / this.bound : 0;
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
        for (let i = 0; i < len; i++) {
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
    this.count += len - bad;
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
    const merged = this.counts();
    this.h.fill(0);
    // Bin b holds [j w, (j+1) w) with j = b - n; after widening by 2^k it belongs to j >> k
    // (an arithmetic shift floors negative j too).
    for (let b = 0; b < 2 * n; b++) if (merged[b] !== 0) this.h[n + ((b - n) >> k)] += merged[b];
    this.bound *= 2 ** k;
  }

  /** [q_(100-p), q_p] of the value distribution, interpolated within bins, within [min, max]. */
  percentileRange(p: number): TensorRange {
    if (this.count === 0) return { min: 0, max: 0 };
    if (!(p > 50 && p <= 100)) throw err.badOption('percentile', `must be in (50, 100], got ${p}`);
    const tail = ((100 - p) / 100) * this.count;
    const pos = this.pos;
    const neg = this.neg;
    const hi = this.upperValue(pos, neg, tail);
    const lo = -this.upperValue(neg, pos, tail);
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

  /**
   * The range [lo, hi] (lo <= 0 <= hi, on bin edges) minimising, over the histogram, the clipping
   * error sum c (x - clip(x))^2 plus the rounding error (hi - lo)^2 / (12 * 255^2) per value
   * inside. With prefix sums of c, c x and c x^2 on each side every candidate costs O(1); the
   * candidates are a GRID x GRID lattice of edges on the two sides.
   */
  mseRange(): TensorRange {
    if (this.count === 0 || this.bound === 0) return withZero(this.min === Infinity ? 0 : this.min, this.max === -Infinity ? 0 : this.max);
    const w = this.bound / this.bins;
    // Side statistics by distance from 0, bin centres as the values: above edge e (in bins) lie
    // mass M(e), first moment S(e) and second moment Q(e) of the distances.
    const tails = (h: Float64Array) => {
      const n = h.length;
      const m = new Float64Array(n + 1);
      const s1 = new Float64Array(n + 1);
      const s2 = new Float64Array(n + 1);
      for (let i = n - 1; i >= 0; i--) {
        const x = (i + 0.5) * w;
        m[i] = m[i + 1] + h[i];
        s1[i] = s1[i + 1] + h[i] * x;
        s2[i] = s2[i + 1] + h[i] * x * x;
      }
      // Squared error of clipping everything beyond distance t = e w to t.
      return { m, clip: (e: number) => s2[e] - 2 * e * w * s1[e] + (e * w) ** 2 * m[e] };
    };
    const pos = tails(this.pos);
    const neg = tails(this.neg);
    const total = pos.m[0] + neg.m[0];
    const lastPos = this.max > 0 ? Math.min(this.bins, Math.ceil(this.max / w)) : 0;
    const lastNeg = this.min < 0 ? Math.min(this.bins, Math.ceil(-this.min / w)) : 0;
    const GRID = 256;
    const candidates = (last: number): number[] => {
      if (last === 0) return [0];
      const out = new Set<number>();
      for (let k = 1; k <= GRID; k++) out.add(Math.max(1, Math.round((k * last) / GRID)));
      return [...out];
    };
    let best = { err: Number.POSITIVE_INFINITY, lo: 0, hi: 0 };
    for (const eh of candidates(lastPos)) {
      const clipHi = pos.clip(eh);
      for (const el of candidates(lastNeg)) {
        const inside = total - pos.m[eh] - neg.m[el];
        const step = ((eh + el) * w) / 255;
        const e = clipHi + neg.clip(el) + (inside * step * step) / 12;
        if (e < best.err) best = { err: e, lo: -el * w, hi: eh * w };
      }
    }
    return withZero(Math.max(this.min, best.lo), Math.min(this.max, best.hi));
  }

  /** The KL-optimal clipping range (see the file comment). */
  entropyRange(): TensorRange {
    if (this.count === 0 || this.bound === 0) return withZero(this.min === Infinity ? 0 : this.min, this.max === -Infinity ? 0 : this.max);
    const w = this.bound / this.bins;
    const sum = (h: Float64Array): number => h.reduce((a, b) => a + b, 0);
    const pos = this.pos;
    const neg = this.neg;
    const negMass = sum(neg);
    const posMass = sum(pos) - pos[0]; // exact zeros land in pos[0] and count for neither side
    const total = negMass + posMass;
    // One-sided when the other side holds (almost) nothing: all 256 levels go to one side.
    if (negMass <= 1e-6 * total) return withZero(this.min, Math.min(this.max, klThreshold(pos, 256) * w));
    if (posMass <= 1e-6 * total) return withZero(Math.max(this.min, -klThreshold(neg, 256) * w), this.max);
    const mag = new Float64Array(this.bins);
    for (let i = 0; i < this.bins; i++) mag[i] = pos[i] + neg[i];
    const t = klThreshold(mag, 128) * w;
    return withZero(Math.max(this.min, -t), Math.min(this.max, t));
  }
}

/**
 * The number of bins i (numQuant <= i <= bins) whose clipped histogram P (outliers folded into
 * bin i-1) is closest in KL divergence to Q, P's values merged into numQuant levels and spread
 * back over the non-empty bins. Both are normalised and smoothed as MXNet does (empty bins get
 * EPS, taken evenly from the others).
 */
export function klThreshold(hist: Float64Array, numQuant: number): number {
  const n = hist.length;
  if (n <= numQuant) return n;
  // Prefix sums: mass and empty bins below each candidate; the total is P's mass for every i.
  const mass = new Float64Array(n + 1);
  const empty = new Int32Array(n + 1);
  for (let k = 0; k < n; k++) {
    mass[k + 1] = mass[k] + hist[k];
    empty[k + 1] = empty[k] + (hist[k] === 0 ? 1 : 0);
  }
  const total = mass[n];
  if (total <= 0) return n;
  let best = n;
  let bestKl = Infinity;
  // Candidates every `stride` bins (every bin up to 256 bins): each costs O(i) logarithms, so all
  // 2048 would take ~60 ms per tensor; a step of n / 256 keeps the threshold within 0.4 % of the
  // range at an eighth of that.
  const stride = Math.max(1, Math.floor(n / 256));
  const logEps = Math.log(EPS);
  for (let i = numQuant; ; i = Math.min(i + stride, n)) {
    // P = hist[0, i) with the mass beyond added to bin i - 1.
    const last = hist[i - 1] + (total - mass[i]);
    const pZeros = empty[i - 1] + (last === 0 ? 1 : 0);
    // Q = hist[0, i) merged into numQuant levels; Q is empty exactly where hist is.
    const qTotal = mass[i];
    const qZeros = empty[i];
    let kl = Infinity;
    if (pZeros < i && qZeros < i && qTotal > 0) {
      const pEps1 = (EPS * pZeros) / (i - pZeros);
      const qEps1 = (EPS * qZeros) / (i - qZeros);
      kl = 0;
      const merge = i / numQuant;
      for (let j = 0; j < numQuant; j++) {
        const start = Math.floor(j * merge);
        const end = j === numQuant - 1 ? i : Math.floor((j + 1) * merge);
        const nonEmpty = end - start - (empty[end] - empty[start]);
        // Every non-empty bin of a level holds the same Q value: one logarithm per level.
        const logQ = nonEmpty ? Math.log(Math.max((mass[end] - mass[start]) / nonEmpty / qTotal - qEps1, TINY)) : logEps;
        for (let k = start; k < end; k++) {
          const pk = k === i - 1 ? last : hist[k];
          const ps = pk === 0 ? EPS : Math.max(pk / total - pEps1, TINY);
          kl += ps * ((pk === 0 ? logEps : Math.log(ps)) - (hist[k] === 0 ? logEps : logQ));
        }
      }
    }
    if (kl < bestKl) {
      bestKl = kl;
      best = i;
    }
    if (i === n) break;
  }
  return best;
}

const EPS = 1e-4;
const TINY = 1e-7;
