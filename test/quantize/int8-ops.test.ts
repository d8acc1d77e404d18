// Every op family of the int8 rules table, one small float graph each, quantized (calibrated on
// seeded inputs) and run in the real TFLite runtime next to its float version: the int8 model
// must load, run, and keep its output within 30 dB SQNR of the float one (the quantization noise
// of a few int8 layers; a wrong scale, zero point or requantization gives single digits).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DType } from '../../src/core/dtype.js';
import type { TensorValue } from '../../src/core/tensor.js';
import type { ConvertedGraphs } from '../../src/convert/convert.js';
import { exportGraphs } from '../../src/convert/convert.js';
import { i32Const, tflNode } from '../../src/graph/build.js';
import { Graph, type Shape, Tensor, type TfliteOptions } from '../../src/graph/ir.js';
import { chooseOpVersions } from '../../src/passes/choose-op-versions.js';
import { quantizeGraphs } from '../../src/quantize/index.js';
import { INT8_RULES } from '../../src/quantize/rules.js';
import { TfliteRuntime } from '../../src/runtime/tflite.js';
import { makeRandomInputs } from '../../src/verify/inputs.js';
import { ioQuant, layerSqnr, readOut } from '../helpers/quant-compare.js';

/** A one-input graph built by `body`; shapes are given by hand (these graphs skip inference). */
interface OpCase {
  name: string;
  input: Shape;
  body: (b: Builder) => Tensor;
  /** Lowest output SQNR (dB) against the float graph (default 30). */
  minSqnr?: number;
  /** Compare by exact equality rate instead (integer / bool outputs). */
  exactRate?: number;
  /** The TFLite ops this case covers. */
  covers: string[];
}

class Builder {
  constructor(
    readonly g: Graph,
    readonly x: Tensor,
  ) {}
  private n = 0;
  op(op: string, inputs: (Tensor | null)[], shape: Shape, options: TfliteOptions = {}, dtype: DType = 'float32'): Tensor {
    const name = `${op.toLowerCase()}_${this.n++}`;
    const node = tflNode(this.g, name, op, inputs, [{ dtype, shape, name }], options);
    this.g.addNode(node);
    return node.output(0);
  }
  multi(op: string, inputs: (Tensor | null)[], shapes: Shape[], options: TfliteOptions = {}): Tensor[] {
    const name = `${op.toLowerCase()}_${this.n++}`;
    const node = tflNode(this.g, name, op, inputs, shapes.map((shape, i) => ({ dtype: 'float32' as DType, shape, name: `${name}:${i}` })), options);
    this.g.addNode(node);
    return node.outputs;
  }
  f32(shape: Shape, f: (i: number) => number): Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    return this.g.constant(`c${this.n++}`, { dtype: 'float32', shape, data: Float32Array.from({ length: n }, (_, i) => f(i)) });
  }
  i32(values: number[], shape?: Shape): Tensor {
    return i32Const(this.g, `i${this.n++}`, values, shape);
  }
}

const act = { fused_activation_function: 0 };
const wave = (i: number) => Math.sin(i * 0.7) * 0.5;
const conv = { padding: 0, stride_w: 1, stride_h: 1, dilation_w_factor: 1, dilation_h_factor: 1, fused_activation_function: 1 };
const pool = (k: number) => ({ padding: 1, stride_w: k, stride_h: k, filter_width: k, filter_height: k, fused_activation_function: 0 });
const fc = { fused_activation_function: 0, weights_format: 0, keep_num_dims: false, asymmetric_quantize_inputs: false };

