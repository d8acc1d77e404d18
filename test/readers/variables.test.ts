import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { toFloat64 } from '../../src/core/tensor.js';
import { ErrorCode, isTfconvError } from '../../src/errors/index.js';
import { SavedModelCodec } from '../../src/proto/index.js';
import type { MetaGraphDef } from '../../src/proto/index.js';
import { TensorBundle, savedModelVariablesPrefix } from '../../src/readers/tensor-bundle/index.js';
import { OBJECT_GRAPH_KEY, listVariables, loadVariables, mapVariables } from '../../src/readers/variables.js';
import { writeTensorBundle } from '../../src/writers/tensor-bundle.js';
import { SHARED_DIR, fixture, need } from '../helpers/shared.js';
import { HALF_PLUS_TWO_TF1, HALF_PLUS_TWO_TF2, KWS, copyModel, scratch } from './bundle-helpers.js';

function metaGraph(dir: string): MetaGraphDef {
  const sm = SavedModelCodec.decode(fs.readFileSync(path.join(dir, 'saved_model.pb')), dir);
  return sm.meta_graphs[0];
}

function codeOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (isTfconvError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  return { code: 'none', message: '' };
}

test('TF1 half_plus_two: VariableV2 a, a2, b, c, c2 restored by save/restore_all; filename_tensor is not', (t) => {
  if (!need(t, HALF_PLUS_TWO_TF1)) return;
  const { mapping, values } = loadVariables(HALF_PLUS_TWO_TF1, metaGraph(HALF_PLUS_TWO_TF1));
  assert.deepEqual(
    mapping.bindings.map((b) => [b.node, b.op, b.checkpointKey, b.source]),
    ['a', 'a2', 'b', 'c', 'c2'].map((n) => [n, 'VariableV2', n, 'restore-op']),
  );
  assert.deepEqual(mapping.unrestored, ['filename_tensor']);
  assert.deepEqual(mapping.unusedKeys, []);
  const got = Object.fromEntries([...values].map(([k, v]) => [k, [...toFloat64(v)]]));
  assert.deepEqual(got, { a: [0.5], a2: [0.5], b: [2], c: [3], c2: [3] });
});

test('TF2 half_plus_two: VarHandleOps a, b, c mapped through the object graph and the restore function', (t) => {
  if (!need(t, HALF_PLUS_TWO_TF2)) return;
  const mg = metaGraph(HALF_PLUS_TWO_TF2);
  const { mapping, values } = loadVariables(HALF_PLUS_TWO_TF2, mg);
  assert.deepEqual(
    mapping.bindings.map((b) => [b.node, b.op, b.checkpointKey, b.objectId]),
    [
      ['a', 'VarHandleOp', 'a/.ATTRIBUTES/VARIABLE_VALUE', 1],
      ['b', 'VarHandleOp', 'b/.ATTRIBUTES/VARIABLE_VALUE', 2],
      ['c', 'VarHandleOp', 'c/.ATTRIBUTES/VARIABLE_VALUE', 3],
    ],
  );
  // The object ids are the SavedObjectGraph's variable objects named a, b, c.
  for (const b of mapping.bindings) assert.equal(mg.object_graph_def?.nodes[b.objectId as number].variable?.name, b.node);
  // The asset-path variable is set by the init op, not the checkpoint.
  assert.deepEqual(mapping.unrestored, ['Variable']);
  assert.deepEqual(Object.fromEntries([...values].map(([k, v]) => [k, toFloat64(v)[0]])), { a: 0.5, b: 2, c: 3 });

  // Without the saver, the object graph alone gives the same answer.
  const alone = mapVariables(HALF_PLUS_TWO_TF2, { ...mg, saver_def: null });
  assert.deepEqual(
    alone.bindings.map((b) => [b.node, b.checkpointKey, b.source]),
    ['a', 'b', 'c'].map((n) => [n, `${n}/.ATTRIBUTES/VARIABLE_VALUE`, 'object-graph']),
  );
});

