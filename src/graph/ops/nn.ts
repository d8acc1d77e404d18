// Neural-network ops: convolutions, matrix products, bias, batch norm, pooling, softmax. Shapes
// follow TensorFlow's shape functions (common_shape_fns.cc, nn_ops.cc); folding computes in
// float64 and stores once, so a folded float32 result is the correctly rounded exact value.
// Only channels-last layouts are accepted: NCHW is reported, not silently mis-read.

import type { DType } from '../../core/dtype.js';
import { type TensorValue, numElements } from '../../core/tensor.js';
import type { Node, Shape, Tensor } from '../ir.js';
import { fail, fmt, knownInts, mergeDim, requireNhwc } from './check.js';
import type { InferInput, InferOutput, OpTable, TfOpSemantics } from './types.js';
import { broadcastShapes, makeValue, numbers, sameShape, strides, typeAttrOr } from './util.js';

// ------------------------------------------------------------------------------------------
// Windows: output sizes and padding (GetWindowedOutputSizeVerbose)
// ------------------------------------------------------------------------------------------

export type Padding = 'SAME' | 'VALID' | 'EXPLICIT';

export interface Window {
  out: number;
  /** Padding before (top/left); only meaningful when the input size is known. */
  padBefore: number;
}

/** One spatial dimension of a windowed op; -1 in, -1 out. */
export function windowedOutput(
  node: Node,
  input: number,
  filter: number,
  dilation: number,
  stride: number,
  padding: Padding,
  explicit: [number, number] = [0, 0],
): Window {
  if (stride <= 0) throw fail(node, `stride must be positive, got ${stride}`);
  if (dilation <= 0) throw fail(node, `dilation must be positive, got ${dilation}`);
  if (input < 0 || filter < 0) return { out: -1, padBefore: 0 };
  const eff = (filter - 1) * dilation + 1;
  let out: number;
  let padBefore = 0;
  if (padding === 'VALID') {
    out = Math.trunc((input - eff + stride) / stride);
  } else if (padding === 'EXPLICIT') {
    out = Math.trunc((input + explicit[0] + explicit[1] - eff + stride) / stride);
    padBefore = explicit[0];
  } else {
    out = Math.trunc((input + stride - 1) / stride);
    const needed = Math.max(0, (out - 1) * stride + eff - input);
    padBefore = Math.floor(needed / 2);
  }
  if (out < 0) throw fail(node, `computed output size would be negative: ${out} (input ${input}, window ${eff}, stride ${stride})`);
  return { out, padBefore };
}

function paddingAttr(n: Node, allowExplicit: boolean): Padding {
  const p = n.attrString('padding');
  if (p === 'SAME' || p === 'VALID' || (allowExplicit && p === 'EXPLICIT')) return p;
  throw fail(n, `padding ${p} is not supported${allowExplicit ? ' (SAME, VALID, EXPLICIT)' : ' (SAME, VALID)'}`);
}

/** [h, w] pairs from explicit_paddings (8 values, NHWC order). */
function explicitPads(n: Node, padding: Padding): [[number, number], [number, number]] {
  if (padding !== 'EXPLICIT') return [[0, 0], [0, 0]];
  const p = n.attrInts('explicit_paddings', []);
  if (p.length !== 8) throw fail(n, `explicit_paddings must have 8 values (4 dimensions x 2), got ${p.length}`);
  if (p[0] || p[1] || p[6] || p[7]) throw fail(n, 'explicit padding of the batch or channel dimension is not supported');
  if (p.some((v) => v < 0)) throw fail(n, `explicit_paddings must be non-negative, got ${fmt(p)}`);
  return [
    [p[2], p[3]],
    [p[4], p[5]],
  ];
}

/** strides or dilations: 4 values with 1 for batch and depth; returns [h, w]. */
function spatialPair(n: Node, attr: string, dflt: number[]): [number, number] {
  const v = n.attrInts(attr, dflt);
  if (v.length !== 4) throw fail(n, `${attr} must have 4 values, got ${fmt(v)}`);
  if (v[0] !== 1 || v[3] !== 1) throw fail(n, `${attr} ${fmt(v)} in the batch and depth dimensions are not supported (must be 1)`);
  return [v[1], v[2]];
}

