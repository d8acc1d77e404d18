// A fuzz child process: makes each case it is given, writes the damaged model into its own
// scratch copy of the fixture, runs the case's work, measures time and peak memory, restores the
// copy, and reports. It runs until the parent disconnects; the parent kills it on a hang.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CaseMaker, type CasePlan } from './cases.js';
import { type Corpus, type Subject, loadCorpus } from './corpus.js';
import { peakIsExact, startPeak } from './memory.js';
import type { CaseResult, FromWorker, InitMessage, MemoryBound, ToWorker } from './protocol.js';
import { StepCrash, describeError, runTarget, unclearMessage } from './targets.js';

let maker: CaseMaker | undefined;
let corpus: Corpus | undefined;
let bound: MemoryBound = { baseMB: 128, perInputByte: 64 };
let scratch = '';
let verbose = false;
const copies = new Map<string, string>();

function send(m: FromWorker): void {
  process.send?.(m);
}

/** The scratch copy of a subject: a directory for SavedModels, the file otherwise. */
function copyOf(s: Subject): string {
  let p = copies.get(s.id);
  if (p) return p;
  const dir = path.join(scratch, String(copies.size));
  if (s.kind === 'savedmodel') {
    fs.cpSync(s.source, dir, { recursive: true });
    p = dir;
  } else {
    fs.mkdirSync(dir);
    p = path.join(dir, path.basename(s.source));
    fs.copyFileSync(s.source, p);
  }
  copies.set(s.id, p);
  return p;
}

function fileIn(s: Subject, root: string, rel: string): string {
  return s.kind === 'savedmodel' ? path.join(root, rel) : root;
}

function apply(plan: CasePlan, root: string): void {
  for (const [rel, bytes] of plan.changes) {
    const f = fileIn(plan.subject, root, rel);
    if (bytes === null) fs.rmSync(f, { force: true });
    else fs.writeFileSync(f, bytes);
  }
}

function restore(plan: CasePlan, root: string, m: CaseMaker): void {
  for (const rel of plan.changes.keys()) fs.writeFileSync(fileIn(plan.subject, root, rel), m.original(plan.subject, rel));
}

function inputBytes(plan: CasePlan, m: CaseMaker): number {
  let n = 0;
  for (const f of plan.subject.files) {
    const c = plan.changes.get(f.rel);
    n += c === undefined ? m.original(plan.subject, f.rel).length : c === null ? 0 : c.length;
  }
  return n;
}

function runCase(k: number): CaseResult {
  const m = maker as CaseMaker;
  let plan: CasePlan;
  try {
    plan = m.make(k);
  } catch (e) {
    // A bug in the fuzzer itself, not in tfconv: reported on its own line.
    const stack = e instanceof Error ? (e.stack ?? '').split('\n').slice(1, 9).join('\n') : '';
    return { type: 'result', k, subject: '?', kind: '?', format: '?', inputBytes: 0, outcome: 'harness', codes: [], okSteps: [], ms: 0, peakKB: 0, boundKB: 0, outputBytes: 0, detail: { mutations: [], file: '?', step: 'mutate', error: describeError(e), stack } };
  }
  const root = copyOf(plan.subject);
  apply(plan, root);
  const input = inputBytes(plan, m);
  const boundKB = Math.round(bound.baseMB * 1024 + (bound.perInputByte * input) / 1024);
  const peak = startPeak();
  const t0 = performance.now();
  const base = {
    type: 'result' as const,
    k,
    subject: plan.subject.id,
    kind: plan.subject.kind,
    format: plan.file.format,
    inputBytes: input,
  };
  const detail = (extra: { step?: string; error?: string; stack?: string } = {}) => ({ mutations: plan.mutations, file: plan.file.rel, ...extra });
  let r: CaseResult;
  try {
    const t = runTarget(plan.subject, root);
    const ms = performance.now() - t0;
    const peakKB = peak();
    const unclear = t.errors.map((e) => ({ e, why: unclearMessage(e.message) })).find((x) => x.why !== null);
    r = {
      ...base,
      outcome: unclear ? 'unclear' : t.errors.length === 0 ? 'ok' : 'error',
      codes: [...new Set(t.errors.map((e) => e.code))],
      okSteps: [...new Set(t.ok)],
      ms,
      peakKB,
      boundKB,
      outputBytes: t.outputBytes,
    };
    if (unclear) r.detail = detail({ step: unclear.e.step, error: `${unclear.why}: ${JSON.stringify(unclear.e.message.slice(0, 500))}` });
    else if (peakKB > boundKB || verbose) r.detail = detail();
    if (verbose && r.detail) r.detail.errors = t.errors;
  } catch (e) {
    const ms = performance.now() - t0;
    const inner = e instanceof StepCrash ? e.error : e;
    r = {
      ...base,
      outcome: 'crash',
      codes: [],
      okSteps: [],
      ms,
      peakKB: peak(),
      boundKB,
      outputBytes: 0,
      detail: detail({
        step: e instanceof StepCrash ? e.step : '?',
        error: describeError(inner),
        stack: inner instanceof Error ? (inner.stack ?? '').split('\n').slice(1, 9).join('\n') : '',
      }),
    };
  } finally {
    restore(plan, root, m);
  }
  return r;
}

function init(msg: InitMessage): void {
  corpus = loadCorpus(msg.fixturesDir);
  maker = new CaseMaker(corpus, msg.seed);
  bound = msg.memory;
  verbose = msg.verbose;
  // Every case writes its damaged file and restores it: on tmpfs when there is one.
  const base = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  scratch = fs.mkdtempSync(path.join(base, 'tfconv-fuzz-'));
  send({ type: 'ready', scratch, subjects: corpus.subjects.length, missing: corpus.missing, exactPeak: peakIsExact() });
}

/** Runs the cases one per event-loop turn, so each result leaves before the next case starts. */
function runBatch(cases: number[]): void {
  let i = 0;
  const next = (): void => {
    if (i >= cases.length) {
      send({ type: 'batch-done' });
      return;
    }
    send(runCase(cases[i++] as number));
    setImmediate(next);
  };
  next();
}

process.on('message', (msg: ToWorker) => {
  if (msg.type === 'init') init(msg);
  else if (msg.type === 'run') runBatch(msg.cases);
  else if (msg.type === 'describe') {
    const p = (maker as CaseMaker).make(msg.k);
    send({ type: 'described', k: msg.k, subject: p.subject.id, file: p.file.rel, mutations: p.mutations });
  }
});

process.on('disconnect', () => {
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  process.exit(0);
});
