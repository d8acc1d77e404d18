// The bounded fuzz run of `npm test`: a fixed seed and number of cases over every reader and the
// conversion (see src/fuzz/). Every case must end in success or a TfconvError with a one-line
// message: no other exception, no hang, no peak memory over the case's bound. The summary is
// printed; a finding prints the command that replays it.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { test } from 'node:test';
import { defaultFixturesDir, loadCorpus } from '../../src/fuzz/corpus.js';
import { formatSummary, runFuzz } from '../../src/fuzz/engine.js';

/** About 30-60 s on 2 cores beside the other test files. */
const CASES = Number(process.env.TFCONV_FUZZ_CASES ?? 4000);
const SEED = 1;

test(`fuzz: ${CASES} seeded mutation cases of the real fixtures end in success or a clear TfconvError`, { timeout: 15 * 60_000 }, async (t) => {
  const fixturesDir = defaultFixturesDir();
  if (!fs.existsSync(fixturesDir)) {
    t.skip(`missing shared fixtures: ${fixturesDir}`);
    return;
  }
  const corpus = loadCorpus(fixturesDir);
  assert.ok(corpus.subjects.length >= 100, `only ${corpus.subjects.length} fuzz subjects (missing: ${corpus.missing.join(', ')})`);
  const s = await runFuzz({ seed: SEED, cases: CASES, jobs: Math.min(2, os.availableParallelism()), timeoutMs: 10_000, fixturesDir });
  for (const line of formatSummary(s, { reproduce: 'npm run fuzz -- --seed {seed} --case {case}' }).split('\n')) t.diagnostic(line);
  assert.equal(s.cases, CASES);
  assert.equal(s.outcomes.crash + s.outcomes.died, 0, 'crashes');
  assert.equal(s.outcomes.hang, 0, 'hangs');
  assert.equal(s.overMemory, 0, 'cases over their memory bound');
  assert.equal(s.outcomes.unclear, 0, 'TfconvErrors without a one-line message');
  assert.equal(s.outcomes.harness, 0, 'fuzzer errors');
  // The mutations must reach past the first checks of every format, or the run proves little.
  for (const step of ['savedmodel/convert', 'savedmodel/bundle-read', 'savedmodel/variables', 'graphdef/convert', 'tflite/rewrite']) {
    assert.ok((s.stepsOk[step] ?? 0) > CASES / 100, `only ${s.stepsOk[step] ?? 0} cases completed ${step}`);
  }
  assert.ok(s.outcomes.ok > CASES / 20 && s.outcomes.error > CASES / 2, JSON.stringify(s.outcomes));
});