interface ConvGeometry {
  stride: [number, number];
  dilation: [number, number];
  padding: Padding;
  explicit: [[number, number], [number, number]];
}

function convGeometry(n: Node): ConvGeometry {
  requireNhwc(n);
  const padding = paddingAttr(n, true);
  return {
    stride: spatialPair(n, 'strides', []),
    dilation: spatialPair(n, 'dilations', [1, 1, 1, 1]),
    padding,
    explicit: explicitPads(n, padding),
  };
}

function requireRank(n: Node, s: Shape | null, r: number, what: string): Shape | null {
  if (s !== null && s.length !== r) throw fail(n, `${what} must be ${r}-D, got ${fmt(s)}`);
  return s;
}

function convSpatial(n: Node, x: Shape, kh: number, kw: number, g: ConvGeometry): [Window, Window] {
  return [
    windowedOutput(n, x[1], kh, g.dilation[0], g.stride[0], g.padding, g.explicit[0]),
    windowedOutput(n, x[2], kw, g.dilation[1], g.stride[1], g.padding, g.explicit[1]),
  ];
}

// ------------------------------------------------------------------------------------------
// Convolutions
// ------------------------------------------------------------------------------------------

function conv2dShape(n: Node, x: Shape | null, w: Shape | null, depthwise: boolean): Shape | null {
  const g = convGeometry(n);
  requireRank(n, x, 4, 'input');
  requireRank(n, w, 4, 'filter');
  const xs = x ?? [-1, -1, -1, -1];
  const ws = w ?? [-1, -1, -1, -1];
  let outC: number;
  if (depthwise) {
    mergeDim(n, xs[3], ws[2], `input depth ${xs[3]} must equal the filter's input depth ${ws[2]}`);
    outC = xs[3] >= 0 && ws[3] >= 0 ? (ws[2] >= 0 ? ws[2] : xs[3]) * ws[3] : -1;
  } else {
    if (xs[3] >= 0 && ws[2] >= 0) {
      if (ws[2] === 0 || xs[3] % ws[2] !== 0) throw fail(n, `input depth ${xs[3]} must be evenly divisible by the filter's input depth ${ws[2]}`);
      const groups = xs[3] / ws[2];
      if (ws[3] >= 0 && ws[3] % groups !== 0) throw fail(n, `filter output depth ${ws[3]} must be divisible by the number of groups ${groups}`);
    }
    outC = ws[3];
  }
  const [h, wd] = convSpatial(n, xs, ws[0], ws[1], g);
  return [xs[0], h.out, wd.out, outC];
}

/** NHWC convolution with HWIO filter; depthwise: filter [kh,kw,C,M], out channel c*M+m. */
function convolve(n: Node, x: TensorValue, w: TensorValue, depthwise: boolean, dtype: DType): TensorValue {
  const g = convGeometry(n);
  const [N, H, W, C] = x.shape;
  const [KH, KW, KI, KO] = w.shape;
  const [hw, ww] = convSpatial(n, x.shape, KH, KW, g);
  const OH = hw.out;
  const OW = ww.out;
  const OC = depthwise ? C * KO : KO;
  const groups = depthwise ? C : C / KI;
  const perGroupOut = depthwise ? KO : KO / groups;
  const xv = numbers(x);
  const wv = numbers(w);
  const out = new Float64Array(N * OH * OW * OC);
  const [sh, sw] = g.stride;
  const [dh, dw] = g.dilation;
  for (let b = 0; b < N; b++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const o = ((b * OH + oy) * OW + ox) * OC;
        for (let ky = 0; ky < KH; ky++) {
          const iy = oy * sh - hw.padBefore + ky * dh;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < KW; kx++) {
            const ix = ox * sw - ww.padBefore + kx * dw;
            if (ix < 0 || ix >= W) continue;
            const xi = ((b * H + iy) * W + ix) * C;
            const wi = (ky * KW + kx) * KI * KO;
            if (depthwise) {
              for (let c = 0; c < C; c++) {
                const xval = xv[xi + c];
                for (let m = 0; m < KO; m++) out[o + c * KO + m] += xval * wv[wi + c * KO + m];
              }
            } else {
              for (let oc = 0; oc < OC; oc++) {
                const grp = Math.floor(oc / perGroupOut);
                let acc = 0;
                for (let ic = 0; ic < KI; ic++) acc += xv[xi + grp * KI + ic] * wv[wi + ic * KO + oc];
                out[o + oc] += acc;
              }
            }
          }
        }
      }
    }
  }
  return makeValue(dtype, [N, OH, OW, OC], out);
}

