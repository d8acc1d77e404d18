// Damaged input never crashes: reading, inspecting and re-writing either succeed or end in one
// TfconvError. Damage: LiteRT's intentionally broken test models, truncations of a real model,
// and seeded random single-byte changes.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { TfconvError } from '../../src/errors/index.js';
import { inspectTfliteBytes } from '../../src/inspect/tflite.js';
import { readTflite } from '../../src/tflite/read.js';
import { writeTflite } from '../../src/tflite/write.js';
import { fixture, need } from '../helpers/shared.js';
import { seededBytes } from '../helpers/tmp.js';

type Outcome = 'ok' | 'error';

/** Runs the whole path on `bytes`; rethrows anything that is not a TfconvError. */
function survive(bytes: Uint8Array, label: string): Outcome {
  try {
    const m = readTflite(bytes, label);
    inspectTfliteBytes(bytes, label, { color: false });
    const again = writeTflite(m);
    readTflite(again, `${label} (rewritten)`);
    return 'ok';
  } catch (e) {
    if (e instanceof TfconvError) {
      assert.ok(!e.message.includes('\n'), `${label}: one-line message`);
      return 'error';
    }
    throw new Error(`${label}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, { cause: e });
  }
}

test('every LiteRT tflite_testdata model, valid or broken on purpose, reads or fails cleanly', (t) => {
  const dir = fixture('litert-testdata/tflite_testdata');
  if (!need(t, dir)) return;
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.bin')).sort();
  const outcomes = Object.fromEntries(files.map((f) => [f, survive(fs.readFileSync(path.join(dir, f)), f)]));
  assert.equal(outcomes['test_model_broken.bin'], 'error');
  assert.equal(outcomes['add.bin'], 'ok');
  assert.ok(files.length >= 40);
});

test('truncations of kws int8 at 50 lengths: success or a TfconvError', (t) => {
  const f = fixture('mlcommons-tiny-kws/kws_ref_model_int8_matching.tflite');
  if (!need(t, f)) return;
  const bytes = new Uint8Array(fs.readFileSync(f));
  const lengths = new Set<number>([0, 1, 4, 7, 8, 12, 16, 31, 64, 100]);
  for (let i = 1; lengths.size < 50; i++) lengths.add(Math.floor((bytes.length * i) / 41));
  const counts = { ok: 0, error: 0 };
  for (const n of [...lengths].sort((a, b) => a - b)) counts[survive(bytes.subarray(0, n), `truncated to ${n}`)]++;
  // Everything up to the root table is needed; only a very late cut could leave a valid model.
  assert.ok(counts.error >= 40, JSON.stringify(counts));
});

test('200 seeded single-byte changes of kws int8: success or a TfconvError', (t) => {
  const f = fixture('mlcommons-tiny-kws/kws_ref_model_int8_matching.tflite');
  if (!need(t, f)) return;
  const original = new Uint8Array(fs.readFileSync(f));
  const rnd = seededBytes(200 * 8, 20240601);
  const dv = new DataView(rnd.buffer);
  const counts = { ok: 0, error: 0 };
  for (let i = 0; i < 200; i++) {
    const bytes = original.slice();
    // Half the flips land in the first 4 KiB, where the tables, vtables and offsets are.
    const range = i % 2 === 0 ? 4096 : bytes.length;
    const at = dv.getUint32(i * 8, true) % range;
    const value = rnd[i * 8 + 4] === bytes[at] ? bytes[at] ^ 0xff : rnd[i * 8 + 4];
    bytes[at] = value;
    counts[survive(bytes, `byte ${at} set to ${value}`)]++;
  }
  assert.equal(counts.ok + counts.error, 200);
  assert.ok(counts.error > 0, 'some flips must break the structure');
});
