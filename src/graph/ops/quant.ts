// Fake quantization (QAT graphs) and QuantizeAndDequantize. Folding reproduces TensorFlow's
// float32 kernels operation by operation (every intermediate rounded to float32, in the kernel's
// order), because the nudged min/max/scale decide which quantization step an input lands on and
// a one-ulp difference moves a weight to the neighbouring step:
// - fake_quant_ops_functor.h (TF >= 2.10: Nudge also returns inv_scale computed from the range,
//   and outputs are (q - quant_zero) * scale),
// - quantize_and_dequantize_op.h (ComputeQuantizationRange, ClampScaleAndRound).

import type { DType } from '../../core/dtype.js';
import { type TensorValue, numElements } from '../../core/tensor.js';
import type { Node } from '../ir.js';
import { fail, fmt, mergeDim } from './check.js';
import type { InferInput, OpTable, TfOpSemantics } from './types.js';
import { makeValue, numbers, sameShape } from './util.js';

const f = Math.fround;

/** std::round on a float: halves away from zero. */
function stdRound(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

export interface Nudged {
  min: number;
  max: number;
  scale: number;
  invScale: number;
}

/** TF's Nudge: the float32 range whose zero point is an integer in [quantMin, quantMax]. */
export function nudge(min: number, max: number, quantMin: number, quantMax: number): Nudged {
  const qmin = quantMin;
  const qmax = quantMax;
  const scale = f(f(max - min) / (qmax - qmin));
  const invScale = f((qmax - qmin) / f(max - min));
  const zeroFromMin = f(qmin - f(min / scale));
  // A uint16 in TF: quant_max is at most 65535.
  const zp = zeroFromMin < qmin ? qmin : zeroFromMin > qmax ? qmax : stdRound(zeroFromMin) & 0xffff;
  return { min: f(f(qmin - zp) * scale), max: f(f(qmax - zp) * scale), scale, invScale };
}

function quantRange(n: Node): [number, number] {
  const bits = n.attrInt('num_bits', 8);
  if (bits < 2 || bits > 16) throw fail(n, `num_bits must be between 2 and 16 inclusive, got ${bits}`);
  return [n.attrBool('narrow_range', false) ? 1 : 0, 2 ** bits - 1];
}

/** One element through a nudged range: multiply by inv_scale (Args, PerChannel) or divide by scale (Vars). */
function fakeQuantElement(x: number, q: Nudged, quantZero: number, divide: boolean): number {
  const clamped = Math.max(Math.min(x, q.max), q.min);
  const shifted = f(clamped - q.min);
  const scaled = divide ? f(shifted / q.scale) : f(shifted * q.invScale);
  return f(Math.floor(f(f(scaled - quantZero) + 0.5)) * q.scale);
}

/** Fake-quantize values in place over channels (channel = index % depth; depth 1 = per tensor). */
function fakeQuant(xv: Float64Array, mins: Float64Array, maxs: Float64Array, qmin: number, qmax: number, divide: boolean): Float64Array {
  const depth = mins.length;
  const out = new Float64Array(xv.length);
  for (let c = 0; c < depth; c++) {
    const mn = f(mins[c]);
    const mx = f(maxs[c]);
    // Both zero: TF outputs zeros (Vars and PerChannel).
    if (mn === 0 && mx === 0) continue;
    const q = nudge(mn, mx, qmin, qmax);
    const quantZero = Math.floor(f(f(-q.min * q.invScale) + 0.5));
    for (let i = c; i < xv.length; i += depth) out[i] = fakeQuantElement(f(xv[i]), q, quantZero, divide);
  }
  return out;
}

function sameAsInput(n: Node, x: InferInput): { dtype: DType; shape: number[] | null }[] {
  if (x.dtype !== 'float32') throw fail(n, `inputs must be float32, got ${x.dtype}`);
  return [{ dtype: 'float32', shape: sameShape(x.shape) }];
}

const fakeQuantArgs: TfOpSemantics = {
  infer: (n, [x]) => {
    quantRange(n);
    const min = n.attrFloat('min', -6);
    const max = n.attrFloat('max', 6);
    if (!(min < max)) throw fail(n, `min (${min}) has to be smaller than max (${max})`);
    return sameAsInput(n, x);
  },
  evaluate: (n, [x]) => {
    const [qmin, qmax] = quantRange(n);
    const min = Float64Array.of(n.attrFloat('min', -6));
    const max = Float64Array.of(n.attrFloat('max', 6));
    return [makeValue('float32', x.shape.slice(), fakeQuant(numbers(x), min, max, qmin, qmax, false))];
  },
};

const fakeQuantVars: TfOpSemantics = {
  infer: (n, [x, mn, mx]) => {
    quantRange(n);
    for (const [v, what] of [
      [mn, 'min'],
      [mx, 'max'],
    ] as const) {
      if (v.shape && v.shape.length !== 0) throw fail(n, `${what} must be a scalar, got ${fmt(v.shape)}`);
    }
    return sameAsInput(n, x);
  },
  evaluate: (n, [x, mn, mx]) => {
    const [qmin, qmax] = quantRange(n);
    return [makeValue('float32', x.shape.slice(), fakeQuant(numbers(x), numbers(mn), numbers(mx), qmin, qmax, true))];
  },
};

const fakeQuantPerChannel: TfOpSemantics = {
  infer: (n, [x, mn, mx]) => {
    quantRange(n);
    if (x.shape && x.shape.length < 1) throw fail(n, `inputs must be at least 1-D, got ${fmt(x.shape)}`);
    const d = x.shape ? x.shape[x.shape.length - 1] : -1;
    for (const [v, what] of [
      [mn, 'min'],
      [mx, 'max'],
    ] as const) {
      if (v.shape === null) continue;
      if (v.shape.length !== 1) throw fail(n, `${what} must be 1-D, got ${fmt(v.shape)}`);
      mergeDim(n, d, v.shape[0], `${what} ${fmt(v.shape)} must match the last dimension of the inputs ${fmt(x.shape)}`);
    }
    return sameAsInput(n, x);
  },
  evaluate: (n, [x, mn, mx]) => {
    const [qmin, qmax] = quantRange(n);
    return [makeValue('float32', x.shape.slice(), fakeQuant(numbers(x), numbers(mn), numbers(mx), qmin, qmax, false))];
  },
};

// ------------------------------------------------------------------------------------------
// QuantizeAndDequantize V1/V2/V3/V4
// ------------------------------------------------------------------------------------------

const FLOAT_MAX = 3.4028234663852886e38;

interface QdqOptions {
  signed: boolean;
  bits: number;
  rangeGiven: boolean;
  halfUp: boolean;
  narrow: boolean;
  axis: number;
}

/** ComputeQuantizationRange + (Clamp)ScaleAndRound for one channel's elements. */
function qdqChannel(xs: number[], minRange0: number, maxRange0: number, o: QdqOptions, r: (x: number) => number): number[] {
  const half = 2 ** (o.bits - 1);
  const minQ = o.signed ? (o.narrow ? -half + 1 : -half) : 0;
  const maxQ = o.signed ? half - 1 : 2 ** o.bits - 1;
  let minRange = minRange0;
  let maxRange = maxRange0;
  const limit = r === Math.fround ? FLOAT_MAX : Number.MAX_VALUE;
  const fromMin = r(minQ * minRange) > 0 ? r(minQ / minRange) : limit;
  const fromMax = r(maxQ * maxRange) > 0 ? r(maxQ / maxRange) : limit;
  let scale: number;
  let inv: number;
  if (fromMin < fromMax) {
    scale = fromMin;
    inv = r(minRange / minQ);
    maxRange = r(maxQ * inv);
  } else {
    scale = fromMax;
    inv = r(maxRange / maxQ);
    minRange = r(minQ * inv);
  }
  const round = o.halfUp ? (v: number) => Math.floor(r(v + 0.5)) : roundHalfEven;
  return xs.map((x) => {
    const c = o.rangeGiven ? Math.max(Math.min(x, maxRange), minRange) : x;
    return r(round(r(c * scale)) * inv);
  });
}

/** rint: halves to even, and the sign of zero is kept (rint(-0.5) is -0). */
function roundHalfEven(v: number): number {
  const fl = Math.floor(v);
  const d = v - fl;
  const r = d > 0.5 ? fl + 1 : d < 0.5 ? fl : fl % 2 === 0 ? fl : fl + 1;
  return r === 0 && (v < 0 || Object.is(v, -0)) ? -0 : r;
}

function qdqOptions(n: Node, version: 1 | 2 | 3 | 4, bitsInput: number | null): QdqOptions {
  const o: QdqOptions = {
    signed: n.attrBool('signed_input', true),
    bits: bitsInput ?? n.attrInt('num_bits', 8),
    rangeGiven: n.attrBool('range_given', version === 3),
    halfUp: version === 2 || version === 4 ? n.attrString('round_mode', 'HALF_TO_EVEN') === 'HALF_UP' : false,
    narrow: n.attrBool('narrow_range', false),
    axis: n.attrInt('axis', -1),
  };
  if (version === 2 || version === 4) {
    const m = n.attrString('round_mode', 'HALF_TO_EVEN');
    if (m !== 'HALF_TO_EVEN' && m !== 'HALF_UP') throw fail(n, `round_mode must be HALF_TO_EVEN or HALF_UP, got ${m}`);
  }
  if (!(o.bits > 0 && o.bits < (o.signed ? 62 : 63))) throw fail(n, `num_bits is out of range: ${o.bits} with signed_input ${o.signed}`);
  if (o.axis < -1) throw fail(n, `axis should be at least -1, got ${o.axis}`);
  return o;
}

function qdqOp(version: 1 | 2 | 3 | 4): TfOpSemantics {
  return {
    infer: (n, [x, mn, mx]) => {
      const o = qdqOptions(n, version, version === 3 ? 8 : null);
      if (x.shape && o.axis >= x.shape.length) throw fail(n, `axis ${o.axis} is out of range for input ${fmt(x.shape)}`);
      if (version !== 1) {
        const depth = o.axis === -1 ? null : (x.shape?.[o.axis] ?? -1);
        for (const v of [mn, mx]) {
          if (!v?.shape) continue;
          if (depth === null && v.shape.length !== 0) throw fail(n, `input_min/input_max must be scalars, got ${fmt(v.shape)}`);
          if (depth !== null) {
            if (v.shape.length !== 1) throw fail(n, `input_min/input_max must be 1-D for axis ${o.axis}, got ${fmt(v.shape)}`);
            mergeDim(n, depth, v.shape[0], `input_min/input_max ${fmt(v.shape)} must have one value per channel of axis ${o.axis}`);
          }
        }
      }
      return [{ dtype: x.dtype, shape: sameShape(x.shape) }];
    },
    evaluate: (n, inputs) => {
      const [x, mnIn, mxIn, bitsIn] = inputs;
      const o = qdqOptions(n, version, version === 3 ? numbers(bitsIn)[0] : null);
      const r = x.dtype === 'float64' ? (v: number) => v : Math.fround;
      const xv = numbers(x);
      const depth = o.axis === -1 ? 1 : x.shape[o.axis];
      const inner = o.axis === -1 ? 1 : numElements(x.shape.slice(o.axis + 1));
      const mins = version === 1 ? [n.attrFloat('input_min', 0)] : Array.from(numbers(mnIn));
      const maxs = version === 1 ? [n.attrFloat('input_max', 0)] : Array.from(numbers(mxIn));
      const out = new Float64Array(xv.length);
      const groups: number[][] = Array.from({ length: depth }, () => []);
      for (let i = 0; i < xv.length; i++) groups[Math.floor(i / inner) % depth].push(i);
      for (let c = 0; c < depth; c++) {
        const idx = groups[c];
        const vals = idx.map((i) => r(xv[i]));
        let lo: number;
        let hi: number;
        if (o.rangeGiven) {
          lo = r(mins[c]);
          hi = r(maxs[c]);
          if (lo > hi) throw fail(n, `invalid range: input_min ${lo} > input_max ${hi}`);
        } else {
          lo = vals.reduce((a, b) => Math.min(a, b), Infinity);
          hi = vals.reduce((a, b) => Math.max(a, b), -Infinity);
        }
        const res = qdqChannel(vals, lo, hi, o, r);
        idx.forEach((i, k) => (out[i] = res[k]));
      }
      return [makeValue(x.dtype, x.shape.slice(), out)];
    },
  };
}

export const quantOps: OpTable = {
  FakeQuantWithMinMaxArgs: fakeQuantArgs,
  FakeQuantWithMinMaxVars: fakeQuantVars,
  FakeQuantWithMinMaxVarsPerChannel: fakeQuantPerChannel,
  QuantizeAndDequantize: qdqOp(1),
  QuantizeAndDequantizeV2: qdqOp(2),
  QuantizeAndDequantizeV3: qdqOp(3),
  QuantizeAndDequantizeV4: qdqOp(4),
};

/** For tests and passes: fake-quantize a tensor value as FakeQuantWithMinMaxVars would. */
export function fakeQuantValue(x: TensorValue, min: number, max: number, numBits = 8, narrowRange = false, divide = true): TensorValue {
  const qmin = narrowRange ? 1 : 0;
  const qmax = 2 ** numBits - 1;
  return makeValue('float32', x.shape.slice(), fakeQuant(numbers(x), Float64Array.of(min), Float64Array.of(max), qmin, qmax, divide));
}
