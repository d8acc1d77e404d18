// A minimal private way for tests to run a .tflite in the real TFLite interpreter (the WASM
// build shipped in @tensorflow/tfjs-tflite), as shared/docs/tflite-runtimes.md section 1
// describes. The project's proper wrapper lives in src/runtime/ (another branch); switch these
// tests to it once merged.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

interface WasmVector<T> {
  size(): number;
  get(i: number): T;
}
interface WasmTensor {
  id: number;
  name: string;
  dataType: string;
  shape: string;
  data(): Float32Array | Int8Array | Uint8Array | Int16Array | Int32Array;
}
interface WasmRunner {
  GetInputs(): WasmVector<WasmTensor>;
  GetOutputs(): WasmVector<WasmTensor>;
  Infer(): boolean;
  delete?(): void;
}
interface WasmModule {
  _malloc(n: number): number;
  _free(p: number): void;
  HEAPU8: Uint8Array;
  TFLiteWebModelRunner: {
    CreateFromBufferAndOptions(
      ptr: number,
      len: number,
      opts: { numThreads: number; enableProfiling: boolean; maxProfilingBufferEntries: number },
    ): { ok(): boolean; value(): WasmRunner; errorMessage?(): string };
  };
}

export interface TensorOut {
  name: string;
  dataType: string;
  shape: number[];
  /** A copy of the tensor's bytes. */
  bytes: Uint8Array;
}

export interface TfliteWasm {
  /** Loads `model`, writes `inputs` (one byte array per input, in order), runs once. */
  run(model: Uint8Array, fill: (index: number, tensor: { name: string; dataType: string; shape: number[]; byteLength: number }) => Uint8Array): {
    inputs: TensorOut[];
    outputs: TensorOut[];
  };
  /** Messages the runtime printed (errors when a model does not load). */
  log: string[];
}

let cached: Promise<TfliteWasm> | undefined;

export function loadTfliteWasm(): Promise<TfliteWasm> {
  cached ??= instantiate();
  return cached;
}

async function instantiate(): Promise<TfliteWasm> {
  const js = require.resolve('@tensorflow/tfjs-tflite/wasm/tflite_web_api_cc_simd.js');
  const dir = path.dirname(js);
  const factory = require(js) as (m: object) => Promise<WasmModule>;
  const log: string[] = [];
  const mod = await factory({
    wasmBinary: fs.readFileSync(path.join(dir, 'tflite_web_api_cc_simd.wasm')),
    locateFile: (p: string) => path.join(dir, p),
    print: (s: string) => log.push(s),
    printErr: (s: string) => log.push(s),
  });
  const toOut = (t: WasmTensor): TensorOut => {
    const d = t.data();
    return {
      name: t.name,
      dataType: t.dataType,
      shape: t.shape === '' ? [] : t.shape.split(',').map(Number),
      bytes: new Uint8Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength)),
    };
  };
  return {
    log,
    run(model, fill) {
      const ptr = mod._malloc(model.length);
      mod.HEAPU8.set(model, ptr);
      try {
        const st = mod.TFLiteWebModelRunner.CreateFromBufferAndOptions(ptr, model.length, {
          numThreads: 1,
          enableProfiling: false,
          maxProfilingBufferEntries: 1024,
        });
        if (!st.ok()) throw new Error(`the TFLite runtime did not load the model: ${log.slice(-3).join(' | ')}`);
        const runner = st.value();
        try {
          const ins = runner.GetInputs();
          const inputs: TensorOut[] = [];
          for (let i = 0; i < ins.size(); i++) {
            const t = ins.get(i);
            const d = t.data();
            const view = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
            const src = fill(i, { name: t.name, dataType: t.dataType, shape: toOut(t).shape, byteLength: d.byteLength });
            if (src.length !== d.byteLength) throw new Error(`input ${i}: ${src.length} bytes given, ${d.byteLength} expected`);
            view.set(src);
            inputs.push(toOut(t));
          }
          if (!runner.Infer()) throw new Error(`Infer() failed: ${log.slice(-3).join(' | ')}`);
          const outs = runner.GetOutputs();
          const outputs: TensorOut[] = [];
          for (let i = 0; i < outs.size(); i++) outputs.push(toOut(outs.get(i)));
          return { inputs, outputs };
        } finally {
          runner.delete?.();
        }
      } finally {
        mod._free(ptr);
      }
    },
  };
}

/** Deterministic bytes (xorshift32) for test inputs. */
export function seededBytes(n: number, seed: number): Uint8Array {
  let x = seed >>> 0 || 1;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Deterministic float32 values in [lo, hi), as bytes. */
export function seededFloats(count: number, seed: number, lo = -1, hi = 1): Uint8Array {
  const raw = seededBytes(count * 4, seed);
  const f = new Float32Array(count);
  const dv = new DataView(raw.buffer);
  for (let i = 0; i < count; i++) f[i] = lo + ((dv.getUint32(i * 4, true) >>> 8) / 2 ** 24) * (hi - lo);
  return new Uint8Array(f.buffer);
}
