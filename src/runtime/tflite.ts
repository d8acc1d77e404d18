// The real TFLite interpreter (TF ~2.11 builtin kernels + XNNPACK), compiled to WebAssembly by
// @tensorflow/tfjs-tflite, run in plain Node. The package's own loader is browser-only, so we
// instantiate its Emscripten factory ourselves: the .wasm is compiled once per process, and each
// instance is created synchronously from it (so an instance that aborted can be replaced without
// making loadModel async). The interpreter's log lines (print/printErr) are captured: they become
// the message of a failed load or run, and never reach the user's terminal otherwise.
//
// Facts this relies on (measured, see shared/docs/tflite-runtimes.md): only subgraph 0 runs;
// inputs keep the shapes stored in the file; float32, int32, int16, int8, uint8 and bool (and,
// by the runner's source, uint32 and float64) inputs/outputs are readable, int64/float16/string
// ones are reported as dataType 'unknown' and cannot be read or written.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { DType, TypedArray } from '../core/dtype.js';
import { type TensorValue, numElements } from '../core/tensor.js';
import { TfconvError, err } from '../errors/index.js';

// --- The Emscripten module, as far as we use it -------------------------------------------------

interface EmTensorInfo {
  readonly id: number;
  readonly name: string;
  readonly dataType: string;
  /** Comma-separated dimensions, "" for a scalar. */
  readonly shape: string;
  /** A view into WASM memory (invalid once memory grows), or 0 for an unreadable type. */
  data(): TypedArray | number;
  delete(): void;
}
interface EmVector<T> {
  size(): number;
  get(i: number): T;
  delete(): void;
}
interface EmRunner {
  GetInputs(): EmVector<EmTensorInfo>;
  GetOutputs(): EmVector<EmTensorInfo>;
  Infer(): boolean;
  delete(): void;
}
interface EmStatusOr {
  ok(): boolean;
  errorMessage(): string;
  value(): EmRunner;
  delete(): void;
}
interface EmModule {
  _malloc(size: number): number;
  _free(ptr: number): void;
  HEAPU8: Uint8Array;
  calledRun?: boolean;
  TFLiteWebModelRunner: {
    CreateFromBufferAndOptions(
      ptr: number,
      size: number,
      options: { numThreads: number; enableProfiling: boolean; maxProfilingBufferEntries: number },
    ): EmStatusOr;
  };
}
type EmFactory = (init: Record<string, unknown>) => Promise<unknown>;

// The project's TS lib is es2022 without DOM, which leaves WebAssembly undeclared: the part we use.
interface WasmModule {
  readonly __wasmModule?: never;
}
interface WasmInstance {
  readonly exports: object;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  Instance: new (module: WasmModule, imports: object) => WasmInstance;
}
const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const require = createRequire(import.meta.url);

/** Directory of the tfjs-tflite WASM build (node_modules/@tensorflow/tfjs-tflite/wasm). */
export const TFLITE_WASM_DIR = path.join(path.dirname(require.resolve('@tensorflow/tfjs-tflite/package.json')), 'wasm');

interface Compiled {
  factory: EmFactory;
  wasm: WasmModule;
  simd: boolean;
}

let compiled: Promise<Compiled> | undefined;

async function compile(): Promise<Compiled> {
  // SIMD is in every Node >= 16; the plain build is the fallback for an engine without it.
  for (const [base, simd] of [
    ['tflite_web_api_cc_simd', true],
    ['tflite_web_api_cc', false],
  ] as const) {
    const bytes = fs.readFileSync(path.join(TFLITE_WASM_DIR, `${base}.wasm`));
    if (!Wasm.validate(bytes)) continue;
    const wasm = await Wasm.compile(bytes);
    const factory = require(path.join(TFLITE_WASM_DIR, `${base}.js`)) as EmFactory;
    return { factory, wasm, simd };
  }
  throw err.runtimeFailed('TFLite runtime', `no usable WebAssembly build in ${TFLITE_WASM_DIR}`);
}

/** One live WASM instance and the sink its log lines go to. */
class Instance {
  readonly module: EmModule;
  /** Set once the instance has aborted or trapped: its memory and C++ state are not trusted. */
  dead = false;
  private capturing: string[] | null = null;

