// fuse-activation: a RELU, RELU6 or RELU_N1_TO_1 read only from a host op's output becomes the
// host's fused_activation_function. Each host is checked in the TFLite runtime before and after
// the pass (a fused clamp computes the same max/min, so the outputs are equal bit for bit). TANH
// is not fused, and the runtime shows why: a CONV_2D or FULLY_CONNECTED written with a fused TANH
// runs without applying tanh at all.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toFloat64 } from '../../src/core/tensor.js';
import { TfconvError } from '../../src/errors/index.js';
import { makeValue } from '../../src/graph/ops/util.js';
import { ACTIVATION } from '../../src/lower/helpers.js';
import { fuseActivation } from '../../src/passes/fuse-activation.js';
import type { GraphDef } from '../../src/proto/types.js';
import { GraphDefBuilder, T, a, i32 } from '../lower/harness.js';
import { assertUnchanged, beforeAfter, ctx, graphBefore, inputsFor, ops, runBytes, tfliteBytes } from './helpers.js';

type Host = 'conv' | 'depthwise' | 'fc' | 'add' | 'sub' | 'mul' | 'div' | 'avgpool' | 'maxpool' | 'concat';
type Act = 'Relu' | 'Relu6' | 'ReluN1To1' | 'Tanh';

const conv = { ...T(), padding: a.s('SAME'), strides: a.ints([1, 1, 1, 1]), data_format: a.s('NHWC') };
const pool = { ...T(), padding: a.s('VALID'), strides: a.ints([1, 2, 2, 1]), ksize: a.ints([1, 2, 2, 1]), data_format: a.s('NHWC') };

/** host -> activation (-> Neg of the host's output as a second reader). */
function graph(host: Host, act: Act, opts: { secondReader?: boolean; hostIsOutput?: boolean } = {}): { gd: GraphDef; outputs: string[] } {
  const b = new GraphDefBuilder();
  const image = host === 'conv' || host === 'depthwise' || host === 'avgpool' || host === 'maxpool';
  const x = b.placeholder('x', 'float32', image ? [1, 6, 6, 2] : host === 'fc' ? [2, 5] : [2, 3, 4]);
  const z = () => b.placeholder('z', 'float32', [2, 3, 4]);
  // Conv-like hosts get a bias (joined by fuse-add-into-bias before this pass runs).
  const h = {
    conv: () => b.op('biased', 'BiasAdd', [b.op('host', 'Conv2D', [x, b.weights('w', [3, 3, 2, 3], 1)], conv), b.weights('bias', [3], 2)], { ...T(), data_format: a.s('NHWC') }),
    depthwise: () => b.op('biased', 'BiasAdd', [b.op('host', 'DepthwiseConv2dNative', [x, b.weights('w', [3, 3, 2, 2], 1)], conv), b.weights('bias', [4], 2)], { ...T(), data_format: a.s('NHWC') }),
    fc: () => b.op('biased', 'BiasAdd', [b.op('host', 'MatMul', [x, b.weights('w', [5, 3], 1)], { ...T(), transpose_a: a.b(false), transpose_b: a.b(false) }), b.weights('bias', [3], 2)], { ...T(), data_format: a.s('NHWC') }),
    add: () => b.op('host', 'AddV2', [x, z()], T()),
    sub: () => b.op('host', 'Sub', [x, z()], T()),
    mul: () => b.op('host', 'Mul', [x, z()], T()),
    div: () => b.op('host', 'RealDiv', [x, z()], T()),
    avgpool: () => b.op('host', 'AvgPool', [x], pool),
    maxpool: () => b.op('host', 'MaxPool', [x], pool),
    concat: () => b.op('host', 'ConcatV2', [x, z(), b.const('axis', i32([], [-1]))], { ...T(), N: a.i(2), Tidx: a.type('int32') }),
  }[host]();
  if (act === 'ReluN1To1') {
    const lo = b.op('lo', 'Maximum', [h, b.const('minus1', makeValue('float32', [], [-1]))], T());
    b.op('y', 'Minimum', [lo, b.const('plus1', makeValue('float32', [], [1]))], T());
  } else {
    b.op('y', act, [h], T());
  }
  const outputs = ['y'];
  if (opts.secondReader) {
    b.op('y2', 'Neg', [h], T());
    outputs.push('y2');
  }
  if (opts.hostIsOutput) outputs.push(h);
  return { gd: b.build(), outputs };
}

