// Op versions: the rules against the runtime tfconv targets (the WASM interpreter's registered
// versions), representative nodes against op_version.cc (each case cites its clause), every
// MLIR-converted fixture's opcode versions and min_runtime_version against what the rules give,
// and one-op models at each version loaded and run in the WASM runtime.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { numElements } from '../../src/core/tensor.js';
import { graphsToTflite } from '../../src/export/to-tflite.js';
import { makeValue } from '../../src/graph/ops/util.js';
import { Graph } from '../../src/graph/ir.js';
import { LOWERINGS } from '../../src/lower/table.js';
import {
  OP_VERSIONS,
  compareVersions,
  minRuntimeVersion,
  minRuntimeVersionOf,
  opVersion,
  runtimeVersionFor,
  runtimeVersionTable,
} from '../../src/lower/op-versions.js';
import { TfliteRuntime } from '../../src/runtime/tflite.js';
import { minRuntimeVersion as fileMinRuntimeVersion, operatorName, readTflite, writeTflite } from '../../src/tflite/index.js';
import { SHARED_DIR, fixture, need } from '../helpers/shared.js';
import { assertTfconvError } from './harness.js';
import { c, nodesOfModel, oneNodeGraph, q, qc, t, tnode } from './tfl-nodes.js';

const WASM_VERSIONS = path.join(SHARED_DIR, 'docs', 'tflite-wasm-op-versions.json');

/** "1-6" -> [1..6]; "2,3" -> [2, 3]. */
function parseVersions(s: string): number[] {
  return s.split(',').flatMap((part) => {
    const [lo, hi] = part.split('-').map(Number);
    return hi === undefined ? [lo] : Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  });
}

/** Ops quantization writes besides those of the lowering table. */
const QUANTIZATION_OPS = ['QUANTIZE', 'DEQUANTIZE'];