  constructor(c: Compiled) {
    const onLine = (line: string) => {
      if (this.capturing) this.capturing.push(line);
      else if (process.env.TFCONV_DEBUG) process.stderr.write(`[tflite] ${line}\n`);
    };
    const init: Record<string, unknown> = {
      print: onLine,
      printErr: onLine,
      locateFile: (p: string) => path.join(TFLITE_WASM_DIR, p),
      // Instantiating synchronously here makes the whole Emscripten start-up synchronous: by
      // the time the factory returns, the module object is initialised.
      instantiateWasm: (imports: object, receive: (i: WasmInstance) => void) => {
        const inst = new Wasm.Instance(c.wasm, imports);
        receive(inst);
        return inst.exports;
      },
    };
    c.factory(init).catch(() => undefined);
    const m = init as unknown as EmModule;
    if (!m.calledRun || typeof m._malloc !== 'function' || !m.TFLiteWebModelRunner) {
      throw err.runtimeFailed('TFLite runtime', 'the WebAssembly module did not initialise');
    }
    this.module = m;
  }

  /** Run `fn` with the runtime's log lines collected; a trap or abort marks the instance dead. */
  call<T>(fn: () => T): { value: T; lines: string[] } | { error: unknown; lines: string[] } {
    const lines: string[] = [];
    const outer = this.capturing;
    this.capturing = lines;
    try {
      return { value: fn(), lines };
    } catch (error) {
      // Our own checks throw TfconvError with the instance intact; anything else is a trap.
      if (!(error instanceof TfconvError)) this.dead = true;
      return { error, lines };
    } finally {
      this.capturing = outer;
    }
  }
}

// --- Public API -------------------------------------------------------------------------------

export interface TfliteTensorInfo {
  /** Tensor name in the file (e.g. "serving_default_x:0"). */
  name: string;
  /** Tensor index in subgraph 0. */
  id: number;
  /** null when this runtime cannot read or write the tensor's type (int64, float16, string, ...). */
  dtype: DType | null;
  /** Dimensions the interpreter allocated (a -1 in the file's shape_signature is 1 here). */
  shape: number[];
}

export interface TfliteLoadOptions {
  /** Interpreter threads (default 1; this WASM build has no thread pool, so more does not help). */
  numThreads?: number;
  /** Names the model in error messages (e.g. its file name). */
  name?: string;
}

export interface TfliteRunOptions {
  /** Which outputs to read, by name or position in `outputs` (default: all). */
  outputs?: ReadonlyArray<string | number>;
}

const RUNTIME_DTYPES: Readonly<Record<string, DType>> = {
  float32: 'float32',
  float64: 'float64',
  int32: 'int32',
  uint32: 'uint32',
  int16: 'int16',
  int8: 'int8',
  uint8: 'uint8',
  bool: 'bool',
};

const UNREADABLE =
  'has a type the TFLite WASM runtime cannot read or write through its API (it exposes float32, int32, int16, int8, uint8 and bool model inputs/outputs; int64, float16 and string ones are not)';

let shared: Promise<TfliteRuntime> | undefined;

export class TfliteRuntime {
  /** Milliseconds the first instantiation took (compile + instantiate), for reports. */
  readonly initMs: number;
  /** True when the SIMD build is in use. */
  readonly simd: boolean;
  private instance: Instance;

  private constructor(
    private readonly compiledModule: Compiled,
    startedAt: number,
  ) {
    this.instance = new Instance(compiledModule);
    this.initMs = performance.now() - startedAt;
    this.simd = compiledModule.simd;
  }

  /** The process-wide runtime, initialised on first use. */
  static load(): Promise<TfliteRuntime> {
    shared ??= (async () => {
      const t0 = performance.now();
      compiled ??= compile();
      return new TfliteRuntime(await compiled, t0);
    })();
    shared.catch(() => {
      shared = undefined;
    });
    return shared;
  }

  /** Bytes of WebAssembly memory of the current instance (it only grows; for leak checks). */
  get heapBytes(): number {
    return this.instance.module.HEAPU8.byteLength;
  }

