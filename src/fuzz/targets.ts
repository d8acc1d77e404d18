// What one fuzz case does with a (damaged) model: everything a user's command would do with it.
//   SavedModel: read, pick the MetaGraph and signatures, inspect (text and JSON, with ops and
//               variables), map and read the graph's variables, read every bundle entry, and (for
//               small models) convert the serving signature and read the result back.
//   GraphDef:   read, inspect, convert (with the fixture's cut points), read the result back.
//   .tflite:    read (verifying), inspect, write again and read that back.
// Each step either succeeds or throws a TfconvError; anything else is a crash of that step.

import fs from 'node:fs';
import path from 'node:path';
import { VARIABLES_HOOK } from '../api/inspect.js';
import { convertModel } from '../convert/convert.js';
import { isTfconvError } from '../errors/index.js';
import { graphDefText, inspectGraphDef } from '../inspect/graphdef.js';
import { inspectSavedModel, savedModelText } from '../inspect/savedmodel.js';
import { inspectTfliteBytes } from '../inspect/tflite.js';
import { readGraphDef } from '../readers/graphdef.js';
import { type LoadedMetaGraph, type LoadedSavedModel, getSignature, pickSignature, readSavedModel, selectMetaGraph, servingSignatureKeys } from '../readers/savedmodel.js';
import { TensorBundle, indexFilename, savedModelVariablesPrefix } from '../readers/tensor-bundle/index.js';
import { loadVariables } from '../readers/variables.js';
import { readTflite, readTfliteFile } from '../tflite/read.js';
import { writeTflite } from '../tflite/write.js';
import type { GraphDef } from '../proto/types.js';
import type { TfliteModel } from '../tflite/model.js';
import type { Subject } from './corpus.js';

export interface StepError {
  step: string;
  code: string;
  message: string;
}

/** A step threw something that is not a TfconvError. */
export class StepCrash extends Error {
  constructor(
    readonly step: string,
    readonly error: unknown,
  ) {
    super(`${step}: ${describeError(error)}`);
    this.name = 'StepCrash';
  }
}

export function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

/** A TfconvError whose message is not one clear line (empty, multi-line, or enormous). */
export function unclearMessage(message: string): string | null {
  if (message.trim() === '') return 'empty message';
  if (/[\r\n]/.test(message)) return 'message spans several lines';
  if (message.length > 4000) return `message of ${message.length} characters`;
  return null;
}

export interface TargetResult {
  errors: StepError[];
  /** Steps that completed. */
  ok: string[];
  /** Bytes of the .tflite a conversion produced, 0 if none. */
  outputBytes: number;
}

class Steps {
  readonly errors: StepError[] = [];
  readonly ok: string[] = [];
  outputBytes = 0;

  /** Runs `fn`; a TfconvError is recorded and gives undefined; anything else (INTERNAL too) is a crash. */
  run<T>(step: string, fn: () => T): T | undefined {
    try {
      const v = fn();
      this.ok.push(step);
      return v;
    } catch (e) {
      // INTERNAL is tfconv admitting a bug ("please report"): a finding, like any other crash.
      if (isTfconvError(e) && e.code !== 'INTERNAL') {
        this.errors.push({ step, code: e.code, message: e.message });
        return undefined;
      }
      throw new StepCrash(step, e);
    }
  }

  result(): TargetResult {
    return { errors: this.errors, ok: this.ok, outputBytes: this.outputBytes };
  }
}

/** Runs the case's work on the model at `modelPath` (a directory or a file, as `subject.kind` says). */
export function runTarget(subject: Subject, modelPath: string): TargetResult {
  const s = new Steps();
  if (subject.kind === 'savedmodel') savedModelSteps(s, subject, modelPath);
  else if (subject.kind === 'graphdef') graphDefSteps(s, subject, modelPath);
  else tfliteSteps(s, modelPath);
  return s.result();
}

function savedModelSteps(s: Steps, subject: Subject, dir: string): void {
  const model = s.run('read', () => readSavedModel(dir));
  let mg: LoadedMetaGraph | undefined;
  if (model) {
    mg = s.run('select', () => {
      const m = selectMetaGraph(model);
      for (const k of servingSignatureKeys(m)) getSignature(m, k);
      pickSignature(m);
      return m;
    });
    s.run('inspect', () => inspect(model));
    if (mg) {
      const m = mg;
      s.run('variables', () => loadVariables(dir, m.def));
    }
  }
  // The bundle on its own, as `inspect --variables` and the restore would read it.
  const prefix = savedModelVariablesPrefix(dir);
  if (fs.existsSync(indexFilename(prefix))) {
    const bundle = s.run('bundle-open', () => TensorBundle.open(prefix));
    if (bundle) for (const key of bundle.keys()) s.run('bundle-read', () => bundle.read(key));
  }
  if (subject.convert && model) convert(s, dir, subject);
}

function inspect(model: LoadedSavedModel): void {
  inspectSavedModel(model, { ops: true, variables: VARIABLES_HOOK });
  savedModelText(model, { ops: true, variables: VARIABLES_HOOK });
}

function graphDefSteps(s: Steps, subject: Subject, file: string): void {
  const g: GraphDef | undefined = s.run('read', () => readGraphDef(file));
  if (!g) return;
  s.run('inspect', () => graphDefText(inspectGraphDef(g, file)));
  if (subject.convert) convert(s, file, subject);
}

function convert(s: Steps, model: string, subject: Subject): void {
  // Custom ops allowed: a graph the mutation gave an unknown op still goes through export.
  const r = s.run('convert', () => convertModel(model, { ...subject.options, allowCustomOps: true }));
  if (!r) return;
  s.outputBytes = r.bytes.length;
  s.run('read-output', () => readTflite(r.bytes, `${path.basename(model)}.tflite`));
}

function tfliteSteps(s: Steps, file: string): void {
  const r: { model: TfliteModel; bytes: Uint8Array } | undefined = s.run('read', () => readTfliteFile(file));
  if (!r) return;
  s.run('inspect', () => inspectTfliteBytes(r.bytes, file, { color: false }));
  const again = s.run('rewrite', () => writeTflite(r.model));
  if (again) s.run('read-rewritten', () => readTflite(again, `${file} (rewritten)`));
}
