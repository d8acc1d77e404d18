// Shared by the TensorBundle / variables / SavedModel writer tests: scratch directories, copies
// of fixtures to corrupt, and small comparisons.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { TensorValue } from '../../src/core/tensor.js';
import { tensorBytes } from '../../src/core/tensor.js';
import { fixture } from '../helpers/shared.js';

export const KWS = fixture('mlcommons-tiny-kws/kws_ref_model');
export const HALF_PLUS_TWO_TF1 = fixture('tf-serving-half-plus-two/saved_model_half_plus_two_cpu');
export const HALF_PLUS_TWO_TF2 = fixture('tf-serving-half-plus-two/saved_model_half_plus_two_tf2_cpu');

/** A fresh directory removed when the test ends. */
export function scratch(t: TestContext, name = 'tfconv-bundle-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), name));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Copy a SavedModel directory (files made writable) into `dest`. */
export function copyModel(src: string, dest: string): string {
  fs.cpSync(src, dest, { recursive: true });
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      fs.chmodSync(p, e.isDirectory() ? 0o755 : 0o644);
      if (e.isDirectory()) walk(p);
    }
  };
  fs.chmodSync(dest, 0o755);
  walk(dest);
  return dest;
}

/** Every SavedModel directory under `root` that has a variables/variables.index. */
export function savedModelsWithVariables(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const p = path.join(d, e.name);
      if (fs.existsSync(path.join(p, 'saved_model.pb')) && fs.existsSync(path.join(p, 'variables', 'variables.index'))) out.push(p);
      walk(p);
    }
  };
  walk(root);
  return out.sort();
}

export function assertSameTensor(actual: TensorValue, expected: TensorValue, what: string): void {
  assert.equal(actual.dtype, expected.dtype, `${what}: dtype`);
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  if (Array.isArray(expected.data)) {
    assert.ok(Array.isArray(actual.data), `${what}: string data`);
    assert.equal(actual.data.length, expected.data.length, `${what}: string count`);
    expected.data.forEach((s, i) => assert.equal(Buffer.compare(Buffer.from(s), Buffer.from((actual.data as Uint8Array[])[i])), 0, `${what}[${i}]`));
  } else {
    assert.equal(Buffer.compare(Buffer.from(tensorBytes(actual)), Buffer.from(tensorBytes(expected))), 0, `${what}: bytes`);
  }
}

export function flipByte(file: string, offset: number, xor = 0x01): void {
  const b = fs.readFileSync(file);
  b[offset] ^= xor;
  fs.writeFileSync(file, b);
}
