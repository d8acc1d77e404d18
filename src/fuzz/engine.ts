// The fuzz engine: a pool of child processes (one per core by default) running cases in batches.
//
// Why child processes: a synchronous hang cannot be interrupted inside the process running it,
// and a runaway allocation can take the process down; in a child, the parent sees both (no result
// within the time bound: SIGKILL, "hang"; RSS past the hard ceiling: SIGKILL, "memory"; the child
// dying: "died"), records the case and starts a fresh child for the rest of the batch. A child,
// unlike a worker thread, also has its own resident set, so the per-case peak memory it measures
// (/proc VmHWM, reset before each case) is that case's alone. Children live for the whole run and
// take cases in batches, so process start-up (~0.3 s) is paid once per child, not per case.

import { type ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CaseResult, FromWorker, MemoryBound, ToWorker } from './protocol.js';

export interface FuzzOptions {
  seed: number;
  /** Cases [first, first + cases), unless `only` lists them. */
  first?: number;
  cases?: number;
  only?: number[];
  /** Child processes (default: 2). */
  jobs?: number;
  /** Per-case time bound in ms (default 10000: cases take ~6 ms, the slowest real ones ~2 s on a busy machine). */
  timeoutMs?: number;
  fixturesDir: string;
  memory?: MemoryBound;
  /** A child whose RSS passes this many MiB is killed and its case reported (default 3072). */
  hardRssMB?: number;
  /** Cases per batch handed to a child (default 32). */
  batch?: number;
  /** Progress lines (every few seconds) and notes. */
  log?: (line: string) => void;
  progressEveryMs?: number;
  /** Keep every case's result (for tests and --case); otherwise only the summary. */
  keepResults?: boolean;
  /** Every result carries its mutations and error messages (for --case). */
  verbose?: boolean;
}

export type FindingKind = 'crash' | 'hang' | 'died' | 'memory' | 'unclear' | 'harness';

export interface Finding {
  kind: FindingKind;
  k: number;
  subject: string;
  file: string;
  mutations: string[];
  step?: string;
  error?: string;
  stack?: string;
  ms?: number;
  peakKB?: number;
  boundKB?: number;
}

export interface FuzzSummary {
  seed: number;
  cases: number;
  jobs: number;
  timeoutMs: number;
  memory: MemoryBound;
  exactPeak: boolean;
  wallMs: number;
  /** Sum of the cases' own times. */
  caseMs: number;
  byKind: Record<string, number>;
  byFormat: Record<string, number>;
  outcomes: { ok: number; error: number; crash: number; unclear: number; harness: number; hang: number; died: number };
  /** Cases whose peak memory passed their bound (whatever their outcome). */
  overMemory: number;
  /** TfconvError codes, counted once per case. */
  codes: Record<string, number>;
  /** How many cases completed each step ("kind/step"): how deep the damage got. */
  stepsOk: Record<string, number>;
  peak: { kb: number; k: number; subject: string; inputBytes: number };
  /** The case with the highest peak / bound. */
  worstRatio: { ratio: number; k: number; subject: string; peakKB: number; boundKB: number };
  slowest: { ms: number; k: number; subject: string };
  findings: Finding[];
  missing: string[];
  restarts: number;
  results?: CaseResult[];
}

export const DEFAULT_MEMORY: MemoryBound = { baseMB: 128, perInputByte: 64 };

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

interface Child {
  proc: ChildProcess;
  pending: number[];
  lastProgress: number;
  ready: boolean;
  scratch: string;
  stderr: string;
  /** Set when the parent kills it on purpose. */
  killedFor?: 'hang' | 'memory';
}

