// Deterministic weights. Every variable has its own stream, seeded from the model seed and the
// variable's name, so a tensor can be generated alone, in any order, when the writer reaches it
// (large models are never held in memory at once) and always comes out with the same bytes.
//
// Only integer arithmetic, +, *, / and Math.sqrt are used (all exactly specified by IEEE 754 and
// ECMAScript), never Math.log/cos/exp, whose last bit may differ between engines: the committed
// demo model must regenerate byte for byte on any machine.

import type { TensorValue } from '../core/tensor.js';

/** How a variable's values are drawn. */
export type Initializer =
  /** Approximately normal with this standard deviation and mean. */
  | { kind: 'normal'; std: number; mean?: number }
  /** Uniform in [low, high). */
  | { kind: 'uniform'; low: number; high: number }
  | { kind: 'constant'; value: number };

/** He (Kaiming) normal: std sqrt(2 / fanIn), for layers followed by ReLU. */
export function heNormal(fanIn: number): Initializer {
  return { kind: 'normal', std: Math.sqrt(2 / fanIn) };
}

/** Glorot (Xavier) normal: std sqrt(2 / (fanIn + fanOut)). */
export function glorotNormal(fanIn: number, fanOut: number): Initializer {
  return { kind: 'normal', std: Math.sqrt(2 / (fanIn + fanOut)) };
}

const TWO_POW_MINUS_32 = 2.3283064365386963e-10;

/**
 * xoshiro128** (Blackman and Vigna), seeded through splitmix32. The state is kept as int32 so
 * the hot loops stay in small-integer arithmetic; fill loops copy it into locals.
 */
export class Xoshiro128 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed | 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return z ^ (z >>> 16);
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9);
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r >>> 0;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  nextFloat(): number {
    return this.nextU32() * TWO_POW_MINUS_32;
  }

  /**
   * out[i] = offset + scale * (u1 + ... + u_k) for k uniforms per element, the uniforms drawn in
   * order as nextFloat() would (the same stream, without a call per draw).
   */
  fillSums(out: Float32Array, k: number, offset: number, scale: number): void {
    let a = this.a;
    let b = this.b;
    let c = this.c;
    let d = this.d;
    for (let i = 0; i < out.length; i++) {
      let sum = 0;
      for (let j = 0; j < k; j++) {
        let r = Math.imul(b, 5);
        r = Math.imul((r << 7) | (r >>> 25), 9);
        const t = b << 9;
        c ^= a;
        d ^= b;
        b ^= c;
        a ^= d;
        c ^= t;
        d = (d << 11) | (d >>> 21);
        sum += (r >>> 0) * TWO_POW_MINUS_32;
      }
      out[i] = offset + scale * sum;
    }
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** FNV-1a over the UTF-16 code units of `text`, mixed with `seed`: the stream seed of one variable. */
export function streamSeed(seed: number, text: string): number {
  let h = (0x811c9dc5 ^ Math.imul(seed >>> 0, 0x01000193)) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const SQRT3 = Math.sqrt(3);

/**
 * Fill `out` from the initializer. Normal values are Irwin-Hall sums of four uniforms, scaled to
 * unit variance (bounded at +-2*sqrt(3) standard deviations: a bell close to the truncated normal
 * Keras initializers draw from, with arithmetic that is exact on every engine).
 */
export function fill(out: Float32Array, init: Initializer, rng: Xoshiro128): void {
  switch (init.kind) {
    case 'constant':
      out.fill(init.value);
      return;
    case 'uniform':
      rng.fillSums(out, 1, init.low, init.high - init.low);
      return;
    case 'normal': {
      // mean + std * sqrt(3) * (u1 + u2 + u3 + u4 - 2)
      const scale = init.std * SQRT3;
      rng.fillSums(out, 4, (init.mean ?? 0) - 2 * scale, scale);
      return;
    }
  }
}

/** A float32 tensor drawn from `init` with the stream of (`seed`, `name`). */
export function generateTensor(shape: readonly number[], init: Initializer, seed: number, name: string): TensorValue {
  const n = shape.reduce((p, d) => p * d, 1);
  const data = new Float32Array(n);
  fill(data, init, new Xoshiro128(streamSeed(seed, name)));
  return { dtype: 'float32', shape: [...shape], data };
}