  /** Load a .tflite FlatBuffer. The bytes are copied; the returned model must be disposed. */
  loadModel(bytes: Uint8Array, options: TfliteLoadOptions = {}): LoadedTflite {
    const name = options.name ?? 'TFLite model';
    const numThreads = options.numThreads ?? 1;
    if (!Number.isInteger(numThreads) || numThreads < 1) throw err.badOption('num-threads', `must be a positive integer, got ${numThreads}`);
    // An instance that aborted earlier is replaced; models loaded in it keep their own instance.
    if (this.instance.dead) this.instance = new Instance(this.compiledModule);
    const inst = this.instance;
    const m = inst.module;

    const ptr = m._malloc(Math.max(1, bytes.byteLength));
    if (!ptr) throw err.runtimeFailed(name, `out of WebAssembly memory for the ${bytes.byteLength}-byte model`);
    m.HEAPU8.set(bytes, ptr);

    const created = inst.call(() => {
      const status = m.TFLiteWebModelRunner.CreateFromBufferAndOptions(ptr, bytes.byteLength, {
        numThreads,
        enableProfiling: false,
        maxProfilingBufferEntries: 1024,
      });
      try {
        return status.ok() ? { ok: true as const, runner: status.value() } : { ok: false as const, message: status.errorMessage() };
      } finally {
        status.delete();
      }
    });
    if ('error' in created) throw abortError(name, 'load the model', created.error, created.lines);
    const result = created.value;
    if (!result.ok) {
      m._free(ptr);
      throw err.runtimeFailed(name, `TFLite cannot load the model: ${runtimeMessage(created.lines, stripStatus(result.message))}`);
    }
    const runner = result.runner;
    const infos = inst.call(() => ({ inputs: readInfos(runner.GetInputs()), outputs: readInfos(runner.GetOutputs()) }));
    if ('error' in infos) throw abortError(name, 'read the model tensors', infos.error, infos.lines);
    return new RuntimeModel(inst, runner, ptr, name, infos.value.inputs, infos.value.outputs);
  }
}

/** A model loaded in the TFLite interpreter. Dispose it when done (its memory is WASM memory). */
export interface LoadedTflite {
  /** The name used in error messages. */
  readonly name: string;
  readonly inputs: readonly TfliteTensorInfo[];
  readonly outputs: readonly TfliteTensorInfo[];
  /**
   * Run once. Inputs by position (as in `inputs`) or by tensor name; each must have exactly the
   * input's dtype and shape. Returns copies of the outputs (all, or those asked for).
   */
  run(inputs: readonly TensorValue[] | Readonly<Record<string, TensorValue>>, options?: TfliteRunOptions): TensorValue[];
  /**
   * Run once without copying the outputs: `visit` gets each selected output (by its position in
   * `outputs`) as a view into WASM memory, valid only during the call. For callers that reduce
   * many tensors per run (calibration statistics, per-layer comparisons).
   */
  runVisit(
    inputs: readonly TensorValue[] | Readonly<Record<string, TensorValue>>,
    visit: (output: number, dtype: DType, shape: readonly number[], view: TypedArray) => void,
    options?: TfliteRunOptions,
  ): void;
  /** Free the interpreter and the model bytes. Safe to call twice. */
  dispose(): void;
}

class RuntimeModel implements LoadedTflite {
  private disposed = false;

  constructor(
    private readonly instance: Instance,
    private readonly runner: EmRunner,
    private readonly modelPtr: number,
    readonly name: string,
    readonly inputs: readonly TfliteTensorInfo[],
    readonly outputs: readonly TfliteTensorInfo[],
  ) {}

  run(inputs: readonly TensorValue[] | Readonly<Record<string, TensorValue>>, options: TfliteRunOptions = {}): TensorValue[] {
    this.checkUsable();
    const ordered = this.orderInputs(inputs);
    const outIdx = this.selectOutputs(options.outputs);
    const out: TensorValue[] = new Array(outIdx.length);
    const pos = new Map(outIdx.map((o, k) => [o, k]));
    this.invoke(ordered, outIdx, (i, dtype, shape, view) => {
      out[pos.get(i) as number] = { dtype, shape, data: view.slice() } as TensorValue;
    });
    return out;
  }