export function runFuzz(o: FuzzOptions): Promise<FuzzSummary> {
  const jobs = Math.max(1, o.jobs ?? 2);
  const timeoutMs = o.timeoutMs ?? 10_000;
  const memory = o.memory ?? DEFAULT_MEMORY;
  const hardRssKB = (o.hardRssMB ?? 3072) * 1024;
  const batchSize = Math.max(1, o.batch ?? 32);
  const log = o.log ?? (() => {});
  const debug = process.env.TFCONV_FUZZ_DEBUG ? (m: string) => process.stderr.write(`fuzz-engine: ${m}\n`) : () => {};
  const queue: number[] = o.only ? [...o.only] : Array.from({ length: o.cases ?? 0 }, (_, i) => (o.first ?? 0) + i);
  const total = queue.length;

  const s: FuzzSummary = {
    seed: o.seed,
    cases: 0,
    jobs,
    timeoutMs,
    memory,
    exactPeak: false,
    wallMs: 0,
    caseMs: 0,
    byKind: {},
    byFormat: {},
    outcomes: { ok: 0, error: 0, crash: 0, unclear: 0, harness: 0, hang: 0, died: 0 },
    overMemory: 0,
    codes: {},
    stepsOk: {},
    peak: { kb: 0, k: -1, subject: '', inputBytes: 0 },
    worstRatio: { ratio: 0, k: -1, subject: '', peakKB: 0, boundKB: 0 },
    slowest: { ms: 0, k: -1, subject: '' },
    findings: [],
    missing: [],
    restarts: 0,
    ...(o.keepResults ? { results: [] } : {}),
  };
  const t0 = performance.now();
  const children = new Set<Child>();
  let lastLog = t0;

  return new Promise<FuzzSummary>((resolve, reject) => {
    let finished = false;

    const record = (r: CaseResult): void => {
      s.cases++;
      s.caseMs += r.ms;
      s.byKind[r.kind] = (s.byKind[r.kind] ?? 0) + 1;
      s.byFormat[r.format] = (s.byFormat[r.format] ?? 0) + 1;
      s.outcomes[r.outcome]++;
      for (const c of r.codes) s.codes[c] = (s.codes[c] ?? 0) + 1;
      for (const st of r.okSteps) s.stepsOk[`${r.kind}/${st}`] = (s.stepsOk[`${r.kind}/${st}`] ?? 0) + 1;
      if (r.peakKB > s.peak.kb) s.peak = { kb: r.peakKB, k: r.k, subject: r.subject, inputBytes: r.inputBytes };
      const ratio = r.boundKB > 0 ? r.peakKB / r.boundKB : 0;
      if (ratio > s.worstRatio.ratio) s.worstRatio = { ratio, k: r.k, subject: r.subject, peakKB: r.peakKB, boundKB: r.boundKB };
      if (r.ms > s.slowest.ms) s.slowest = { ms: r.ms, k: r.k, subject: r.subject };
      const over = r.boundKB > 0 && r.peakKB > r.boundKB;
      if (over) s.overMemory++;
      const d = r.detail;
      if (r.outcome === 'crash' || r.outcome === 'unclear' || r.outcome === 'harness') {
        s.findings.push({ kind: r.outcome, k: r.k, subject: r.subject, file: d?.file ?? '?', mutations: d?.mutations ?? [], ...pick(d), ms: r.ms, peakKB: r.peakKB, boundKB: r.boundKB });
      }
      if (over) s.findings.push({ kind: 'memory', k: r.k, subject: r.subject, file: d?.file ?? '?', mutations: d?.mutations ?? [], ms: r.ms, peakKB: r.peakKB, boundKB: r.boundKB });
      s.results?.push(r);
      const now = performance.now();
      if (o.progressEveryMs !== undefined && now - lastLog >= o.progressEveryMs) {
        lastLog = now;
        const rate = s.cases / ((now - t0) / 1000);
        log(`  ${s.cases}/${total} cases, ${(rate).toFixed(0)}/s, crashes ${s.outcomes.crash + s.outcomes.died}, hangs ${s.outcomes.hang}, over memory ${s.overMemory}`);
      }
    };

    const giveWork = (c: Child): void => {
      debug(`give work to ${c.proc.pid}: queue ${queue.length}`);
      if (queue.length === 0) {
        c.pending = [];
        maybeFinish();
        return;
      }
      c.pending = queue.splice(0, batchSize);
      c.lastProgress = performance.now();
      send(c, { type: 'run', cases: c.pending });
    };

    const send = (c: Child, m: ToWorker): void => {
      c.proc.send(m);
    };

    const spawn = (): void => {
      const proc = fork(WORKER, [], {
        // Not the parent's flags (node --test's, for one); a bounded JS heap, so a runaway
        // allocation of JS objects ends the child (reported) rather than the machine.
        execArgv: ['--max-old-space-size=2048'],
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        serialization: 'json',
      });
      const c: Child = { proc, pending: [], lastProgress: performance.now(), ready: false, scratch: '', stderr: '' };
      children.add(c);
      proc.stderr?.on('data', (d: Buffer) => {
        c.stderr = (c.stderr + d.toString('utf8')).slice(-4000);
      });
      proc.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          c.ready = true;
          c.scratch = m.scratch;
          s.exactPeak = m.exactPeak;
          s.missing = m.missing;
          if (m.subjects === 0) {
            fail(new Error(`no fuzz fixtures found under ${o.fixturesDir}`));
            return;
          }
          giveWork(c);
        } else if (m.type === 'result') {
          if (c.pending[0] === m.k) c.pending.shift();
          else c.pending = c.pending.filter((x) => x !== m.k);
          c.lastProgress = performance.now();
          record(m);
        } else if (m.type === 'batch-done') {
          giveWork(c);
        }
      });
      proc.send({ type: 'init', seed: o.seed, fixturesDir: o.fixturesDir, memory, verbose: o.verbose === true } satisfies ToWorker);
      proc.on('exit', (code, signal) => {
        debug(`child ${proc.pid} exit ${code} ${signal} pending ${c.pending.length} killedFor ${c.killedFor} queue ${queue.length} finished ${finished}`);
        children.delete(c);
        if (c.scratch) fs.rmSync(c.scratch, { recursive: true, force: true });
        if (finished) return;
        const k = c.pending.shift();
        if (k !== undefined) {
          const kind = c.killedFor ?? 'died';
          if (kind === 'hang') s.outcomes.hang++;
          else if (kind === 'died') s.outcomes.died++;
          else s.overMemory++;
          s.cases++;
          const why =
            kind === 'hang'
              ? `no result within ${timeoutMs} ms`
              : kind === 'memory'
                ? `resident memory passed ${(hardRssKB / 1024).toFixed(0)} MiB`
                : `child exited (${signal ?? `code ${code}`}): ${lastLines(c.stderr)}`;
          s.findings.push({ kind, k, subject: '?', file: '?', mutations: [], error: why });
          queue.unshift(...c.pending);
        } else if (!c.killedFor && code !== 0 && signal === null) {
          fail(new Error(`fuzz child exited with code ${code} before taking a case: ${lastLines(c.stderr)}`));
          return;
        }
        if (queue.length > 0) {
          s.restarts++;
          spawn();
          // An idle child takes the requeued cases now rather than waiting for the new one.
          for (const other of children) if (other.ready && other.pending.length === 0 && queue.length > 0) giveWork(other);
        } else maybeFinish();
      });
    };

    const watchdog = setInterval(() => {
      const now = performance.now();
      for (const c of children) {
        if (!c.ready || c.pending.length === 0 || c.killedFor) continue;
        if (now - c.lastProgress > timeoutMs) {
          c.killedFor = 'hang';
          c.proc.kill('SIGKILL');
          continue;
        }
        const rss = childRssKB(c.proc.pid);
        if (rss > hardRssKB) {
          c.killedFor = 'memory';
          c.proc.kill('SIGKILL');
        }
      }
    }, 100);

    const maybeFinish = (): void => {
      if (finished) return;
      if (queue.length > 0) return;
      for (const c of children) if (c.pending.length > 0 || !c.ready) return;
      finish();
    };

    const finish = (): void => {
      debug('finish');
      finished = true;
      clearInterval(watchdog);
      void describeFindings().then(
        () => {
          for (const c of children) if (c.proc.connected) c.proc.disconnect();
          s.wallMs = performance.now() - t0;
          resolve(s);
        },
        (e: unknown) => fail(e),
      );
    };

    const fail = (e: unknown): void => {
      if (finished && !children.size) return;
      finished = true;
      clearInterval(watchdog);
      for (const c of children) c.proc.kill('SIGKILL');
      reject(e);
    };

    /** Hangs and deaths left no description: ask a live child to make those cases again. */
    const describeFindings = async (): Promise<void> => {
      const todo = s.findings.filter((f) => f.subject === '?');
      debug(`describe ${todo.map((f) => f.k).join(',')}`);
      if (todo.length === 0) return;
      const c = [...children].find((x) => x.ready && x.proc.connected);
      if (!c) return;
      // Making the case again may be what killed the child (a mutation that exhausts memory):
      // whatever happens, the run ends with what could be described.
      await new Promise<void>((done) => {
        let left = todo.length;
        const end = (): void => {
          clearTimeout(timer);
          c.proc.off('message', onMessage);
          c.proc.off('exit', end);
          done();
        };
        const timer = setTimeout(end, timeoutMs * 2 + 1000);
        const onMessage = (m: FromWorker): void => {
          if (m.type !== 'described') return;
          for (const f of todo) if (f.k === m.k) Object.assign(f, { subject: m.subject, file: m.file, mutations: m.mutations });
          if (--left === 0) end();
        };
        c.proc.on('message', onMessage);
        c.proc.on('exit', end);
        for (const f of todo) send(c, { type: 'describe', k: f.k });
      });
    };

    if (queue.length === 0) {
      finished = true;
      clearInterval(watchdog);
      resolve(s);
      return;
    }
    for (let i = 0; i < Math.min(jobs, queue.length); i++) spawn();
  });
}

