// `npm run fuzz -- [--cases N] [--seed S] [--first F] [--case K] [--jobs J] [--timeout MS]`
// Runs seeded mutation cases of the real fixtures against every reader and the conversion, and
// prints the summary (cases, crashes, hangs, peak memory). Exit code 1 when anything was found.
// `--case K` replays one case and prints what it did.

import os from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_MEMORY, type FuzzSummary, formatSummary, runFuzz } from './engine.js';
import { defaultFixturesDir } from './corpus.js';

const USAGE = `usage: npm run fuzz -- [--cases N] [--seed S] [--first F] [--case K] [--jobs J] [--timeout MS]
  --cases N      how many cases (default 1000), numbered from --first (default 0)
  --seed S       run seed (default 1); case K of seed S is always the same case
  --case K       run only case K (repeatable) and print what it did
  --jobs J       child processes (default: the number of CPUs)
  --timeout MS   per-case time bound (default 10000)
  --fixtures DIR the fixtures directory (default ../shared/fixtures or $TFCONV_SHARED/fixtures)
  --mem-base MB, --mem-per-byte N   per-case peak memory bound: MB + N x input bytes (default ${DEFAULT_MEMORY.baseMB} + ${DEFAULT_MEMORY.perInputByte})`;

function int(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) {
    console.error(`fuzz: --${name} must be a non-negative integer\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        cases: { type: 'string' },
        seed: { type: 'string' },
        first: { type: 'string' },
        case: { type: 'string', multiple: true },
        jobs: { type: 'string' },
        timeout: { type: 'string' },
        fixtures: { type: 'string' },
        'mem-base': { type: 'string' },
        'mem-per-byte': { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (e) {
    console.error(`fuzz: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const seed = int(args.seed, 'seed', 1);
  const only = args.case?.map((c) => int(c, 'case', 0));
  const cases = int(args.cases, 'cases', 1000);
  const first = int(args.first, 'first', 0);
  const jobs = int(args.jobs, 'jobs', Math.max(1, os.availableParallelism()));
  const fixturesDir = args.fixtures ?? defaultFixturesDir();
  const memory = { baseMB: int(args['mem-base'], 'mem-base', DEFAULT_MEMORY.baseMB), perInputByte: int(args['mem-per-byte'], 'mem-per-byte', DEFAULT_MEMORY.perInputByte) };
  const timeoutMs = int(args.timeout, 'timeout', 10_000);

  console.log(
    only
      ? `fuzz: seed ${seed}, case${only.length > 1 ? 's' : ''} ${only.join(', ')}`
      : `fuzz: seed ${seed}, cases ${first}..${first + cases - 1}, ${jobs} jobs, ${timeoutMs} ms per case, fixtures ${fixturesDir}`,
  );
  const s: FuzzSummary = await runFuzz({
    seed,
    ...(only ? { only } : { first, cases }),
    jobs: only ? 1 : jobs,
    timeoutMs,
    fixturesDir,
    memory,
    log: (l) => console.log(l),
    progressEveryMs: 15000,
    keepResults: only !== undefined,
    verbose: only !== undefined,
  });
  if (only) {
    for (const r of s.results ?? []) {
      console.log(`case ${r.k}: ${r.subject} :: ${r.detail?.file ?? '?'} :: ${r.detail?.mutations.join(' + ') ?? ''}`);
      console.log(`  outcome ${r.outcome}${r.codes.length ? ` (${r.codes.join(', ')})` : ''}, ${r.ms.toFixed(1)} ms, peak ${(r.peakKB / 1024).toFixed(1)} MiB of ${(r.boundKB / 1024).toFixed(1)} MiB, input ${r.inputBytes} bytes`);
      for (const e of r.detail?.errors ?? []) console.log(`  ${e.step}: ${e.code}: ${e.message.slice(0, 300)}`);
      if (r.detail?.error) console.log(`  ${r.detail.step}: ${r.detail.error}\n${r.detail.stack ?? ''}`);
    }
  }
  console.log(formatSummary(s, { reproduce: 'npm run fuzz -- --seed {seed} --case {case}' }));
  return s.findings.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`fuzz: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(2);
  },
);