test('every version a rule gives is one the WASM runtime registers; every refused one is above it', (t) => {
  if (!need(t, WASM_VERSIONS)) return;
  const wasm = JSON.parse(fs.readFileSync(WASM_VERSIONS, 'utf8')) as Record<string, string>;
  const problems: string[] = [];
  for (const [op, v] of Object.entries(OP_VERSIONS)) {
    const have = wasm[op];
    if (!have) {
      problems.push(`${op}: not in the WASM runtime at all`);
      continue;
    }
    const versions = parseVersions(have);
    const max = Math.max(...versions);
    for (const r of v.rules) {
      if (!versions.includes(r.version)) problems.push(`${op}: rule gives v${r.version} (${r.when.map((f) => f.name).join(', ')}), runtime has ${have}`);
    }
    // The default (no rule matched) is version 1, except where a rule with no features exists.
    if (!v.rules.some((r) => r.when.length === 0) && !versions.includes(1)) problems.push(`${op}: default v1 not in runtime ${have}`);
    for (const r of v.beyond ?? []) {
      if (r.version <= max) problems.push(`${op}: refuses v${r.version} (${r.when.map((f) => f.name).join(', ')}) though the runtime has ${have}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('every TFLite op the lowering table or quantization writes has version rules and runtime versions', () => {
  const ops = new Set([...Object.values(LOWERINGS).flatMap((l) => l.tfl), ...QUANTIZATION_OPS]);
  for (const op of ops) {
    assert.ok(OP_VERSIONS[op], `${op} has no version rules`);
    for (const r of OP_VERSIONS[op].rules) assert.ok(runtimeVersionFor(op, r.version), `${op} v${r.version} has no runtime version`);
    assert.ok(runtimeVersionFor(op, OP_VERSIONS[op].rules.some((r) => r.when.length === 0) ? 2 : 1), `${op}: no runtime version for its lowest version`);
  }
});

// --- Representative nodes ---------------------------------------------------------------------------
// [what, node, version]; the comment names the op_version.cc clause.

const f = 'float32';
const x4 = (d: 'float32' | 'int8' | 'int16' | 'uint8' = f, ch = 3) => t(d, [1, 8, 8, ch], d === f ? {} : { quant: q(0.1, d === 'uint8' ? 128 : 0) });

const CASES: [string, ReturnType<typeof tnode>, number][] = [
  // CONV_2D: float 1; hybrid 2 (per-tensor) / 5 (per-channel); int8 3; grouped 6.
  ['CONV_2D float', tnode('CONV_2D', [x4(), c(f, [4, 3, 3, 3]), c(f, [4])], [t(f, [1, 8, 8, 4])]), 1],
  ['CONV_2D uint8 (quantized uint8 is version 1)', tnode('CONV_2D', [x4('uint8'), c('uint8', [4, 3, 3, 3], { quant: q() }), c('int32', [4])], [x4('uint8', 4)]), 1],
  ['CONV_2D hybrid per-tensor', tnode('CONV_2D', [x4(), c('int8', [4, 3, 3, 3], { quant: q() }), c(f, [4])], [t(f, [1, 8, 8, 4])]), 2],
  ['CONV_2D hybrid per-channel', tnode('CONV_2D', [x4(), c('int8', [4, 3, 3, 3], { quant: qc(4) }), c(f, [4])], [t(f, [1, 8, 8, 4])]), 5],
  ['CONV_2D int8 per-channel', tnode('CONV_2D', [x4('int8'), c('int8', [4, 3, 3, 3], { quant: qc(4) }), c('int32', [4], { quant: qc(4) })], [x4('int8', 4)]), 3],
  // 16x8 (int16 activations, int8 weights) matches no clause without quantized_bias_type: 1.
  ['CONV_2D int16x8', tnode('CONV_2D', [x4('int16'), c('int8', [4, 3, 3, 3], { quant: qc(4) }), c('int64', [4])], [x4('int16', 4)]), 1],
  ['CONV_2D grouped', tnode('CONV_2D', [t(f, [1, 8, 8, 4]), c(f, [4, 3, 3, 2]), c(f, [4])], [t(f, [1, 8, 8, 4])]), 6],
  // DEPTHWISE_CONV_2D: float 1; dilation 2; int8 3; hybrid 4 / per-channel 6; int16 5 (16x16 only).
  ['DEPTHWISE float', tnode('DEPTHWISE_CONV_2D', [x4(), c(f, [1, 3, 3, 6]), c(f, [6])], [t(f, [1, 8, 8, 6])], { depth_multiplier: 2 }), 1],
  ['DEPTHWISE dilated', tnode('DEPTHWISE_CONV_2D', [x4(), c(f, [1, 3, 3, 3]), c(f, [3])], [x4()], { dilation_h_factor: 2, dilation_w_factor: 1 }), 2],
  ['DEPTHWISE int8', tnode('DEPTHWISE_CONV_2D', [x4('int8'), c('int8', [1, 3, 3, 3], { quant: qc(3, 3) }), c('int32', [3])], [x4('int8')]), 3],
  ['DEPTHWISE hybrid', tnode('DEPTHWISE_CONV_2D', [x4(), c('int8', [1, 3, 3, 3], { quant: q() }), c(f, [3])], [x4()]), 4],
  ['DEPTHWISE hybrid per-channel (scales along dim 3)', tnode('DEPTHWISE_CONV_2D', [x4(), c('int8', [1, 3, 3, 3], { quant: qc(3, 3) }), c(f, [3])], [x4()]), 6],
  // FULLY_CONNECTED: float 1; hybrid 3 / asymmetric 9; int8 4; keep_num_dims 5; no bias 6; int16 7.
  ['FC float', tnode('FULLY_CONNECTED', [t(f, [2, 8]), c(f, [4, 8]), c(f, [4])], [t(f, [2, 4])]), 1],
  ['FC hybrid', tnode('FULLY_CONNECTED', [t(f, [2, 8]), c('int8', [4, 8], { quant: q() }), c(f, [4])], [t(f, [2, 4])]), 3],
  ['FC hybrid asymmetric', tnode('FULLY_CONNECTED', [t(f, [2, 8]), c('int8', [4, 8], { quant: q() }), c(f, [4])], [t(f, [2, 4])], { asymmetric_quantize_inputs: true }), 9],
  ['FC hybrid, one unit (one scale is not per-channel)', tnode('FULLY_CONNECTED', [t(f, [2, 8]), c('int8', [1, 8], { quant: q() }), c(f, [1])], [t(f, [2, 1])]), 3],
  ['FC int8', tnode('FULLY_CONNECTED', [t('int8', [2, 8], { quant: q() }), c('int8', [4, 8], { quant: qc(4) }), c('int32', [4])], [t('int8', [2, 4], { quant: q() })]), 4],
  ['FC keep_num_dims', tnode('FULLY_CONNECTED', [t(f, [2, 3, 8]), c(f, [4, 8]), c(f, [4])], [t(f, [2, 3, 4])], { keep_num_dims: true }), 5],
  ['FC int8 keep_num_dims (keep_num_dims comes first)', tnode('FULLY_CONNECTED', [t('int8', [2, 3, 8], { quant: q() }), c('int8', [4, 8], { quant: q() }), c('int32', [4])], [t('int8', [2, 3, 4], { quant: q() })], { keep_num_dims: true }), 5],
  ['FC without bias', tnode('FULLY_CONNECTED', [t(f, [2, 8]), c(f, [4, 8])], [t(f, [2, 4])]), 6],
  ['FC absent bias (-1) is still 3 inputs', tnode('FULLY_CONNECTED', [t(f, [2, 8]), c(f, [4, 8]), null], [t(f, [2, 4])]), 1],
  ['FC int16x16', tnode('FULLY_CONNECTED', [t('int16', [2, 8], { quant: q() }), c('int16', [4, 8], { quant: q() }), c('int64', [4])], [t('int16', [2, 4], { quant: q() })]), 7],
  // ADD: int8 2; int16 with pot_scale_int16 = false 3; int64 4.
  ['ADD float', tnode('ADD', [t(f, [2, 3]), t(f, [3])], [t(f, [2, 3])]), 1],
  ['ADD int8', tnode('ADD', [t('int8', [2, 3], { quant: q() }), t('int8', [2, 3], { quant: q() })], [t('int8', [2, 3], { quant: q() })]), 2],
  ['ADD int16 (pot_scale_int16 default true)', tnode('ADD', [t('int16', [2], { quant: q() }), t('int16', [2], { quant: q() })], [t('int16', [2], { quant: q() })]), 1],
  ['ADD int16 general scale', tnode('ADD', [t('int16', [2], { quant: q() }), t('int16', [2], { quant: q() })], [t('int16', [2], { quant: q() })], { pot_scale_int16: false }), 3],
  ['ADD int64', tnode('ADD', [t('int64', [2]), t('int64', [2])], [t('int64', [2])]), 4],
  // SUB: broadcast above 4-D 3; int64 4; int16 general 5.
  ['SUB broadcast 5-D', tnode('SUB', [t(f, [1, 2, 3, 4, 5]), t(f, [5])], [t(f, [1, 2, 3, 4, 5])]), 3],
  ['SUB int16 general scale', tnode('SUB', [t('int16', [2], { quant: q() }), t('int16', [2], { quant: q() })], [t('int16', [2], { quant: q() })], { pot_scale_int16: false }), 5],
  // MUL: int8 2; rescale >= 1 3; int16 (quantized) 4; int64 5.
  ['MUL int8', tnode('MUL', [t('int8', [2], { quant: q(0.1) }), t('int8', [2], { quant: q(0.1) })], [t('int8', [2], { quant: q(0.1) })]), 2],
  ['MUL int8 rescale >= 1', tnode('MUL', [t('int8', [2], { quant: q(1) }), t('int8', [2], { quant: q(1) })], [t('int8', [2], { quant: q(0.5) })]), 3],
  ['MUL int16 quantized', tnode('MUL', [t('int16', [2], { quant: q(0.01) }), t('int16', [2], { quant: q(0.01) })], [t('int16', [2], { quant: q(0.01) })]), 4],
  ['MUL int64', tnode('MUL', [t('int64', [2]), t('int64', [2])], [t('int64', [2])]), 5],
  // DIV / MAXIMUM / MINIMUM: broadcast with rank > 4 (inputs differ) -> 2 / 3.
  ['DIV broadcast 5-D', tnode('DIV', [t(f, [1, 2, 3, 4, 5]), t(f, [1])], [t(f, [1, 2, 3, 4, 5])]), 2],
  ['DIV same 5-D shapes', tnode('DIV', [t(f, [1, 2, 3, 4, 5]), t(f, [1, 2, 3, 4, 5])], [t(f, [1, 2, 3, 4, 5])]), 1],
  ['MAXIMUM broadcast 5-D', tnode('MAXIMUM', [t(f, [1, 2, 3, 4, 5]), t(f, [])], [t(f, [1, 2, 3, 4, 5])]), 3],
  ['MINIMUM int16', tnode('MINIMUM', [t('int16', [2], { quant: q() }), t('int16', [2], { quant: q() })], [t('int16', [2], { quant: q() })]), 4],
  // SOFTMAX / MEAN / RELU6 / REDUCE_MAX (shared clause): int8 2, int16 3.
  ['SOFTMAX int8', tnode('SOFTMAX', [t('int8', [1, 10], { quant: q() })], [t('int8', [1, 10], { quant: q(1 / 256, -128) })], { beta: 1 }), 2],
  ['SOFTMAX int16', tnode('SOFTMAX', [t('int16', [1, 10], { quant: q() })], [t('int16', [1, 10], { quant: q(1 / 32768) })], { beta: 1 }), 3],
  ['MEAN int8 keep_dims', tnode('MEAN', [t('int8', [1, 4, 4, 3], { quant: q() }), c('int32', [2], { data: [1, 2] })], [t('int8', [1, 1, 1, 3], { quant: q() })], { keep_dims: true }), 2],
  ['MEAN int16', tnode('MEAN', [t('int16', [1, 4, 4, 3], { quant: q() }), c('int32', [2], { data: [1, 2] })], [t('int16', [1, 3], { quant: q() })]), 3],
  ['RELU6 int8', tnode('RELU6', [t('int8', [4], { quant: q() })], [t('int8', [4], { quant: q() })]), 2],
  // LOGISTIC / TANH: int8 2, int16 -> int16 3.
  ['LOGISTIC int8', tnode('LOGISTIC', [t('int8', [4], { quant: q() })], [t('int8', [4], { quant: q(1 / 256, -128) })]), 2],
  ['TANH int16', tnode('TANH', [t('int16', [4], { quant: q() })], [t('int16', [4], { quant: q(1 / 32768) })]), 3],
  // Pools: int8 2, int16 3.
  ['AVERAGE_POOL_2D int8', tnode('AVERAGE_POOL_2D', [x4('int8')], [t('int8', [1, 4, 4, 3], { quant: q() })]), 2],
  ['MAX_POOL_2D int16', tnode('MAX_POOL_2D', [x4('int16')], [t('int16', [1, 4, 4, 3], { quant: q() })]), 3],
  // CONCATENATION: int8 2, int16 3.
  ['CONCATENATION int8', tnode('CONCATENATION', [t('int8', [2], { quant: q() }), t('int8', [2], { quant: q() })], [t('int8', [4], { quant: q() })], { axis: 0 }), 2],
  ['CONCATENATION int16', tnode('CONCATENATION', [t('int16', [2], { quant: q() }), t('int16', [2], { quant: q() })], [t('int16', [4], { quant: q() })], { axis: 0 }), 3],
  // RESHAPE: always 1.
  ['RESHAPE int8', tnode('RESHAPE', [t('int8', [2, 3], { quant: q() }), c('int32', [1], { data: [6] })], [t('int8', [6], { quant: q() })]), 1],
  // PAD: int8 2, int16 3, rank > 4 4.
  ['PAD int8', tnode('PAD', [t('int8', [1, 2, 2, 1], { quant: q() }), c('int32', [4, 2])], [t('int8', [1, 4, 4, 1], { quant: q() })]), 2],
  ['PAD int16', tnode('PAD', [t('int16', [1, 2, 2, 1], { quant: q() }), c('int32', [4, 2])], [t('int16', [1, 4, 4, 1], { quant: q() })]), 3],
  ['PAD 5-D', tnode('PAD', [t(f, [1, 1, 2, 2, 1]), c('int32', [5, 2])], [t(f, [1, 1, 4, 4, 1])]), 4],
  // TRANSPOSE: int8 2, bool 3, rank > 4 4, int16 5.
  ['TRANSPOSE int8', tnode('TRANSPOSE', [t('int8', [2, 3], { quant: q() }), c('int32', [2], { data: [1, 0] })], [t('int8', [3, 2], { quant: q() })]), 2],
  ['TRANSPOSE bool', tnode('TRANSPOSE', [t('bool', [2, 3]), c('int32', [2], { data: [1, 0] })], [t('bool', [3, 2])]), 3],
  ['TRANSPOSE 5-D', tnode('TRANSPOSE', [t(f, [1, 2, 3, 4, 5]), c('int32', [5], { data: [4, 3, 2, 1, 0] })], [t(f, [5, 4, 3, 2, 1])]), 4],
  ['TRANSPOSE int16 5-D (int16 comes first)', tnode('TRANSPOSE', [t('int16', [1, 2, 3, 4, 5], { quant: q() }), c('int32', [5], { data: [4, 3, 2, 1, 0] })], [t('int16', [5, 4, 3, 2, 1], { quant: q() })]), 5],
  // TRANSPOSE_CONV: bias present 3; int8 weights 2.
  ['TRANSPOSE_CONV float', tnode('TRANSPOSE_CONV', [c('int32', [4], { data: [1, 8, 8, 2] }), c(f, [2, 3, 3, 3]), x4()], [t(f, [1, 8, 8, 2])]), 1],
  ['TRANSPOSE_CONV absent bias', tnode('TRANSPOSE_CONV', [c('int32', [4], { data: [1, 8, 8, 2] }), c(f, [2, 3, 3, 3]), x4(), null], [t(f, [1, 8, 8, 2])]), 1],
  ['TRANSPOSE_CONV bias', tnode('TRANSPOSE_CONV', [c('int32', [4], { data: [1, 8, 8, 2] }), c(f, [2, 3, 3, 3]), x4(), c(f, [2])], [t(f, [1, 8, 8, 2])]), 3],
  ['TRANSPOSE_CONV int8', tnode('TRANSPOSE_CONV', [c('int32', [4], { data: [1, 8, 8, 2] }), c('int8', [2, 3, 3, 3], { quant: qc(2) }), x4('int8')], [x4('int8', 2)]), 2],
  // QUANTIZE: to int16 2, per-channel output 3. DEQUANTIZE: int8 2, int16/float16 3, int8 per-channel 5.
  ['QUANTIZE float -> int8', tnode('QUANTIZE', [t(f, [4])], [t('int8', [4], { quant: q() })]), 1],
  ['QUANTIZE int8 -> int8 (requantize)', tnode('QUANTIZE', [t('int8', [4], { quant: q(0.1) })], [t('int8', [4], { quant: q(0.2) })]), 1],
  ['QUANTIZE float -> int16', tnode('QUANTIZE', [t(f, [4])], [t('int16', [4], { quant: q() })]), 2],
  ['QUANTIZE per-channel output', tnode('QUANTIZE', [t(f, [4, 2])], [t('int8', [4, 2], { quant: qc(4) })]), 3],
  ['DEQUANTIZE uint8', tnode('DEQUANTIZE', [t('uint8', [4], { quant: q(0.1, 128) })], [t(f, [4])]), 1],
  ['DEQUANTIZE int8', tnode('DEQUANTIZE', [c('int8', [4, 2], { quant: q() })], [t(f, [4, 2])]), 2],
  ['DEQUANTIZE int8 per-channel', tnode('DEQUANTIZE', [c('int8', [4, 2], { quant: qc(4) })], [t(f, [4, 2])]), 5],
  ['DEQUANTIZE int8, one channel (one scale is per-tensor)', tnode('DEQUANTIZE', [c('int8', [1, 2], { quant: qc(1) })], [t(f, [1, 2])]), 2],
  ['DEQUANTIZE float16', tnode('DEQUANTIZE', [c('float16', [4])], [t(f, [4])]), 3],
  ['DEQUANTIZE int16', tnode('DEQUANTIZE', [t('int16', [4], { quant: q() })], [t(f, [4])]), 3],
  // GATHER: int8 2, bool 3, int16 4, batch_dims 5.
  ['GATHER float', tnode('GATHER', [t(f, [5, 3]), t('int32', [2])], [t(f, [2, 3])], { axis: 0, batch_dims: 0 }), 1],
  ['GATHER int8', tnode('GATHER', [t('int8', [5, 3], { quant: q() }), t('int32', [2])], [t('int8', [2, 3], { quant: q() })], { axis: 0 }), 2],
  ['GATHER batch_dims', tnode('GATHER', [t(f, [2, 5, 3]), t('int32', [2, 2])], [t(f, [2, 2, 3])], { axis: 1, batch_dims: 1 }), 5],
  // SPLIT: the tensor is input 1 (0 is the axis): int8 2, int32 3, int16 4.
  ['SPLIT float', tnode('SPLIT', [c('int32', [], { data: [0] }), t(f, [4])], [t(f, [2]), t(f, [2])], { num_splits: 2 }), 1],
  ['SPLIT int32 tensor', tnode('SPLIT', [c('int32', [], { data: [0] }), t('int32', [4])], [t('int32', [2]), t('int32', [2])], { num_splits: 2 }), 3],
  ['SPLIT int8', tnode('SPLIT', [c('int32', [], { data: [0] }), t('int8', [4], { quant: q() })], [t('int8', [2], { quant: q() }), t('int8', [2], { quant: q() })], { num_splits: 2 }), 2],
  ['SPLIT_V int8', tnode('SPLIT_V', [t('int8', [4], { quant: q() }), c('int32', [2], { data: [1, 3] }), c('int32', [], { data: [0] })], [t('int8', [1], { quant: q() }), t('int8', [3], { quant: q() })], { num_splits: 2 }), 2],
  // STRIDED_SLICE: rank > 4 4, ellipsis/new-axis 6.
  ['STRIDED_SLICE float', tnode('STRIDED_SLICE', [t(f, [4, 4]), c('int32', [2]), c('int32', [2]), c('int32', [2])], [t(f, [2, 2])]), 1],
  ['STRIDED_SLICE 5-D', tnode('STRIDED_SLICE', [t(f, [1, 1, 1, 4, 4]), c('int32', [5]), c('int32', [5]), c('int32', [5])], [t(f, [1, 1, 1, 2, 2])]), 4],
  ['STRIDED_SLICE new_axis_mask', tnode('STRIDED_SLICE', [t(f, [4, 4]), c('int32', [2]), c('int32', [2]), c('int32', [2])], [t(f, [1, 4, 4])], { new_axis_mask: 1 }), 6],
  ['STRIDED_SLICE int8', tnode('STRIDED_SLICE', [t('int8', [4, 4], { quant: q() }), c('int32', [2]), c('int32', [2]), c('int32', [2])], [t('int8', [2, 2], { quant: q() })]), 2],
  // RESIZE_BILINEAR: half_pixel_centers 3 (align_corners stays 1). RESIZE_NEAREST_NEIGHBOR: either 3.
  ['RESIZE_BILINEAR align_corners', tnode('RESIZE_BILINEAR', [x4(), c('int32', [2], { data: [16, 16] })], [t(f, [1, 16, 16, 3])], { align_corners: true }), 1],
  ['RESIZE_BILINEAR half_pixel_centers', tnode('RESIZE_BILINEAR', [x4(), c('int32', [2], { data: [16, 16] })], [t(f, [1, 16, 16, 3])], { half_pixel_centers: true }), 3],
  ['RESIZE_BILINEAR int8', tnode('RESIZE_BILINEAR', [x4('int8'), c('int32', [2], { data: [16, 16] })], [t('int8', [1, 16, 16, 3], { quant: q() })]), 2],
  ['RESIZE_NEAREST_NEIGHBOR align_corners', tnode('RESIZE_NEAREST_NEIGHBOR', [x4(), c('int32', [2], { data: [16, 16] })], [t(f, [1, 16, 16, 3])], { align_corners: true }), 3],
  ['RESIZE_NEAREST_NEIGHBOR plain', tnode('RESIZE_NEAREST_NEIGHBOR', [x4(), c('int32', [2], { data: [16, 16] })], [t(f, [1, 16, 16, 3])]), 1],
  ['RESIZE_NEAREST_NEIGHBOR int16', tnode('RESIZE_NEAREST_NEIGHBOR', [x4('int16'), c('int32', [2], { data: [16, 16] })], [t('int16', [1, 16, 16, 3], { quant: q() })]), 4],
  // CAST: uint32 2, int8 3, uint16 4 (input or output).
  ['CAST float -> int32', tnode('CAST', [t(f, [4])], [t('int32', [4])]), 1],
  ['CAST int8 -> float', tnode('CAST', [t('int8', [4])], [t(f, [4])]), 3],
  ['CAST float -> uint16', tnode('CAST', [t(f, [4])], [t('uint16', [4])]), 4],
  ['CAST uint32 -> int32', tnode('CAST', [t('uint32', [4])], [t('int32', [4])]), 2],
  // ARG_MAX: int8 2, bool 3.
  ['ARG_MAX float', tnode('ARG_MAX', [t(f, [2, 5]), c('int32', [], { data: [1] })], [t('int32', [2])], { output_type: 2 }), 1],
  ['ARG_MAX int8', tnode('ARG_MAX', [t('int8', [2, 5], { quant: q() }), c('int32', [], { data: [1] })], [t('int64', [2])]), 2],
  // BATCH_MATMUL: int8 2, int16 3, hybrid asymmetric 4 (hybrid symmetric is 1).
  ['BATCH_MATMUL float', tnode('BATCH_MATMUL', [t(f, [2, 3, 4]), t(f, [2, 4, 5])], [t(f, [2, 3, 5])]), 1],
  ['BATCH_MATMUL int8', tnode('BATCH_MATMUL', [t('int8', [2, 3, 4], { quant: q() }), t('int8', [2, 4, 5], { quant: q() })], [t('int8', [2, 3, 5], { quant: q() })]), 2],
  ['BATCH_MATMUL hybrid', tnode('BATCH_MATMUL', [t(f, [2, 3, 4]), c('int8', [4, 5], { quant: q() })], [t(f, [2, 3, 5])]), 1],
  ['BATCH_MATMUL hybrid asymmetric', tnode('BATCH_MATMUL', [t(f, [2, 3, 4]), c('int8', [4, 5], { quant: q() })], [t(f, [2, 3, 5])], { asymmetric_quantize_inputs: true }), 4],
  // Others.
  ['SPACE_TO_BATCH_ND 3-D', tnode('SPACE_TO_BATCH_ND', [t(f, [1, 4, 2]), c('int32', [1], { data: [2] }), c('int32', [1, 2])], [t(f, [2, 2, 2])]), 3],
  ['SPACE_TO_BATCH_ND 4-D int8', tnode('SPACE_TO_BATCH_ND', [x4('int8'), c('int32', [2]), c('int32', [2, 2])], [t('int8', [4, 4, 4, 3], { quant: q() })]), 2],
  ['SELECT int8', tnode('SELECT', [t('bool', [2]), t('int8', [2], { quant: q() }), t('int8', [2], { quant: q() })], [t('int8', [2], { quant: q() })]), 1],
  ['SELECT int8 condition-typed? (input 0 is the bool condition)', tnode('SELECT', [t('int8', [2]), t(f, [2]), t(f, [2])], [t(f, [2])]), 2],
  ['LEAKY_RELU int16', tnode('LEAKY_RELU', [t('int16', [2], { quant: q() })], [t('int16', [2], { quant: q() })], { alpha: 0.2 }), 2],
  ['RELU uint8', tnode('RELU', [t('uint8', [2], { quant: q(0.1, 128) })], [t('uint8', [2], { quant: q(0.1, 128) })]), 2],
  ['ABS int16 quantized', tnode('ABS', [t('int16', [2], { quant: q() })], [t('int16', [2], { quant: q() })]), 3],
  ['ABS int16 not quantized', tnode('ABS', [t('int16', [2])], [t('int16', [2])]), 4],
  ['FLOOR_DIV float', tnode('FLOOR_DIV', [t(f, [2]), t(f, [2])], [t(f, [2])]), 2],
  ['FILL bool', tnode('FILL', [c('int32', [1], { data: [3] }), t('bool', [])], [t('bool', [3])]), 2],
  ['WHERE float', tnode('WHERE', [t(f, [3])], [t('int64', [3, 1])]), 2],
  ['WHERE bool', tnode('WHERE', [t('bool', [3])], [t('int64', [3, 1])]), 1],
  ['BROADCAST_TO float (there is no version 1)', tnode('BROADCAST_TO', [t(f, [3]), c('int32', [2], { data: [2, 3] })], [t(f, [2, 3])]), 2],
  ['SQUARED_DIFFERENCE int8', tnode('SQUARED_DIFFERENCE', [t('int8', [2], { quant: q() }), t('int8', [2], { quant: q() })], [t('int8', [2], { quant: q() })]), 2],
  ['SUM int8', tnode('SUM', [t('int8', [2, 3], { quant: q() }), c('int32', [1], { data: [1] })], [t('int8', [2], { quant: q() })]), 2],
  ['LOG_SOFTMAX int8', tnode('LOG_SOFTMAX', [t('int8', [1, 4], { quant: q() })], [t('int8', [1, 4], { quant: q(16 / 256, 127) })]), 2],
  ['custom op', tnode('custom:MyOp', [t(f, [2])], [t(f, [2])]), 1],
  // SLICE: int8 2, string 3, int16 4, rank > 4 5.
  ['SLICE int8', tnode('SLICE', [t('int8', [4], { quant: q() }), c('int32', [1]), c('int32', [1])], [t('int8', [2], { quant: q() })]), 2],
  ['SLICE int16', tnode('SLICE', [t('int16', [4], { quant: q() }), c('int32', [1]), c('int32', [1])], [t('int16', [2], { quant: q() })]), 4],
  ['SLICE 5-D', tnode('SLICE', [t(f, [1, 1, 1, 1, 4]), c('int32', [5]), c('int32', [5])], [t(f, [1, 1, 1, 1, 2])]), 5],
  // UNPACK: int8/uint8 2, bool 3, int16 4. PACK: int8 2, int16 3.
  ['UNPACK uint8', tnode('UNPACK', [t('uint8', [2, 3], { quant: q(0.1, 128) })], [t('uint8', [3]), t('uint8', [3])], { num: 2 }), 2],
  ['UNPACK bool', tnode('UNPACK', [t('bool', [2, 3])], [t('bool', [3]), t('bool', [3])], { num: 2 }), 3],
  ['PACK int8', tnode('PACK', [t('int8', [3], { quant: q() }), t('int8', [3], { quant: q() })], [t('int8', [2, 3], { quant: q() })], { values_count: 2 }), 2],
  ['PACK int16', tnode('PACK', [t('int16', [3], { quant: q() }), t('int16', [3], { quant: q() })], [t('int16', [2, 3], { quant: q() })], { values_count: 2 }), 3],
  // TILE: string 2, int8 3. SQUEEZE: string 2.
  ['TILE int8', tnode('TILE', [t('int8', [2], { quant: q() }), c('int32', [1], { data: [2] })], [t('int8', [4], { quant: q() })]), 3],
  ['TILE string', tnode('TILE', [t('string', [2]), c('int32', [1], { data: [2] })], [t('string', [4])]), 2],
  ['SQUEEZE float', tnode('SQUEEZE', [t(f, [1, 3])], [t(f, [3])]), 1],
  // BATCH_TO_SPACE_ND: int8 2, rank != 4 3.
  ['BATCH_TO_SPACE_ND int8', tnode('BATCH_TO_SPACE_ND', [t('int8', [4, 2, 2, 1], { quant: q() }), c('int32', [2]), c('int32', [2, 2])], [t('int8', [1, 4, 4, 1], { quant: q() })]), 2],
  // Comparisons: EQUAL int8 2 / string 3; NOT_EQUAL string 3; LESS, GREATER, *_EQUAL int8 2.
  ['EQUAL int8', tnode('EQUAL', [t('int8', [2], { quant: q() }), t('int8', [2], { quant: q() })], [t('bool', [2])]), 2],
  ['NOT_EQUAL string', tnode('NOT_EQUAL', [t('string', [2]), t('string', [2])], [t('bool', [2])]), 3],
  ['LESS int8', tnode('LESS', [t('int8', [2], { quant: q() }), t('int8', [2], { quant: q() })], [t('bool', [2])]), 2],
  ['LESS_EQUAL int8', tnode('LESS_EQUAL', [t('int8', [2], { quant: q() }), t('int8', [2], { quant: q() })], [t('bool', [2])]), 2],
  ['GREATER int8', tnode('GREATER', [t('int8', [2], { quant: q() }), t('int8', [2], { quant: q() })], [t('bool', [2])]), 2],
  ['GREATER_EQUAL int8', tnode('GREATER_EQUAL', [t('int8', [2], { quant: q() }), t('int8', [2], { quant: q() })], [t('bool', [2])]), 2],
  // PADV2, MIRROR_PAD, REDUCE_MAX/MIN, RSQRT, REDUCE_PROD, ARG_MIN by input type.
  ['PADV2 int8', tnode('PADV2', [t('int8', [2, 2], { quant: q() }), c('int32', [2, 2]), c('int8', [])], [t('int8', [4, 4], { quant: q() })]), 2],
  ['MIRROR_PAD int8', tnode('MIRROR_PAD', [t('int8', [3, 3], { quant: q() }), c('int32', [2, 2])], [t('int8', [5, 5], { quant: q() })]), 2],
  ['REDUCE_MAX int16', tnode('REDUCE_MAX', [t('int16', [2, 3], { quant: q() }), c('int32', [1])], [t('int16', [2], { quant: q() })]), 3],
  ['REDUCE_MIN int8', tnode('REDUCE_MIN', [t('int8', [2, 3], { quant: q() }), c('int32', [1])], [t('int8', [2], { quant: q() })]), 2],
  ['REDUCE_PROD int16', tnode('REDUCE_PROD', [t('int16', [2, 3], { quant: q() }), c('int32', [1])], [t('int16', [2], { quant: q() })]), 2],
  ['RSQRT int8', tnode('RSQRT', [t('int8', [2], { quant: q() })], [t('int8', [2], { quant: q() })]), 2],
  ['ARG_MIN bool', tnode('ARG_MIN', [t('bool', [2, 3]), c('int32', [], { data: [1] })], [t('int32', [2])]), 3],
  ['SPACE_TO_DEPTH int8', tnode('SPACE_TO_DEPTH', [x4('int8')], [t('int8', [1, 4, 4, 12], { quant: q() })], { block_size: 2 }), 2],
  ['DEPTH_TO_SPACE int8', tnode('DEPTH_TO_SPACE', [t('int8', [1, 2, 2, 12], { quant: q() })], [t('int8', [1, 4, 4, 3], { quant: q() })], { block_size: 2 }), 2],
  ['GATHER_ND int16', tnode('GATHER_ND', [t('int16', [2, 3], { quant: q() }), t('int32', [1, 1])], [t('int16', [1, 3], { quant: q() })]), 3],
  ['GATHER_ND string', tnode('GATHER_ND', [t('string', [2, 3]), t('int32', [1, 1])], [t('string', [1, 3])]), 2],
  ['REVERSE_V2 bool', tnode('REVERSE_V2', [t('bool', [3]), c('int32', [1])], [t('bool', [3])]), 2],
  ['L2_NORMALIZATION int8 output', tnode('L2_NORMALIZATION', [t('int8', [1, 4], { quant: q() })], [t('int8', [1, 4], { quant: q(1 / 128) })]), 2],
  ['TOPK_V2 int8', tnode('TOPK_V2', [t('int8', [5], { quant: q() }), c('int32', [], { data: [2] })], [t('int8', [2], { quant: q() }), t('int32', [2])]), 2],
  ['GELU uint8', tnode('GELU', [t('uint8', [4], { quant: q(0.1, 128) })], [t('uint8', [4], { quant: q(0.1, 128) })]), 2],
  ['FAKE_QUANT narrow_range', tnode('FAKE_QUANT', [t(f, [4])], [t(f, [4])], { narrow_range: true }), 2],
  ['SPARSE_TO_DENSE int64 values', tnode('SPARSE_TO_DENSE', [t('int32', [2, 1]), c('int32', [1]), t('int64', [2]), c('int64', [])], [t('int64', [4])]), 2],
  ['REDUCE_PROD float', tnode('REDUCE_PROD', [t(f, [2, 3]), c('int32', [1])], [t(f, [2])]), 1],
  // Recurrent ops: hybrid (int8 weights, float activations) 2 / asymmetric 3-4; LSTM basic kernel 2.
  ['SVDF hybrid', tnode('SVDF', [t(f, [1, 4]), c('int8', [8, 4], { quant: q() })], [t(f, [1, 2])]), 2],
  ['LSTM basic kernel', tnode('LSTM', [t(f, [1, 4]), c(f, [4]), c(f, [4])], [t(f, [1, 4])], { kernel_type: 1 }), 2],
  ['LSTM hybrid', tnode('LSTM', [t(f, [1, 4]), c('int8', [4, 4], { quant: q() }), c('int8', [4, 4], { quant: q() })], [t(f, [1, 4])]), 3],
  ['UNIDIRECTIONAL_SEQUENCE_LSTM hybrid asymmetric', tnode('UNIDIRECTIONAL_SEQUENCE_LSTM', [t(f, [1, 2, 4]), c('int8', [4, 4], { quant: q() }), c('int8', [4, 4], { quant: q() })], [t(f, [1, 2, 4])], { asymmetric_quantize_inputs: true }), 3],
  ['RNN hybrid', tnode('RNN', [t(f, [1, 4]), c('int8', [4, 4], { quant: q() })], [t(f, [1, 4])]), 2],
];

test('representative nodes get the version op_version.cc gives', () => {
  const wrong = CASES.map(([what, n, v]) => [what, opVersion(n), v] as const).filter(([, got, v]) => got !== v);
  assert.deepEqual(wrong, []);
});

test('every op with version rules has a representative case above', () => {
  // These three share RNN's rule list (the same clause in op_version.cc), which RNN's case checks.
  const sharedWithRnn = new Set(['BIDIRECTIONAL_SEQUENCE_LSTM', 'BIDIRECTIONAL_SEQUENCE_RNN', 'UNIDIRECTIONAL_SEQUENCE_RNN']);
  const covered = new Set(CASES.map(([, n]) => n.op.slice(4)));
  const missing = Object.entries(OP_VERSIONS)
    .filter(([op, v]) => v.rules.length > 0 && !covered.has(op) && !sharedWithRnn.has(op))
    .map(([op]) => op);
  assert.deepEqual(missing, []);
});

test('features newer than the target runtime are refused, naming the feature and the version', () => {
  const refused: [ReturnType<typeof tnode>, RegExp][] = [
    // TransposeConv fused activation: version 4 (TFLite 2.13).
    [tnode('TRANSPOSE_CONV', [c('int32', [4], { data: [1, 8, 8, 2] }), c(f, [2, 3, 3, 3]), x4()], [t(f, [1, 8, 8, 2])], { fused_activation_function: 1 }), /fused_activation_function != 0 needs TRANSPOSE_CONV version 4 \(TFLite 2\.13\.0\); tfconv writes TRANSPOSE_CONV up to version 3/],
    // Hybrid per-channel FULLY_CONNECTED: version 12 (TFLite 2.17).
    [tnode('FULLY_CONNECTED', [t(f, [2, 8]), c('int8', [4, 8], { quant: qc(4) }), c(f, [4])], [t(f, [2, 4])]), /FULLY_CONNECTED version 12 \(TFLite 2\.17\.0\)/],
    // CAST float64: version 5 (TFLite 2.12).
    [tnode('CAST', [t('float64', [4])], [t(f, [4])]), /input or output float64\|float16 needs CAST version 5 \(TFLite 2\.12\.0\)/],
    // int16 ADD without quantization: version 5 (TFLite 2.13).
    [tnode('ADD', [t('int16', [2]), t('int16', [2])], [t('int16', [2])]), /ADD version 5/],
    // int8 x int4 CONV_2D: version 7.
    [tnode('CONV_2D', [x4('int8'), c('int4', [4, 3, 3, 3], { quant: qc(4) }), c('int32', [4])], [x4('int8', 4)]), /int8 x int4 -> int8 needs CONV_2D version 7 \(TFLite 2\.11\.0\)/],
    // RANGE of int64: version 2 (TFLite 2.14).
    [tnode('RANGE', [t('int64', []), t('int64', []), t('int64', [])], [t('int64', [4])]), /RANGE version 2 \(TFLite 2\.14\.0\)/],
    // SELECT of rank 5: version 3 (TFLite 2.12).
    [tnode('SELECT', [t('bool', [1, 1, 1, 1, 2]), t(f, [1, 1, 1, 1, 2]), t(f, [1, 1, 1, 1, 2])], [t(f, [1, 1, 1, 1, 2])]), /SELECT version 3/],
  ];
  for (const [n, re] of refused) assertTfconvError(() => opVersion(n), 'UNSUPPORTED_OPS', re);
});

test('a builtin without rules is a tfconv bug, reported as such', () => {
  assertTfconvError(() => opVersion(tnode('STABLEHLO_ADD', [t(f, [2])], [t(f, [2])])), 'INTERNAL', /no op version rules for TFLite STABLEHLO_ADD/);
});

// --- Runtime versions ---------------------------------------------------------------------------------

test('min_runtime_version is the newest release among the ops used (runtime_version.cc)', () => {
  const g = new Graph();
  const add = (op: string, version: number) => {
    const n = tnode(op, [t(f, [2])], [t(f, [2])]);
    n.version = version;
    g.nodes.push(n);
  };
  add('ADD', 1);
  assert.equal(minRuntimeVersion([g]), '1.5.0');
  add('MAXIMUM', 1); // MAXIMUM 1 dates from 1.14.0: absent pairs do not count as 1.5.0.
  assert.equal(minRuntimeVersion([g]), '1.14.0');
  add('FULLY_CONNECTED', 5);
  assert.equal(minRuntimeVersion([g]), '2.0.0');
  add('BATCH_MATMUL', 1);
  assert.equal(minRuntimeVersion([g]), '2.3.0');
  add('custom:Foo', 1);
  assert.equal(minRuntimeVersion([g]), '2.3.0');
  assert.equal(minRuntimeVersion([new Graph()]), null);
  assert.equal(minRuntimeVersionOf([new Graph()]), '1.5.0');
  assert.ok(compareVersions('2.10.0', '2.9.0') > 0 && compareVersions('1.13.1', '1.13.0') > 0);
  for (const [op, vs] of runtimeVersionTable()) {
    const known = vs.filter((v): v is string => v !== null);
    for (let i = 1; i < known.length; i++) assert.ok(compareVersions(known[i], known[i - 1]) >= 0, `${op}: versions out of order`);
  }
});

// --- Fixtures -------------------------------------------------------------------------------------------

/** Written by other tools after conversion, without TFLite's UpdateOpVersion (versions left at 1). */
const POST_PROCESSED = new Set([
  'ai-edge-quantizer-testmodels/conv_fc_mnist_srq_a8w8.tflite',
  'ai-edge-quantizer-testmodels/mnist_quantized.tflite',
  'ai-edge-quantizer-testmodels/partly_quantized_mnist.tflite',
  'ai-edge-quantizer-testmodels/two_signatures_a8w8.tflite',
  // The LiteRT compiler replaced its MUL by an NPU custom op after conversion.
  'litert-testdata/tflite_testdata/with_metadata.bin',
]);

function tfliteFixtures(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tfliteFixtures(p);
    return /\.(tflite|bin)$/.test(e.name) ? [p] : [];
  });
}

test("every MLIR-converted fixture's opcode versions and min_runtime_version are what the rules give", (t) => {
  const root = fixture('');
  if (!need(t, root)) return;
  let files = 0;
  let operators = 0;
  const mismatches: string[] = [];
  for (const file of tfliteFixtures(root).sort()) {
    const rel = path.relative(root, file);
    let m;
    try {
      m = readTflite(fs.readFileSync(file), rel);
    } catch {
      continue; // broken on purpose (reader tests)
    }
    if (m.description !== 'MLIR Converted.' || POST_PROCESSED.has(rel)) continue;
    const recorded = fileMinRuntimeVersion(m);
    // A file whose own metadata disagrees with its opcode versions was edited after conversion.
    const fromFile = new Graph();
    fromFile.nodes = m.operatorCodes.map((oc) => {
      const n = tnode(operatorName(oc), [], []);
      n.version = oc.version;
      return n;
    });
    if ((minRuntimeVersion([fromFile]) ?? '') !== (recorded ?? '')) {
      t.diagnostic(`${rel}: skipped, its min_runtime_version ${recorded} does not match its own op versions`);
      continue;
    }
    files++;
    const want = new Map<number, number>();
    for (const { node, opcodeIndex } of nodesOfModel(m)) {
      if (node.op.startsWith('tfl.custom:')) continue;
      operators++;
      // TFLite keeps one opcode per builtin, at the highest version any of its operators needs.
      want.set(opcodeIndex, Math.max(want.get(opcodeIndex) ?? 1, opVersion(node)));
    }
    m.operatorCodes.forEach((oc, i) => {
      if (want.has(i) && want.get(i) !== oc.version) mismatches.push(`${rel}: ${operatorName(oc)} v${oc.version}, rules give v${want.get(i)}`);
    });
    const fromRules = new Graph();
    fromRules.nodes = [...want].map(([i, v]) => {
      const n = tnode(operatorName(m.operatorCodes[i]), [], []);
      n.version = v;
      return n;
    });
    if ((minRuntimeVersion([fromRules]) ?? '') !== (recorded ?? '')) mismatches.push(`${rel}: min_runtime_version ${recorded}, rules give ${minRuntimeVersion([fromRules])}`);
  }
  t.diagnostic(`${files} files, ${operators} operators`);
  assert.deepEqual(mismatches, []);
  assert.ok(files >= 40 && operators >= 200, `only ${files} files / ${operators} operators checked`);
});

// --- One-op models in the WASM runtime ---------------------------------------------------------------

/** input scale * weight scale, in float32 as TFLite's kernels check the bias scale. */
function biasQuant(inScale: number, w: { scale: number[] }): { scale: number[]; zeroPoint: number[]; axis: number } {
  return { scale: w.scale.map((s) => Math.fround(Math.fround(inScale) * Math.fround(s))), zeroPoint: w.scale.map(() => 0), axis: 0 };
}

const wq4 = qc(4);
const wq3d = qc(3, 3);
const SAMPLES: [string, ReturnType<typeof tnode>, number][] = [
  ['CONV_2D float', tnode('CONV_2D', [x4(), c(f, [4, 3, 3, 3]), c(f, [4])], [t(f, [1, 8, 8, 4])]), 1],
  ['CONV_2D hybrid', tnode('CONV_2D', [x4(), c('int8', [4, 3, 3, 3], { quant: q(0.02) }), c(f, [4])], [t(f, [1, 8, 8, 4])]), 2],
  ['CONV_2D int8', tnode('CONV_2D', [x4('int8'), c('int8', [4, 3, 3, 3], { quant: wq4 }), c('int32', [4], { quant: biasQuant(0.1, wq4) })], [x4('int8', 4)]), 3],
  ['CONV_2D hybrid per-channel', tnode('CONV_2D', [x4(), c('int8', [4, 3, 3, 3], { quant: wq4 }), c(f, [4])], [t(f, [1, 8, 8, 4])]), 5],
  ['CONV_2D grouped', tnode('CONV_2D', [t(f, [1, 8, 8, 4]), c(f, [4, 3, 3, 2]), c(f, [4])], [t(f, [1, 8, 8, 4])]), 6],
  ['DEPTHWISE float', tnode('DEPTHWISE_CONV_2D', [x4(), c(f, [1, 3, 3, 6]), c(f, [6])], [t(f, [1, 8, 8, 6])], { depth_multiplier: 2, stride_w: 1, stride_h: 1 }), 1],
  ['DEPTHWISE dilated', tnode('DEPTHWISE_CONV_2D', [x4(), c(f, [1, 3, 3, 3]), c(f, [3])], [x4()], { depth_multiplier: 1, stride_w: 1, stride_h: 1, dilation_h_factor: 2, dilation_w_factor: 2 }), 2],
  ['DEPTHWISE int8', tnode('DEPTHWISE_CONV_2D', [x4('int8'), c('int8', [1, 3, 3, 3], { quant: wq3d }), c('int32', [3], { quant: biasQuant(0.1, wq3d) })], [x4('int8')], { depth_multiplier: 1, stride_w: 1, stride_h: 1 }), 3],
  ['DEPTHWISE hybrid', tnode('DEPTHWISE_CONV_2D', [x4(), c('int8', [1, 3, 3, 3], { quant: q(0.02) }), c(f, [3])], [x4()], { depth_multiplier: 1, stride_w: 1, stride_h: 1 }), 4],
  ['DEPTHWISE hybrid per-channel', tnode('DEPTHWISE_CONV_2D', [x4(), c('int8', [1, 3, 3, 3], { quant: wq3d }), c(f, [3])], [x4()], { depth_multiplier: 1, stride_w: 1, stride_h: 1 }), 6],
  ['FC float', tnode('FULLY_CONNECTED', [t(f, [2, 8]), c(f, [4, 8]), c(f, [4])], [t(f, [2, 4])]), 1],
  ['FC hybrid', tnode('FULLY_CONNECTED', [t(f, [2, 8]), c('int8', [4, 8], { quant: q(0.02) }), c(f, [4])], [t(f, [2, 4])]), 3],
  ['FC int8', tnode('FULLY_CONNECTED', [t('int8', [2, 8], { quant: q(0.1) }), c('int8', [4, 8], { quant: q(0.02) }), c('int32', [4], { quant: biasQuant(0.1, q(0.02)) })], [t('int8', [2, 4], { quant: q(0.1) })]), 4],
  ['FC keep_num_dims', tnode('FULLY_CONNECTED', [t(f, [2, 3, 8]), c(f, [4, 8]), c(f, [4])], [t(f, [2, 3, 4])], { keep_num_dims: true }), 5],
  ['FC no bias', tnode('FULLY_CONNECTED', [t(f, [2, 8]), c(f, [4, 8])], [t(f, [2, 4])]), 6],
  ['FC int16x8 (no clause: 1)', tnode('FULLY_CONNECTED', [t('int16', [2, 8], { quant: q(0.001) }), c('int8', [4, 8], { quant: q(0.02) }), c('int64', [4], { quant: biasQuant(0.001, q(0.02)) })], [t('int16', [2, 4], { quant: q(0.001) })]), 1],
  ['FC hybrid asymmetric', tnode('FULLY_CONNECTED', [t(f, [2, 8]), c('int8', [4, 8], { quant: q(0.02) }), c(f, [4])], [t(f, [2, 4])], { asymmetric_quantize_inputs: true }), 9],
  ['ADD int8', tnode('ADD', [t('int8', [2, 3], { quant: q(0.1) }), t('int8', [2, 3], { quant: q(0.1) })], [t('int8', [2, 3], { quant: q(0.2) })]), 2],
  ['ADD int16', tnode('ADD', [t('int16', [2, 3], { quant: q(0.001) }), t('int16', [2, 3], { quant: q(0.001) })], [t('int16', [2, 3], { quant: q(0.002) })], { pot_scale_int16: false }), 3],
  ['ADD int64', tnode('ADD', [c('int64', [2]), c('int64', [2])], [t('int64', [2])]), 4],
  ['MUL int8', tnode('MUL', [t('int8', [2], { quant: q(0.1) }), t('int8', [2], { quant: q(0.1) })], [t('int8', [2], { quant: q(0.1) })]), 2],
  ['MUL int16', tnode('MUL', [t('int16', [2], { quant: q(0.001) }), t('int16', [2], { quant: q(0.001) })], [t('int16', [2], { quant: q(0.001) })]), 4],
  ['SUB 5-D broadcast', tnode('SUB', [t(f, [1, 2, 1, 2, 3]), t(f, [3])], [t(f, [1, 2, 1, 2, 3])]), 3],
  ['SOFTMAX int8', tnode('SOFTMAX', [t('int8', [1, 10], { quant: q(0.1) })], [t('int8', [1, 10], { quant: q(1 / 256, -128) })], { beta: 1 }), 2],
  ['SOFTMAX int16', tnode('SOFTMAX', [t('int16', [1, 10], { quant: q(0.001) })], [t('int16', [1, 10], { quant: q(1 / 32768) })], { beta: 1 }), 3],
  ['LOGISTIC int8', tnode('LOGISTIC', [t('int8', [4], { quant: q(0.1) })], [t('int8', [4], { quant: q(1 / 256, -128) })]), 2],
  ['LOGISTIC int16', tnode('LOGISTIC', [t('int16', [4], { quant: q(1 / 4096) })], [t('int16', [4], { quant: q(1 / 32768) })]), 3],
  ['TANH int8', tnode('TANH', [t('int8', [4], { quant: q(0.1) })], [t('int8', [4], { quant: q(1 / 128) })]), 2],
  ['TANH int16', tnode('TANH', [t('int16', [4], { quant: q(1 / 4096) })], [t('int16', [4], { quant: q(1 / 32768) })]), 3],
  ['AVERAGE_POOL_2D int8', tnode('AVERAGE_POOL_2D', [x4('int8')], [t('int8', [1, 4, 4, 3], { quant: q(0.1) })], { stride_w: 2, stride_h: 2, filter_width: 2, filter_height: 2 }), 2],
  ['AVERAGE_POOL_2D int16', tnode('AVERAGE_POOL_2D', [x4('int16')], [t('int16', [1, 4, 4, 3], { quant: q(0.1) })], { stride_w: 2, stride_h: 2, filter_width: 2, filter_height: 2 }), 3],
  ['MAX_POOL_2D int8', tnode('MAX_POOL_2D', [x4('int8')], [t('int8', [1, 4, 4, 3], { quant: q(0.1) })], { stride_w: 2, stride_h: 2, filter_width: 2, filter_height: 2 }), 2],
  ['MAX_POOL_2D int16', tnode('MAX_POOL_2D', [x4('int16')], [t('int16', [1, 4, 4, 3], { quant: q(0.1) })], { stride_w: 2, stride_h: 2, filter_width: 2, filter_height: 2 }), 3],
  ['CONCATENATION int8', tnode('CONCATENATION', [t('int8', [2], { quant: q(0.1) }), t('int8', [2], { quant: q(0.1) })], [t('int8', [4], { quant: q(0.1) })], { axis: 0 }), 2],
  ['CONCATENATION int16', tnode('CONCATENATION', [t('int16', [2], { quant: q(0.1) }), t('int16', [2], { quant: q(0.1) })], [t('int16', [4], { quant: q(0.1) })], { axis: 0 }), 3],
  ['RESHAPE int8', tnode('RESHAPE', [t('int8', [2, 3], { quant: q(0.1) }), c('int32', [1], { data: [6] })], [t('int8', [6], { quant: q(0.1) })]), 1],
  ['PAD int8', tnode('PAD', [t('int8', [1, 2, 2, 1], { quant: q(0.1) }), c('int32', [4, 2], { data: [0, 0, 1, 1, 1, 1, 0, 0] })], [t('int8', [1, 4, 4, 1], { quant: q(0.1) })]), 2],
  ['PAD int16', tnode('PAD', [t('int16', [1, 2, 2, 1], { quant: q(0.1) }), c('int32', [4, 2], { data: [0, 0, 1, 1, 1, 1, 0, 0] })], [t('int16', [1, 4, 4, 1], { quant: q(0.1) })]), 3],
  ['PAD 5-D', tnode('PAD', [t(f, [1, 1, 2, 2, 1]), c('int32', [5, 2], { data: [0, 0, 0, 0, 1, 1, 1, 1, 0, 0] })], [t(f, [1, 1, 4, 4, 1])]), 4],
  ['MEAN int8', tnode('MEAN', [t('int8', [1, 4, 4, 3], { quant: q(0.1) }), c('int32', [2], { data: [1, 2] })], [t('int8', [1, 1, 1, 3], { quant: q(0.1) })], { keep_dims: true }), 2],
  ['MEAN int16', tnode('MEAN', [t('int16', [1, 4, 4, 3], { quant: q(0.1) }), c('int32', [2], { data: [1, 2] })], [t('int16', [1, 1, 1, 3], { quant: q(0.1) })], { keep_dims: true }), 3],
  ['TRANSPOSE int8', tnode('TRANSPOSE', [t('int8', [2, 3], { quant: q(0.1) }), c('int32', [2], { data: [1, 0] })], [t('int8', [3, 2], { quant: q(0.1) })]), 2],
  ['TRANSPOSE 5-D', tnode('TRANSPOSE', [t(f, [1, 2, 3, 4, 5]), c('int32', [5], { data: [4, 3, 2, 1, 0] })], [t(f, [5, 4, 3, 2, 1])]), 4],
  ['TRANSPOSE int16', tnode('TRANSPOSE', [t('int16', [2, 3], { quant: q(0.1) }), c('int32', [2], { data: [1, 0] })], [t('int16', [3, 2], { quant: q(0.1) })]), 5],
  ['TRANSPOSE_CONV bias', tnode('TRANSPOSE_CONV', [c('int32', [4], { data: [1, 8, 8, 2] }), c(f, [2, 3, 3, 3]), x4(), c(f, [2])], [t(f, [1, 8, 8, 2])], { padding: 0, stride_w: 1, stride_h: 1 }), 3],
  ['QUANTIZE float -> int8', tnode('QUANTIZE', [t(f, [4])], [t('int8', [4], { quant: q(0.1) })]), 1],
  ['QUANTIZE float -> int16', tnode('QUANTIZE', [t(f, [4])], [t('int16', [4], { quant: q(0.001) })]), 2],
  ['DEQUANTIZE uint8', tnode('DEQUANTIZE', [t('uint8', [4], { quant: q(0.1, 128) })], [t(f, [4])]), 1],
  ['DEQUANTIZE int8', tnode('DEQUANTIZE', [t('int8', [4, 2], { quant: q(0.1) })], [t(f, [4, 2])]), 2],
  ['DEQUANTIZE float16', tnode('DEQUANTIZE', [c('float16', [4])], [t(f, [4])]), 3],
  ['DEQUANTIZE int8 per-channel', tnode('DEQUANTIZE', [c('int8', [4, 2], { quant: qc(4) })], [t(f, [4, 2])]), 5],
  ['GATHER batch_dims', tnode('GATHER', [t(f, [2, 5, 3]), c('int32', [2, 2], { data: [0, 4, 1, 2] })], [t(f, [2, 2, 3])], { axis: 1, batch_dims: 1 }), 5],
  ['RESIZE_BILINEAR half_pixel_centers', tnode('RESIZE_BILINEAR', [x4(), c('int32', [2], { data: [16, 16] })], [t(f, [1, 16, 16, 3])], { half_pixel_centers: true }), 3],
  ['RESIZE_BILINEAR int16', tnode('RESIZE_BILINEAR', [x4('int16'), c('int32', [2], { data: [16, 16] })], [t('int16', [1, 16, 16, 3], { quant: q(0.1) })]), 4],
  ['RESIZE_NEAREST_NEIGHBOR align_corners', tnode('RESIZE_NEAREST_NEIGHBOR', [x4(), c('int32', [2], { data: [16, 16] })], [t(f, [1, 16, 16, 3])], { align_corners: true }), 3],
  ['STRIDED_SLICE 5-D', tnode('STRIDED_SLICE', [t(f, [1, 1, 1, 4, 4]), c('int32', [5], { data: [0, 0, 0, 0, 0] }), c('int32', [5], { data: [1, 1, 1, 2, 2] }), c('int32', [5], { data: [1, 1, 1, 1, 1] })], [t(f, [1, 1, 1, 2, 2])]), 4],
  ['STRIDED_SLICE new_axis_mask', tnode('STRIDED_SLICE', [t(f, [4, 4]), c('int32', [3], { data: [0, 0, 0] }), c('int32', [3], { data: [0, 4, 4] }), c('int32', [3], { data: [1, 1, 1] })], [t(f, [1, 4, 4])], { new_axis_mask: 1 }), 6],
  ['CAST int8', tnode('CAST', [t('int8', [4])], [t(f, [4])]), 3],
  ['CAST uint16', tnode('CAST', [t(f, [4])], [t('uint16', [4])]), 4],
  ['SPLIT int32', tnode('SPLIT', [c('int32', [], { data: [0] }), t('int32', [4])], [t('int32', [2]), t('int32', [2])], { num_splits: 2 }), 3],
  ['BATCH_MATMUL int8', tnode('BATCH_MATMUL', [t('int8', [2, 3, 4], { quant: q(0.1) }), t('int8', [2, 4, 5], { quant: q(0.1) })], [t('int8', [2, 3, 5], { quant: q(0.5) })]), 2],
  ['BATCH_MATMUL hybrid asymmetric', tnode('BATCH_MATMUL', [t(f, [2, 3, 4]), c('int8', [4, 5], { quant: q(0.02) })], [t(f, [2, 3, 5])], { asymmetric_quantize_inputs: true }), 4],
  ['SPACE_TO_BATCH_ND 3-D', tnode('SPACE_TO_BATCH_ND', [t(f, [1, 4, 2]), c('int32', [1], { data: [2] }), c('int32', [1, 2], { data: [0, 0] })], [t(f, [2, 2, 2])]), 3],
  ['MAXIMUM 5-D broadcast', tnode('MAXIMUM', [t(f, [1, 2, 1, 2, 3]), t(f, [3])], [t(f, [1, 2, 1, 2, 3])]), 3],
  ['MINIMUM int16', tnode('MINIMUM', [t('int16', [2], { quant: q(0.1) }), t('int16', [2], { quant: q(0.1) })], [t('int16', [2], { quant: q(0.1) })]), 4],
  ['RELU int16', tnode('RELU', [t('int16', [2], { quant: q(0.1) })], [t('int16', [2], { quant: q(0.1) })]), 3],
  ['LEAKY_RELU int16', tnode('LEAKY_RELU', [t('int16', [2], { quant: q(0.1) })], [t('int16', [2], { quant: q(0.1) })], { alpha: 0.2 }), 2],
  ['UNPACK int16', tnode('UNPACK', [t('int16', [2, 3], { quant: q(0.1) })], [t('int16', [3], { quant: q(0.1) }), t('int16', [3], { quant: q(0.1) })], { num: 2, axis: 0 }), 4],
  ['ARG_MAX int8', tnode('ARG_MAX', [t('int8', [2, 5], { quant: q(0.1) }), c('int32', [], { data: [1] })], [t('int32', [2])], { output_type: 2 }), 2],
];

/**
 * The node alone, or, for a DEQUANTIZE of a constant, the node feeding an ADD with a graph input:
 * that is how such nodes occur (weights), and the XNNPACK delegate cannot run a graph of constants.
 */
function graphFor(n: ReturnType<typeof tnode>): Graph {
  if (n.op !== 'tfl.DEQUANTIZE' || !n.inputs[0]?.value) return oneNodeGraph(n);
  const y = n.output(0);
  const add = tnode('ADD', [t('float32', y.shape as number[]), null], [t('float32', y.shape as number[])], { fused_activation_function: 0 });
  const g = oneNodeGraph(add);
  add.inputs[1] = y;
  g.nodes = [n, add];
  return g;
}

test('one-op models at each version load and run in the WASM runtime', async () => {
  const runtime = await TfliteRuntime.load();
  const failures: string[] = [];
  for (const [what, n, version] of SAMPLES) {
    n.version = opVersion(n);
    assert.equal(n.version, version, `${what}: rules give v${n.version}`);
    const g = graphFor(n);
    const bytes = writeTflite(graphsToTflite([g], { description: 'test' }), { minRuntimeVersion: minRuntimeVersionOf([g]) });
    try {
      const model = runtime.loadModel(bytes, { name: what });
      try {
        const zeros = model.inputs.map((i) => makeValue(i.dtype ?? 'float32', i.shape, new Array<number>(numElements(i.shape)).fill(0)));
        model.run(zeros, { outputs: model.outputs.flatMap((o, k) => (o.dtype ? [k] : [])) });
      } finally {
        model.dispose();
      }
    } catch (e) {
      failures.push(`${what} (${n.op.slice(4)} v${version}): ${(e as Error).message}`);
    }
  }
  assert.deepEqual(failures, []);
});