const CASES: OpCase[] = [
  {
    name: 'conv, depthwise, pools, mean',
    input: [1, 8, 8, 3],
    covers: ['CONV_2D', 'DEPTHWISE_CONV_2D', 'MAX_POOL_2D', 'AVERAGE_POOL_2D', 'MEAN'],
    body: (b) => {
      const c = b.op('CONV_2D', [b.x, b.f32([4, 3, 3, 3], wave), b.f32([4], (i) => 0.1 * i)], [1, 8, 8, 4], conv);
      const d = b.op('DEPTHWISE_CONV_2D', [c, b.f32([1, 3, 3, 4], (i) => wave(i + 5)), b.f32([4], () => 0.05)], [1, 8, 8, 4], { ...conv, depth_multiplier: 1 });
      const m = b.op('MAX_POOL_2D', [d], [1, 4, 4, 4], pool(2));
      const a = b.op('AVERAGE_POOL_2D', [m], [1, 2, 2, 4], pool(2));
      return b.op('MEAN', [a, b.i32([1, 2])], [1, 1, 1, 4], { keep_dims: true });
    },
  },
  {
    name: 'fully connected, softmax, reshape',
    input: [1, 4, 4],
    covers: ['RESHAPE', 'FULLY_CONNECTED', 'SOFTMAX'],
    body: (b) => {
      const r = b.op('RESHAPE', [b.x, b.i32([1, 16])], [1, 16], { new_shape: [1, 16] });
      const f = b.op('FULLY_CONNECTED', [r, b.f32([10, 16], wave), b.f32([10], (i) => 0.01 * i)], [1, 10], fc);
      return b.op('SOFTMAX', [f], [1, 10], { beta: 1 });
    },
  },
  {
    name: 'concatenation of differently scaled branches (requantize)',
    input: [1, 6],
    covers: ['CONCATENATION', 'MUL', 'RELU', 'ADD'],
    body: (b) => {
      const small = b.op('RELU', [b.x], [1, 6]);
      const big = b.op('MUL', [b.x, b.f32([1], () => 5)], [1, 6], act);
      const sum = b.op('ADD', [small, big], [1, 6], act);
      return b.op('CONCATENATION', [small, big, sum], [1, 18], { axis: 1, ...act });
    },
  },
  {
    name: 'sub, squared difference, maximum, minimum, abs',
    input: [2, 5],
    covers: ['SUB', 'SQUARED_DIFFERENCE', 'MAXIMUM', 'MINIMUM', 'ABS'],
    body: (b) => {
      const s = b.op('SUB', [b.x, b.f32([5], (i) => 0.2 * i)], [2, 5], act);
      const q = b.op('SQUARED_DIFFERENCE', [b.x, b.op('RELU', [b.x], [2, 5])], [2, 5]);
      const mx = b.op('MAXIMUM', [q, s], [2, 5]);
      const mn = b.op('MINIMUM', [mx, b.f32([1], () => 2)], [2, 5]);
      return b.op('ABS', [mn], [2, 5]);
    },
  },
  {
    name: 'logistic, tanh, relu6, leaky relu, hard swish',
    input: [1, 16],
    covers: ['LOGISTIC', 'TANH', 'RELU6', 'LEAKY_RELU', 'HARD_SWISH'],
    body: (b) => {
      const l = b.op('LOGISTIC', [b.x], [1, 16]);
      const t = b.op('TANH', [b.x], [1, 16]);
      const r = b.op('RELU6', [b.op('MUL', [b.x, b.f32([1], () => 4)], [1, 16], act)], [1, 16]);
      const k = b.op('LEAKY_RELU', [b.x], [1, 16], { alpha: 0.2 });
      const h = b.op('HARD_SWISH', [b.x], [1, 16]);
      return b.op('CONCATENATION', [l, t, r, k, h], [1, 80], { axis: 1, ...act });
    },
  },
  {
    name: 'data movement: pad, transpose, strided slice, slice, gather, tile, squeeze, expand dims',
    input: [1, 4, 6],
    covers: ['PAD', 'TRANSPOSE', 'STRIDED_SLICE', 'SLICE', 'GATHER', 'TILE', 'SQUEEZE', 'EXPAND_DIMS'],
    body: (b) => {
      const p = b.op('PAD', [b.x, b.i32([0, 0, 1, 1, 0, 2], [3, 2])], [1, 6, 8]);
      const t = b.op('TRANSPOSE', [p, b.i32([0, 2, 1])], [1, 8, 6]);
      const s = b.op('STRIDED_SLICE', [t, b.i32([0, 1, 0]), b.i32([1, 7, 6]), b.i32([1, 2, 1])], [1, 3, 6], {
        begin_mask: 0,
        end_mask: 0,
        ellipsis_mask: 0,
        new_axis_mask: 0,
        shrink_axis_mask: 0,
        offset: false,
      });
      const sl = b.op('SLICE', [s, b.i32([0, 0, 1]), b.i32([1, 3, 4])], [1, 3, 4]);
      const g = b.op('GATHER', [sl, b.i32([2, 0])], [1, 2, 4], { axis: 1, batch_dims: 0 });
      const ti = b.op('TILE', [g, b.i32([1, 2, 1])], [1, 4, 4]);
      const sq = b.op('SQUEEZE', [ti], [4, 4], { squeeze_dims: [0] });
      return b.op('EXPAND_DIMS', [sq, b.i32([0], [])], [1, 4, 4]);
    },
  },
  {
    name: 'split, split_v, pack, unpack, reduce max and min, sum',
    input: [2, 6],
    covers: ['SPLIT', 'SPLIT_V', 'PACK', 'UNPACK', 'REDUCE_MAX', 'REDUCE_MIN', 'SUM'],
    body: (b) => {
      const [s0, s1] = b.multi('SPLIT', [b.i32([1], []), b.x], [[2, 3], [2, 3]], { num_splits: 2 });
      const [v0, v1] = b.multi('SPLIT_V', [b.x, b.i32([2, 4]), b.i32([1], [])], [[2, 2], [2, 4]], { num_splits: 2 });
      const pk = b.op('PACK', [s0, s1], [2, 2, 3], { values_count: 2, axis: 0 });
      const [u0] = b.multi('UNPACK', [pk], [[2, 3], [2, 3]], { num: 2, axis: 0 });
      const mx = b.op('REDUCE_MAX', [v1, b.i32([1])], [2, 1], { keep_dims: true });
      const mn = b.op('REDUCE_MIN', [v0, b.i32([1])], [2, 1], { keep_dims: true });
      const sm = b.op('SUM', [u0, b.i32([1])], [2, 1], { keep_dims: true });
      return b.op('CONCATENATION', [mx, mn, sm], [2, 3], { axis: 1, ...act });
    },
  },
  {
    name: 'resize, space/depth, mirror pad, padv2',
    input: [1, 4, 4, 4],
    covers: ['RESIZE_BILINEAR', 'RESIZE_NEAREST_NEIGHBOR', 'SPACE_TO_DEPTH', 'DEPTH_TO_SPACE', 'MIRROR_PAD', 'PADV2'],
    body: (b) => {
      const r = b.op('RESIZE_BILINEAR', [b.x, b.i32([8, 8])], [1, 8, 8, 4], { align_corners: false, half_pixel_centers: false });
      const n = b.op('RESIZE_NEAREST_NEIGHBOR', [r, b.i32([4, 4])], [1, 4, 4, 4], { align_corners: false, half_pixel_centers: false });
      const s = b.op('SPACE_TO_DEPTH', [n], [1, 2, 2, 16], { block_size: 2 });
      const d = b.op('DEPTH_TO_SPACE', [s], [1, 4, 4, 4], { block_size: 2 });
      const m = b.op('MIRROR_PAD', [d, b.i32([0, 0, 1, 1, 1, 1, 0, 0], [4, 2])], [1, 6, 6, 4], { mode: 0 });
      return b.op('PADV2', [m, b.i32([0, 0, 1, 0, 0, 1, 0, 0], [4, 2]), b.f32([], () => 0.5)], [1, 7, 7, 4]);
    },
  },
  {
    name: 'batch matmul, transpose conv, log softmax, l2 normalization, prelu',
    input: [1, 4, 4, 2],
    covers: ['BATCH_MATMUL', 'TRANSPOSE_CONV', 'LOG_SOFTMAX', 'L2_NORMALIZATION', 'PRELU'],
    body: (b) => {
      const tc = b.op('TRANSPOSE_CONV', [b.i32([1, 8, 8, 3]), b.f32([3, 2, 2, 2], wave), b.x, b.f32([3], () => 0.1)], [1, 8, 8, 3], {
        padding: 0,
        stride_w: 2,
        stride_h: 2,
        fused_activation_function: 0,
      });
      const r = b.op('RESHAPE', [tc, b.i32([1, 64, 3])], [1, 64, 3], { new_shape: [1, 64, 3] });
      const mm = b.op('BATCH_MATMUL', [r, b.f32([1, 3, 5], wave)], [1, 64, 5], { adj_x: false, adj_y: false, asymmetric_quantize_inputs: false });
      const pr = b.op('PRELU', [mm, b.f32([5], (i) => 0.1 * (i + 1))], [1, 64, 5]);
      const l2 = b.op('L2_NORMALIZATION', [pr], [1, 64, 5], act);
      return b.op('LOG_SOFTMAX', [l2], [1, 64, 5]);
    },
  },
  {
    name: 'arg max, comparisons, select',
    input: [3, 7],
    covers: ['ARG_MAX', 'ARG_MIN', 'GREATER', 'LESS', 'EQUAL', 'SELECT_V2'],
    body: (b) => {
      const c = b.op('GREATER', [b.x, b.f32([1], () => 0.25)], [3, 7], {}, 'bool');
      const y = b.op('SELECT_V2', [c, b.x, b.op('MUL', [b.x, b.f32([1], () => -2)], [3, 7], act)], [3, 7]);
      const l = b.op('LESS', [y, b.f32([1], () => 1)], [3, 7], {}, 'bool');
      const e = b.op('EQUAL', [y, y], [3, 7], {}, 'bool');
      const z = b.op('SELECT_V2', [l, y, b.op('SELECT_V2', [e, b.x, y], [3, 7])], [3, 7]);
      const am = b.op('ARG_MAX', [z, b.i32([1], [])], [3], { output_type: 2 }, 'int32');
      const an = b.op('ARG_MIN', [y, b.i32([1], [])], [3], { output_type: 2 }, 'int32');
      return b.op('CONCATENATION', [am, an], [6], { axis: 0, ...act }, 'int32');
    },
    exactRate: 0.9,
  },
  {
    name: 'rsqrt, relu_n1_to_1, space/batch, more comparisons, select, shape',
    input: [1, 4, 4, 2],
    covers: ['RSQRT', 'RELU_N1_TO_1', 'SPACE_TO_BATCH_ND', 'BATCH_TO_SPACE_ND', 'GREATER_EQUAL', 'LESS_EQUAL', 'NOT_EQUAL', 'SELECT', 'SHAPE'],
    body: (b) => {
      const pos = b.op('ADD', [b.op('ABS', [b.x], [1, 4, 4, 2]), b.f32([1], () => 0.5)], [1, 4, 4, 2], act);
      const r = b.op('RSQRT', [pos], [1, 4, 4, 2]);
      const n = b.op('RELU_N1_TO_1', [b.x], [1, 4, 4, 2]);
      const sb = b.op('SPACE_TO_BATCH_ND', [n, b.i32([2, 2]), b.i32([0, 0, 0, 0], [2, 2])], [4, 2, 2, 2]);
      const bs = b.op('BATCH_TO_SPACE_ND', [sb, b.i32([2, 2]), b.i32([0, 0, 0, 0], [2, 2])], [1, 4, 4, 2]);
      const ge = b.op('GREATER_EQUAL', [b.x, r], [1, 4, 4, 2], {}, 'bool');
      const le = b.op('LESS_EQUAL', [bs, b.f32([1], () => 0.5)], [1, 4, 4, 2], {}, 'bool');
      const ne = b.op('NOT_EQUAL', [bs, b.f32([1], () => 5)], [1, 4, 4, 2], {}, 'bool');
      const s1 = b.op('SELECT', [ge, r, bs], [1, 4, 4, 2]);
      const s2 = b.op('SELECT', [le, s1, b.x], [1, 4, 4, 2]);
      const s3 = b.op('SELECT', [ne, s2, r], [1, 4, 4, 2]);
      // A reshape to its own (runtime) shape keeps SHAPE in the graph.
      const shape = b.op('SHAPE', [s3], [4], { out_type: 2 }, 'int32');
      return b.op('RESHAPE', [s3, shape], [1, 4, 4, 2]);
    },
  },
];