const conv2d: TfOpSemantics = {
  infer: (n, [x, w]) => [{ dtype: x.dtype, shape: conv2dShape(n, x.shape, w.shape, false) }],
  evaluate: (n, [x, w]) => [convolve(n, x, w, false, x.dtype)],
};

const depthwiseConv2d: TfOpSemantics = {
  infer: (n, [x, w]) => [{ dtype: x.dtype, shape: conv2dShape(n, x.shape, w.shape, true) }],
  evaluate: (n, [x, w]) => [convolve(n, x, w, true, x.dtype)],
};

/** Output shape of Conv2DBackpropInput from input_sizes (4-D, or 2-D spatial). */
function backpropInputShape(n: Node, sizes: number[] | null, w: Shape | null, dy: Shape | null): Shape | null {
  requireRank(n, w, 4, 'filter');
  requireRank(n, dy, 4, 'out_backprop');
  if (sizes === null) return [dy?.[0] ?? -1, -1, -1, w?.[2] ?? -1];
  let shape: Shape;
  if (sizes.length === 4) shape = sizes.slice();
  else if (sizes.length === 2) shape = [dy?.[0] ?? -1, sizes[0], sizes[1], w?.[2] ?? -1];
  else throw fail(n, `input_sizes must have 4 (or 2 spatial) elements, got ${fmt(sizes)}`);
  if (w && shape[3] >= 0 && w[2] >= 0 && shape[3] % w[2] !== 0) {
    throw fail(n, `input depth ${shape[3]} must be divisible by the filter's input depth ${w[2]}`);
  }
  if (w && dy) {
    mergeDim(n, dy[3], w[3], `out_backprop depth ${dy[3]} must equal the filter's output depth ${w[3]}`);
    mergeDim(n, dy[0], shape[0], `out_backprop batch ${dy[0]} must equal the input batch ${shape[0]}`);
    const g = convGeometry(n);
    const [h, wd] = convSpatial(n, shape, w[0], w[1], g);
    mergeDim(n, dy[1], h.out, `out_backprop height ${dy[1]} does not match the forward output height ${h.out} for input ${fmt(shape)}`);
    mergeDim(n, dy[2], wd.out, `out_backprop width ${dy[2]} does not match the forward output width ${wd.out} for input ${fmt(shape)}`);
  }
  return shape;
}