  runVisit(
    inputs: readonly TensorValue[] | Readonly<Record<string, TensorValue>>,
    visit: (output: number, dtype: DType, shape: readonly number[], view: TypedArray) => void,
    options: TfliteRunOptions = {},
  ): void {
    this.checkUsable();
    const ordered = this.orderInputs(inputs);
    this.invoke(ordered, this.selectOutputs(options.outputs), visit);
  }

  /** Write the (checked, ordered) inputs, Invoke(), and hand each selected output's view to `visit`. */
  private invoke(ordered: readonly TensorValue[], outIdx: readonly number[], visit: (output: number, dtype: DType, shape: number[], view: TypedArray) => void): void {
    // An exception from the visitor is the caller's, not a trap of the runtime: it must not mark
    // the instance dead. Kept aside and thrown once the runtime's objects are released.
    let visitError: { error: unknown } | undefined;
    const res = this.instance.call(() => {
      const vin = this.runner.GetInputs();
      try {
        ordered.forEach((v, i) => {
          const info = vin.get(i);
          try {
            const view = info.data();
            if (typeof view === 'number' || view.length !== numElements(v.shape)) {
              throw err.internal(`input '${this.inputs[i].name}' buffer does not match its shape`);
            }
            (view as { set(a: ArrayLike<number | bigint>): void }).set(v.data as TypedArray);
          } finally {
            info.delete();
          }
        });
      } finally {
        vin.delete();
      }
      if (!this.runner.Infer()) return false;
      // Fetched after Invoke: an output with a data-dependent shape is resized by it.
      const vout = this.runner.GetOutputs();
      try {
        for (const i of outIdx) {
          const info = vout.get(i);
          try {
            const dtype = RUNTIME_DTYPES[info.dataType];
            const view = info.data();
            const shape = parseShape(info.shape);
            if (!dtype || typeof view === 'number') throw err.runtimeFailed(this.name, `output '${info.name}' ${UNREADABLE}`);
            if (view.length !== numElements(shape)) throw err.internal(`output '${info.name}' has ${view.length} values for shape [${shape}]`);
            if (!visitError) {
              try {
                visit(i, dtype, shape, view);
              } catch (error) {
                visitError = { error };
              }
            }
          } finally {
            info.delete();
          }
        }
      } finally {
        vout.delete();
      }
      return true;
    });
    if ('error' in res) throw abortError(this.name, 'run the model', res.error, res.lines);
    if (!res.value) throw err.runtimeFailed(this.name, `TFLite failed to run the model: ${runtimeMessage(res.lines, 'Invoke() failed')}`);
    if (visitError) throw visitError.error;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.instance.dead) return; // its memory is abandoned with the instance
    this.runner.delete();
    this.instance.module._free(this.modelPtr);
  }

  private checkUsable(): void {
    if (this.disposed) throw err.runtimeFailed(this.name, 'the model was disposed');
    if (this.instance.dead) throw err.runtimeFailed(this.name, 'the TFLite runtime aborted earlier; load the model again');
  }

  private orderInputs(inputs: readonly TensorValue[] | Readonly<Record<string, TensorValue>>): TensorValue[] {
    let ordered: TensorValue[];
    if (Array.isArray(inputs)) {
      if (inputs.length !== this.inputs.length) {
        throw err.badInput(this.name, `the model takes ${this.inputs.length} input${this.inputs.length === 1 ? '' : 's'} (${this.inputs.map((i) => `'${i.name}'`).join(', ')}), got ${inputs.length}`);
      }
      ordered = [...inputs];
    } else {
      const byName = inputs as Readonly<Record<string, TensorValue>>;
      const known = new Set(this.inputs.map((i) => i.name));
      const extra = Object.keys(byName).filter((k) => !known.has(k));
      if (extra.length > 0) throw err.badInput(extra[0], `the model has no such input; inputs: ${this.inputs.map((i) => `'${i.name}'`).join(', ')}`);
      const missing = this.inputs.filter((i) => !(i.name in byName));
      if (missing.length > 0) throw err.badInput(missing[0].name, `no value given (missing: ${missing.map((i) => `'${i.name}'`).join(', ')})`);
      ordered = this.inputs.map((i) => byName[i.name]);
    }
    ordered.forEach((v, i) => {
      const info = this.inputs[i];
      if (info.dtype === null) throw err.badInput(info.name, UNREADABLE);
      if (v.dtype !== info.dtype) throw err.badInput(info.name, `expected ${info.dtype}, got ${v.dtype}`);
      if (v.shape.length !== info.shape.length || v.shape.some((d, k) => d !== info.shape[k])) {
        throw err.badInput(info.name, `expected shape [${info.shape.join(', ')}], got [${v.shape.join(', ')}] (TFLite runs inputs at the shape stored in the model)`);
      }
      if (Array.isArray(v.data) || v.data.length !== numElements(v.shape)) {
        throw err.badInput(info.name, `holds ${Array.isArray(v.data) ? 'strings' : v.data.length + ' values'} for shape [${v.shape.join(', ')}]`);
      }
    });
    return ordered;
  }

  private selectOutputs(sel: ReadonlyArray<string | number> | undefined): number[] {
    const idx = sel === undefined ? this.outputs.map((_, i) => i) : sel.map((s) => (typeof s === 'number' ? s : this.outputs.findIndex((o) => o.name === s)));
    idx.forEach((i, k) => {
      if (i < 0 || i >= this.outputs.length || !Number.isInteger(i)) {
        throw err.runtimeFailed(this.name, `no output ${JSON.stringify(sel?.[k])}; outputs: ${this.outputs.map((o) => `'${o.name}'`).join(', ')}`);
      }
      if (this.outputs[i].dtype === null) throw err.runtimeFailed(this.name, `output '${this.outputs[i].name}' ${UNREADABLE}`);
    });
    return idx;
  }
}

