// Asserting the project's error contract: a TfconvError with the expected code, whose message
// matches and is one line (no stack, no embedded newline).

import assert from 'node:assert/strict';
import { TfconvError } from '../../src/errors/index.js';

function check(e: unknown, code: string, message: RegExp): TfconvError {
  assert.ok(e instanceof TfconvError, `expected a TfconvError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  assert.equal(e.code, code, e.message);
  assert.match(e.message, message);
  assert.doesNotMatch(e.message, /[\n\r]/, 'one line');
  return e;
}

/** `p` rejects with a one-line TfconvError of `code` matching `message`; returns it. */
export async function rejectsOneLine(p: Promise<unknown>, code: string, message: RegExp): Promise<TfconvError> {
  try {
    await p;
  } catch (e) {
    return check(e, code, message);
  }
  assert.fail(`expected ${code}`);
}

/** `f()` throws a one-line TfconvError of `code` matching `message`; returns it. */
export function throwsOneLine(f: () => unknown, code: string, message: RegExp): TfconvError {
  try {
    f();
  } catch (e) {
    return check(e, code, message);
  }
  assert.fail(`expected ${code}`);
}
