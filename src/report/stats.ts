// How far a quantized tensor's values are from the float model's values of the same tensor,
// accumulated over every element of every sample in order (the sums are float64 and taken in
// the order the values come, so a caller summing the same values the same way gets the same
// number to the last bit).

/** Error metrics of one tensor over all samples. Non-finite metrics are null (see docs/report.md). */
export interface ErrorMetrics {
  /** 10 log10(sum ref^2 / sum (ref - q)^2); null when both sums are 0 or the tensor is identical. */
  sqnr: number | null;
  /** Mean of (ref - q)^2. */
  mse: number;
  /** Largest |ref - q|. */
  maxAbs: number;
  /** sum ref*q / (|ref| |q|); null when either is all zeros. */
  cosine: number | null;
  /** The float model's smallest and largest value of the tensor. */
  floatRange: [number, number];
  /** Values compared (elements x samples). */
  count: number;
  /** True when every value was equal: no quantization error at all. */
  identical: boolean;
  /** Float values that were NaN or infinite (left out of every sum). */
  nonFinite: number;
}

export class ErrorStats {
  private n = 0;
  private signal = 0;
  private noise = 0;
  private dot = 0;
  private q2 = 0;
  private maxAbs = 0;
  private min = Infinity;
  private max = -Infinity;
  private nonFinite = 0;

  /** Add one sample's values: `ref` from the float model, `got` from the quantized one. */
  add(ref: ArrayLike<number>, got: ArrayLike<number>): void {
    const len = Math.min(ref.length, got.length);
    for (let k = 0; k < len; k++) {
      const r = ref[k];
      const q = got[k];
      if (!Number.isFinite(r) || !Number.isFinite(q)) {
        this.nonFinite++;
        continue;
      }
      this.signal += r * r;
      const d = r - q;
      this.noise += d * d;
      this.dot += r * q;
      this.q2 += q * q;
      const a = d < 0 ? -d : d;
      if (a > this.maxAbs) this.maxAbs = a;
      if (r < this.min) this.min = r;
      if (r > this.max) this.max = r;
      this.n++;
    }
  }

  result(): ErrorMetrics {
    const identical = this.noise === 0;
    const sqnr = identical || this.signal === 0 ? null : 10 * Math.log10(this.signal / this.noise);
    const norms = Math.sqrt(this.signal) * Math.sqrt(this.q2);
    return {
      sqnr,
      mse: this.n ? this.noise / this.n : 0,
      maxAbs: this.maxAbs,
      cosine: norms > 0 ? Math.min(1, Math.max(-1, this.dot / norms)) : null,
      floatRange: this.n ? [this.min, this.max] : [0, 0],
      count: this.n,
      identical: identical && this.n > 0,
      nonFinite: this.nonFinite,
    };
  }
}

/** SQNR (dB) of `approx` against `ref` in one pass; null when there is no error or no signal. */
export function sqnrOf(ref: ArrayLike<number>, approx: ArrayLike<number>): number | null {
  const s = new ErrorStats();
  s.add(ref, approx);
  return s.result().sqnr;
}

/** Index of the first largest value. */
export function argmax(v: ArrayLike<number>, from = 0, to = v.length): number {
  let b = from;
  for (let i = from + 1; i < to; i++) if (v[i] > v[b]) b = i;
  return b - from;
}
