// Shared by the benchmark modules: where things go, the machine a run happened on, and running a
// command in a child process with its wall time, CPU time and peak memory.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT } from '../src/util/package.js';

/** Generated models and converted outputs of benchmark runs (gitignored, never committed). */
export const BENCH_CACHE = process.env.TFCONV_BENCH_CACHE ?? path.join(PACKAGE_ROOT, '.cache', 'bench');
export const BIN = path.join(PACKAGE_ROOT, 'bin', 'tfconv.js');
export const PROBE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'probe.js');

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  tfconv: string;
  /** 1-minute load average (other processes sharing the CPUs) when the run started and ended. */
  loadStart: number;
  loadEnd?: number;
}

export function machineInfo(version: string): MachineInfo {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${process.arch}`,
    node: process.version,
    tfconv: version,
    loadStart: round(os.loadavg()[0], 2),
  };
}

export interface ChildMeasure {
  ok: boolean;
  /** From spawn to exit, as a user waits for it (includes Node's start-up and module loading). */
  wallMs: number;
  /** User + system CPU time of the child. */
  cpuMs: number;
  /** The child's peak resident set size. */
  peakRssMiB: number;
  status: number | null;
  stdout: string;
  stderr: string;
  /** 1-minute load average just before the run. */
  load: number;
}

/**
 * Run `node [nodeArgs] script args` with the probe loaded first: it records the child's own
 * maxRSS and CPU time at exit, so the numbers are the child's alone.
 */
export function measureNode(script: string, args: string[], nodeArgs: string[] = [], timeoutMs = 30 * 60_000): ChildMeasure {
  const probeOut = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tfconv-bench-probe-')), 'probe.json');
  const load = os.loadavg()[0];
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', PROBE, ...nodeArgs, script, ...args], {
    encoding: 'utf8',
    env: { ...process.env, TFCONV_BENCH_PROBE: probeOut },
    maxBuffer: 64 * 2 ** 20,
    timeout: timeoutMs,
  });
  const wallMs = performance.now() - t0;
  type Probe = { maxRssKiB: number; userUs: number; systemUs: number };
  let probe: Probe | null = null;
  try {
    probe = JSON.parse(fs.readFileSync(probeOut, 'utf8')) as Probe;
  } catch {
    probe = null;
  }
  fs.rmSync(path.dirname(probeOut), { recursive: true, force: true });
  return {
    ok: r.status === 0,
    wallMs: round(wallMs, 1),
    cpuMs: probe ? round((probe.userUs + probe.systemUs) / 1000, 1) : NaN,
    peakRssMiB: probe ? round(probe.maxRssKiB / 1024, 1) : NaN,
    status: r.status,
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? '',
    load: round(load, 2),
  };
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The first line of a child's error output that says something (not a stack frame). */
export function firstErrorLine(m: Pick<ChildMeasure, 'stderr' | 'stdout' | 'status'>): string {
  const lines = `${m.stderr}\n${m.stdout}`.split('\n').map((l) => l.trim());
  return lines.find((l) => /error/i.test(l)) ?? lines.find((l) => l.length > 0) ?? `exit status ${m.status}`;
}

export function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  fs.renameSync(tmp, file);
}