const conv2dBackpropInput: TfOpSemantics = {
  infer: (n, [s, w, dy]) => [{ dtype: w.dtype, shape: backpropInputShape(n, knownInts(s), w.shape, dy.shape) }],
  evaluate: (n, [s, w, dy]) => {
    const shape = backpropInputShape(n, Array.from(numbers(s)), w.shape, dy.shape) as Shape;
    const g = convGeometry(n);
    const [N, H, W, C] = shape;
    const [KH, KW, KI, KO] = w.shape;
    const [, OH, OW] = dy.shape;
    const [hw, ww] = convSpatial(n, shape, KH, KW, g);
    const groups = C / KI;
    const perGroupOut = KO / groups;
    const wv = numbers(w);
    const gv = numbers(dy);
    const out = new Float64Array(N * H * W * C);
    for (let b = 0; b < N; b++) {
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++) {
          const gi = ((b * OH + oy) * OW + ox) * KO;
          for (let ky = 0; ky < KH; ky++) {
            const iy = oy * g.stride[0] - hw.padBefore + ky * g.dilation[0];
            if (iy < 0 || iy >= H) continue;
            for (let kx = 0; kx < KW; kx++) {
              const ix = ox * g.stride[1] - ww.padBefore + kx * g.dilation[1];
              if (ix < 0 || ix >= W) continue;
              const xi = ((b * H + iy) * W + ix) * C;
              const wi = (ky * KW + kx) * KI * KO;
              for (let oc = 0; oc < KO; oc++) {
                const gval = gv[gi + oc];
                if (gval === 0) continue;
                const grp = Math.floor(oc / perGroupOut);
                for (let ic = 0; ic < KI; ic++) out[xi + grp * KI + ic] += gval * wv[wi + ic * KO + oc];
              }
            }
          }
        }
      }
    }
    return [makeValue(w.dtype, shape, out)];
  },
};

// ------------------------------------------------------------------------------------------
// Matrix products
// ------------------------------------------------------------------------------------------

function matmulDims(n: Node, a: Shape, b: Shape, ta: boolean, tb: boolean): [number, number, number] {
  const m = ta ? a[a.length - 1] : a[a.length - 2];
  const ka = ta ? a[a.length - 2] : a[a.length - 1];
  const kb = tb ? b[b.length - 1] : b[b.length - 2];
  const nn = tb ? b[b.length - 2] : b[b.length - 1];
  const k = mergeDim(n, ka, kb, `matrix size-incompatible: In[0] ${fmt(a)}${ta ? ' (transposed)' : ''}, In[1] ${fmt(b)}${tb ? ' (transposed)' : ''}`);
  return [m, k, nn];
}

/** C[m,n] (+)= op(A)[m,k] * op(B)[k,n] over flat float64 arrays at the given offsets. */
function matmulInto(
  out: Float64Array,
  oOff: number,
  av: Float64Array,
  aOff: number,
  bv: Float64Array,
  bOff: number,
  m: number,
  k: number,
  nn: number,
  ta: boolean,
  tb: boolean,
): void {
  // Strides of op(A) and op(B) in row-major storage.
  const aRow = ta ? 1 : k;
  const aCol = ta ? m : 1;
  const bRow = tb ? 1 : nn;
  const bCol = tb ? k : 1;
  for (let i = 0; i < m; i++) {
    const o = oOff + i * nn;
    for (let p = 0; p < k; p++) {
      const av_ = av[aOff + i * aRow + p * aCol];
      if (av_ === 0) continue;
      const bb = bOff + p * bRow;
      for (let j = 0; j < nn; j++) out[o + j] += av_ * bv[bb + j * bCol];
    }
  }
}

function matMulShape(n: Node, a: Shape | null, b: Shape | null): Shape | null {
  requireRank(n, a, 2, 'a');
  requireRank(n, b, 2, 'b');
  const ta = n.attrBool('transpose_a', false);
  const tb = n.attrBool('transpose_b', false);
  const [m, , nn] = matmulDims(n, a ?? [-1, -1], b ?? [-1, -1], ta, tb);
  return [m, nn];
}

const matMul: TfOpSemantics = {
  infer: (n, [a, b]) => [{ dtype: a.dtype, shape: matMulShape(n, a.shape, b.shape) }],
  evaluate: (n, [a, b]) => {
    const ta = n.attrBool('transpose_a', false);
    const tb = n.attrBool('transpose_b', false);
    const [m, k, nn] = matmulDims(n, a.shape, b.shape, ta, tb);
    const out = new Float64Array(m * nn);
    matmulInto(out, 0, numbers(a), 0, numbers(b), 0, m, k, nn, ta, tb);
    return [makeValue(a.dtype, [m, nn], out)];
  },
};

