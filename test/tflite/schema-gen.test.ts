import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { BuiltinOperator, BuiltinOptions, BuiltinOptions2, TensorType } from '../../src/tflite/schema.generated.js';
import { PACKAGE_ROOT } from '../../src/util/package.js';

const GEN = path.join(PACKAGE_ROOT, 'scripts', 'gen-tflite-schema.mjs');

function generate(schema: string): { status: number | null; out: string; stderr: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfconv-gen-'));
  try {
    const fbs = path.join(dir, 's.fbs');
    const ts = path.join(dir, 's.ts');
    fs.writeFileSync(fbs, schema);
    const r = spawnSync(process.execPath, [GEN, fbs, ts], { encoding: 'utf8' });
    return { status: r.status, out: fs.existsSync(ts) ? fs.readFileSync(ts, 'utf8') : '', stderr: r.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('the generated bindings are up to date with schemas/tflite.fbs', () => {
  const r = generate(fs.readFileSync(path.join(PACKAGE_ROOT, 'schemas', 'tflite.fbs'), 'utf8'));
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.out, fs.readFileSync(path.join(PACKAGE_ROOT, 'src', 'tflite', 'schema.generated.ts'), 'utf8'));
});

test('format facts: enum numbers and union positions match TFLite', () => {
  assert.equal(TensorType.INT8, 9);
  assert.equal(TensorType.BFLOAT16, 18);
  assert.equal(BuiltinOperator.CONV_2D, 3);
  assert.equal(BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES, 127);
  assert.equal(BuiltinOperator.BATCH_MATMUL, 126);
  assert.equal(BuiltinOperator.STABLEHLO_CASE, 209);
  assert.equal(BuiltinOptions.Conv2DOptions, 1);
  assert.equal(BuiltinOptions.FullyConnectedOptions, 8);
  assert.equal(BuiltinOptions.ReducerOptions, 27);
  assert.equal(BuiltinOptions.MaximumMinimumOptions, 39);
  assert.equal(BuiltinOptions.HardSwishOptions, 91);
  assert.equal(BuiltinOptions.BatchMatMulOptions, 101);
  assert.equal(BuiltinOptions.RightShiftOptions, 126);
  assert.equal(BuiltinOptions2.StablehloCaseOptions, 23);
});

test('generator: field slots (deprecated fields and unions), defaults, union numbering', () => {
  const r = generate(`
    namespace t;
    attribute "tfconv_bigint";
    enum Color : byte { RED, GREEN = 4, BLUE }
    table A { x:int = 7; }
    table B {}
    union U { A, B (deprecated) }
    table T {
      old:int (deprecated);
      c:Color = GREEN;
      u:U;
      v:[ubyte] (force_align: 16);
      s:string;
      big:long (tfconv_bigint);
    }
    root_type T;
  `);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.out, /export enum Color \{\n {2}RED = 0,\n {2}GREEN = 4,\n {2}BLUE = 5,\n\}/);
  assert.match(r.out, /export enum U \{\n {2}NONE = 0,\n {2}A = 1,\n {2}B = 2, \/\/ deprecated\n\}/);
  assert.match(r.out, /export interface T \{\n {2}c: Color;\n {2}u\?: UValue;\n {2}v: Uint8Array;\n {2}s\?: string;\n {2}big: bigint;\n\}/);
  // old = slot 0, c = 1, u = 2 (type) + 3 (value), v = 4, s = 5, big = 6.
  assert.match(r.out, /o\.c = r\.i8\(t, 1, 4, "T\.c"\);/);
  assert.match(r.out, /r\.union\(t, 2, "T\.u", 2\)/);
  assert.match(r.out, /o\.v = r\.byteVec\(t, 4, "T\.v"\);/);
  assert.match(r.out, /w\.bytes\(o\.v, 16\)/);
  assert.match(r.out, /w\.b\.startObject\(7\);/);
  assert.match(r.out, /w\.b\.addFieldInt64\(6, w\.i64big\(o\.big, "T\.big"\), 0n\);/);
  assert.match(r.out, /export function newA\(init: Partial<A> = \{\}\): A \{\n {2}return \{ x: 7, \.\.\.init \};/);
});

test('generator: unsupported grammar is refused with the line', () => {
  const r = generate('namespace t;\n\nstruct S { x:int; }\n');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /s\.fbs:3: structs are not supported/);
  const u = generate('table T { x:Nope; }\nroot_type T;\n');
  assert.notEqual(u.status, 0);
  assert.match(u.stderr, /T\.x: unknown type Nope/);
});
