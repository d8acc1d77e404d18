// `tfconv optimize` killed with SIGKILL while writing its output: no output file appears (and an
// earlier one stays as it was), only a temporary beside it, which the next write of that output
// removes. The process is stopped at the exact point through the TFCONV_TEST_PAUSE_WRITE hook of
// src/writers/atomic-file.ts (half-way through the temporary file, or just before the rename).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { optimize } from '../../src/api/optimize.js';
import { PACKAGE_ROOT } from '../../src/util/package.js';
import { fixture, need } from '../helpers/shared.js';
import { tmpDir } from '../helpers/tmp.js';

const TFCONV = path.join(PACKAGE_ROOT, 'bin', 'tfconv.js');
const MODEL = fixture('tf-serving-half-plus-two/saved_model_half_plus_two_tf2_cpu');

/** Runs `tfconv optimize`, kills it with SIGKILL where it pauses, and returns the temporary file it was writing. */
function killWhileWriting(model: string, output: string, where: 'mid' | 'rename'): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TFCONV, 'optimize', model, '-o', output, '-q'], {
      env: { ...process.env, TFCONV_TEST_PAUSE_WRITE: where },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let tmp: string | null = null;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
      const m = /tfconv: test pause \((mid|rename)\) writing (.+)\n/.exec(stderr);
      if (m && tmp === null) {
        tmp = m[2] as string;
        child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => {
      if (tmp !== null && signal === 'SIGKILL') resolve(tmp);
      else reject(new Error(`tfconv was not killed while writing (exit ${code ?? signal}): ${stderr}`));
    });
  });
}

test('SIGKILL while writing the .tflite: no output (an earlier one untouched), a temporary the next run removes', { timeout: 120_000 }, async (t) => {
  if (!need(t, MODEL)) return;
  const dir = tmpDir(t);
  const reference = await optimize(MODEL, { output: path.join(dir, 'reference.tflite') });
  const expected = fs.readFileSync(reference.output);
  const out = path.join(dir, 'out', 'model.tflite');
  fs.mkdirSync(path.dirname(out));

  // Killed half-way through the temporary file: a partial temporary, no output.
  const partial = await killWhileWriting(MODEL, out, 'mid');
  assert.ok(!fs.existsSync(out), 'no output after a kill mid-write');
  assert.equal(path.dirname(partial), path.dirname(out), 'the temporary is beside the output');
  assert.equal(fs.statSync(partial).size, expected.length >> 1, 'the temporary holds the first half');

  // Killed with the temporary complete, just before the rename: still no output.
  const complete = await killWhileWriting(MODEL, out, 'rename');
  assert.ok(!fs.existsSync(out), 'no output after a kill before the rename');
  assert.equal(fs.statSync(complete).size, expected.length);

  // A later run writes the output and removes what the killed runs left.
  await optimize(MODEL, { output: out });
  assert.deepEqual(fs.readFileSync(out), expected);
  assert.deepEqual(fs.readdirSync(path.dirname(out)), ['model.tflite'], 'stale temporaries removed');

  // An existing output survives a killed re-conversion byte for byte.
  fs.writeFileSync(out, Uint8Array.of(1, 2, 3));
  await killWhileWriting(MODEL, out, 'mid');
  await killWhileWriting(MODEL, out, 'rename');
  assert.deepEqual([...fs.readFileSync(out)], [1, 2, 3], 'the earlier output is untouched');
  // Each run removed the previous killed run's temporary; the last one's remains.
  assert.equal(fs.readdirSync(path.dirname(out)).length, 2, 'the output and the last temporary');
});
