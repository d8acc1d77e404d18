// The official .tflite files under shared/fixtures, and the ones that are broken on purpose.

import fs from 'node:fs';
import path from 'node:path';
import { SHARED_DIR } from '../helpers/shared.js';

const ROOT = path.join(SHARED_DIR, 'fixtures');

/** Every FlatBuffer-looking fixture (.tflite, .lite, and the .bin test models), sorted. */
export function allTfliteFixtures(): string[] {
  if (!fs.existsSync(ROOT)) return [];
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(tflite|lite|bin)$/.test(e.name)) out.push(p);
    }
  };
  walk(ROOT);
  return out.sort();
}

/** Relative name for messages. */
export function rel(p: string): string {
  return path.relative(ROOT, p);
}

/**
 * Files that are not valid TFLite models on purpose (LiteRT's interpreter tests expect them to
 * fail): reading them must end in BAD_TFLITE. The other intentionally odd test models
 * (empty_model.bin, 0_subgraphs.bin, no_subgraphs.bin, segment_sum_invalid_buffer.bin,
 * zero_size_constant.bin) are structurally valid FlatBuffers and read fine.
 */
export const INVALID_FIXTURES = ['litert-testdata/java_testdata/invalid_model.bin', 'litert-testdata/tflite_testdata/test_model_broken.bin'];