function graphFor(c: OpCase): Graph {
  const g = new Graph();
  const x = new Tensor('x', 'float32', c.input.slice());
  x.signature = c.input.slice();
  g.inputs = [x];
  const y = c.body(new Builder(g, x));
  g.outputs = [y];
  g.signature = { key: 'serving_default', inputs: [{ key: 'x', tensor: x }], outputs: [{ key: 'y', tensor: y }] };
  g.sortAndPrune();
  chooseOpVersions.apply(g, { allowCustomOps: false, log: () => {} });
  return g;
}

test('the op cases cover every op of the int8 rules table', () => {
  const covered = new Set(CASES.flatMap((c) => c.covers));
  const missing = Object.keys(INT8_RULES).filter((op) => !covered.has(op));
  assert.deepEqual(missing, []);
});

for (const c of CASES) {
  test(`int8 ops: ${c.name}`, async (t) => {
    const g = graphFor(c);
    const floatBytes = exportGraphs([g]).bytes;
    const converted: ConvertedGraphs = { graphs: [g], prepared: [], notes: [], passRuns: [] };
    const q = await quantizeGraphs(converted, { mode: 'int8', representative: 'random', calibrationSamples: 64, fullInteger: true }, { log: () => {}, progress: false });
    const bytes = exportGraphs(q.graphs).bytes;
    const ops = new Set(q.graphs[0].nodes.map((n) => n.op.slice(4)));
    for (const op of c.covers) assert.ok(ops.has(op), `${op} is in the quantized graph`);
    for (const n of q.graphs[0].nodes) {
      if (n.op === 'tfl.QUANTIZE' || n.op === 'tfl.DEQUANTIZE') continue;
      for (const t of n.inputs) if (t && !t.isConstant) assert.notEqual(t.dtype, 'float32', `${n.op} '${n.name}' reads a float tensor`);
    }
    const rt = await TfliteRuntime.load();
    const f = rt.loadModel(floatBytes, { name: `${c.name} (float)` });
    const m = rt.loadModel(bytes, { name: `${c.name} (int8)` });
    const io = ioQuant(bytes);
    const outScale = q.graphs[0].outputs[0].dtype === 'float32' ? (q.graphs[0].nodes.find((n) => n.op === 'tfl.DEQUANTIZE')?.inputs[0]?.quant?.scale[0] ?? 0) : 0;
    let signal = 0;
    let noise = 0;
    let equal = 0;
    let count = 0;
    try {
      for (let s = 0; s < 16; s++) {
        const x = makeRandomInputs([{ key: 'x', dtype: 'float32', shape: c.input }], 1000 + s).x as TensorValue;
        const ref = Float64Array.from(f.run([x])[0].data as ArrayLike<number>);
        const got = readOut(m.run([x])[0], io.outputs[0]);
        for (let k = 0; k < ref.length; k++) {
          signal += ref[k] * ref[k];
          noise += (ref[k] - got[k]) ** 2;
          if (ref[k] === got[k]) equal++;
          count++;
        }
      }
    } finally {
      f.dispose();
      m.dispose();
    }
    if (process.env.TFCONV_DEBUG_LAYERS) {
      const samples = Array.from({ length: 8 }, (_, s) => [makeRandomInputs([{ key: 'x', dtype: 'float32', shape: c.input }], 1000 + s).x as TensorValue]);
      t.diagnostic((await layerSqnr(floatBytes, bytes, samples)).map((l) => `${l.op} ${l.sqnr.toFixed(1)}`).join(', '));
    }
    if (c.exactRate !== undefined) {
      assert.ok(equal / count >= c.exactRate, `${equal} of ${count} equal`);
    } else {
      assert.ok(outScale > 0, 'the output is dequantized from int8');
      const sqnr = 10 * Math.log10(signal / noise);
      t.diagnostic(`output SQNR ${sqnr.toFixed(1)} dB`);
      assert.ok(sqnr >= (c.minSqnr ?? 30), `output SQNR ${sqnr.toFixed(1)} dB < ${c.minSqnr ?? 30}`);
    }
  });
}