// ---------------------------------------------------------------------------------------------

function readInfos(v: EmVector<EmTensorInfo>): TfliteTensorInfo[] {
  const out: TfliteTensorInfo[] = [];
  try {
    for (let i = 0; i < v.size(); i++) {
      const t = v.get(i);
      try {
        out.push({ name: t.name, id: t.id, dtype: RUNTIME_DTYPES[t.dataType] ?? null, shape: parseShape(t.shape) });
      } finally {
        t.delete();
      }
    }
  } finally {
    v.delete();
  }
  return out;
}

function parseShape(s: string): number[] {
  return s === '' ? [] : s.split(',').map(Number);
}

function stripStatus(message: string): string {
  return message.replace(/^[A-Z_]+:\s*/, '');
}

/** The runtime's own error lines, deduplicated, in one line; `fallback` when it said nothing. */
function runtimeMessage(lines: string[], fallback: string): string {
  const seen = new Set<string>();
  for (const raw of lines) {
    const l = raw.replace(/^(ERROR|INFO|WARNING):\s*/, '').trim();
    if (!l || /^See instructions:/.test(l) || /XNNPACK delegate/.test(l)) continue;
    seen.add(l.replace(/\.$/, ''));
  }
  const msgs = [...seen];
  if (msgs.length === 0) {
    return fallback === "Can't initialize model" ? `${fallback} (the runtime gave no detail; the FlatBuffer may be malformed)` : fallback;
  }
  const shown = msgs.slice(0, 6).join('; ');
  return msgs.length > 6 ? `${shown}; ... (${msgs.length - 6} more)` : shown;
}

function abortError(name: string, doing: string, e: unknown, lines: string[]): TfconvError {
  if (e instanceof TfconvError) return e;
  const raw = e instanceof Error ? e.message : String(e);
  const what = raw.replace(/\. Build with -sASSERTIONS for more info\.?$/, '');
  let hint = '';
  if (/dlopen/.test(what)) hint = '; the model needs a delegate library the WASM build cannot load (e.g. the Flex delegate for TF Select ops)';
  else if (/^Aborted\(\)$/.test(what)) hint = '; it may have run out of its 2 GiB of memory';
  const detail = runtimeMessage(
    lines.filter((l) => !l.startsWith('Aborted(')),
    '',
  );
  return err.runtimeFailed(name, `the TFLite runtime aborted while trying to ${doing}: ${what}${detail ? ` (${detail})` : ''}${hint}`);
}
