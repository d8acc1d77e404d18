// The public API (`import ... from 'tfconv'`) gives what the CLI prints: the CLI is a layer over it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, TfconvError, inspect, inspectText, run } from '../../src/api/index.js';
import { BufferIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { fixture, need } from '../helpers/shared.js';

const KWS = fixture('mlcommons-tiny-kws/kws_ref_model');
const HELLO = fixture('tflite-micro-models/hello_world_float.tflite');

async function cli(...argv: string[]): Promise<string> {
  const io = new BufferIO();
  assert.equal(await main(argv, io), 0, io.errText);
  return io.out;
}

test('inspect() is the --json report and inspectText() the text of tfconv inspect', async (t) => {
  if (!need(t, KWS, HELLO)) return;
  assert.deepEqual(inspect(KWS, { variables: true }), JSON.parse(await cli('inspect', KWS, '--json', '--variables')));
  assert.equal(inspectText(KWS), await cli('inspect', KWS));
  const r = inspect(HELLO);
  assert.ok('format' in r && r.format === 'tflite');
  assert.deepEqual(r, JSON.parse(await cli('inspect', HELLO, '--json')));
  assert.throws(
    () => inspect(HELLO, { variables: true }),
    (e: unknown) => e instanceof TfconvError && e.code === ErrorCode.BAD_OPTION && /applies to SavedModels only/.test(e.message),
  );
});

test('run(): hello_world_float on [[1.57]] is about sin(1.57); a JSON, a tensor and a wrong key', async (t) => {
  if (!need(t, HELLO)) return;
  const [a] = await run(HELLO, { inputs: { dense_input: { json: [[1.57]] } } });
  const [b] = await run(HELLO, { inputs: { dense_input: { dtype: 'float64', shape: [1, 1], data: new Float64Array([1.57]) } } });
  assert.equal(a.value.dtype, 'float32');
  assert.ok(Math.abs((a.value.data as Float32Array)[0] - Math.sin(1.57)) < 0.01);
  assert.deepEqual(b.value, a.value, 'float64 is converted to the float32 input');
  await assert.rejects(run(HELLO, { inputs: { nope: { json: [[1]] } } }), (e: unknown) => e instanceof TfconvError && e.code === ErrorCode.BAD_INPUT_DATA);
});
