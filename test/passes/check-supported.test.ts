// check-supported: the early support check reports exactly the ops that nothing later can
// convert (no lowering, no pass that rewrites them away, not computable from constants), all
// at once, and it runs in the check stage, before folding and lowering.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { convertModel } from '../../src/convert/convert.js';
import { loadForConversion } from '../../src/convert/load.js';
import { ErrorCode, TfconvError } from '../../src/errors/index.js';
import { graphFromGraphDef } from '../../src/graph/from-graphdef.js';
import { runPasses } from '../../src/passes/manager.js';
import { CHECK_STAGE, CONVERT_STAGE } from '../../src/passes/pipeline.js';
import { unsupportedEarly } from '../../src/passes/check-supported.js';
import { readGraphDef } from '../../src/readers/graphdef.js';
import { DT, bool, constant, node, placeholder, type, writeGraphDef } from '../helpers/graphdef.js';
import { fixture, need } from '../helpers/shared.js';

const T = { T: type(DT.FLOAT) };
const f32 = (name: string, values: number[], shape = [values.length]) => constant(name, { dtype: 'float32', shape, data: Float32Array.from(values) });
const i32 = (name: string, values: number[], shape = [values.length]) => constant(name, { dtype: 'int32', shape, data: Int32Array.from(values) });
const ctx = { allowCustomOps: false, log: () => {} };

function handledLater(): Set<string> {
  return new Set(CONVERT_STAGE.flatMap((p) => p.handles ?? []));
}

test('not reported: ops computed from constants (Range, Cumsum), ops a later pass removes (FusedBatchNormV3)', (t) => {
  const file = writeGraphDef(t, [
    placeholder('x', [1, 2, 2, 3]),
    i32('start', [0], []),
    i32('limit', [3], []),
    i32('delta', [1], []),
    node('r', 'Range', ['start', 'limit', 'delta'], { Tidx: type(DT.INT32) }),
    node('rf', 'Cast', ['r'], { SrcT: type(DT.INT32), DstT: type(DT.FLOAT), Truncate: bool(false) }),
    i32('axis', [0], []),
    node('c', 'Cumsum', ['rf', 'axis'], { ...T, Tidx: type(DT.INT32), exclusive: bool(false), reverse: bool(false) }),
    node('shifted', 'AddV2', ['x', 'c'], T),
    f32('gamma', [1, 2, 3]),
    f32('beta', [0, 0, 1]),
    f32('mean', [0.5, 0, 0]),
    f32('var', [1, 4, 9]),
    node('bn', 'FusedBatchNormV3', ['shifted', 'gamma', 'beta', 'mean', 'var'], { ...T, U: type(DT.FLOAT), epsilon: { value: 'f', f: 0.001 }, is_training: bool(false), data_format: { value: 's', s: new TextEncoder().encode('NHWC') } }),
  ]);
  const gd = readGraphDef(file);
  const g = graphFromGraphDef(gd, { outputs: [{ key: 'bn', name: 'bn' }], source: file });
  assert.deepEqual(unsupportedEarly(g, handledLater()), []);
  // And the conversion indeed removes them all.
  const r = convertModel(file, { outputArrays: ['bn'] });
  assert.deepEqual(r.graphs[0].nodes.map((n) => n.op), ['tfl.ADD', 'tfl.MUL', 'tfl.ADD']);
});

test('reported: the same ops on run-time values, grouped with counts and example nodes; --allow-custom-ops lets them through', (t) => {
  const file = writeGraphDef(t, [
    placeholder('x', [4]),
    i32('axis', [0], []),
    node('c1', 'Cumsum', ['x', 'axis'], { ...T, Tidx: type(DT.INT32), exclusive: bool(false), reverse: bool(false) }),
    node('c2', 'Cumsum', ['c1', 'axis'], { ...T, Tidx: type(DT.INT32), exclusive: bool(false), reverse: bool(false) }),
    node('n', 'Erf', ['c2'], T),
    node('y', 'Cast', ['n'], { SrcT: type(DT.FLOAT), DstT: type(DT.INT32), Truncate: bool(false) }),
  ]);
  const gd = readGraphDef(file);
  const g = graphFromGraphDef(gd, { outputs: [{ key: 'y', name: 'y' }], source: file });
  assert.deepEqual(unsupportedEarly(g, handledLater()), [
    { op: 'Cumsum', count: 2, examples: ['c1', 'c2'] },
    { op: 'Erf', count: 1, examples: ['n'] },
  ]);
  assert.throws(() => runPasses(g, CHECK_STAGE, ctx), (e: unknown) => {
    assert.ok(e instanceof TfconvError);
    assert.equal(e.message, "2 unsupported op types (3 nodes): Cumsum x2 (e.g. 'c1', 'c2'); Erf x1 (e.g. 'n'); use --allow-custom-ops to write them as custom ops");
    return true;
  });
  const custom = convertModel(file, { outputArrays: ['y'], allowCustomOps: true });
  assert.deepEqual(custom.graphs[0].nodes.map((n) => n.op), ['tfl.custom:Cumsum', 'tfl.custom:Cumsum', 'tfl.custom:Erf', 'tfl.CAST']);
});

test('the Estimator\'s 17 unsupported op types are found by the check stage alone, before folding and lowering', (t) => {
  const src = fixture('tfx-testdata/estimator_taxi_serving');
  if (!need(t, src)) return;
  const [p] = loadForConversion(src, { signatures: ['regression'] }).graphs;
  const g = graphFromGraphDef(p.graphDef, { outputs: p.outputs, inputs: p.inputs, signatureKey: p.signatureKey, source: p.source });
  const ran: string[] = [];
  assert.throws(
    () => runPasses(g, CHECK_STAGE.map((pass) => ({ ...pass, apply: (gr, c) => (ran.push(pass.name), pass.apply(gr, c)) })), ctx),
    (e: unknown) => e instanceof TfconvError && e.code === ErrorCode.UNSUPPORTED_OPS && /^\d+ unsupported op types \(\d+ nodes\): /.test(e.message),
  );
  assert.deepEqual(ran, ['remove-identity', 'resolve-switch-merge', 'check-supported']);
  // Long lists stay readable: op types past the sixth are named with their count only.
  const e = (() => {
    try {
      convertModel(src, { signatures: ['regression'] });
    } catch (x) {
      return x as TfconvError;
    }
    return null;
  })();
  assert.ok(e);
  const parts = e.message.split('; ');
  const withExamples = parts.filter((s) => s.includes('(e.g. '));
  assert.equal(withExamples.length, 6);
  assert.ok(parts.some((s) => /^ParseExampleV2 x1$/.test(s) || /^ParseExampleV2 x1 \(e\.g\./.test(s)), e.message);
});