test('ops without an int8 kernel stay float between DEQUANTIZE and QUANTIZE; --full-integer lists them in one line', async () => {
  const c: OpCase = {
    name: 'float islands',
    input: [1, 8],
    covers: [],
    body: (b) => {
      const e1 = b.op('EXP', [b.op('RELU', [b.x], [1, 8])], [1, 8]);
      const m = b.op('MUL', [e1, b.f32([1], () => 0.5)], [1, 8], act);
      const d1 = b.op('DIV', [m, b.op('ADD', [b.op('ABS', [b.x], [1, 8]), b.f32([1], () => 1)], [1, 8], act)], [1, 8], act);
      const d2 = b.op('DIV', [d1, b.f32([1], () => 3)], [1, 8], act);
      return b.op('EXP', [b.op('TANH', [d2], [1, 8])], [1, 8]);
    },
  };
  const g = graphFor(c);
  const converted: ConvertedGraphs = { graphs: [g], prepared: [], notes: [], passRuns: [] };
  await assert.rejects(
    quantizeGraphs(converted, { mode: 'int8', representative: 'random', fullInteger: true }, { log: () => {}, progress: false }),
    (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.equal(
        e.message,
        "--full-integer: 4 nodes of 2 op types would stay float: DIV x2 (no int8 kernel: 'div_7', 'div_9'); EXP x2 (no int8 kernel: 'exp_1', 'exp_11')",
      );
      return true;
    },
  );
  const q = await quantizeGraphs(converted, { mode: 'int8', representative: 'random', calibrationSamples: 32 }, { log: () => {}, progress: false });
  const qg = q.graphs[0];
  assert.match(q.notes.join('\n'), /kept in float \(between DEQUANTIZE\/QUANTIZE\): EXP x2 \(no int8 kernel\), DIV x2 \(no int8 kernel\)/);
  // Float ops read floats (through DEQUANTIZE where the producer is int8), int8 ops read int8; x
  // is quantized once for both of its int8 readers (RELU, ABS).
  for (const n of qg.nodes) {
    const floatOp = n.op === 'tfl.EXP' || n.op === 'tfl.DIV' || n.op === 'tfl.QUANTIZE';
    for (const x of n.inputs) if (x && !x.isConstant) assert.equal(x.dtype, floatOp ? 'float32' : 'int8', `${n.op} ${n.name}`);
  }
  const seq = qg.nodes.map((n) => n.op.slice(4)).join(' ');
  assert.equal(seq, 'QUANTIZE RELU DEQUANTIZE EXP QUANTIZE MUL ABS ADD DEQUANTIZE DEQUANTIZE DIV DIV QUANTIZE TANH DEQUANTIZE EXP');
  const rt = await TfliteRuntime.load();
  rt.loadModel(exportGraphs(q.graphs).bytes).dispose();
});