function batchMatMulShape(n: Node, a: Shape | null, b: Shape | null, broadcast: boolean): Shape | null {
  if (a === null || b === null) return null;
  if (a.length < 2 || b.length < 2) throw fail(n, `inputs must be at least 2-D, got ${fmt(a)} and ${fmt(b)}`);
  const ta = n.attrBool('adj_x', false);
  const tb = n.attrBool('adj_y', false);
  const [m, , nn] = matmulDims(n, a, b, ta, tb);
  const ba = a.slice(0, -2);
  const bb = b.slice(0, -2);
  let batch: Shape;
  if (broadcast) {
    batch = broadcastShapes(n, ba, bb) as Shape;
  } else {
    if (ba.length !== bb.length) throw fail(n, `inputs must have the same rank, got ${fmt(a)} and ${fmt(b)}`);
    batch = ba.map((d, i) => mergeDim(n, d, bb[i], `batch dimensions of ${fmt(a)} and ${fmt(b)} must be equal`));
  }
  return [...batch, m, nn];
}

function batchMatMul(broadcast: boolean, outAttr?: string): TfOpSemantics {
  const outType = (n: Node, a: InferInput | TensorValue): DType => (outAttr ? typeAttrOr(n, outAttr, a.dtype) : a.dtype);
  return {
    infer: (n, [a, b]) => [{ dtype: outType(n, a), shape: batchMatMulShape(n, a.shape, b.shape, broadcast) }],
    evaluate: (n, [a, b]) => {
      const shape = batchMatMulShape(n, a.shape, b.shape, broadcast) as Shape;
      const ta = n.attrBool('adj_x', false);
      const tb = n.attrBool('adj_y', false);
      const [m, k, nn] = matmulDims(n, a.shape, b.shape, ta, tb);
      const batchShape = shape.slice(0, -2);
      const batches = numElements(batchShape);
      const ia = batchIndexer(a.shape.slice(0, -2), batchShape);
      const ib = batchIndexer(b.shape.slice(0, -2), batchShape);
      const av = numbers(a);
      const bv = numbers(b);
      const out = new Float64Array(batches * m * nn);
      for (let t = 0; t < batches; t++) matmulInto(out, t * m * nn, av, ia(t) * m * k, bv, ib(t) * k * nn, m, k, nn, ta, tb);
      return [makeValue(outType(n, a), shape, out)];
    },
  };
}

/** Which batch matrix of an input (shape `inB`) serves output batch t (shape `outB`). */
function batchIndexer(inB: Shape, outB: Shape): (t: number) => number {
  const pad = outB.length - inB.length;
  const padded = [...new Array<number>(pad).fill(1), ...inB];
  const inSt = strides(padded).map((s, i) => (padded[i] === 1 ? 0 : s));
  const outSt = strides(outB);
  return (t) => {
    let idx = 0;
    let rem = t;
    for (let d = 0; d < outB.length; d++) {
      const q = Math.floor(rem / outSt[d]);
      rem -= q * outSt[d];
      idx += q * inSt[d];
    }
    return idx;
  };
}

// ------------------------------------------------------------------------------------------
// BiasAdd, FusedBatchNorm
// ------------------------------------------------------------------------------------------

function biasAddShape(n: Node, x: Shape | null, b: Shape | null): Shape | null {
  if (n.op !== 'BiasAddV1') requireNhwc(n);
  if (b !== null && b.length !== 1) throw fail(n, `bias must be 1-D, got ${fmt(b)}`);
  if (x === null) return null;
  if (x.length < 2) throw fail(n, `input must be at least 2-D, got ${fmt(x)}`);
  if (b !== null) mergeDim(n, x[x.length - 1], b[0], `bias ${fmt(b)} must match the last dimension of the input ${fmt(x)}`);
  return x.slice();
}

const biasAdd: TfOpSemantics = {
  infer: (n, [x, b]) => [{ dtype: x.dtype, shape: biasAddShape(n, x.shape, b.shape) }],
  evaluate: (n, [x, b]) => {
    biasAddShape(n, x.shape, b.shape);
    const xv = numbers(x);
    const bv = numbers(b);
    const c = bv.length;
    const out = new Float64Array(xv.length);
    for (let i = 0; i < xv.length; i++) out[i] = xv[i] + bv[i % c];
    return [makeValue(x.dtype, x.shape.slice(), out)];
  },
};

