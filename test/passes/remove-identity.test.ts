// remove-identity: Identity, IdentityN, StopGradient and the other ops that pass a value through
// at inference disappear; their readers read the producer directly and a graph output keeps its
// name. The conversion runs in TFLite and matches the TF reference, which executes the
// identities. An identity without an input is a broken graph, reported naming the node.

import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { optimize } from '../../src/api/optimize.js';
import { ErrorCode, TfconvError } from '../../src/errors/index.js';
import { removeIdentity } from '../../src/passes/remove-identity.js';
import { tmpDir } from '../helpers/tmp.js';
import { GraphDefBuilder, T, a, checkOp } from '../lower/harness.js';
import { assertUnchanged, ctx, importGraphDef } from './helpers.js';
import { node, placeholder, writeGraphDef } from '../helpers/graphdef.js';

/** x -> Identity -> StopGradient -> Snapshot -> Relu, Neg -> IdentityN -> (Identity) -> outputs. */
function chains() {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', [2, 3]);
  const i1 = b.op('i1', 'Identity', [x], T());
  const sg = b.op('sg', 'StopGradient', [i1], T());
  const sn = b.op('sn', 'Snapshot', [sg], T());
  const r = b.op('r', 'Relu', [sn], T());
  const n = b.op('n', 'Neg', [sn], T());
  b.op('idn', 'IdentityN', [r, n], { T: a.types(['float32', 'float32']) });
  b.op('y', 'Identity', ['idn:1'], T());
  return b.build();
}

test('Identity, StopGradient, Snapshot and IdentityN chains go; outputs keep their names; matches the TF reference', async (t) => {
  const { graph: g } = importGraphDef(chains(), ['idn', 'y']);
  assert.deepEqual(
    g.nodes.map((n) => n.op),
    ['Identity', 'StopGradient', 'Snapshot', 'Relu', 'Neg', 'IdentityN', 'Identity'],
  );
  const r = removeIdentity.apply(g, ctx);
  assert.equal(r.rewrites, 5);
  assert.deepEqual(
    g.nodes.map((n) => n.op),
    ['Relu', 'Neg'],
  );
  assert.deepEqual(
    g.nodes.map((n) => n.inputs[0]),
    [g.inputs[0], g.inputs[0]],
  );
  // The Relu's and Neg's outputs are the graph outputs, named as the outputs asked for.
  assert.deepEqual(
    g.outputs.map((o) => [o.name, o.producer?.op]),
    [
      ['idn', 'Relu'],
      ['y', 'Neg'],
    ],
  );
  assert.deepEqual(
    g.signature?.outputs.map((o) => [o.key, o.tensor]),
    [
      ['idn', g.outputs[0]],
      ['y', g.outputs[1]],
    ],
  );
  // End to end: the written model has the outputs under those names and computes what TF does.
  const c = await checkOp(t, chains(), ['idn', 'y'], { ops: ['RELU@1', 'NEG@1'], atol: 0 });
  assert.deepEqual(
    c.graph.outputs.map((o) => o.name),
    ['idn', 'y'],
  );
});

// (Not in the TF reference: tfjs cannot run CheckNumerics, and its EnsureShape wants the shape
// as an input.)
test('CheckNumerics, PreventGradient, EnsureShape and Print pass their first input through', () => {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', [4]);
  const es = b.op('es', 'EnsureShape', [x], { ...T(), shape: a.shape([4]) });
  const cn = b.op('cn', 'CheckNumerics', [es], { ...T(), message: a.s('bad') });
  const pg = b.op('pg', 'PreventGradient', [cn], { ...T(), message: a.s('') });
  const e = b.op('e', 'Exp', [pg], T());
  b.op('y', 'Print', [e, x], { ...T(), U: a.types(['float32']), message: a.s('y = '), first_n: a.i(-1), summarize: a.i(3) });
  const { graph: g } = importGraphDef(b.build(), ['y']);
  assert.equal(removeIdentity.apply(g, ctx).rewrites, 4);
  assert.deepEqual(
    g.nodes.map((n) => n.op),
    ['Exp'],
  );
  assert.equal(g.nodes[0].inputs[0], g.inputs[0]);
  assert.equal(g.outputs[0].name, 'y');
});

test('an identity of a graph input as the output: the output is the input tensor, under its signature key', () => {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', [3]);
  b.op('y', 'Identity', [x], T());
  b.op('z', 'Relu', [x], T());
  const { graph: g } = importGraphDef(b.build(), ['y', 'z']);
  removeIdentity.apply(g, ctx);
  assert.equal(g.outputs[0], g.inputs[0]);
  assert.equal(g.inputs[0].name, 'x', 'an input keeps its own name');
  assert.deepEqual(
    g.signature?.outputs.map((o) => o.key),
    ['y', 'z'],
  );
});

test('two outputs, one the identity of the other: one tensor, which keeps the name of the output it already was', () => {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', [3]);
  const r = b.op('r', 'Relu', [x], T());
  b.op('y', 'Identity', [r], T());
  const { graph: g } = importGraphDef(b.build(), ['r', 'y']);
  removeIdentity.apply(g, ctx);
  assert.equal(g.outputs[0], g.outputs[1]);
  assert.equal(g.outputs[0].name, 'r');
  assert.deepEqual(
    g.signature?.outputs.map((o) => [o.key, o.tensor.name]),
    [
      ['r', 'r'],
      ['y', 'r'],
    ],
  );
});

test('a graph without pass-through ops: unchanged', () => {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', 'float32', [2, 3]);
  b.op('y', 'Relu', [b.op('n', 'Neg', [x], T())], T());
  assertUnchanged(removeIdentity, importGraphDef(b.build(), ['y']).graph, 'nothing to remove');
});

test('an Identity without an input (a placeholder turned Identity) is a BAD_GRAPH naming the node', async (t) => {
  const nodes = [node('x', 'Identity', [], T()), node('y', 'Relu', ['x'], T())];
  const b = new GraphDefBuilder();
  b.nodes.push(...nodes);
  const { graph: g } = importGraphDef(b.build(), ['y']);
  assert.throws(
    () => removeIdentity.apply(g, ctx),
    (e: unknown) => {
      assert.ok(e instanceof TfconvError);
      assert.equal(e.code, ErrorCode.BAD_GRAPH);
      assert.equal(e.message, "node 'x' (Identity): Identity has no input 0 to pass through");
      return true;
    },
  );
  // What the user sees converting such a file: the same one line, not an internal error.
  const file = writeGraphDef(t, [placeholder('p', [2]), ...nodes]);
  await assert.rejects(optimize(file, { output: path.join(tmpDir(t), 'o.tflite'), outputArrays: ['y'] }), (e: unknown) => {
    assert.ok(e instanceof TfconvError);
    assert.equal(e.code, ErrorCode.BAD_GRAPH);
    assert.match(e.message, /node 'x' \(Identity\): Identity has no input 0 to pass through$/);
    return true;
  });
});

test('a second run changes nothing', () => {
  const { graph: g } = importGraphDef(chains(), ['idn', 'y']);
  removeIdentity.apply(g, ctx);
  assertUnchanged(removeIdentity, g, 'idempotent');
});
