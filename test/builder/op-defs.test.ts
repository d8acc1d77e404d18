// The builder's OpDef table against the stripped_op_lists TensorFlow wrote into the fixtures:
// the TF 2.6.4 file (the version whose layout the builder writes) must match exactly; other
// versions must agree on arguments and attribute names, types and defaults.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { BUILDER_OPS, opDef } from '../../src/builder/op-defs.js';
import { SavedModelCodec } from '../../src/proto/index.js';
import type { AttrValue, OpDef } from '../../src/proto/index.js';
import { SHARED_DIR, fixture, need } from '../helpers/shared.js';

const KAGGLE = fixture('kaggle-docker-python-keras/saved_model');

function strippedOpLists(): { version: string; file: string; ops: OpDef[] }[] {
  const out: { version: string; file: string; ops: OpDef[] }[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'saved_model.pb') {
        for (const mg of SavedModelCodec.decode(fs.readFileSync(p), p).meta_graphs) {
          out.push({ version: mg.meta_info_def?.tensorflow_version ?? '', file: p, ops: mg.meta_info_def?.stripped_op_list?.op ?? [] });
        }
      }
    }
  };
  walk(path.join(SHARED_DIR, 'fixtures'));
  return out;
}

function canonical(v: AttrValue | null): string {
  if (!v || v.value === undefined) return 'none';
  const bytes = (b: Uint8Array) => Buffer.from(b).toString('latin1');
  const x = v[v.value];
  if (v.value === 's') return `s:${bytes(x as Uint8Array)}`;
  if (v.value === 'list') {
    const l = v.list as NonNullable<AttrValue['list']>;
    return `list:${JSON.stringify({ ...l, s: l.s.map(bytes) })}`;
  }
  return `${v.value}:${JSON.stringify(x)}`;
}

/** Argument layout: must be the same in every TF version. */
function args(op: OpDef) {
  const arg = (a: OpDef['input_arg'][number]) => [a.name, a.type, a.type_attr, a.number_attr, a.type_list_attr];
  return { inputs: op.input_arg.map(arg), outputs: op.output_arg.map(arg), stateful: op.is_stateful };
}

test('every builder op that any TF 2.x fixture lists agrees on arguments, shared attributes and defaults', (t) => {
  if (!need(t, path.join(SHARED_DIR, 'fixtures'))) return;
  const seen = new Set<string>();
  for (const { version, file, ops } of strippedOpLists()) {
    if (!version.startsWith('2.')) continue;
    for (const o of ops) {
      if (!BUILDER_OPS.includes(o.name)) continue;
      seen.add(o.name);
      const where = `${o.name} vs ${path.relative(SHARED_DIR, file)} (TF ${version})`;
      const ours = opDef(o.name);
      assert.deepEqual(args(ours), args(o), where);
      const theirs = new Map(o.attr.map((a) => [a.name, a]));
      for (const a of ours.attr) {
        const b = theirs.get(a.name);
        // An attribute this TF version lacks (allowed_devices before 2.4) must have a default:
        // such a version cannot load our nodes, which is why files say TF 2.6's producer.
        if (!b) {
          assert.ok(a.default_value, `${where}: ${a.name} is ours only and has no default`);
          continue;
        }
        assert.equal(a.type, b.type, `${where}: ${a.name} type`);
        assert.equal(canonical(a.default_value), canonical(b.default_value), `${where}: ${a.name} default`);
      }
      // Attributes added after 2.6 (validate_shape, grad_a, ...) have defaults TF fills in.
      for (const b of o.attr) if (!ours.attr.some((a) => a.name === b.name)) assert.ok(b.default_value, `${where}: ${b.name} has no default`);
    }
  }
  // The rest (DepthwiseConv2dNative, FusedBatchNormV3, Relu6, AvgPool, Pad) come from
  // TensorFlow's op registry alone; no fixture lists them.
  assert.ok(seen.size >= 22, [...seen].join(', '));
});

test("the OpDefs of the ops a TF 2.6.4 file lists are exactly TensorFlow 2.6.4's", (t) => {
  if (!need(t, KAGGLE)) return;
  const sm = SavedModelCodec.decode(fs.readFileSync(path.join(KAGGLE, 'saved_model.pb')), KAGGLE);
  assert.equal(sm.meta_graphs[0].meta_info_def?.tensorflow_version, '2.6.4');
  const theirs = sm.meta_graphs[0].meta_info_def?.stripped_op_list?.op ?? [];
  const shared = theirs.filter((o) => BUILDER_OPS.includes(o.name));
  assert.ok(shared.length >= 17, `${shared.length} ops in common`);
  for (const o of shared) {
    // Through the codec, so that both sides carry the same defaults.
    const ours = SavedModelCodec.decode(
      SavedModelCodec.encode({ saved_model_schema_version: 1, meta_graphs: [{ meta_info_def: { stripped_op_list: { op: [opDef(o.name)] } } } as never] }),
      'ours',
    ).meta_graphs[0].meta_info_def?.stripped_op_list?.op[0];
    assert.deepEqual(ours, o, o.name);
  }
});