function fusedBatchNorm(version: 1 | 2 | 3): TfOpSemantics {
  const paramType = (n: Node, x: { dtype: DType }): DType => (version === 1 ? x.dtype : typeAttrOr(n, 'U', 'float32'));
  const shapes = (n: Node, inputs: { shape: Shape | null }[]): { x: Shape | null; c: number } => {
    requireNhwc(n);
    const [x, ...params] = inputs;
    const training = n.attrBool('is_training', true);
    if (x.shape !== null && x.shape.length !== 4 && x.shape.length !== 5) throw fail(n, `x must be 4-D (or 5-D), got ${fmt(x.shape)}`);
    let c = x.shape ? x.shape[x.shape.length - 1] : -1;
    const names = ['scale', 'offset', 'mean', 'variance'];
    params.slice(0, 4).forEach((p, i) => {
      if (p.shape === null) return;
      if (p.shape.length !== 1) throw fail(n, `${names[i]} must be 1-D, got ${fmt(p.shape)}`);
      // Training takes empty mean/variance.
      if (training && i >= 2 && p.shape[0] === 0) return;
      c = mergeDim(n, c, p.shape[0], `${names[i]} ${fmt(p.shape)} must match the depth of x ${fmt(x.shape)}`);
    });
    return { x: x.shape, c };
  };
  return {
    numOutputs: () => (version === 3 ? 6 : 5),
    infer: (n, inputs) => {
      const { x, c } = shapes(n, inputs);
      const u = paramType(n, inputs[0]);
      const outs: InferOutput[] = [{ dtype: inputs[0].dtype, shape: sameShape(x) }];
      for (let i = 0; i < 4; i++) outs.push({ dtype: u, shape: [c] });
      // The CPU kernel writes a scalar zero as reserve_space_3.
      if (version === 3) outs.push({ dtype: u, shape: [], value: makeValue(u, [], [0]) });
      return outs;
    },
    evaluate: (n, inputs) => {
      const { c } = shapes(n, inputs);
      const [x, scale, offset, mean, variance] = inputs;
      const u = paramType(n, x);
      const eps = n.attrFloat('epsilon', 0.0001);
      const xv = numbers(x);
      const sv = numbers(scale);
      const ov = numbers(offset);
      const rest = xv.length / Math.max(c, 1);
      const y = new Float64Array(xv.length);
      let outs: Float64Array[];
      if (!n.attrBool('is_training', true)) {
        const mv = numbers(mean);
        const vv = numbers(variance);
        const factor = new Float64Array(c);
        for (let j = 0; j < c; j++) factor[j] = sv[j] / Math.sqrt(vv[j] + eps);
        for (let i = 0; i < xv.length; i++) {
          const j = i % c;
          y[i] = (xv[i] - mv[j]) * factor[j] + ov[j];
        }
        // batch_mean/variance echo the estimates; TF leaves the reserve spaces unwritten in
        // inference, and nothing reads them: they fold to zeros.
        outs = [mv, vv, new Float64Array(c), new Float64Array(c)];
      } else {
        const bm = new Float64Array(c);
        const bv = new Float64Array(c);
        for (let i = 0; i < xv.length; i++) bm[i % c] += xv[i];
        for (let j = 0; j < c; j++) bm[j] /= rest;
        for (let i = 0; i < xv.length; i++) {
          const d = xv[i] - bm[i % c];
          bv[i % c] += d * d;
        }
        for (let j = 0; j < c; j++) bv[j] /= rest;
        for (let i = 0; i < xv.length; i++) {
          const j = i % c;
          y[i] = ((xv[i] - bm[j]) * sv[j]) / Math.sqrt(bv[j] + eps) + ov[j];
        }
        // Running statistics: Bessel-corrected variance, blended by exponential_avg_factor.
        const f = n.attrFloat('exponential_avg_factor', 1);
        const adjust = rest / Math.max(rest - 1, 1);
        const mv = mean.shape[0] === c ? numbers(mean) : new Float64Array(c);
        const vv = variance.shape[0] === c ? numbers(variance) : new Float64Array(c);
        const newMean = bm.map((m, j) => (f === 1 ? m : (1 - f) * mv[j] + f * m));
        const newVar = bv.map((v, j) => (f === 1 ? v * adjust : (1 - f) * vv[j] + f * adjust * v));
        outs = [newMean, newVar, bm, bv];
      }
      const res = [makeValue(x.dtype, x.shape.slice(), y), ...outs.map((o) => makeValue(u, [c], o))];
      if (version === 3) res.push(makeValue(u, [], [0]));
      return res;
    },
  };
}

