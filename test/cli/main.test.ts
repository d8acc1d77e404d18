import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { BufferIO } from '../../src/cli/io.js';
import { ErrorCode, TfconvError, err } from '../../src/errors/index.js';

test('no command is a usage error: exit 2, one line, no stack', async () => {
  const io = new BufferIO();
  const code = await main([], io);
  assert.equal(code, 2);
  assert.match(io.errText, /^tfconv: error: a command is required/);
  assert.doesNotMatch(io.errText, /\n\s+at /);
});

test('error builders carry code, subject and exit code', () => {
  const e = err.crcMismatch('variables.index', 'block at 0', 0x1234, 0xabcdef01);
  assert.ok(e instanceof TfconvError);
  assert.equal(e.code, ErrorCode.CRC_MISMATCH);
  assert.equal(e.exitCode, 1);
  assert.equal(e.subject.file, 'variables.index');
  assert.equal(e.message, 'variables.index: CRC32C mismatch in block at 0 (stored 0x00001234, computed 0xabcdef01)');
  assert.equal(err.badOption('tag-set', 'empty').exitCode, 2);
});

test('unsupported ops are listed in one message with counts and examples', () => {
  const e = err.unsupportedOps([
    { op: 'ParseExampleV2', count: 1, examples: ['ParseExample/ParseExampleV2'] },
    { op: 'HashTableV2', count: 2, examples: ['hash_table', 'hash_table_1'] },
  ]);
  assert.equal(e.code, ErrorCode.UNSUPPORTED_OPS);
  assert.equal(
    e.message,
    "2 unsupported op types (3 nodes): ParseExampleV2 x1 (e.g. 'ParseExample/ParseExampleV2'); HashTableV2 x2 (e.g. 'hash_table', 'hash_table_1'); use --allow-custom-ops to write them as custom ops",
  );
});
