// Peak memory of a conversion against the size of what it reads and writes. A synthetic SavedModel
// with large variables (an MLP; sizes below) is written once, then converted by `optimize` in a
// fresh process that measures its own resident-set peak (Linux /proc VmHWM, reset after start-up)
// and compares it with model size + output size. Run after a build:
//   node dist/bench/memory.js [MB of variables, default 256]

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { optimize } from '../src/api/optimize.js';
import { startPeak, peakIsExact, rssKB } from '../src/fuzz/memory.js';
import type { NodeDef, TensorShapeProto } from '../src/proto/types.js';
import { writeSavedModel } from '../src/writers/savedmodel.js';

const MB = 1024 * 1024;

function shape(dims: number[]): TensorShapeProto {
  return { dim: dims.map((size) => ({ size, name: '' })), unknown_rank: false };
}

function node(name: string, op: string, input: string[], attr: NodeDef['attr'] = {}): NodeDef {
  return { name, op, input, device: '', attr };
}

/** x[1,IN] -> MatMul w1[IN,HIDDEN] -> Relu -> MatMul w2[HIDDEN,OUT] -> y, variables of about `mb` MB. */
function writeModel(dir: string, mb: number): { variableBytes: number } {
  const IN = 1024;
  const OUT = 256;
  const HIDDEN = Math.max(1, Math.round((mb * MB) / 4 / (IN + OUT)));
  const f32 = { value: 'type' as const, type: 1 };
  const variable = (name: string, dims: number[]) => node(name, 'VariableV2', [], { dtype: f32, shape: { value: 'shape', shape: shape(dims) } });
  const graph = {
    node: [
      node('x', 'Placeholder', [], { dtype: f32, shape: { value: 'shape', shape: shape([1, IN]) } }),
      variable('w1', [IN, HIDDEN]),
      node('w1/read', 'Identity', ['w1'], { T: f32 }),
      node('h', 'MatMul', ['x', 'w1/read'], { T: f32, transpose_a: { value: 'b', b: false }, transpose_b: { value: 'b', b: false } }),
      node('r', 'Relu', ['h'], { T: f32 }),
      variable('w2', [HIDDEN, OUT]),
      node('w2/read', 'Identity', ['w2'], { T: f32 }),
      node('y', 'MatMul', ['r', 'w2/read'], { T: f32, transpose_a: { value: 'b', b: false }, transpose_b: { value: 'b', b: false } }),
    ],
  };
  const savedModel = {
    saved_model_schema_version: 1,
    meta_graphs: [
      {
        meta_info_def: { tags: ['serve'] },
        graph_def: graph,
        signature_def: {
          serving_default: {
            inputs: { x: { name: 'x:0', dtype: 1, tensor_shape: shape([1, IN]) } },
            outputs: { y: { name: 'y:0', dtype: 1, tensor_shape: shape([1, OUT]) } },
            method_name: 'tensorflow/serving/predict',
          },
        },
      },
    ],
  };
  // Deterministic, non-constant weights (a constant tensor could be stored or folded specially).
  const weights = (dims: number[], seed: number) => () => {
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    let s = seed;
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      data[i] = (s / 2 ** 32 - 0.5) * 0.1;
    }
    return { dtype: 'float32' as const, shape: dims, data };
  };
  const r = writeSavedModel(dir, {
    savedModel: savedModel as never,
    variables: [
      ['w1', weights([IN, HIDDEN], 1)],
      ['w2', weights([HIDDEN, OUT], 2)],
    ],
  });
  return { variableBytes: r.variables?.dataBytes ?? 0 };
}

interface ChildReport {
  baselineMB: number;
  peakMB: number;
  outputBytes: number;
  ms: number;
}

async function child(model: string, output: string): Promise<void> {
  // Start-up (modules, protobuf schemas) is not the conversion's: measured from here.
  const peak = startPeak();
  const baselineMB = rssKB() / 1024;
  const t0 = performance.now();
  const r = await optimize(model, { output });
  const report: ChildReport = { baselineMB, peakMB: peak() / 1024, outputBytes: r.bytes, ms: performance.now() - t0 };
  process.stdout.write(JSON.stringify(report));
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    await child(process.argv[3] as string, process.argv[4] as string);
    return;
  }
  if (!peakIsExact()) console.log('memory: /proc/self/clear_refs is not writable here: peaks are RSS after the run, not true peaks');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfconv-bench-memory-'));
  try {
    for (const mb of process.argv[2] ? [Number(process.argv[2])] : [64, 256]) {
      const model = path.join(dir, `mlp-${mb}`);
      const { variableBytes } = writeModel(model, mb);
      const modelBytes = fs.readdirSync(path.join(model, 'variables')).reduce((s, f) => s + fs.statSync(path.join(model, 'variables', f)).size, 0) + fs.statSync(path.join(model, 'saved_model.pb')).size;
      const output = path.join(dir, `mlp-${mb}.tflite`);
      const r = spawnSync(process.execPath, ['--max-old-space-size=4096', fileURLToPath(import.meta.url), '--child', model, output], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`conversion failed: ${r.stderr}`);
      const c = JSON.parse(r.stdout) as ChildReport;
      const sum = (modelBytes + c.outputBytes) / MB;
      console.log(
        `memory: SavedModel of ${(modelBytes / MB).toFixed(1)} MB (variables ${(variableBytes / MB).toFixed(1)} MB) -> .tflite of ${(c.outputBytes / MB).toFixed(1)} MB: ` +
          `peak ${c.peakMB.toFixed(1)} MB over the ${c.baselineMB.toFixed(0)} MB start-up RSS = ${(c.peakMB / sum).toFixed(2)} x (model + output = ${sum.toFixed(1)} MB), ${(c.ms / 1000).toFixed(1)} s`,
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