// ------------------------------------------------------------------------------------------
// Pooling
// ------------------------------------------------------------------------------------------

function poolGeometry(n: Node, ksizeIn?: number[], stridesIn?: number[]) {
  requireNhwc(n);
  const k = ksizeIn ?? n.attrInts('ksize');
  const s = stridesIn ?? n.attrInts('strides');
  if (k.length !== 4 || s.length !== 4) throw fail(n, `ksize and strides must have 4 values, got ${fmt(k)} and ${fmt(s)}`);
  if (k[0] !== 1 || s[0] !== 1) throw fail(n, 'pooling over the batch dimension is not supported');
  if (k[3] !== 1 || s[3] !== 1) throw fail(n, 'pooling over the depth dimension is not supported');
  if (k.some((v) => v <= 0)) throw fail(n, `ksize ${fmt(k)} must be positive`);
  const padding = paddingAttr(n, n.op.startsWith('MaxPool'));
  return { k: [k[1], k[2]], s: [s[1], s[2]], padding, explicit: explicitPads(n, padding) };
}

function poolShape(n: Node, x: Shape | null, g: ReturnType<typeof poolGeometry>): Shape | null {
  requireRank(n, x, 4, 'input');
  if (x === null) return [-1, -1, -1, -1];
  const h = windowedOutput(n, x[1], g.k[0], 1, g.s[0], g.padding, g.explicit[0]);
  const w = windowedOutput(n, x[2], g.k[1], 1, g.s[1], g.padding, g.explicit[1]);
  return [x[0], h.out, w.out, x[3]];
}

function pool(n: Node, x: TensorValue, g: ReturnType<typeof poolGeometry>, max: boolean): TensorValue {
  const [N, H, W, C] = x.shape;
  const hw = windowedOutput(n, H, g.k[0], 1, g.s[0], g.padding, g.explicit[0]);
  const ww = windowedOutput(n, W, g.k[1], 1, g.s[1], g.padding, g.explicit[1]);
  const xv = numbers(x);
  const out = new Float64Array(N * hw.out * ww.out * C);
  for (let b = 0; b < N; b++) {
    for (let oy = 0; oy < hw.out; oy++) {
      const y0 = oy * g.s[0] - hw.padBefore;
      const y1 = Math.min(y0 + g.k[0], H);
      for (let ox = 0; ox < ww.out; ox++) {
        const x0 = ox * g.s[1] - ww.padBefore;
        const x1 = Math.min(x0 + g.k[1], W);
        const o = ((b * hw.out + oy) * ww.out + ox) * C;
        for (let c = 0; c < C; c++) {
          let acc = max ? -Infinity : 0;
          let count = 0;
          for (let iy = Math.max(y0, 0); iy < y1; iy++) {
            for (let ix = Math.max(x0, 0); ix < x1; ix++) {
              const v = xv[((b * H + iy) * W + ix) * C + c];
              if (max) acc = v > acc || Number.isNaN(v) ? v : acc;
              else acc += v;
              count++;
            }
          }
          // Average pooling divides by the number of input (non-padding) elements in the window.
          out[o + c] = max ? acc : acc / count;
        }
      }
    }
  }
  return makeValue(x.dtype, [N, hw.out, ww.out, C], out);
}