const TFL: Record<Host, string> = {
  conv: 'CONV_2D',
  depthwise: 'DEPTHWISE_CONV_2D',
  fc: 'FULLY_CONNECTED',
  add: 'ADD',
  sub: 'SUB',
  mul: 'MUL',
  div: 'DIV',
  avgpool: 'AVERAGE_POOL_2D',
  maxpool: 'MAX_POOL_2D',
  concat: 'CONCATENATION',
};
const FUSED: Record<Exclude<Act, 'Tanh'>, [string, number]> = {
  Relu: ['RELU', ACTIVATION.RELU],
  Relu6: ['RELU6', ACTIVATION.RELU6],
  ReluN1To1: ['RELU_N1_TO_1', ACTIVATION.RELU_N1_TO_1],
};

for (const act of ['Relu', 'Relu6', 'ReluN1To1'] as const) {
  test(`${FUSED[act][0]} fuses into every host op (not CONCATENATION); the outputs are bit-identical in the TFLite runtime`, async () => {
    for (const host of Object.keys(TFL) as Host[]) {
      if (host === 'concat') continue;
      const { gd, outputs } = graph(host, act);
      const g = graphBefore(gd, outputs, fuseActivation);
      assert.deepEqual(ops(g), [TFL[host], FUSED[act][0]], host);
      // Inputs times 4, so RELU6 and RELU_N1_TO_1 clamp on both sides.
      const r = await beforeAfter(fuseActivation, g, { scale: 4 });
      assert.equal(r.rewrites, 1, host);
      assert.deepEqual(ops(g), [TFL[host]], host);
      assert.equal(g.nodes[0].options.fused_activation_function, FUSED[act][1], host);
      assert.equal(g.outputs[0].name, 'y', `${host}: the graph output keeps its name`);
      assert.equal(r.diff, 0, `${host}: max |before - after| = ${r.diff}`);
    }
  });
}

test('TANH is not fused into CONV_2D or FULLY_CONNECTED', () => {
  for (const host of ['conv', 'fc'] as const) {
    const { gd, outputs } = graph(host, 'Tanh');
    const g = graphBefore(gd, outputs, fuseActivation);
    assert.deepEqual(ops(g), [TFL[host], 'TANH']);
    assertUnchanged(fuseActivation, g, 'a fused TANH would be dropped by the kernels');
  }
});

/** The host op alone (the activation dropped by hand), as it stands before this pass. */
function hostAlone(host: Host) {
  const { gd, outputs } = graph(host, 'Relu');
  const g = graphBefore(gd, outputs, fuseActivation);
  g.outputs = [g.nodes[0].output(0)];
  if (g.signature) g.signature.outputs[0].tensor = g.outputs[0];
  g.nodes = [g.nodes[0]];
  return g;
}

/** Runs the host alone, without activation and then written with `act` fused, on the same inputs. */
async function runFused(host: Host, act: number): Promise<{ plain: Float64Array; fused: Float64Array | string }> {
  const g = hostAlone(host);
  const plainBytes = tfliteBytes(g);
  g.nodes[0].options = { ...g.nodes[0].options, fused_activation_function: act };
  const fusedBytes = tfliteBytes(g);
  const feed = inputsFor(g, 5, 4);
  const [plain] = await runBytes(plainBytes, feed);
  try {
    const [fused] = await runBytes(fusedBytes, feed);
    return { plain: toFloat64(plain), fused: toFloat64(fused) };
  } catch (e) {
    assert.ok(e instanceof TfconvError, String(e));
    return { plain: toFloat64(plain), fused: e.message };
  }
}