test('kws_ref_model: every one of the 141 VarHandleOps mapped; the 56 the signature captures agree both ways', (t) => {
  if (!need(t, KWS)) return;
  const mg = metaGraph(KWS);
  const m = mapVariables(KWS, mg);
  const handles = (mg.graph_def?.node ?? []).filter((n) => n.op === 'VarHandleOp').map((n) => n.name).sort();
  assert.equal(handles.length, 141);
  assert.deepEqual(m.bindings.map((b) => b.node), handles);
  assert.deepEqual(m.unrestored, []);
  assert.deepEqual(m.unusedKeys, []);
  const dense = m.byNode.get('dense/kernel');
  assert.equal(dense?.checkpointKey, 'layer_with_weights-18/kernel/.ATTRIBUTES/VARIABLE_VALUE');
  assert.deepEqual(dense?.shape, [64, 12]);
  assert.equal(m.byNode.get('Adam/dense/kernel/m')?.checkpointKey, 'layer_with_weights-18/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE');
  assert.equal(m.byNode.get('Adam/iter')?.dtype, 'int64');

  const captured = m.bindings.filter((b) => b.objectId !== undefined);
  assert.equal(captured.length, 56);
  // The object graph on its own (no restore op) reaches the same keys for those 56.
  const alone = mapVariables(KWS, { ...mg, saver_def: null });
  assert.deepEqual(
    alone.bindings.map((b) => [b.node, b.checkpointKey]),
    captured.map((b) => [b.node, b.checkpointKey]),
  );
  assert.ok(alone.bindings.every((b) => b.source === 'object-graph'));
  // ...and the restore function on its own (no object graph) gives all 141.
  const restoreOnly = mapVariables(KWS, { ...mg, object_graph_def: null });
  assert.deepEqual(restoreOnly.bindings.map((b) => [b.node, b.checkpointKey]), m.bindings.map((b) => [b.node, b.checkpointKey]));

  const listing = listVariables(KWS, mg);
  assert.equal(listing.totals.count, 141);
  // Every byte of the shard except the object graph's string tensor belongs to a variable.
  const og = TensorBundle.open(savedModelVariablesPrefix(KWS)).entry(OBJECT_GRAPH_KEY).size;
  assert.equal(listing.totals.bytes, 321307 - og);
  assert.equal(listing.totals.elements * 4 + 4, listing.totals.bytes); // float32 everywhere but one int64 scalar
  assert.deepEqual(listing.variables.find((v) => v.name === 'dense/bias'), {
    name: 'dense/bias',
    checkpointKey: 'layer_with_weights-18/bias/.ATTRIBUTES/VARIABLE_VALUE',
    dtype: 'float32',
    shape: [12],
    bytes: 48,
  });
});

test('a restore function that disagrees with the object graph is a VARIABLE_MISMATCH naming the variable', (t) => {
  if (!need(t, KWS)) return;
  const mg = metaGraph(KWS);
  const restore = mg.graph_def?.library?.function.find((f) => f.signature?.name.startsWith('__inference__traced_restore'));
  const names = restore?.node_def.find((n) => n.name === 'RestoreV2/tensor_names')?.attr.value?.tensor?.string_val;
  assert.ok(names);
  // Swap the keys of conv2d/kernel (0) and conv2d/bias (1).
  [names[0], names[1]] = [names[1], names[0]];
  const e = codeOf(() => mapVariables(KWS, mg));
  assert.equal(e.code, ErrorCode.VARIABLE_MISMATCH);
  assert.match(e.message, /variable 'conv2d\/(kernel|bias)': the restore op gives it checkpoint key/);
});

test('a graph variable whose key is not in the checkpoint is MISSING_VARIABLE; a wrong dtype is VARIABLE_MISMATCH', (t) => {
  if (!need(t, HALF_PLUS_TWO_TF1)) return;
  const m = copyModel(HALF_PLUS_TWO_TF1, path.join(scratch(t), 'm'));
  const prefix = savedModelVariablesPrefix(m);
  const values = TensorBundle.open(prefix).readAll();
  const mg = metaGraph(m);

  values.delete('c');
  writeTensorBundle(prefix, values);
  let e = codeOf(() => mapVariables(m, mg));
  assert.equal(e.code, ErrorCode.MISSING_VARIABLE);
  assert.match(e.message, /variables\.index: no value for variable 'c'$/);

  values.delete('a2');
  writeTensorBundle(prefix, values);
  e = codeOf(() => mapVariables(m, mg));
  assert.equal(e.code, ErrorCode.MISSING_VARIABLE);
  assert.match(e.message, /2 variables needed by the graph have no value in the checkpoint: 'a2', 'c'/);

  values.set('a2', { dtype: 'int32', shape: [], data: Int32Array.of(1) });
  values.set('c', { dtype: 'float32', shape: [2], data: Float32Array.of(3, 3) });
  writeTensorBundle(prefix, values);
  e = codeOf(() => mapVariables(m, mg));
  assert.equal(e.code, ErrorCode.VARIABLE_MISMATCH);
  assert.match(e.message, /variable 'a2': the graph declares float32 but checkpoint key 'a2' holds int32/);

  values.set('a2', { dtype: 'float32', shape: [], data: Float32Array.of(1) });
  writeTensorBundle(prefix, values);
  e = codeOf(() => mapVariables(m, mg));
  assert.match(e.message, /variable 'c': the graph declares shape \[\] but checkpoint key 'c' holds \[2\]/);

  // Asking for a variable that is not restored at all.
  values.set('c', { dtype: 'float32', shape: [], data: Float32Array.of(3) });
  writeTensorBundle(prefix, values);
  e = codeOf(() => loadVariables(m, mg, { nodes: ['a', 'filename_tensor'] }));
  assert.equal(e.code, ErrorCode.MISSING_VARIABLE);
  assert.match(e.message, /no value for variable 'filename_tensor'/);
  assert.deepEqual([...loadVariables(m, mg, { nodes: ['a'] }).values.keys()], ['a']);
});

