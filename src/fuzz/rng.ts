// The fuzzer's seeded PRNG. Every case draws from its own generator, seeded from (run seed, case
// number) alone, so `--seed S --case K` replays case K without running the cases before it.

/** sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): fast, 128-bit state, good quality. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream = 0) {
    this.a = 0x9e3779b9;
    this.b = seed >>> 0;
    this.c = stream >>> 0;
    this.d = 1;
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** Uniform in [0, 2^32). */
  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform integer in [0, n); n must be a positive integer (up to 2^53). */
  int(n: number): number {
    if (n <= 0x100000000) return Math.floor((this.u32() / 0x100000000) * n);
    return Math.floor(((this.u32() * 0x100000000 + this.u32()) / 2 ** 64) * n);
  }

  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }

  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new RangeError('Rng.pick: empty list');
    return xs[this.int(xs.length)] as T;
  }

  /** Picks by weight; `weights` are non-negative and not all zero. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let r = (this.u32() / 0x100000000) * total;
    for (const [x, w] of items) {
      if (r < w) return x;
      r -= w;
    }
    return items[items.length - 1][0];
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }

  /** Small counts are likelier than large ones: 1 + floor(max^u) - 1. */
  smallCount(max: number): number {
    return Math.max(1, Math.min(max, Math.floor(Math.pow(max + 1, this.u32() / 0x100000000))));
  }
}

/** The seed of case `k` of run `seed` (splitmix32 of both): independent streams per case. */
export function caseSeed(seed: number, k: number): number {
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(k >>> 0, 0x85ebca77) ^ Math.floor(k / 0x100000000)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}