test('why not TANH: the TFLite runtime drops a fused TANH (CONV_2D and the others) or refuses the model (FULLY_CONNECTED)', async () => {
  for (const host of Object.keys(TFL) as Host[]) {
    if (host === 'concat') continue;
    const { plain, fused } = await runFused(host, ACTIVATION.TANH);
    assert.ok(plain.some((v) => Math.abs(v) > 1.5), `${host}: some outputs are far outside tanh's range`);
    if (host === 'fc') {
      assert.equal(typeof fused, 'string', 'FULLY_CONNECTED with fused TANH');
      assert.match(fused as string, /fully_connected\.cc.*params->activation == kTfLiteActNone.*Node number 0 \(FULLY_CONNECTED\) failed to prepare/);
      continue;
    }
    assert.ok(fused instanceof Float64Array, `${host}: ${String(fused)}`);
    // The layer without activation. (XNNPACK declines a TANH node, so TFLite's own kernel runs
    // it: the same sums in another order, hence a float32 rounding tolerance.)
    for (let i = 0; i < plain.length; i++) {
      assert.ok(Math.abs(fused[i] - plain[i]) <= 1e-5 * (1 + Math.abs(plain[i])), `${host}[${i}]: fused TANH gave ${fused[i]}, no activation ${plain[i]}`);
    }
  }
  // What tfconv writes instead, a separate TANH op, does apply it.
  const { gd, outputs } = graph('conv', 'Tanh');
  const separate = graphBefore(gd, outputs, fuseActivation);
  const g = hostAlone('conv');
  const feed = inputsFor(g, 5, 4);
  const [plain] = await runBytes(tfliteBytes(g), feed);
  const [withTanh] = await runBytes(tfliteBytes(separate), feed);
  const p = toFloat64(plain);
  const r = toFloat64(withTanh);
  for (let i = 0; i < p.length; i++) assert.ok(Math.abs(r[i] - Math.tanh(p[i])) <= 1e-6, `[${i}]: ${r[i]} vs tanh(${p[i]})`);
});

test('CONCATENATION is not a host: TFLite refuses any fused activation on it', async () => {
  for (const act of ['Relu', 'Relu6', 'ReluN1To1'] as const) {
    const { gd, outputs } = graph('concat', act);
    const g = graphBefore(gd, outputs, fuseActivation);
    assert.deepEqual(ops(g), ['CONCATENATION', FUSED[act][0]]);
    assertUnchanged(fuseActivation, g, 'CONCATENATION takes no fused activation');
  }
  const { fused } = await runFused('concat', ACTIVATION.RELU);
  assert.match(String(fused), /concatenation\.cc.*params->activation != kTfLiteActNone \(1 != 0\).*Node number 0 \(CONCATENATION\) failed to prepare/);
});

test('TRANSPOSE_CONV is not a host (its fused activation needs version 4, older kernels skip it)', () => {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', [1, 3, 4, 2]);
  const tc = b.op('tc', 'Conv2DBackpropInput', [b.const('sizes', i32([4], [1, 6, 8, 3])), b.weights('w', [3, 3, 3, 2], 4), x], {
    ...T(),
    padding: a.s('SAME'),
    strides: a.ints([1, 2, 2, 1]),
    data_format: a.s('NHWC'),
  });
  b.op('y', 'Relu', [tc], T());
  const g = graphBefore(b.build(), ['y'], fuseActivation);
  assert.deepEqual(ops(g), ['TRANSPOSE_CONV', 'RELU']);
  assertUnchanged(fuseActivation, g, 'TRANSPOSE_CONV is not a host');
});

test('a second reader of the host output, or the host output being a graph output, blocks the fusion', () => {
  for (const host of ['conv', 'add', 'maxpool'] as const) {
    const shared = graph(host, 'Relu', { secondReader: true });
    const g = graphBefore(shared.gd, shared.outputs, fuseActivation);
    assert.deepEqual(ops(g), [TFL[host], 'RELU', 'NEG']);
    assertUnchanged(fuseActivation, g, `${host}: the NEG reads the value before the RELU`);
    const out = graph(host, 'Relu', { hostIsOutput: true });
    const g2 = graphBefore(out.gd, out.outputs, fuseActivation);
    assert.deepEqual(ops(g2), [TFL[host], 'RELU']);
    assertUnchanged(fuseActivation, g2, `${host}: its output is a graph output`);
  }
});

test('a host that already has a fused activation takes no second one', () => {
  const { gd, outputs } = graph('conv', 'Relu6');
  const g = graphBefore(gd, outputs, fuseActivation);
  g.nodes[0].options = { ...g.nodes[0].options, fused_activation_function: ACTIVATION.RELU };
  assertUnchanged(fuseActivation, g, 'RELU then RELU6 is not one activation');
});

test('a second run changes nothing', () => {
  const { gd, outputs } = graph('fc', 'Relu');
  const g = graphBefore(gd, outputs, fuseActivation);
  assert.equal(fuseActivation.apply(g, ctx).rewrites, 1);
  assertUnchanged(fuseActivation, g, 'idempotent');
});