function poolOp(max: boolean): TfOpSemantics {
  return {
    infer: (n, [x]) => [{ dtype: x.dtype, shape: poolShape(n, x.shape, poolGeometry(n)) }],
    evaluate: (n, [x]) => [pool(n, x, poolGeometry(n), max)],
  };
}

const maxPoolV2: TfOpSemantics = {
  infer: (n, [x, k, s]) => {
    const kv = knownInts(k);
    const sv = knownInts(s);
    if (!kv || !sv) return [{ dtype: x.dtype, shape: x.shape ? [x.shape[0], -1, -1, x.shape[3]] : null }];
    return [{ dtype: x.dtype, shape: poolShape(n, x.shape, poolGeometry(n, kv, sv)) }];
  },
  evaluate: (n, [x, k, s]) => [pool(n, x, poolGeometry(n, Array.from(numbers(k)), Array.from(numbers(s))), true)],
};

// ------------------------------------------------------------------------------------------
// Softmax
// ------------------------------------------------------------------------------------------

function softmaxOp(log: boolean): TfOpSemantics {
  return {
    infer: (n, [x]) => {
      if (x.shape !== null && x.shape.length < 1) throw fail(n, `logits must have >= 1 dimension, got ${fmt(x.shape)}`);
      return [{ dtype: x.dtype, shape: sameShape(x.shape) }];
    },
    evaluate: (_n, [x]) => {
      const v = numbers(x);
      const d = x.shape[x.shape.length - 1];
      const out = new Float64Array(v.length);
      for (let r = 0; r < v.length; r += d) {
        let m = -Infinity;
        for (let j = 0; j < d; j++) m = Math.max(m, v[r + j]);
        let sum = 0;
        for (let j = 0; j < d; j++) sum += Math.exp(v[r + j] - m);
        const ls = Math.log(sum);
        for (let j = 0; j < d; j++) out[r + j] = log ? v[r + j] - m - ls : Math.exp(v[r + j] - m) / sum;
      }
      return [makeValue(x.dtype, x.shape.slice(), out)];
    },
  };
}

export const nnOps: OpTable = {
  Conv2D: conv2d,
  DepthwiseConv2dNative: depthwiseConv2d,
  Conv2DBackpropInput: conv2dBackpropInput,
  MatMul: matMul,
  BatchMatMul: batchMatMul(false),
  BatchMatMulV2: batchMatMul(true),
  BatchMatMulV3: batchMatMul(true, 'Tout'),
  BiasAdd: biasAdd,
  BiasAddV1: biasAdd,
  FusedBatchNorm: fusedBatchNorm(1),
  FusedBatchNormV2: fusedBatchNorm(2),
  FusedBatchNormV3: fusedBatchNorm(3),
  AvgPool: poolOp(false),
  MaxPool: poolOp(true),
  MaxPoolV2: maxPoolV2,
  Softmax: softmaxOp(false),
  LogSoftmax: softmaxOp(true),
};

/**
 * The per-channel multiplier and offset of an inference batch norm with constant parameters, in
 * the same float32 steps as TF's kernel: m = rsqrt(var + eps) * gamma, b = beta - mean * m.
 */
export function batchNormScaleOffset(n: Node): { scale: Float32Array; offset: Float32Array } {
  const [gamma, beta, mean, variance] = n.inputs.slice(1, 5).map((t) => numbers((t as Tensor).value as NonNullable<Tensor['value']>));
  // TF's default epsilon (the op registration, DEFAULT_ATTRS and this op's evaluate agree).
  const eps = Math.fround(n.attrFloat('epsilon', 0.0001));
  const c = gamma.length;
  const scale = new Float32Array(c);
  const offset = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    scale[i] = Math.fround(Math.fround(1 / Math.sqrt(Math.fround(variance[i] + eps))) * gamma[i]);
    offset[i] = Math.fround(beta[i] - Math.fround(mean[i] * scale[i]));
  }
  return { scale, offset };
}
