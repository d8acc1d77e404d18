// Range collectors: minmax is TFLite's (min of minima, max of maxima); percentile and entropy
// ignore a few outliers that would stretch the range, each in its own way; all include 0.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HistogramCollector, createCollector, klThreshold } from '../../src/quantize/calibrate.js';
import { mulberry32, normals } from '../../src/verify/inputs.js';

/** 200 batches of 1000 standard normal values; batch 50 also holds +-40 outliers. */
function batches(): Float32Array[] {
  const rand = mulberry32(7);
  return Array.from({ length: 200 }, (_, i) => {
    const b = Float32Array.from(normals(rand, 1000));
    if (i === 50) {
      b[3] = 40;
      b[4] = -40;
      b[5] = 35;
    }
    return b;
  });
}

test('minmax: min of the minima and max of the maxima over batches, widened to include 0', () => {
  const c = createCollector('minmax');
  c.add(Float32Array.from([1, 2, 3]));
  c.add(Float32Array.from([2, 7]));
  assert.deepEqual(c.range(), { min: 0, max: 7 });
  c.add(Float32Array.from([-0.5, NaN, Infinity, -Infinity]));
  assert.deepEqual(c.range(), { min: -0.5, max: 7 });
  assert.equal(c.nonFinite, 3);
  assert.equal(c.count, 6);
  assert.deepEqual(createCollector('minmax').range(), { min: 0, max: 0 });
});

test('percentile and entropy give different, sane ranges than minmax on a tensor with outliers', () => {
  const data = batches();
  const ranges = Object.fromEntries(
    (['minmax', 'percentile', 'entropy'] as const).map((m) => {
      const c = createCollector(m);
      for (const b of data) c.add(b);
      assert.equal(c.count, 200_000);
      return [m, c.range()];
    }),
  );
  assert.deepEqual(ranges.minmax, { min: -40, max: 40 });
  // 99.99th percentile of a standard normal is 3.72: 20 values of 200 000 lie beyond each end.
  assert.ok(ranges.percentile.max > 3.4 && ranges.percentile.max < 4.2, JSON.stringify(ranges.percentile));
  assert.ok(ranges.percentile.min < -3.4 && ranges.percentile.min > -4.2, JSON.stringify(ranges.percentile));
  // KL keeps most of the bulk of the distribution and drops the outliers: between 2.5 and 8 sigma.
  assert.ok(ranges.entropy.max > 2.5 && ranges.entropy.max < 8, JSON.stringify(ranges.entropy));
  assert.ok(ranges.entropy.min < -2.5 && ranges.entropy.min > -8, JSON.stringify(ranges.entropy));
  assert.notDeepEqual(ranges.entropy, ranges.percentile);
  // A different percentile moves it.
  const p999 = createCollector('percentile', { percentile: 99.9 });
  for (const b of data) p999.add(b);
  assert.ok(p999.range().max < ranges.percentile.max && p999.range().max > 2.8);
});

test('one-sided tensors (ReLU outputs) keep min 0; entropy uses the whole level budget on one side', () => {
  const rand = mulberry32(3);
  const relu = Array.from({ length: 100 }, () => Float32Array.from(normals(rand, 1000), (v) => Math.max(0, v)));
  relu[10][0] = 30;
  for (const m of ['percentile', 'entropy'] as const) {
    const c = createCollector(m);
    for (const b of relu) c.add(b);
    const r = c.range();
    assert.equal(r.min, 0, m);
    assert.ok(r.max > 2 && r.max < 8, `${m}: ${JSON.stringify(r)}`);
  }
});

test('the histogram widens by merging bins: counts are kept, ranges stay within [min, max]', () => {
  const h = new HistogramCollector(64);
  h.add(Float32Array.from([0.5, -0.25, 0]));
  assert.equal(h.bound, 0.5);
  h.add(Float32Array.from([3, -0.1]));
  assert.equal(h.bound, 4); // 0.5 * 2^3
  const total = [...h.pos, ...h.neg].reduce((a, b) => a + b, 0);
  assert.equal(total, 5);
  assert.equal(h.count, 5);
  assert.equal(h.min, -0.25);
  assert.equal(h.max, 3);
  // 0.5 was the bound, in the last bin (its upper edge is inclusive); after widening 8x that bin
  // is part of bin 7, next to where 0.5 / (4 / 64) = 8 would put it now: one bin of resolution.
  assert.equal(h.pos[7], 1);
  assert.equal(h.pos[48], 1); // 3 / 0.0625
  const p = h.percentileRange(100);
  assert.ok(p.min >= -0.25 && p.max <= 3);
  // Zeros only: bound stays 0, range [0, 0].
  const z = new HistogramCollector(64);
  z.add(new Float32Array(10));
  assert.deepEqual(z.percentileRange(99), { min: 0, max: 0 });
  assert.deepEqual(z.entropyRange(), { min: 0, max: 0 });
});

test('KL threshold: a histogram with no tail is not clipped; a long sparse tail is', () => {
  const flat = new Float64Array(512).fill(10);
  assert.equal(klThreshold(flat, 128), 512);
  const tail = new Float64Array(512);
  for (let i = 0; i < 64; i++) tail[i] = 1000 * Math.exp(-i / 10);
  tail[500] = 1;
  assert.ok(klThreshold(tail, 128) < 200);
});

/** Mean squared error of quantizing `data` on a 256-level grid spanning `r`. */
function gridMse(data: Float32Array[], r: { min: number; max: number }): number {
  const step = (r.max - r.min) / 255;
  let sum = 0;
  let n = 0;
  for (const b of data) {
    for (const x of b) {
      const q = Math.min(255, Math.max(0, Math.round((x - r.min) / step)));
      sum += (x - (r.min + q * step)) ** 2;
      n++;
    }
  }
  return sum / n;
}

test('mse: the range with the least squared quantization error, clipping outliers only as far as it pays', () => {
  const data = batches();
  const ranges = Object.fromEntries(
    (['minmax', 'percentile', 'entropy', 'mse'] as const).map((m) => {
      const c = createCollector(m);
      for (const b of data) c.add(b);
      return [m, c.range()];
    }),
  );
  // Three outliers (40, -40, 35) among 200 000 normals: clipping them all to ~4 sigma would cost
  // more than the coarser grid does, so mse clips part of the way (entropy and percentile, which
  // ignore error size, clip them all).
  const r = ranges.mse;
  assert.ok(r.max < 40 && r.min > -40 && r.max > 8 && r.min < -8, JSON.stringify(r));
  const errors = Object.fromEntries(Object.entries(ranges).map(([m, x]) => [m, gridMse(data, x)]));
  // Measured on the data itself (not the histogram): mse is the best of the four, within the 0.5 %
  // its binned estimate can be off by.
  for (const m of ['minmax', 'percentile', 'entropy']) assert.ok(errors.mse <= errors[m] * 1.005, `${m}: ${JSON.stringify(errors)}`);
  assert.ok(errors.mse < 0.8 * errors.minmax, JSON.stringify(errors));
});