test('a SavedModel whose variables/ directory was never committed: MISSING_VARIABLE listing what the graph restores', (t) => {
  const dir = fixture('tfnet-keras/example1');
  if (!need(t, path.join(dir, 'saved_model.pb'))) return;
  const e = codeOf(() => mapVariables(dir, metaGraph(dir)));
  assert.equal(e.code, ErrorCode.MISSING_VARIABLE);
  assert.match(e.message, /11 variables are restored by the graph but the SavedModel has no variables checkpoint: 'fuel_conv1\/bias'/);
});

test('a TF1 graph without a saver falls back to variable names', (t) => {
  if (!need(t, HALF_PLUS_TWO_TF1)) return;
  const mg = metaGraph(HALF_PLUS_TWO_TF1);
  const m = mapVariables(HALF_PLUS_TWO_TF1, { ...mg, saver_def: null });
  assert.deepEqual(m.bindings.map((b) => [b.node, b.source]), ['a', 'a2', 'b', 'c', 'c2'].map((n) => [n, 'name']));
});

test('every SavedModel under the shared fixtures: variables map, agree both ways, and read', (t) => {
  const root = path.join(SHARED_DIR, 'fixtures');
  if (!need(t, root)) return;
  const dirs: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const p = path.join(d, e.name);
      if (fs.existsSync(path.join(p, 'saved_model.pb'))) dirs.push(p);
      walk(p);
    }
  };
  walk(root);
  let bound = 0;
  let viaObjects = 0;
  for (const d of dirs.sort()) {
    const sm = SavedModelCodec.decode(fs.readFileSync(path.join(d, 'saved_model.pb')), d);
    for (const mg of sm.meta_graphs) {
      if (d.endsWith('example1')) {
        assert.equal(codeOf(() => mapVariables(d, mg)).code, ErrorCode.MISSING_VARIABLE);
        continue;
      }
      const { mapping, values } = loadVariables(d, mg);
      assert.equal(values.size, mapping.bindings.length, d);
      assert.deepEqual(mapping.unusedKeys, [], d);
      bound += mapping.bindings.length;
      viaObjects += mapping.bindings.filter((b) => b.objectId !== undefined).length;
    }
  }
  assert.ok(bound >= 330, `${bound} variables bound`);
  assert.ok(viaObjects >= 100, `${viaObjects} cross-checked through the object graph`);
});

test('a pre-1.0 V1 checkpoint (variables/variables file) is reported as unsupported, not as missing variables', (t) => {
  if (!need(t, HALF_PLUS_TWO_TF1)) return;
  const m = copyModel(HALF_PLUS_TWO_TF1, path.join(scratch(t), 'm'));
  for (const f of fs.readdirSync(path.join(m, 'variables'))) fs.rmSync(path.join(m, 'variables', f));
  fs.writeFileSync(path.join(m, 'variables', 'variables-00000-of-00001'), 'V1 checkpoint bytes');
  const e = codeOf(() => loadVariables(m, metaGraph(m)));
  assert.equal(e.code, ErrorCode.BUNDLE_UNSUPPORTED);
  assert.match(e.message, /variables-00000-of-00001: checkpoint: TensorFlow V1 checkpoints/);
});