function pick(d: CaseResult['detail']): { step?: string; error?: string; stack?: string } {
  if (!d) return {};
  return { ...(d.step ? { step: d.step } : {}), ...(d.error ? { error: d.error } : {}), ...(d.stack ? { stack: d.stack } : {}) };
}

function childRssKB(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function lastLines(s: string): string {
  return s.trim().split('\n').slice(-3).join(' | ') || 'no output';
}

// ---------------------------------------------------------------------------------------------
// Reporting
// ---------------------------------------------------------------------------------------------

const mib = (kb: number): string => `${(kb / 1024).toFixed(1)} MiB`;

/** The summary as printed by `npm run fuzz` and the test. */
export function formatSummary(s: FuzzSummary, how: { reproduce?: string } = {}): string {
  const lines: string[] = [];
  const crashes = s.outcomes.crash + s.outcomes.died;
  lines.push(`fuzz summary: seed ${s.seed}, ${s.cases} cases, ${s.jobs} jobs, ${(s.wallMs / 1000).toFixed(1)} s wall (${(s.cases / Math.max(1e-9, s.wallMs / 1000)).toFixed(0)} cases/s, mean case ${(s.caseMs / Math.max(1, s.cases)).toFixed(1)} ms)`);
  lines.push(`  crashes ${crashes}, hangs ${s.outcomes.hang} (bound ${s.timeoutMs} ms), over memory bound ${s.overMemory}, unclear messages ${s.outcomes.unclear}${s.outcomes.harness ? `, fuzzer errors ${s.outcomes.harness}` : ''}`);
  lines.push(`  outcomes: ok ${s.outcomes.ok}, TfconvError ${s.outcomes.error}; codes: ${Object.entries(s.codes).sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ') || 'none'}`);
  lines.push(`  steps completed: ${Object.entries(s.stepsOk).sort().map(([k, n]) => `${k} ${n}`).join(', ')}`);
  lines.push(`  targets: ${Object.entries(s.byKind).sort().map(([k, n]) => `${k} ${n}`).join(', ')}; files: ${Object.entries(s.byFormat).sort().map(([k, n]) => `${k} ${n}`).join(', ')}`);
  lines.push(
    `  peak memory of a case: ${mib(s.peak.kb)} (case ${s.peak.k}, ${s.peak.subject}, input ${s.peak.inputBytes} bytes)${s.exactPeak ? '' : ' [RSS after each case only: no /proc clear_refs]'}; bound ${s.memory.baseMB} MiB + ${s.memory.perInputByte} x input bytes; highest share of its bound ${(100 * s.worstRatio.ratio).toFixed(0)}% (case ${s.worstRatio.k}, ${mib(s.worstRatio.peakKB)} of ${mib(s.worstRatio.boundKB)})`,
  );
  lines.push(`  slowest case: ${s.slowest.ms.toFixed(0)} ms (case ${s.slowest.k}, ${s.slowest.subject}); child restarts ${s.restarts}`);
  if (s.missing.length) lines.push(`  fixtures missing (left out): ${s.missing.join(', ')}`);
  for (const f of s.findings.slice(0, 50)) {
    lines.push(`  ${f.kind.toUpperCase()} case ${f.k}: ${f.subject} :: ${f.file} :: ${f.mutations.join(' + ')}`);
    if (f.step || f.error) lines.push(`    ${f.step ? `step ${f.step}: ` : ''}${f.error ?? ''}`);
    if (f.kind === 'memory' && f.peakKB !== undefined) lines.push(`    peak ${mib(f.peakKB)} over bound ${mib(f.boundKB ?? 0)}`);
    if (f.stack) lines.push(f.stack.split('\n').map((l) => `      ${l.trim()}`).join('\n'));
    if (how.reproduce) lines.push(`    reproduce: ${how.reproduce.replace('{seed}', String(s.seed)).replace('{case}', String(f.k))}`);
  }
  if (s.findings.length > 50) lines.push(`  ... and ${s.findings.length - 50} more findings`);
  return lines.join('\n');
}
