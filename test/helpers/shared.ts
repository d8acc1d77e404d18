// Access to ../shared (real TensorFlow-written fixtures and data). CI has it beside the clone;
// where it is missing, a test that needs it says so and skips, and nothing else happens.

import fs from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { PACKAGE_ROOT } from '../../src/util/package.js';

/** ../shared relative to the repository, or TFCONV_SHARED if set. */
export const SHARED_DIR = process.env.TFCONV_SHARED ?? path.resolve(PACKAGE_ROOT, '..', 'shared');

/** Absolute path of a file under ../shared/fixtures. */
export function fixture(rel: string): string {
  return path.join(SHARED_DIR, 'fixtures', rel);
}

/** Absolute path of a file under ../shared/data. */
export function sharedData(rel: string): string {
  return path.join(SHARED_DIR, 'data', rel);
}

/**
 * True when every path exists; otherwise marks the test skipped with the reason and returns
 * false, so the caller returns early: `if (!need(t, p)) return;`.
 */
export function need(t: TestContext, ...paths: string[]): boolean {
  const missing = paths.filter((p) => !fs.existsSync(p));
  if (missing.length === 0) return true;
  t.skip(`missing shared fixture: ${missing.join(', ')}`);
  return false;
}
